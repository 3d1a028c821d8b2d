"""Spare capacity this month in the catalog ("tersedia ≥ …", ?min_spare=) and on the producer's dashboard: a
listing's monthly capacity minus what active contracts commit in this calendar month, in the listing's unit.

    listing   capacity   contracts this month                     spare
    Busy      10 ton     active 8.000 kg (8 t) from this month    2 ton
    Free      10 ton     cancelled 8 ton                          10 ton   (a cancelled contract commits nothing)
"""
from __future__ import annotations

import re
from html import unescape

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import Contract, ContractLine, Inquiry
from marketplace.trade.contracts import ends_on, schedule_lines
from tests.conftest import login
from tests.factories import ProductFactory, category


def _contract(n, product, quantity, unit, status="active"):
    today = clock.today()
    start = today.replace(day=1)
    inquiry = Inquiry(reference=f"INQ-2026-{n:06d}", tracking_token=f"t{n}", form_token=f"f{n}", company="PT Pembeli",
                      buyer_type="hotel", contact_name="Budi", email="budi@contoh.id", quantity=quantity, unit=unit,
                      frequency="monthly", periods=3, starts_on=start, delivery_city="jakarta-pusat",
                      category_id=category().id, status="agreed")
    contract = Contract(reference=f"KTR-2026-{n:06d}", inquiry=inquiry, status=status, frequency="monthly",
                        periods=3, starts_on=start, ends_on=ends_on("monthly", 3, start), agreement_chosen=True,
                        lines=[ContractLine(producer_id=product.producer_id, product=product, product_id=product.id,
                                            quantity=quantity, unit=unit, price=12_000)])
    db.session.add(contract)
    schedule_lines(contract)
    db.session.commit()
    return contract


def _names(client, **query) -> set[str]:
    body = client.get("/api/v1/products", query_string=query).get_json()
    return {item["name"] for item in body["items"]}


def test_the_spare_capacity_filter_counts_active_contracts_of_this_month(client, accounts):
    busy = ProductFactory(producer=accounts.producer_a_store, name="Beras Sibuk", unit="ton", monthly_capacity=10)
    free = ProductFactory(producer=accounts.producer_b_store, name="Beras Lowong", unit="ton", monthly_capacity=10)
    assert _names(client, min_spare=5) == {"Beras Sibuk", "Beras Lowong"}  # counted (and kept) before the contracts
    _contract(1, busy, 8000, "kg")  # asked in kg, committed as 8 ton of the listing
    _contract(2, free, 8, "ton", "cancelled")
    # A new contract changes the spare capacity: the catalog's kept counts are not reused.
    assert _names(client, min_spare=5) == {"Beras Lowong"}
    assert _names(client, min_spare=2) == {"Beras Sibuk", "Beras Lowong"}
    assert _names(client, min_spare="2,5") == {"Beras Lowong"}
    # The HTML catalog: the field keeps what was asked, and a chip removes it.
    html = client.get("/products?min_spare=5").get_data(as_text=True)
    assert 'name="min_spare"' in html and 'value="5"' in html
    assert "Beras Lowong" in html and "Beras Sibuk" not in html
    chip = re.search(r'<a class="badge filter-chip" href="([^"]*)">([^<]*)', html)
    assert "Tersedia ≥ 5 bulan ini" in unescape(chip.group(2)) and "min_spare" not in chip.group(1)


def test_a_contract_cancelled_or_completed_frees_its_capacity_in_the_catalog_at_once(client, accounts):
    """The contract's workflow writes its status with one conditional UPDATE, which no flush sees: the catalog's
    kept counts must still follow it."""
    from marketplace.trade.workflow import contract as contract_workflow

    busy = ProductFactory(producer=accounts.producer_a_store, name="Beras Sibuk", unit="ton", monthly_capacity=10)
    other = ProductFactory(producer=accounts.producer_b_store, name="Beras Lain", unit="ton", monthly_capacity=10)
    first, second = _contract(1, busy, 8, "ton"), _contract(2, other, 8, "ton")
    assert _names(client, min_spare=5) == set()  # counted (and kept) while both commit 8 of 10 ton
    contract_workflow.apply("cancel", db.session.get(Contract, first.id), accounts.facilitator, "Pembeli membatalkan")
    db.session.commit()
    assert _names(client, min_spare=5) == {"Beras Sibuk"}
    contract_workflow.apply("complete", db.session.get(Contract, second.id), accounts.facilitator)
    db.session.commit()
    assert _names(client, min_spare=5) == {"Beras Sibuk", "Beras Lain"}


def test_the_openapi_document_lists_the_spare_capacity_filter(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    [param] = [p for p in spec["paths"]["/products"]["get"]["parameters"] if p["name"] == "min_spare"]
    assert param["schema"] == {"type": "number", "minimum": 0} and "contracts" in param["description"]


def test_a_nonsense_spare_capacity_is_ignored_not_a_500(client):
    assert client.get("/products?min_spare=banyak").status_code == 200
    assert client.get("/products?min_spare=-3").status_code == 200


def test_the_producers_dashboard_shows_capacity_committed_and_spare_this_month(client, accounts):
    busy = ProductFactory(producer=accounts.producer_a_store, name="Beras Sibuk", unit="ton", monthly_capacity=10)
    ProductFactory(producer=accounts.producer_a_store, name="Telur Ayam", unit="butir", monthly_capacity=3000,
                   category=category("telur"))
    _contract(1, busy, 8000, "kg")
    _contract(2, busy, 1, "ton", "cancelled")
    login(client, accounts.producer_a)
    html = client.get("/dashboard/").get_data(as_text=True)
    table = html.split('id="t-capacity"')[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows[cells[0]] = cells[1:]
    assert rows["Beras Sibuk"] == ["10 ton", "8 ton", "2 ton"]
    assert rows["Telur Ayam"] == ["3.000 butir", "0 butir", "3.000 butir"]


def test_a_large_storefronts_dashboard_shows_the_committed_listings_first_and_pages_the_rest(client, accounts,
                                                                                              monkeypatch):
    from marketplace.listings import dashboard

    monkeypatch.setattr(dashboard, "DASHBOARD_ROWS", 3)
    monkeypatch.setattr(dashboard, "PRODUCTS_PAGE_SIZE", 4)
    monkeypatch.setattr(dashboard, "ATTENTION_DRAFTS", 2)
    store = accounts.producer_a_store
    busy = ProductFactory(producer=store, name="Beras Terikat", unit="ton", monthly_capacity=10)
    listed = [ProductFactory(producer=store, name=f"Produk Baru {n}") for n in range(6)]
    for n in range(5):
        ProductFactory(producer=store, name=f"Draf {n}", status="draft")
    _contract(1, busy, 4, "ton")
    login(client, accounts.producer_a)
    html = client.get("/dashboard/").get_data(as_text=True)
    table = html.split('id="t-capacity"')[1].split("</table>")[0]
    names = re.findall(r'<th scope="row">([^<]+)</th>', table)
    assert names[0] == "Beras Terikat" and len(names) == 3  # the committed one first, though changed longest ago
    assert "Kelola semua (12)" in html
    assert "Dan 3 draf lainnya." in html
    first, last = client.get("/dashboard/products").get_data(as_text=True), \
        client.get("/dashboard/products?page=3").get_data(as_text=True)
    assert "12 produk" in first and "Halaman 1 dari 3" in first
    assert first.count('class="product-row"') == 4 and last.count('class="product-row"') == 4
    assert "Beras Terikat" in last and listed[0].name in last  # the oldest changes on the last page
