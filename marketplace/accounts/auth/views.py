"""Sign in and out, producer self-registration, e-mail confirmation, password reset, invitations."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError

from marketplace.accounts.auth import forms
from marketplace.extensions import db, limiter, login_manager
from marketplace.core.forms import EmptyForm, drop_control_characters
from marketplace.models import Role, User
from marketplace.core.security import safe_next
from marketplace.accounts import users as accounts, audit, tokens

bp = Blueprint("auth", __name__)


@bp.record_once
def _sign_in_prompt(state) -> None:
    """What a visitor sent here from a protected page reads, in their language (Flask-Login's default is English)."""
    login_manager.login_message = _l("Silakan masuk untuk membuka halaman ini.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str  # the flashed message must be a plain string in the session


# The public forms, shown again with what was typed when their CSRF token no longer matches.
_FORM_PAGES = {
    "auth.login": (forms.LoginForm, "auth/login.html"),
    "auth.register": (forms.RegisterForm, "auth/register.html"),
    "auth.reset": (forms.ResetRequestForm, "auth/reset_request.html"),
}


@bp.errorhandler(CSRFError)
def _form_expired(error: CSRFError):
    """A form sent after the browser lost its session (a phone that closed the tab, a very old page).

    Nothing is done; the form comes back with what was typed (never a password), a fresh token
    and "Sesi formulir sudah kedaluwarsa", instead of a bare "Bad Request".
    """
    from marketplace.core.errors import handle_http

    page = _FORM_PAGES.get(request.endpoint)
    if page is None:
        return handle_http(error)
    form_class, template = page
    form = form_class()
    form.csrf_token.errors = [error.description]
    return render_template(template, form=form), 400


def landing(user: User) -> str:
    """Where a user goes after signing in when no `next` was asked for."""
    if user.role in (Role.PRODUCER, Role.FIELD_OFFICER):
        return url_for("producer.overview")
    if user.role == Role.MODERATOR:
        return url_for("moderation.queue")
    if user.role == Role.FACILITATOR:
        return url_for("facilitator.queue")
    if user.role == Role.ADMIN:
        return url_for("admin.home")
    return url_for("catalog.home")


def _login_email_key() -> str:
    """The account an attempt is aimed at, spelled the way the form and find_by_email read it."""
    email = drop_control_characters(request.form.get("email") or "")
    return "login-account:" + email.strip().lower()[:254]


def _failed(response) -> bool:
    """Only failed attempts (the form shown again) count against the limits."""
    return response.status_code == 200


def _account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_ACCOUNT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_ADDRESS"]


def _log_blocked(what: str):
    """A warning in the application log for each attempt refused with 429 (the limiter's own note is INFO)."""
    def on_breach(limit) -> None:
        email = request.form.get("email") or getattr(current_user, "email", "") or ""
        current_app.logger.warning(
            "password guessing blocked: too many failed attempts %s (%s); e-mail %r from %s", what, limit.limit,
            email[:254], request.remote_addr,
        )
    return on_breach


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_account_limit, key_func=_login_email_key, methods=["POST"], deduct_when=_failed,
               on_breach=_log_blocked("on this account"))
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed, on_breach=_log_blocked("from this address"))
def login():
    if current_user.is_authenticated:
        return redirect(landing(current_user))
    form = forms.LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a new session at every sign-in
            login_user(user, remember=form.remember.data)
            audit.record("account.login", user, actor=user)
            db.session.commit()
            return redirect(safe_next(form.next.data) or landing(user))
        current_app.logger.warning("failed login for %r from %s", form.email.data[:254], request.remote_addr)
        flash(_("Email atau kata sandi salah."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        accounts.end_all_sessions(user)  # other devices are signed out too
        audit.record("account.logout", user, actor=user)
        db.session.commit()
        session.clear()
        logout_user()  # after clearing: it marks the remember-me cookie of this browser for deletion
        flash(_("Anda sudah keluar."), "success")
    return redirect(url_for("catalog.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(landing(current_user))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        accounts.register_producer(
            email=form.email.data, password=form.password.data, name=form.name.data,
            business_name=form.business_name.data, nib=form.nib.data, kecamatan=form.kecamatan.data,
            kelurahan=form.kelurahan.data, phone=form.phone.data or None, locale=str(get_locale()),
        )
        db.session.commit()
        return redirect(url_for("auth.check_email"))
    return render_template("auth/register.html", form=form)


@bp.get("/check-email")
def check_email():
    return render_template("auth/check_email.html")


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    try:
        user = tokens.load(token, "confirm")
    except tokens.TokenInvalid:
        flash(_("Tautan konfirmasi tidak berlaku lagi atau sudah dipakai. Masuk untuk meminta tautan baru."), "error")
        return redirect(url_for("auth.login"))
    form = EmptyForm()
    if form.validate_on_submit():
        accounts.confirm_email(user)
        db.session.commit()
        flash(_("Email Anda sudah dikonfirmasi."), "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(landing(user))
        return redirect(url_for("auth.login"))
    return render_template("auth/confirm.html", form=form, user=user)


@bp.post("/confirm/resend")
@login_required
@limiter.limit("5 per hour")
def resend_confirmation():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.email_confirmed_at is None:
        accounts.queue_confirmation(current_user)
        db.session.commit()
        flash(_("Tautan konfirmasi baru sudah dikirim ke %(email)s.", email=current_user.email), "success")
    return redirect(landing(current_user))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset():
    form = forms.ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        # The same answer whether or not the address has an account.
        flash(_("Jika email tersebut terdaftar, tautan untuk mengatur ulang kata sandi sudah dikirim. Tautan berlaku 2 jam."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_with_token(token: str):
    try:
        user = tokens.load(token, "reset")
    except tokens.TokenInvalid:
        flash(_("Tautan atur ulang kata sandi tidak berlaku lagi atau sudah dipakai. Minta tautan baru."), "error")
        return redirect(url_for("auth.reset"))
    form = forms.SetPasswordForm(account_email=user.email)
    if form.validate_on_submit():
        user.set_password(form.password.data)
        accounts.confirm_email(user)  # the link reached this inbox
        accounts.end_all_sessions(user)
        audit.record("account.password_reset", user, actor=user)
        db.session.commit()
        flash(_("Kata sandi baru sudah disimpan. Silakan masuk."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, title=_("Atur ulang kata sandi"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str):
    try:
        user = tokens.load(token, "invite")
    except tokens.TokenInvalid:
        flash(_("Undangan ini tidak berlaku lagi atau sudah dipakai. Hubungi admin Pemkot untuk undangan baru."), "error")
        return redirect(url_for("auth.login"))
    form = forms.SetPasswordForm(account_email=user.email)
    if form.validate_on_submit():
        accounts.accept_invitation(user, form.password.data)
        db.session.commit()
        session.clear()
        login_user(user)
        flash(_("Selamat datang di Etalase Metro! Kata sandi Anda sudah disimpan."), "success")
        return redirect(landing(user))
    return render_template("auth/set_password.html", form=form, title=_("Terima undangan"), invited=user)


def _password_change_key() -> str:
    return f"password-change:{current_user.get_id()}"


def _wrong_current_password(response) -> bool:
    return bool(g.get("wrong_current_password"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_account_limit, key_func=_password_change_key, methods=["POST"], deduct_when=_wrong_current_password,
               on_breach=_log_blocked("at the current password of a signed-in account"))
def change_password():
    form = forms.ChangePasswordForm(account_email=current_user.email)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not user.check_password(form.current.data):
            g.wrong_current_password = True  # guesses count like failed sign-ins
            form.current.errors.append(_("Kata sandi sekarang salah."))
        else:
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            accounts.change_password(user, form.password.data)
            db.session.commit()
            # This session (and this browser's remember-me) continues under the new session version;
            # every other session ends.
            login_user(user, remember=remembered)
            flash(_("Kata sandi sudah diganti. Perangkat lain otomatis keluar."), "success")
            return redirect(landing(user))
    return render_template("auth/change_password.html", form=form)
