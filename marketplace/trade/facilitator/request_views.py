"""The facilitator's correction of what an inquiry asks for (quantity, unit, period, duration, start), with a
reason the buyer reads on the tracking page. Registered on the `facilitator` blueprint (views.py imports this
module at its end); the form is the include templates/facilitator/_request.html of the inquiry page."""
from __future__ import annotations

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.core import policies
from marketplace.core.forms import DayField, Form, NumberText, WholeNumber
from marketplace.core.vocab import FREQUENCIES, UNITS
from marketplace.extensions import db
from marketplace.models import Inquiry
from marketplace.trade import service as inquiries
from marketplace.trade.facilitator.views import _page, bp
from marketplace.trade.inquiries.forms import MAX_PERIODS, PERIOD_CHOICES

_REQUIRED = _l("Wajib diisi.")


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
    sent = g.get("request_correction_form")
    if sent is not None:
        return sent
    from marketplace.core.formatting import number

    return RequestCorrectionForm(formdata=None, data={
        "quantity": number(inquiry.quantity, 3), "unit": inquiry.unit, "frequency": inquiry.frequency,
        "periods": inquiry.periods, "starts_on": inquiry.starts_on})


@bp.app_context_processor
def _correction_form():
    return {"request_correction_form": correction_form}


@bp.post("/inquiries/<int:inquiry_id>/request")
def correct_request(inquiry_id: int):
    item = db.get_or_404(Inquiry, inquiry_id)
    if not policies.acts_on_inquiry(current_user, item):
        abort(403)
    if not policies.can_correct_request(current_user, item):  # finished meanwhile
        flash(_("Permintaan ini sudah selesai; yang diminta tidak dapat dikoreksi lagi."), "error")
        return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry_id))
    form = RequestCorrectionForm()
    if not form.validate_on_submit():
        if form.errors.keys() == {"csrf_token"}:
            abort(400)
        g.request_correction_form = form
        return _page(item), 400
    changed = inquiries.correct_request(item, form.values(), form.reason.data.strip(), current_user)
    db.session.commit()
    flash(_("Permintaan dikoreksi; pembeli melihat koreksi dan alasannya.") if changed
          else _("Tidak ada yang berubah."), "success" if changed else "info")
    return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry_id) + "#permintaan")

