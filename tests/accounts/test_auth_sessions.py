"""Sessions: signing out, sessions ended elsewhere, remember-me, cookie flags, caching of signed-in pages."""
from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import User
from marketplace.accounts import users as account_service
from tests.authflow import cookie, sent_to_login, sign_in, sign_out, submit
from tests.conftest import PASSWORD

NEW_PASSWORD = "kalimat sandi baru yang cukup panjang"
REMEMBER = "remember_token"


def _signed_in(client) -> bool:
    return client.get("/dashboard/").status_code == 200


def _restart_browser(client) -> None:
    """A browser that was closed and opened again keeps only its persistent cookies."""
    client.delete_cookie("session", domain="etalase.test")


@pytest.fixture
def two_browsers(app, accounts):
    """Producer A signed in on a phone and on a laptop."""
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, accounts.producer_a.email, PASSWORD)
    sign_in(laptop, accounts.producer_a.email, PASSWORD)
    assert _signed_in(phone) and _signed_in(laptop)
    return phone, laptop


# --- signing out -------------------------------------------------------------------------------------

def test_signing_out_by_get_is_not_allowed(client, login_as):
    login_as("producer_a")
    assert client.get("/auth/logout").status_code == 405
    assert _signed_in(client)


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["missing", "forged"])
def test_signing_out_without_a_csrf_token_changes_nothing(client, login_as, token):
    login_as("producer_a")
    client.post("/auth/logout", data={} if token is None else {"csrf_token": token})
    assert _signed_in(client)


def test_signing_out_ends_this_session(client, login_as):
    login_as("producer_a")
    response = sign_out(client)
    assert response.status_code == 302
    assert sent_to_login(client.get("/dashboard/"))


def test_signing_out_on_one_device_ends_the_session_on_another(two_browsers):
    phone, laptop = two_browsers
    sign_out(phone)
    assert sent_to_login(laptop.get("/dashboard/"))


def test_signing_out_removes_the_remember_me_cookie_from_this_browser(app, accounts):
    browser = app.test_client()
    sign_in(browser, accounts.producer_a.email, PASSWORD, remember=True)
    assert cookie(browser, REMEMBER)
    sign_out(browser)
    assert cookie(browser, REMEMBER) is None


def test_a_remember_me_cookie_keeps_you_signed_in_after_the_browser_restarts(app, accounts):
    browser = app.test_client()
    sign_in(browser, accounts.producer_a.email, PASSWORD, remember=True)
    _restart_browser(browser)
    assert _signed_in(browser)


def test_without_remember_me_a_browser_restart_signs_you_out(app, accounts):
    browser = app.test_client()
    sign_in(browser, accounts.producer_a.email, PASSWORD)
    _restart_browser(browser)
    assert not _signed_in(browser)


def test_a_remember_me_cookie_stops_working_after_signing_out_elsewhere(app, accounts):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, accounts.producer_a.email, PASSWORD, remember=True)
    sign_in(phone, accounts.producer_a.email, PASSWORD)
    sign_out(phone)
    _restart_browser(laptop)
    assert sent_to_login(laptop.get("/dashboard/"))


# --- a password change ---------------------------------------------------------------------------------

def _change_password(client, current=PASSWORD, new=NEW_PASSWORD):
    return submit(client, "/auth/password", {"current": current, "password": new, "confirm": new})


def test_a_password_change_keeps_the_session_it_was_made_in(two_browsers):
    phone, _laptop = two_browsers
    assert _change_password(phone).status_code == 302
    assert _signed_in(phone)


def test_a_password_change_ends_the_other_sessions(two_browsers):
    phone, laptop = two_browsers
    _change_password(phone)
    assert sent_to_login(laptop.get("/dashboard/"))


def test_a_password_change_keeps_remember_me_on_the_device_it_was_made_on(app, accounts):
    browser = app.test_client()
    sign_in(browser, accounts.producer_a.email, PASSWORD, remember=True)
    _change_password(browser)
    _restart_browser(browser)
    assert _signed_in(browser)


def test_a_password_change_ends_remember_me_on_other_devices(app, accounts):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, accounts.producer_a.email, PASSWORD, remember=True)
    sign_in(phone, accounts.producer_a.email, PASSWORD)
    _change_password(phone)
    _restart_browser(laptop)
    assert not _signed_in(laptop)


def test_a_wrong_current_password_changes_nothing(client, login_as, accounts):
    login_as("producer_a")
    response = _change_password(client, current="bukan-ini-sandinya")
    assert response.status_code == 200 and "Kata sandi sekarang salah." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, accounts.producer_a.id).check_password(PASSWORD)


def test_after_a_password_change_only_the_new_password_signs_in(app, client, login_as, accounts):
    login_as("producer_a")
    _change_password(client)
    assert sign_in(app.test_client(), accounts.producer_a.email, PASSWORD).status_code == 200
    assert sign_in(app.test_client(), accounts.producer_a.email, NEW_PASSWORD).status_code == 302


def test_guessing_the_current_password_on_the_change_form_is_limited(app, client, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_ACCOUNT", "3 per 2 seconds")
    login_as("producer_a")
    statuses = [_change_password(client, current=f"tebakan-{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


# --- an account disabled -------------------------------------------------------------------------------

def _set_active(user_id: int, active: bool) -> None:
    account_service.set_active(db.session.get(User, user_id), active)
    db.session.commit()


def test_deactivating_an_account_ends_its_sessions(two_browsers, accounts):
    phone, laptop = two_browsers
    _set_active(accounts.producer_a.id, False)
    assert sent_to_login(phone.get("/dashboard/")) and sent_to_login(laptop.get("/dashboard/"))


def test_deactivating_an_account_ends_its_remember_me_cookies(app, accounts):
    browser = app.test_client()
    sign_in(browser, accounts.producer_a.email, PASSWORD, remember=True)
    _set_active(accounts.producer_a.id, False)
    _restart_browser(browser)
    assert not _signed_in(browser)


def test_reactivating_an_account_does_not_revive_its_old_sessions(two_browsers, accounts):
    phone, _laptop = two_browsers
    _set_active(accounts.producer_a.id, False)
    _set_active(accounts.producer_a.id, True)
    assert sent_to_login(phone.get("/dashboard/"))


def test_a_session_cookie_from_before_a_deactivation_is_refused_even_if_replayed(app, accounts):
    browser = app.test_client()
    sign_in(browser, accounts.producer_a.email, PASSWORD)
    stolen = cookie(browser)
    _set_active(accounts.producer_a.id, False)
    _set_active(accounts.producer_a.id, True)
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="etalase.test")
    assert sent_to_login(thief.get("/dashboard/"))


# --- cookie flags ----------------------------------------------------------------------------------

def _set_cookie(response, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    assert headers, f"no {name} cookie set"
    return headers[-1]


@pytest.mark.parametrize("name", ["session", REMEMBER])
def test_the_sign_in_cookies_are_httponly_and_samesite_lax(client, accounts, name):
    header = _set_cookie(sign_in(client, accounts.producer_a.email, PASSWORD, remember=True), name)
    assert "HttpOnly" in header and "SameSite=Lax" in header


@pytest.mark.parametrize("name", ["session", REMEMBER])
def test_the_sign_in_cookies_are_not_secure_only_in_development_and_tests(client, accounts, name):
    # Tests and the local development server run over plain http.
    header = _set_cookie(sign_in(client, accounts.producer_a.email, PASSWORD, remember=True), name)
    assert "Secure" not in header


@pytest.fixture
def production(app, tmp_path):
    return create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      UPLOAD_DIR=str(tmp_path / "uploads"), SERVER_NAME="localhost", RATELIMIT_PER_PROCESS=True)


@pytest.mark.parametrize("setting", ["SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
                                     "REMEMBER_COOKIE_HTTPONLY"])
def test_production_cookies_are_secure_and_httponly(production, setting):
    assert production.config[setting] is True


@pytest.mark.parametrize("name", ["session", REMEMBER])
def test_production_sends_the_sign_in_cookies_secure_only(production, accounts, name):
    browser = production.test_client()
    browser.environ_base.update({"wsgi.url_scheme": "https", "HTTP_REFERER": "https://localhost/auth/login"})
    header = _set_cookie(sign_in(browser, accounts.producer_a.email, PASSWORD, remember=True), name)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header


# --- caching --------------------------------------------------------------------------------------------

SIGNED_IN_PAGES = [
    ("producer_a", "/dashboard/"),
    ("producer_a", "/dashboard/products"),
    ("producer_a", "/auth/password"),
    ("officer", "/dashboard/"),
    ("moderator", "/moderation/"),
    ("facilitator", "/facilitator/inquiries"),
    ("admin", "/facilitator/inquiries"),
]


@pytest.mark.parametrize("who, path", SIGNED_IN_PAGES)
def test_signed_in_pages_are_not_stored_by_any_cache(client, login_as, who, path):
    login_as(who)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("who, path", SIGNED_IN_PAGES)
def test_signed_in_pages_vary_by_cookie(client, login_as, who, path):
    login_as(who)
    assert "cookie" in client.get(path).headers.get("Vary", "").lower()


@pytest.mark.parametrize("path", ["/", "/products"])
def test_public_pages_seen_by_a_signed_in_user_are_not_stored_either(client, login_as, path):
    login_as("producer_a")
    assert client.get(path).headers["Cache-Control"] == "private, no-store"
