"""Account administration and the audit log, for the city's admin only."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from marketplace.core import policies
from marketplace.accounts.admin import forms
from marketplace.extensions import db
from marketplace.core.forms import EmptyForm
from marketplace.models import Category, Producer, Role, User
from marketplace.accounts import audit as audit_trail, overview, users
from marketplace.catalog import queries as catalog
from marketplace.core import exports
from marketplace.accounts.users import AccountError

bp = Blueprint("admin", __name__)


@bp.before_request
@login_required
def _guard():
    if not policies.can_administer(current_user):
        abort(403)


def _me() -> User:
    return current_user._get_current_object()


# ---------------------------------------------------------------- the overview (the admin's home)

@bp.get("/")
def home():
    return render_template("admin/home.html", overview=overview.admin_overview(_me()))


# ---------------------------------------------------------------- the list

@bp.get("/users")
def users_list():
    args = forms.UserListArgs()
    status = args.value("status")
    filters = users.UserFilters(q=args.value("q"), role=args.value("role") or None,
                                active={"active": True, "inactive": False}.get(status), page=args.value("page") or 1)
    pagination = users.user_list(filters)
    return render_template("admin/users.html", pagination=pagination, filters=filters, status=status, roles=list(Role))


# ---------------------------------------------------------------- a new staff account

@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = forms.StaffForm()
    if form.validate_on_submit():
        name, email, role = form.name.data.strip(), form.email.data.strip(), form.role.data
        try:
            user, created = users.create_staff(email, name, role, _me())
            db.session.commit()
        except AccountError:
            db.session.rollback()
            form.email.errors.append(_("Sudah ada akun dengan email ini. Cari di daftar pengguna."))
            return render_template("admin/new_user.html", form=form), 400
        except IntegrityError:  # the other copy of a double-clicked form got there first
            db.session.rollback()
            user, created = users.find_resubmission(email, name, role), False
            if user is None:
                form.email.errors.append(_("Sudah ada akun dengan email ini. Cari di daftar pengguna."))
                return render_template("admin/new_user.html", form=form), 400
        if created:
            flash(_("Akun %(email)s dibuat. Undangan untuk membuat kata sandi sudah dikirim.", email=user.email),
                  "success")
        else:
            flash(_("Akun %(email)s sudah dibuat sebelumnya; tidak ada undangan kedua.", email=user.email), "info")
        return redirect(url_for("admin.user", user_id=user.id), 303)
    return render_template("admin/new_user.html", form=form), 400 if form.errors else 200


# ---------------------------------------------------------------- one account

def _user_page(user: User, role_form=None, status: int = 200):
    locale = str(get_locale())
    role_form = role_form or forms.RoleForm(formdata=None, role=str(user.role))
    candidates, scope_choices = [], []
    q = forms.UserPageArgs().value("q")
    if user.role == Role.FIELD_OFFICER:
        candidates = users.producer_candidates(user, q)
    if user.role == Role.MODERATOR:
        scoped = {c.id for c in user.moderated_categories}
        scope_choices = [(c.id, c.name(locale)) for c in catalog.categories() if c.id not in scoped]
    recent, _more = audit_trail.page(audit_trail.AuditFilters(object_type="user_account", object_id=user.id), limit=15)
    return render_template(
        "admin/user.html", user=user, role_form=role_form, form=EmptyForm(), q=q, candidates=candidates,
        scope_choices=scope_choices, recent=recent, is_self=user.id == current_user.id,
        invitation_pending=users.invitation_pending(user), staff_roles=[str(r) for r in users.STAFF_ROLES],
        category_name=lambda c: c.name(locale),
    ), status


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    return _user_page(db.get_or_404(User, user_id))


def _back(user: User):
    return redirect(url_for("admin.user", user_id=user.id), 303)


def _refused(error: AccountError, user: User):
    db.session.rollback()
    if isinstance(error, users.SelfLockout):
        flash(_("Ditolak: Anda tidak dapat mencabut peran admin atau menonaktifkan akun Anda sendiri, dan harus "
                "selalu ada setidaknya satu admin aktif."), "error")
    else:
        flash(_("Tindakan ini tidak berlaku untuk akun ini."), "error")
    return _back(user)


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = forms.RoleForm()
    if not form.validate_on_submit():
        return _user_page(user, role_form=form, status=400)
    try:
        changed = users.change_role(user, form.role.data, _me())
    except AccountError as error:
        return _refused(error, user)
    db.session.commit()
    if changed:
        flash(_("Peran %(email)s diubah.", email=user.email), "success")
    return _back(user)


@bp.post("/users/<int:user_id>/<any(deactivate, reactivate):action>")
def set_active(user_id: int, action: str):
    user = db.get_or_404(User, user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        changed = users.change_activation(user, action == "reactivate", _me())
    except AccountError as error:
        return _refused(error, user)
    db.session.commit()
    if changed:
        flash(_("Akun %(email)s diaktifkan kembali.", email=user.email) if action == "reactivate"
              else _("Akun %(email)s dinonaktifkan; semua sesinya sudah diakhiri.", email=user.email), "success")
    return _back(user)


@bp.post("/users/<int:user_id>/invite")
def resend_invitation(user_id: int):
    user = db.get_or_404(User, user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        users.resend_invitation(user, _me())
    except AccountError:
        db.session.rollback()
        flash(_("Akun ini sudah memiliki kata sandi; undangan tidak diperlukan."), "error")
        return _back(user)
    db.session.commit()
    flash(_("Undangan dikirim ulang ke %(email)s.", email=user.email), "success")
    return _back(user)


@bp.post("/users/<int:user_id>/producers")
def producers(user_id: int):
    user = db.get_or_404(User, user_id)
    form = forms.ProducerForm()
    if not form.validate_on_submit():
        abort(400)
    producer = db.session.get(Producer, form.producer_id.data)
    if producer is None:
        abort(400)
    try:
        users.assign_producer(user, producer, form.op.data == "remove", _me())
    except AccountError as error:
        return _refused(error, user)
    db.session.commit()
    flash(_("%(producer)s sekarang didampingi %(email)s.", producer=producer.name, email=user.email)
          if form.op.data == "add" else
          _("%(producer)s tidak lagi didampingi %(email)s.", producer=producer.name, email=user.email), "success")
    return _back(user)


@bp.post("/users/<int:user_id>/scope")
def scope(user_id: int):
    user = db.get_or_404(User, user_id)
    form = forms.ScopeForm()
    if not form.validate_on_submit():
        abort(400)
    category = db.session.get(Category, form.category_id.data)
    if category is None:
        abort(400)
    try:
        users.set_scope(user, category, form.op.data == "remove", _me())
    except AccountError as error:
        return _refused(error, user)
    db.session.commit()
    flash(_("Cakupan kurasi diperbarui."), "success")
    return _back(user)


# ---------------------------------------------------------------- the audit log

def _audit_filters() -> audit_trail.AuditFilters:
    args = forms.AuditArgs()
    return audit_trail.AuditFilters(
        actor=args.value("actor"), action=args.value("action") or None, object_type=args.value("object_type") or None,
        object_id=args.value("object_id"), producer=args.value("producer"), since=args.value("since"),
        until=args.value("until"), before=args.value("before"),
    )


@bp.get("/audit")
def audit():
    filters = _audit_filters()
    rows, next_before = audit_trail.page(filters)
    return render_template(
        "admin/audit.html", rows=rows, next_before=next_before, filters=filters,
        producers=audit_trail.producers_of(rows), accounts=audit_trail.accounts_of(rows), actions=audit_trail.actions(),
        object_types=audit_trail.object_types(),
    )


@bp.get("/audit/export.csv")
def audit_export():
    return exports.response(audit_trail.export_table(_audit_filters()), "csv", "log-audit")
