"""The buyer's inquiry form: no account, server-side validation, quiet spam defences."""
from __future__ import annotations

import os
import secrets
from enum import Enum

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from marketplace.core import clock
from marketplace.core import units
from marketplace.core.forms import (Choice, DayField, Form, IdList, NumberText, PhoneNumber, QueryForm,
                                    WholeNumber)
from marketplace.core.vocab import BUYER_TYPES, DELIVERY_CITIES, FREQUENCIES, UNITS

_REQUIRED = _l("Wajib diisi.")
MAX_PERIODS = 60
PERIOD_CHOICES = {"once": _l("Sekali kirim"), "weekly": _l("Per minggu"), "monthly": _l("Per bulan")}
# Nobody types a company, a name and a quantity faster than that.
MIN_FILL_SECONDS = float(os.environ.get("INQUIRY_MIN_FILL_SECONDS", 3))
# A form older than that is given again (with what was typed) under a new token: a token copied off a page
# cannot be kept for later.
MAX_FORM_AGE_SECONDS = int(os.environ.get("INQUIRY_FORM_MAX_AGE_SECONDS", 12 * 3600))
# The forms this browser was given lately (a few tabs); a copy of one of them sent again shows its inquiry.
_SESSION_KEY = "inquiry_forms"
_SESSION_FORMS = 5


class Stamp(Enum):
    """What the form's token and stamp say about the form that came back."""

    FRESH = "fresh"        # issued here, filled in a plausible time
    TOO_FAST = "too fast"  # issued here a moment ago: autofill, a returning buyer, or a script
    STALE = "stale"        # expired, or not issued by this site


def _token_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="inquiry-form-token")


def _stamp_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="inquiry-form-started")


# A request names at most as many listings as the compare view shows side by side.
MAX_LINES = 4


class SubjectArgs(QueryForm):
    """What the form is about: `?product=<id>` (several for a request with one line per listing, from the compare
    view: `?product=3&product=7`) or `?producer=<slug>`; and the quantity typed on the compare view, which fills
    the lines in (`qty`, `unit`)."""

    product = IdList(limit=MAX_LINES)
    producer = StringField()
    qty = NumberText(allow_zero=False)
    unit = Choice(choices=tuple(UNITS))

    def products(self) -> list[int]:
        return self.product.data or []

    def asked(self) -> tuple[float, str] | None:
        """The quantity brought from the compare view, or None."""
        quantity, unit = (None if self.qty.errors else self.qty.number), self.value("unit")
        return (quantity, unit) if quantity is not None and unit else None


class InquiryForm(Form):
    company = StringField(_l("Nama perusahaan"), validators=[DataRequired(_REQUIRED), Length(max=160)],
                          render_kw={"autocomplete": "organization"})
    buyer_type = SelectField(_l("Jenis usaha"), choices=[("", "—")] + [(k, v) for k, v in BUYER_TYPES.items()],
                             validators=[DataRequired(_l("Pilih jenis usaha."))])
    contact_name = StringField(_l("Nama kontak"), validators=[DataRequired(_REQUIRED), Length(max=120)],
                               render_kw={"autocomplete": "name"})
    email = EmailField(_l("Email"), validators=[DataRequired(_REQUIRED), Email(_l("Alamat email tidak valid.")),
                                                Length(max=254)], render_kw={"autocomplete": "email"})
    phone = TelField(_l("Nomor HP/WhatsApp"), validators=[DataRequired(_REQUIRED), Length(max=30), PhoneNumber()],
                     render_kw={"autocomplete": "tel", "inputmode": "tel"})
    company_id_number = StringField(_l("NIB atau NPWP perusahaan (opsional)"), validators=[Optional(), Length(max=30)],
                                    description=_l("Mempercepat verifikasi oleh fasilitator."))
    quantity = NumberText(_l("Jumlah per periode"), validators=[DataRequired(_REQUIRED)], allow_zero=False)
    unit = SelectField(_l("Satuan"), choices=[(k, v) for k, v in UNITS.items()])
    # The keys are vocab.FREQUENCIES; the labels say the period the volume is for.
    frequency = SelectField(_l("Pengiriman"), choices=[(k, PERIOD_CHOICES[k]) for k in FREQUENCIES])
    periods = WholeNumber(_l("Berapa kali (periode)"), validators=[Optional()], minimum=1, maximum=MAX_PERIODS,
                          description=_l("Untuk pesanan berulang, misalnya 12 bulan. Diabaikan untuk sekali kirim."))
    starts_on = DayField(_l("Mulai dikirim (opsional)"), validators=[Optional()],
                         description=_l("Kosongkan: mulai pada tanggal dibutuhkan, atau awal bulan depan."))
    target_price = NumberText(_l("Harga yang diharapkan per satuan (Rp, opsional)"), allow_zero=False)
    delivery_city = SelectField(_l("Kota pengiriman"), choices=[("", "—")] + list(DELIVERY_CITIES.items()),
                                validators=[DataRequired(_l("Pilih kota pengiriman."))])
    needed_by = DayField(_l("Dibutuhkan paling lambat (opsional)"), validators=[Optional()])
    message = TextAreaField(_l("Pesan"), validators=[Optional(), Length(max=3000)],
                            description=_l("Spesifikasi, kemasan, jadwal pengiriman, atau pertanyaan lain."))
    form_token = HiddenField()
    started = HiddenField()
    acknowledged = HiddenField()
    # A field people never see (hidden by CSS and from assistive technology); bots fill it in.
    website = StringField(_l("Jangan diisi"), render_kw={"autocomplete": "off", "tabindex": "-1"})


    def validate_needed_by(self, field):
        if field.data and field.data < clock.today():
            raise ValidationError(_l("Tanggal sudah lewat."))

    def validate_starts_on(self, field):
        if field.data and field.data < clock.today():
            raise ValidationError(_l("Tanggal sudah lewat."))

    def volume(self) -> dict:
        """The volume asked: per period, how many periods, from when. A one-off order has one period; without a
        start date it starts on the needed-by date, or else on the first of next month."""
        frequency = self.frequency.data if self.frequency.data in FREQUENCIES else "once"
        periods = 1 if frequency == "once" else (self.periods.data or 1)
        return {"quantity": self.quantity.number, "unit": self.unit.data, "frequency": frequency,
                "periods": periods, "starts_on": self.starts_on.data or self.needed_by.data or first_of_next_month()}

    def phrase(self) -> str:
        """The volume in words, once the figures it needs were typed correctly (shown back beside the form)."""
        from marketplace.core.formatting import volume_phrase

        if self.quantity.number is None or self.quantity.errors or self.periods.errors or self.starts_on.errors \
                or self.unit.data not in UNITS:
            return ""
        return volume_phrase(**self.volume())

    def issue(self) -> None:
        """A new one-time token for this form, signed with the time it was given and remembered in the session."""
        nonce = secrets.token_urlsafe(24)
        self.form_token.data = _token_signer().dumps(nonce)
        self.started.data = _stamp_signer().dumps(nonce)
        session[_SESSION_KEY] = (session.get(_SESSION_KEY) or [])[-(_SESSION_FORMS - 1):] + [nonce]

    @property
    def nonce(self) -> str | None:
        """The token's secret part (stored with the inquiry, once), or None for a token this site did not issue."""
        try:
            nonce = _token_signer().loads(self.form_token.data or "")
        except BadSignature:
            return None
        return nonce if isinstance(nonce, str) else None

    def stamp(self) -> Stamp:
        nonce = self.nonce
        try:
            stamped, age = _stamp_signer().loads(self.started.data or "", max_age=MAX_FORM_AGE_SECONDS,
                                                 return_timestamp=True)
        except (SignatureExpired, BadSignature):
            return Stamp.STALE
        if nonce is None or stamped != nonce:
            return Stamp.STALE
        return Stamp.TOO_FAST if (clock.now() - age).total_seconds() < MIN_FILL_SECONDS else Stamp.FRESH

    def issued_to_this_browser(self) -> bool:
        return self.nonce is not None and self.nonce in (session.get(_SESSION_KEY) or [])

    def is_a_bot(self) -> bool:
        """Only the field no person sees, filled in: that alone may be answered with a silent fake success."""
        return bool((self.website.data or "").strip())

    def values(self) -> dict:
        return {
            "company": self.company.data.strip(), "buyer_type": self.buyer_type.data,
            "contact_name": self.contact_name.data.strip(), "email": self.email.data.strip().lower(),
            "phone": self.phone.data, "company_id_number": (self.company_id_number.data or "").strip(),
            **self.volume(),
            "target_price": int(round(self.target_price.number)) if self.target_price.number else None,
            "delivery_city": self.delivery_city.data, "needed_by": self.needed_by.data,
            "message": (self.message.data or "").strip(),
        }


def line_units(product) -> list[tuple[str, object]]:
    """The units a line for `product` may be typed in: those that convert into the listing's unit."""
    return [(code, label) for code, label in UNITS.items() if units.convertible(code, product.unit, product.kg_per_unit)]


def summed_in(product, unit: str) -> str:
    """The unit a line's quantity is added up in: kilograms for whatever weighs (mass, or the listing's own
    countable unit with a stated weight), else the countable unit itself."""
    if units.is_mass(unit) or (unit == product.unit and units.kg_per(unit, product.kg_per_unit) is not None):
        return units.KG
    return unit


class InquiryLinesForm(InquiryForm):
    """The inquiry form of a request for several listings: one line per listing, each with its own quantity per
    period (`qty-<id>`) and unit (`unit-<id>`, the listing's unit by default, or one that converts into it); the
    rest is shared. The inquiry's quantity is the lines' total in one unit, so lines whose units cannot be added
    up (kg and ekor without a weight) are refused beside the field."""

    quantity = None
    unit = None

    @classmethod
    def for_listings(cls, listings, **kwargs) -> InquiryLinesForm:
        form_class = type("InquiryLinesForm", (cls,), {})
        for product in listings:
            setattr(form_class, f"qty-{product.id}", NumberText(_l("Jumlah per periode"),
                                                                 validators=[DataRequired(_REQUIRED)],
                                                                 allow_zero=False))
            setattr(form_class, f"unit-{product.id}", SelectField(_l("Satuan"), choices=line_units(product),
                                                                  default=product.unit))
        form = form_class(**kwargs)
        form.listings = list(listings)
        return form

    def line_fields(self) -> list[tuple[object, object, object]]:
        """(listing, its quantity field, its unit field), in the order the listings were named."""
        return [(p, self[f"qty-{p.id}"], self[f"unit-{p.id}"]) for p in self.listings]

    def fill(self, asked: tuple[float, str] | None) -> None:
        """Each line in its listing's unit; the quantity brought from the compare view, converted, when it converts."""
        from marketplace.core.formatting import form_number

        for product, quantity, unit in self.line_fields():
            unit.data = product.unit
            if asked is not None:
                try:
                    amount = units.convert(asked[0], asked[1], product.unit, product.kg_per_unit)
                except units.UnitMismatch:
                    continue
                quantity.data = form_number(round(amount, 3))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        lines = [(p, q, u) for p, q, u in self.line_fields() if q.number is not None and not u.errors]
        if lines:
            first_product, _q, first_unit = lines[0]
            common = summed_in(first_product, first_unit.data)
            for product, _quantity, unit in lines[1:]:
                if summed_in(product, unit.data) != common:
                    unit.errors = [*unit.errors, _l(
                        "Satuan ini tidak dapat dijumlahkan dengan baris pertama (%(unit)s). Kirim produk ini "
                        "dalam permintaan terpisah.", unit=UNITS.get(first_unit.data, first_unit.data))]
                    valid = False
        return valid

    def lines(self) -> list[tuple[object, float, str]]:
        """(listing, quantity per period, unit) per line; call after validate()."""
        return [(p, q.number, u.data) for p, q, u in self.line_fields()]

    def total(self) -> tuple[float, str]:
        """The lines' total per period and its unit: their own unit when all are typed in one mass unit (or one
        countable unit without a weight), else kilograms. Call after a successful validate()."""
        lines = self.lines()
        unit_set = {unit for _p, _q, unit in lines}
        first_product, _q, first_unit = lines[0]
        common = summed_in(first_product, first_unit)
        if len(unit_set) == 1 and (units.is_mass(first_unit) or common == first_unit):
            unit = first_unit
        else:
            unit = common
        total = sum(units.convert(q, u, unit, p.kg_per_unit) for p, q, u in lines)
        return round(total, 6), unit

    def volume(self) -> dict:
        frequency = self.frequency.data if self.frequency.data in FREQUENCIES else "once"
        periods = 1 if frequency == "once" else (self.periods.data or 1)
        quantity, unit = self.total()
        return {"quantity": quantity, "unit": unit, "frequency": frequency, "periods": periods,
                "starts_on": self.starts_on.data or self.needed_by.data or first_of_next_month()}

    def phrase(self) -> str:
        return ""


def first_of_next_month():
    today = clock.today()
    return today.replace(year=today.year + today.month // 12, month=today.month % 12 + 1, day=1)


class TrackMessageForm(Form):
    body = TextAreaField(_l("Pesan untuk fasilitator"), validators=[DataRequired(_REQUIRED), Length(max=3000)])


class CancelForm(Form):
    reason = TextAreaField(_l("Alasan pembatalan (opsional)"), validators=[Optional(), Length(max=1000)])
    # Cancelling is a second step: the first press shows what will happen, the second (confirmed) does it.
    confirmed = BooleanField(default=False)


class QuotationAnswerForm(Form):
    """The buyer's answer to a quotation. Declining or asking for a change needs a reason; accepting is a second
    step (the first press shows what accepting means)."""

    reason = TextAreaField(_l("Alasan atau perubahan yang Anda minta"), validators=[Optional(), Length(max=2000)])
    confirmed = BooleanField(default=False)
