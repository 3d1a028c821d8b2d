"""Facilitator actions on an inquiry."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.producer.forms import NumberText

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
