"""The trade desk's story for tests: a Food Station buyer asks for 20 ton of premium rice a month for 12 months,
the facilitator forwards it to two producers, both offer (one in kg), and a quotation goes to the buyer."""
from __future__ import annotations

from datetime import date, timedelta

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import Inquiry, Role
from marketplace.trade import quotations
from marketplace.trade import service as inquiries
from marketplace.trade.workflow import allocation as allocation_workflow
from tests.factories import ProducerFactory, ProductFactory, UserFactory, category


def food_station_request(accounts, start: date = date(2027, 1, 1), periods: int = 12) -> Inquiry:
    """Forwarded: 12 ton to producer A (listing in ton), 8 ton to producer B (listing in kg), both answered."""
    rice = category("beras-serealia")
    premium_a = ProductFactory(producer=accounts.producer_a_store, name="Beras Premium A", unit="ton",
                               monthly_capacity=15, min_order_qty=1, grade="premium", category=rice,
                               price=[(1, 12_500_000)])
    store_b = ProducerFactory(name="Gapoktan Sri Rejeki")
    owner_b = UserFactory(email="sri@rejeki.id", role=Role.PRODUCER, producer=store_b)
    premium_b = ProductFactory(producer=store_b, name="Beras Premium B", unit="kg", monthly_capacity=10_000,
                               min_order_qty=500, grade="premium", category=rice, price=[(500, 12_800)])
    request = Inquiry(reference="INQ-2026-000042", tracking_token="tok-food-station", form_token="form-food-station",
                      company="PT Food Station Tjipinang Jaya", buyer_type="distributor", contact_name="Andi",
                      email="andi@foodstation.co.id", phone="+6281311112222", quantity=20, unit="ton",
                      frequency="monthly", periods=periods, starts_on=start, delivery_city="jakarta-timur",
                      category_id=rice.id, status="new")
    db.session.add(request)
    db.session.commit()
    inquiries.claim(request.id, accounts.facilitator)
    inquiries.forward(request, [(premium_a.producer_id, 12), (premium_b.producer_id, 8)], False, accounts.facilitator)
    db.session.commit()
    share_a, share_b = sorted(request.allocations, key=lambda a: a.product.unit != "ton")
    until = clock.today() + timedelta(days=14)
    for share, owner, quantity, unit, price in ((share_a, accounts.producer_a, 12, "ton", 12_500_000),
                                                (share_b, owner_b, 8000, "kg", 12_800)):
        allocation_workflow.apply("offer", share, owner, values={
            "offered_qty": quantity, "offered_unit": unit, "offered_price": price, "lead_time_days": 7,
            "offer_valid_until": until, "terms": "franco_incl"})
    db.session.commit()
    return request


def quote(request: Inquiry, facilitator, names_producers: bool = True, valid_days: int = 7):
    """A quotation of every offer at the offered quantity."""
    picks = [(a, a.offered_qty) for a in quotations.offers(request)]
    quotation = quotations.build(request, picks, clock.today() + timedelta(days=valid_days), names_producers,
                                 "Harga termasuk ongkos kirim ke Jakarta.", facilitator)
    db.session.commit()
    return quotation


def bare_contract(reference: str):
    """An active one-off contract without lines: what the inquiry's `agree` guard asks for."""
    from marketplace.models import Contract

    return Contract(reference=reference, frequency="once", periods=1, starts_on=date(2027, 1, 1),
                    ends_on=date(2027, 1, 1), status="active")
