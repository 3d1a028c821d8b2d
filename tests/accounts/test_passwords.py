"""Password rules and hashing: length, common passwords, long Unicode passphrases, scrypt."""
from __future__ import annotations

import pytest

from marketplace.config import ProductionConfig
from marketplace.extensions import db
from marketplace.models import User
from marketplace.accounts import users as account_service
from tests.authflow import field_error, register, sign_in, submit, user_by_email
from tests.conftest import PASSWORD
from tests.factories import UserFactory

TOO_SHORT = "minimal 8 karakter"
TOO_COMMON = "terlalu umum"
PASSPHRASE = ("Beras organik dari Metro Utara dipanen bulan depan, insyaallah cukup untuk pesanan "
              "katering di Jakarta 🌾🍚 — kualitasnya terjamin, kata Bu Sri di Hadimulyo Barat. Café ñ ü ø ß")


@pytest.mark.parametrize("password, message", [
    ("pendek", TOO_SHORT),
    ("1234567", TOO_SHORT),
    ("ééééééé", TOO_SHORT),  # seven characters, fourteen bytes: characters are what count
    ("password123", TOO_COMMON),
    ("Password123", TOO_COMMON),
    ("bismillah", TOO_COMMON),
    ("qwerty123", TOO_COMMON),
    (" qwerty123 ", TOO_COMMON),
    ("sri-wahyuni", TOO_COMMON),  # the e-mail's own name
])
def test_a_weak_password_is_refused_at_registration_with_the_reason_next_to_the_field(client, ctx, password, message):
    response = register(client, email="sri-wahyuni@contoh.id", password=password, confirm=password)
    assert response.status_code == 200
    assert message in field_error(response, "password")
    assert user_by_email("sri-wahyuni@contoh.id") is None


@pytest.mark.parametrize("password", ["kopi-8ra", "Tapis#88", "🌾🌾🌾🌾🌾🌾🌾🌾"])
def test_eight_characters_that_are_not_common_are_enough(client, ctx, password):
    response = register(client, password=password, confirm=password)
    assert response.status_code == 302, field_error(response, "password")


def test_a_password_longer_than_the_limit_is_refused_with_a_message(client, ctx):
    huge = "kata " * 900  # 4500 characters
    response = register(client, password=huge, confirm=huge)
    assert "maksimal" in field_error(response, "password")


@pytest.mark.parametrize("password, message", [("pendek", TOO_SHORT), ("bismillah", TOO_COMMON)])
def test_a_weak_new_password_is_refused_on_the_change_form(client, login_as, accounts, password, message):
    login_as("producer_a")
    response = submit(client, "/auth/password", {"current": PASSWORD, "password": password, "confirm": password})
    assert message in field_error(response, "password")
    db.session.expire_all()
    assert db.session.get(User, accounts.producer_a.id).check_password(PASSWORD)


@pytest.mark.parametrize("password, problem", [
    ("pendek", "too_short"), ("x" * 4097, "too_long"), ("password123", "too_common"), ("PASSWORD123", "too_common"),
])
def test_password_problems_names_what_is_wrong(password, problem):
    assert problem in account_service.password_problems(password)


def test_password_problems_has_nothing_against_a_long_passphrase():
    assert account_service.password_problems(PASSPHRASE) == []


def test_accounts_made_by_command_follow_the_same_rules(ctx):
    with pytest.raises(account_service.AccountError):
        account_service.create_user("staf@contoh.id", "qwerty123", "facilitator")


# --- long Unicode passphrases ------------------------------------------------------------------------

def test_a_long_unicode_passphrase_is_accepted_at_registration(client, ctx):
    assert len(PASSPHRASE) >= 64
    response = register(client, password=PASSPHRASE, confirm=PASSPHRASE)
    assert response.status_code == 302


def test_a_long_unicode_passphrase_signs_in(app, client, ctx):
    register(client, password=PASSPHRASE, confirm=PASSPHRASE)
    assert sign_in(app.test_client(), "sri@contoh.id", PASSPHRASE).status_code == 302


@pytest.mark.parametrize("changed", [
    PASSPHRASE[:-1] + "?",  # the last character only: nothing is cut off
    PASSPHRASE[:72],  # what bcrypt would have kept
    PASSPHRASE[:-1],
], ids=["last character changed", "first 72 characters", "last character missing"])
def test_a_long_passphrase_counts_to_its_last_character(app, client, ctx, changed):
    register(client, password=PASSPHRASE, confirm=PASSPHRASE)
    assert sign_in(app.test_client(), "sri@contoh.id", changed).status_code == 200


# --- hashing -------------------------------------------------------------------------------------------

def test_passwords_are_stored_as_scrypt_hashes(client, ctx):
    register(client)
    stored = user_by_email("sri@contoh.id").password_hash
    assert stored.startswith("scrypt:") and "kalimat" not in stored


def test_production_hashes_with_the_full_scrypt_defaults(app, ctx, monkeypatch):
    assert not hasattr(ProductionConfig, "PASSWORD_HASH_METHOD")
    monkeypatch.delitem(app.config, "PASSWORD_HASH_METHOD")
    user = User(email="x@contoh.id", role="facilitator")
    user.set_password(PASSWORD)
    assert user.password_hash.startswith("scrypt:32768:8:1$")


def test_two_accounts_with_the_same_password_get_different_hashes(ctx):
    one, two = UserFactory(), UserFactory()
    assert one.password_hash != two.password_hash


# --- the e-mail's own name, wherever a new password is chosen ------------------------------------

@pytest.fixture
def sri(ctx):
    return UserFactory(email="sri-wahyuni@contoh.id", role="facilitator")


def test_the_emails_own_name_is_refused_on_the_change_form(client, sri):
    from tests.authflow import sign_in

    sign_in(client, sri.email, PASSWORD)
    response = submit(client, "/auth/password", {"current": PASSWORD, "password": "Sri-Wahyuni", "confirm": "Sri-Wahyuni"})
    assert response.status_code == 200 and TOO_COMMON in field_error(response, "password")


@pytest.mark.parametrize("purpose", ["reset", "invite"])
def test_the_emails_own_name_is_refused_on_a_link(client, sri, purpose):
    from marketplace.accounts import tokens

    response = submit(client, f"/auth/{purpose}/{tokens.make(sri, purpose)}",
                      {"password": "sri-wahyuni", "confirm": "sri-wahyuni"})
    assert response.status_code == 200 and TOO_COMMON in field_error(response, "password")
