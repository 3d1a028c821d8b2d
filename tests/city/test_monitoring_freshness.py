"""The monitoring figures are kept per trade version (trade/version.py, city/monitoring.py `figures`): a repeat visit
reads one row, and every kind of trade change shows at the next visit, also in a second app on the same database
(two apps in one process have a store each, as two servers would)."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import Category, Contract, Inquiry, InquiryItem
from marketplace.city import agreements, monitoring
from marketplace.core import clock
from marketplace.trade import service, version, workflow
from marketplace.trade.contracts import record_delivery
from tests.conftest import IsolatedClient, login
from tests.factories import ProductFactory, category
from tests.test_query_budget import counting
from tests.trade import contract_rows

VERSIONS_SQL = "SELECT id, version FROM catalog_state WHERE id IN (1, 2)"


@pytest.fixture
def other(database_url, tmp_path):
    """A second app on the same database: another server, with figures kept in a store of its own."""
    second = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_DIR=str(tmp_path / "uploads"))
    second.test_client_class = IsolatedClient
    yield second
    with second.app_context():
        db.engine.dispose()


def _period():
    return monitoring.months_back(1)  # this month so far: what the changes below make today


def _figures(app):
    """The kept figures as the app shows them, checked against a computation from the rows."""
    with app.app_context():
        kept = monitoring.figures(_period())
        assert kept == monitoring.compute_figures(_period())
        db.session.remove()
        return kept


def _inquiry(product, quantity=100):
    inquiry = contract_rows.request(quantity, "kg", clock.today(), 1, product.category_id)
    inquiry.items.append(InquiryItem(product_id=product.id, producer_id=product.producer_id))
    db.session.commit()
    return inquiry


def test_every_kind_of_trade_change_shows_at_the_next_visit_in_both_apps(app, ctx, accounts, other):
    facilitator = accounts.facilitator
    product = ProductFactory(producer=accounts.producer_a_store, name="Beras Pandan Wangi")
    first = _inquiry(product)
    state = {}

    def new_inquiry():
        state["inquiry"] = _inquiry(product, 300)

    def claim():
        service.claim(state["inquiry"].id, facilitator)  # the workflow engine's conditional UPDATE
        db.session.commit()

    def forward():
        service.forward(db.session.get(Inquiry, state["inquiry"].id), [(product.producer_id, 300)], False, facilitator)
        db.session.commit()

    def contract_made():
        state["contract"] = contract_rows.contract(product, 500, "kg", clock.today().replace(day=1), periods=1)

    def delivery_recorded():
        contract = db.session.get(Contract, state["contract"].id)
        record_delivery(contract.lines[0], clock.today(), 200, True, "", facilitator)
        db.session.commit()

    agreement = {"code": "MOU-SEGAR", "kind": "MoU", "title": "MoU uji", "parties": "", "starts_on": None,
                 "ends_on": None}

    def agreement_made():
        state["agreement"] = agreements.save(None, agreement, [
            {"category_id": product.category_id, "unit": "ton", "volume_per_month": 2}], facilitator)
        db.session.commit()

    def agreement_target_edited():
        agreements.save(state["agreement"], agreement, [
            {"category_id": product.category_id, "unit": "ton", "volume_per_month": 5}], facilitator)
        db.session.commit()

    def product_renamed():
        product.name = "Beras Organik Metro"
        db.session.commit()

    def contract_cancelled():
        contract = db.session.get(Contract, state["contract"].id)
        workflow.contract.apply("cancel", contract, facilitator, "Pembeli membatalkan")  # a conditional UPDATE
        db.session.commit()

    def status_spam():
        workflow.inquiry.apply("mark_spam", db.session.get(Inquiry, first.id), facilitator, "Iklan")
        db.session.commit()

    changes = [new_inquiry, claim, forward, contract_made, delivery_recorded, agreement_made, agreement_target_edited,
               product_renamed, contract_cancelled, status_spam]
    for change in changes:
        before = {name: _figures(name_app) for name, name_app in (("writer", app), ("other", other))}
        assert before["writer"] == before["other"]
        change()
        for name, name_app in (("writer", app), ("other", other)):
            after = _figures(name_app)
            assert after != before[name], (change.__name__, name)


def test_a_renamed_category_shows_at_the_next_visit(app, ctx, accounts, other):
    product = ProductFactory(producer=accounts.producer_a_store)
    _inquiry(product)
    rice = category()
    old = rice.name_id
    _figures(other)
    try:
        rice.name_id = "Beras Metro Baru"
        db.session.commit()
        assert [line.category.name("id") for line in _figures(other).demand] == ["Beras Metro Baru"]
    finally:
        db.session.get(Category, rice.id).name_id = old
        db.session.commit()


def test_the_dashboard_page_of_a_second_app_shows_a_change_made_by_the_first(app, ctx, accounts, other):
    product = ProductFactory(producer=accounts.producer_a_store, name="Beras Pandan Wangi")
    _inquiry(product)
    client = other.test_client()
    login(client, accounts.facilitator)
    assert "Beras Pandan Wangi" in client.get("/facilitator/dashboard?period=month").get_data(as_text=True)
    product.name = "Beras Organik Metro"
    db.session.commit()
    html = client.get("/facilitator/dashboard?period=month").get_data(as_text=True)
    assert "Beras Organik Metro" in html and "Beras Pandan Wangi" not in html


def test_a_repeat_visit_reads_only_the_versions_for_the_figures(app, ctx, accounts, client, monkeypatch):
    """The page rendered again (not the kept page, tests/catalog/test_personal_pages.py) computes no figure."""
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)
    product = ProductFactory(producer=accounts.producer_a_store)
    _inquiry(product)
    login(client, accounts.facilitator)
    assert client.get("/facilitator/dashboard").status_code == 200
    with counting() as statements:
        assert client.get("/facilitator/dashboard").status_code == 200
    assert statements.count(VERSIONS_SQL) == 1, statements
    trade_tables = ("inquiry_item", "contract_month", "allocation", "agreement", "delivery", "category")
    assert not [s for s in statements if any(f" {t}" in s for t in trade_tables)], statements
    # The signed-in user, the navigation's count of new inquiries, and the versions.
    assert len(statements) <= 3, statements


def test_one_bump_per_committed_transaction_none_for_a_rollback_or_other_writes(app, ctx, accounts):
    product = ProductFactory(producer=accounts.producer_a_store)
    start = version.version()
    _inquiry(product)  # an inquiry and its line, flushed twice, committed once
    assert version.version() == start + 1
    contract_rows.request(10, "kg", clock.today(), 1, product.category_id)
    db.session.rollback()
    assert version.version() == start + 1
    accounts.admin.name = "Admin Baru"
    db.session.commit()
    assert version.version() == start + 1


def test_a_missing_trade_row_reads_as_zero_and_the_first_bump_makes_it(app, ctx, accounts):
    product = ProductFactory(producer=accounts.producer_a_store)
    db.session.execute(text("DELETE FROM catalog_state WHERE id = 2"))
    db.session.commit()
    assert version.version() == 0
    _inquiry(product)
    assert version.version() == 1


def test_figures_with_uncommitted_trade_writes_are_computed_afresh_and_kept_nowhere(app, ctx, accounts):
    product = ProductFactory(producer=accounts.producer_a_store)
    _inquiry(product)
    assert monitoring.figures(_period()).received == 1
    contract_rows.request(10, "kg", clock.today(), 1, product.category_id)  # flushed, not committed
    assert monitoring.figures(_period()).received == 2  # this session sees its own rows
    db.session.rollback()
    assert monitoring.figures(_period()).received == 1
    assert db.session.scalar(select(Inquiry.id).where(Inquiry.quantity == 10)) is None


def _capacity(fig, category_id) -> float | None:
    return next(line.capacity_per_month for line in fig.demand if line.category.id == category_id)


def test_a_change_buyers_see_but_the_figures_do_not_read_keeps_them(app, ctx, accounts):
    """An approved price change moves the catalog version, not the trade version: the city's figures are not
    computed again for it (at a million inquiries that is seconds of the facilitator's first visit)."""
    from tests import catalog_changes

    shop = catalog_changes.build_shop(accounts)
    _inquiry(shop.product)
    catalog_before, trade_before = version.versions()
    kept = _figures(app)
    catalog_changes.price_change(shop)
    catalog_after, trade_after = version.versions()
    assert catalog_after > catalog_before and trade_after == trade_before
    with counting() as statements:
        assert monitoring.figures(_period()) == kept
    assert statements == [VERSIONS_SQL], statements


def test_the_capacity_the_figures_show_follows_every_change_of_published_listings(app, ctx, accounts, other):
    """Metro's capacity beside the demand (published listings only) follows a publish, an approved capacity, a
    suspended listing and a suspended storefront, in both apps: each moves the trade version."""
    from marketplace.listings import review as moderation
    from marketplace.models import Producer
    from tests import catalog_changes

    shop = catalog_changes.build_shop(accounts)
    rice = shop.product.category_id
    _inquiry(shop.product)
    others = sum(1000 + n for n in range(30))

    def approved_capacity():
        catalog_changes.revise(shop, monthly_capacity=60_000)

    def storefront_suspended():
        moderation.suspend(db.session.get(Producer, shop.product.producer_id), accounts.moderator, "Izin usaha dicabut")
        db.session.commit()

    steps = [(lambda: catalog_changes.publish(shop), others + 90_000 + 95_000),
             (approved_capacity, others + 60_000 + 95_000),
             (lambda: catalog_changes.suspend(shop), others + 95_000),
             (storefront_suspended, None)]
    assert _capacity(_figures(app), rice) == _capacity(_figures(other), rice) == others + 90_000
    for change, expected in steps:
        change()
        for name_app in (app, other):
            assert _capacity(_figures(name_app), rice) == expected, change


def test_a_trade_change_counts_the_figures_again_but_not_the_catalogs_capacity(app, ctx, accounts):
    """A new inquiry moves the trade version only: the figures are counted again, Metro's capacity (two GROUP BYs
    over every published listing, kept per catalog version) is not."""
    product = ProductFactory(producer=accounts.producer_a_store, monthly_capacity=700)
    _inquiry(product)
    _figures(app)
    _inquiry(product, 250)
    with counting() as statements:
        fig = monitoring.figures(_period())
    assert fig.received == 2 and _capacity(fig, product.category_id) == 700
    assert any("inquiry" in s for s in statements) and not [s for s in statements if "monthly_capacity" in s], statements
