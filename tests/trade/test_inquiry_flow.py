"""From a Jakarta buyer through the BUMD to several Metro producers, ending in a contract."""
from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Inquiry, OutboundMessage
from marketplace.core import exports
from marketplace.trade import service as inquiries
from tests.conftest import csrf_from, login
from tests.factories import ProducerFactory, ProductFactory, category


@pytest.fixture
def rice_inquiry(accounts):
    """2 tonnes of rice a month; two rice producers (A with an account, and another)."""
    rice_a = ProductFactory(producer=accounts.producer_a_store, name="Beras A", unit="kg", monthly_capacity=1500,
                            min_order_qty=100, category=category("beras-serealia"))
    other = ProducerFactory(name="Gapoktan Beras B", curated=True)
    rice_b = ProductFactory(producer=other, name="Beras B", unit="kg", monthly_capacity=900, min_order_qty=100,
                            category=category("beras-serealia"))
    inquiry = Inquiry(reference="INQ-2026-000001", tracking_token="tok-1", form_token="form-1", company="Hotel Indonesia",
                      buyer_type="hotel", contact_name="Rina", email="rina@hotel.co.id", phone="+6281211112222",
                      quantity=2000, unit="kg", frequency="monthly", delivery_city="jakarta-pusat",
                      category_id=rice_a.category_id, status="new")
    db.session.add(inquiry)
    db.session.commit()
    inquiries.claim(inquiry.id, accounts.facilitator)
    db.session.commit()
    return inquiry, rice_a, rice_b


def test_suggestions_rank_curated_and_capable_producers_first(rice_inquiry):
    inquiry, rice_a, rice_b = rice_inquiry
    names = [s.producer.name for s in inquiries.suggestions(inquiry)]
    assert names[:2] == [rice_b.producer.name, rice_a.producer.name]  # curated first


def test_forwarding_splits_the_volume_and_reports_coverage(accounts, rice_inquiry):
    inquiry, rice_a, rice_b = rice_inquiry
    inquiries.forward(inquiry, [(rice_a.producer_id, 1200), (rice_b.producer_id, 800)], False, accounts.facilitator)
    db.session.commit()
    assert inquiry.status == "forwarded"
    assert sorted(a.requested_qty for a in inquiry.allocations) == [800, 1200]
    assert inquiries.coverage(inquiry) == pytest.approx(1.0)
    mail = db.session.scalar(select(OutboundMessage).where(OutboundMessage.to_address == accounts.producer_a.email))
    assert "INQ-2026-000001" in mail.subject


def test_the_buyers_contact_is_hidden_from_producers_until_released(app, accounts, rice_inquiry):
    inquiry, rice_a, _ = rice_inquiry
    inquiries.forward(inquiry, [(rice_a.producer_id, 1200)], False, accounts.facilitator)
    db.session.commit()
    producer = app.test_client()
    login(producer, accounts.producer_a)
    page = producer.get("/dashboard/inquiries").get_data(as_text=True)
    assert "1,2 ton" in page and "Hotel" in page  # buyer type and quantity are shown
    assert "rina@hotel.co.id" not in page and "Hotel Indonesia" not in page and "812-1111" not in page
    inquiries.forward(inquiry, [(rice_a.producer_id, 1200)], True, accounts.facilitator)
    db.session.commit()
    page = producer.get("/dashboard/inquiries").get_data(as_text=True)
    assert "rina@hotel.co.id" in page and "Hotel Indonesia" in page


def test_producers_answer_through_their_dashboard_and_others_cannot(app, accounts, rice_inquiry):
    inquiry, rice_a, rice_b = rice_inquiry
    inquiries.forward(inquiry, [(rice_a.producer_id, 1200), (rice_b.producer_id, 800)], False, accounts.facilitator)
    db.session.commit()
    allocation_a, allocation_b = sorted(inquiry.allocations, key=lambda a: a.requested_qty, reverse=True)
    producer = app.test_client()
    login(producer, accounts.producer_a)
    token = csrf_from(producer.get("/dashboard/inquiries"))
    prefix = f"accept-{allocation_a.id}"
    response = producer.post(f"/dashboard/inquiries/{allocation_a.id}/accept", data={
        f"{prefix}-csrf_token": token, f"{prefix}-offered_qty": "1.200", f"{prefix}-price": "12.800",
        f"{prefix}-lead_time_days": "5"})
    assert response.status_code == 302
    # producer A cannot answer B's forward by guessing its id
    assert producer.post(f"/dashboard/inquiries/{allocation_b.id}/accept", data={
        f"accept-{allocation_b.id}-csrf_token": token, f"accept-{allocation_b.id}-offered_qty": "1",
        f"accept-{allocation_b.id}-price": "1"}).status_code == 404
    db.session.expire_all()
    assert allocation_a.status == "accepted" and allocation_a.offered_price == 12800
    assert allocation_b.status == "forwarded"
    assert inquiry.status == "responded"


def _quote_and_accept(inquiry, facilitator):
    from datetime import timedelta

    from marketplace.core import clock
    from marketplace.trade import quotations

    picks = [(a, a.offered_qty) for a in quotations.offers(inquiry)]
    quotation = quotations.build(inquiry, picks, clock.today() + timedelta(days=7), False, "", facilitator)
    return quotations.answer(quotation, "accept", actor=facilitator)


def test_agreement_needs_an_accepted_quotation_whose_contract_values_volume_times_price(accounts, rice_inquiry):
    inquiry, rice_a, _ = rice_inquiry
    inquiries.forward(inquiry, [(rice_a.producer_id, 1200)], False, accounts.facilitator)
    inquiries.answer(inquiry.allocations[0], accounts.producer_a, True, 1200, 12800, 5)
    with pytest.raises(Exception):
        inquiries.advance(inquiry, "agree", accounts.facilitator)
    contract = _quote_and_accept(inquiry, accounts.facilitator)  # accepting agrees the inquiry
    inquiries.advance(inquiry, "close", accounts.facilitator)
    db.session.commit()
    assert {m.value for m in contract.lines[0].months} == {15_360_000}
    assert inquiry.status == "closed"


def test_exports_never_write_formulas(accounts, rice_inquiry):
    inquiry, rice_a, _ = rice_inquiry
    inquiry.company = '=HYPERLINK("http://evil.example","klik")'
    inquiry.message = "@SUM(A1:A2)"
    inquiry.contact_name = "+62 cmd"
    inquiries.forward(inquiry, [(rice_a.producer_id, 1200)], False, accounts.facilitator)
    db.session.commit()
    table = exports.inquiry_table([inquiry])
    text = exports.to_csv(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM" in text and "'+62 cmd" in text
    workbook = load_workbook(io.BytesIO(exports.to_xlsx([table, exports.contract_table()])))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == '=HYPERLINK("http://evil.example","klik")' for c in cells)  # kept, as text


def test_export_downloads_are_for_facilitators_only(app, accounts, rice_inquiry):
    facilitator, producer = app.test_client(), app.test_client()
    login(facilitator, accounts.facilitator)
    login(producer, accounts.producer_a)
    response = facilitator.get("/facilitator/inquiries.xlsx?status=open")
    assert response.status_code == 200 and response.mimetype.endswith("sheet")
    assert "INQ-2026-000001" in facilitator.get("/facilitator/inquiries.csv").get_data(as_text=True)
    assert facilitator.get("/facilitator/deals.csv").status_code == 200
    assert producer.get("/facilitator/inquiries.csv").status_code == 403


def test_the_producer_dashboard_puts_waiting_inquiries_first(app, accounts, rice_inquiry):
    inquiry, rice_a, _ = rice_inquiry
    inquiries.forward(inquiry, [(rice_a.producer_id, 1200)], False, accounts.facilitator)
    db.session.commit()
    producer = app.test_client()
    login(producer, accounts.producer_a)
    assert "1 permintaan pembeli menunggu jawaban Anda." in producer.get("/dashboard/").get_data(as_text=True)


def test_a_verified_buyer_company_shows_on_its_later_inquiries(app, client, accounts, rice_inquiry, monkeypatch):
    from tests.trade.test_inquiries import _submit

    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)
    inquiry, rice_a, _ = rice_inquiry
    _submit(client, f"/inquiries/new?product={rice_a.id}", company="PT Pangan Jaya", company_id_number="0123456789012",
            quantity="1.000")
    first = db.session.scalar(select(Inquiry).where(Inquiry.company == "PT Pangan Jaya"))
    inquiries.verify_company(first, accounts.facilitator)
    db.session.commit()
    _submit(client, f"/inquiries/new?product={rice_a.id}", company="PT PANGAN JAYA (cabang)",
            company_id_number="01.234.567.8-9012", quantity="1.000")
    facilitator = app.test_client()
    login(facilitator, accounts.facilitator)
    queue = facilitator.get("/facilitator/inquiries?q=pangan").get_data(as_text=True)
    assert queue.count("Terverifikasi") == 2  # same NPWP digits: the verification carries over


def test_contracts_follow_the_inquirys_agreement_unless_one_was_chosen_on_the_contract(accounts, rice_inquiry):
    from marketplace.models import Agreement
    from marketplace.trade import contracts

    inquiry, rice_a, _ = rice_inquiry
    mou, pks = Agreement(code="MOU-1", kind="MoU", title="Metro–DKI"), Agreement(code="PKS-1", kind="PKS", title="PKS")
    db.session.add_all([mou, pks])
    db.session.commit()
    inquiries.forward(inquiry, [(rice_a.producer_id, 1200)], False, accounts.facilitator)
    inquiries.answer(inquiry.allocations[0], accounts.producer_a, True, 1200, 12800, 5)
    contract = _quote_and_accept(inquiry, accounts.facilitator)
    assert contract.agreement_id is None and not contract.agreement_chosen
    inquiries.set_agreement(inquiry, mou.id, accounts.facilitator)
    assert inquiry.agreement_id == contract.agreement_id == mou.id
    contracts.set_agreement(contract, pks.id, accounts.facilitator)
    inquiries.set_agreement(inquiry, None, accounts.facilitator)
    db.session.commit()
    assert contract.agreement_id == pks.id and contract.agreement_chosen


def test_meetings_are_recorded_apart_from_notes_and_hidden_from_the_buyer(client, accounts, rice_inquiry):
    inquiry, _, _ = rice_inquiry
    inquiries.add_note(inquiry, accounts.facilitator, "Rapat daring dengan pembeli, 3 Des", kind="meeting")
    db.session.commit()
    assert [e.kind for e in inquiry.events][-1] == "meeting"
    assert "Rapat daring" not in client.get(f"/inquiries/track/{inquiry.tracking_token}").get_data(as_text=True)


def test_the_queue_filters_by_date(app, accounts, rice_inquiry):
    from datetime import date, timedelta

    facilitator = app.test_client()
    login(facilitator, accounts.facilitator)
    today = date.today()
    assert "INQ-2026-000001" in facilitator.get(f"/facilitator/inquiries?since={today - timedelta(days=1)}&status=").get_data(as_text=True)
    assert "INQ-2026-000001" not in facilitator.get(f"/facilitator/inquiries?until={today - timedelta(days=2)}&status=").get_data(as_text=True)
    assert facilitator.get("/facilitator/inquiries?since=bukan-tanggal").status_code == 200


def test_inquiries_arriving_while_the_mail_server_is_down_are_kept_and_mailed_once_later(app, client, accounts,
                                                                                          rice_inquiry, smtp_server,
                                                                                          monkeypatch):
    from marketplace.core.outbox import send_pending
    from tests.trade.test_inquiries import _submit

    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)
    _, rice_a, _ = rice_inquiry
    smtp_server.stop()
    app.config["OUTBOX_SEND_AFTER_REQUEST"] = True
    try:
        for n in range(3):
            response = _submit(client, f"/inquiries/new?product={rice_a.id}", email=f"pembeli{n}@contoh.id", quantity="1.000")
            assert response.status_code == 302  # the buyer sees success
    finally:
        app.config["OUTBOX_SEND_AFTER_REQUEST"] = False
    assert db.session.scalar(select(func.count(Inquiry.id))) == 4
    smtp_server.start()
    send_pending()
    send_pending()
    for n in range(3):
        assert len(smtp_server.to(f"pembeli{n}@contoh.id")) == 1


def test_exports_date_an_inquiry_by_the_day_in_metro(rice_inquiry):
    """An inquiry sent at 06:30 WIB on 2 March is dated 2 March, not 1 March (23:30 UTC the evening before)."""
    inquiry, _, _ = rice_inquiry
    inquiry.created_at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    db.session.commit()
    db.session.expire_all()
    row = exports.inquiry_table([db.session.get(Inquiry, inquiry.id)]).rows[0]
    assert row[1] == date(2026, 3, 2)


def test_a_double_clicked_answer_keeps_the_first_offer_and_says_it_was_sent(app, accounts, rice_inquiry):
    inquiry, rice_a, _ = rice_inquiry
    inquiries.forward(inquiry, [(rice_a.producer_id, 1200)], False, accounts.facilitator)
    db.session.commit()
    allocation = inquiry.allocations[0]
    producer = app.test_client()
    login(producer, accounts.producer_a)
    prefix = f"accept-{allocation.id}"
    form = {f"{prefix}-csrf_token": csrf_from(producer.get("/dashboard/inquiries")), f"{prefix}-offered_qty": "1.200",
            f"{prefix}-price": "12.800", f"{prefix}-lead_time_days": "5"}
    assert producer.post(f"/dashboard/inquiries/{allocation.id}/accept", data=form).status_code == 302
    second = producer.post(f"/dashboard/inquiries/{allocation.id}/accept", data={**form, f"{prefix}-price": "9.000"},
                           follow_redirects=True)
    assert second.status_code == 200 and "sudah Anda jawab" in second.get_data(as_text=True)
    db.session.expire_all()
    assert allocation.status == "accepted" and allocation.offered_price == 12800


def test_the_history_writes_forwarded_and_offered_quantities_the_indonesian_way(app, client, accounts, rice_inquiry):
    inquiry, rice_a, rice_b = rice_inquiry
    inquiries.forward(inquiry, [(rice_a.producer_id, 2500), (rice_b.producer_id, 800)], False, accounts.facilitator)
    db.session.commit()
    share = next(a for a in inquiry.allocations if a.producer_id == rice_a.producer_id)
    inquiries.answer(share, accounts.producer_a, True, offered_qty=1200, price=12800, lead_time_days=5)
    db.session.commit()
    login(client, accounts.facilitator)
    page = client.get(f"/facilitator/inquiries/{inquiry.id}").get_data(as_text=True)
    history = page[page.index('id="lini-masa"'):]
    assert f"{rice_a.producer.name}: 2,5 ton" in history and f"{rice_b.producer.name}: 800 kg" in history
    assert f"{rice_a.producer.name}: 1,2 ton @ Rp 12.800" in history
    assert "2500 kg" not in history and "1200 kg" not in history


def test_a_form_shown_again_with_its_errors_is_open_on_the_inquiry_page(client, accounts, rice_inquiry):
    inquiry, _, _ = rice_inquiry
    login(client, accounts.facilitator)
    url = f"/facilitator/inquiries/{inquiry.id}"
    token = csrf_from(client.get(url))
    response = client.post(f"{url}/note", data={"csrf_token": token, "kind": "note", "body": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    note = page[page.index('id="catatan"') - 60:page.index('id="catatan"') + 40]
    assert "<details" in note and " open" in note
    assert 'id="note-body-error"' in page


def test_the_inquiry_page_opens_the_step_its_status_calls_for(client, accounts, rice_inquiry):
    inquiry, rice_a, _ = rice_inquiry
    login(client, accounts.facilitator)

    def open_sections() -> list[str]:
        page = client.get(f"/facilitator/inquiries/{inquiry.id}").get_data(as_text=True)
        return re.findall(r'<details class="card inquiry-panel mb-3" id="([a-z-]+)" open>', page)

    assert open_sections()[0] == "teruskan"  # claimed: forward it
    inquiries.forward(inquiry, [(rice_a.producer_id, 1200)], False, accounts.facilitator)
    db.session.commit()
    assert open_sections()[0] == "produsen-diteruskan"  # waiting for the producers' answers
    inquiries.answer(inquiry.allocations[0], accounts.producer_a, True, offered_qty=1200, price=12800)
    db.session.commit()
    assert open_sections()[0] == "penawaran-harga"  # answered: quote to the buyer
