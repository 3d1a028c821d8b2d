"""An inquiry in ton reaches listings in kg (issue 14: quantities carry their unit and convert)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Inquiry, OutboundMessage
from marketplace.trade import service as inquiries
from tests.conftest import login
from tests.factories import ProducerFactory, ProductFactory, category


@pytest.fixture
def ton_inquiry(accounts):
    """20 ton of rice a month, asked in ton; producer A lists rice in kg, B in karung of 50 kg, C in ekor (no weight)."""
    rice = category("beras-serealia")
    in_kg = ProductFactory(producer=accounts.producer_a_store, name="Beras Premium A", unit="kg",
                           monthly_capacity=16_000, min_order_qty=1_500, category=rice)
    in_sacks = ProductFactory(producer=ProducerFactory(name="Gapoktan Karung"), name="Beras Karung", unit="karung",
                              kg_per_unit=50, monthly_capacity=200, min_order_qty=10, category=rice)
    uncomparable = ProductFactory(producer=ProducerFactory(name="Tanpa Berat"), name="Beras Ikat", unit="ikat",
                                  monthly_capacity=1_000_000, min_order_qty=1, category=rice)
    inquiry = Inquiry(reference="INQ-2026-000009", tracking_token="tok-9", form_token="form-9", company="Food Station",
                      buyer_type="bumd", contact_name="Rina", email="rina@foodstation.co.id", quantity=20, unit="ton",
                      frequency="monthly", periods=12, delivery_city="jakarta-timur", category_id=rice.id, status="new")
    db.session.add(inquiry)
    db.session.commit()
    inquiries.claim(inquiry.id, accounts.facilitator)
    db.session.commit()
    return inquiry, in_kg, in_sacks, uncomparable


def test_listings_in_other_units_are_suggested_when_they_convert(ton_inquiry):
    inquiry, in_kg, in_sacks, uncomparable = ton_inquiry
    suggested = {s.product.id: s for s in inquiries.suggestions(inquiry)}
    assert set(suggested) == {in_kg.id, in_sacks.id}  # an ikat of unknown weight cannot be compared with a ton
    # Capacity and minimum order read in the request's unit: 16 t and 1.5 t; 200 karung × 50 kg = 10 t.
    assert (suggested[in_kg.id].capacity, suggested[in_kg.id].min_order) == (pytest.approx(16), pytest.approx(1.5))
    assert suggested[in_sacks.id].capacity == pytest.approx(10)


def test_a_share_is_asked_of_the_producer_in_the_listings_unit_and_covers_in_the_requests(accounts, ton_inquiry):
    inquiry, in_kg, in_sacks, _ = ton_inquiry
    inquiries.forward(inquiry, [(in_kg.producer_id, 12), (in_sacks.producer_id, 8)], False, accounts.facilitator)
    db.session.commit()
    shares = {a.producer_id: a for a in inquiry.allocations}
    assert (shares[in_kg.producer_id].requested_qty, shares[in_kg.producer_id].unit) == (12_000, "kg")
    assert (shares[in_sacks.producer_id].requested_qty, shares[in_sacks.producer_id].unit) == (160, "karung")
    assert shares[in_kg.producer_id].product_id == in_kg.id
    assert inquiries.coverage(inquiry) == pytest.approx(1.0)
    mail = db.session.scalar(select(OutboundMessage).where(OutboundMessage.to_address == accounts.producer_a.email))
    assert "12 ton" in mail.body_text or "12.000 kg" in mail.body_text


def test_the_producers_offer_is_stored_in_the_unit_it_was_asked_in(app, accounts, ton_inquiry):
    inquiry, in_kg, _, _ = ton_inquiry
    inquiries.forward(inquiry, [(in_kg.producer_id, 6)], False, accounts.facilitator)
    db.session.commit()
    share = inquiry.allocations[0]
    inquiries.answer(share, accounts.producer_a, True, 6_000, 12_500, 7)
    db.session.commit()
    assert (share.offered_qty, share.offered_unit) == (6_000, "kg")
    producer = app.test_client()
    login(producer, accounts.producer_a)
    page = producer.get("/dashboard/inquiries").get_data(as_text=True)
    assert "6 ton" in page and "6 kg" not in page


def test_the_inquiry_form_warns_about_the_minimum_order_across_units(ton_inquiry):
    _, in_kg, _, _ = ton_inquiry
    subject = inquiries.Subject(product=in_kg, producer=in_kg.producer)
    assert subject.quantity_warnings(1, "ton") == ["below_moq"]        # 1 t < 1.5 t
    assert subject.quantity_warnings(20, "ton") == ["above_capacity"]  # 20 t > 16 t
    assert subject.quantity_warnings(2, "ton") == []
    assert subject.quantity_warnings(5, "ekor") == ["units_differ"]
