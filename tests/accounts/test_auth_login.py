"""Signing in: landings, what a failure reveals, deactivated accounts, a fresh session, CSRF, brute force."""
from __future__ import annotations

import logging
import re
import time

import pytest

from marketplace.extensions import db
from marketplace.models import User
from marketplace.accounts import users as account_service
from tests.authflow import LOGIN_FAILED, cookie, location_path, sent_to_login, sign_in
from tests.conftest import PASSWORD, csrf_from

UNKNOWN = "tidak-ada@contoh.id"
WRONG = "bukan-kata-sandinya"


@pytest.mark.parametrize("who, landing", [
    ("producer_a", "/dashboard/"),
    ("officer", "/dashboard/"),
    ("moderator", "/moderation/"),
    ("facilitator", "/facilitator/inquiries"),
    ("admin", "/admin/"),
])
def test_the_right_password_leads_to_the_roles_landing(client, accounts, who, landing):
    response = sign_in(client, accounts.by_name(who).email, PASSWORD)
    assert response.status_code == 302
    assert location_path(response) == landing


def test_the_email_is_matched_without_regard_to_case_or_surrounding_spaces(client, accounts):
    response = sign_in(client, "  A@Contoh.ID ", PASSWORD)
    assert location_path(response) == "/dashboard/"


def test_after_signing_in_the_landing_page_opens(client, accounts):
    sign_in(client, accounts.producer_a.email, PASSWORD)
    assert client.get("/dashboard/").status_code == 200


# --- what a failure reveals --------------------------------------------------------------------

def _failure(client, email):
    response = sign_in(client, email, WRONG)
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("email", [UNKNOWN, "a@contoh.id"], ids=["unknown e-mail", "wrong password"])
def test_a_failed_sign_in_shows_the_form_again_with_one_message(client, accounts, email):
    status, page = _failure(client, email)
    assert status == 200
    assert LOGIN_FAILED in page and 'name="password"' in page


def test_unknown_email_and_wrong_password_give_the_same_page(client, accounts):
    unknown_status, unknown = _failure(client, UNKNOWN)
    wrong_status, wrong = _failure(client, accounts.producer_a.email)
    assert unknown_status == wrong_status
    # The pages differ only in the typed e-mail (kept in the field) and the CSRF token.
    token = re.compile(r'value="[^"]{40,}"')
    assert token.sub("", unknown.replace(UNKNOWN, "EMAIL")) == token.sub("", wrong.replace(accounts.producer_a.email, "EMAIL"))


def _hash_checks(monkeypatch):
    """Record the scrypt parameters of every password hash checked (the work done), on either path."""
    from marketplace.models import accounts as account_models

    seen = []
    for module in (account_service, account_models):
        original = module.check_password_hash

        def spy(pwhash, password, _original=original):
            seen.append(pwhash.split("$", 1)[0])
            return _original(pwhash, password)

        monkeypatch.setattr(module, "check_password_hash", spy)
    return seen


@pytest.mark.parametrize("email", [UNKNOWN, "a@contoh.id", "belum@contoh.id"],
                         ids=["unknown e-mail", "wrong password", "invited, no password yet"])
def test_every_failure_checks_one_hash_made_the_way_real_ones_are(app, client, accounts, monkeypatch, email):
    account_service.create_user("belum@contoh.id", None, "facilitator")
    db.session.commit()
    seen = _hash_checks(monkeypatch)
    sign_in(client, email, WRONG)
    real = accounts.producer_a.password_hash.split("$", 1)[0]
    assert seen == [real]


# --- deactivated accounts ----------------------------------------------------------------------

@pytest.fixture
def deactivated(accounts):
    user = db.session.get(User, accounts.producer_a.id)
    account_service.set_active(user, False)
    db.session.commit()
    return user


def test_a_deactivated_account_cannot_sign_in_with_the_right_password(client, deactivated):
    response = sign_in(client, deactivated.email, PASSWORD)
    assert response.status_code == 200 and LOGIN_FAILED in response.get_data(as_text=True)
    assert sent_to_login(client.get("/dashboard/"))


# --- a new session at every sign-in --------------------------------------------------------------

def test_signing_in_issues_a_new_session_cookie(client, accounts):
    client.get("/auth/login")
    before = cookie(client)
    sign_in(client, accounts.producer_a.email, PASSWORD)
    assert cookie(client) not in (None, before)


def test_signing_in_drops_whatever_the_session_held_before(client, accounts):
    client.get("/auth/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["acting_for"] = accounts.producer_b_store.id
    sign_in(client, accounts.producer_a.email, PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session and "acting_for" not in session
        assert session["_user_id"].startswith(f"{accounts.producer_a.id}:")


# --- CSRF -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "not-a-token"], ids=["missing", "empty", "forged"])
def test_a_sign_in_without_a_valid_csrf_token_is_refused_without_an_error(client, accounts, token):
    client.get("/auth/login")
    data = {"email": accounts.producer_a.email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/auth/login", data=data)
    assert response.status_code == 400 or (
        response.status_code == 200 and "Sesi formulir sudah kedaluwarsa" in response.get_data(as_text=True))


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["missing", "forged"])
def test_a_sign_in_without_a_valid_csrf_token_does_not_sign_in(client, accounts, token):
    data = {"email": accounts.producer_a.email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    client.post("/auth/login", data=data)
    assert sent_to_login(client.get("/dashboard/"))


EXPIRED = "Sesi formulir sudah kedaluwarsa"


def _post_without_session(client, path, data):
    """A form sent after the browser lost its session cookie (so its CSRF token no longer matches)."""
    token = csrf_from(client.get(path))
    client.delete_cookie("session", domain="etalase.test")
    return client.post(path, data={"csrf_token": token, **data})


def test_a_sign_in_after_the_session_was_lost_shows_the_form_again_with_a_message(client, accounts):
    response = _post_without_session(client, "/auth/login", {"email": "a@contoh.id", "password": PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert EXPIRED in page and 'value="a@contoh.id"' in page and PASSWORD not in page


def test_the_form_shown_again_after_a_lost_session_signs_in(client, accounts):
    again = _post_without_session(client, "/auth/login", {"email": "a@contoh.id", "password": PASSWORD})
    response = client.post("/auth/login", data={"csrf_token": csrf_from(again), "email": "a@contoh.id",
                                                "password": PASSWORD})
    assert location_path(response) == "/dashboard/"


def test_a_registration_after_the_session_was_lost_keeps_what_was_typed(client, ctx):
    from tests.authflow import registration

    response = _post_without_session(client, "/auth/register", registration(business_name="KWT Tapis Indah"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert EXPIRED in page and 'value="KWT Tapis Indah"' in page


def test_a_csrf_token_from_another_browser_does_not_sign_in(app, client, accounts):
    theirs = csrf_from(app.test_client().get("/auth/login"))
    client.get("/auth/login")
    response = client.post("/auth/login", data={"email": accounts.producer_a.email, "password": PASSWORD,
                                                "csrf_token": theirs})
    assert response.status_code in (200, 400)
    assert sent_to_login(client.get("/dashboard/"))


# --- brute force ----------------------------------------------------------------------------------

@pytest.fixture
def short_limits(app, monkeypatch):
    """Sign-in limits small enough to reach in a test; restored afterwards.

    The counts are small, the windows long: the limits are moving windows, so on a loaded machine a short window
    could let the first attempts expire before the last one is counted. The limiter is reset between tests.
    """
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_ACCOUNT", "3 per 1 hour")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_ADDRESS", "6 per 1 hour")
    return app


@pytest.fixture
def brief_window(short_limits, monkeypatch):
    """An account limit whose window a test can wait out."""
    monkeypatch.setitem(short_limits.config, "LOGIN_LIMIT_ACCOUNT", "3 per 2 seconds")
    return short_limits


def test_a_burst_of_wrong_passwords_on_one_account_gets_429(short_limits, client, accounts):
    statuses = [sign_in(client, accounts.producer_a.email, WRONG).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("spellings", [
    ("a@contoh.id", "A@contoh.id", " a@CONTOH.id ", "A@Contoh.Id"),
    ("a@contoh.id\x00", "\x01a@contoh.id", "a@contoh\x1b.id", "a@contoh.id\x7f"),
], ids=["case and spaces", "control characters"])
def test_the_account_limit_counts_every_spelling_of_the_address(short_limits, client, accounts, spellings):
    statuses = [sign_in(client, email, WRONG).status_code for email in spellings]
    assert statuses == [200, 200, 200, 429]


def test_a_blocked_sign_in_is_logged_as_a_warning(short_limits, client, accounts, caplog):
    for _ in range(3):
        sign_in(client, accounts.producer_a.email, WRONG)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert sign_in(client, accounts.producer_a.email, WRONG).status_code == 429
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("a@contoh.id" in message for message in warnings), warnings


def test_a_failed_sign_in_is_logged(client, accounts, caplog):
    with caplog.at_level(logging.WARNING):
        sign_in(client, accounts.producer_a.email, WRONG)
    assert any("failed login" in r.getMessage() and "a@contoh.id" in r.getMessage() for r in caplog.records)


def test_while_blocked_even_the_right_password_is_refused(short_limits, client, accounts):
    for _ in range(3):
        sign_in(client, accounts.producer_a.email, WRONG)
    assert sign_in(client, accounts.producer_a.email, PASSWORD).status_code == 429


def test_one_blocked_account_does_not_block_another(short_limits, client, accounts):
    for _ in range(4):
        sign_in(client, accounts.producer_a.email, WRONG)
    assert sign_in(client, accounts.producer_b.email, PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_gets_429(short_limits, client, accounts):
    statuses = [sign_in(client, f"orang{n}@contoh.id", WRONG).status_code for n in range(7)]
    assert statuses == [200] * 6 + [429]


def test_successful_sign_ins_do_not_count_against_the_limits(short_limits, app, accounts):
    for _ in range(8):  # more than either limit
        assert sign_in(app.test_client(), accounts.producer_a.email, PASSWORD).status_code == 302
    statuses = [sign_in(app.test_client(), accounts.producer_a.email, WRONG).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_owner_can_sign_in_once_the_window_has_passed(brief_window, client, accounts):
    for _ in range(4):
        sign_in(client, accounts.producer_a.email, WRONG)
    time.sleep(2.1)
    assert sign_in(client, accounts.producer_a.email, PASSWORD).status_code == 302


def test_the_429_page_says_when_to_try_again(short_limits, client, accounts):
    for _ in range(3):
        sign_in(client, accounts.producer_a.email, WRONG)
    response = sign_in(client, accounts.producer_a.email, WRONG)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "Terlalu banyak permintaan" in response.get_data(as_text=True)
