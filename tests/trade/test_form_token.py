"""The inquiry form's one-time token and its stamp: issued by the server, accepted once, expiring; a person whose
form is refused is told why and keeps what they typed; only a clear bot is answered silently."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Inquiry
from tests.factories import ProductFactory


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(monkeypatch):
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)


@pytest.fixture
def url(ctx):
    return f"/inquiries/new?product={ProductFactory(name='Beras Premium', unit='kg', min_order_qty=1).id}"


def hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(csrf_token|form_token|started)" type="hidden" value="([^"]*)"', page))


def typed(**override) -> dict:
    data = {"company": "Hotel Sari Pan Pacific", "buyer_type": "hotel", "contact_name": "Dewi Lestari",
            "email": "dewi@hotel.co.id", "phone": "0812-1111-2222", "quantity": "2.000", "unit": "kg",
            "frequency": "monthly", "delivery_city": "jakarta-pusat", "message": "Beras untuk restoran hotel."}
    data.update(override)
    return data


def count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Inquiry.id)))


def test_made_up_form_tokens_after_one_get_store_nothing_and_the_person_can_send_again(client, url):
    form = hidden(client.get(url).get_data(as_text=True))
    for made_up in ("abc", "x" * 32, form["form_token"] + "x"):
        response = client.post(url, data={**form, **typed(), "form_token": made_up})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Kirim lagi" in page or "kirim lagi" in page
        assert 'value="Hotel Sari Pan Pacific"' in page  # what they typed is kept
    assert count() == 0
    again = client.post(url, data={**hidden(page), **typed()})
    assert again.status_code == 302 and "/inquiries/track/" in again.headers["Location"]
    assert count() == 1


def test_a_form_token_is_accepted_once(client, url):
    form = hidden(client.get(url).get_data(as_text=True))
    assert client.post(url, data={**form, **typed()}).status_code == 302
    assert client.post(url, data={**form, **typed(company="PT Lain")}).status_code == 302  # same session: its page
    assert count() == 1


def test_someone_elses_form_token_never_leads_to_their_tracking_page(app, client, url):
    form = hidden(client.get(url).get_data(as_text=True))
    location = client.post(url, data={**form, **typed()}).headers["Location"]
    token = location.rsplit("/", 1)[-1]
    stranger = app.test_client()
    stranger_form = hidden(stranger.get(url).get_data(as_text=True))
    response = stranger.post(url, data={**typed(company="PT Penyusup"), "csrf_token": stranger_form["csrf_token"],
                                        "form_token": form["form_token"], "started": form["started"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert token not in page and token not in response.headers.get("Location", "")
    assert "sudah dikirim" in page
    assert count() == 1
    fresh = hidden(page)
    assert fresh["form_token"] != form["form_token"]  # a fresh form: a real second inquiry can still be sent
    assert stranger.post(url, data={**fresh, **typed(company="PT Penyusup")}).status_code == 302
    assert count() == 2


def test_an_old_form_gets_a_message_and_a_fresh_form_with_what_was_typed(client, url, monkeypatch):
    form = hidden(client.get(url).get_data(as_text=True))
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MAX_FORM_AGE_SECONDS", -1)  # every stamp is too old
    response = client.post(url, data={**form, **typed()})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and count() == 0
    assert "terlalu lama" in page
    assert 'value="Hotel Sari Pan Pacific"' in page and "Beras untuk restoran hotel." in page
    fresh = hidden(page)
    assert fresh["form_token"] != form["form_token"]
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MAX_FORM_AGE_SECONDS", 3600)
    assert client.post(url, data={**fresh, **typed()}).status_code == 302
    assert count() == 1


def test_a_person_who_fills_the_form_in_quickly_is_told_and_can_send_again(client, url, monkeypatch):
    form = hidden(client.get(url).get_data(as_text=True))
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 3600)
    response = client.post(url, data={**form, **typed()})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and count() == 0
    assert "terlalu cepat" in page and 'value="Hotel Sari Pan Pacific"' in page
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)  # a moment later
    assert client.post(url, data={**hidden(page), **typed()}).status_code == 302
    assert count() == 1


def test_the_honeypot_alone_is_answered_silently(client, url):
    form = hidden(client.get(url).get_data(as_text=True))
    response = client.post(url, data={**form, **typed(), "website": "http://spam.example"})
    assert response.status_code == 302 and "/inquiries/track/" not in response.headers["Location"]
    assert count() == 0


def test_the_english_page_says_it_in_english(client, url, monkeypatch):
    form = hidden(client.get(url + "&lang=en").get_data(as_text=True))
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 3600)
    page = client.post(url, data={**form, **typed()}).get_data(as_text=True)
    assert "too quickly" in page
