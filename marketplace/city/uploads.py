"""The import page's side of the import (the service is importer.py): the uploaded inventory kept on the server
between its preview and the confirmed import, and what the page says about it in the user's language.

Each upload lives in IMPORT_DIR (default: instance/imports) under a random token: the
file itself (`<token>.upload`) and its metadata with the preview (`<token>.json`). Nothing
of it travels in the session cookie. The token is single use: confirming renames the
metadata to `<token>.claimed` (atomic; a second confirm finds nothing to rename), and the
finished import leaves `<token>.done.json` with its result for the summary page and the
rejected-rows report. Old files are removed whenever someone uploads or opens a preview.

Several machines serving one database must share IMPORT_DIR (as they share UPLOAD_DIR).

The import service speaks English (the command's output and report); the page says it in the user's language:
known reasons and warnings map to translated sentences; anything unknown is shown as the service wrote it.
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
from flask_babel import gettext as _, lazy_gettext as _l

from marketplace.city.importer import (
    CATEGORY_BY_NAME, HEADERS, ImportResult, InventoryFileError, TooManyRows, header_key,
)
from marketplace.core.formatting import kecamatan_label, phone_display, quantity, rupiah, unit_label
from marketplace.core.vocab import CERTIFICATES

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


REASONS = {
    "missing business name": (_l("Nama usaha kosong"), "business_name"),
    "NIB is not 13 digits": (_l("NIB bukan 13 angka"), "nib"),
    "unknown kecamatan": (_l("Kecamatan tidak dikenal (bukan salah satu dari 5 kecamatan Kota Metro)"), "kecamatan"),
    "missing product": (_l("Nama produk kosong"), "product"),
    "capacity is not a number": (_l("Kapasitas produksi bukan angka"), "capacity"),
    "price is not a number": (_l("Harga bukan angka"), "price"),
    "negative price": (_l("Harga negatif"), "price"),
    "minimum order is not a number": (_l("Minimal pemesanan bukan angka"), "moq"),
    "unknown category": (_l("Kategori tidak dikenal"), "category"),
    "malformed phone number (imported without it)": (_l("Nomor HP tidak valid (diimpor tanpa nomor HP)"), "phone"),
    "malformed email (imported without it)": (_l("Email tidak valid (diimpor tanpa email)"), "email"),
    "price tier starts above the monthly capacity (tier left out)": (
        _l("Baris harga dimulai di atas kapasitas produksi per bulan (baris itu tidak diimpor)"), "price"),
    "price below a larger order's (price not changed)": (
        _l("Harga lebih rendah dari harga untuk pesanan yang lebih besar, yang jadi lebih mahal (harga tidak "
           "diubah)"), "price"),
    "e-mail already has an account (no invitation sent)": (_l("Email ini sudah punya akun (undangan tidak dikirim)"), "email"),
    "kecamatan differs from the live storefront (not changed)": (
        _l("Kecamatan di spreadsheet berbeda dengan etalase yang tayang (tidak diubah)"), "kecamatan"),
    "no e-mail in the sheet to invite (conflict left open)": (
        _l("Tidak ada email di spreadsheet untuk diundang (konflik belum selesai)"), "email"),
    "e-mail already has an account (conflict left open)": (
        _l("Email di spreadsheet sudah punya akun (konflik belum selesai)"), "email"),
}
_CONFLICT = re.compile(r"^NIB (\d+) belongs to another business \((.*)\)$", re.S)
_UNIT = re.compile(r"^unknown unit '(.*)' \(kept as written\)$", re.S)
FIELD_LABELS = {
    "owner_name": _l("pemilik"), "kecamatan": _l("kecamatan"), "kelurahan": _l("kelurahan"), "address": _l("alamat"),
    "phone": _l("nomor HP"), "email": _l("email"), "status": _l("status tayang"), "certificates": _l("sertifikat"),
    "category_id": _l("kategori"), "unit": _l("satuan"), "monthly_capacity": _l("kapasitas"),
    "min_order_qty": _l("minimal pemesanan"), "grade": _l("kualitas"), "price_on_request": _l("harga sesuai permintaan"),
    "price": _l("harga"), "category": _l("kategori"),
}
OUTCOMES = {
    "published": _l("Tayang (disetujui atas nama impor)"),
    "review": _l("Menunggu peninjauan kurator"),
    "suspended": _l("Tetap ditangguhkan; perubahannya menunggu kurator"),
    "archived": _l("Tetap diarsipkan; pemiliknya yang memulihkan"),
    "draft": _l("Tetap draf; pemiliknya yang mengirim untuk ditinjau"),
}
WHY = {
    "own_changes": _l("Revisinya juga memuat perubahan dari produsen sendiri, jadi kurator yang memutuskan."),
    "self_registered": _l("Etalase ini didaftarkan sendiri oleh pemiliknya; kurator meninjaunya dulu."),
    "not_imported": _l("Dibuat oleh produsen, bukan oleh impor; kurator yang meninjaunya."),
    "storefront_not_live": _l("Etalasenya belum tayang."),
}
CATEGORY_NAMES = {slug: name for name, slug in CATEGORY_BY_NAME.items()}
COLUMN_NAMES = {"business_name": "Nama Usaha", "nib": "NIB", "kecamatan": "Kecamatan", "product": "Produk"}


def describe(reason: str) -> tuple[str, str | None]:
    """(sentence for the page, the field it is about) for a rejection reason or a warning."""
    if reason in REASONS:
        text, column = REASONS[reason]
        return str(text), column
    if match := _CONFLICT.match(reason):
        return _("NIB %(nib)s sudah dipakai usaha lain (%(name)s)", nib=match.group(1), name=match.group(2)), "nib"
    if match := _UNIT.match(reason):
        return _("Satuan %(unit)s tidak dikenal (disimpan apa adanya)", unit=match.group(1)), "unit"
    return reason, None


def file_problem(error: InventoryFileError) -> str:
    """Why a whole file cannot be imported, in a sentence that says what to fix."""
    message = str(error)
    if isinstance(error, TooManyRows):
        return _("Berkas ini berisi %(rows)s baris; halaman ini menerima paling banyak %(limit)s baris. "
                 "Untuk berkas sebesar ini, gunakan perintah di bawah.", rows=error.rows, limit=error.limit)
    if message.startswith("missing required columns:"):
        missing = [COLUMN_NAMES.get(c.strip(), c.strip()) for c in message.split(":", 1)[1].split(",")]
        return _("Kolom wajib tidak ditemukan: %(columns)s. Periksa nama kolom di baris judul.", columns=", ".join(missing))
    if message.startswith("no header row"):
        return _("Tidak ditemukan baris judul kolom dengan \u201cNama Usaha\u201d dan \u201cNIB\u201d dalam 20 baris pertama. "
                 "Periksa bahwa lembar (sheet) pertama yang terbuka berisi inventaris.")
    if message == "the file is not a readable XLSX workbook":
        return _("Berkas ini bukan buku kerja XLSX yang dapat dibaca. Simpan ulang dari Excel sebagai .xlsx atau .csv.")
    if message == "the file is not a CSV text file":
        return _("Berkas ini bukan berkas teks CSV. Simpan ulang dari Excel sebagai .csv atau .xlsx.")
    return _("Berkas harus CSV atau XLSX.")


def rejected_rows(result: ImportResult) -> list[dict]:
    """Each rejected row for the page: number, reason, and its original cells named by the header, the culprit marked."""
    fields = [HEADERS.get(header_key(h)) for h in result.headers]
    rows = []
    for number, reason, cells in result.rejected:
        text, culprit = describe(reason)
        named = []
        for index, value in enumerate(cells):
            header = result.headers[index] if index < len(result.headers) else ""
            field = fields[index] if index < len(fields) else None
            if value in ("", None) and field != culprit:
                continue
            named.append({"header": header or "#%d" % (index + 1), "value": value, "culprit": culprit is not None
                          and field == culprit})
        rows.append({"row": number, "reason": text, "cells": named})
    return rows


def warnings(result: ImportResult) -> list[dict]:
    return [{"row": number, "text": describe(warning)[0]} for number, warning in result.warnings]


def _value(field: str, value, unit: str) -> str:
    """One old or new value as the page shows it."""
    if field == "price":
        return rupiah(value) if value is not None else str(_l("Harga sesuai permintaan"))
    if value is None or value == "" or value == []:
        return "—"
    if field in ("monthly_capacity", "min_order_qty"):
        return quantity(value, unit)
    if field == "unit":
        return unit_label(value)
    if field == "category":
        return CATEGORY_NAMES.get(value, value).title()
    if field == "kecamatan":
        return kecamatan_label(value)
    if field == "phone":
        return phone_display(value)
    if field == "certificates":
        return ", ".join(str(CERTIFICATES.get(kind, kind)) for kind in value)
    return str(value)


def _shown(entry: dict) -> dict:
    unit = entry.get("unit") or ""
    return {**entry, "outcome_text": str(OUTCOMES.get(entry.get("outcome") or "", "")),
            "why_text": str(WHY.get(entry.get("why") or "", "")),
            "shown_changes": [{"label": str(FIELD_LABELS.get(c["field"], c["field"])),
                               "old": _value(c["field"], c["old"], unit), "new": _value(c["field"], c["new"], unit)}
                              for c in entry.get("changes") or []]}


def entries(result: ImportResult) -> dict[str, list[dict]]:
    """The records of an import for the page, in four lists, each change as label, old → new."""
    return {
        "new_producers": [_shown(e) for e in result.producers if e["action"] == "created"],
        "old_producers": [_shown(e) for e in result.producers if e["action"] != "created"],
        "new_products": [_shown(e) for e in result.products if e["action"] == "created"],
        "old_products": [_shown(e) for e in result.products if e["action"] != "created"],
    }
