"""/admin/import: upload the city's inventory, see what a dry run would do, confirm, download the rejected rows."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core import policies
from marketplace.extensions import db
from marketplace.core.forms import drop_control_characters
from marketplace.city.imports import forms
from marketplace.city import uploads as import_uploads, importer as imports
from marketplace.city.uploads import UploadGone
from marketplace.city.importer import InventoryFileError

bp = Blueprint("imports", __name__)

MAX_ROWS = 10_000  # larger files go through `flask import-umkm` (shown on the page)
MAX_BYTES = 8 * 1024 * 1024


@bp.before_request
@login_required
def _guard():
    if not policies.can_import_inventory(current_user):
        abort(403)


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _limits() -> tuple[int, int]:
    return current_app.config.get("IMPORT_MAX_ROWS", MAX_ROWS), current_app.config.get("IMPORT_MAX_BYTES", MAX_BYTES)


def _upload_page(form, status: int = 200):
    max_rows, max_bytes = _limits()
    return render_template("imports/upload.html", form=form, max_rows=max_rows, max_mb=max_bytes // (1024 * 1024)), status


def _gone():
    flash(_("Pratinjau ini tidak ada lagi (kedaluwarsa, sudah diimpor, atau milik akun lain). Unggah berkasnya lagi."),
          "error")
    return redirect(url_for("imports.upload"))


@bp.route("/", methods=["GET", "POST"])
def upload():
    form = forms.UploadForm()
    if not form.validate_on_submit():
        return _upload_page(form, 400 if form.is_submitted() else 200)
    max_rows, max_bytes = _limits()
    filename = drop_control_characters(Path(form.file.data.filename or "").name)[-120:]
    data = form.file.data.read(max_bytes + 1)
    if not data.strip():
        form.file.errors.append(_("Berkas ini kosong."))
        return _upload_page(form, 400)
    if len(data) > max_bytes:
        form.file.errors.append(_("Berkas lebih besar dari %(mb)s MB. Gunakan perintah di bawah.", mb=max_bytes // 2**20))
        return _upload_page(form, 400)
    try:
        preview = imports.dry_run(filename, publish=form.publish.data, data=data, max_rows=max_rows,
                                  user=current_user._get_current_object())
    except InventoryFileError as error:
        form.file.errors.append(f"{filename}: {import_uploads.file_problem(error)}")
        return _upload_page(form, 400)
    token = import_uploads.save(data, filename, form.publish.data, current_user.id, preview)
    return redirect(url_for("imports.preview", token=token), 303)


@bp.get("/<token>")
def preview(token: str):
    try:
        pending = import_uploads.load(token, current_user.id)
    except UploadGone:
        try:
            import_uploads.finished(token, current_user.id)
        except UploadGone:
            return _gone()
        return redirect(url_for("imports.done", token=token))
    result = pending.preview
    return render_template("imports/preview.html", pending=pending, result=result,
                           form=forms.confirm_form(result.open_conflicts), entries=import_uploads.entries(result),
                           rejected=import_uploads.rejected_rows(result), warnings=import_uploads.warnings(result))


@bp.post("/<token>/confirm")
def confirm(token: str):
    try:
        conflicts = import_uploads.load(token, current_user.id).preview.open_conflicts
    except UploadGone:
        conflicts = []  # gone, or being imported by a first click: handled below
    form = forms.confirm_form(conflicts)
    if not form.validate_on_submit():
        abort(400)
    try:
        pending, data = import_uploads.claim(token, current_user.id)
    except UploadGone:
        # A second click (or a retried POST): the first request imports; this one shows its result.
        try:
            import_uploads.wait_until_finished(token, current_user.id)
        except UploadGone:
            return _gone()
        flash(_("Berkas ini sudah diimpor. Tidak ada yang diimpor dua kali."), "info")
        return redirect(url_for("imports.done", token=token), 303)
    try:
        result = imports.import_file(pending.filename, publish=pending.publish, data=data,
                                     user=current_user._get_current_object(), resolutions=form.resolutions())
        db.session.commit()
    except Exception:
        db.session.rollback()
        import_uploads.release(token)
        raise
    import_uploads.finish(pending, result)
    flash(_("Impor selesai."), "success")
    return redirect(url_for("imports.done", token=token), 303)


@bp.get("/<token>/done")
def done(token: str):
    try:
        finished = import_uploads.finished(token, current_user.id)
    except UploadGone:
        return _gone()
    result = finished.result
    return render_template("imports/done.html", finished=finished, result=result, entries=import_uploads.entries(result),
                           rejected=import_uploads.rejected_rows(result), warnings=import_uploads.warnings(result))


@bp.get("/<token>/ditolak.csv")
def report(token: str):
    """The rejected rows of a finished import, or of the preview while it waits."""
    try:
        result = import_uploads.finished(token, current_user.id).result
    except UploadGone:
        try:
            result = import_uploads.load(token, current_user.id).preview
        except UploadGone:
            return _gone()
    return Response(imports.report_csv(result), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="baris-ditolak.csv"',
    })
