"""An uploaded inventory kept on the server between its preview and the confirmed import.

Each upload lives in IMPORT_DIR (default: instance/imports) under a random token: the
file itself (`<token>.upload`) and its metadata with the preview (`<token>.json`). Nothing
of it travels in the session cookie. The token is single use: confirming renames the
metadata to `<token>.claimed` (atomic; a second confirm finds nothing to rename), and the
finished import leaves `<token>.done.json` with its result for the summary page and the
rejected-rows report. Old files are removed whenever someone uploads or opens a preview.

Several machines serving one database must share IMPORT_DIR (as they share UPLOAD_DIR).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from marketplace.city.importer import ImportResult

TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
PENDING_MAX_AGE = 2 * 3600  # a preview not confirmed within two hours must be uploaded again
DONE_MAX_AGE = 24 * 3600  # the summary and its report stay a day (the audit log keeps the counts)


class UploadGone(LookupError):
    """No such upload for this user: never made, expired, already confirmed, or someone else's."""


@dataclass
class PendingImport:
    token: str
    filename: str
    publish: bool
    user_id: int
    created: float
    preview: ImportResult

    @property
    def suffix(self) -> str:
        return Path(self.filename).suffix.lower()


@dataclass
class FinishedImport:
    token: str
    filename: str
    publish: bool
    user_id: int
    finished: float
    result: ImportResult


def folder(create: bool = False) -> Path:
    path = Path(current_app.config.get("IMPORT_DIR") or Path(current_app.instance_path) / "imports")
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def _paths(token: str) -> dict[str, Path]:
    if not TOKEN.fullmatch(token or ""):
        raise UploadGone(token)
    base = folder()
    return {kind: base / f"{token}.{kind}" for kind in ("upload", "json", "claimed", "done.json")}


def _write(path: Path, text: str | bytes) -> None:
    """Write next to the target, then rename: a reader never sees half a file."""
    temporary = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp")
    temporary.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    os.replace(temporary, path)


def save(data: bytes, filename: str, publish: bool, user_id: int, preview: ImportResult) -> str:
    purge()
    folder(create=True)
    token = secrets.token_urlsafe(32)
    paths = _paths(token)
    _write(paths["upload"], data)
    _write(paths["json"], json.dumps({"filename": filename, "publish": publish, "user_id": user_id,
                                      "created": time.time(), "preview": preview.to_dict()}))
    return token


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UploadGone(path.name) from None


def load(token: str, user_id: int) -> PendingImport:
    """The pending upload, only for the admin who made it."""
    purge()
    meta = _read_json(_paths(token)["json"])
    if meta.get("user_id") != user_id:
        raise UploadGone(token)
    return PendingImport(token, meta["filename"], bool(meta["publish"]), meta["user_id"], meta["created"],
                         ImportResult.from_dict(meta["preview"]))


def claim(token: str, user_id: int) -> tuple[PendingImport, bytes]:
    """Take the upload for the real import; only one request can (the rename is atomic)."""
    pending = load(token, user_id)
    paths = _paths(token)
    try:
        os.rename(paths["json"], paths["claimed"])
    except FileNotFoundError:
        raise UploadGone(token) from None
    try:
        return pending, paths["upload"].read_bytes()
    except OSError:
        raise UploadGone(token) from None


def release(token: str) -> None:
    """The import failed: the upload may be confirmed again."""
    paths = _paths(token)
    try:
        os.rename(paths["claimed"], paths["json"])
    except FileNotFoundError:
        pass


def finish(pending: PendingImport, result: ImportResult) -> None:
    paths = _paths(pending.token)
    _write(paths["done.json"], json.dumps({"filename": pending.filename, "publish": pending.publish,
                                           "user_id": pending.user_id, "finished": time.time(),
                                           "result": result.to_dict()}))
    for kind in ("upload", "claimed"):
        paths[kind].unlink(missing_ok=True)


def in_progress(token: str) -> bool:
    return _paths(token)["claimed"].exists()


def finished(token: str, user_id: int) -> FinishedImport:
    meta = _read_json(_paths(token)["done.json"])
    if meta.get("user_id") != user_id:
        raise UploadGone(token)
    return FinishedImport(token, meta["filename"], bool(meta["publish"]), meta["user_id"], meta["finished"],
                          ImportResult.from_dict(meta["result"]))


def wait_until_finished(token: str, user_id: int, timeout: float = 60.0) -> FinishedImport:
    """A second confirm while the first still runs (a double click) waits for the first one's result."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return finished(token, user_id)
        except UploadGone:
            pass
        if not in_progress(token):
            return finished(token, user_id)  # it may have finished just now; otherwise UploadGone
        if time.monotonic() > deadline:
            raise UploadGone(token)
        time.sleep(0.2)


def purge(now: float | None = None) -> int:
    """Remove uploads, previews and results past their age. Returns how many files went."""
    now = now or time.time()
    removed = 0
    if not folder().is_dir():
        return 0
    for path in folder().iterdir():
        age = PENDING_MAX_AGE if not path.name.endswith(".done.json") else DONE_MAX_AGE
        if path.name.endswith(".claimed"):
            age = DONE_MAX_AGE  # an import that died half-way: kept a while for whoever investigates
        try:
            if now - path.stat().st_mtime > age:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
