"""A quotation to the buyer and the contract it becomes: the numbers the buyer reads, the two-step accept, versions,
one contract for two clicks, deliveries against a line, and what a cancelled contract gives back."""
from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.core import clock
from marketplace.core.workflow import TransitionConflict, TransitionNotAllowed
from marketplace.extensions import db
from marketplace.models import AuditEvent, Contract, ContractMonth, Inquiry, OutboundMessage, Quotation
from marketplace.trade import capacity, contracts, quotations
from tests.conftest import csrf_from, login
from tests.htmlq import page as html_page


def text_of(response) -> str:
    return " ".join(html_page(response).text().split())
from tests.trade_desk import food_station_request, quote


@pytest.fixture
def request_(accounts):
    return food_station_request(accounts)


def test_the_quotation_totals_in_the_requests_unit_with_a_weighted_average_price(accounts, request_):
    quotation = quote(request_, accounts.facilitator)
    s = quotations.summary(quotation)
    # 12 t at Rp 12.500.000/t + 8.000 kg at Rp 12.800/kg = 20 t for Rp 150.000.000 + Rp 102.400.000 a month
    assert s.quantity == pytest.approx(20)
    assert s.value == 252_400_000
    assert s.average_price == 12_620_000  # Rp per ton, weighted: 252.400.000 / 20
    assert s.total_value == 12 * 252_400_000 and s.periods == 12
    assert str(request_.status) == "negotiating"
    mail = db.session.scalar(select(OutboundMessage).where(OutboundMessage.to_address == request_.email)
                             .order_by(OutboundMessage.id.desc()))
    assert "versi 1" in mail.body_text


def test_the_buyer_reads_the_quotation_on_the_tracking_page_and_accepts_in_two_steps(app, accounts, request_):
    quote(request_, accounts.facilitator)
    buyer = app.test_client()
    page = buyer.get("/inquiries/track/tok-food-station")
    text = text_of(page)
    assert "Beras Premium A" in text and "Gapoktan Sri Rejeki" in text
    assert "Rp 12.500.000 / ton" in text and "8 ton" in text and "Rp 252.400.000" in text
    assert "Harga rata-rata Rp 12.620.000 / ton" in text
    token = csrf_from(page)
    first = buyer.post("/inquiries/track/tok-food-station/quotation/1/accept", data={"csrf_token": token})
    assert first.status_code == 200 and "Ya, terima penawaran" in first.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Contract.id))) == 0  # the first press changes nothing
    done = buyer.post("/inquiries/track/tok-food-station/quotation/1/accept",
                      data={"csrf_token": token, "confirmed": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    contract = db.session.scalar(select(Contract))
    assert str(db.session.get(Inquiry, request_.id).status) == "agreed"
    assert [(line.quantity, line.unit) for line in contract.lines] == [(12, "ton"), (8000, "kg")]
    assert contract.starts_on == date(2027, 1, 1) and contract.ends_on == date(2027, 12, 31)
    assert contract.reference == f"KTR-{clock.today().year}-{contract.id:06d}"
    months = db.session.scalars(select(ContractMonth).where(ContractMonth.line_id == contract.lines[1].id)
                                .order_by(ContractMonth.month)).all()
    assert [m.month for m in months] == [date(2027, m, 1) for m in range(1, 13)]
    assert {m.listing_quantity for m in months} == {8000} and {m.value for m in months} == {102_400_000}
    page = text_of(buyer.get("/inquiries/track/tok-food-station"))
    assert contract.reference in page and "Diterima" in page


def test_declining_needs_a_reason_beside_the_field_and_keeps_the_page(app, accounts, request_):
    quote(request_, accounts.facilitator)
    buyer = app.test_client()
    token = csrf_from(buyer.get("/inquiries/track/tok-food-station"))
    refused = buyer.post("/inquiries/track/tok-food-station/quotation/1/decline", data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 400
    assert "Tulis alasannya" in refused.get_data(as_text=True)
    asked = buyer.post("/inquiries/track/tok-food-station/quotation/1/ask_change",
                       data={"csrf_token": token, "reason": "Mohon harga franco gudang Cakung."})
    assert asked.status_code == 302
    db.session.expire_all()
    first = db.session.scalar(select(Quotation))
    assert str(first.status) == "change" and first.buyer_reason == "Mohon harga franco gudang Cakung."
    # The facilitator sends version 2; version 1 is kept, superseded
    second = quote(db.session.get(Inquiry, request_.id), accounts.facilitator, names_producers=False)
    db.session.expire_all()
    assert [str(q.status) for q in db.session.get(Inquiry, request_.id).quotations] == ["superseded", "sent"]
    page = text_of(buyer.get("/inquiries/track/tok-food-station"))
    assert "versi 2" in page and "Versi sebelumnya" in page
    assert "Produsen 2" in page and second.version == 2


def test_an_expired_quotation_cannot_be_accepted(app, accounts, request_):
    quotation = quote(request_, accounts.facilitator)
    quotation.valid_until = clock.today() - timedelta(days=1)  # the fixture's way of letting time pass
    db.session.commit()
    with pytest.raises(TransitionNotAllowed) as refused:
        quotations.answer(quotation, "accept")
    assert refused.value.code == "expired"
    db.session.rollback()
    assert db.session.scalar(select(func.count(Contract.id))) == 0


def test_two_accept_clicks_at_once_make_one_contract(app, accounts, request_):
    quotation_id = quote(request_, accounts.facilitator).id
    barrier, results = threading.Barrier(2), []

    def click():
        with app.app_context():
            db.session().expire_on_commit = False
            quotation = db.session.get(Quotation, quotation_id)
            _ = quotation.inquiry.contracts, quotation.lines  # the page as it was loaded
            db.session.commit()
            barrier.wait(timeout=10)
            try:
                quotations.answer(quotation, "accept")
                db.session.commit()
                results.append("accepted")
            except TransitionConflict:
                db.session.rollback()
                results.append("conflict")
            except TransitionNotAllowed as error:
                db.session.rollback()
                results.append(error.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["accepted", "conflict"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Contract.id))) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "quotation.accept")) == 1


@pytest.fixture
def contract(accounts, request_):
    quote(request_, accounts.facilitator)
    made = quotations.answer(request_.quotations[-1], "accept")
    db.session.commit()
    return made


def test_deliveries_are_recorded_by_the_facilitator_a_rejection_needs_a_note(app, accounts, contract):
    client = app.test_client()
    login(client, accounts.facilitator)
    page = client.get(f"/facilitator/contracts/{contract.id}")
    assert page.status_code == 200
    token = csrf_from(page)
    line = contract.lines[0]
    rejected = client.post(f"/facilitator/contracts/{contract.id}/deliveries", data={
        "csrf_token": token, "line_id": line.id, "delivered_on": clock.today().isoformat(), "quantity": "12",
        "outcome": "rejected", "note": ""})
    assert rejected.status_code == 400 and "Tulis mengapa kiriman ditolak" in rejected.get_data(as_text=True)
    assert 'value="12"' in rejected.get_data(as_text=True)  # what was typed stays
    for outcome, note in (("accepted", ""), ("rejected", "Kadar air 16%.")):
        assert client.post(f"/facilitator/contracts/{contract.id}/deliveries", data={
            "csrf_token": token, "line_id": line.id, "delivered_on": clock.today().isoformat(), "quantity": "11,5",
            "outcome": outcome, "note": note}).status_code == 302
    db.session.expire_all()
    assert contracts.delivered(line) == pytest.approx(11.5)
    assert sorted(str(d.status) for d in line.deliveries) == ["accepted", "rejected"]
    future = client.post(f"/facilitator/contracts/{contract.id}/deliveries", data={
        "csrf_token": token, "line_id": line.id, "delivered_on": (clock.today() + timedelta(days=3)).isoformat(),
        "quantity": "1", "outcome": "accepted"})
    assert future.status_code == 400


def test_cancelling_a_contract_is_a_second_step_with_a_reason_and_gives_the_capacity_back(app, accounts, contract):
    product = contract.lines[0].product
    january = [(2027, 1)]
    assert capacity.spare_over([product], january)[product.id] == pytest.approx(3)  # 15 t − 12 t
    client = app.test_client()
    login(client, accounts.facilitator)
    token = csrf_from(client.get(f"/facilitator/contracts/{contract.id}"))
    url = f"/facilitator/contracts/{contract.id}/cancel"
    first = client.post(url, data={"csrf_token": token})
    assert first.status_code == 200 and "Ya, batalkan kontrak" in first.get_data(as_text=True)
    no_reason = client.post(url, data={"csrf_token": token, "confirmed": "y", "reason": ""})
    assert no_reason.status_code == 400
    db.session.expire_all()
    assert str(db.session.get(Contract, contract.id).status) == "active"
    assert client.post(url, data={"csrf_token": token, "confirmed": "y", "reason": "Pembeli batal."}).status_code == 302
    db.session.expire_all()
    assert str(db.session.get(Contract, contract.id).status) == "cancelled"
    assert capacity.spare_over([product], january)[product.id] == pytest.approx(15)


def test_a_contracts_agreement_is_chosen_or_explicitly_none_and_a_line_correction_rewrites_its_months(
        app, accounts, contract):
    client = app.test_client()
    login(client, accounts.facilitator)
    page = client.get(f"/facilitator/contracts/{contract.id}")
    assert "MoU/PKS" in page.get_data(as_text=True) and "Belum dipilih" in page.get_data(as_text=True)
    token = csrf_from(page)
    assert client.post(f"/facilitator/contracts/{contract.id}/agreement",
                       data={"csrf_token": token, "agreement": ""}).status_code == 400
    assert client.post(f"/facilitator/contracts/{contract.id}/agreement",
                       data={"csrf_token": token, "agreement": "none"}).status_code == 302
    line = contract.lines[1]
    prefix = f"line-{line.id}"
    assert client.post(f"/facilitator/contracts/{contract.id}/lines/{line.id}", data={
        f"{prefix}-csrf_token": token, f"{prefix}-quantity": "7.000", f"{prefix}-price": "12.800",
        f"{prefix}-reason": "Produsen hanya sanggup 7 ton."}).status_code == 302
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert contract.agreement_chosen and contract.agreement_id is None
    assert {m.quantity for m in contract.lines[1].months} == {7000}
    assert db.session.scalar(select(AuditEvent.note).where(AuditEvent.action == "contract.line_corrected")) \
        == "Produsen hanya sanggup 7 ton."


def test_the_facilitator_page_shows_the_quotation_and_a_producer_cannot_open_the_contract(app, accounts, contract):
    client = app.test_client()
    login(client, accounts.facilitator)
    text = text_of(client.get(f"/facilitator/inquiries/{contract.inquiry_id}"))
    assert contract.reference in text and "Rp 252.400.000" in text
    producer = app.test_client()
    login(producer, accounts.producer_a)
    assert producer.get(f"/facilitator/contracts/{contract.id}").status_code == 403


def test_closing_an_agreed_inquiry_is_a_second_step(app, accounts, contract):
    client = app.test_client()
    login(client, accounts.facilitator)
    url = f"/facilitator/inquiries/{contract.inquiry_id}/close"
    token = csrf_from(client.get(f"/facilitator/inquiries/{contract.inquiry_id}"))
    first = client.post(url, data={"csrf_token": token})
    assert first.status_code == 200 and "Ya, selesaikan" in first.get_data(as_text=True)
    db.session.expire_all()
    assert str(db.session.get(Inquiry, contract.inquiry_id).status) == "agreed"
    assert client.post(url, data={"csrf_token": token, "confirmed": "y"}).status_code == 302
    db.session.expire_all()
    assert str(db.session.get(Inquiry, contract.inquiry_id).status) == "closed"


def test_an_amount_agreed_to_the_kilogram_reads_exactly(app, accounts, request_):
    """8.250 kg in a quotation reads '8,25 ton' (a summary's one decimal would say 8,2)."""
    picks = [(a, 8250 if a.offered_unit == "kg" else a.offered_qty) for a in quotations.offers(request_)]
    quotations.build(request_, picks, clock.today() + timedelta(days=7), True, "", accounts.facilitator)
    db.session.commit()
    assert "8,25 ton" in text_of(app.test_client().get("/inquiries/track/tok-food-station"))
