"""Producer self-registration: a draft storefront, an unconfirmed e-mail, and nothing revealed about others."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.models import OutboundMessage, Producer, Product, PublicationStatus, User
from marketplace.accounts import users as account_service
from marketplace.core import outbox
from tests.authflow import (count, field_error, link_in, location_path, mails, producer_named, register, sign_in,
                            user_by_email)
from tests.conftest import csrf_from
from tests.factories import ProducerFactory, ProductFactory

CHECK_EMAIL = "Periksa email Anda"


@pytest.fixture
def registered(client, ctx):
    response = register(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    return user_by_email("sri@contoh.id")


def test_registering_leads_to_the_check_your_email_page(client, ctx):
    response = register(client)
    assert location_path(response) == "/auth/check-email"
    assert CHECK_EMAIL in client.get("/auth/check-email").get_data(as_text=True)


def test_registering_creates_a_producer_account_tied_to_a_new_storefront(registered):
    assert registered.role == "producer"
    assert registered.producer.name == "KWT Maju Bersama" and registered.producer.nib == "8120000000001"
    assert registered.producer.phone == "+6281234567890"


def test_the_new_storefront_is_a_draft(registered):
    assert registered.producer.status == PublicationStatus.DRAFT


def test_the_new_storefront_is_not_public(client, registered):
    assert client.get(f"/producers/{registered.producer.slug}").status_code == 404
    assert registered.producer.slug not in client.get("/producers").get_data(as_text=True)


def test_the_new_email_address_is_not_confirmed_yet(registered):
    assert registered.email_confirmed_at is None


def test_registering_does_not_sign_in(client, registered):
    assert client.get("/dashboard/").status_code == 302


def test_a_confirmation_mail_is_queued_for_the_new_address(registered):
    [message] = mails("confirm_email")
    assert message.to_address == "sri@contoh.id" and message.status == "queued"
    assert "/auth/confirm/" in message.body_text


def test_the_account_and_its_confirmation_mail_commit_together(app, client, ctx, monkeypatch):
    def mail_server_of_the_outbox_breaks(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(outbox, "queue_email", mail_server_of_the_outbox_breaks)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = register(client)
    assert response.status_code == 500
    assert user_by_email("sri@contoh.id") is None and producer_named("KWT Maju Bersama") is None


def test_two_storefronts_with_the_same_name_get_different_addresses(app, client, ctx):
    register(client)
    register(app.test_client(), email="lain@contoh.id", nib="8120000000002")
    slugs = {user_by_email(e).producer.slug for e in ("sri@contoh.id", "lain@contoh.id")}
    assert len(slugs) == 2


# --- the form on errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, field, message", [
    ({"nib": "12345"}, "nib", "13 angka"),
    ({"nib": "12345678901ab"}, "nib", "13 angka"),
    ({"password": "pendek", "confirm": "pendek"}, "password", "minimal 8 karakter"),
    ({"password": "password123", "confirm": "password123"}, "password", "terlalu umum"),
    ({"confirm": "kalimat sandi lain"}, "confirm", "tidak sama"),
    ({"phone": "12345"}, "phone", "Nomor HP tidak valid"),
    ({"phone": "+1 202 555 0100"}, "phone", "Nomor HP tidak valid"),
    ({"email": "bukan-email"}, "email", "tidak valid"),
    ({"kecamatan": "jakarta-pusat"}, "kecamatan", ""),
    ({"business_name": ""}, "business_name", "Wajib diisi"),
    ({"agree": None}, "agree", "Centang"),
], ids=["short nib", "letters in nib", "short password", "common password", "mismatched passwords",
        "short phone", "foreign phone", "bad email", "unknown kecamatan", "no business name", "not agreed"])
def test_a_mistake_is_shown_next_to_its_field(client, ctx, changes, field, message):
    response = register(client, **changes)
    assert response.status_code == 200
    error = field_error(response, field)
    assert error and message in error


@pytest.mark.parametrize("changes", [
    {"nib": "12345"}, {"password": "pendek", "confirm": "pendek"}, {"confirm": "lain sama sekali"}, {"phone": "12345"},
], ids=["bad nib", "weak password", "mismatched passwords", "bad phone"])
def test_a_mistake_creates_nothing(client, ctx, changes):
    register(client, **changes)
    assert count(User) == 0 and count(Producer) == 0 and count(OutboundMessage) == 0


@pytest.mark.parametrize("changes", [{"nib": "12345"}, {"confirm": "lain sama sekali"}],
                         ids=["bad nib", "mismatched passwords"])
def test_the_form_keeps_what_was_typed(client, ctx, changes):
    page = register(client, business_name="KWT Maju & Jaya", kelurahan="Hadimulyo Barat",
                    email="sri@contoh.id", **changes).get_data(as_text=True)
    for typed in ('value="KWT Maju &amp; Jaya"', 'value="Hadimulyo Barat"', 'value="sri@contoh.id"',
                  'value="Sri Wahyuni"', '<option selected value="metro-pusat">'):
        assert typed in page, typed


def test_the_form_never_sends_a_password_back(client, ctx):
    page = register(client, nib="12345").get_data(as_text=True)
    assert "kalimat sandi panjang" not in page


def test_a_nib_that_is_already_registered_is_refused_next_to_the_field(client, ctx):
    ProducerFactory(nib="8120000000001")
    response = register(client)
    assert "sudah terdaftar" in field_error(response, "nib")
    assert user_by_email("sri@contoh.id") is None


def test_a_nib_written_with_spaces_and_dots_is_stored_as_13_digits(client, ctx):
    register(client, nib="8120.0000 00001")
    assert user_by_email("sri@contoh.id").producer.nib == "8120000000001"


def test_a_nib_written_differently_is_still_recognised_as_taken(client, ctx):
    ProducerFactory(nib="8120000000001")
    response = register(client, nib="812-000-000-0001")
    assert "sudah terdaftar" in field_error(response, "nib")


# --- an address that already has an account ---------------------------------------------------------

@pytest.mark.parametrize("email", ["a@contoh.id", "A@Contoh.ID"])
def test_registering_an_existing_email_looks_like_a_new_registration(app, client, accounts, email):
    new = register(app.test_client(), email="baru@contoh.id", nib="8120000000009")
    existing = register(client, email=email, business_name="Usaha Lain")
    assert existing.status_code == new.status_code == 302
    assert existing.headers["Location"] == new.headers["Location"]


def test_registering_an_existing_email_creates_nothing(client, accounts):
    users, producers = count(User), count(Producer)
    register(client, email=accounts.producer_a.email, business_name="Usaha Lain")
    assert (count(User), count(Producer)) == (users, producers)
    assert producer_named("Usaha Lain") is None


def test_registering_an_existing_email_does_not_change_that_account(client, accounts):
    before = accounts.producer_a.password_hash
    register(client, email=accounts.producer_a.email, password="kalimat sandi lain sekali",
             confirm="kalimat sandi lain sekali")
    assert user_by_email(accounts.producer_a.email).password_hash == before


def test_registering_an_existing_email_tells_the_owner_by_mail(client, accounts):
    register(client, email=accounts.producer_a.email, business_name="Usaha Lain")
    assert [(m.template, m.to_address) for m in mails()] == [("account_exists", accounts.producer_a.email)]


@pytest.mark.parametrize("locale, words", [("id", "sudah memiliki akun"), ("en", "already have an account")])
def test_the_account_exists_mail_points_to_sign_in_in_the_owners_language(client, accounts, locale, words):
    user = db.session.get(User, accounts.producer_a.id)
    user.locale = locale
    db.session.commit()
    register(client, email=accounts.producer_a.email)
    [message] = mails("account_exists")
    assert "/auth/login" in message.body_text and words in message.body_text


def test_registering_an_existing_email_does_about_the_same_work(client, accounts, monkeypatch):
    """A new registration hashes the password; so must the answer for a taken address, or its speed tells."""
    from marketplace.models import accounts as account_models

    hashed = []
    for module in (account_models, account_service):
        original = module.generate_password_hash
        monkeypatch.setattr(module, "generate_password_hash",
                            lambda password, method, _original=original, **kw: hashed.append(method)
                            or _original(password, method=method, **kw))
    register(client, email="baru@contoh.id", nib="8120000000009")
    new = list(hashed)
    hashed.clear()
    register(client, email=accounts.producer_a.email)
    assert hashed == new and len(new) == 1


# --- an unconfirmed producer -----------------------------------------------------------------------

@pytest.fixture
def unconfirmed(app, client, registered):
    """The new producer, signed in, with a draft listing."""
    product = ProductFactory(producer=registered.producer, status=PublicationStatus.DRAFT, published_at=None)
    sign_in(client, "sri@contoh.id", "kalimat sandi panjang")
    return product


def _submit_for_review(client, product):
    token = csrf_from(client.get("/dashboard/products"))
    return client.post(f"/dashboard/products/{product.id}/submit", data={"csrf_token": token}, follow_redirects=True)


def _status(product) -> str:
    db.session.expire_all()
    return db.session.get(Product, product.id).status


def test_an_unconfirmed_producer_cannot_send_a_listing_for_review(client, unconfirmed):
    response = _submit_for_review(client, unconfirmed)
    assert "Konfirmasi email Anda dulu" in response.get_data(as_text=True)
    assert _status(unconfirmed) == PublicationStatus.DRAFT


def test_the_dashboard_asks_an_unconfirmed_producer_to_confirm(client, unconfirmed):
    page = client.get("/dashboard/").get_data(as_text=True)
    assert 'action="/auth/confirm/resend"' in page


def test_the_confirmation_link_opens_a_page_with_a_button_and_changes_nothing_by_itself(client, registered):
    path = link_in(mails("confirm_email")[0], "/auth/confirm/")
    page = client.get(path)
    assert page.status_code == 200 and "<form" in page.get_data(as_text=True)
    assert user_by_email("sri@contoh.id").email_confirmed_at is None


def test_pressing_the_button_confirms_the_address(client, registered):
    path = link_in(mails("confirm_email")[0], "/auth/confirm/")
    client.post(path, data={"csrf_token": csrf_from(client.get(path))})
    assert user_by_email("sri@contoh.id").email_confirmed_at is not None


def test_pressing_the_button_without_a_csrf_token_confirms_nothing(client, registered):
    path = link_in(mails("confirm_email")[0], "/auth/confirm/")
    client.get(path)
    client.post(path, data={})
    assert user_by_email("sri@contoh.id").email_confirmed_at is None


def test_once_confirmed_the_producer_can_send_a_listing_for_review(client, unconfirmed):
    path = link_in(mails("confirm_email")[0], "/auth/confirm/")
    client.post(path, data={"csrf_token": csrf_from(client.get(path))})
    _submit_for_review(client, unconfirmed)
    assert _status(unconfirmed) == PublicationStatus.PENDING


def test_a_new_confirmation_link_can_be_asked_for_from_the_dashboard(client, unconfirmed):
    client.post("/auth/confirm/resend", data={"csrf_token": csrf_from(client.get("/dashboard/"))})
    assert len(mails("confirm_email")) == 2


def test_a_confirmed_producer_gets_no_new_confirmation_link(client, login_as):
    login_as("producer_a")
    client.post("/auth/confirm/resend", data={"csrf_token": csrf_from(client.get("/dashboard/"))})
    assert mails("confirm_email") == []


def test_registration_is_not_offered_to_someone_signed_in(client, login_as):
    login_as("producer_a")
    assert client.get("/auth/register").status_code == 302
