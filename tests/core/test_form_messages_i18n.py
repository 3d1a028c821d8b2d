"""WTForms' own messages follow the page's language: Indonesian on an Indonesian page, English on an English one."""
from __future__ import annotations

import re

import pytest

from tests.factories import ProductFactory

BAD = {"buyer_type": "bukan-jenis", "needed_by": "2026-13-45", "company": "P" * 200}
INDONESIAN = ["Pilihan tidak valid.", "Tanggal tidak valid.", "Isian paling panjang 160 karakter."]
ENGLISH = ["Not a valid choice.", "Not a valid date value.", "Field cannot be longer than 160 characters."]


@pytest.fixture
def url(ctx):
    return f"/inquiries/new?product={ProductFactory(name='Beras Premium', unit='kg').id}"


def _post_bad_form(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    hidden = dict(re.findall(r'name="(csrf_token|form_token|started)" type="hidden" value="([^"]*)"', page))
    data = {**hidden, "contact_name": "Dewi", "email": "dewi@hotel.co.id", "phone": "0812-1111-2222",
            "quantity": "2.000", "unit": "kg", "frequency": "monthly", "delivery_city": "jakarta-pusat", **BAD}
    response = client.post(url, data=data)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_indonesian_page_shows_wtforms_messages_in_indonesian(client, url):
    page = _post_bad_form(client, url)
    assert '<html lang="id"' in page
    assert [m for m in INDONESIAN if m not in page] == []
    assert [m for m in ENGLISH if m in page] == []


def test_an_english_page_shows_them_in_english(client, url):
    client.get("/?lang=en")
    page = _post_bad_form(client, url)
    assert '<html lang="en"' in page
    assert [m for m in ENGLISH if m not in page] == []
    assert [m for m in INDONESIAN if m in page] == []
