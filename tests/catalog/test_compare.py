"""The compare view: up to four listings side by side, the price at the buyer's quantity in each listing's unit,
ids that do not fit said on the page, and everything through a plain GET form (no JavaScript needed)."""
from __future__ import annotations

import re
from datetime import date

import pytest

from marketplace.catalog import compare
from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import PublicationStatus
from tests.factories import CertificateFactory, ProducerFactory, ProductFactory, category
from tests.htmlq import error_for, parse

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def text_of(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


@pytest.fixture
def rice(ctx):
    """Three rice listings: one in kg with tiers, one in ton, one in karung of 50 kg; a halal certificate on one."""
    a = ProductFactory(name="Beras Premium A", unit="kg", min_order_qty=500, monthly_capacity=20_000,
                       lead_time_days=5, grade="Premium", curation_grade="A",
                       price=[(500, 13_500), (5_000, 13_000)],
                       producer=ProducerFactory(name="Poktan Siger", kecamatan="metro-utara", curated=True))
    b = ProductFactory(name="Beras Medium B", unit="ton", min_order_qty=2, monthly_capacity=30, grade="Medium",
                       price=[(2, 12_000_000), (10, 11_500_000)], producer=ProducerFactory(name="Gapoktan Mulya"))
    c = ProductFactory(name="Beras Karung C", unit="karung", kg_per_unit=50, min_order_qty=10, monthly_capacity=400,
                       price=[(10, 700_000)], producer=ProducerFactory(name="KWT Sejahtera"))
    cert = CertificateFactory(producer=a.producer, kind="halal", valid_until=date(2027, 1, 31))
    a.certificates.append(cert)
    db.session.commit()
    return a, b, c


def test_price_at_the_quantity_asked_in_each_listings_unit(rice):
    a, b, c = rice
    table = compare.compare([a.id, b.id, c.id], compare.Asked(6, "ton"), TODAY)
    prices = dict(zip([p.id for p in table.products], dict((r.key, v) for r, v in table.rows)["price"]))
    assert prices[a.id].quantity == 6000 and prices[a.id].price == 13_000  # the 5 t tier, per kg
    assert prices[b.id].quantity == 6 and prices[b.id].price == 12_000_000
    assert prices[c.id].quantity == pytest.approx(120) and prices[c.id].price == 700_000
    assert prices[c.id].per_kg == pytest.approx(14_000)
    assert prices[b.id].per_kg == pytest.approx(12_000)
    assert not any(p.below_moq for p in prices.values())


def test_under_the_minimum_order_says_so_and_quotes_the_first_tier(rice, client):
    a, b, c = rice
    page = client.get(f"/products/compare?id={a.id}&id={b.id}&qty=1.000&unit=kg").get_data(as_text=True)
    words = text_of(page)
    assert "di bawah MOQ" in words  # 1 ton is under B's 2 ton
    assert "Rp 13.500 / kg" in words  # A: 1.000 kg is above its 500 kg minimum, below the 5 t tier
    assert "Rp 12.000.000 / ton" in words and "untuk 1 ton" in words


def test_no_quantity_shows_the_price_at_the_minimum_order(rice, client):
    a, b, c = rice
    words = text_of(client.get(f"/products/compare?id={a.id}&id={c.id}").get_data(as_text=True))
    assert "pada minimal pemesanan (500 kg)" in words
    assert "Rp 14.000 / kg" in words  # C's karung of 50 kg, per kg


def test_the_rows_a_buyer_weighs(rice, client):
    a, b, c = rice
    page = client.get(f"/products/compare?id={a.id}&id={b.id}&id={c.id}")
    assert page.status_code == 200
    doc = parse(page.get_data(as_text=True))
    labels = [th.text() for th in doc.find("table", class_="table align-top compare-table").find_all("th", scope="row")]
    assert labels[:6] == ["Harga pada jumlah Anda", "Harga per kg", "Dasar harga", "Minimal pemesanan",
                          "Kapasitas per bulan", "Tersedia bulan ini"]
    assert {"Sertifikat", "Waktu penyiapan", "Kualitas", "Kurasi", "Produsen", "Minta penawaran"} <= set(labels)
    assert "Spesifikasi" not in labels  # none of the three has specifications: the row is left out
    words = text_of(page.get_data(as_text=True))
    # stated by the producer, not checked: never "verified", and its date read as a validity
    assert words.count("Loco Metro (diambil di Metro)") == 3  # each price says its basis
    assert "Halal · No. " in words and "dinyatakan produsen masa berlaku s.d. 31 Januari 2027" in words
    assert "Nilai kurasi A" in words and "Poktan Siger" in words and "Metro Utara" in words
    assert "5 hari" in words and "Premium" in words and "Medium" in words
    assert "20 ton" in words  # A's capacity, and (no contract) what is spare this month
    region = doc.find("div", role="region")
    assert region.attrs["tabindex"] == "0" and region.attrs["role"] == "region" and region.attrs.get("aria-label")


def test_more_than_four_shows_the_first_four_and_says_so(ctx, client):
    products = [ProductFactory(name=f"Beras {n}") for n in range(6)]
    query = "&".join(f"id={p.id}" for p in products)
    page = client.get(f"/products/compare?{query}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Paling banyak 4 produk" in body
    heads = parse(body).find("thead").find_all("th", scope="col")
    assert [th.find("a").text() for th in heads] == [p.name for p in products[:4]]


def test_unknown_hidden_and_malformed_ids_are_skipped_with_a_message(rice, client):
    a, b, c = rice
    b.status = PublicationStatus.DRAFT
    db.session.commit()
    page = client.get(f"/products/compare?id={a.id}&id={b.id}&id=999999&id=abc&id=-3&id=99999999999999999999")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "5 produk tidak ditemukan" in body
    assert "Beras Premium A" in body and "Beras Medium B" not in body


@pytest.mark.parametrize("query", ["", "id=", "qty=abc&unit=kg&id={a}", "qty=1e999&unit=zz&id={a}",
                                   "qty=-5&unit=kg&id={a}&id={b}", "id={a}&id={a}&id={a}", "unit=%00&qty=%00&id={b}",
                                   "qty=9999999999999&unit=ton&id={a}&id={b}&id={c}", "qty=5&unit=ekor&id={c}"])
def test_no_query_string_gives_an_error(rice, client, query):
    a, b, c = rice
    assert client.get("/products/compare?" + query.format(a=a.id, b=b.id, c=c.id)).status_code == 200
    assert client.get("/inquiries/new?" + query.replace("id=", "product=").format(a=a.id, b=b.id, c=c.id)
                      ).status_code == 200


def test_a_quantity_that_is_no_number_is_refused_beside_the_field(rice, client):
    a, b, c = rice
    body = client.get(f"/products/compare?id={a.id}&qty=banyak&unit=kg").get_data(as_text=True)
    assert error_for(parse(body), "compare-qty") and 'value="banyak"' in body
    assert "pada minimal pemesanan" in body  # priced as if nothing was typed


def test_the_catalog_ticks_are_a_get_form_of_their_own(rice, client):
    """Without JavaScript: the cards' checkboxes belong (form=) to a GET form whose action is the compare view,
    apart from the filter form."""
    doc = parse(client.get("/products").get_data(as_text=True))
    form = doc.by_id("compare-form")
    assert form.attrs["method"] == "get" and form.attrs["action"] == "/products/compare"
    ticks = doc.find_all("input", form="compare-form")
    assert len(ticks) == 3 and {t.attrs["name"] for t in ticks} == {"id"}
    assert not doc.find("form", class_="filters-form").find_all("input", name="id")


def test_the_compare_view_offers_one_request_for_the_ticked_listings(rice, client):
    a, b, c = rice
    doc = parse(client.get(f"/products/compare?id={a.id}&id={b.id}&qty=3&unit=ton").get_data(as_text=True))
    form = doc.by_id("request-form")
    assert form.attrs["action"] == "/inquiries/new" and form.attrs["method"] == "get"
    ticks = doc.find_all("input", form="request-form", name="product")
    assert [int(t.attrs["value"]) for t in ticks] == [a.id, b.id]
    assert {i.attrs["name"]: i.attrs["value"] for i in form.find_all("input", type="hidden")} == {"qty": "3", "unit": "ton"}


def test_specifications_side_by_side(rice, client):
    a, b, c = rice
    a.specs = {"variety": "Ciherang", "rice_class": "premium", "broken_pct": 12.5, "moisture_pct": 13.5}
    b.specs = {"variety": "IR64", "rice_class": "medium", "broken_pct": 22.0}
    db.session.commit()
    page = client.get(f"/products/compare?id={a.id}&id={b.id}&id={c.id}").get_data(as_text=True)
    doc = parse(page)
    labels = [th.text() for th in doc.find("table", class_="table align-top compare-table").find_all("th", scope="row")]
    assert "Spesifikasi" in labels
    words = text_of(page)
    assert "Ciherang" in words and "IR64" in words
    assert "12,5 %" in words and "22 %" in words and "13,5 %" in words
