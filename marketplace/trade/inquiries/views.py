"""The buyer's side: send an inquiry (no account), then follow it through a private link."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from marketplace.extensions import db, limiter
from marketplace.trade.inquiries import forms
from marketplace.trade import service as inquiries
from marketplace.core.errors import refuse
from marketplace.core.workflow import TransitionNotAllowed

bp = Blueprint("inquiries", __name__)


def _inquiry_limit() -> str:
    return current_app.config["INQUIRY_LIMIT"]


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(_inquiry_limit, methods=["POST"])
def new():
    about = forms.SubjectArgs()
    subject = inquiries.subject_for(about.products(), about.value("producer"))
    if subject.has_lines:
        form = forms.InquiryLinesForm.for_listings(subject.listings)
    else:
        form = forms.InquiryForm()
    if request.method == "GET":
        form.issue()
        if subject.has_lines:
            form.fill(about.asked())
        else:
            if subject.unit:
                form.unit.data = subject.unit
            asked = about.asked()
            if asked is not None:
                from marketplace.core.formatting import form_number

                form.quantity.data, form.unit.data = form_number(asked[0]), asked[1]
    warnings: list[str] = []
    line_warnings: dict[int, list[str]] = {}
    if form.validate_on_submit():
        if form.is_a_bot():
            # Answer as if it worked; store nothing.
            flash(_("Terima kasih. Permintaan Anda sedang diproses."), "success")
            return redirect(url_for("catalog.home"))
        stamp = form.stamp()
        if stamp is forms.Stamp.STALE:
            flash(_("Formulir ini sudah terlalu lama terbuka. Isian Anda tetap ada: periksa, lalu kirim lagi."),
                  "warning")
            form.issue()
        elif stamp is forms.Stamp.TOO_FAST:
            flash(_("Formulir ini terkirim terlalu cepat. Periksa isian Anda, lalu kirim lagi."), "warning")
        else:
            if subject.has_lines:
                line_warnings = subject.line_warnings(form.lines())
            else:
                warnings = subject.quantity_warnings(form.quantity.number, form.unit.data)
            if (warnings or line_warnings) and form.acknowledged.data != "1":
                form.acknowledged.data = "1"  # shown once; sending again means "yes, this quantity"
            else:
                try:
                    inquiry = inquiries.submit(form.values(), subject, form.nonce, str(get_locale()),
                                               lines=form.lines() if subject.has_lines else ())
                except inquiries.DuplicateSubmission as duplicate:
                    if form.issued_to_this_browser():  # a double click, or the browser sent the form again
                        return redirect(url_for("inquiries.track", token=duplicate.inquiry.tracking_token))
                    # Someone else's form: its inquiry stays theirs. A new form, should this person mean it.
                    flash(_("Formulir ini sudah dikirim. Untuk permintaan baru, periksa isian lalu kirim lagi."),
                          "warning")
                    form.issue()
                else:
                    reference, token = inquiry.reference, inquiry.tracking_token  # not read again after the commit
                    db.session.commit()
                    flash(_("Permintaan Anda terkirim dengan nomor %(reference)s. Simpan tautan halaman ini untuk "
                            "melacaknya.", reference=reference), "success")
                    return redirect(url_for("inquiries.track", token=token))
    elif form.stamp() is forms.Stamp.STALE:
        form.issue()  # shown again with errors to fix: with a token that will still be taken
    return render_template("inquiries/new.html", form=form, subject=subject, warnings=warnings,
                           line_warnings=line_warnings)


@bp.after_request
def _private(response):
    """Tracking pages are reached by a secret link: never cached, never indexed."""
    if request.endpoint and request.endpoint.startswith("inquiries.track"):
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _load(token: str):
    inquiry = inquiries.by_token(token)
    if inquiry is None:
        abort(404)
    return inquiry


def _track_page(inquiry, status: int = 200, answer_form=None):
    from marketplace.trade import contracts, quotations

    sent = [q for q in inquiry.quotations if str(q.status) != "withdrawn"]
    return render_template(
        "inquiries/track.html", inquiry=inquiry, timeline=inquiries.buyer_timeline(inquiry),
        message_form=forms.TrackMessageForm(), cancel_form=forms.CancelForm(),
        can_cancel=inquiries.workflow.allowed("cancel", inquiry, inquiries.policies.BUYER),
        quotation=sent[-1] if sent else None, earlier=sent[:-1][::-1], summary=quotations.summary,
        answer_form=answer_form or forms.QuotationAnswerForm(), delivered=contracts.delivered,
        shown_deliveries=contracts.recorded_deliveries,
        can_answer=lambda q: inquiries.workflow_allowed(q, "decline"),
        can_accept=lambda q: inquiries.workflow_allowed(q, "accept", guards=True),
    ), status


@bp.route("/track/<token>", methods=["GET"])
def track(token: str):
    return _track_page(_load(token))


@bp.post("/track/<token>/quotation/<int:version>/<any(accept, decline, ask_change):action>")
@limiter.limit("30 per hour")
def track_quotation(token: str, version: int, action: str):
    """The buyer accepts (after a second step), declines with a reason or asks for a change."""
    from marketplace.trade import quotations

    inquiry = _load(token)
    quotation = quotations.quotation_of(inquiry, version)
    if quotation is None:
        abort(404)
    form = forms.QuotationAnswerForm()
    if not form.validate_on_submit():
        return _track_page(inquiry, 400, form)
    reason = (form.reason.data or "").strip()
    if action != "accept" and not reason:
        form.reason.errors.append(_("Tulis alasannya agar fasilitator tahu apa yang perlu diubah."))
        return _track_page(inquiry, 400, form)
    if action == "accept" and not form.confirmed.data:
        return render_template("inquiries/quotation_confirm.html", inquiry=inquiry, quotation=quotation,
                               summary=quotations.summary(quotation), form=form)
    try:
        contract = quotations.answer(quotation, action, reason)
    except TransitionNotAllowed as error:
        return refuse(error, "quotation", url_for("inquiries.track", token=token) + "#penawaran")
    db.session.commit()
    if contract is not None:
        flash(_("Terima kasih. Penawaran diterima; kontrak %(reference)s dibuat dan fasilitator BUMD akan mengatur "
                "pengirimannya.", reference=contract.reference), "success")
    elif action == "decline":
        flash(_("Penawaran ditolak. Fasilitator menerima alasan Anda."), "success")
    else:
        flash(_("Permintaan perubahan terkirim. Fasilitator akan mengirim versi baru."), "success")
    return redirect(url_for("inquiries.track", token=token) + "#penawaran")


@bp.post("/track/<token>/message")
@limiter.limit("20 per hour")
def track_message(token: str):
    inquiry = _load(token)
    form = forms.TrackMessageForm()
    if not form.validate_on_submit():
        flash(_("Tulis pesan Anda terlebih dahulu."), "error")
        return redirect(url_for("inquiries.track", token=token))
    inquiries.buyer_message(inquiry, form.body.data.strip())
    db.session.commit()
    flash(_("Pesan Anda terkirim ke fasilitator."), "success")
    return redirect(url_for("inquiries.track", token=token))


@bp.post("/track/<token>/cancel")
def track_cancel(token: str):
    inquiry = _load(token)
    form = forms.CancelForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.confirmed.data:
        return render_template("inquiries/cancel_confirm.html", inquiry=inquiry, form=form)
    try:
        inquiries.cancel(inquiry, (form.reason.data or "").strip())
    except TransitionNotAllowed as error:
        return refuse(error, "cancel", url_for("inquiries.track", token=token))
    db.session.commit()
    flash(_("Permintaan dibatalkan."), "success")
    return redirect(url_for("inquiries.track", token=token))
