"""The city's UMKM inventory: the sample parses to exactly the expected rows; numbers are read the Indonesian way."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from marketplace.city.importer import (
    InventoryFileError,
    RowRejected,
    parse_quantity,
    parse_row,
    read_rows,
)
from marketplace.core.text import parse_number

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CSV = FIXTURES / "inventaris-umkm-metro.csv"
XLSX = FIXTURES / "inventaris-umkm-metro.xlsx"
EXPECT = json.loads((FIXTURES / "inventaris-umkm-metro.expect.json").read_text(encoding="utf-8"))


def parse(path: Path, data: bytes | None = None):
    """(valid rows, rejection reasons) for a whole file, by the "No" column (how the .expect.json names the
    sample's rows; the row number the import reports is the sheet's own, see the last test)."""
    valid, rejected = {}, {}
    for number, cells, _original in read_rows(path, data):
        no = int(float(cells["no"])) if str(cells.get("no") or "").strip() else number
        try:
            valid[no] = parse_row(number, cells)
        except RowRejected as exc:
            rejected[no] = str(exc)
    return valid, rejected


@pytest.fixture(scope="module", params=["csv", "xlsx"])
def sample(request):
    return parse(CSV if request.param == "csv" else XLSX)


# ------------------------------------------------------------------ the sample inventory

def test_the_sample_gives_exactly_the_expected_valid_rows(sample):
    valid, _ = sample
    assert sorted(valid) == EXPECT["valid"]


def test_the_sample_rejects_exactly_the_expected_rows_for_the_expected_reasons(sample):
    _, rejected = sample
    assert {str(n): reason for n, reason in rejected.items()} == EXPECT["rejected"]


def test_the_sample_names_the_expected_number_of_producers(sample):
    valid, _ = sample
    assert len({row.nib for row in valid.values()}) == EXPECT["producers_expected"]


def test_row_35_keeps_its_row_but_drops_the_malformed_email_with_a_warning(sample):
    valid, _ = sample
    row = valid[35]
    assert row.email is None
    assert row.warnings == ["malformed email (imported without it)"]


def test_only_row_35_carries_a_warning(sample):
    valid, _ = sample
    assert {n for n, row in valid.items() if row.warnings} == {35}


def test_row_44s_formula_is_kept_as_plain_text(sample):
    valid, _ = sample
    assert valid[44].business_name == '=HYPERLINK("http://evil.example","klik")'


def test_row_61_is_a_second_product_of_row_3s_producer(sample):
    valid, _ = sample
    first, second = valid[3], valid[61]
    assert (second.nib, second.business_name) == (first.nib, first.business_name) == ("3883685957489",
                                                                                      "KWT Mawar Melati")
    assert (first.product, second.product) == ("Kain Tapis Lampung", "Daging Sapi Segar")


def test_csv_and_xlsx_give_the_same_records():
    from_csv, rejected_csv = parse(CSV)
    from_xlsx, rejected_xlsx = parse(XLSX)
    assert rejected_csv == rejected_xlsx
    assert {n: vars(r) | {"number": None} for n, r in from_csv.items()} == \
        {n: vars(r) | {"number": None} for n, r in from_xlsx.items()}  # the same record on another sheet row


def test_the_xlsx_header_sits_below_a_title_block():
    sheet = load_workbook(XLSX, read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(max_row=EXPECT["header_row_in_xlsx"], values_only=True)]
    assert "Nama Usaha" not in rows[0]
    assert "Nama Usaha" in rows[EXPECT["header_row_in_xlsx"] - 1]


@pytest.mark.parametrize("number, field, expected", [
    (1, "kecamatan", "metro-utara"),          # 'Metro Utara'
    (2, "kecamatan", "metro-timur"),          # 'METRO TIMUR'
    (1, "phone", "+6282208377835"),           # '0822-0837-7835'
    (2, "phone", "+628537812865"),            # '628537812865'
    (3, "phone", "+628958675650"),            # '+62-8958675650'
    (3, "price", 1959300),                    # '1.959.300'
    (19, "capacity", 5800.0),                 # '5.8 ton' of a product sold in kg
    (25, "capacity", 58340.0),                # '58.34 ton'
    (35, "capacity", 35460.0),                # '35460 kg'
    (25, "price", 11000),                     # 'Rp 11.000'
    (32, "price", 16300),                     # '16.300'
    (1, "category", "telur"),
    (2, "certificates", ["hki"]),
    (5, "certificates", ["halal", "pirt"]),   # 'Halal, PIRT'
    (10, "certificates", ["organik", "sni"]),
    (5, "nib", "0278683873806"),              # the leading zero survives
])
def test_cells_are_normalised(sample, number, field, expected):
    valid, _ = sample
    assert getattr(valid[number], field) == expected


# ------------------------------------------------------------------ numbers

@pytest.mark.parametrize("raw, expected", [
    ("1.959.300", 1959300), ("Rp 14.300", 14300), ("Rp14.300", 14300), ("rp 1.000.000", 1000000),
    ("2,5", 2.5), ("5.8", 5.8), ("1.000,50", 1000.5), ("26.700", 26700), ("12430", 12430), ("0", 0),
    ("-5000", -5000), (" 3 500 ", 3500), ("1\u00a0250", 1250), (42, 42), (2.5, 2.5),
])
def test_numbers_are_read_the_indonesian_way(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "banyak", "±100", "1e999", "inf", "nan", "1.2.3.4,5,6", "=1+1", "12 ton"])
def test_what_is_not_a_number_is_none(raw):
    assert parse_number(raw) is None


@pytest.mark.parametrize("raw, unit, expected", [
    ("5.8 ton", "kg", 5800), ("5,8 ton", "kg", 5800), ("2 kuintal", "kg", 200), ("500 kg", "ton", 0.5),
    ("35460 kg", "kg", 35460), ("12430 ikat", "ikat", 12430), ("700 lembar", "lembar", 700), ("1.500", "kg", 1500),
    (6340, "butir", 6340), ("2 TON", "kg", 2000),
])
def test_quantities_convert_between_mass_units(raw, unit, expected):
    assert parse_quantity(raw, unit) == pytest.approx(expected)


@pytest.mark.parametrize("raw, unit", [("5 butir", "kg"), ("2 ton", "ikat"), ("banyak", "kg"), ("kg", "kg"),
                                       (None, "kg")])
def test_quantities_in_an_unrelated_unit_or_without_a_number_are_none(raw, unit):
    assert parse_quantity(raw, unit) is None


# ------------------------------------------------------------------ single rows

BASE = {"business_name": "Gapoktan Contoh", "nib": "1234567890123", "kecamatan": "Metro Barat",
        "product": "Beras Premium", "unit": "kg", "capacity": "1000", "price": "12000"}


@pytest.mark.parametrize("change, reason", [
    ({"business_name": "  "}, "missing business name"),
    ({"nib": "12345"}, "NIB is not 13 digits"),
    ({"nib": "12345678901234"}, "NIB is not 13 digits"),
    ({"nib": "123456789012A"}, "NIB is not 13 digits"),
    ({"kecamatan": "Metro Tengah"}, "unknown kecamatan"),
    ({"kecamatan": ""}, "unknown kecamatan"),
    ({"product": ""}, "missing product"),
    ({"capacity": "banyak"}, "capacity is not a number"),
    ({"capacity": "-5"}, "capacity is not a number"),
    ({"price": "-5000"}, "negative price"),
    ({"price": "mahal"}, "price is not a number"),
    ({"moq": "sedikit"}, "minimum order is not a number"),
])
def test_a_row_without_its_identity_or_with_bad_numbers_is_rejected(change, reason):
    with pytest.raises(RowRejected, match=reason):
        parse_row(1, {**BASE, **change})


@pytest.mark.parametrize("change, warning", [
    ({"phone": "12"}, "malformed phone number (imported without it)"),
    ({"email": "bukan-email@"}, "malformed email (imported without it)"),
    ({"unit": "gantang"}, "unknown unit 'gantang' (kept as written)"),
    ({"category": "Elektronik"}, "unknown category"),
])
def test_a_bad_optional_field_keeps_the_row_with_a_warning(change, warning):
    row = parse_row(1, {**BASE, "category": "Beras & Serealia", **change})
    assert warning in row.warnings


@pytest.mark.parametrize("nib", ["1234 5678 90123", "1234-5678-90123", "1234.5678.90123", 1234567890123.0])
def test_a_nib_written_with_separators_or_as_a_spreadsheet_number_is_accepted(nib):
    assert parse_row(1, {**BASE, "nib": nib}).nib == "1234567890123"


def test_text_cells_are_kept_as_written_never_evaluated():
    row = parse_row(1, {**BASE, "business_name": "=1+1", "owner_name": "@SUM(A1)", "address": "+62 Jl. X",
                        "grade": "-"})
    assert (row.business_name, row.owner_name, row.address, row.grade) == ("=1+1", "@SUM(A1)", "+62 Jl. X", "")


def test_certificates_are_read_from_a_list_of_names():
    row = parse_row(1, {**BASE, "certificates": "Halal; P-IRT, BPOM MD / Organic, ISO 22000"})
    assert row.certificates == ["bpom_md", "halal", "lainnya", "organik", "pirt"]


# ------------------------------------------------------------------ whole files

def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip_not_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize("name, data", [
    ("inventaris.pdf", b"%PDF-1.7\n"),
    ("inventaris.docx", b"PK\x03\x04"),
    ("inventaris.xlsx", b"this is not a workbook"),
    ("inventaris.xlsx", b""),
    ("inventaris.xlsx", XLSX.read_bytes()[:1500]),
    ("inventaris.xlsx", _zip_not_xlsx()),
    ("inventaris.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("inventaris.csv", "No,Nama Usaha\n".encode("utf-16")),
])
def test_a_file_that_is_not_a_spreadsheet_is_refused(name, data):
    with pytest.raises(InventoryFileError):
        list(read_rows(name, data))


@pytest.mark.parametrize("name, data", [
    ("inventaris.csv", b""),
    ("inventaris.csv", b"a,b,c\n1,2,3\n"),
    ("inventaris.csv", CSV.read_bytes().split(b"\n", 1)[1]),  # the sample without its header line
    ("inventaris.xlsx", _xlsx([["a", "b"], [1, 2]])),
])
def test_a_file_without_a_header_row_is_refused(name, data):
    with pytest.raises(InventoryFileError, match="no header row"):
        list(read_rows(name, data))


def test_a_header_without_a_required_column_is_refused():
    with pytest.raises(InventoryFileError, match="missing required columns: kecamatan"):
        list(read_rows("x.csv", "Nama Usaha,NIB,Produk\nA,1234567890123,Beras\n".encode()))


def test_a_semicolon_csv_from_excel_reads_like_the_comma_one():
    rows = list(csv.reader(io.StringIO(CSV.read_text(encoding="utf-8"))))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    valid, rejected = parse(Path("inventaris.csv"), buffer.getvalue().encode("utf-8-sig"))
    assert sorted(valid) == EXPECT["valid"] and {str(n): r for n, r in rejected.items()} == EXPECT["rejected"]


def test_a_windows_1252_csv_is_read():
    data = "Nama Usaha,NIB,Kecamatan,Produk,Kapasitas\nCafé Metro,1234567890123,Metro Pusat,Kopi,10\n"
    (row,) = [parse_row(n, cells) for n, cells, _ in read_rows("x.csv", data.encode("cp1252"))]
    assert row.business_name == "Café Metro"


def test_row_numbers_are_the_rows_the_spreadsheet_shows_whatever_the_no_column_says():
    data = "Nama Usaha,NIB,Kecamatan,Produk\nA,1234567890123,Metro Pusat,Beras\n\nB,1234567890124,Metro Pusat,Telur\n"
    assert [n for n, _, _ in read_rows("x.csv", data.encode())] == [2, 4]
    titled = "Inventaris UMKM\n\nNo,Nama Usaha,NIB,Kecamatan,Produk\n7,A,1234567890123,Metro Pusat,Beras\n"
    assert [n for n, _, _ in read_rows("x.csv", titled.encode())] == [4]


@pytest.mark.parametrize("path, header_row", [(CSV, 1), (XLSX, EXPECT["header_row_in_xlsx"])])
def test_the_samples_rows_are_numbered_as_excel_shows_them(path, header_row):
    numbers = {int(float(cells["no"])): number for number, cells, _ in read_rows(path)}
    assert all(number == no + header_row for no, number in numbers.items())
