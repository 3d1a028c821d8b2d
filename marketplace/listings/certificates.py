"""Certificates buyers can check: the state a buyer reads, and the scanned document behind it.

The state (`certificate_state`) puts together what a moderator decided (the `verification` workflow,
listings/workflow.py) and the date: an expired certificate is "kedaluwarsa" whatever its verification, a valid
one is "terverifikasi" only once a moderator checked it, and "dinyatakan produsen" otherwise. Every page, the
cards, the compare table and the API ask this one function.

Documents are checked the way photos are (listings/photos.py): a size limit, the content sniffed rather than the
name or the declared type believed. A picture is decoded with the photos' format list and pixel cap and
re-encoded (EXIF and GPS dropped); a PDF must start with its magic bytes, parse, be unencrypted, and hold no
active content (JavaScript, launch or submit actions, embedded files, XFA forms); it is then re-written page by
page with pypdf, so nothing appended after the pages or hidden in its catalogue reaches a reader. Files are
`certificates/<key>.pdf|webp` in UPLOAD_DIR under a random key; only the serving route reads them, after asking
core/policies.can_view_certificate_document.
"""
from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image

from marketplace.listings import photos as images
from marketplace.models import CertificateStatus

# ---------------------------------------------------------------- the state a buyer reads

VERIFIED = "verified"  # a moderator checked it, and it is valid today
STATED = "stated"  # valid by its date, as the producer states it; nobody checked it
EXPIRED = "expired"  # past its date: never shown as valid, whatever its verification

STATE_LABELS = {
    VERIFIED: _l("terverifikasi"),
    STATED: _l("dinyatakan produsen"),
    EXPIRED: _l("kedaluwarsa"),
}
# What each state says in full, for screen readers and the title of a badge.
STATE_DESCRIPTIONS = {
    VERIFIED: _l("Nomor dan dokumen sudah diperiksa kurator"),
    STATED: _l("Dinyatakan produsen, belum diperiksa kurator"),
    EXPIRED: _l("Masa berlaku sudah lewat"),
}


def certificate_state(cert, today: date) -> str:
    """VERIFIED, STATED or EXPIRED for this certificate on `today` (use clock.today(), Metro's day)."""
    if cert.valid_until is not None and cert.valid_until < today:
        return EXPIRED
    return VERIFIED if str(cert.status) == CertificateStatus.VERIFIED else STATED


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


# ---------------------------------------------------------------- documents

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_PDF_PAGES = 30
MAX_PDF_OBJECTS = 20_000  # a certificate is a page or two; more objects than this is no certificate
IMAGE_EDGE = 2400  # the longest edge of a stored document image: a scan stays readable
PDF = "application/pdf"
WEBP = "image/webp"
EXTENSIONS = {PDF: "pdf", WEBP: "webp"}
ACCEPT = "application/pdf,image/jpeg,image/png,image/webp"

# Dictionary keys and name values that make a PDF do something when opened, or carry other files.
_ACTIVE = frozenset({
    "/JS", "/JavaScript", "/AA", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/GoToR", "/EmbeddedFile",
    "/EmbeddedFiles", "/FileAttachment", "/RichMedia", "/XFA", "/Movie", "/Sound", "/Rendition",
})


class DocumentRejected(ValueError):
    """Not a document we accept; `code` says why (REJECTIONS has the message)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


REJECTIONS = {
    "too_large": _l("Berkas lebih dari 5 MB. Perkecil (pindai ulang dengan resolusi lebih rendah) lalu coba lagi."),
    "too_many_pixels": _l("Resolusi gambar terlalu besar."),
    "not_document": _l("Berkas ini bukan PDF atau gambar JPEG, PNG, WebP."),
    "encrypted": _l("PDF ini dikunci dengan kata sandi. Unggah PDF tanpa kata sandi."),
    "active_content": _l("PDF ini berisi skrip atau lampiran berkas, jadi tidak dapat diterima. Cetak ulang ke PDF "
                         "atau unggah foto/pindaian sertifikatnya."),
    "too_many_pages": _l("PDF ini lebih dari 30 halaman. Unggah halaman sertifikatnya saja."),
    "empty": _l("Berkas kosong."),
}


def rejection_message(code: str) -> str:
    return str(REJECTIONS.get(code, REJECTIONS["not_document"]))


@dataclass(frozen=True)
class CheckedDocument:
    """An upload that passed: the bytes to store (re-written or re-encoded) and their type."""

    data: bytes
    media_type: str


def check(data: bytes) -> CheckedDocument:
    """The document to store for this upload, or DocumentRejected."""
    if not data:
        raise DocumentRejected("empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentRejected("too_large")
    if data[:1024].lstrip(b"\x00\t\n\r\x0c ").startswith(b"%PDF-"):
        return CheckedDocument(_rewrite_pdf(data), PDF)
    try:
        image = images.decode(data)
    except images.ImageRejected as error:
        raise DocumentRejected("too_many_pixels" if str(error) == "too_large" else "not_document") from None
    image.thumbnail((IMAGE_EDGE, IMAGE_EDGE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=85, method=4)
    return CheckedDocument(out.getvalue(), WEBP)


def _rewrite_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentRejected("encrypted")
        _refuse_active_content(reader.trailer)
        pages = list(reader.pages)
        if not pages:
            raise DocumentRejected("not_document")
        if len(pages) > MAX_PDF_PAGES:
            raise DocumentRejected("too_many_pages")
        writer = PdfWriter()
        for page in pages:
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
    except DocumentRejected:
        raise
    except Exception:  # noqa: BLE001 — an untrusted file breaks the parser in any number of ways: not a PDF we take
        raise DocumentRejected("not_document") from None
    rewritten = out.getvalue()
    if len(rewritten) > MAX_DOCUMENT_BYTES:
        raise DocumentRejected("too_large")
    return rewritten


def _refuse_active_content(root) -> None:
    """Walk every object reachable from the trailer (object streams included, content streams left encoded), and
    refuse the file at the first key or name that runs or carries something."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    stack = [root]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise DocumentRejected("not_document")
        if isinstance(node, DictionaryObject):
            for key, value in node.items():
                if key in _ACTIVE:
                    raise DocumentRejected("active_content")
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
        elif isinstance(node, NameObject) and node in _ACTIVE:
            raise DocumentRejected("active_content")


def document_dir() -> Path:
    return images.upload_dir() / "certificates"


def path_for(key: str, media_type: str) -> Path:
    return document_dir() / f"{key}.{EXTENSIONS[media_type]}"


def new_key() -> str:
    """32 hex digits from the system's random source: nobody finds a document by guessing."""
    return secrets.token_hex(16)


def write(document: CheckedDocument) -> str:
    """Store a checked document; returns its key."""
    key = new_key()
    target = path_for(key, document.media_type)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(document.data)
    return key


def delete(key: str) -> None:
    for media_type in EXTENSIONS:
        path_for(key, media_type).unlink(missing_ok=True)
