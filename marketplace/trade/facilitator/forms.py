"""Facilitator actions on an inquiry."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marketplace.core.forms import DayField, Form, IdField, NumberText, QueryForm, SearchText, SubForm, WholeNumber
from marketplace.trade.forms import DeliveryFields
from marketplace.city.monitoring import DEFAULT_PRESET, PRESETS, Period, check_custom, months_back
from marketplace.models import InquiryStatus
from marketplace.trade.inquiries.forms import MAX_PERIODS, PERIOD_CHOICES
from marketplace.core.vocab import BUYER_TYPES, FREQUENCIES, UNITS

_REQUIRED = _l("Wajib diisi.")


def _choices(values) -> list[tuple[str, str]]:
    return [(str(v), str(v)) for v in values]


class QueueArgs(QueryForm):
    """The queue's filters (and its export's): a value that fits no filter is left out."""

    status = SelectField(choices=_choices(("open", "", *InquiryStatus)), default="open")
    owner = SelectField(choices=_choices(("", "me", "unassigned")), default="")
    buyer_type = SelectField(choices=_choices(("", *BUYER_TYPES)), default="")
    category = IdField()
    q = SearchText(default="")
    before = IdField()
    since = DayField()
    until = DayField()

    def filters(self, **override):
        from marketplace.trade.service import QueueFilters

        values = dict(status=self.value("status") or None, owner=self.value("owner") or None,
                      buyer_type=self.value("buyer_type") or None, category_id=self.value("category"),
                      q=self.value("q") or "", before=self.value("before"), since=self.value("since"),
                      until=self.value("until"))
        return QueueFilters(**{**values, **override})


class ExportArgs(QueueArgs):
    """The export's filters: without a status, every inquiry."""

    status = SelectField(choices=_choices(("open", "", *InquiryStatus)), default="")


class NoteForm(Form):
    kind = SelectField(_l("Jenis"), choices=[("note", _l("Catatan")), ("meeting", _l("Pertemuan"))])
    # The inquiry page also holds the buyer-message form, whose field is named `body` too: an id of its own keeps
    # each label on its own box.
    body = TextAreaField(_l("Catatan internal"), validators=[DataRequired(_REQUIRED), Length(max=3000)], id="note-body",
                         description=_l("Hanya terlihat oleh fasilitator. Untuk pertemuan: kapan, siapa, hasilnya."))


class AgreementForm(Form):
    agreement_id = SelectField(_l("Perjanjian kerja sama"), coerce=int, choices=[])


class BuyerMessageForm(Form):
    body = TextAreaField(_l("Pesan untuk pembeli"), validators=[DataRequired(_REQUIRED), Length(max=3000)],
                         description=_l("Tampil di halaman lacak pembeli dan dikirim lewat email."))


class DecisionForm(Form):
    reason = TextAreaField(_l("Alasan"), validators=[DataRequired(_l("Tulis alasannya.")), Length(max=2000)])


class ReassignForm(Form):
    to = SelectField(_l("Serahkan ke"), coerce=int, choices=[])


class ForwardForm(Form):
    """Forward to some of the producers suggested on the page: a tick (`producer-<id>`) and a quantity (`qty-<id>`,
    Indonesian number writing accepted) for each. Only the producers the page offered have fields."""

    release_contact = BooleanField()
    recalculate = SubmitField(_l("Hitung ulang"))

    @classmethod
    def for_producers(cls, producer_ids, **kwargs) -> ForwardForm:
        form_class = type("ForwardForm", (cls,), {})
        for producer_id in producer_ids:
            setattr(form_class, f"producer-{producer_id}", BooleanField())
            setattr(form_class, f"qty-{producer_id}", NumberText(_l("Jumlah"), allow_zero=False))
        form = form_class(**kwargs)
        form.producer_ids = list(producer_ids)
        return form

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for producer_id in self.picked():
            quantity = self[f"qty-{producer_id}"]
            if quantity.number is None and not quantity.errors:
                quantity.errors.append(_l("Isi jumlah yang diteruskan."))
                valid = False
        return valid and not self.errors

    def picked(self) -> list[int]:
        return [pid for pid in self.producer_ids if self[f"producer-{pid}"].data]

    def total(self) -> float:
        """The sum of the ticked quantities that read as numbers; call after validate()."""
        return sum(self[f"qty-{pid}"].number or 0 for pid in self.picked())

    def shares(self) -> list[tuple[int, float]]:
        """(producer id, quantity) for every ticked producer; call after validate()."""
        return [(pid, self[f"qty-{pid}"].number) for pid in self.picked()]


# ---------------------------------------------------------------- the facilitator's correction of the request

class RequestCorrectionForm(Form):
    quantity = NumberText(_l("Jumlah per periode"), validators=[DataRequired(_REQUIRED)], allow_zero=False)
    unit = SelectField(_l("Satuan"), choices=[(k, v) for k, v in UNITS.items()])
    frequency = SelectField(_l("Pengiriman"), choices=[(k, PERIOD_CHOICES[k]) for k in FREQUENCIES])
    periods = WholeNumber(_l("Berapa kali (periode)"), validators=[Optional()], minimum=1, maximum=MAX_PERIODS)
    starts_on = DayField(_l("Mulai dikirim"), validators=[Optional()])
    reason = TextAreaField(_l("Alasan koreksi (dibaca pembeli)"),
                           validators=[DataRequired(_l("Tulis alasannya.")), Length(max=1000)])

    def values(self) -> dict:
        return {"quantity": self.quantity.number, "unit": self.unit.data, "frequency": self.frequency.data,
                "periods": self.periods.data or 1, "starts_on": self.starts_on.data}


def correction_form(inquiry: Inquiry) -> RequestCorrectionForm:
    """The form the include shows: the one sent back with its errors, or one filled with what is asked now."""
    from flask import g

    sent = g.get("request_correction_form")
    if sent is not None:
        return sent
    from marketplace.core.formatting import number

    return RequestCorrectionForm(formdata=None, data={
        "quantity": number(inquiry.quantity, 3), "unit": inquiry.unit, "frequency": inquiry.frequency,
        "periods": inquiry.periods, "starts_on": inquiry.starts_on})


# ---------------------------------------------------------------- monitoring period and agreements

class PeriodForm(QueryForm):
    """The period of the dashboard and the reports, read from the query string."""

    period = SelectField(_l("Periode"), choices=[
        ("month", _l("Bulan ini")), ("3m", _l("3 bulan terakhir")), ("6m", _l("6 bulan terakhir")),
        ("12m", _l("12 bulan terakhir")), ("custom", _l("Pilih tanggal")),
    ], default="6m")
    start = DayField(_l("Dari tanggal"), validators=[Optional()])
    end = DayField(_l("Sampai tanggal"), validators=[Optional()])

    def resolve(self, today=None):
        """(the period asked for, whether the query string was valid); invalid → the default period."""
        if self.validate():
            if self.period.data == "custom":
                return Period(self.start.data, self.end.data), True
            return months_back(PRESETS[self.period.data], today), True
        return months_back(PRESETS[DEFAULT_PRESET], today), False

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        for f in (self.start, self.end):  # the date parser's own message is English and vague
            if f.errors:
                f.errors = [_l("Tulis tanggal seperti 2026-06-30.")]
        if self.period.data == "custom":
            if self.start.data is None and not self.start.errors:
                self.start.errors.append(_l("Isi tanggal mulai, misalnya 2026-01-01."))
            if self.end.data is None and not self.end.errors:
                self.end.errors.append(_l("Isi tanggal akhir, misalnya 2026-06-30."))
            if self.start.data and self.end.data:
                problem = check_custom(self.start.data, self.end.data)
                message = {"order": _l("Tanggal akhir harus sama dengan atau sesudah tanggal mulai."),
                           "too_long": _l("Periode paling panjang tiga tahun."),
                           "range": _l("Pilih tanggal antara tahun 2000 dan 2100.")}.get(problem)
                if message:
                    self.end.errors.append(message)
        return not self.errors


class TargetForm(SubForm):
    id = IdField()
    category_id = SelectField(_l("Komoditas"), coerce=int, choices=[], validate_choice=False)
    volume = NumberText(_l("Target volume per bulan"), allow_zero=False)
    unit = SelectField(_l("Satuan"), choices=[(k, v) for k, v in UNITS.items()])
    remove = BooleanField(_l("Hapus target ini"))

    def validate_volume(self, field):
        if not self.remove.data and self.category_id.data and not (field.data or "").strip():
            raise ValidationError(_l("Isi target volume per bulan."))


class AgreementEditForm(Form):
    code = StringField(_l("Nomor perjanjian"), validators=[DataRequired(_REQUIRED), Length(max=40)],
                       description=_l("Misalnya MOU-METRO-DKI-2026 atau nomor PKS."))
    kind = SelectField(_l("Jenis"), choices=[("MoU", "MoU"), ("PKS", "PKS")])
    title = StringField(_l("Judul"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    parties = TextAreaField(_l("Para pihak"), validators=[Optional(), Length(max=2000)],
                            description=_l("Satu pihak per baris."))
    starts_on = DayField(_l("Berlaku mulai"), validators=[Optional()])
    ends_on = DayField(_l("Berlaku sampai"), validators=[Optional()])
    targets = FieldList(FormField(TargetForm), min_entries=1, max_entries=30, label=_l("Target per komoditas"))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Tanggal berakhir harus sesudah tanggal mulai."))


# ---------------------------------------------------------------- quotation, contract, deliveries

# A line's value (quantity × price) is stored in Rupiah as BIGINT for each month of a contract: a quadrillion is
# more than any real order.
MAX_VALUE = 10**15
_TOO_LARGE = _l("Nilainya (jumlah × harga) terlalu besar. Periksa kembali angkanya.")

class QuotationForm(Form):
    """A quotation built from the offers on the page: a tick (`offer-<id>`) and a quantity per period
    (`qty-<id>`, in the offer's unit, the offered quantity by default) for each offer."""

    valid_until = DayField(_l("Berlaku sampai"), validators=[DataRequired(_l("Isi tanggal berlakunya penawaran."))])
    names_producers = BooleanField(_l("Sebutkan nama produsen kepada pembeli"))
    note = TextAreaField(_l("Catatan untuk pembeli"), validators=[Optional(), Length(max=2000)])

    @classmethod
    def for_offers(cls, offers, **kwargs) -> QuotationForm:
        form_class = type("QuotationForm", (cls,), {})
        for offer in offers:
            setattr(form_class, f"offer-{offer.id}", BooleanField(default=True))
            setattr(form_class, f"qty-{offer.id}", NumberText(_l("Jumlah per periode"), allow_zero=False))
        form = form_class(**kwargs)
        form.offers = list(offers)
        return form

    def validate_valid_until(self, field):
        from marketplace.core import clock

        if field.data and field.data < clock.today():
            raise ValidationError(_l("Tanggal sudah lewat."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for offer in self.picked():
            quantity = self[f"qty-{offer.id}"]
            if quantity.number is None and not quantity.errors:
                quantity.errors.append(_l("Isi jumlah per periode."))
            elif quantity.number and quantity.number * (offer.offered_price or 0) > MAX_VALUE:
                quantity.errors.append(_TOO_LARGE)
        if not self.picked():
            self.form_errors.append(_l("Pilih setidaknya satu penawaran produsen."))
        return valid and not self.errors and not self.form_errors

    def picked(self) -> list:
        return [offer for offer in self.offers if self[f"offer-{offer.id}"].data]

    def picks(self) -> list[tuple[object, float]]:
        return [(offer, self[f"qty-{offer.id}"].number) for offer in self.picked()]


class ReasonForm(Form):
    """A second step with a reason: cancelling a contract, withdrawing a quotation, cancelling a delivery."""

    reason = TextAreaField(_l("Alasan"), validators=[DataRequired(_l("Tulis alasannya.")), Length(max=2000)])
    confirmed = BooleanField(default=False)


class ConfirmForm(Form):
    """A second step without a reason (completing a contract)."""

    confirmed = BooleanField(default=False)


class ContractAgreementForm(Form):
    """The MoU/PKS a contract counts against: one of them, or explicitly none."""

    agreement = SelectField(_l("Dihitung untuk perjanjian"), choices=[],
                            validators=[DataRequired(_l("Pilih perjanjian, atau \u201ctidak termasuk perjanjian\u201d."))])


class DeliveryForm(DeliveryFields):
    """A delivery recorded from the contract page: which producer's line, then the shared fields."""

    line_id = SelectField(_l("Baris kontrak (produsen)"), coerce=int, choices=[])


class LineCorrectionForm(Form):
    """A contract line corrected (quantity per period, price), with the reason."""

    quantity = NumberText(_l("Jumlah per periode"), validators=[DataRequired(_REQUIRED)], allow_zero=False)
    price = NumberText(_l("Harga per satuan (Rp)"), validators=[DataRequired(_REQUIRED)], allow_zero=False)
    reason = TextAreaField(_l("Alasan koreksi"), validators=[DataRequired(_l("Tulis alasannya.")), Length(max=2000)])

    def validate_price(self, field):
        if self.quantity.number and field.number and self.quantity.number * field.number > MAX_VALUE:
            raise ValidationError(_TOO_LARGE)
