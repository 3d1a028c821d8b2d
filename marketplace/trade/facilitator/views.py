"""The BUMD facilitator's inquiry queue and the inquiry page."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from marketplace.core import policies
from marketplace.extensions import db
from marketplace.trade.facilitator import forms
from marketplace.core.formatting import form_number, inquiry_status, per_period
from marketplace.core.forms import EmptyForm
from marketplace.models import Inquiry, InquiryStatus
from marketplace.catalog import page_cache, queries as catalog
from marketplace.trade import quotations
from marketplace.trade import plan
from marketplace.trade import service as inquiries
from marketplace.accounts import overview
from marketplace.core.vocab import BUYER_TYPES
from marketplace.core.errors import refuse
from marketplace.core.workflow import TransitionNotAllowed
from marketplace.trade.facilitator.steps import second_step

bp = Blueprint("facilitator", __name__)


@bp.before_request
@login_required
def _guard():
    if not policies.can_facilitate(current_user):
        abort(403)


@bp.app_context_processor
def _waiting_count():
    """The number on the navigation bar, for those who work the queue: new inquiries nobody holds."""
    def count() -> int:
        return overview.new_inquiries_waiting() if policies.can_facilitate(current_user) else 0
    return {"new_inquiries_waiting": count}


@bp.get("/inquiries")
@page_cache.personal
def queue():
    filters = forms.QueueArgs().filters()
    rows, next_before = inquiries.queue(current_user, filters)
    locale = str(get_locale())
    categories = catalog.categories()
    return render_template(
        "facilitator/queue.html", rows=rows, filters=filters, next_before=next_before,
        categories=[(c.id, c.name(locale)) for c in categories], category_names={c.id: c.name(locale) for c in categories},
        buyer_types=BUYER_TYPES, statuses=list(InquiryStatus), late=inquiries.waiting_too_long, form=EmptyForm(),
    )


# The sections of the inquiry page, by the id their heading carries (templates/facilitator/inquiry.html).
_FORM_SECTIONS = {"note_form": "catatan", "message_form": "pesan-pembeli", "decision_form": "tolak",
                  "quotation_form": "penawaran-harga", "forward_form": "teruskan"}


def _next_step(item: Inquiry) -> str | None:
    """The section the inquiry's status calls for (claim, forward, wait for answers, quote, the contract); a phone
    opens it first. None once the inquiry is finished."""
    status = str(item.status)
    if policies.can("claim", item):
        return "penanggung"
    if item.allocations and status in {InquiryStatus.RESPONDED, InquiryStatus.NEGOTIATING, InquiryStatus.AGREED}:
        return "penawaran-harga"
    if item.allocations and status == InquiryStatus.FORWARDED:
        return "produsen-diteruskan"
    if policies.can("forward", item):
        return "teruskan"
    return None


def _page(inquiry: Inquiry, **forms_):
    next_step = _next_step(inquiry)
    # A form shown again with its errors stays open, so the errors are in view.
    open_sections = {next_step or "lini-masa", "permintaan"} | {
        section for name, section in _FORM_SECTIONS.items() if forms_.get(name) is not None and forms_[name].errors}
    if forms_.get("recalculated"):
        open_sections.add("teruskan")
    reassign = forms.ReassignForm()
    reassign.to.choices = [(0, _("— kembalikan ke antrean —"))] + [(u.id, u.name or u.email) for u in inquiries.facilitators()]
    suggestions = inquiries.suggestions(inquiry)
    return render_template(
        "facilitator/inquiry.html", inquiry=inquiry, button_form=EmptyForm(),
        note_form=forms_.get("note_form") or forms.NoteForm(),
        message_form=forms_.get("message_form") or forms.BuyerMessageForm(),
        decision_form=forms_.get("decision_form") or forms.DecisionForm(), reassign_form=reassign,
        quotation_form=forms_.get("quotation_form") or quotation_form(inquiry),
        quotation_summary=quotations.summary, can_quote=quotations.can_quote(inquiry, current_user),
        suggestions=suggestions, coverage=inquiries.coverage(inquiry),
        forwarding=_forwarding(inquiry, suggestions, forms_.get("forward_form")),
        agreement_form=_agreement_form(inquiry), next_step=next_step, open_sections=open_sections,
    )


@dataclass
class ForwardRow:
    """One listing of the forwarding table: the suggestion, how the plan weighed it, and who would be told."""

    suggestion: inquiries.Suggestion
    candidate: plan.Candidate
    notice: inquiries.Notice
    pick: object  # the form's tick box
    quantity: object  # the form's quantity box


@dataclass
class Forwarding:
    form: forms.ForwardForm
    plan: plan.Plan
    rows: list[ForwardRow]
    total: float  # of the ticked quantities, in the request's unit

    per_period: str = ""
    from_lines: bool = False  # filled in from the lines the buyer asked for, not from the solver's split

    @property
    def coverage(self) -> float:
        return self.total / self.plan.need if self.plan.need else 0.0


def _forwarding(item: Inquiry, suggestions, form: forms.ForwardForm | None = None) -> Forwarding | None:
    """The forwarding table: the plan's shares ticked and filled in, or what the facilitator typed (a form sent
    back to recalculate or with errors), with the total of the ticked quantities."""
    if not suggestions or not policies.can("forward", item):
        return None
    proposal, candidates = plan.plan_for(item, suggestions)
    asked = plan.line_plan(item, suggestions)
    if asked is not None:
        proposal = asked
    from_plan = form is None
    if from_plan:
        data = {}
        for producer_id, quantity in proposal.shares:
            data[f"producer-{producer_id}"], data[f"qty-{producer_id}"] = True, form_number(quantity)
        form = forms.ForwardForm.for_producers([s.producer.id for s in suggestions], data=data)
        total = proposal.total
    else:
        total = form.total()
    rows = []
    for suggestion, candidate in zip(suggestions, candidates):
        pid = suggestion.producer.id
        if from_plan:
            quantity = proposal.share(pid)
        else:
            quantity = form[f"qty-{pid}"].number if form[f"producer-{pid}"].data else None
        notice = inquiries.who_is_told(item, suggestion.producer,
                                       None if quantity is None else quantity / suggestion.to_request,
                                       suggestion.product.unit)
        rows.append(ForwardRow(suggestion, candidate, notice, form[f"producer-{pid}"], form[f"qty-{pid}"]))
    return Forwarding(form=form, plan=proposal, rows=rows, total=total,
                      per_period=per_period(item.frequency), from_lines=asked is not None)


@bp.get("/inquiries/<int:inquiry_id>")
@page_cache.personal
def inquiry(inquiry_id: int):
    return _page(db.get_or_404(Inquiry, inquiry_id))


@bp.post("/inquiries/<int:inquiry_id>/claim")
def claim(inquiry_id: int):
    db.get_or_404(Inquiry, inquiry_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        inquiries.claim(inquiry_id, current_user)
    except TransitionNotAllowed as error:
        return refuse(error, "claim", url_for("facilitator.inquiry", inquiry_id=inquiry_id))
    db.session.commit()
    flash(_("Permintaan diambil. Anda sekarang penanggung jawabnya."), "success")
    return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry_id))


@bp.post("/inquiries/claim-next")
def claim_next():
    if not EmptyForm().validate_on_submit():
        abort(400)
    inquiry = inquiries.claim_next(current_user)
    if inquiry is None:
        db.session.rollback()
        flash(_("Tidak ada permintaan baru yang menunggu diambil."), "info")
        return redirect(url_for("facilitator.queue"))
    db.session.commit()
    flash(_("Permintaan diambil. Anda sekarang penanggung jawabnya."), "success")
    return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry.id))


@bp.post("/inquiries/<int:inquiry_id>/reassign")
def reassign(inquiry_id: int):
    item = db.get_or_404(Inquiry, inquiry_id)
    form = forms.ReassignForm()
    form.to.choices = [(0, "")] + [(u.id, u.name or u.email) for u in inquiries.facilitators()]
    if not form.validate_on_submit():
        abort(400)
    target = next((u for u in inquiries.facilitators() if u.id == form.to.data), None)
    inquiries.reassign(item, target, current_user)
    db.session.commit()
    flash(_("Penanggung jawab diubah."), "success")
    return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry_id))


@bp.post("/inquiries/<int:inquiry_id>/note")
def note(inquiry_id: int):
    item = db.get_or_404(Inquiry, inquiry_id)
    form = forms.NoteForm()
    if not form.validate_on_submit():
        return _page(item, note_form=form), 400
    inquiries.add_note(item, current_user, form.body.data.strip(), form.kind.data)
    db.session.commit()
    flash(_("Pertemuan dicatat.") if form.kind.data == "meeting" else _("Catatan internal disimpan."), "success")
    return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry_id))


@bp.post("/inquiries/<int:inquiry_id>/message")
def message(inquiry_id: int):
    item = db.get_or_404(Inquiry, inquiry_id)
    form = forms.BuyerMessageForm()
    if not form.validate_on_submit():
        return _page(item, message_form=form), 400
    inquiries.message_buyer(item, current_user, form.body.data.strip())
    db.session.commit()
    flash(_("Pesan terkirim ke pembeli."), "success")
    return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry_id))


@bp.post("/inquiries/<int:inquiry_id>/<any(decline, mark_spam):action>")
def decide(inquiry_id: int, action: str):
    item = db.get_or_404(Inquiry, inquiry_id)
    form = forms.DecisionForm()
    if not form.validate_on_submit():
        return _page(item, decision_form=form), 400
    try:
        inquiries.decide(item, action, current_user, form.reason.data.strip())
    except TransitionNotAllowed as error:
        return refuse(error, "inquiry", url_for("facilitator.inquiry", inquiry_id=inquiry_id))
    db.session.commit()
    flash(_("Permintaan ditandai spam.") if action == "mark_spam" else _("Permintaan ditolak; pembeli menerima alasannya."),
          "success")
    return redirect(url_for("facilitator.queue"))


@bp.post("/inquiries/<int:inquiry_id>/forward")
def forward(inquiry_id: int):
    """Forward to the ticked producers among those suggested, each with a quantity; or, with "Hitung ulang",
    show the page again with the quantities typed, their total and coverage, forwarding nothing."""
    item = db.get_or_404(Inquiry, inquiry_id)
    form = forms.ForwardForm.for_producers([s.producer.id for s in inquiries.suggestions(item)])
    valid = form.validate_on_submit()
    if form.csrf_token.errors:
        abort(400)
    if form.recalculate.data:
        return _page(item, forward_form=form, recalculated=True)
    if not valid:
        return _page(item, forward_form=form), 400
    shares = form.shares()
    if not shares:
        flash(_("Pilih setidaknya satu produsen."), "error")
        return _page(item, forward_form=form, recalculated=True), 400
    try:
        inquiries.forward(item, shares, form.release_contact.data, current_user)
    except TransitionNotAllowed as error:
        return refuse(error, "inquiry", url_for("facilitator.inquiry", inquiry_id=inquiry_id))
    db.session.commit()
    flash(ngettext("Diteruskan ke %(num)s produsen.", "Diteruskan ke %(num)s produsen.", len(shares)), "success")
    return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry_id))


@bp.post("/inquiries/<int:inquiry_id>/<any(negotiate, agree, close):action>")
def advance(inquiry_id: int, action: str):
    """negotiate, agree or close; agreeing and closing are told to the buyer, so they take a second step."""
    item = db.get_or_404(Inquiry, inquiry_id)
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if action in ("agree", "close") and not form.confirmed.data:
        return second_step(form, inquiry=item, back=url_for("facilitator.inquiry", inquiry_id=inquiry_id),
                           action=url_for("facilitator.advance", inquiry_id=inquiry_id, action=action),
                           title=_("Selesaikan permintaan ini?") if action == "close" else _("Tandai sepakat?"),
                           explain=_("Pembeli menerima kabar bahwa permintaannya selesai. Kontrak tetap berjalan dan "
                           "dihitung untuk MoU.") if action == "close" else
                           _("Pembeli menerima kabar bahwa permintaannya disepakati."),
                           button=_("Ya, selesaikan") if action == "close" else _("Ya, sepakat"))
    try:
        inquiries.advance(item, action, current_user)
    except TransitionNotAllowed as error:
        return refuse(error, "inquiry", url_for("facilitator.inquiry", inquiry_id=inquiry_id))
    db.session.commit()
    flash(_("Status diperbarui: %(status)s.", status=inquiry_status(item.status)), "success")
    return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry_id))


# ---------------------------------------------------------------- the facilitator's correction of the request

@bp.app_context_processor
def _correction_form():
    return {"request_correction_form": forms.correction_form}


@bp.post("/inquiries/<int:inquiry_id>/request")
def correct_request(inquiry_id: int):
    item = db.get_or_404(Inquiry, inquiry_id)
    if not policies.acts_on_inquiry(current_user, item):
        abort(403)
    if not policies.can_correct_request(current_user, item):  # finished meanwhile
        flash(_("Permintaan ini sudah selesai; yang diminta tidak dapat dikoreksi lagi."), "error")
        return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry_id))
    form = forms.RequestCorrectionForm()
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


# ---------------------------------------------------------------- the quotation to the buyer

def quotation_form(item: Inquiry, **kwargs) -> forms.QuotationForm:
    from datetime import timedelta

    from marketplace.core import clock

    kwargs.setdefault("valid_until", clock.today() + timedelta(days=7))  # a week to answer, unless changed
    return forms.QuotationForm.for_offers(quotations.offers(item), **kwargs)


def _back(item: Inquiry, anchor: str = "penawaran-harga") -> str:
    return url_for("facilitator.inquiry", inquiry_id=item.id) + f"#{anchor}"


@bp.post("/inquiries/<int:inquiry_id>/quotation")
def quote(inquiry_id: int):
    item = db.get_or_404(Inquiry, inquiry_id)
    if not quotations.can_quote(item, current_user):
        flash(_("Penawaran harga dibuat dari penawaran produsen, sebelum pembeli menerimanya."), "error")
        return redirect(_back(item))
    form = quotation_form(item)
    if not form.validate_on_submit():
        return _page(item, quotation_form=form), 400
    try:
        quotation = quotations.build(item, form.picks(), form.valid_until.data, form.names_producers.data,
                                     (form.note.data or "").strip(), current_user)
    except TransitionNotAllowed as error:
        return refuse(error, "inquiry", _back(item))
    db.session.commit()
    flash(_("Penawaran harga versi %(version)s terkirim ke pembeli.", version=quotation.version), "success")
    return redirect(_back(item))


def _quotation(item: Inquiry, version: int):
    quotation = quotations.quotation_of(item, version)
    if quotation is None:
        abort(404)
    return quotation


@bp.post("/inquiries/<int:inquiry_id>/quotation/<int:version>/withdraw")
def withdraw_quotation(inquiry_id: int, version: int):
    item = db.get_or_404(Inquiry, inquiry_id)
    quotation = _quotation(item, version)
    form = forms.ReasonForm()
    if not (form.confirmed.data and form.validate_on_submit()):
        return second_step(form, inquiry=item, title=_("Tarik penawaran harga?"),
                           action=url_for("facilitator.withdraw_quotation", inquiry_id=item.id, version=version),
                           explain=_("Pembeli tidak dapat lagi menerima versi %(version)s.", version=version),
                           button=_("Ya, tarik penawaran"), back=_back(item))
    try:
        quotations.withdraw(quotation, form.reason.data.strip(), current_user)
    except TransitionNotAllowed as error:
        return refuse(error, "quotation", _back(item))
    db.session.commit()
    flash(_("Penawaran harga ditarik."), "success")
    return redirect(_back(item))


@bp.post("/inquiries/<int:inquiry_id>/quotation/<int:version>/accept")
def record_acceptance(inquiry_id: int, version: int):
    """The buyer accepted by letter or phone: the facilitator records it, after a second step."""
    item = db.get_or_404(Inquiry, inquiry_id)
    quotation = _quotation(item, version)
    form = forms.ConfirmForm()
    if not (form.confirmed.data and form.validate_on_submit()):
        return second_step(form, inquiry=item, title=_("Catat bahwa pembeli menerima penawaran?"),
                           action=url_for("facilitator.record_acceptance", inquiry_id=item.id, version=version),
                           explain=_("Kontrak dibuat dari versi %(version)s dan dihitung untuk MoU.", version=version),
                           button=_("Ya, pembeli menerima"), back=_back(item))
    try:
        contract = quotations.answer(quotation, "accept", actor=current_user)
    except TransitionNotAllowed as error:
        return refuse(error, "quotation", _back(item))
    db.session.commit()
    flash(_("Kontrak %(reference)s dibuat.", reference=contract.reference), "success")
    return redirect(url_for("contracts.contract", contract_id=contract.id))


def _agreement_form(item: Inquiry) -> forms.AgreementForm:
    form = forms.AgreementForm(agreement_id=item.agreement_id or 0)
    form.agreement_id.choices = [(0, "—")] + [(a.id, f"{a.kind} {a.code}: {a.title}") for a in inquiries.agreements()]
    return form


@bp.post("/inquiries/<int:inquiry_id>/agreement")
def agreement(inquiry_id: int):
    item = db.get_or_404(Inquiry, inquiry_id)
    form = _agreement_form(item)
    if not form.validate_on_submit():
        abort(400)
    inquiries.set_agreement(item, form.agreement_id.data or None, current_user)
    db.session.commit()
    flash(_("Perjanjian kerja sama dicatat."), "success")
    return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry_id))


@bp.post("/inquiries/<int:inquiry_id>/verify-company")
def verify_company(inquiry_id: int):
    item = db.get_or_404(Inquiry, inquiry_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    inquiries.verify_company(item, current_user)
    db.session.commit()
    flash(_("Perusahaan pembeli ditandai terverifikasi; permintaan berikutnya darinya akan menunjukkannya."), "success")
    return redirect(url_for("facilitator.inquiry", inquiry_id=inquiry_id))


@bp.get("/inquiries.<any(csv, xlsx):fmt>")
def export_inquiries(fmt: str):
    from marketplace.core import exports

    rows, _next = inquiries.queue(current_user, forms.ExportArgs().filters(before=None), limit=None)
    return exports.response(exports.inquiry_table(rows), fmt, "permintaan")


@bp.get("/deals.<any(csv, xlsx):fmt>")
def export_deals(fmt: str):
    """Every contract, one row per producer line (the URL kept from when these were deals)."""
    from marketplace.core import exports

    return exports.response(exports.contract_table(locale=str(get_locale())), fmt, "kontrak")


# ---------------------------------------------------------------- monitoring dashboard and agreements

def _period_form() -> tuple[forms.PeriodForm, object, bool]:
    form = forms.PeriodForm(request.args)
    if not request.args.get("period"):
        form.period.data = forms.DEFAULT_PRESET
    period, valid = form.resolve()
    return form, period, valid


@bp.get("/dashboard")
@page_cache.personal
def dashboard():
    from marketplace.city import monitoring

    if not policies.can_monitor(current_user):
        abort(403)
    form, period, valid = _period_form()
    locale = str(get_locale())
    figures = monitoring.figures(period, locale)
    return render_template("facilitator/dashboard.html", form=form, valid=valid, fig=figures,
                           charts=monitoring.charts(figures, locale), locale=locale,
                           week_label=monitoring.week_label, month_label=monitoring.month_label,
                           stage_label=monitoring.stage_label)


@bp.get("/agreements")
def agreements():
    from marketplace.city import agreements as service

    if not policies.can_monitor(current_user):
        abort(403)
    locale = str(get_locale())
    return render_template("facilitator/agreements.html", agreements=service.all_agreements(),
                           category_names={c.id: c.name(locale) for c in catalog.categories()})


def _agreement_editor(agreement=None):
    from marketplace.listings.producer.forms import add_row
    from marketplace.city import agreements as service

    if not policies.can_monitor(current_user):
        abort(403)
    form = forms.AgreementEditForm(obj=agreement if request.method == "GET" else None)
    if request.method == "GET" and agreement is not None:
        while len(form.targets.entries):
            form.targets.pop_entry()
        for target in agreement.targets:
            form.targets.append_entry({"id": str(target.id), "category_id": target.category_id,
                                       "volume": form_number(target.volume_per_month), "unit": target.unit})
        form.targets.append_entry()
    locale = str(get_locale())
    choices = [(0, "—")] + [(c.id, c.name(locale)) for c in catalog.categories()]
    for entry in form.targets.entries:
        entry.form.category_id.choices = choices
    known = {cid for cid, _label in choices}
    if request.method == "POST":
        if request.form.get("action") == "add_target":
            add_row(form.targets)
            for entry in form.targets.entries:
                entry.form.category_id.choices = choices
        elif form.validate_on_submit():
            code = form.code.data.strip()
            if service.code_taken(code, agreement.id if agreement else None):
                form.code.errors.append(_("Nomor perjanjian ini sudah dipakai."))
            else:
                targets = [{"category_id": e.form.category_id.data, "unit": e.form.unit.data,
                            "volume_per_month": e.form.volume.number}
                           for e in form.targets.entries
                           if not e.form.remove.data and e.form.category_id.data in known - {0}
                           and e.form.volume.number]
                saved = service.save(agreement, {
                    "code": code, "kind": form.kind.data, "title": form.title.data.strip(),
                    "parties": (form.parties.data or "").strip(), "starts_on": form.starts_on.data,
                    "ends_on": form.ends_on.data,
                }, targets, current_user)
                db.session.commit()
                flash(_("Perjanjian %(code)s disimpan.", code=saved.code), "success")
                return redirect(url_for("facilitator.agreements"))
        status = 200 if request.form.get("action") == "add_target" else 400
        return render_template("facilitator/agreement_form.html", form=form, agreement=agreement), status
    return render_template("facilitator/agreement_form.html", form=form, agreement=agreement)


@bp.route("/agreements/new", methods=["GET", "POST"])
def new_agreement():
    return _agreement_editor(None)


@bp.route("/agreements/<int:agreement_id>", methods=["GET", "POST"])
def edit_agreement(agreement_id: int):
    from marketplace.models import Agreement

    return _agreement_editor(db.get_or_404(Agreement, agreement_id))

