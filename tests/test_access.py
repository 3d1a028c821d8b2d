"""Every (route, method) × every kind of visitor, against one expected table (QUALITY.md).

A route missing from the table fails the test, so a new page cannot ship unguarded.
Expectations: "allowed" (2xx/3xx, or 400 for a POST whose minimal body is incomplete),
"login" (redirect to sign in), "forbidden" (403), "notfound" (404: someone else's record).
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Agreement, Allocation, Inquiry
from marketplace.services import images
from tests.conftest import login
from tests.factories import CertificateFactory, PhotoFactory, ProductFactory

ROLES = ("anonymous", "producer_a", "producer_b", "officer", "moderator", "facilitator", "admin")
PUBLIC = {role: "allowed" for role in ROLES}
PRODUCER_AREA = {"anonymous": "login", "producer_a": "allowed", "producer_b": "allowed", "officer": "allowed",
                 "moderator": "forbidden", "facilitator": "forbidden", "admin": "forbidden"}
# A's records seen by someone managing another storefront look like they do not exist.
PRODUCER_OBJECT = {**PRODUCER_AREA, "producer_b": "notfound"}
MODERATION = {"anonymous": "login", "producer_a": "forbidden", "producer_b": "forbidden", "officer": "forbidden",
              "moderator": "allowed", "facilitator": "forbidden", "admin": "allowed"}
FACILITATION = {**MODERATION, "moderator": "forbidden", "facilitator": "allowed"}
ADMIN = {**{role: "forbidden" for role in ROLES}, "anonymous": "login", "admin": "allowed"}
SIGNED_IN = {**{role: "allowed" for role in ROLES}, "anonymous": "login"}

EXPECTED = {
    "main.healthz": PUBLIC, "main.media": PUBLIC,
    "main.ceiling": {role: "notfound" for role in ROLES},  # only under BENCH_CEILING=1 (bench/)
    "catalog.home": PUBLIC, "catalog.products": PUBLIC, "catalog.product": PUBLIC, "catalog.producers": PUBLIC,
    "catalog.producer": PUBLIC,
    "api.products": PUBLIC, "api.producers": PUBLIC, "api.openapi": PUBLIC,
    "auth.login": PUBLIC, "auth.register": PUBLIC, "auth.check_email": PUBLIC, "auth.reset": PUBLIC,
    "auth.confirm": {role: "login" for role in ROLES},  # a bogus token leads to the sign-in page
    "auth.reset_with_token": PUBLIC, "auth.invite": {role: "login" for role in ROLES},
    "auth.logout": SIGNED_IN, "auth.resend_confirmation": SIGNED_IN, "auth.change_password": SIGNED_IN,
    "producer.overview": PRODUCER_AREA, "producer.storefront": PRODUCER_AREA, "producer.products": PRODUCER_AREA,
    "producer.new_product": PRODUCER_AREA, "producer.inquiries_list": PRODUCER_AREA,
    "producer.stop_acting": PRODUCER_AREA,
    "producer.act_for": {**PRODUCER_AREA, "producer_a": "notfound", "producer_b": "notfound"},
    "producer.edit_product": PRODUCER_OBJECT, "producer.product_action": PRODUCER_OBJECT,
    "producer.upload_photos": PRODUCER_OBJECT, "producer.photo_action": PRODUCER_OBJECT,
    "producer.answer_inquiry": PRODUCER_OBJECT,
    "moderation.queue": MODERATION, "moderation.review": MODERATION, "moderation.decide": MODERATION,
    "moderation.suspend": MODERATION, "moderation.grade": MODERATION, "moderation.curated": MODERATION,
    "inquiries.new": PUBLIC, "inquiries.track": PUBLIC, "inquiries.track_message": PUBLIC,
    "inquiries.track_cancel": PUBLIC,
    "facilitator.queue": FACILITATION, "facilitator.inquiry": FACILITATION, "facilitator.claim": FACILITATION,
    "facilitator.reassign": FACILITATION, "facilitator.note": FACILITATION, "facilitator.message": FACILITATION,
    "facilitator.decide": FACILITATION, "facilitator.forward": FACILITATION, "facilitator.deal": FACILITATION,
    "facilitator.advance": FACILITATION, "facilitator.export_inquiries": FACILITATION,
    "facilitator.export_deals": FACILITATION, "facilitator.agreement": FACILITATION,
    "facilitator.verify_company": FACILITATION,
    "facilitator.dashboard": FACILITATION, "facilitator.agreements": FACILITATION,
    "facilitator.new_agreement": FACILITATION, "facilitator.edit_agreement": FACILITATION,
    "reports.index": FACILITATION, "reports.printable": FACILITATION, "reports.workbook": FACILITATION,
    "imports.upload": ADMIN, "imports.preview": ADMIN, "imports.confirm": ADMIN,
    "imports.done": ADMIN, "imports.report": ADMIN,
    "admin.users_list": ADMIN, "admin.new_user": ADMIN, "admin.user": ADMIN, "admin.change_role": ADMIN,
    "admin.set_active": ADMIN, "admin.resend_invitation": ADMIN, "admin.producers": ADMIN, "admin.scope": ADMIN,
    "admin.audit": ADMIN, "admin.audit_export": ADMIN,
}


@pytest.fixture
def world(app, accounts):
    """Records of producer A that everyone else probes."""
    certificate = CertificateFactory(producer=accounts.producer_a_store)
    product = ProductFactory(producer=accounts.producer_a_store, name="Beras A")
    product.certificates.append(certificate)
    stored = images.store(_png())
    photo = PhotoFactory(product=product, key=stored.key)
    inquiry = Inquiry(reference="INQ-2026-000001", tracking_token="rahasia-token", form_token="f1", company="PT Uji",
                      buyer_type="hotel", contact_name="A", email="a@b.id", quantity=10, unit="kg", frequency="once",
                      delivery_city="jakarta-pusat", status="in_review")
    inquiry.allocations.append(Allocation(producer_id=accounts.producer_a_store.id, requested_qty=10))
    db.session.add(inquiry)
    agreement = Agreement(code="MOU-UJI", kind="MoU", title="MoU uji")
    db.session.add(agreement)
    db.session.commit()
    allocation = db.session.scalar(select(Allocation))
    return {
        "product_id": product.id, "slug": accounts.producer_a_store.slug, "photo_id": photo.id,
        "name": f"{stored.key}-sm.webp", "producer_id": accounts.producer_a_store.id, "object_id": product.id,
        "kind": "products", "token": "rahasia-token", "inquiry_id": inquiry.id, "allocation_id": allocation.id,
        "action": None, "fmt": "csv", "agreement_id": agreement.id, "user_id": accounts.producer_b.id,
    }


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def _url(app, rule, values) -> str:
    args = {}
    for name in rule.arguments:
        if name == "action":
            converter = rule._converters[name]
            args[name] = sorted(converter.items)[0] if hasattr(converter, "items") else "submit"
        elif name == "kind":
            args[name] = "products"
        else:
            args[name] = values[name]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args)


def _outcome(response) -> str:
    if response.status_code >= 500:
        return f"error {response.status_code}"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 404:
        return "notfound"
    if response.status_code in (301, 302, 303) and "/auth/login" in response.headers.get("Location", ""):
        return "login"
    if response.status_code < 400:
        return "ok"
    return "bad"


def _client(app, accounts, role):
    client = app.test_client()
    if role != "anonymous":
        assert login(client, accounts.by_name(role)).status_code == 302
    if role == "officer":
        page = client.get("/dashboard/")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
        client.post(f"/dashboard/act-for/{accounts.producer_a_store.id}", data={"csrf_token": token})
    return client


def _token(client) -> str:
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if match:
        return match.group(1)
    page = client.get("/auth/login").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert sorted(endpoints - set(EXPECTED)) == [], "add the new route to EXPECTED"
    assert sorted(set(EXPECTED) - endpoints) == []


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, accounts, world, role):
    client = _client(app, accounts, role)
    token = _token(client)
    failures = []
    # Every GET first: the POSTs change things (archive a product, delete its photo) that later GETs would miss.
    probes = sorted(((method, rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
                     for method in rule.methods - {"HEAD", "OPTIONS"}), key=lambda mr: (mr[0] != "GET", mr[1].rule))
    for method, rule in probes:
        if rule.endpoint in ("auth.logout", "producer.stop_acting"):
            continue  # would end this client's session (or the officer's choice) for the probes after it
        url = _url(app, rule, world)
        expected = EXPECTED[rule.endpoint][role]
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        got = _outcome(response)
        ok = got in ("ok", "bad") if expected == "allowed" else got == expected
        if got.startswith("error") or not ok:
            failures.append(f"{method} {url}: expected {expected}, got {got}")
    assert failures == []


def test_a_get_never_changes_state(app, accounts, world):
    client = _client(app, accounts, "facilitator")
    client.get(f"/facilitator/inquiries/{world['inquiry_id']}/claim")
    client.get(f"/auth/logout")
    db.session.expire_all()
    assert db.session.get(Inquiry, world["inquiry_id"]).assigned_to_id is None
    assert client.get("/facilitator/inquiries").status_code == 200  # still signed in


def test_extra_fields_in_a_producer_post_are_ignored(app, accounts, world):
    client = _client(app, accounts, "producer_a")
    token = _token(client)
    client.post("/dashboard/products/new", data={
        "csrf_token": token, "category_id": "1", "name": "Beras Baru", "unit": "kg", "tiers-0-min_qty": "10",
        "tiers-0-price": "12.000", "min_order_qty": "10", "monthly_capacity": "1.000", "storage": "ambient",
        "status": "published", "producer_id": str(accounts.producer_b_store.id), "featured": "1", "price_min": "1",
        "curation_grade": "A", "action": "save"})
    from marketplace.models import Product

    product = db.session.scalar(select(Product).where(Product.name == "Beras Baru"))
    assert product.status == "draft" and product.producer_id == accounts.producer_a_store.id
    assert product.featured is False and product.price_min == 12000 and product.curation_grade is None
