"""Facilitator actions on an inquiry."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FieldList, Form, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marketplace.producer.forms import CleanText, NumberText
from marketplace.services.monitoring import DEFAULT_PRESET, PRESETS, Period, check_custom, months_back
from marketplace.vocab import UNITS

_REQUIRED = _l("Wajib diisi.")


class NoteForm(FlaskForm):
    kind = SelectField(_l("Jenis"), choices=[("note", _l("Catatan")), ("meeting", _l("Pertemuan"))])
    body = TextAreaField(_l("Catatan internal"), validators=[DataRequired(_REQUIRED), Length(max=3000)],
                         description=_l("Hanya terlihat oleh fasilitator. Untuk pertemuan: kapan, siapa, hasilnya."))


class AgreementForm(FlaskForm):
    agreement_id = SelectField(_l("Perjanjian kerja sama"), coerce=int, choices=[])


class BuyerMessageForm(FlaskForm):
    body = TextAreaField(_l("Pesan untuk pembeli"), validators=[DataRequired(_REQUIRED), Length(max=3000)],
                         description=_l("Tampil di halaman lacak pembeli dan dikirim lewat email."))


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Alasan"), validators=[DataRequired(_l("Tulis alasannya.")), Length(max=2000)])


class ReassignForm(FlaskForm):
    to = SelectField(_l("Serahkan ke"), coerce=int, choices=[])


class DealForm(FlaskForm):
    producer_id = SelectField(_l("Produsen"), coerce=int, choices=[])
    volume = NumberText(_l("Volume yang disepakati"), validators=[DataRequired(_REQUIRED)], allow_zero=False)
    unit_price = NumberText(_l("Harga per satuan (Rp)"), validators=[DataRequired(_REQUIRED)], allow_zero=False)
    starts_on = DateField(_l("Mulai pengiriman"), validators=[Optional()])
    schedule = TextAreaField(_l("Jadwal pengiriman"), validators=[Optional(), Length(max=1000)])


# ---------------------------------------------------------------- monitoring period and agreements

class PeriodForm(FlaskForm):
    """The period of the dashboard and the reports: read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    period = SelectField(_l("Periode"), choices=[
        ("month", _l("Bulan ini")), ("3m", _l("3 bulan terakhir")), ("6m", _l("6 bulan terakhir")),
        ("12m", _l("12 bulan terakhir")), ("custom", _l("Pilih tanggal")),
    ], default="6m")
    start = DateField(_l("Dari tanggal"), validators=[Optional()])
    end = DateField(_l("Sampai tanggal"), validators=[Optional()])

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


class TargetForm(CleanText, Form):
    id = HiddenField()
    category_id = SelectField(_l("Komoditas"), coerce=int, choices=[], validate_choice=False)
    volume = NumberText(_l("Target volume per bulan"), allow_zero=False)
    unit = SelectField(_l("Satuan"), choices=[(k, v) for k, v in UNITS.items()])
    remove = BooleanField(_l("Hapus target ini"))

    def validate_volume(self, field):
        if not self.remove.data and self.category_id.data and not (field.data or "").strip():
            raise ValidationError(_l("Isi target volume per bulan."))


class AgreementEditForm(CleanText, FlaskForm):
    code = StringField(_l("Nomor perjanjian"), validators=[DataRequired(_REQUIRED), Length(max=40)],
                       description=_l("Misalnya MOU-METRO-DKI-2026 atau nomor PKS."))
    kind = SelectField(_l("Jenis"), choices=[("MoU", "MoU"), ("PKS", "PKS")])
    title = StringField(_l("Judul"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    parties = TextAreaField(_l("Para pihak"), validators=[Optional(), Length(max=2000)],
                            description=_l("Satu pihak per baris."))
    starts_on = DateField(_l("Berlaku mulai"), validators=[Optional()])
    ends_on = DateField(_l("Berlaku sampai"), validators=[Optional()])
    targets = FieldList(FormField(TargetForm), min_entries=1, max_entries=30, label=_l("Target per komoditas"))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Tanggal berakhir harus sesudah tanggal mulai."))
