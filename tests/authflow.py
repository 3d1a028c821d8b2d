"""Helpers for the sign-in, registration and link tests: forms submitted the way a browser does."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote, urlsplit

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import OutboundMessage, Producer, User
from tests.conftest import csrf_from

LOGIN_FAILED = "Email atau kata sandi salah."


def hidden_value(response, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', response.get_data(as_text=True))
    return unescape(match.group(1)) if match else ""


def submit(client, path: str, data: dict, follow_redirects: bool = False):
    """GET the page, then POST the form with its CSRF token (what a browser does)."""
    token = csrf_from(client.get(path))
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=follow_redirects)


def sign_in(client, email: str, password: str, *, next: str | None = None, remember: bool = False):
    """Open /auth/login (with ?next= if given), then send the form as rendered, hidden `next` included."""
    page = client.get("/auth/login" + (f"?next={quote(next, safe='')}" if next is not None else ""))
    data = {"csrf_token": csrf_from(page), "email": email, "password": password,
            "next": hidden_value(page, "next")}
    if remember:
        data["remember"] = "y"
    return client.post("/auth/login", data=data)


def sign_out(client):
    token = csrf_from(client.get("/auth/password"))
    return client.post("/auth/logout", data={"csrf_token": token})


def location_path(response) -> str:
    """The path a redirect leads to; fails if it leaves this site."""
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in ("", "etalase.test"), f"redirect leaves the site: {response.headers['Location']}"
    return parts.path


def sent_to_login(response) -> bool:
    return response.status_code == 302 and location_path(response) == "/auth/login"


def mails(template: str | None = None) -> list[OutboundMessage]:
    query = select(OutboundMessage).order_by(OutboundMessage.id)
    if template:
        query = query.where(OutboundMessage.template == template)
    db.session.expire_all()
    return list(db.session.scalars(query))


def link_in(message: OutboundMessage, prefix: str) -> str:
    """The path of the link starting with `prefix` (e.g. "/auth/reset/") in a queued mail."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s\"'<>]+)", message.body_text)
    assert match, f"no {prefix} link in {message.template}: {message.body_text!r}"
    return match.group(1)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def producer_named(name: str) -> Producer | None:
    return db.session.scalar(select(Producer).where(Producer.name == name))


def cookie(client, name: str = "session") -> str | None:
    found = client.get_cookie(name, domain="etalase.test")
    return found.value if found else None


def registration(**overrides) -> dict:
    """A complete, valid registration form; override fields to break it."""
    data = {
        "business_name": "KWT Maju Bersama", "name": "Sri Wahyuni", "nib": "8120000000001",
        "kecamatan": "metro-pusat", "kelurahan": "Imopuro", "phone": "0812 3456 7890",
        "email": "sri@contoh.id", "password": "kalimat sandi panjang", "confirm": "kalimat sandi panjang",
        "agree": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def register(client, **overrides):
    return submit(client, "/auth/register", registration(**overrides))


def field_error(response, field: str) -> str:
    """The error text shown next to a form field ('' when there is none)."""
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S)
    return unescape(match.group(1)).strip() if match else ""
