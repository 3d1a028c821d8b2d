"""Signed-in pages kept per person (catalog/page_cache.py `personal`): a kept page costs the data version and the
user, whatever anyone writes shows at that person's next request, and nobody is served a page rendered for another
session: another account, a signed-out session, a disabled account, a flash message waiting."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from marketplace.accounts import users
from marketplace.core import clock
from marketplace.extensions import db
from marketplace.listings import editing as listings
from marketplace.models import Inquiry, Role
from marketplace.trade import version as trade_version
from tests.conftest import csrf_from, login
from tests.factories import ProductFactory, UserFactory, category
from tests.test_query_budget import counting
from tests.trade_desk import food_station_request

PAGES = {  # page → who opens it
    "producer dashboard": ("/dashboard/", "producer_a"),
    "moderation queue": ("/moderation/", "moderator"),
    "facilitator queue": ("/facilitator/inquiries", "facilitator"),
    "inquiry page": ("/facilitator/inquiries/{inquiry}", "facilitator"),
    "monitoring dashboard": ("/facilitator/dashboard", "facilitator"),
}


@pytest.fixture
def desk(ctx, accounts):
    request = food_station_request(accounts)
    ProductFactory(producer=accounts.producer_a_store, name="Beras Pandan Wangi", monthly_capacity=5000)
    return request


def _url(name: str, desk: Inquiry) -> str:
    return PAGES[name][0].format(inquiry=desk.id)


def _signed_in(app, accounts, who: str):
    """A client signed in as `who`, whose session holds its CSRF token: the first page after signing in makes it
    (and so is not kept), and a page is kept from then on."""
    client = app.test_client()
    assert login(client, accounts.by_name(who)).status_code == 302
    client.get("/")
    return client


def _data_version() -> int:
    db.session.rollback()
    return db.session.execute(text(trade_version.DATA_VERSION_SQL)).scalar() or 0


# ---------------------------------------------------------------- cost

@pytest.mark.parametrize("name", list(PAGES))
def test_a_kept_signed_in_page_costs_the_data_version_and_the_user(app, accounts, desk, name):
    client = _signed_in(app, accounts, PAGES[name][1])
    url = _url(name, desk)
    first = client.get(url)
    assert first.status_code == 200
    with counting() as statements:
        again = client.get(url)
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert again.headers["Cache-Control"] == "private, no-store"
    assert len(statements) == 2 and trade_version.DATA_VERSION_SQL in statements, "\n\n".join(statements)


# ---------------------------------------------------------------- the data version

def test_every_committed_write_bumps_the_data_version_and_a_rollback_does_not(ctx, accounts):
    before = _data_version()
    users.set_active(accounts.producer_b, False, accounts.admin)  # neither a catalog nor a trade write
    db.session.commit()
    assert _data_version() == before + 1
    db.session.execute(text("UPDATE user_account SET name = 'Lain' WHERE id = :id"), {"id": accounts.producer_a.id})
    db.session.commit()
    assert _data_version() == before + 2
    accounts.officer.name = "Sudah Diganti"
    db.session.rollback()
    db.session.execute(text("UPDATE user_account SET name = 'Tidak Jadi' WHERE id = :id"), {"id": accounts.officer.id})
    db.session.rollback()
    assert _data_version() == before + 2
    db.session.execute(text("SELECT 1"))
    db.session.commit()  # a transaction that only read
    assert _data_version() == before + 2


# ---------------------------------------------------------------- freshness

def test_a_change_waiting_for_review_shows_in_the_moderation_queue_at_once(app, accounts, desk):
    """A listing sent for review changes nothing buyers see (no catalog version), only the data version."""
    moderator = _signed_in(app, accounts, "moderator")
    assert "Beras Pandan Wangi" not in moderator.get("/moderation/").get_data(as_text=True)
    moderator.get("/moderation/")  # kept
    product = next(p for p in accounts.producer_a_store.products if p.name == "Beras Pandan Wangi")
    values = listings.product_values(product)
    values["monthly_capacity"] = 7777
    listings.save_product(product.producer, product, values, accounts.producer_a)
    listings.submit(product, accounts.producer_a)
    db.session.commit()
    assert "Beras Pandan Wangi" in moderator.get("/moderation/").get_data(as_text=True)


def test_a_new_request_shows_in_the_facilitator_queue_at_once(app, accounts, desk):
    facilitator = _signed_in(app, accounts, "facilitator")
    facilitator.get("/facilitator/inquiries")
    facilitator.get("/facilitator/inquiries")  # kept
    db.session.add(Inquiry(reference="INQ-2026-000777", tracking_token="tok-baru", form_token="form-baru",
                           company="PT Pendatang Baru", buyer_type="retailer", contact_name="Budi",
                           email="budi@baru.co.id", phone="+6281311113333", quantity=2, unit="ton",
                           frequency="once", periods=1, starts_on=desk.starts_on, delivery_city="jakarta-timur",
                           category_id=category("beras-serealia").id, status="new"))
    db.session.commit()
    assert "PT Pendatang Baru" in facilitator.get("/facilitator/inquiries").get_data(as_text=True)


def test_a_note_shows_on_the_inquiry_page_and_a_flash_is_shown_once(app, accounts, desk):
    facilitator = _signed_in(app, accounts, "facilitator")
    url = f"/facilitator/inquiries/{desk.id}"
    page = facilitator.get(url)
    facilitator.get(url)  # kept
    response = facilitator.post(f"{url}/note", data={"csrf_token": csrf_from(page), "kind": "note",
                                                       "body": "Telepon pembeli besok pagi"})
    assert response.status_code == 302
    shown = facilitator.get(url).get_data(as_text=True)
    assert "Telepon pembeli besok pagi" in shown
    flash = "alert-success"
    assert flash in shown, "the flash message after the note is shown, not a kept page"
    assert flash not in facilitator.get(url).get_data(as_text=True)


def test_a_listing_added_shows_on_the_producer_dashboard_at_once(app, accounts, desk):
    producer = _signed_in(app, accounts, "producer_a")
    producer.get("/dashboard/")
    producer.get("/dashboard/")  # kept
    ProductFactory(producer=accounts.producer_a_store, name="Kopi Robusta Tegineneng", status="draft",
                   published_at=None)
    assert "Kopi Robusta Tegineneng" in producer.get("/dashboard/").get_data(as_text=True)


def test_the_clock_alone_renders_a_kept_page_afresh_after_a_minute(app, accounts, desk, monkeypatch):
    """A request turns late at a moment, with nothing written: a kept page lives within Metro's minute."""
    facilitator = _signed_in(app, accounts, "facilitator")
    facilitator.get("/facilitator/inquiries")
    with counting() as kept:
        facilitator.get("/facilitator/inquiries")
    later = clock.now() + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    with counting() as rendered:
        facilitator.get("/facilitator/inquiries")
    assert len(kept) == 2 < len(rendered)


# ---------------------------------------------------------------- whose page

def test_each_account_gets_its_own_page(app, accounts, desk):
    other = UserFactory(email="fasilitator-dua@contoh.id", name="Fasilitator Kedua", role=Role.FACILITATOR)
    first, second = _signed_in(app, accounts, "facilitator"), app.test_client()
    assert login(second, other).status_code == 302
    for _ in range(2):
        mine, theirs = first.get("/facilitator/inquiries"), second.get("/facilitator/inquiries")
        assert accounts.facilitator.name in mine.get_data(as_text=True)
        assert "Fasilitator Kedua" not in mine.get_data(as_text=True)
        assert "Fasilitator Kedua" in theirs.get_data(as_text=True)
        # the session's own token (the part before the signature's timestamp) differs
        assert csrf_from(mine).split(".")[0] != csrf_from(theirs).split(".")[0]


def test_signed_out_or_disabled_the_kept_page_is_not_served(app, accounts, desk):
    facilitator = _signed_in(app, accounts, "facilitator")
    for _ in range(2):
        facilitator.get("/facilitator/inquiries")
    facilitator.post("/auth/logout", data={"csrf_token": csrf_from(facilitator.get("/facilitator/inquiries"))})
    assert facilitator.get("/facilitator/inquiries").status_code == 302

    again = _signed_in(app, accounts, "facilitator")
    for _ in range(2):
        assert again.get("/facilitator/inquiries").status_code == 200
    users.set_active(accounts.facilitator, False, accounts.admin)
    db.session.commit()
    assert again.get("/facilitator/inquiries").status_code == 302


def test_a_kept_page_does_not_outlive_the_session_version(app, accounts, desk):
    """Signing out everywhere (a password reset) bumps the session version: the old session's page is gone."""
    facilitator = _signed_in(app, accounts, "facilitator")
    for _ in range(2):
        facilitator.get("/facilitator/inquiries")
    db.session.execute(text("UPDATE user_account SET session_version = session_version + 1 WHERE id = :id"),
                       {"id": accounts.facilitator.id})
    db.session.commit()
    assert facilitator.get("/facilitator/inquiries").status_code == 302


def test_without_the_page_cache_a_signed_in_page_renders_each_time(app, accounts, desk, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)
    facilitator = _signed_in(app, accounts, "facilitator")
    facilitator.get("/facilitator/inquiries")
    with counting() as statements:
        facilitator.get("/facilitator/inquiries")
    assert len(statements) > 2
