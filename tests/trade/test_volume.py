"""Volume per period and duration (issue 14, item 2): the phrase in words, and the buyer's form that asks it."""
# English writes the unit the way the rest of the app does ("tonnes").
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace import create_app
from marketplace.core import clock
from marketplace.core.formatting import volume_phrase
from marketplace.extensions import db
from marketplace.models import Inquiry
from marketplace.trade.inquiries.forms import first_of_next_month


@pytest.fixture(scope="module")
def light_app(tmp_path_factory):
    return create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", UPLOAD_DIR=str(tmp_path_factory.mktemp("u")))


JAN = date(2027, 1, 1)
PHRASES = [
    # lang, (quantity, unit, frequency, periods, starts_on), expected
    ("id", (20, "ton", "monthly", 12, JAN), "20 ton per bulan selama 12 bulan, mulai Januari 2027"),
    ("en", (20, "ton", "monthly", 12, JAN), "20 tonnes per month for 12 months, from January 2027"),
    ("en", (20, "ton", "monthly", 1, JAN), "20 tonnes per month for 1 month, from January 2027"),
    ("id", (5, "ton", "once", 1, date(2027, 3, 15)), "5 ton, sekali kirim, Maret 2027"),
    ("en", (5, "ton", "once", 7, date(2027, 3, 15)), "5 tonnes, one delivery, March 2027"),  # periods ignored
    ("id", (7.5, "ton", "weekly", 8, date(2027, 1, 4)), "7,5 ton per minggu selama 8 minggu, mulai 4 Januari 2027"),
    ("en", (7.5, "ton", "weekly", 8, date(2027, 1, 4)), "7.5 tonnes per week for 8 weeks, from January 4, 2027"),
    ("id", (1500, "kg", "monthly", 6, None), "1,5 ton per bulan selama 6 bulan"),
    ("id", (250, "karung", "once", 1, None), "250 karung, sekali kirim"),
]


@pytest.mark.parametrize("lang,args,expected", PHRASES)
def test_the_volume_in_words(light_app, lang, args, expected):
    with light_app.test_request_context(f"/?lang={lang}"):
        assert volume_phrase(*args) == expected


# ---------------------------------------------------------------- the buyer's form

@pytest.fixture(autouse=True)
def _no_minimum_fill_time(monkeypatch):
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)


def _post(client, **fields):
    page = client.get("/inquiries/new").get_data(as_text=True)
    hidden = dict(re.findall(r'name="(csrf_token|form_token|started)" type="hidden" value="([^"]*)"', page))
    data = {"company": "Food Station", "buyer_type": "bumd", "contact_name": "Rina", "email": "rina@fs.co.id",
            "phone": "0812-1111-2222", "quantity": "20", "unit": "ton", "frequency": "monthly",
            "delivery_city": "jakarta-timur", **fields}
    return client.post("/inquiries/new", data={**hidden, **data})


def test_a_monthly_volume_for_months_from_a_start_is_stored_and_said_in_words(ctx, client):
    start = first_of_next_month() + timedelta(days=31)
    start = start.replace(day=1)
    response = _post(client, periods="12", starts_on=start.isoformat())
    assert response.status_code == 302
    inquiry = db.session.scalar(select(Inquiry))
    assert (inquiry.quantity, inquiry.unit, inquiry.frequency, inquiry.periods, inquiry.starts_on) == \
        (20, "ton", "monthly", 12, start)
    track = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "20 ton per bulan selama 12 bulan, mulai" in track


def test_without_a_start_a_one_off_order_starts_on_the_needed_by_date_or_next_month(ctx, client):
    needed = clock.today() + timedelta(days=20)
    assert _post(client, frequency="once", periods="9", needed_by=needed.isoformat()).status_code == 302
    assert _post(client, frequency="weekly", periods="").status_code == 302
    once, weekly = db.session.scalars(select(Inquiry).order_by(Inquiry.id)).all()
    assert (once.periods, once.starts_on) == (1, needed)  # periods ignored for a one-off order
    assert (weekly.periods, weekly.starts_on) == (1, first_of_next_month())


def test_a_wrong_duration_or_start_is_refused_beside_the_field_and_what_was_typed_stays(ctx, client):
    yesterday = clock.today() - timedelta(days=1)
    response = _post(client, quantity="7,5", periods="61", starts_on=yesterday.isoformat())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and db.session.scalar(select(Inquiry)) is None
    assert 'id="periods-error"' in page and "antara 1 dan 60" in page
    assert 'id="starts_on-error"' in page and "sudah lewat" in page
    assert 'value="61"' in page and 'value="7,5"' in page
    # The volume in words is shown once what it needs is right.
    response = _post(client, quantity="7,5", periods="3", starts_on=yesterday.isoformat())
    assert "7,5 ton per bulan selama 3 bulan" not in response.get_data(as_text=True)
    response = _post(client, quantity="7,5", periods="3", starts_on=clock.today().isoformat(), email="x")
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page and "7,5 ton per bulan selama 3 bulan" in page
