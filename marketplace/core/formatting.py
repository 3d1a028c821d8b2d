"""Formatting of money, quantities, dates and phone numbers, the Indonesian way.

Registered as Jinja filters in the app factory; usable from Python too.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from babel import numbers as babel_numbers
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from marketplace.core import clock
from marketplace.core.vocab import (AUDIT_ACTIONS, BUYER_TYPES, CERTIFICATES, CONTRACT_STATUS, DELIVERY_CITIES,
                              DELIVERY_STATUS, DELIVERY_TERMS, FREQUENCIES, KECAMATAN, MASS_IN_KG, PRICE_BASIS_SHORT,
                              QUOTATION_STATUS, ROLES, STORAGE, UNIT_AMOUNTS, UNITS)

MONTH_NAMES = {
    "id": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def number(value: float | int | None, digits: int = 2) -> str:
    """1250000 → '1.250.000' (id) or '1,250,000' (en); 2.5 → '2,5' (id)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _number(value, digits, str(get_locale()))


@lru_cache(maxsize=8192)
def _number(value: float | int, digits: int, _locale: str) -> str:
    fmt = "#,##0" if isinstance(value, int) else "#,##0." + "#" * digits
    return format_decimal(value, format=fmt)


def rupiah(value: int | None) -> str:
    """12500 → 'Rp 12.500' — in every language: Rupiah amounts are always written the Indonesian way."""
    if value is None:
        return ""
    return f"Rp {babel_numbers.format_decimal(int(value), format='#,##0', locale='id')}"


def _label(table: str, code: str) -> str:
    """A code's translated label from one of the vocabularies below, for the current locale."""
    return _cached_label(table, code, str(get_locale()))


@lru_cache(maxsize=4096)
def _cached_label(table: str, code: str, _locale: str) -> str:
    return str(_LABELS[table].get(code, code))


def unit_label(code: str) -> str:
    return _label("unit", code)


def quantity(value: float | None, unit: str) -> str:
    """Quantity with its unit; large kilogram figures read in tonnes ('2,5 ton')."""
    if value is None:
        return ""
    return _quantity(value, unit, str(get_locale()))


def form_number(value: float) -> str:
    """A stored number back into a form field, written the Indonesian way without grouping (2,5 — 1000)."""
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def exact_quantity(value: float | None, unit: str) -> str:
    """A quantity agreed to the kilogram (a quotation, a contract line, a delivery): 12.250 kg reads '12,25 ton',
    not the summary's '12,2 ton'."""
    if value is None:
        return ""
    return _quantity(value, unit, str(get_locale()), 3)


# A list page writes the same few quantities and days dozens of times; Babel takes tens of microseconds for each.
# The locale is part of the key, and the text is made under that same (current) locale.
@lru_cache(maxsize=8192)
def _quantity(value: float, unit: str, _locale: str, digits: int = 1) -> str:
    if unit == "kg" and value >= 1000:
        value, unit, text = value / 1000, "ton", number(value / 1000, digits)
    else:
        text = number(value)
    amount = UNIT_AMOUNTS.get(unit)
    if not amount:
        return f"{text} {unit_label(unit)}"
    # Plural rules take whole numbers; a fraction reads as plural ("1.5 litres"), as CLDR has it for English.
    return amount(int(value) if float(value).is_integer() else 2, text)


def round_amount(value: float | None, unit: str) -> float | int | None:
    """A worked-out figure (a sum, an average, a share of a month) to a sensible precision for its unit: whole
    pieces of a countable unit (no "1.606,67 butir"), whole kilograms from 10 kg (one decimal below), at most two
    decimals of a ton or kuintal."""
    if value is None:
        return None
    if unit not in MASS_IN_KG:
        return int(round(value))
    if unit == "kg":
        return int(round(value)) if abs(value) >= 10 else round(value, 1)
    return round(value, 2)


def rounded_quantity(value: float | None, unit: str) -> str:
    """A worked-out figure with its unit, rounded by `round_amount` ('12,5 ton', '1.607 butir')."""
    if value is None:
        return ""
    rounded = round_amount(value, unit)
    return quantity(float(rounded), unit)


def volume_phrase(quantity: float | None, unit: str, frequency: str, periods: int | None,
                  starts_on: date | None) -> str:
    """A volume in words, with its period, its duration and its start:
    '20 ton per bulan selama 12 bulan, mulai Januari 2027' ('20 ton per month for 12 months, from January 2027');
    a one-off order: '5 ton, sekali kirim, Maret 2027'. A weekly order starts on a day ('mulai 4 Januari 2027')."""
    if quantity is None:
        return ""
    amount = _quantity(float(quantity), unit, str(get_locale()))
    count = max(int(periods or 1), 1)
    if frequency == "monthly":
        text = ngettext("%(quantity)s per bulan selama %(num)s bulan", "%(quantity)s per bulan selama %(num)s bulan",
                        count, quantity=amount)
        start = month_year(starts_on)
    elif frequency == "weekly":
        text = ngettext("%(quantity)s per minggu selama %(num)s minggu", "%(quantity)s per minggu selama %(num)s minggu",
                        count, quantity=amount)
        start = long_date(starts_on) if starts_on else ""
    elif frequency != "once":  # a code this version does not know: said as it is, never hidden
        return f"{amount}, {frequency_label(frequency)}"
    else:
        return (gettext("%(quantity)s, sekali kirim, %(start)s", quantity=amount, start=month_year(starts_on))
                if starts_on else gettext("%(quantity)s, sekali kirim", quantity=amount))
    return gettext("%(volume)s, mulai %(start)s", volume=text, start=start) if start else text


def iso_date(text: str | None) -> date | None:
    """A date stored as ISO text (in JSON data) back as a date; None for anything else."""
    try:
        return date.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def inquiry_volume(inquiry) -> str:
    """An inquiry's (or anything with its fields') volume in words: volume_phrase of its own figures."""
    return volume_phrase(inquiry.quantity, inquiry.unit, inquiry.frequency, inquiry.periods, inquiry.starts_on)


def line_volume(line) -> str:
    """One line of a request for several listings, in words: its own quantity per period for the inquiry's period
    and duration ('2 ton per bulan selama 6 bulan'); the start is the inquiry's, said once with its total."""
    inquiry = line.inquiry
    return volume_phrase(line.quantity, line.unit, inquiry.frequency, inquiry.periods, None)


def long_date(value: date | datetime | None) -> str:
    """'17 Agustus 2026' ('August 17, 2026'); a moment is dated in Metro's time (WIB), so both kinds read alike."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.in_wib(value).date()
    return _long_date(value, str(get_locale()))


@lru_cache(maxsize=4096)
def _long_date(day: date, _locale: str) -> str:
    return format_date(day, "long")


def month_year(value: date | None) -> str:
    """'November 2026' — a calendar month, in the current language."""
    if value is None:
        return ""
    return format_date(value, "LLLL yyyy")


def phone_display(e164: str | None) -> str:
    """'+6281234567890' → '+62 812-3456-7890'."""
    if not e164:
        return ""
    digits = re.sub(r"\D", "", e164)
    if not digits.startswith("62"):
        return e164
    rest = digits[2:]
    groups = [rest[:3], rest[3:7], rest[7:]]
    return "+62 " + "-".join(g for g in groups if g)


def whatsapp_url(e164: str | None) -> str:
    return "https://wa.me/" + re.sub(r"\D", "", e164 or "")


def normalise_phone(raw: str | None) -> str | None:
    """Indonesian numbers in any common writing → E.164 ('+62…'); None when it is not a phone number."""
    if not raw:
        return None
    digits = re.sub(r"\D", "", str(raw))
    if digits.startswith("00"):  # international prefix: 0062 812…
        digits = digits[2:]
    if digits.startswith("620"):  # the trunk 0 kept after the country code: +62 (0)812…, +62 0812…
        digits = "62" + digits[3:]
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    if not digits.startswith("62"):
        return None
    # Indonesian mobile and landline numbers have 8–12 digits after the country code.
    if not 8 <= len(digits) - 2 <= 12:
        return None
    return "+" + digits


def months_label(mask: int) -> str:
    names = MONTH_NAMES.get(str(get_locale()), MONTH_NAMES["id"])
    months = [names[m] for m in range(12) if mask & (1 << m)]
    if len(months) == 12:
        return str(_l("Sepanjang tahun"))
    return ", ".join(months)


def kecamatan_label(code: str) -> str:
    return KECAMATAN.get(code, code)


def certificate_label(code: str) -> str:
    return _label("certificate", code)


def storage_label(code: str) -> str:
    return _label("storage", code)


def nl2br(text: str | None) -> Markup:
    """Paragraphs of user text, escaped, with line breaks kept."""
    escaped = Markup.escape(text or "")
    return Markup("<br>").join(escaped.split("\n"))


INQUIRY_STATUS = {
    "new": _l("Baru, menunggu fasilitator"),
    "in_review": _l("Diperiksa fasilitator"),
    "forwarded": _l("Diteruskan ke produsen"),
    "responded": _l("Produsen menjawab"),
    "negotiating": _l("Negosiasi"),
    "agreed": _l("Sepakat"),
    "closed": _l("Selesai"),
    "declined": _l("Tidak dapat dipenuhi"),
    "spam": _l("Spam"),
    "cancelled": _l("Dibatalkan"),
}


def inquiry_status(code: str | None) -> str:
    return _label("inquiry_status", code or "")


def buyer_type_label(code: str) -> str:
    return _label("buyer_type", code)


def frequency_label(code: str) -> str:
    return _label("frequency", code)


def delivery_city_label(code: str) -> str:
    return DELIVERY_CITIES.get(code, code)


def role_label(code: str | None) -> str:
    return _label("role", code or "")


def audit_action(code: str | None) -> str:
    """'product.graded' → 'Nilai kurasi diberikan' ('Curation grade given')."""
    return _label("audit_action", code or "")


_LABELS = {"unit": UNITS, "certificate": CERTIFICATES, "storage": STORAGE, "inquiry_status": INQUIRY_STATUS,
           "buyer_type": BUYER_TYPES, "frequency": FREQUENCIES, "role": ROLES, "audit_action": AUDIT_ACTIONS,
           "terms": DELIVERY_TERMS, "quotation_status": QUOTATION_STATUS, "contract_status": CONTRACT_STATUS,
           "delivery_status": DELIVERY_STATUS, "price_basis_short": PRICE_BASIS_SHORT}


def date_time(value: datetime | None) -> str:
    """'17 Agu 2026 14.05' ('17 Aug 2026 14:05') — a moment, in WIB (the app's time zone), to the minute."""
    if value is None:
        return ""
    return format_datetime(value, "d MMM yyyy HH.mm" if str(get_locale()) == "id" else "d MMM yyyy HH:mm")


def per_period(frequency: str | None) -> str:
    """What a quantity is counted per: 'per bulan', 'per minggu', or 'sekali kirim' for a one-off order."""
    from flask_babel import gettext as _

    return {"monthly": _("per bulan"), "weekly": _("per minggu")}.get(frequency or "", _("sekali kirim"))


def delivery_terms(code: str | None) -> str:
    return _label("terms", code or "loco")


def price_basis_short(code: str | None) -> str:
    """A listing's price basis as short as a card holds it: 'loco Metro', 'franco Jakarta, termasuk ongkir'."""
    return _label("price_basis_short", code or "loco")


def status_label(table: str):
    return lambda code: _label(table, str(code))


FILTERS = {
    "exact_quantity": exact_quantity,
    "quotation_status": status_label("quotation_status"),
    "contract_status": status_label("contract_status"),
    "delivery_status": status_label("delivery_status"),
    "per_period": per_period,
    "delivery_terms": delivery_terms,
    "price_basis_short": price_basis_short,
    "role": role_label,
    "audit_action": audit_action,
    "date_time": date_time,
    "inquiry_status": inquiry_status,
    "buyer_type": buyer_type_label,
    "frequency": frequency_label,
    "delivery_city": delivery_city_label,
    "number": number,
    "rupiah": rupiah,
    "quantity": quantity,
    "rounded_quantity": rounded_quantity,
    "volume_phrase": volume_phrase,
    "volume": inquiry_volume,
    "line_volume": line_volume,
    "iso_date": iso_date,
    "unit_label": unit_label,
    "long_date": long_date,
    "month_year": month_year,
    "phone": phone_display,
    "whatsapp_url": whatsapp_url,
    "months_label": months_label,
    "kecamatan": kecamatan_label,
    "certificate": certificate_label,
    "storage": storage_label,
    "nl2br": nl2br,
}
