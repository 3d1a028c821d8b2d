"""The import service speaks English (the command's output and report); the page says it in the user's language.

Known reasons and warnings map to translated sentences; anything unknown is shown as the service wrote it.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.core.formatting import kecamatan_label, phone_display, quantity, rupiah, unit_label
from marketplace.city.importer import ImportResult, TooManyRows
from marketplace.city.inventory import CATEGORY_BY_NAME, HEADERS, InventoryFileError, header_key
from marketplace.core.vocab import CERTIFICATES

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
