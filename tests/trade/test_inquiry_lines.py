"""One request for several listings (from the compare view): a line per listing with its own quantity and unit, the
rest shared; the inquiry's quantity is the lines' total in one unit; the buyer and the facilitator see the lines."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Inquiry, InquiryItem, OutboundMessage
from tests.conftest import login
from tests.factories import ProducerFactory, ProductFactory, category
from tests.htmlq import error_for, parse, value


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(monkeypatch):
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)


@pytest.fixture
def rice(ctx):
    rice = category("beras-serealia")
    a = ProductFactory(name="Beras Premium A", unit="kg", min_order_qty=500, monthly_capacity=20_000, category=rice,
                       producer=ProducerFactory(name="Poktan Siger"))
    b = ProductFactory(name="Beras Medium B", unit="ton", min_order_qty=1, monthly_capacity=30, category=rice,
                       price=[(1, 12_000_000)], producer=ProducerFactory(name="Gapoktan Mulya"))
    c = ProductFactory(name="Beras Karung C", unit="karung", kg_per_unit=50, min_order_qty=10, monthly_capacity=400,
                       category=rice, price=[(10, 700_000)], producer=ProducerFactory(name="KWT Sejahtera"))
    return a, b, c


def hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(csrf_token|form_token|started|acknowledged)" type="hidden" value="([^"]*)"', page))


def shared(**override) -> dict:
    data = {"company": "Perumda Food Station", "buyer_type": "bumd", "contact_name": "Andi Saputra",
            "email": "andi@foodstation.co.id", "phone": "0813-1111-2222", "frequency": "monthly", "periods": "6",
            "delivery_city": "jakarta-timur"}
    data.update(override)
    return data


def count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Inquiry.id)))


def url_for_lines(*products, **args) -> str:
    query = "&".join(f"product={p.id}" for p in products)
    extra = "".join(f"&{k}={v}" for k, v in args.items())
    return f"/inquiries/new?{query}{extra}"


def test_the_form_has_one_line_per_listing_in_its_own_unit(client, rice):
    a, b, c = rice
    doc = parse(client.get(url_for_lines(a, b, c)).get_data(as_text=True))
    assert value(doc, f"unit-{a.id}") == "kg" and value(doc, f"unit-{b.id}") == "ton"
    assert value(doc, f"unit-{c.id}") == "karung"
    assert doc.find("input", name="quantity") is None  # no single quantity
    units_c = [o.attrs["value"] for o in doc.find("select", name=f"unit-{c.id}").find_all("option")]
    assert set(units_c) == {"kg", "ton", "kuintal", "karung"}  # what converts into a karung of 50 kg


def test_the_quantity_typed_on_the_compare_view_fills_each_line_converted(client, rice):
    a, b, c = rice
    doc = parse(client.get(url_for_lines(a, b, c, qty="2", unit="ton")).get_data(as_text=True))
    assert value(doc, f"qty-{a.id}") == "2000"
    assert value(doc, f"qty-{b.id}") == "2"
    assert value(doc, f"qty-{c.id}") == "40"


def test_one_request_with_lines_and_their_total(client, rice):
    a, b, c = rice
    url = url_for_lines(a, b)
    form = hidden(client.get(url).get_data(as_text=True))
    response = client.post(url, data={**form, **shared(), f"qty-{a.id}": "2.000", f"unit-{a.id}": "kg",
                                      f"qty-{b.id}": "3", f"unit-{b.id}": "ton"})
    assert response.status_code == 302 and "/inquiries/track/" in response.headers["Location"]
    inquiry = db.session.scalar(select(Inquiry))
    assert (inquiry.quantity, inquiry.unit) == (5000, "kg")
    assert inquiry.category_id == a.category_id
    assert [(i.product_id, i.quantity, i.unit) for i in inquiry.items] == [(a.id, 2000, "kg"), (b.id, 3, "ton")]
    assert [i.producer_id for i in inquiry.lines] == [a.producer_id, b.producer_id]
    # the buyer's confirmation and tracking page list the lines
    mail = db.session.scalar(select(OutboundMessage).where(OutboundMessage.to_address == "andi@foodstation.co.id"))
    assert "Beras Premium A" in mail.body_text and "Beras Medium B" in mail.body_text
    assert "2 ton per bulan selama 6 bulan" in mail.body_text and "3 ton per bulan selama 6 bulan" in mail.body_text
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    words = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Beras Premium A — Poktan Siger: 2 ton per bulan selama 6 bulan" in words
    assert "Beras Medium B — Gapoktan Mulya: 3 ton per bulan selama 6 bulan" in words


def test_lines_in_one_mass_unit_keep_it(client, rice):
    a, b, c = rice
    url = url_for_lines(b, c)
    form = hidden(client.get(url).get_data(as_text=True))
    client.post(url, data={**form, **shared(), f"qty-{b.id}": "2", f"unit-{b.id}": "ton",
                           f"qty-{c.id}": "1,5", f"unit-{c.id}": "ton"})
    inquiry = db.session.scalar(select(Inquiry))
    assert (inquiry.quantity, inquiry.unit) == (3.5, "ton")


def test_a_karung_line_counts_by_its_weight(client, rice):
    a, b, c = rice
    url = url_for_lines(a, c)
    form = hidden(client.get(url).get_data(as_text=True))
    client.post(url, data={**form, **shared(), f"qty-{a.id}": "1000", f"unit-{a.id}": "kg",
                           f"qty-{c.id}": "20", f"unit-{c.id}": "karung"})
    inquiry = db.session.scalar(select(Inquiry))
    assert (inquiry.quantity, inquiry.unit) == (2000, "kg")


@pytest.mark.parametrize("typed, message", [("", "Wajib diisi."), ("0", "lebih besar dari nol"),
                                            ("-4", "lebih besar dari nol"), ("banyak", "Tulis angka"),
                                            ("1e999", "Tulis angka"), ("9" * 400, "Tulis angka")])
def test_each_line_is_validated_beside_its_field_and_what_was_typed_stays(client, rice, typed, message):
    a, b, c = rice
    url = url_for_lines(a, b)
    form = hidden(client.get(url).get_data(as_text=True))
    response = client.post(url, data={**form, **shared(), f"qty-{a.id}": "2000", f"unit-{a.id}": "kg",
                                      f"qty-{b.id}": typed, f"unit-{b.id}": "ton"})
    assert response.status_code == 200
    doc = parse(response.get_data(as_text=True))
    assert message in error_for(doc, f"qty-{b.id}")
    assert error_for(doc, f"qty-{a.id}") is None
    assert value(doc, f"qty-{a.id}") == "2000" and value(doc, f"qty-{b.id}") == typed
    assert count() == 0


def test_a_unit_that_does_not_convert_into_the_listing_is_refused(client, rice):
    a, b, c = rice
    url = url_for_lines(a, b)
    form = hidden(client.get(url).get_data(as_text=True))
    response = client.post(url, data={**form, **shared(), f"qty-{a.id}": "2000", f"unit-{a.id}": "ekor",
                                      f"qty-{b.id}": "2", f"unit-{b.id}": "ton"})
    assert response.status_code == 200 and error_for(parse(response.get_data(as_text=True)), f"unit-{a.id}")
    assert count() == 0


def test_lines_whose_units_cannot_be_added_up_are_refused_with_a_message(client, ctx, rice):
    a, b, c = rice
    eggs = ProductFactory(name="Telur Ayam Ras", unit="butir", min_order_qty=1000, monthly_capacity=100_000,
                          category=category("telur"), price=[(1000, 1_800)])
    url = url_for_lines(a, eggs)
    form = hidden(client.get(url).get_data(as_text=True))
    response = client.post(url, data={**form, **shared(), f"qty-{a.id}": "2000", f"unit-{a.id}": "kg",
                                      f"qty-{eggs.id}": "5000", f"unit-{eggs.id}": "butir"})
    assert response.status_code == 200
    message = error_for(parse(response.get_data(as_text=True)), f"unit-{eggs.id}")
    assert "tidak dapat dijumlahkan" in message and "permintaan terpisah" in message
    assert count() == 0


def test_a_line_below_the_minimum_is_warned_once_then_sent(client, rice):
    a, b, c = rice
    url = url_for_lines(a, b)
    data = {**shared(), f"qty-{a.id}": "100", f"unit-{a.id}": "kg", f"qty-{b.id}": "2", f"unit-{b.id}": "ton"}
    first = client.post(url, data={**hidden(client.get(url).get_data(as_text=True)), **data})
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and "di bawah minimal pemesanan produsen (500 kg)" in page
    assert count() == 0
    again = client.post(url, data={**hidden(page), **data})
    assert again.status_code == 302 and count() == 1


def test_a_double_submit_makes_one_inquiry(client, rice):
    a, b, c = rice
    url = url_for_lines(a, b)
    form = hidden(client.get(url).get_data(as_text=True))
    data = {**form, **shared(), f"qty-{a.id}": "2000", f"unit-{a.id}": "kg", f"qty-{b.id}": "2", f"unit-{b.id}": "ton"}
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert count() == 1
    assert db.session.scalar(select(func.count(InquiryItem.id))) == 2


def test_an_unpublished_listing_drops_out_and_one_left_is_a_plain_inquiry(client, rice):
    a, b, c = rice
    b.status = "draft"
    db.session.commit()
    doc = parse(client.get(url_for_lines(a, b)).get_data(as_text=True))
    assert doc.find("input", name="quantity") is not None and value(doc, "unit") == "kg"


def test_more_than_four_listings_are_cut_to_four(client, ctx):
    products = [ProductFactory(name=f"Beras {n}") for n in range(6)]
    doc = parse(client.get(url_for_lines(*products)).get_data(as_text=True))
    assert len([n for n in doc.find_all("input") if n.attrs.get("name", "").startswith("qty-")]) == 4


# ---------------------------------------------------------------- the facilitator's side

@pytest.fixture
def sent(client, rice):
    a, b, c = rice
    url = url_for_lines(a, b, c)
    form = hidden(client.get(url).get_data(as_text=True))
    client.post(url, data={**form, **shared(), f"qty-{a.id}": "2000", f"unit-{a.id}": "kg",
                           f"qty-{b.id}": "3", f"unit-{b.id}": "ton", f"qty-{c.id}": "20", f"unit-{c.id}": "karung"})
    return db.session.scalar(select(Inquiry))


def test_the_queue_shows_one_request_with_its_lines_and_total(app, accounts, sent):
    facilitator = app.test_client()
    login(facilitator, accounts.facilitator)
    page = facilitator.get("/facilitator/inquiries").get_data(as_text=True)
    words = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert page.count(sent.reference) == 1
    assert "3 produk" in words and "6 ton per bulan" in words


def test_the_inquiry_page_lists_each_line(app, accounts, sent):
    facilitator = app.test_client()
    login(facilitator, accounts.facilitator)
    page = facilitator.get(f"/facilitator/inquiries/{sent.id}").get_data(as_text=True)
    words = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Beras Premium A — Poktan Siger: 2 ton per bulan selama 6 bulan" in words
    assert "Beras Medium B — Gapoktan Mulya: 3 ton per bulan selama 6 bulan" in words
    assert "Beras Karung C — KWT Sejahtera: 20 karung per bulan selama 6 bulan" in words


def test_forwarding_is_filled_in_from_the_lines_and_asks_each_listing_in_its_unit(app, accounts, sent, rice):
    from marketplace.models import Allocation
    from marketplace.trade import service
    from tests.conftest import csrf_from
    from tests.htmlq import checked, form_data

    a, b, c = rice
    # another rice listing of A's producer with more spare capacity: the line names the first one
    ProductFactory(producer=a.producer, name="Beras Lain A", unit="kg", monthly_capacity=90_000, category=a.category)
    # and a rice producer the buyer did not name
    other = ProductFactory(name="Beras Lain", unit="kg", monthly_capacity=50_000, category=a.category,
                           producer=ProducerFactory(name="Gapoktan Lain", curated=True))
    service.claim(sent.id, accounts.facilitator)
    db.session.commit()
    facilitator = app.test_client()
    login(facilitator, accounts.facilitator)
    doc = parse(facilitator.get(f"/facilitator/inquiries/{sent.id}").get_data(as_text=True))
    assert doc.by_id("plan-from-lines") is not None
    # the request is in kg (the lines' total): each line's quantity in it
    assert value(doc, f"qty-{a.producer_id}") == "2000"
    assert value(doc, f"qty-{b.producer_id}") == "3000"
    assert value(doc, f"qty-{c.producer_id}") == "1000"
    assert checked(doc, f"producer-{a.producer_id}") and not checked(doc, f"producer-{other.producer_id}")
    total = doc.by_id("forward-total").text().replace(" %", "%")
    assert "6 ton" in total and "100%" in total
    # the facilitator may still change a quantity before forwarding
    data = form_data(doc.find("form", **{"data-forward-plan": True}))
    data[f"qty-{b.producer_id}"] = "2500"
    assert facilitator.post(f"/facilitator/inquiries/{sent.id}/forward", data=data).status_code == 302
    asked = {x.producer_id: (x.product_id, x.requested_qty, x.unit) for x in db.session.query(Allocation)}
    assert asked == {a.producer_id: (a.id, 2000, "kg"), b.producer_id: (b.id, 2.5, "ton"),
                     c.producer_id: (c.id, 20, "karung")}
