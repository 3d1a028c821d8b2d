"""Money, numbers, quantities, dates, months and phone numbers, written the Indonesian way (and the English one)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from marketplace import create_app
from marketplace.core.formatting import (
    long_date,
    months_label,
    normalise_phone,
    number,
    phone_display,
    quantity,
    unit_label,
    rupiah,
    whatsapp_url,
)


@pytest.fixture(scope="module")
def light_app(tmp_path_factory):
    """The app without a database: formatting needs only the locale, and this keeps the suite's wipe out of it."""
    return create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://",
                      UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads")))


@pytest.fixture(params=["id", "en"])
def lang(request, light_app):
    with light_app.test_request_context(f"/?lang={request.param}"):
        yield request.param


@pytest.fixture
def id_(light_app):
    with light_app.test_request_context("/"):
        yield


@pytest.fixture
def en(light_app):
    with light_app.test_request_context("/?lang=en"):
        yield


# ------------------------------------------------------------------ rupiah

@pytest.mark.parametrize("value, expected", [(12500, "Rp 12.500"), (1959300, "Rp 1.959.300"), (0, "Rp 0"),
                                             (999, "Rp 999"), (1_250_000_000, "Rp 1.250.000.000"),
                                             (12500.0, "Rp 12.500"), (None, "")])
def test_rupiah_uses_dots_for_thousands_in_every_language(lang, value, expected):
    assert rupiah(value) == expected


def test_rupiah_outside_a_request_is_still_indonesian():
    assert rupiah(12500) == "Rp 12.500"


# ------------------------------------------------------------------ numbers and quantities

@pytest.mark.parametrize("value, expected", [(1250000, "1.250.000"), (2.5, "2,5"), (2.456, "2,46"), (3.0, "3"),
                                             (0, "0"), (None, "")])
def test_numbers_in_indonesian(id_, value, expected):
    assert number(value) == expected


@pytest.mark.parametrize("value, expected", [(1250000, "1,250,000"), (2.5, "2.5"), (3.0, "3")])
def test_numbers_in_english(en, value, expected):
    assert number(value) == expected


@pytest.mark.parametrize("value, unit, expected", [
    (250, "kg", "250 kg"), (999, "kg", "999 kg"), (1000, "kg", "1 ton"), (5800, "kg", "5,8 ton"),
    (58340, "kg", "58,3 ton"), (2, "ton", "2 ton"), (3000, "butir", "3.000 butir"), (12.5, "liter", "12,5 liter"),
    (7, "kotak-besar", "7 kotak-besar"), (None, "kg", ""),
])
def test_quantities_in_indonesian_with_large_kilograms_in_tonnes(id_, value, unit, expected):
    assert quantity(value, unit) == expected


def test_quantities_in_english_translate_the_unit(en):
    assert quantity(5800, "kg") == "5.8 tonnes"
    assert quantity(3000, "butir") == "3,000 eggs"


@pytest.mark.parametrize("value, unit, expected", [
    (1, "butir", "1 egg"), (1000, "kg", "1 tonne"), (1, "sisir", "1 hand"), (2, "sisir", "2 hands"),
    (1.5, "liter", "1.5 litres"), (12, "ekor", "12 head"), (3, "kotak", "3 boxes"),
])
def test_english_amounts_agree_with_their_number(en, value, unit, expected):
    assert quantity(value, unit) == expected


def test_a_price_per_unit_names_one_unit_in_english(en):
    # "Rp 2.000 / egg", not "/ eggs"
    assert [unit_label(code) for code in ("butir", "lembar", "ton")] == ["egg", "sheet", "tonne"]


# ------------------------------------------------------------------ dates and months

# A moment is dated in WIB: 18:00 UTC on the 16th is 01:00 on the 17th in Metro (naive values from SQLite are UTC).
@pytest.mark.parametrize("value", [date(2026, 8, 17), datetime(2026, 8, 17, 3, 0, tzinfo=UTC),
                                   datetime(2026, 8, 16, 18, 0, tzinfo=UTC), datetime(2026, 8, 16, 18, 0)])
def test_long_date_in_indonesian(id_, value):
    assert long_date(value) == "17 Agustus 2026"


@pytest.mark.parametrize("month, name", [(1, "Januari"), (2, "Februari"), (3, "Maret"), (5, "Mei"), (8, "Agustus"),
                                         (10, "Oktober"), (12, "Desember")])
def test_long_date_names_the_month_in_indonesian(id_, month, name):
    assert long_date(date(2026, month, 1)) == f"1 {name} 2026"


def test_a_moment_is_dated_in_metro_time(id_):
    """20:00 UTC on the 16th is already 03:00 on the 17th in Metro (WIB, UTC+7)."""
    assert long_date(datetime(2026, 8, 16, 20, 0, tzinfo=UTC)) == "17 Agustus 2026"


def test_a_day_reads_the_same_whether_it_is_a_date_or_a_moment(lang):
    assert long_date(datetime(2026, 8, 17, 3, 0, tzinfo=UTC)) == long_date(date(2026, 8, 17))


def test_long_date_in_english(en):
    assert "August" in long_date(date(2026, 8, 17)) and "17" in long_date(date(2026, 8, 17))


def test_long_date_of_nothing_is_empty(id_):
    assert long_date(None) == ""


@pytest.mark.parametrize("mask, expected", [
    (0b111111111111, "Sepanjang tahun"),
    (0b111111100011, "Jan, Feb, Jun, Jul, Agu, Sep, Okt, Nov, Des"),
    (0b000000010000, "Mei"),
    (0b100000000001, "Jan, Des"),
])
def test_months_label_in_indonesian(id_, mask, expected):
    assert months_label(mask) == expected


@pytest.mark.parametrize("mask, expected", [(0b111111111111, "All year"), (0b000010010000, "May, Aug")])
def test_months_label_in_english(en, mask, expected):
    assert months_label(mask) == expected


# ------------------------------------------------------------------ phone numbers

@pytest.mark.parametrize("stored, shown", [
    ("+6281234567890", "+62 812-3456-7890"),
    ("+628123456789", "+62 812-3456-789"),
    ("+6285275771046", "+62 852-7577-1046"),
    (None, ""),
    ("", ""),
])
def test_phone_display_groups_the_digits(stored, shown):
    assert phone_display(stored) == shown


def test_whatsapp_link_uses_the_digits_only():
    assert whatsapp_url("+6281234567890") == "https://wa.me/6281234567890"


@pytest.mark.parametrize("raw", [
    "0812-3456-7890", "081234567890", "0812 3456 7890", "(0812) 3456-7890", "6281234567890", "62-812-3456-7890",
    "+6281234567890", "+62-812-3456-7890", "+62 812 3456 7890", "+62 812-3456-7890", "81234567890",
    "+62 (0)812-3456-7890", "+62 0812 3456 7890", "0062 812 3456 7890", "0062 0812 3456 7890", " 0812.3456.7890 ",
])
def test_normalise_phone_accepts_the_usual_ways_of_writing_a_number(raw):
    assert normalise_phone(raw) == "+6281234567890"


@pytest.mark.parametrize("raw, expected", [("(0725) 41234", "+6272541234"), ("0725-41234", "+6272541234"),
                                           ("628123456789", "+628123456789")])
def test_normalise_phone_keeps_landlines_and_shorter_mobiles(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "abc", "bukan nomor", "12", "0812", "62", "+62", "0812345678901234",
                                 "+1 555 0100", "+44 20 7946 0958", "+65 8123 4567", "1-800-123-4567",
                                 "=HYPERLINK(\"x\")"])
def test_normalise_phone_rejects_what_is_not_an_indonesian_number(raw):
    assert normalise_phone(raw) is None


def test_a_normalised_number_displays_as_it_should(raw="0812-3456-7890"):
    assert phone_display(normalise_phone(raw)) == "+62 812-3456-7890"
