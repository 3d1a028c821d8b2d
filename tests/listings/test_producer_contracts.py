"""The producer's contracts page: its own contract lines only, the buyer as its type until the contact is released,
the schedule per month, and the deliveries it records for its own line."""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import ContractLine
from marketplace.trade import contracts, quotations
from tests.conftest import csrf_from, login
from tests.htmlq import page as html_page
from tests.trade_desk import food_station_request, quote


def text_of(response) -> str:
    return " ".join(html_page(response).text().split())


@pytest.fixture
def contract(accounts):
    request = food_station_request(accounts)
    quote(request, accounts.facilitator)
    made = quotations.answer(request.quotations[-1], "accept")
    db.session.commit()
    return made


def _lines(contract):
    own = next(line for line in contract.lines if line.producer_id == contract.lines[0].producer_id)
    other = next(line for line in contract.lines if line is not own)
    return own, other


def _signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _post(client, line, token, **values):
    prefix = f"delivery-{line.id}"
    data = {f"{prefix}-csrf_token": token, f"{prefix}-delivered_on": clock.today().isoformat(),
            f"{prefix}-outcome": "accepted", f"{prefix}-note": ""}
    data.update({f"{prefix}-{key}": value for key, value in values.items()})
    return client.post(f"/dashboard/contracts/lines/{line.id}/deliveries", data=data)


def test_the_producer_sees_its_own_line_not_the_other_producers_and_not_the_buyers_name(app, accounts, contract):
    own, other = _lines(contract)
    assert own.producer_id == accounts.producer_a_store.id
    client = _signed_in(app, accounts.producer_a)
    response = client.get("/dashboard/contracts")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(response)
    assert contract.reference in text and f'id="baris-{own.id}"' in html and f'id="baris-{other.id}"' not in html
    assert "Beras Premium A" in text and "Beras Premium B" not in text and "Gapoktan Sri Rejeki" not in text
    assert "12 ton per bulan" in text and "12 periode" in text
    assert "Januari 2027" in text and "Desember 2027" in text  # the schedule per month
    assert "PT Food Station" not in text and "Distributor / grosir" in text  # the contact was not released
    # The answered share on the inquiries page leads to the line.
    inquiries = client.get("/dashboard/inquiries").get_data(as_text=True)
    assert f"/dashboard/contracts#baris-{own.id}" in inquiries


def test_once_the_contact_is_released_the_producer_reads_the_buyers_name(app, accounts, contract):
    share = next(a for a in contract.inquiry.allocations if a.producer_id == accounts.producer_a_store.id)
    share.contact_released = True
    db.session.commit()
    text = text_of(_signed_in(app, accounts.producer_a).get("/dashboard/contracts"))
    assert "PT Food Station Tjipinang Jaya" in text


def test_the_producer_records_a_delivery_of_its_own_line(app, accounts, contract):
    own, _other = _lines(contract)
    client = _signed_in(app, accounts.producer_a)
    token = csrf_from(client.get("/dashboard/contracts"))
    response = _post(client, own, token, quantity="11,5")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/dashboard/contracts#baris-{own.id}")
    db.session.expire_all()
    line = db.session.get(ContractLine, own.id)
    assert contracts.delivered(line) == pytest.approx(11.5)
    assert [(d.quantity, str(d.status), d.recorded_by_id) for d in line.deliveries] == \
        [(11.5, "accepted", accounts.producer_a.id)]
    text = text_of(client.get("/dashboard/contracts"))
    assert "Pengiriman dicatat." in text and "11,5 ton" in text and "Diterima" in text


def test_a_rejection_without_a_note_is_refused_beside_the_field_keeping_what_was_typed(app, accounts, contract):
    own, _other = _lines(contract)
    client = _signed_in(app, accounts.producer_a)
    token = csrf_from(client.get("/dashboard/contracts"))
    response = _post(client, own, token, quantity="7,25", outcome="rejected")
    assert response.status_code == 400
    form = html_page(response).by_id(f"baris-{own.id}").find("details")
    assert form is not None and "open" in form.attrs  # that line's form is open
    html = response.get_data(as_text=True)
    assert f'id="delivery-{own.id}-note-error"' in html and "Tulis mengapa kiriman ditolak" in html
    assert 'value="7,25"' in html
    db.session.expire_all()
    assert db.session.get(ContractLine, own.id).deliveries == []


def test_a_delivery_dated_in_the_future_is_refused(app, accounts, contract):
    own, _other = _lines(contract)
    client = _signed_in(app, accounts.producer_a)
    token = csrf_from(client.get("/dashboard/contracts"))
    response = _post(client, own, token, quantity="1", delivered_on=(clock.today() + timedelta(days=2)).isoformat())
    assert response.status_code == 400 and "Tanggal penerimaan belum tiba" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ContractLine, own.id).deliveries == []


def test_another_producer_posting_to_a_line_not_its_own_gets_404(app, accounts, contract):
    own, _other = _lines(contract)
    client = _signed_in(app, accounts.producer_b)
    page = client.get("/dashboard/contracts")
    assert page.status_code == 200 and contract.reference not in page.get_data(as_text=True)
    assert _post(client, own, csrf_from(page), quantity="1").status_code == 404
    db.session.expire_all()
    assert db.session.get(ContractLine, own.id).deliveries == []
