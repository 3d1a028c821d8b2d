"""Sign-in, sessions, passwords, registration and single-use links (QUALITY.md: authentication)."""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import OutboundMessage, Producer, User
from marketplace.security import safe_next
from marketplace.services import accounts as account_service
from marketplace.services import tokens
from tests.conftest import PASSWORD, csrf_from, login
from tests.factories import UserFactory


def _post_login(client, email, password, **extra):
    token = csrf_from(client.get("/auth/login"))
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token, **extra})


def test_unknown_email_and_wrong_password_look_the_same(client, accounts, monkeypatch):
    checks = []
    original = account_service.check_password_hash
    monkeypatch.setattr(account_service, "check_password_hash", lambda h, p: checks.append(1) or original(h, p))
    unknown = _post_login(client, "tidak-ada@contoh.id", "salah-sekali-123")
    wrong = _post_login(client, accounts.producer_a.email, "salah-sekali-123")
    assert unknown.status_code == wrong.status_code == 200
    assert "Email atau kata sandi salah." in unknown.get_data(as_text=True)
    assert "Email atau kata sandi salah." in wrong.get_data(as_text=True)
    assert len(checks) == 1  # the unknown address still pays for one hash check


def test_a_burst_of_wrong_passwords_gets_429_and_a_log_line_and_the_owner_gets_in_later(app, client, accounts, caplog):
    app.config["LOGIN_LIMIT_ACCOUNT"] = "3 per 2 seconds"
    try:
        with caplog.at_level(logging.WARNING):
            statuses = [_post_login(client, accounts.producer_a.email, "salah-salah").status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
        assert any("failed login" in r.getMessage() or "ratelimit" in r.getMessage().lower() for r in caplog.records)
        import time
        time.sleep(2.1)
        assert _post_login(client, accounts.producer_a.email, PASSWORD).status_code == 302
    finally:
        app.config["LOGIN_LIMIT_ACCOUNT"] = "5 per 5 minutes"


def test_one_address_trying_many_accounts_gets_429(app, client, accounts):
    app.config["LOGIN_LIMIT_ADDRESS"] = "4 per minute"
    try:
        statuses = [_post_login(client, f"orang{n}@contoh.id", "salah-salah").status_code for n in range(6)]
    finally:
        app.config["LOGIN_LIMIT_ADDRESS"] = "30 per 5 minutes"
    assert statuses[-1] == 429


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example", "/\t/evil.example",
                                    "javascript:alert(1)", "http:/evil.example", "/%09/evil.example"])
def test_next_never_leaves_the_site(client, accounts, target):
    response = _post_login(client, accounts.producer_a.email, PASSWORD, next=target)
    location = response.headers["Location"]
    assert "evil" not in location and location.endswith("/dashboard/")
    assert safe_next(target) is None


def test_next_to_a_page_of_this_site_is_followed(client, accounts):
    response = _post_login(client, accounts.producer_a.email, PASSWORD, next="/dashboard/products")
    assert response.headers["Location"].endswith("/dashboard/products")


def test_logout_is_a_post_and_ends_the_other_sessions(app, accounts):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, accounts.producer_a)
    login(laptop, accounts.producer_a)
    assert phone.get("/auth/logout").status_code == 405
    token = csrf_from(phone.get("/dashboard/"))
    phone.post("/auth/logout", data={"csrf_token": token})
    response = laptop.get("/dashboard/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_password_change_keeps_this_session_and_ends_the_others(app, accounts):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, accounts.producer_a)
    login(elsewhere, accounts.producer_a)
    token = csrf_from(here.get("/auth/password"))
    new = "kalimat sandi baru yang cukup panjang"
    response = here.post("/auth/password", data={"csrf_token": token, "current": PASSWORD, "password": new,
                                                "confirm": new})
    assert response.status_code == 302
    assert here.get("/dashboard/").status_code == 200
    assert elsewhere.get("/dashboard/").status_code == 302


def test_deactivating_an_account_ends_its_sessions(app, accounts):
    client = app.test_client()
    login(client, accounts.producer_a)
    account_service.set_active(db.session.get(User, accounts.producer_a.id), False)
    db.session.commit()
    assert client.get("/dashboard/").status_code == 302
    assert _post_login(app.test_client(), accounts.producer_a.email, PASSWORD).status_code == 200


def test_cookies_and_cache_headers(app, client, accounts):
    response = _post_login(client, accounts.producer_a.email, PASSWORD, remember="y")
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert "HttpOnly" in cookies and "SameSite=Lax" in cookies
    page = client.get("/dashboard/")
    assert page.headers["Cache-Control"] == "private, no-store" and "Cookie" in page.headers["Vary"]
    production = create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert production.config["SESSION_COOKIE_SECURE"] and production.config["REMEMBER_COOKIE_SECURE"]


@pytest.mark.parametrize("password, message", [("pendek", "minimal 8 karakter"), ("password123", "terlalu umum"),
                                               ("bismillah", "terlalu umum")])
def test_weak_passwords_are_refused_next_to_the_field(client, ctx, password, message):
    page = client.get("/auth/register")
    response = client.post("/auth/register", data={
        "csrf_token": csrf_from(page), "business_name": "KWT Maju", "name": "Sri", "nib": "1234567890123",
        "kecamatan": "metro-pusat", "kelurahan": "Imopuro", "email": "sri@contoh.id", "password": password,
        "confirm": password, "agree": "y"})
    text = response.get_data(as_text=True)
    assert message in text and 'value="KWT Maju"' in text
    assert db.session.scalar(select(User).where(User.email == "sri@contoh.id")) is None


def test_a_long_unicode_passphrase_works_untruncated(ctx):
    phrase = "Kopi robusta dari Metro ☕ paling nikmat — diseduh tiap pagi bersama keluarga! 🌾" * 2
    user = UserFactory(email="panjang@contoh.id", password=phrase)
    assert user.password_hash.startswith("scrypt:")
    assert account_service.authenticate("panjang@contoh.id", phrase) is not None
    assert account_service.authenticate("panjang@contoh.id", phrase[:-1] + "?") is None


def test_registration_creates_a_draft_storefront_and_a_confirmation_mail(app, client, ctx):
    page = client.get("/auth/register")
    response = client.post("/auth/register", data={
        "csrf_token": csrf_from(page), "business_name": "KWT Maju Bersama", "name": "Sri", "nib": "1234567890123",
        "kecamatan": "metro-pusat", "kelurahan": "Imopuro", "phone": "0812 3456 7890", "email": "sri@contoh.id",
        "password": "kalimat sandi panjang", "confirm": "kalimat sandi panjang", "agree": "y"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "sri@contoh.id"))
    assert user.email_confirmed_at is None and user.producer.status == "draft"
    assert client.get(f"/producers/{user.producer.slug}").status_code == 404
    mail = db.session.scalar(select(OutboundMessage).where(OutboundMessage.template == "confirm_email"))
    link = re.search(r"https?://\S+/auth/confirm/\S+", mail.body_text).group(0)
    path = link.split("etalase.test", 1)[1]
    confirm_page = client.get(path)
    db.session.refresh(user)
    assert user.email_confirmed_at is None  # a GET changes nothing
    client.post(path, data={"csrf_token": csrf_from(confirm_page)})
    db.session.refresh(user)
    assert user.email_confirmed_at is not None
    assert client.post(path, data={"csrf_token": csrf_from(confirm_page)}).status_code == 302  # used: refused politely


def test_registering_an_existing_email_reveals_nothing_and_warns_the_owner(client, accounts):
    page = client.get("/auth/register")
    response = client.post("/auth/register", data={
        "csrf_token": csrf_from(page), "business_name": "Usaha Lain", "name": "X", "nib": "9999999999999",
        "kecamatan": "metro-pusat", "kelurahan": "Imopuro", "email": accounts.producer_a.email,
        "password": "kalimat sandi panjang", "confirm": "kalimat sandi panjang", "agree": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/check-email")
    assert db.session.scalar(select(Producer).where(Producer.name == "Usaha Lain")) is None
    assert db.session.scalar(select(OutboundMessage).where(OutboundMessage.template == "account_exists"))


def test_reset_links_are_single_use_and_answers_do_not_reveal_accounts(client, accounts):
    for email in (accounts.producer_a.email, "tidak-ada@contoh.id"):
        page = client.get("/auth/reset")
        response = client.post("/auth/reset", data={"csrf_token": csrf_from(page), "email": email}, follow_redirects=True)
        assert "Jika email tersebut terdaftar" in response.get_data(as_text=True)
    mails = db.session.scalars(select(OutboundMessage).where(OutboundMessage.template == "reset_password")).all()
    assert [m.to_address for m in mails] == [accounts.producer_a.email]
    path = re.search(r"/auth/reset/\S+", mails[0].body_text).group(0)
    page = client.get(path)
    new = "sandi baru yang panjang sekali"
    assert client.post(path, data={"csrf_token": csrf_from(page), "password": new, "confirm": new}).status_code == 302
    again = client.get(path, follow_redirects=True)
    assert "tidak berlaku lagi atau sudah dipakai" in again.get_data(as_text=True)


def test_an_invitation_sets_a_password_and_signs_in(app, accounts):
    with app.test_request_context():
        user = account_service.create_user("undangan@contoh.id", None, "producer", accounts.producer_b_store.slug)
        db.session.commit()
        token = tokens.make(user, "invite")
    client = app.test_client()
    page = client.get(f"/auth/invite/{token}")
    new = "kata sandi undangan panjang"
    response = client.post(f"/auth/invite/{token}", data={"csrf_token": csrf_from(page), "password": new, "confirm": new})
    assert response.headers["Location"].endswith("/dashboard/")
    assert client.get("/dashboard/").status_code == 200
    assert app.test_client().get(f"/auth/invite/{token}").status_code == 302  # used


def test_a_tampered_or_expired_token_is_refused(app, accounts, monkeypatch):
    with app.test_request_context():
        token = tokens.make(accounts.producer_a, "reset")
        with pytest.raises(tokens.TokenInvalid):
            tokens.load(token[:-2] + "xx", "reset")
        monkeypatch.setitem(tokens.MAX_AGE, "reset", -1)
        with pytest.raises(tokens.TokenInvalid):
            tokens.load(token, "reset")


def test_login_without_a_csrf_token_never_signs_in(client, accounts):
    response = client.post("/auth/login", data={"email": accounts.producer_a.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/dashboard/").status_code == 302
