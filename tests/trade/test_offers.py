"""Producers' offers (issue 14, item 5): a quantity per period in a unit that converts, price, lead time, validity
and terms; checks beside the field the producer may override; revise and withdraw until quoted."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import Inquiry, Quotation, QuotationLine
from marketplace.trade import service as inquiries
from tests.conftest import csrf_from, login
from tests.factories import ProductFactory, category


@pytest.fixture
def share(accounts):
    """Food Station asks 20 t of rice a month for 12 months; 20 t is forwarded to producer A, whose listing in kg
    has a 1,5 t minimum and 16 t a month of capacity."""
    listing = ProductFactory(producer=accounts.producer_a_store, name="Beras Premium A", unit="kg",
                             monthly_capacity=16_000, min_order_qty=1_500, category=category("beras-serealia"))
    inquiry = Inquiry(reference="INQ-2026-000020", tracking_token="tok-20", form_token="form-20", company="Food Station",
                      buyer_type="bumd", contact_name="Rina", email="rina@fs.co.id", quantity=20, unit="ton",
                      frequency="monthly", periods=12, delivery_city="jakarta-timur", category_id=listing.category_id,
                      status="new")
    db.session.add(inquiry)
    db.session.commit()
    inquiries.claim(inquiry.id, accounts.facilitator)
    inquiries.forward(inquiry, [(listing.producer_id, 20)], False, accounts.facilitator)
    db.session.commit()
    allocation = inquiry.allocations[0]
    assert (allocation.requested_qty, allocation.unit) == (20_000, "kg")
    return allocation


@pytest.fixture
def producer(app, accounts):
    client = app.test_client()
    login(client, accounts.producer_a)
    return client


def _send(producer, allocation, action="accept", **fields):
    prefix = f"{'withdraw' if action == 'withdraw' else 'accept'}-{allocation.id}"
    data = {f"{prefix}-csrf_token": csrf_from(producer.get("/dashboard/inquiries")),
            **{f"{prefix}-{name}": value for name, value in fields.items()}}
    return producer.post(f"/dashboard/inquiries/{allocation.id}/{action}", data=data)


def _offer(**override):
    return {"offered_qty": "15", "unit": "ton", "price": "12.500.000", "lead_time_days": "7",
            "valid_until": (clock.today() + timedelta(days=10)).isoformat(), "terms": "franco_incl", **override}


def test_the_form_proposes_the_forwarded_quantity_unit_and_two_weeks_of_validity(producer, share):
    page = producer.get("/dashboard/inquiries").get_data(as_text=True)
    prefix = f"accept-{share.id}"
    assert re.search(rf'<input[^>]*name="{prefix}-offered_qty"[^>]*value="20.000"', page)  # 20.000 kg
    assert '<option selected value="kg">' in page and 'value="ton"' in page and 'value="ekor"' not in page
    assert (clock.today() + timedelta(days=14)).isoformat() in page


@pytest.mark.parametrize("quantity,unit,message", [
    ("21", "ton", "Lebih dari yang diminta (20 ton)"),
    ("1.000", "kg", "Kurang dari minimal pemesanan Anda (1,5 ton)"),
    ("18", "ton", "Lebih dari kapasitas Anda yang masih tersedia pada bulan yang diminta (16 ton)"),
])
def test_an_unusual_offer_is_questioned_beside_the_quantity_and_can_be_sent_anyway(producer, share, quantity, unit,
                                                                                   message):
    response = _send(producer, share, **_offer(offered_qty=quantity, unit=unit))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert f'id="accept-{share.id}-offered_qty-error"' in page and f'value="{quantity}"' in page
    assert f'name="accept-{share.id}-send_anyway"' in page
    db.session.expire_all()
    assert share.status == "forwarded"
    response = _send(producer, share, **_offer(offered_qty=quantity, unit=unit, send_anyway="y"))
    assert response.status_code == 302
    db.session.expire_all()
    assert share.status == "accepted" and share.offered_unit == unit


def test_an_offer_in_kg_against_a_forward_in_ton_is_stored_in_kg_with_its_terms(producer, accounts, share):
    inquiries.forward(share.inquiry, [(share.producer_id, 6)], False, accounts.facilitator)  # 6 t, asked in kg
    db.session.commit()
    assert _send(producer, share, **_offer(offered_qty="6.000", unit="kg", price="12.500")).status_code == 302
    db.session.expire_all()
    assert (share.offered_qty, share.offered_unit, share.offered_price, share.terms) == (6_000, "kg", 12_500, "franco_incl")
    assert share.offer_valid_until == clock.today() + timedelta(days=10)


@pytest.mark.parametrize("override,field", [
    ({"offered_qty": "0"}, "offered_qty"), ({"offered_qty": ""}, "offered_qty"), ({"price": ""}, "price"),
    ({"valid_until": "2020-01-01"}, "valid_until"), ({"unit": "ekor"}, "unit"),
])
def test_what_cannot_be_sent_anyway_is_refused_beside_its_field(producer, share, override, field):
    response = _send(producer, share, **_offer(send_anyway="y", **override))
    assert response.status_code == 400
    assert f'id="accept-{share.id}-{field}-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert share.status == "forwarded"


def test_an_offer_is_revised_and_withdrawn_after_a_confirmation(producer, share):
    assert _send(producer, share, **_offer()).status_code == 302
    assert _send(producer, share, "revise", **_offer(offered_qty="12", price="12.000.000")).status_code == 302
    db.session.expire_all()
    assert (share.status, share.offered_qty, share.offered_price) == ("accepted", 12, 12_000_000)
    unconfirmed = _send(producer, share, "withdraw", reason="Gagal panen")
    assert unconfirmed.status_code == 400 and "Centang untuk memastikan" in unconfirmed.get_data(as_text=True)
    db.session.expire_all()
    assert share.status == "accepted"
    assert _send(producer, share, "withdraw", reason="Gagal panen", confirmed="y").status_code == 302
    db.session.expire_all()
    assert share.status == "withdrawn"


def test_a_quoted_offer_can_no_longer_change_and_the_page_says_why(producer, accounts, share):
    assert _send(producer, share, **_offer()).status_code == 302
    db.session.expire_all()
    quotation = Quotation(inquiry_id=share.inquiry_id, valid_until=clock.today() + timedelta(days=7), status="sent",
                          created_by_id=accounts.facilitator.id)
    quotation.lines.append(QuotationLine(allocation_id=share.id, producer_id=share.producer_id, quantity=20,
                                         unit="ton", price=12_500_000))
    db.session.add(quotation)
    db.session.commit()
    page = producer.get("/dashboard/inquiries").get_data(as_text=True)
    assert "sudah dimasukkan fasilitator ke penawaran harga" in page and "Ubah penawaran" not in page
    response = _send(producer, share, "revise", **_offer(offered_qty="10"))
    assert response.status_code == 302
    assert "sudah dimasukkan fasilitator" in producer.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert share.offered_qty == 15
