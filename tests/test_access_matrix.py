"""Every (route, method) of the URL map × every kind of visitor, against one table (QUALITY.md, access control).

The URLs are filled with producer A's real records (A's product, a photo of it, A's slug, an
inquiry forwarded to A), so producer B, the staff and anonymous visitors all probe A's things.
A (route, method) missing from EXPECTED fails the test: a new page cannot ship without someone
deciding who may open it.

Outcomes:
    ok         2xx, or a 3xx to somewhere other than the sign-in page
    login      302 to /auth/login
    forbidden  403 (the wrong kind of account for this area)
    notfound   404 (someone else's record: ownership hides existence)
    bad        400 or 405
and no request, whoever sends it, may ever produce a 5xx.
"""
from __future__ import annotations

import io

import pytest
from flask import url_for
from PIL import Image
from sqlalchemy import select

from marketplace.extensions import db
from datetime import date

from marketplace.models import (Agreement, Allocation, Contract, ContractLine, Delivery, Inquiry, Photo, Product,
                                Quotation, QuotationLine)
from marketplace.listings import photos as images
from tests.conftest import csrf_from, login
from tests.factories import CertificateDocumentFactory, CertificateFactory, PhotoFactory, ProductFactory

ROLES = ("anonymous", "producer_a", "producer_b", "officer", "moderator", "facilitator", "admin")


def row(outcomes: str) -> dict[str, str]:
    """One line of the table, in the order of ROLES."""
    values = outcomes.split()
    assert len(values) == len(ROLES)
    return dict(zip(ROLES, values))


PUBLIC = row("ok ok ok ok ok ok ok")

# Read it as a table:           anonymous  A         B         officer   moderator  facilitator admin
EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    # public pages and open data
    ("static", "GET"):                       PUBLIC,
    ("main.media", "GET"):                   PUBLIC,
    ("main.healthz", "GET"):                 PUBLIC,
    # producer A's certificate document, not made public: staff and whoever manages A; a 404 for anyone else
    ("main.certificate_document", "GET"):    row("notfound  ok        notfound  ok        ok         ok         ok"),
    ("main.ceiling", "GET"):                 row("notfound notfound notfound notfound notfound notfound notfound"),
    ("catalog.home", "GET"):                 PUBLIC,
    ("catalog.products", "GET"):             PUBLIC,
    ("catalog.product", "GET"):              PUBLIC,
    ("catalog.compare", "GET"):              PUBLIC,
    ("catalog.producers", "GET"):            PUBLIC,
    ("catalog.producer", "GET"):             PUBLIC,
    ("api.products", "GET"):                 PUBLIC,
    ("api.producers", "GET"):                PUBLIC,
    ("api.openapi", "GET"):                  PUBLIC,
    ("inquiries.new", "GET"):                PUBLIC,
    ("inquiries.new", "POST"):               PUBLIC,
    # whoever holds the private tracking link is the buyer
    ("inquiries.track", "GET"):              PUBLIC,
    ("inquiries.track_message", "POST"):     PUBLIC,
    ("inquiries.track_cancel", "POST"):      PUBLIC,
    # asking for a change without saying what: refused beside the field, whoever holds the link
    ("inquiries.track_quotation", "POST"):   row("bad       bad       bad       bad       bad        bad        bad"),
    # accounts (signed-in visitors are sent on from login and register)
    ("auth.login", "GET"):                   PUBLIC,
    ("auth.login", "POST"):                  PUBLIC,
    ("auth.register", "GET"):                PUBLIC,
    ("auth.register", "POST"):               PUBLIC,
    ("auth.check_email", "GET"):             PUBLIC,
    ("auth.reset", "GET"):                   PUBLIC,
    ("auth.reset", "POST"):                  PUBLIC,
    ("auth.reset_with_token", "GET"):        PUBLIC,
    ("auth.reset_with_token", "POST"):       PUBLIC,
    # a link with a bogus token ends on the sign-in page, whoever follows it
    ("auth.confirm", "GET"):                 row("login     login     login     login     login      login      login"),
    ("auth.confirm", "POST"):                row("login     login     login     login     login      login      login"),
    ("auth.invite", "GET"):                  row("login     login     login     login     login      login      login"),
    ("auth.invite", "POST"):                 row("login     login     login     login     login      login      login"),
    ("auth.resend_confirmation", "POST"):    row("login     ok        ok        ok        ok         ok         ok"),
    ("auth.change_password", "GET"):         row("login     ok        ok        ok        ok         ok         ok"),
    ("auth.change_password", "POST"):        row("login     ok        ok        ok        ok         ok         ok"),
    ("auth.logout", "POST"):                 row("login     ok        ok        ok        ok         ok         ok"),
    # the producer dashboard: B has a dashboard of its own, but A's records do not exist for B
    ("producer.overview", "GET"):            row("login     ok        ok        ok        forbidden  forbidden  forbidden"),
    ("producer.storefront", "GET"):          row("login     ok        ok        ok        forbidden  forbidden  forbidden"),
    ("producer.storefront", "POST"):         row("login     ok        ok        ok        forbidden  forbidden  forbidden"),
    ("producer.products", "GET"):            row("login     ok        ok        ok        forbidden  forbidden  forbidden"),
    ("producer.new_product", "GET"):         row("login     ok        ok        ok        forbidden  forbidden  forbidden"),
    ("producer.new_product", "POST"):        row("login     ok        ok        ok        forbidden  forbidden  forbidden"),
    ("producer.edit_product", "GET"):        row("login     ok        notfound  ok        forbidden  forbidden  forbidden"),
    ("producer.edit_product", "POST"):       row("login     ok        notfound  ok        forbidden  forbidden  forbidden"),
    ("producer.product_action", "POST"):     row("login     ok        notfound  ok        forbidden  forbidden  forbidden"),
    ("producer.upload_photos", "POST"):      row("login     ok        notfound  ok        forbidden  forbidden  forbidden"),
    ("producer.photo_action", "POST"):       row("login     ok        notfound  ok        forbidden  forbidden  forbidden"),
    ("producer.inquiries_list", "GET"):      row("login     ok        ok        ok        forbidden  forbidden  forbidden"),
    ("producer.answer_inquiry", "POST"):     row("login     ok        notfound  ok        forbidden  forbidden  forbidden"),
    # A's contract line: B has a contracts page of its own, but A's line does not exist for B
    ("producer.contracts_list", "GET"):      row("login     ok        ok        ok        forbidden  forbidden  forbidden"),
    ("producer.record_delivery", "POST"):    row("login     ok        notfound  ok        forbidden  forbidden  forbidden"),
    # only field officers act for someone, and only for the producers assigned to them
    ("producer.act_for", "POST"):            row("login     notfound  notfound  ok        forbidden  forbidden  forbidden"),
    ("producer.stop_acting", "POST"):        row("login     ok        ok        ok        forbidden  forbidden  forbidden"),
    # Dekranasda moderation
    ("moderation.queue", "GET"):             row("login     forbidden forbidden forbidden ok         forbidden  ok"),
    ("moderation.review", "GET"):            row("login     forbidden forbidden forbidden ok         forbidden  ok"),
    ("moderation.decide", "POST"):           row("login     forbidden forbidden forbidden ok         forbidden  ok"),
    ("moderation.suspend", "POST"):          row("login     forbidden forbidden forbidden ok         forbidden  ok"),
    ("moderation.grade", "POST"):            row("login     forbidden forbidden forbidden ok         forbidden  ok"),
    ("moderation.curated", "POST"):          row("login     forbidden forbidden forbidden ok         forbidden  ok"),
    ("moderation.certificate_verification", "POST"): row("login forbidden forbidden forbidden ok     forbidden  ok"),
    # the import's items approved together: the list to confirm (empty: back to the queue), then one POST
    ("moderation.import_approval", "GET"):   row("login     forbidden forbidden forbidden ok         forbidden  ok"),
    ("moderation.approve_imported", "POST"): row("login     forbidden forbidden forbidden ok         forbidden  ok"),
    # the BUMD facilitator's inquiry desk (forms sent empty: 400 once past the guard)
    ("facilitator.queue", "GET"):            row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.inquiry", "GET"):          row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.export_inquiries", "GET"): row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.export_deals", "GET"):     row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.claim", "POST"):           row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.claim_next", "POST"):      row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.reassign", "POST"):        row("login     forbidden forbidden forbidden forbidden  bad        bad"),
    ("facilitator.note", "POST"):            row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.message", "POST"):         row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.decide", "POST"):          row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.forward", "POST"):         row("login     forbidden forbidden forbidden forbidden  bad        bad"),
    # quotations and contracts (a first press of a consequential button shows its second step: ok)
    ("facilitator.quote", "POST"):           row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.withdraw_quotation", "POST"): row("login  forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.record_acceptance", "POST"): row("login   forbidden forbidden forbidden forbidden  ok         ok"),
    ("contracts.contract", "GET"):         row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("contracts.contract_agreement", "POST"): row("login  forbidden forbidden forbidden forbidden  bad        bad"),
    ("contracts.record_delivery", "POST"): row("login     forbidden forbidden forbidden forbidden  bad        bad"),
    ("contracts.correct_line", "POST"):    row("login     forbidden forbidden forbidden forbidden  bad        bad"),
    ("contracts.contract_status", "POST"): row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("contracts.cancel_delivery", "POST"): row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    # declined by facilitator.decide above: refused with a message, nothing corrected
    ("facilitator.correct_request", "POST"): row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.advance", "POST"):         row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.agreement", "POST"):       row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.verify_company", "POST"):  row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    # monitoring, agreements with targets, and the MoU reports: facilitators and admins
    ("facilitator.dashboard", "GET"):        row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.agreements", "GET"):       row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.new_agreement", "GET"):    row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.new_agreement", "POST"):   row("login     forbidden forbidden forbidden forbidden  bad        bad"),
    ("facilitator.edit_agreement", "GET"):   row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("facilitator.edit_agreement", "POST"):  row("login     forbidden forbidden forbidden forbidden  bad        bad"),
    ("reports.index", "GET"):                row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("reports.printable", "GET"):            row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    ("reports.workbook", "GET"):             row("login     forbidden forbidden forbidden forbidden  ok         ok"),
    # the city's inventory import (admins only; the probed token is no upload: back to the upload page)
    ("imports.upload", "GET"):               row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    ("imports.upload", "POST"):              row("login     forbidden forbidden forbidden forbidden  forbidden  bad"),
    ("imports.preview", "GET"):              row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    ("imports.confirm", "POST"):             row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    ("imports.done", "GET"):                 row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    ("imports.report", "GET"):               row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    # the city's account administration and audit log (producer B's account is the one probed)
    ("admin.home", "GET"):                   row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    ("admin.users_list", "GET"):             row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    ("admin.new_user", "GET"):               row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    ("admin.new_user", "POST"):              row("login     forbidden forbidden forbidden forbidden  forbidden  bad"),
    ("admin.user", "GET"):                   row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    ("admin.change_role", "POST"):           row("login     forbidden forbidden forbidden forbidden  forbidden  bad"),
    ("admin.set_active", "POST"):            row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    ("admin.resend_invitation", "POST"):     row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    ("admin.producers", "POST"):             row("login     forbidden forbidden forbidden forbidden  forbidden  bad"),
    ("admin.scope", "POST"):                 row("login     forbidden forbidden forbidden forbidden  forbidden  bad"),
    ("admin.audit", "GET"):                  row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
    ("admin.audit_export", "GET"):           row("login     forbidden forbidden forbidden forbidden  forbidden  ok"),
}

# Which value an <any(...)> part of a URL takes: the least destructive one.
ACTIONS = {
    "producer.product_action": "submit", "producer.photo_action": "first", "producer.answer_inquiry": "decline",
    "moderation.curated": "award", "moderation.certificate_verification": "verify", "admin.set_active": "reactivate", "facilitator.decide": "decline", "facilitator.advance": "negotiate",
    "contracts.contract_status": "complete", "inquiries.track_quotation": "ask_change",
}

# Minimal form data, so an authorised request gets past form validation where that is simple.
PRODUCT_FORM = {
    "category_id": "1", "name": "Beras Uji", "unit": "kg", "tiers-0-min_qty": "100", "tiers-0-price": "12.000",
    "min_order_qty": "100", "monthly_capacity": "5.000", "storage": "ambient", "action": "save",
}
FORM_DATA = {
    "producer.new_product": PRODUCT_FORM,
    "producer.edit_product": PRODUCT_FORM,
    "producer.storefront": {"name": "Usaha A", "owner_name": "Sri", "kelurahan": "Imopuro", "action": "save"},
    "producer.answer_inquiry": {"decline-{allocation_id}-note": "Stok sedang habis."},
    "producer.record_delivery": {"delivery-{line_id}-delivered_on": "2024-06-01", "delivery-{line_id}-quantity": "1",
                                 "delivery-{line_id}-outcome": "accepted"},
    "moderation.decide": {"action": "reject", "reason": "Foto kurang jelas."},
    "moderation.suspend": {"reason": "Sertifikat kedaluwarsa."},
    "moderation.grade": {k: "3" for k in ("legality", "quality", "capacity", "packaging", "presentation")},
    "facilitator.note": {"kind": "note", "body": "Sudah ditelepon."},
    "facilitator.message": {"body": "Terima kasih, kami proses."},
    "facilitator.decide": {"reason": "Di luar cakupan."},
    "inquiries.track_message": {"body": "Apakah ada kabar?"},
}

# These end the session (or the officer's choice of producer); they run after every other probe.
LAST = ("producer.stop_acting", "auth.logout")


def _png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def world(app, accounts):
    """Producer A's records, which everyone else probes."""
    store = accounts.producer_a_store
    document = CertificateDocumentFactory(producer=store)
    certificate = CertificateFactory(producer=store, document_key=document.key)
    product = ProductFactory(producer=store, name="Beras A")
    product.certificates.append(certificate)
    stored = images.store(_png())
    photo = PhotoFactory(product=product, key=stored.key)
    inquiry = Inquiry(reference="INQ-2026-000001", tracking_token="token-pelacakan-rahasia", form_token="f1",
                      company="PT Uji", buyer_type="hotel", contact_name="Budi", email="budi@contoh.id", quantity=10,
                      unit="kg", frequency="once", delivery_city="jakarta-pusat", status="forwarded")
    inquiry.allocations.append(Allocation(producer_id=store.id, requested_qty=10, status="forwarded"))
    db.session.add(inquiry)
    agreement = Agreement(code="MOU-UJI", kind="MoU", title="MoU uji")
    db.session.add(agreement)
    db.session.commit()
    allocation = db.session.scalar(select(Allocation))
    quotation = Quotation(inquiry_id=inquiry.id, version=1, status="sent", valid_until=date(2100, 1, 1),
                          lines=[QuotationLine(producer_id=store.id, quantity=10, unit="kg", price=12_000)])
    contract = Contract(reference="KTR-2026-000001", inquiry_id=inquiry.id, frequency="once", starts_on=date(2027, 1, 1),
                        ends_on=date(2027, 1, 1), status="active",
                        lines=[ContractLine(producer_id=store.id, quantity=10, unit="kg", price=12_000)])
    db.session.add_all([quotation, contract])
    db.session.commit()
    delivery = Delivery(line_id=contract.lines[0].id, delivered_on=date(2026, 1, 5), quantity=10, unit="kg",
                        status="accepted")
    db.session.add(delivery)
    db.session.commit()
    return {
        "product_id": product.id, "slug": store.slug, "photo_id": photo.id, "name": f"{stored.key}-sm.webp",
        "producer_id": store.id, "object_id": product.id, "kind": "products", "token": inquiry.tracking_token,
        "inquiry_id": inquiry.id, "allocation_id": allocation.id, "fmt": "csv", "filename": "css/app.css",
        "agreement_id": agreement.id, "version": 1, "contract_id": contract.id, "line_id": contract.lines[0].id,
        "delivery_id": delivery.id, "document_key": document.key, "certificate_id": certificate.id,
        "user_id": accounts.producer_b.id,
    }


def _probes(app):
    """Every (rule, method), GETs first, the ones that end the session last."""
    probes = [(rule, method) for rule in app.url_map.iter_rules() for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(probes, key=lambda p: (p[0].endpoint in LAST, LAST.index(p[0].endpoint) if p[0].endpoint in LAST else 0,
                                         p[1] != "GET", p[0].rule))


def _url(app, rule, world) -> str:
    values = {}
    for name in rule.arguments:
        values[name] = ACTIONS.get(rule.endpoint, "") if name == "action" else world[name]
    if "action" in values and not values["action"]:
        raise AssertionError(f"choose an action for {rule.endpoint} in ACTIONS")
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def _outcome(response) -> str:
    code = response.status_code
    if code >= 500:
        return f"error-{code}"
    if code in (301, 302, 303, 307, 308):
        return "login" if response.headers["Location"].split("?")[0].endswith("/auth/login") else "ok"
    if code < 400:
        return "ok"
    return {403: "forbidden", 404: "notfound", 400: "bad", 405: "bad"}.get(code, f"other-{code}")


def _client(app, accounts, role):
    client = app.test_client()
    if role != "anonymous":
        assert login(client, accounts.by_name(role)).status_code == 302
    if role == "officer":
        token = csrf_from(client.get("/dashboard/"))
        response = client.post(f"/dashboard/act-for/{accounts.producer_a_store.id}", data={"csrf_token": token})
        assert response.status_code == 302
    return client


def test_every_route_and_method_is_in_the_table(app):
    present = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
               for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(present - set(EXPECTED)) == [], "add the new route to EXPECTED, with who may open it"


def test_the_table_names_no_route_that_is_gone(app):
    present = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
               for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(set(EXPECTED) - present) == []


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, accounts, world, role):
    client = _client(app, accounts, role)
    token = csrf_from(client.get("/auth/reset"))  # a public page with a form, for every role
    failures = []
    for rule, method in _probes(app):
        url = _url(app, rule, world)
        data = None
        if method == "POST":
            data = {key.format(**world): value for key, value in FORM_DATA.get(rule.endpoint, {}).items()}
            data["csrf_token"] = token
        response = client.open(url, method=method, data=data)
        got, expected = _outcome(response), EXPECTED[(rule.endpoint, method)][role]
        if got != expected:
            failures.append(f"{method} {url} as {role}: expected {expected}, got {got}")
    assert failures == []


# ---------------------------------------------------------------- the cases the table cannot show

def test_a_get_never_changes_state(app, accounts, world):
    client = _client(app, accounts, "facilitator")
    client.get(f"/facilitator/inquiries/{world['inquiry_id']}/claim")
    client.get("/auth/logout")
    db.session.expire_all()
    assert db.session.get(Inquiry, world["inquiry_id"]).assigned_to_id is None
    assert client.get("/facilitator/inquiries").status_code == 200  # still signed in


def test_extra_fields_in_a_producer_post_are_ignored(app, accounts, world):
    client = _client(app, accounts, "producer_a")
    token = csrf_from(client.get("/dashboard/"))
    client.post("/dashboard/products/new", data={
        **PRODUCT_FORM, "csrf_token": token, "name": "Beras Baru", "status": "published",
        "producer_id": str(accounts.producer_b_store.id), "featured": "1", "price_min": "1", "curation_grade": "A"})
    product = db.session.scalar(select(Product).where(Product.name == "Beras Baru"))
    assert product.status == "draft" and product.producer_id == accounts.producer_a_store.id
    assert product.featured is False and product.price_min == 12000 and product.curation_grade is None


def test_an_officer_cannot_act_for_a_producer_not_assigned(app, accounts, world):
    client = _client(app, accounts, "officer")
    token = csrf_from(client.get("/dashboard/"))
    b_store = accounts.producer_b_store
    assert client.post(f"/dashboard/act-for/{b_store.id}", data={"csrf_token": token}).status_code == 404
    # Still acting for A: the banner names A, not B.
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Usaha A" in page and "Usaha B" not in page


def test_an_officer_whose_session_names_another_producer_sees_nothing_of_it(app, accounts, world):
    b_product = ProductFactory(producer=accounts.producer_b_store, name="Telur B")
    client = _client(app, accounts, "officer")
    with client.session_transaction() as session:
        session["acting_producer_id"] = accounts.producer_b_store.id  # as if the cookie had been tampered with
    assert client.get(f"/dashboard/products/{b_product.id}/edit").status_code == 404
    response = client.get("/dashboard/storefront")  # no producer chosen that this officer may manage
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Pilih produsen dampingan" in page and "Usaha B" not in page and "Telur B" not in page


def test_an_officer_who_chose_no_producer_is_shown_the_chooser(app, accounts, world):
    client = app.test_client()
    login(client, accounts.officer)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Pilih produsen dampingan" in page and "Usaha A" in page and "Usaha B" not in page


def test_a_photo_of_a_cannot_be_reached_through_a_product_of_b(app, accounts, world):
    b_product = ProductFactory(producer=accounts.producer_b_store, status="draft")
    client = _client(app, accounts, "producer_b")
    token = csrf_from(client.get(f"/dashboard/products/{b_product.id}/edit"))
    for action in ("delete", "first", "up", "down"):
        response = client.post(f"/dashboard/products/{b_product.id}/photos/{world['photo_id']}/{action}",
                               data={"csrf_token": token})
        assert response.status_code == 404
    db.session.expire_all()
    photo = db.session.get(Photo, world["photo_id"])
    assert photo is not None and photo.product_id == world["product_id"]


@pytest.mark.parametrize("action", ["submit", "withdraw", "archive", "restore"])
def test_producer_b_cannot_change_the_status_of_a_product_of_a(app, accounts, world, action):
    client = _client(app, accounts, "producer_b")
    token = csrf_from(client.get("/dashboard/"))
    response = client.post(f"/dashboard/products/{world['product_id']}/{action}", data={"csrf_token": token})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Product, world["product_id"]).status == "published"


def test_a_dashboard_post_without_a_csrf_token_changes_nothing(app, accounts, world):
    client = _client(app, accounts, "producer_a")
    response = client.post(f"/dashboard/products/{world['product_id']}/archive", data={})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Product, world["product_id"]).status == "published"


def test_a_post_only_route_answers_a_get_with_405(app, accounts, world):
    from werkzeug.exceptions import MethodNotAllowed

    client = _client(app, accounts, "producer_a")
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.methods - {"HEAD", "OPTIONS"} != {"POST"}:
            continue
        url = _url(app, rule, world)
        try:
            endpoint, _ = adapter.match(url, method="GET")
        except MethodNotAllowed:
            assert client.get(url).status_code == 405, rule.rule
        else:  # the path is also a GET page of another route (/auth/confirm/resend reads as /auth/confirm/<token>)
            assert endpoint != rule.endpoint
    db.session.expire_all()
    assert db.session.get(Product, world["product_id"]).status == "published"
    assert db.session.get(Photo, world["photo_id"]) is not None
