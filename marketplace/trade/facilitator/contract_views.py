"""A contract, worked by the BUMD facilitators: its MoU/PKS (chosen, or explicitly none), deliveries, corrections of
a line, completion and cancellation, each consequential press in two steps (steps.py)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core import policies
from marketplace.core.errors import refuse
from marketplace.core.formatting import form_number
from marketplace.core.workflow import TransitionNotAllowed
from marketplace.extensions import db
from marketplace.models import Contract, Delivery
from marketplace.trade import contracts
from marketplace.trade import service as inquiries
from marketplace.trade import workflow
from marketplace.trade.facilitator import forms
from marketplace.trade.facilitator.steps import second_step

bp = Blueprint("contracts", __name__)


@bp.before_request
@login_required
def _guard():
    if not policies.can_facilitate(current_user):
        abort(403)


def _agreement_form(contract: Contract, **kwargs) -> forms.ContractAgreementForm:
    form = forms.ContractAgreementForm(**kwargs)
    if "formdata" not in kwargs and contract.agreement_chosen:
        form.agreement.data = str(contract.agreement_id or "none")
    form.agreement.choices = [("", _("— pilih —")), ("none", _("Tidak termasuk perjanjian mana pun"))] + [
        (str(a.id), f"{a.kind} {a.code}: {a.title}") for a in inquiries.agreements()]
    return form


def _delivery_form(contract: Contract, **kwargs) -> forms.DeliveryForm:
    from marketplace.core import clock

    kwargs.setdefault("delivered_on", clock.today())  # most deliveries are recorded the day they arrive
    form = forms.DeliveryForm(**kwargs)
    form.line_id.choices = [(line.id, f"{line.producer.name} ({line.unit})") for line in contract.lines]
    return form


def _contract_page(contract: Contract, status: int = 200, **forms_):
    return render_template(
        "facilitator/contract.html", contract=contract, inquiry=contract.inquiry,
        agreement_form=forms_.get("agreement_form") or _agreement_form(contract),
        delivery_form=forms_.get("delivery_form") or _delivery_form(contract),
        correction_forms={line.id: (forms_.get("correction_form") if forms_.get("line_id") == line.id else None)
                          or forms.LineCorrectionForm(prefix=f"line-{line.id}", quantity=form_number(line.quantity),
                                                      price=str(line.price))
                          for line in contract.lines},
        confirm_form=forms.ConfirmForm(), delivered=contracts.delivered,
        active=contracts.is_active(contract),
    ), status


@bp.get("/contracts/<int:contract_id>")
def contract(contract_id: int):
    return _contract_page(db.get_or_404(Contract, contract_id))


def _to_contract(contract: Contract, anchor: str = "") -> str:
    return url_for("contracts.contract", contract_id=contract.id) + (f"#{anchor}" if anchor else "")


@bp.post("/contracts/<int:contract_id>/agreement")
def contract_agreement(contract_id: int):
    item = db.get_or_404(Contract, contract_id)
    form = _agreement_form(item)
    valid = form.validate_on_submit()
    known = {value for value, _label in form.agreement.choices} - {""}
    if not valid or form.agreement.data not in known:
        return _contract_page(item, 400, agreement_form=form)
    choice = form.agreement.data
    contracts.set_agreement(item, None if choice == "none" else int(choice), current_user)
    db.session.commit()
    flash(_("Perjanjian kontrak dicatat."), "success")
    return redirect(_to_contract(item))


@bp.post("/contracts/<int:contract_id>/deliveries")
def record_delivery(contract_id: int):
    item = db.get_or_404(Contract, contract_id)
    form = _delivery_form(item)
    if not form.validate_on_submit():
        return _contract_page(item, 400, delivery_form=form)
    line = next(line for line in item.lines if line.id == form.line_id.data)
    try:
        contracts.record_delivery(line, **form.values(), actor=current_user)
    except TransitionNotAllowed as error:
        return refuse(error, "contract", _to_contract(item))
    db.session.commit()
    flash(_("Pengiriman dicatat."), "success")
    return redirect(_to_contract(item, "pengiriman"))


@bp.post("/contracts/<int:contract_id>/lines/<int:line_id>")
def correct_line(contract_id: int, line_id: int):
    item = db.get_or_404(Contract, contract_id)
    line = next((line for line in item.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    form = forms.LineCorrectionForm(prefix=f"line-{line.id}")
    if not form.validate_on_submit():
        return _contract_page(item, 400, correction_form=form, line_id=line.id)
    if not contracts.is_active(item):
        return refuse(TransitionNotAllowed("state"), "contract", _to_contract(item))
    contracts.correct_line(line, form.quantity.number, int(round(form.price.number)), form.reason.data.strip(),
                           current_user)
    db.session.commit()
    flash(_("Baris kontrak dikoreksi; jadwal bulanannya dihitung ulang."), "success")
    return redirect(_to_contract(item))


@bp.post("/contracts/<int:contract_id>/<any(complete, cancel):action>")
def contract_status(contract_id: int, action: str):
    item = db.get_or_404(Contract, contract_id)
    form = forms.ReasonForm() if action == "cancel" else forms.ConfirmForm()
    if not (form.confirmed.data and form.validate_on_submit()):
        title = _("Batalkan kontrak %(reference)s?", reference=item.reference) if action == "cancel" \
            else _("Tandai kontrak %(reference)s selesai?", reference=item.reference)
        explain = _("Kontrak yang dibatalkan tidak lagi dihitung untuk MoU, dan kapasitas produsen kembali tersedia.") \
            if action == "cancel" else _("Kontrak selesai tetap dihitung untuk MoU; pengiriman baru tidak dapat dicatat.")
        return second_step(form, inquiry=item.inquiry, title=title, explain=explain,
                           action=url_for("contracts.contract_status", contract_id=item.id, action=action),
                           button=_("Ya, batalkan kontrak") if action == "cancel" else _("Ya, selesai"),
                           back=_to_contract(item))
    try:
        workflow.contract.apply(action, item, current_user, getattr(form, "reason", None) and form.reason.data.strip() or "")
    except TransitionNotAllowed as error:
        return refuse(error, "contract", _to_contract(item))
    db.session.commit()
    flash(_("Kontrak dibatalkan.") if action == "cancel" else _("Kontrak ditandai selesai."), "success")
    return redirect(_to_contract(item))


@bp.post("/deliveries/<int:delivery_id>/cancel")
def cancel_delivery(delivery_id: int):
    item = db.get_or_404(Delivery, delivery_id)
    contract = item.line.contract
    form = forms.ReasonForm()
    if not (form.confirmed.data and form.validate_on_submit()):
        return second_step(form, inquiry=contract.inquiry, title=_("Batalkan catatan pengiriman ini?"),
                           explain=_("Catatan tetap tersimpan dengan alasannya, tetapi tidak lagi dihitung."),
                           action=url_for("contracts.cancel_delivery", delivery_id=item.id),
                           button=_("Ya, batalkan catatan"), back=_to_contract(contract, "pengiriman"))
    try:
        workflow.delivery.apply("cancel", item, current_user, form.reason.data.strip())
    except TransitionNotAllowed as error:
        return refuse(error, "contract", _to_contract(contract))
    db.session.commit()
    flash(_("Catatan pengiriman dibatalkan."), "success")
    return redirect(_to_contract(contract, "pengiriman"))
