"""Dekranasda review: the queue, the side-by-side review page, decisions, suspension, grades, badge."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from marketplace.core import policies
from marketplace.extensions import db
from marketplace.core.forms import EmptyForm
from marketplace.listings.moderation import forms
from marketplace.models import Producer, Product
from marketplace.catalog import page_cache, queries as catalog
from marketplace.listings import editing as listings, review as moderation
from marketplace.core.formatting import certificate_label
from marketplace.core.vocab import KECAMATAN
from marketplace.core.errors import refuse
from marketplace.core.workflow import TransitionNotAllowed

bp = Blueprint("moderation", __name__)

MODELS = {"products": Product, "producers": Producer}


@bp.before_request
@login_required
def _guard():
    if not policies.can_moderate(current_user):
        abort(403)


@bp.app_context_processor
def _queue_count():
    """The number on the navigation bar, for those who moderate."""
    def count() -> int:
        return moderation.queue_count(current_user) if policies.can_moderate(current_user) else 0
    return {"moderation_queue_count": count}


@bp.get("/")
@page_cache.personal
def queue():
    locale = str(get_locale())
    categories = catalog.categories()
    args = forms.QueueArgs()
    kind, category_id, kecamatan = args.value("kind") or None, args.value("category"), args.value("kecamatan") or None
    shown = moderation.queue_page(current_user, kind=kind, category_id=category_id, kecamatan=kecamatan,
                                  page=args.value("page") or 1)
    return render_template(
        "moderation/queue.html", items=shown.items, shown=shown, kind=kind, category_id=category_id,
        kecamatan_code=kecamatan,
        categories=[(c.id, c.name(locale)) for c in categories], kecamatan=KECAMATAN,
        expired=moderation.expired_certificates(current_user),
        to_verify=moderation.certificates_to_verify(current_user),
    )


def _load(kind: str, object_id: int):
    obj = db.get_or_404(MODELS[kind], object_id)
    if not policies.can_moderate(current_user, obj):
        abort(404)
    return obj


def _review(kind: str, object_id: int, decision_form=None, suspend_form=None, grade_form=None,
            unverify_forms=None):
    obj = _load(kind, object_id)
    store = obj if isinstance(obj, Producer) else obj.producer
    revision = listings.open_revision(obj) if obj.status in listings.LIVE_STATES else None
    product = obj if isinstance(obj, Product) else None
    assessment = moderation.latest_assessment(product) if product else None
    return render_template(
        "moderation/review.html", kind=kind, obj=obj, product=product, revision=revision,
        rows=moderation.compare(obj, revision), history=moderation.history(obj),
        live_photos=product.live_photos if product else [],
        proposed_photos=listings.working_photos(product) if product else [],
        decision_form=decision_form or forms.DecisionForm(), suspend_form=suspend_form or forms.SuspendForm(),
        grade_form=grade_form or _grade_form(assessment), badge_form=EmptyForm(), assessment=assessment,
        rubric=moderation.RUBRIC, thresholds=moderation.GRADE_THRESHOLDS,
        notified=moderation.notified_accounts(obj), store=store, certificate_form=EmptyForm(),
        unverify_forms={c.id: (unverify_forms or {}).get(c.id) or forms.UnverifyForm(prefix=f"unverify-{c.id}",
                                                                                     formdata=None)
                        for c in store.certificates},
        mean=moderation.mean_score(assessment.scores) if assessment and assessment.scores else None, pending=(obj.status == "pending") or (revision is not None and revision.status == "pending"),
    )


def _grade_form(assessment) -> forms.GradeForm:
    form = forms.GradeForm()
    if assessment is not None and request.method == "GET":
        for key, value in assessment.scores.items():
            if key in moderation.RUBRIC:
                form[key].data = str(value)
        form.notes.data = assessment.notes
    return form


@bp.get("/<any(products, producers):kind>/<int:object_id>")
def review(kind: str, object_id: int):
    return _review(kind, object_id)


@bp.post("/<any(products, producers):kind>/<int:object_id>/decide")
def decide(kind: str, object_id: int):
    obj = _load(kind, object_id)
    form = forms.DecisionForm()
    action = request.form.get("action")
    if action not in forms.DECISIONS:
        abort(400)
    if not form.validate_on_submit():
        return _review(kind, object_id, decision_form=form), 400
    reason = form.full_reason()
    if action != "approve" and not reason:
        form.reason.errors.append(_("Tulis atau pilih alasan agar produsen tahu apa yang harus diperbaiki."))
        return _review(kind, object_id, decision_form=form), 400
    try:
        if action == "approve":
            moderation.approve(obj, current_user)
        else:
            moderation.reject(obj, current_user, reason, name=action)
    except TransitionNotAllowed as error:
        return refuse(error, "moderation", url_for("moderation.review", kind=kind, object_id=object_id))
    db.session.commit()
    if action == "approve":
        if moderation.visible_to_buyers(obj):
            flash(_("“%(name)s” disetujui dan tampil untuk pembeli.", name=obj.name), "success")
        else:
            flash(_("“%(name)s” disetujui. Produk ini tampil untuk pembeli setelah etalase “%(store)s” disetujui.",
                    name=obj.name, store=obj.producer.name), "warning")
        return redirect(url_for("moderation.queue"))
    if not moderation.notified_accounts(obj):
        # Nobody gets the e-mail: say so, and stay on the page that shows how to reach the producer.
        flash(_("“%(name)s” dikembalikan ke produsen, tetapi tidak ada yang diberi tahu: produsen ini belum punya "
                "akun dengan e-mail. Sampaikan alasannya lewat telepon atau WhatsApp.", name=obj.name), "warning")
        return redirect(url_for("moderation.review", kind=kind, object_id=object_id))
    flash({
        "reject": _("“%(name)s” ditolak; produsen menerima alasannya.", name=obj.name),
        "request_changes": _("Permintaan perbaikan untuk “%(name)s” dikirim ke produsen.", name=obj.name),
    }[action], "success")
    return redirect(url_for("moderation.queue"))


@bp.post("/<any(products, producers):kind>/<int:object_id>/suspend")
def suspend(kind: str, object_id: int):
    obj = _load(kind, object_id)
    form = forms.SuspendForm()
    if not form.validate_on_submit():
        return _review(kind, object_id, suspend_form=form), 400
    try:
        moderation.suspend(obj, current_user, form.reason.data.strip())
    except TransitionNotAllowed as error:
        return refuse(error, "moderation", url_for("moderation.review", kind=kind, object_id=object_id))
    db.session.commit()
    flash(_("“%(name)s” ditangguhkan dan tidak tampil untuk pembeli. Produsen sudah diberi tahu.", name=obj.name), "success")
    return redirect(url_for("moderation.review", kind=kind, object_id=object_id))


@bp.post("/products/<int:object_id>/grade")
def grade(object_id: int):
    product = _load("products", object_id)
    form = forms.GradeForm()
    if not form.validate_on_submit():
        return _review("products", object_id, grade_form=form), 400
    scores = {key: int(form[key].data) for key in moderation.RUBRIC}
    assessment = moderation.assess(product, current_user, scores, (form.notes.data or "").strip())
    db.session.commit()
    flash(_("Nilai kurasi %(grade)s disimpan.", grade=assessment.grade), "success")
    return redirect(url_for("moderation.review", kind="products", object_id=object_id))


@bp.post("/producers/<int:object_id>/curated/<any(award, withdraw):action>")
def curated(object_id: int, action: str):
    producer = _load("producers", object_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    moderation.set_curated(producer, action == "award", current_user)
    db.session.commit()
    flash(_("Lencana “Terkurasi Dekranasda” diberikan.") if action == "award"
          else _("Lencana “Terkurasi Dekranasda” dicabut."), "success")
    return redirect(url_for("moderation.review", kind="producers", object_id=object_id))


@bp.post("/producers/<int:object_id>/certificates/<int:certificate_id>/<any(verify, unverify):action>")
def certificate_verification(object_id: int, certificate_id: int, action: str):
    """Mark a storefront's certificate verified, or take that back with a reason (audited either way)."""
    producer = _load("producers", object_id)
    certificate = moderation.certificate_of(producer, certificate_id)
    if certificate is None:
        abort(404)
    back = url_for("moderation.review", kind="producers", object_id=object_id) + "#sertifikat"
    try:
        if action == "verify":
            if not EmptyForm().validate_on_submit():
                abort(400)
            moderation.verify_certificate(certificate, current_user)
        else:
            form = forms.UnverifyForm(prefix=f"unverify-{certificate.id}")
            if not form.validate_on_submit():
                return _review("producers", object_id, unverify_forms={certificate.id: form}), 400
            moderation.unverify_certificate(certificate, current_user, form.reason.data.strip())
    except TransitionNotAllowed as error:
        return refuse(error, "certificate", back)
    db.session.commit()
    flash(_("Sertifikat %(kind)s No. %(number)s ditandai terverifikasi.", kind=certificate_label(certificate.kind),
            number=certificate.number) if action == "verify" else
          _("Verifikasi sertifikat %(kind)s No. %(number)s dicabut.", kind=certificate_label(certificate.kind),
            number=certificate.number), "success")
    return redirect(back)


@bp.get("/import-approval")
def import_approval():
    """What the moderator ticked among the import's items, listed before they are approved together."""
    args = forms.ImportItemsArgs()
    if args.item.errors:
        flash(_("Centang item dari impor yang ingin disetujui."), "error")
        return redirect(url_for("moderation.queue"))
    items, others = moderation.imported_items(current_user, args.item.data)
    return render_template("moderation/import_approval.html", items=items, others=len(others),
                           form=forms.ImportApprovalForm(formdata=None))


@bp.post("/import-approval")
def approve_imported():
    form = forms.ImportApprovalForm()
    if not form.validate_on_submit():
        if form.errors.keys() - {"item"}:
            abort(400)
        flash(_("Centang item dari impor yang ingin disetujui."), "error")
        return redirect(url_for("moderation.queue"))
    result = moderation.approve_imported(current_user, form.item.data)
    db.session.commit()
    if result.approved:
        flash(ngettext("%(num)s item dari impor disetujui.", "%(num)s item dari impor disetujui.",
                       len(result.approved)), "success")
    if result.already_decided:
        flash(ngettext("%(num)s item sudah diputuskan kurator lain; tidak diubah.",
                       "%(num)s item sudah diputuskan kurator lain; tidak diubah.", len(result.already_decided)),
              "warning")
    if result.refused:
        flash(ngettext("%(num)s item tidak disetujui: bukan kategori Anda atau bukan dari impor.",
                       "%(num)s item tidak disetujui: bukan kategori Anda atau bukan dari impor.", len(result.refused)),
              "error")
    return redirect(url_for("moderation.queue"))
