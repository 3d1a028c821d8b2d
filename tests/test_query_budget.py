"""SQL statements per page: a small fixed number, the same for 5 cards (or queue rows) as for 40 (no query per card)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from marketplace.extensions import db
from marketplace.models import BuyerCompany, Inquiry, Product, Role
from marketplace.models.base import utcnow
from marketplace.catalog import search
from tests.conftest import login
from tests.factories import CertificateFactory, PhotoFactory, ProducerFactory, ProductFactory, UserFactory
from tests.readonly import ReadOnly, wipe

# page: (URL, budget). The budgets are today's counts — categories, a count, the cards, one load each for what a
# card shows (photos, certificates, tiers), three facet counts, and what else the page shows. Raise one knowingly.
PAGES = {
    "catalog": ("/products", 9),
    "catalog search and filters": ("/products?q=beras&category=beras-serealia&cert=halal&sort=price_asc", 12),
    "catalog page 2": ("/products?page=2", 9),
    "product": ("/products/{product}", 9),
    "storefront": ("/producers/{producer}", 6),
    "home": ("/", 10),
    "directory": ("/producers", 4),
    "api products": ("/api/v1/products?per_page=100", 6),
    "api producers": ("/api/v1/producers?per_page=100", 4),
}
FEW, MANY = 5, 40


@contextmanager
def counting():
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    # Every engine of the process: the app's own and the catalog version's reader (catalog/cache.py)
    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


class Catalog:
    """Products spread over four producers, each with two price tiers, two live photos and two certificates."""

    def __init__(self):
        self.producers = [ProducerFactory(name=f"Gapoktan {n}", curated=n == 0) for n in range(4)]
        self.certificates = {
            p.id: [CertificateFactory(producer=p, kind="halal", valid_until=date(2099, 1, 1)),
                   CertificateFactory(producer=p, kind="pirt", valid_until=date(2000, 1, 1))]  # expired
            for p in self.producers
        }
        self.count = 0

    def grow_to(self, total: int) -> None:
        while self.count < total:
            producer = self.producers[self.count % len(self.producers)]
            with db.session.no_autoflush:  # built in memory, written by the one commit below
                product = ProductFactory.build(producer=producer, name=f"Beras Nomor {self.count}",
                                               price=[(10, 12000 + self.count), (100, 11000 + self.count)])
                product.certificates = list(self.certificates[producer.id])
                product.photos = [PhotoFactory.build(product=product, producer_id=producer.id, position=n)
                                  for n in range(2)]
                db.session.add(product)
            self.count += 1
        db.session.commit()
        search.reindex()
        db.session.commit()

    def urls(self) -> dict[str, str]:
        first = db.session.scalar(select(Product).order_by(Product.id))
        return {name: url.format(product=first.id, producer=first.producer.slug) for name, (url, _) in PAGES.items()}


def statements_for(app, client, url: str) -> list[str]:
    with counting() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return statements


@pytest.fixture(scope="class")
def measured(app):
    """Every page counted with FEW products, then again after growing the same catalog to MANY."""
    client = app.test_client()
    with app.app_context():
        shop = Catalog()
        shop.grow_to(FEW)
        urls = shop.urls()
        for url in urls.values():
            client.get(url)  # warm: a first request may prepare what later ones reuse
        few = {name: statements_for(app, client, url) for name, url in urls.items()}
        shop.grow_to(MANY)
        for url in urls.values():
            client.get(url)  # warm again: growing the catalog bumped its version, so counts are recomputed once
        many = {name: statements_for(app, client, url) for name, url in urls.items()}
        cards = len(client.get("/api/v1/products?per_page=100").get_json()["items"])
    yield {"few": few, "many": many, "cards": cards}
    wipe(app)


class TestQueryBudget(ReadOnly):
    """The catalog is built and measured once for the class; the tests read the counts."""

    def test_the_large_catalog_really_has_many_cards(self, measured):
        assert measured["cards"] == MANY

    @pytest.mark.parametrize("name", list(PAGES))
    def test_the_number_of_queries_does_not_grow_with_the_number_of_cards(self, measured, name):
        few, many = measured["few"][name], measured["many"][name]
        assert len(many) == len(few), "\n\n".join(many)

    @pytest.mark.parametrize("name", list(PAGES))
    def test_each_page_stays_within_its_query_budget(self, measured, name):
        statements = measured["many"][name]
        assert len(statements) <= PAGES[name][1], "\n\n".join(statements)


def test_the_counter_catches_a_query_per_card(app, ctx):
    """The measuring itself works: reading each product's tiers lazily shows up as one query per product."""
    shop = Catalog()
    shop.grow_to(6)
    db.session.expunge_all()
    with counting() as statements:
        for product in db.session.scalars(select(Product)):
            product.price_tiers  # noqa: B018 — a lazy load per product
    assert len(statements) == 1 + 6


def test_the_facilitator_queue_reads_the_same_statements_for_5_rows_as_for_40(app, ctx, accounts, monkeypatch):
    """Each row shows its company's verification and who holds it: loaded for the whole page, never per row. The
    page is rendered each time (a kept one costs two statements: tests/catalog/test_personal_pages.py)."""
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)
    client = app.test_client()
    login(client, accounts.facilitator)
    companies = [BuyerCompany(key=f"name:hotel {n}", name=f"Hotel {n}", verified_at=utcnow() if n % 2 else None)
                 for n in range(8)]
    holders = [None, accounts.facilitator, UserFactory(role=Role.FACILITATOR)]
    made = 0

    def grow_to(total: int) -> list[str]:
        nonlocal made
        while made < total:
            db.session.add(Inquiry(
                reference=f"INQ-2026-{made:06d}", tracking_token=f"t-{made}", form_token=f"f-{made}",
                company=f"Hotel {made}", buyer_type="hotel", contact_name="Rina", email="rina@hotel.co.id",
                quantity=100 + made, unit="kg", frequency="monthly", delivery_city="jakarta-pusat",
                status="new" if made % 3 else "in_review", buyer_company=companies[made % len(companies)],
                assigned_to=holders[made % len(holders)]))
            made += 1
        db.session.commit()
        client.get("/facilitator/inquiries")  # warm
        return statements_for(app, client, "/facilitator/inquiries")

    few, many = grow_to(FEW), grow_to(MANY)
    assert client.get("/facilitator/inquiries").get_data(as_text=True).count("INQ-2026-") == MANY
    # the signed-in user, the rows, the categories, and the navigation's count of new unclaimed inquiries
    assert len(many) == len(few) <= 4, "\n\n".join(many)
