"""Reading the city's UMKM inventory spreadsheet: one row → one clean record, or a reason to reject it.

Used by `seed demo` now and by the `import-umkm` command. Text is kept as text:
nothing in a cell is ever evaluated.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from marketplace.core.formatting import normalise_phone
from marketplace.core.text import parse_number
from marketplace.core.vocab import MASS_IN_KG, UNITS, certificate_code, kecamatan_code

# Inventory category names → category slugs (the fixed tree created by the first migration).
CATEGORY_BY_NAME = {
    "beras & serealia": "beras-serealia",
    "daging & unggas": "daging-unggas",
    "telur": "telur",
    "sayur & buah": "sayur-buah",
    "pupuk & sarana tani": "pupuk-sarana-tani",
    "olahan pangan": "olahan-pangan",
    "kerajinan & wastra": "kerajinan-wastra",
}

# Lenient header matching: a normalised header → our field.
HEADERS = {
    "no": "no",
    "namausaha": "business_name", "namaumkm": "business_name", "usaha": "business_name",
    "namapemilik": "owner_name", "pemilik": "owner_name",
    "nib": "nib",
    "kecamatan": "kecamatan",
    "kelurahan": "kelurahan", "desakelurahan": "kelurahan",
    "alamat": "address",
    "nohpwa": "phone", "nohp": "phone", "telepon": "phone", "nowa": "phone", "hpwa": "phone",
    "email": "email",
    "produk": "product", "namaproduk": "product",
    "kategori": "category",
    "satuan": "unit",
    "kapasitasproduksibulan": "capacity", "kapasitasperbulan": "capacity", "kapasitas": "capacity",
    "hargasatuanrp": "price", "hargasatuan": "price", "harga": "price",
    "minimalorder": "moq", "minimalpemesanan": "moq", "moq": "moq",
    "sertifikat": "certificates",
    "kualitasgrade": "grade", "kualitas": "grade", "grade": "grade",
    "keterangan": "notes",
}
REQUIRED = ("business_name", "nib", "kecamatan", "product")


def header_key(value) -> str:
    return re.sub(r"[^a-z0-9]", "", str(value or "").lower())


class InventoryFileError(ValueError):
    """The file as a whole cannot be read (not a spreadsheet, no header row, missing columns)."""


class RowRejected(ValueError):
    """This row cannot be imported; the message says why."""


@dataclass
class InventoryRow:
    number: int
    business_name: str
    owner_name: str
    nib: str
    kecamatan: str
    kelurahan: str
    address: str
    phone: str | None
    email: str | None
    product: str
    category: str | None
    unit: str
    capacity: float
    price: int | None
    moq: float
    certificates: list[str]
    grade: str
    notes: str
    warnings: list[str] = field(default_factory=list)


def parse_quantity(raw, unit: str) -> float | None:
    """'5.8 ton' for a product sold in kg → 5800; '12430 ikat' → 12430."""
    if raw is None:
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    match = re.match(r"^\s*([-\d.,\s]+?)\s*([a-zA-Z]+)?\s*$", str(raw))
    if not match:
        return None
    value = parse_number(match.group(1))
    suffix = (match.group(2) or "").lower()
    if value is None:
        return None
    if suffix and suffix != unit:
        if suffix in MASS_IN_KG and unit in MASS_IN_KG:
            value = value * MASS_IN_KG[suffix] / MASS_IN_KG[unit]
        else:
            return None
    return value


def _text(cells: dict, name: str) -> str:
    value = cells.get(name)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def parse_row(number: int, cells: dict) -> InventoryRow:
    """Validate one row (cells keyed by our field names). Raises RowRejected."""
    business_name = _text(cells, "business_name")
    if not business_name:
        raise RowRejected("missing business name")
    nib = re.sub(r"[\s.-]", "", _text(cells, "nib"))
    if not re.fullmatch(r"\d{13}", nib):
        raise RowRejected("NIB is not 13 digits")
    kecamatan = kecamatan_code(_text(cells, "kecamatan"))
    if kecamatan is None:
        raise RowRejected("unknown kecamatan")
    product = _text(cells, "product")
    if not product:
        raise RowRejected("missing product")
    unit = _text(cells, "unit").lower() or "pcs"
    capacity = parse_quantity(cells.get("capacity"), unit)
    if capacity is None or capacity < 0:
        raise RowRejected("capacity is not a number")
    price_raw = _text(cells, "price")
    price = parse_number(price_raw) if price_raw else None
    if price_raw and price is None:
        raise RowRejected("price is not a number")
    if price is not None and price < 0:
        raise RowRejected("negative price")
    moq = parse_quantity(cells.get("moq"), unit) if _text(cells, "moq") else 1.0
    if moq is None or moq < 0:
        raise RowRejected("minimum order is not a number")

    warnings: list[str] = []
    phone_raw = _text(cells, "phone")
    phone = normalise_phone(phone_raw)
    if phone_raw and phone is None:
        warnings.append("malformed phone number (imported without it)")
    email_raw = _text(cells, "email")
    email = None
    if email_raw:
        try:
            email = validate_email(email_raw, check_deliverability=False).normalized
        except EmailNotValidError:
            warnings.append("malformed email (imported without it)")
    if unit not in UNITS:
        warnings.append(f"unknown unit {unit!r} (kept as written)")
    category = CATEGORY_BY_NAME.get(_text(cells, "category").lower())
    if category is None:
        warnings.append("unknown category")
    certificates = []
    for part in re.split(r"[,;/]", _text(cells, "certificates")):
        if part.strip():
            code = certificate_code(part)
            certificates.append(code or "lainnya")
    grade = _text(cells, "grade")
    return InventoryRow(
        number=number,
        business_name=business_name,
        owner_name=_text(cells, "owner_name"),
        nib=nib,
        kecamatan=kecamatan,
        kelurahan=_text(cells, "kelurahan"),
        address=_text(cells, "address"),
        phone=phone,
        email=email,
        product=product,
        category=category,
        unit=unit,
        capacity=capacity,
        price=int(round(price)) if price is not None else None,
        moq=moq,
        certificates=sorted(set(certificates)),
        grade="" if grade in ("-", "–") else grade,
        notes=_text(cells, "notes"),
        warnings=warnings,
    )


def _find_header(rows: list[list]) -> tuple[int, dict[int, str]]:
    for index, row in enumerate(rows[:20]):
        mapping = {i: HEADERS[header_key(v)] for i, v in enumerate(row) if header_key(v) in HEADERS}
        if "business_name" in mapping.values() and "nib" in mapping.values():
            missing = [name for name in REQUIRED if name not in mapping.values()]
            if missing:
                raise InventoryFileError(f"missing required columns: {', '.join(missing)}")
            return index, mapping
    raise InventoryFileError("no header row with 'Nama Usaha' and 'NIB' in the first 20 rows")


def read_inventory(path: Path | str, data: bytes | None = None) -> tuple[list[str], list[tuple[int, dict, list]]]:
    """The header row (as written) and every data row as (sheet row number, cells by field, original cells).

    Reads the whole file first: a file that is not an inventory raises InventoryFileError before any row is used.
    """
    path = Path(path)
    raw = data if data is not None else path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(raw)
    elif path.suffix.lower() in (".csv", ".txt"):
        rows = _csv_rows(raw)
    else:
        raise InventoryFileError("the file must be CSV or XLSX")
    header_index, mapping = _find_header(rows)
    headers = ["" if v is None else " ".join(str(v).split()) for v in rows[header_index]]
    records = []
    # A row is numbered as the spreadsheet shows it (Excel's row number, a CSV's record counted from 1),
    # whatever the "No" column says: that is the number the admin looks up.
    for number, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        if not any(str(v).strip() for v in row if v is not None):
            continue
        cells = {field_name: row[i] if i < len(row) else None for i, field_name in mapping.items()}
        records.append((number, cells, list(row)))
    return headers, records


def read_rows(path: Path | str, data: bytes | None = None) -> Iterator[tuple[int, dict, list]]:
    """Yield (row number, cells by field, original cells) for every data row of a CSV or XLSX file."""
    yield from read_inventory(path, data)[1]


def _csv_rows(raw: bytes) -> list[list]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise InventoryFileError("the file is not a CSV text file")
    # Excel's CSV rules; only the delimiter varies (Excel in Indonesian locale writes ';').
    first_lines = text[:4096]
    delimiter = max(",;\t", key=first_lines.count)
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _xlsx_rows(raw: bytes) -> list[list]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InventoryFileError("the file is not a readable XLSX workbook") from exc
    try:
        sheet = workbook.active
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
