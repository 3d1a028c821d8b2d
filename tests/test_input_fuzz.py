"""No user input ends in a 500 (QUALITY.md: input), on SQLite and on PostgreSQL.

First the faults an outside probe found, one test each; then Hypothesis tests that post a VALID form with one field
mutated (so the database write is really reached), for every public and signed-in form.
"""
from __future__ import annotations

import math
import re

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Allocation, Certificate, Inquiry, InquiryEvent
from tests.conftest import csrf_from, login
from tests.factories import CertificateFactory, ProducerFactory, ProductFactory, category

SUPERSCRIPT = "²"
HUGE = "9" * 20
LONG_NUMBER = "1" * 400


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(monkeypatch):
    monkeypatch.setattr("marketplace.inquiries.forms.MIN_FILL_SECONDS", 0)


@pytest.fixture
def no_rate_limit():
    from marketplace.extensions import limiter

    limiter.enabled = False
    yield
    limiter.enabled = True


def _hidden(page: str) -> dict:
    return dict(re.findall(r'name="(csrf_token|form_token|started)" type="hidden" value="([^"]*)"', page))


INQUIRY = {"company": "Hotel Sari", "buyer_type": "hotel", "contact_name": "Dewi Lestari", "email": "dewi@hotel.co.id",
           "phone": "0812-1111-2222", "quantity": "2.000", "unit": "kg", "frequency": "monthly",
           "delivery_city": "jakarta-pusat", "message": "Beras untuk restoran hotel."}


def _send_inquiry(client, url="/inquiries/new", **override):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={**_hidden(page.get_data(as_text=True)), **INQUIRY, **override})


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _staff_client(app, user):
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


@pytest.fixture
def forwarded(ctx, accounts):
    """An inquiry for rice, claimed by the facilitator, with producer A's rice among the suggestions."""
    from marketplace.services import inquiries

    rice = ProductFactory(producer=accounts.producer_a_store, name="Beras A", unit="kg", monthly_capacity=1500,
                          min_order_qty=100, category=category("beras-serealia"))
    inquiry = Inquiry(reference="INQ-2026-000001", tracking_token="tok-1", form_token="form-1", company="Hotel",
                      buyer_type="hotel", contact_name="Rina", email="rina@hotel.co.id", phone="+6281211112222",
                      quantity=2000, unit="kg", frequency="monthly", delivery_city="jakarta-pusat",
                      category_id=rice.category_id, status="new")
    db.session.add(inquiry)
    db.session.commit()
    inquiries.claim(inquiry.id, accounts.facilitator)
    db.session.commit()
    return inquiry.id, rice.producer_id


# ---------------------------------------------------------------- what the probe found

@pytest.mark.parametrize("value", [SUPERSCRIPT, HUGE, "-1", "0", "1e3", "\x00", "١٢"])
def test_the_inquiry_form_takes_any_product_in_the_query_string(client, ctx, value):
    ProductFactory(name="Beras Premium")
    assert client.get("/inquiries/new", query_string={"product": value}).status_code == 200


def test_the_inquiry_form_for_a_product_still_names_it(client, ctx):
    rice = ProductFactory(name="Beras Premium")
    assert "Beras Premium" in client.get(f"/inquiries/new?product={rice.id}").get_data(as_text=True)


@pytest.mark.parametrize("field", ["company", "contact_name", "message", "company_id_number"])
def test_control_characters_in_the_inquiry_form_are_dropped(client, ctx, no_rate_limit, field):
    value = INQUIRY.get(field, "8120000000001")
    response = _send_inquiry(client, **{field: value[:3] + "\x00\x1b" + value[3:]})
    assert response.status_code == 302
    inquiry = db.session.scalar(select(Inquiry))
    assert getattr(inquiry, field) == value


def test_control_characters_in_the_tracking_page_forms_are_dropped(client, ctx, no_rate_limit):
    response = _send_inquiry(client)
    track = response.headers["Location"]
    token = csrf_from(client.get(track))
    assert client.post(track + "/message", data={"csrf_token": token, "body": "Ada\x00 kabar?"}).status_code == 302
    assert client.post(track + "/cancel", data={"csrf_token": token, "reason": "Batal\x00\x07"}).status_code == 302
    db.session.expire_all()
    bodies = [e.body for e in db.session.scalars(select(InquiryEvent)) if e.body]
    assert "Ada kabar?" in bodies and not any("\x00" in b or "\x07" in b for b in bodies)


@pytest.mark.parametrize("value", [SUPERSCRIPT, HUGE, "-1", "abc"])
def test_a_storefront_certificate_id_that_is_no_id_is_refused_beside_the_form(app, accounts, value):
    store = accounts.producer_a_store
    CertificateFactory(producer=store)
    client = _staff_client(app, accounts.producer_a)
    token = csrf_from(client.get("/dashboard/storefront"))
    response = client.post("/dashboard/storefront", data={
        "csrf_token": token, "name": "Usaha A", "owner_name": "Sri", "kelurahan": "Imopuro", "action": "save",
        "certificates-0-id": value, "certificates-0-kind": "halal", "certificates-0-number": "ID123"})
    assert response.status_code in (200, 400)
    assert _count(Certificate) == 1


@pytest.mark.parametrize("value", [SUPERSCRIPT, HUGE, "-1", "99"])
def test_a_stock_reason_that_is_no_choice_is_a_400(app, accounts, value):
    product = ProductFactory(producer=accounts.producer_a_store, status="pending")
    client = _staff_client(app, accounts.moderator)
    token = csrf_from(client.get(f"/moderation/products/{product.id}"))
    response = client.post(f"/moderation/products/{product.id}/decide",
                           data={"csrf_token": token, "action": "reject", "stock_reason": value})
    assert response.status_code == 400


@pytest.mark.parametrize("key", [f"producer-{SUPERSCRIPT}", f"producer-{HUGE}", "producer--1", "producer-"])
def test_a_forward_naming_no_producer_is_refused(app, accounts, forwarded, key):
    inquiry_id, _producer_id = forwarded
    client = _staff_client(app, accounts.facilitator)
    token = csrf_from(client.get(f"/facilitator/inquiries/{inquiry_id}"))
    response = client.post(f"/facilitator/inquiries/{inquiry_id}/forward",
                           data={"csrf_token": token, key: "1", f"qty-{key[9:]}": "10"})
    assert response.status_code in (302, 400)
    assert _count(Allocation) == 0


@pytest.mark.parametrize("quantity", [LONG_NUMBER, "inf", "nan", "1e999", "-5", "0", SUPERSCRIPT, ""])
def test_a_forwarded_quantity_is_a_finite_positive_number(app, accounts, forwarded, quantity):
    inquiry_id, producer_id = forwarded
    client = _staff_client(app, accounts.facilitator)
    token = csrf_from(client.get(f"/facilitator/inquiries/{inquiry_id}"))
    response = client.post(f"/facilitator/inquiries/{inquiry_id}/forward",
                           data={"csrf_token": token, f"producer-{producer_id}": "1", f"qty-{producer_id}": quantity})
    assert response.status_code in (302, 400)
    assert _count(Allocation) == 0
    assert client.get(f"/facilitator/inquiries/{inquiry_id}").status_code == 200


def test_a_forward_with_a_good_quantity_still_works(app, accounts, forwarded):
    inquiry_id, producer_id = forwarded
    client = _staff_client(app, accounts.facilitator)
    token = csrf_from(client.get(f"/facilitator/inquiries/{inquiry_id}"))
    response = client.post(f"/facilitator/inquiries/{inquiry_id}/forward",
                           data={"csrf_token": token, f"producer-{producer_id}": "1", f"qty-{producer_id}": "1.200"})
    assert response.status_code == 302
    db.session.expire_all()
    allocation = db.session.scalar(select(Allocation))
    assert allocation.producer_id == producer_id and allocation.requested_qty == 1200


@pytest.mark.parametrize("args", [{"category": HUGE}, {"before": HUGE}, {"category": SUPERSCRIPT},
                                  {"before": "-1"}, {"q": "a\x00b"}, {"since": "9999-99-99"}])
def test_the_facilitator_queue_filters_take_any_value(app, accounts, args):
    client = _staff_client(app, accounts.facilitator)
    assert client.get("/facilitator/inquiries", query_string=args).status_code in (200, 400)


@pytest.mark.parametrize("args", [{"category": HUGE}, {"category": SUPERSCRIPT}, {"kind": "\x00"}])
def test_the_moderation_queue_filters_take_any_value(app, accounts, args):
    client = _staff_client(app, accounts.moderator)
    assert client.get("/moderation/", query_string=args).status_code in (200, 400)


@pytest.mark.parametrize("value", [SUPERSCRIPT, HUGE, "-1", "0", "nan", "1" * 5000])
def test_the_api_page_size_takes_any_value(client, ctx, value):
    response = client.get("/api/v1/products", query_string={"per_page": value})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert 1 <= response.get_json()["per_page"] <= 100


# ---------------------------------------------------------------- every form is built from the same parts

def _app_form_classes():
    import importlib
    import pkgutil

    import wtforms

    import marketplace

    for module in pkgutil.walk_packages(marketplace.__path__, "marketplace."):
        if module.name.endswith(".forms") or module.name == "marketplace.forms" or module.name.endswith(".views"):
            importlib.import_module(module.name)
    seen, todo = set(), [wtforms.Form]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted((c for c in seen if c.__module__.startswith("marketplace.")), key=lambda c: c.__qualname__)


def test_every_form_of_the_app_cleans_its_text_fields(app):
    from marketplace.forms import CleanText

    classes = _app_form_classes()
    assert len(classes) > 30
    assert [c.__qualname__ for c in classes if not issubclass(c, CleanText)] == []


def test_every_number_field_of_the_app_is_bounded(app):
    """No IntegerField, FloatField, DecimalField or plain DateField: WholeNumber/IdField, NumberText and DayField
    carry their bounds."""
    from wtforms import DateField, DecimalField, FloatField, IntegerField

    from marketplace.forms import DayField, MAX_NUMBER, NumberText, WholeNumber

    unbounded = []
    for form_class in _app_form_classes():
        for name in dir(form_class):
            unbound = getattr(form_class, name, None)
            field_class = getattr(unbound, "field_class", None)
            if field_class is None:
                continue
            if issubclass(field_class, (IntegerField, FloatField, DecimalField)) and not issubclass(field_class, WholeNumber):
                unbounded.append(f"{form_class.__qualname__}.{name}")
            if issubclass(field_class, DateField) and not issubclass(field_class, DayField):
                unbounded.append(f"{form_class.__qualname__}.{name}")
            if issubclass(field_class, NumberText) and unbound.kwargs.get("maximum", MAX_NUMBER) > MAX_NUMBER:
                unbounded.append(f"{form_class.__qualname__}.{name}")
    assert unbounded == []


def test_passwords_are_kept_exactly_as_typed(app):
    from marketplace.auth.forms import LoginForm

    with app.test_request_context(method="POST", data={"email": "a\x00@b.id", "password": "pa\x00ss\x1bword"}):
        form = LoginForm()
        assert form.password.data == "pa\x00ss\x1bword" and form.email.data == "a@b.id"
