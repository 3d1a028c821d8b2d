"""A price a buyer can compare (issue 16, part 2): every price says its basis and unit, a card shows the price at
the minimum order and says so, and the catalog sorts by the price per kg across kg, kuintal, ton and weighed
pieces, listings without a weight last."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.listings import editing as listings
from marketplace.models import Product
from tests import htmlq
from tests.factories import ProductFactory, category


def _text(response) -> str:
    return " ".join(htmlq.parse(response.get_data(as_text=True)).text().split())


def _classed(node, tag: str, name: str):
    return [n for n in node.iter() if n.tag == tag and name in (n.attrs.get("class") or "").split()]


def _card_prices(client, **args) -> dict[str, str]:
    """Each card's name and its price line, in the order shown."""
    page = htmlq.parse(client.get("/products", query_string=args).get_data(as_text=True))
    return {card.find("h2").text(): _classed(card, "p", "card-price")[0].text()
            for card in _classed(page, "article", "product-card")}


def test_a_card_shows_the_price_at_the_minimum_order_not_the_deepest_tier(client, ctx):
    ProductFactory(name="Beras Premium", price=[(100, 14000), (1000, 13500), (5000, 12800)], min_order_qty=100)
    [shown] = _card_prices(client).values()
    assert shown == "Rp 14.000 / kg pada pesanan minimum 100 kg · loco Metro"
    assert "12.800" not in shown and "mulai" not in shown


def test_the_price_basis_is_on_the_card_the_product_page_and_in_the_api(client, ctx):
    product = ProductFactory(name="Beras Antar", price_basis="franco_incl", unit="kuintal",
                             price=[(2, 1_300_000)], min_order_qty=2, monthly_capacity=300)
    card = _card_prices(client)["Beras Antar"]
    assert "Rp 1.300.000 / kuintal" in card and "(≈ Rp 13.000 / kg)" in card
    assert "franco Jakarta, termasuk ongkir" in card
    page = _text(client.get(f"/products/{product.id}"))
    assert "Dasar harga: Franco Jakarta, termasuk ongkos kirim" in page
    (item,) = client.get("/api/v1/products").get_json()["items"]
    assert (item["price_basis"], item["unit"], item["price_at_moq_idr"], item["price_per_kg_idr"]) == \
        ("franco_incl", "kuintal", 1_300_000, 13_000)


def test_an_english_page_names_the_basis_in_english(client, ctx):
    ProductFactory(name="Beras Ambil", price_basis="loco", price=[(100, 12000)])
    card = _card_prices(client, lang="en")["Beras Ambil"]
    assert card == "Rp 12.000 / kg at the minimum order of 100 kg · ex works Metro"


def test_a_listing_on_request_shows_no_price_and_no_basis(client, ctx):
    ProductFactory(name="Tanya", price=[], price_on_request=True)
    assert _card_prices(client)["Tanya"] == "Harga sesuai permintaan"


@pytest.fixture
def units(ctx):
    """The same rice priced in four units, and eggs by the piece (no weight): per kg 11.000 … 14.000, then none."""
    ProductFactory(name="Per kg", unit="kg", price=[(100, 13_000)], min_order_qty=100)
    ProductFactory(name="Per kuintal", unit="kuintal", price=[(1, 1_400_000)], min_order_qty=1, monthly_capacity=50)
    ProductFactory(name="Per ton", unit="ton", price=[(1, 12_000_000), (5, 10_000_000)], min_order_qty=1,
                   monthly_capacity=50)  # the price at the MOQ counts (12.000/kg), not the deepest tier's
    ProductFactory(name="Per karung", unit="karung", kg_per_unit=50, price=[(10, 550_000)], min_order_qty=10)
    ProductFactory(name="Per butir", unit="butir", price=[(100, 2_000)], min_order_qty=100,
                   category=category("telur"))
    ProductFactory(name="Tanya harga", price=[], price_on_request=True)


def test_the_catalog_sorts_by_the_price_per_kg_across_units_without_a_weight_last(client, units):
    names = list(_card_prices(client, sort="price_per_kg"))
    assert names[:4] == ["Per karung", "Per ton", "Per kg", "Per kuintal"]
    assert set(names[4:]) == {"Per butir", "Tanya harga"}
    api = [p["name"] for p in client.get("/api/v1/products", query_string={"sort": "price_per_kg"}).get_json()["items"]]
    assert api == names
    page = client.get("/products?sort=price_per_kg").get_data(as_text=True)
    assert '<option value="price_per_kg" selected>Harga per kg termurah</option>' in page


def test_the_lowest_price_order_follows_the_price_shown_on_the_cards(client, units):
    shown = [p for p in _card_prices(client, sort="price_asc", category="beras-serealia").values()]
    prices = [int(p.split()[1].replace(".", "")) for p in shown if p.startswith("Rp")]
    assert prices == sorted(prices)


def test_the_stored_prices_follow_a_change_of_moq_unit_or_weight(accounts):
    product = ProductFactory(producer=accounts.producer_a_store, status="draft", unit="karung", kg_per_unit=50,
                             price=[(10, 600_000), (100, 550_000)], min_order_qty=10, monthly_capacity=500)
    assert (product.price_moq, product.price_per_kg) == (600_000, 12_000)
    values = listings.product_values(product)
    listings.save_product(product.producer, product, values | {"min_order_qty": 100}, accounts.producer_a)
    assert (product.price_moq, product.price_per_kg) == (550_000, 11_000)
    listings.save_product(product.producer, product, values | {"min_order_qty": 100, "kg_per_unit": 25},
                          accounts.producer_a)
    assert product.price_per_kg == 22_000
    listings.save_product(product.producer, product, values | {"kg_per_unit": None}, accounts.producer_a)
    db.session.commit()
    stored = db.session.scalar(select(Product).where(Product.id == product.id))
    assert (stored.price_moq, stored.price_per_kg) == (600_000, None)


def test_the_price_per_kg_order_reads_its_ids_from_the_covering_index(app, units, dialect):
    """At 100,000 listings the order must not sort the table: the plan walks ix_product_status_price_per_kg."""
    from sqlalchemy import text

    from marketplace.catalog import queries

    stmt = queries._order(queries.public_products().with_only_columns(Product.id), "price_per_kg", None).limit(24)
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if dialect == "sqlite":
        plan = " ".join(str(row[-1]) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "ix_product_status_price_per_kg" in plan and "TEMP B-TREE" not in plan, plan
    else:  # a table this small is read whole; without that choice the index is the plan
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql)))
        assert "ix_product_status_price_per_kg" in plan and "Sort" not in plan.replace("Sort Key", ""), plan
