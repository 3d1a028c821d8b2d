"""The facilitator corrects what an inquiry asks for (issue 14, item 1): audited, and shown to the buyer."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import AuditEvent, Inquiry
from marketplace.trade import service as inquiries
from tests.conftest import csrf_from, login


@pytest.fixture
def inquiry(accounts):
    item = Inquiry(reference="INQ-2026-000030", tracking_token="tok-30", form_token="form-30", company="Food Station",
                   buyer_type="bumd", contact_name="Rina", email="rina@fs.co.id", quantity=20, unit="ton",
                   frequency="monthly", periods=12, starts_on=date(2027, 1, 1), delivery_city="jakarta-timur",
                   status="new")
    db.session.add(item)
    db.session.commit()
    inquiries.claim(item.id, accounts.facilitator)
    db.session.commit()
    return item


def _correct(client, item, **fields):
    url = f"/facilitator/inquiries/{item.id}"
    data = {"csrf_token": csrf_from(client.get(url)), "quantity": "18", "unit": "ton", "frequency": "monthly",
            "periods": "12", "starts_on": "2027-01-01", "reason": "Gudang pembeli hanya muat 18 ton", **fields}
    return client.post(f"{url}/request", data=data)


def test_a_correction_is_audited_and_the_buyer_reads_it_with_its_reason(client, accounts, inquiry):
    login(client, accounts.facilitator)
    response = _correct(client, inquiry)
    assert response.status_code == 302
    db.session.expire_all()
    assert (inquiry.quantity, inquiry.unit, inquiry.periods) == (18, "ton", 12)
    row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inquiry.request_corrected"))
    assert row.actor_id == accounts.facilitator.id and row.data["before"]["quantity"] == 20
    track = client.get("/inquiries/track/tok-30").get_data(as_text=True)
    said = " ".join(re.sub(r"<[^>]+>", "", track).split())
    assert ("Permintaan dikoreksi oleh fasilitator: 20 ton per bulan selama 12 bulan, mulai Januari 2027 "
            "→ 18 ton per bulan selama 12 bulan, mulai Januari 2027 (Gudang pembeli hanya muat 18 ton)") in said


def test_a_correction_needs_a_reason_and_keeps_what_was_typed(client, accounts, inquiry):
    login(client, accounts.facilitator)
    response = _correct(client, inquiry, quantity="17,5", periods="99", reason="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="reason-error"' in page and 'id="periods-error"' in page and 'value="17,5"' in page
    db.session.expire_all()
    assert inquiry.quantity == 20


@pytest.mark.parametrize("role,status", [("producer_a", 403), ("moderator", 403)])
def test_only_the_facilitator_on_the_inquiry_corrects_it(client, accounts, inquiry, role, status):
    login(client, accounts.by_name(role))
    url = f"/facilitator/inquiries/{inquiry.id}/request"
    token = csrf_from(client.get("/inquiries/new"))
    data = {"csrf_token": token, "quantity": "1", "unit": "kg", "frequency": "once", "reason": "x"}
    assert client.post(url, data=data).status_code == status
    db.session.expire_all()
    assert inquiry.quantity == 20


def test_another_facilitator_cannot_correct_an_inquiry_someone_else_holds(client, accounts, inquiry):
    from marketplace.models import Role
    from tests.factories import UserFactory

    other = UserFactory(email="lain@contoh.id", role=Role.FACILITATOR)
    db.session.commit()
    login(client, other)
    page = client.get(f"/facilitator/inquiries/{inquiry.id}").get_data(as_text=True)
    assert "koreksi-permintaan" not in page
    assert _correct(client, inquiry).status_code == 403
