"""The forwarding section of the inquiry page: the plan filled in, recalculated without JavaScript, who is told."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from marketplace.extensions import db
from marketplace.models import Allocation
from marketplace.trade import service
from tests.conftest import csrf_from
from tests.factories import ProducerFactory, ProductFactory, category
from tests.htmlq import checked, form_data, page, value


@pytest.fixture
def pooled(accounts, login_as):
    """20 t of rice a month asked in ton; A (an account) 10 t, B (a phone, no account) 15 t in kg, C (neither) 5 t."""
    rice = category("beras-serealia")
    a = ProductFactory(producer=accounts.producer_a_store, unit="ton", monthly_capacity=10, min_order_qty=1,
                       category=rice, price=[(1, 12_000_000)])
    b = ProductFactory(producer=ProducerFactory(name="Gapoktan Telepon", phone="+6281299998888"), unit="kg",
                       monthly_capacity=15_000, min_order_qty=500, category=rice)
    c = ProductFactory(producer=ProducerFactory(name="KWT Sunyi", phone=None), unit="ton", monthly_capacity=5,
                       min_order_qty=1, category=rice)
    from tests.trade.contract_rows import request
    inquiry = request(20, "ton", None, 12, rice.id)
    db.session.commit()
    service.claim(inquiry.id, accounts.facilitator)
    db.session.commit()
    login_as("facilitator")
    return inquiry, a, b, c


def url(inquiry) -> str:
    return f"/facilitator/inquiries/{inquiry.id}"


def test_the_plan_is_filled_in_and_ticked_with_its_total(client, pooled):
    inquiry, a, b, c = pooled
    doc = page(client.get(url(inquiry)))
    form = doc.find("form", **{"data-forward-plan": True})
    data = form_data(form)
    # A and B cover 20 t between them, each asked the same part (80 %) of its capacity: 8 t and 12 t.
    assert checked(doc, f"producer-{a.producer_id}") and checked(doc, f"producer-{b.producer_id}")
    assert not checked(doc, f"producer-{c.producer_id}") and value(doc, f"qty-{c.producer_id}") == ""
    assert {data[f"qty-{a.producer_id}"], data[f"qty-{b.producer_id}"]} == {"8", "12"}
    total = doc.by_id("forward-total").text().replace(" %", "%")
    assert "20 ton" in total and "100%" in total
    assert doc.by_id("plan-short") is None


def test_recalculate_keeps_what_was_typed_and_shows_the_new_total_without_forwarding(client, pooled):
    inquiry, a, b, c = pooled
    doc = page(client.get(url(inquiry)))
    data = form_data(doc.find("form", **{"data-forward-plan": True}))
    data.update({f"qty-{a.producer_id}": "7,5", f"producer-{c.producer_id}": "1", f"qty-{c.producer_id}": "2",
                 "recalculate": "1"})
    response = client.post(url(inquiry) + "/forward", data=data)
    assert response.status_code == 200
    doc = page(response)
    assert value(doc, f"qty-{a.producer_id}") == "7,5"
    assert checked(doc, f"producer-{c.producer_id}")
    total = doc.by_id("forward-total").text().replace(" %", "%")
    assert "21,5 ton" in total and "108%" in total  # 7,5 + 12 + 2
    assert db.session.query(Allocation).count() == 0
    # and a quantity that is no number is said beside its box, the rest kept
    data.update({f"qty-{b.producer_id}": "dua belas"})
    doc = page(client.post(url(inquiry) + "/forward", data=data))
    assert doc.by_id(f"qty-{b.producer_id}-error") is not None
    assert value(doc, f"qty-{b.producer_id}") == "dua belas"


def test_forwarding_the_plan_as_shown_asks_each_producer_in_its_unit(client, pooled):
    inquiry, a, b, c = pooled
    data = form_data(page(client.get(url(inquiry))).find("form", **{"data-forward-plan": True}))
    assert client.post(url(inquiry) + "/forward", data=data).status_code == 302
    asked = {x.producer_id: (x.requested_qty, x.unit) for x in db.session.query(Allocation)}
    assert asked == {a.producer_id: (8, "ton"), b.producer_id: (12_000, "kg")}


def test_when_no_plan_covers_the_volume_the_page_says_how_much_is_missing(client, pooled):
    inquiry, a, b, c = pooled
    inquiry.quantity = 40
    db.session.commit()
    doc = page(client.get(url(inquiry)))
    short = doc.by_id("plan-short").text()
    assert "30 ton" in short and "kurang 10 ton" in short


def test_each_row_says_who_will_be_told_and_how(client, pooled):
    inquiry, a, b, c = pooled
    doc = page(client.get(url(inquiry)))
    rows = {tr.find("input", type="checkbox").attrs["name"]: tr for tr in doc.find("form", **{"data-forward-plan": True}).find_all("tr") if tr.find("input", type="checkbox")}
    assert "Email ke 1 akun" in rows[f"producer-{a.producer_id}"].text()
    link = rows[f"producer-{b.producer_id}"].find("a")
    parts = urlsplit(link.attrs["href"])
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/6281299998888")
    message = parse_qs(parts.query)["text"][0]
    assert inquiry.reference in message and "12 ton per bulan selama 12 bulan" in message
    assert "Tidak ada yang akan diberi tahu" in rows[f"producer-{c.producer_id}"].text()
