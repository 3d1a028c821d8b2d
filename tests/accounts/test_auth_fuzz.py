"""Generated input on the public account forms: never a 500, never a half-made account (QUALITY.md: input)."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Producer, User
from tests.authflow import registration
from tests.conftest import csrf_from

ANY_TEXT = st.text(max_size=300)  # every Unicode character, NUL and control characters included
NASTY = st.sampled_from(["\x00", "a@b.id\x00", "'; DROP TABLE user_account; --", "<script>alert(1)</script>",
                         "%00", "\r\nBcc: x@evil.example", "ｅｍａｉｌ＠contoh.id", "a" * 5000, " ", ""])
FIELD = st.one_of(ANY_TEXT, NASTY)
ALLOWED = (200, 302, 400)
HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def no_rate_limit():
    from marketplace.extensions import limiter

    limiter.enabled = False
    yield
    limiter.enabled = True


def _post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_from(client.get(path)), **data})


@HYPOTHESIS
@given(email=FIELD, password=FIELD, next_=FIELD, remember=FIELD)
def test_generated_sign_ins_never_break_and_never_sign_in(client, accounts, no_rate_limit, email, password, next_,
                                                           remember):
    response = _post(client, "/auth/login", {"email": email, "password": password, "next": next_,
                                             "remember": remember})
    assert response.status_code in ALLOWED
    assert client.get("/dashboard/").status_code == 302


REGISTRATION = st.fixed_dictionaries({}, optional={
    name: FIELD for name in ("business_name", "name", "nib", "kecamatan", "kelurahan", "phone", "email", "password",
                             "confirm", "agree")
})


@HYPOTHESIS
@given(changes=REGISTRATION)
def test_generated_registrations_never_break_and_leave_whole_accounts(client, ctx, no_rate_limit, changes):
    response = _post(client, "/auth/register", registration(**changes))
    assert response.status_code in ALLOWED
    db.session.expire_all()
    for user in db.session.scalars(select(User)):
        assert user.producer is not None and user.password_hash.startswith("scrypt:")
    for producer in db.session.scalars(select(Producer)):
        assert re.fullmatch(r"\d{13}", producer.nib) and producer.status == "draft"


@HYPOTHESIS
@given(email=FIELD)
def test_generated_reset_requests_never_break(client, accounts, no_rate_limit, email):
    assert _post(client, "/auth/reset", {"email": email}).status_code in ALLOWED


@HYPOTHESIS
@given(token=st.one_of(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1, max_size=200), NASTY))
def test_generated_link_tokens_never_break(client, ctx, token):
    from urllib.parse import quote

    for prefix in ("/auth/confirm/", "/auth/reset/", "/auth/invite/"):
        if token in ("", " "):
            continue
        assert client.get(prefix + quote(token, safe="")).status_code in (200, 302, 404)


# --- the cases generated input found ----------------------------------------------------------

@pytest.mark.parametrize("path, data", [
    ("/auth/login", {"email": "a@contoh.id\x00", "password": "kata-sandi"}),
    ("/auth/login", {"email": "\x00", "password": "kata-sandi"}),
    ("/auth/reset", {"email": "a@contoh.id\x00"}),
], ids=["login e-mail", "login NUL only", "reset e-mail"])
def test_a_nul_character_in_an_address_is_no_error(client, accounts, path, data):
    assert _post(client, path, data).status_code in (200, 302)


@pytest.mark.parametrize("field", ["business_name", "name", "kelurahan"])
def test_control_characters_typed_into_registration_are_dropped(client, ctx, field):
    response = _post(client, "/auth/register", registration(**{field: "KWT\x00 Maju\x1b Jaya"}))
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "sri@contoh.id"))
    stored = {"business_name": user.producer.name, "name": user.name, "kelurahan": user.producer.kelurahan}[field]
    assert stored == "KWT Maju Jaya"


def test_control_characters_around_an_address_still_sign_in(client, accounts):
    from tests.conftest import PASSWORD

    response = _post(client, "/auth/login", {"email": "a@contoh.id\x00", "password": PASSWORD})
    assert response.status_code == 302
