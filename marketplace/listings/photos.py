"""Photos: checked from their content, re-encoded to WebP in a few sizes, stored under generated names.

Only JPEG, PNG and WebP are opened (Pillow is told the formats explicitly), and the
pixel count is checked from the header before any decoding, so a small file that
declares 50000×50000 pixels is refused without being expanded in memory.
Re-encoding drops EXIF (and with it GPS positions).
"""
from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_PIXELS = 40_000_000  # 40 megapixels: any phone photo, no decompression bomb
SIZES = {"sm": 480, "md": 800, "lg": 1280}  # the longest edge of each stored variant, in pixels


class ImageRejected(ValueError):
    """The file is not a picture we accept; the message says why, for the user."""


@dataclass
class StoredImage:
    key: str
    width: int
    height: int


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def path_for(key: str, size: str) -> Path:
    return upload_dir() / f"{key}-{size}.webp"


def decode(data: bytes) -> Image.Image:
    """The picture in `data`, upright and in RGB(A), or ImageRejected: only the allowed formats are opened, and the
    pixel count is checked from the header before decoding (also for certificate documents: certificates.py)."""
    try:
        with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ImageRejected("too_large")
            probe.load()
            image = ImageOps.exif_transpose(probe)
            image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("too_large") from None  # Pillow's own cap caught it at the header
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected("not_image") from None
    return image


def store(data: bytes) -> StoredImage:
    image = decode(data)
    key = uuid.uuid4().hex
    written: list[Path] = []
    try:
        for size, edge in SIZES.items():
            copy = image.copy()
            copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
            target = path_for(key, size)
            copy.save(target, "WEBP", quality=82, method=4)
            written.append(target)
    except Exception:
        for target in written:
            target.unlink(missing_ok=True)
        raise
    return StoredImage(key=key, width=image.width, height=image.height)


def ensure_variant(key: str, size: str) -> bool:
    """Make a variant that a photo stored before it existed lacks (the "md" size), from its largest one.
    True if the file is there afterwards. Two requests at once each write a temporary file and rename it."""
    target = path_for(key, size)
    if target.exists():
        return True
    source = path_for(key, "lg")
    if size not in SIZES or not source.exists():
        return False
    with Image.open(source, formats=("WEBP",)) as image:
        image.load()
        copy = image.copy()
    copy.thumbnail((SIZES[size], SIZES[size]), Image.Resampling.LANCZOS)
    partial = target.with_name(f"{target.stem}.{uuid.uuid4().hex}.part")
    try:
        copy.save(partial, "WEBP", quality=82, method=4)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return True


def delete(key: str) -> None:
    for size in SIZES:
        path_for(key, size).unlink(missing_ok=True)


def delete_after_commit(keys: list[str]) -> None:
    """Remove these photos' files once the current transaction commits, and never if it rolls back:
    no row is ever left pointing at files that are gone."""
    _when_transaction_ends(keys, delete_on="commit")


def delete_if_rolled_back(keys: list[str]) -> None:
    """Newly written files whose rows do not reach the database (the transaction rolls back) are removed."""
    _when_transaction_ends(keys, delete_on="rollback")


def _when_transaction_ends(keys: list[str], delete_on: str) -> None:
    after_transaction(keys, delete_on, delete)


def after_transaction(keys: list[str], delete_on: str, deleter) -> None:
    """Call `deleter(key)` for each key once the current transaction ends in `delete_on` ("commit" or
    "rollback"), and never otherwise (photos here, certificate documents in listings/certificates.py)."""
    if not keys:
        return
    from sqlalchemy import event

    from marketplace.extensions import db

    session = db.session()
    settled = False

    def settle(outcome: str) -> None:
        nonlocal settled
        if settled:
            return
        settled = True
        if outcome == delete_on:
            for key in keys:
                deleter(key)

    def on_rollback(_session, previous) -> None:
        if not previous.nested:
            settle("rollback")

    event.listen(session, "after_commit", lambda _session: settle("commit"))
    event.listen(session, "after_soft_rollback", on_rollback)
