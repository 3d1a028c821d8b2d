"""Forms shared by the facilitator's desk and the producer's dashboard."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from marketplace.core.forms import DayField, Form, NumberText


class DeliveryFields(Form):
    """A shipment received against a contract line: the day, the amount (in the line's unit), whether the buyer
    accepted it at receipt, and a note (required when it was refused). The facilitator's form adds which line;
    the producer's line is in its URL."""

    delivered_on = DayField(_l("Tanggal diterima"), validators=[DataRequired(_l("Isi tanggal penerimaan."))])
    quantity = NumberText(_l("Jumlah"), validators=[DataRequired(_l("Wajib diisi."))], allow_zero=False)
    outcome = SelectField(_l("Hasil pemeriksaan saat diterima"),
                          choices=[("accepted", _l("Diterima pembeli")), ("rejected", _l("Ditolak saat diterima"))])
    note = TextAreaField(_l("Catatan"), validators=[Length(max=2000)],
                         description=_l("Wajib bila ditolak: apa yang tidak sesuai."))

    def validate_delivered_on(self, field):
        from marketplace.core import clock

        if field.data and field.data > clock.today():
            raise ValidationError(_l("Tanggal penerimaan belum tiba."))

    def validate_note(self, field):
        if self.outcome.data == "rejected" and not (field.data or "").strip():
            raise ValidationError(_l("Tulis mengapa kiriman ditolak."))

    def values(self) -> dict:
        """The arguments of trade.contracts.record_delivery after the line; call after validate()."""
        return {"delivered_on": self.delivered_on.data, "quantity": self.quantity.number,
                "accepted": self.outcome.data == "accepted", "note": (self.note.data or "").strip()}
