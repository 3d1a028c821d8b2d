"""No user input ends in a 500 (QUALITY.md: input), on SQLite and on PostgreSQL.

First the faults an outside probe found, one test each; then Hypothesis tests that post a VALID form with one field
mutated (so the database write is really reached), for every public and signed-in form.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from itertools import count as counter
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Float, Numeric, func, or_, select, text

from marketplace.extensions import db
from marketplace.models import Allocation, Certificate, Inquiry, InquiryEvent
from tests.conftest import csrf_from, login
from tests.factories import CertificateFactory, ProductFactory, category

SUPERSCRIPT = "²"
HUGE = "9" * 20
LONG_NUMBER = "1" * 400


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(monkeypatch):
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)


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
    from marketplace.trade import service as inquiries

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
    assert client.post(track + "/cancel", data={"csrf_token": token, "reason": "Batal\x00\x07",
                                                "confirmed": "y"}).status_code == 302
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


def _offered(accounts):
    """Producer A's offer on a fresh inquiry, ready to be quoted."""
    from marketplace.trade.workflow import allocation as allocation_workflow

    allocation = _allocation(accounts)
    allocation_workflow.apply("offer", allocation, accounts.producer_a, values={
        "offered_qty": 900, "offered_unit": "kg", "offered_price": 12_500, "lead_time_days": 5})
    db.session.commit()
    return allocation


def test_a_quotation_too_large_for_the_database_is_refused_beside_the_field(app, accounts):
    """quantity × price is stored in Rupiah (BIGINT) for each month of the contract: a quantity within bounds at a
    producer's price must not overflow it when the buyer accepts."""
    from marketplace.models import Quotation

    allocation = _offered(accounts)
    client = _staff_client(app, accounts.facilitator)
    token = csrf_from(client.get(f"/facilitator/inquiries/{allocation.inquiry_id}"))
    response = client.post(f"/facilitator/inquiries/{allocation.inquiry_id}/quotation", data={
        "csrf_token": token, f"offer-{allocation.id}": "y", f"qty-{allocation.id}": "999.999.999.999",
        "valid_until": "2099-01-01"})
    assert response.status_code == 400 and "terlalu besar" in response.get_data(as_text=True)
    assert _count(Quotation) == 0


def _contract(accounts):
    """An active contract of producer A's offer, accepted by the buyer."""
    from datetime import date

    from marketplace.trade import quotations

    allocation = _offered(accounts)
    quotation = quotations.build(allocation.inquiry, [(allocation, 900)], date(2099, 1, 1), True, "",
                                 accounts.facilitator)
    contract = quotations.answer(quotation, "accept")
    db.session.commit()
    return contract


# ---------------------------------------------------------------- every form is built from the same parts

def _app_form_classes():
    import importlib
    import pkgutil

    import wtforms

    import marketplace

    for module in pkgutil.walk_packages(marketplace.__path__, "marketplace."):
        if module.name.endswith(".forms") or module.name == "marketplace.core.forms" or module.name.endswith(".views"):
            importlib.import_module(module.name)
    seen, todo = set(), [wtforms.Form]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted((c for c in seen if c.__module__.startswith("marketplace.")), key=lambda c: c.__qualname__)


def test_every_form_of_the_app_cleans_its_text_fields(app):
    from marketplace.core.forms import CleanText

    classes = _app_form_classes()
    assert len(classes) > 30
    assert [c.__qualname__ for c in classes if not issubclass(c, CleanText)] == []


def test_every_number_field_of_the_app_is_bounded(app):
    """No IntegerField, FloatField, DecimalField or plain DateField: WholeNumber/IdField, NumberText and DayField
    carry their bounds."""
    from wtforms import DateField, DecimalField, FloatField, IntegerField

    from marketplace.core.forms import DayField, MAX_NUMBER, NumberText, WholeNumber

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
    from marketplace.accounts.auth.forms import LoginForm

    with app.test_request_context(method="POST", data={"email": "a\x00@b.id", "password": "pa\x00ss\x1bword"}):
        form = LoginForm()
        assert form.password.data == "pa\x00ss\x1bword" and form.email.data == "a@b.id"


# ---------------------------------------------------------------- generated forms: valid but for one field
#
# Each case below is a form as a user would send it, complete and valid. The test first sends it as it is and
# checks that it really writes (so the generated examples get as far as the database), then sends it again and
# again with ONE field replaced by a hostile value. Every answer is 200, a redirect or a 4xx; the database holds
# no infinite or NaN number afterwards; and some of the generated examples reached the write too.

HOSTILE = st.sampled_from([
    SUPERSCRIPT, "١٢", "٣", HUGE, str(2**64), LONG_NUMBER, "inf", "-inf", "nan", "1e999", "-1", "0", "1.5", "12.500",
    "\x00", "a\x00b", "\x1b[31m", "\x7f", "\r\n", "a" * 5000, "", " ", "😀", "👩‍👩‍👧", "0001-01-01", "9999-12-31",
    "2026-02-30", "<script>alert(1)</script>", "'; DROP TABLE inquiry; --", "\u202e", "\ufeff", "%00",
])
MUTATION = st.one_of(HOSTILE, st.text(max_size=40))
ALLOWED = {200, 302, 303} | set(range(400, 500))
EXAMPLES = 15
_unique = counter(1)


def _row_total() -> int:
    """All rows of every table the app writes: one query."""
    names = [t.name for t in db.metadata.sorted_tables if t.name not in ("category", "catalog_state")]
    db.session.expire_all()
    return db.session.scalar(text("SELECT " + " + ".join(f'(SELECT count(*) FROM "{n}")' for n in names)))


def _non_finite_numbers() -> list[str]:
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (Float, Numeric)):
                n = db.session.scalar(select(func.count()).select_from(table).where(or_(column > 1e300, column < -1e300)))
                if n:
                    found.append(f"{table.name}.{column.name}")
    return found


@dataclass
class Case:
    """A form: who sends it, where (a fresh target per example when `prepare` makes one), its valid fields."""

    name: str
    role: str | None
    page: str | Callable  # GET (for the CSRF token and the hidden fields); a callable takes prepare()'s value
    valid: Callable  # (prepared) -> dict of the form's fields, all valid
    post: str | Callable | None = None  # where it is sent (default: the page)
    prepare: Callable | None = None  # (accounts) -> something fresh for one example (an inquiry, a product …)
    wrote: Callable | None = None  # (response, rows before) -> whether the form was stored; default: more rows
    fields: list[str] = dc_field(default_factory=list)  # the fields to mutate (default: every valid field)
    page_each: bool = False  # the page hands out a one-time value (the inquiry form's token): fetch it each time
    # False where nearly every mutation makes the form invalid (a one-button form has only its token; a form of
    # ids and choices only): whether a generated example still gets through is chance, so it is not asserted.
    reach: bool = True


def _fresh_inquiry(accounts, status="new", claimed=False, forwarded=False):
    from marketplace.trade import service as inquiries

    n = next(_unique)
    rice = _rice(accounts)
    inquiry = Inquiry(reference=f"INQ-2026-{n:06d}", tracking_token=f"tok-{n}", form_token=f"form-{n}", company="Hotel",
                      buyer_type="hotel", contact_name="Rina", email="rina@hotel.co.id", phone="+6281211112222",
                      quantity=2000, unit="kg", frequency="monthly", delivery_city="jakarta-pusat",
                      category_id=rice.category_id, status=status)
    db.session.add(inquiry)
    db.session.commit()
    if claimed:
        inquiries.claim(inquiry.id, accounts.facilitator)
        db.session.commit()
    if forwarded:
        inquiries.forward(inquiry, [(rice.producer_id, 1000)], False, accounts.facilitator)
        db.session.commit()
    return inquiry


def _rice(accounts):
    from marketplace.models import Product

    rice = db.session.scalar(select(Product).where(Product.name == "Beras Uji A"))
    return rice or ProductFactory(producer=accounts.producer_a_store, name="Beras Uji A", unit="kg",
                                  monthly_capacity=1500, min_order_qty=100, category=category("beras-serealia"))


def _allocation(accounts):
    inquiry = _fresh_inquiry(accounts, claimed=True, forwarded=True)
    return db.session.scalar(select(Allocation).where(Allocation.inquiry_id == inquiry.id))


def _pending_product(accounts):
    return ProductFactory(producer=accounts.producer_a_store, status="pending")


def _new_user_email(_prepared=None):
    return f"staf{next(_unique)}@contoh.id"


PRODUCT = {"category_id": lambda: str(category().id), "name": "Beras Uji", "unit": "kg", "tiers-0-min_qty": "100",
           "tiers-0-price": "12.000", "min_order_qty": "100", "monthly_capacity": "5.000", "storage": "ambient",
           "lead_time_days": "3", "shelf_life_days": "180", "grade": "Premium", "packaging": "Karung 25 kg",
           "description": "Beras pulen.", "delivery_terms": "Truk", "available_months": "3", "action": "save"}


def _resolve(values: dict) -> dict:
    return {k: (v() if callable(v) else v) for k, v in values.items()}


def _registration(_prepared):
    n = next(_unique)
    return {"business_name": "KWT Maju", "name": "Sri Wahyuni", "nib": f"81200{n:08d}", "kecamatan": "metro-pusat",
            "kelurahan": "Imopuro", "phone": "0812 3456 7890", "email": f"sri{n}@contoh.id",
            "password": "kalimat sandi panjang", "confirm": "kalimat sandi panjang", "agree": "y"}


CASES = [
    Case("inquiry", None, lambda p: f"/inquiries/new?product={p.id}", lambda p: dict(INQUIRY, quantity="1.000", target_price="11.000",
         company_id_number="8120000000001", needed_by="2099-01-01"), prepare=_rice, page_each=True),
    Case("track message", None, lambda p: f"/inquiries/track/{p.tracking_token}",
         lambda p: {"body": "Apakah ada kabar?"}, post=lambda p: f"/inquiries/track/{p.tracking_token}/message",
         prepare=_fresh_inquiry),
    Case("track cancel", None, lambda p: f"/inquiries/track/{p.tracking_token}",
         lambda p: {"reason": "Sudah dapat pemasok lain.", "confirmed": "y"},
         post=lambda p: f"/inquiries/track/{p.tracking_token}/cancel",
         prepare=_fresh_inquiry),
    Case("registration", None, "/auth/register", _registration),
    Case("login", None, "/auth/login", lambda p: {"email": "a@contoh.id", "password": "kata-sandi-yang-panjang",
                                                  "next": "/dashboard/", "remember": "y"},
         wrote=lambda response, before: response.status_code == 302),
    # One e-mail field: nearly every mutation makes it invalid, so reaching the write is left to chance.
    Case("reset", None, "/auth/reset", lambda p: {"email": p.email}, prepare=lambda accounts: _staff(accounts),
         reach=False),
    Case("storefront", "producer_a", "/dashboard/storefront", lambda p: {
        "name": "Usaha A", "owner_name": "Sri", "kelurahan": "Imopuro", "address": "Jl. Uji 1", "phone": "0812 3456 7890",
        "email": "usaha@contoh.id", "website": "https://contoh.id", "founded_year": "2010", "workforce": "12",
        "description": "Usaha keluarga.", "certificates-0-kind": "halal", "certificates-0-number": f"ID{next(_unique)}",
        "certificates-0-issuer": "BPJPH", "certificates-0-valid_until": "2030-01-01", "action": "save"}),
    Case("new product", "producer_a", "/dashboard/products/new", lambda p: _resolve(PRODUCT)),
    Case("offer", "producer_a", "/dashboard/inquiries", lambda p: {
        f"accept-{p.id}-offered_qty": "900", f"accept-{p.id}-price": "12.500", f"accept-{p.id}-lead_time_days": "5",
        f"accept-{p.id}-note": "Siap kirim."}, post=lambda p: f"/dashboard/inquiries/{p.id}/accept", prepare=_allocation),
    Case("decline", "producer_a", "/dashboard/inquiries", lambda p: {f"decline-{p.id}-note": "Stok habis."},
         post=lambda p: f"/dashboard/inquiries/{p.id}/decline", prepare=_allocation),
    Case("moderation decision", "moderator", lambda p: f"/moderation/products/{p.id}",
         lambda p: {"action": "reject", "stock_reason": "0", "reason": "Foto kurang jelas."},
         post=lambda p: f"/moderation/products/{p.id}/decide", prepare=_pending_product),
    Case("moderation suspension", "moderator", lambda p: f"/moderation/products/{p.id}",
         lambda p: {"reason": "Sertifikat kedaluwarsa."}, post=lambda p: f"/moderation/products/{p.id}/suspend",
         prepare=lambda accounts: ProductFactory(producer=accounts.producer_a_store)),
    Case("moderation grade", "moderator", lambda p: f"/moderation/products/{p.id}",
         lambda p: {"legality": "3", "quality": "4", "capacity": "2", "packaging": "3", "presentation": "1",
                    "notes": "Bagus."},
         post=lambda p: f"/moderation/products/{p.id}/grade", prepare=lambda accounts: _rice(accounts),
         # the five scores are choices (a mutation is refused); the notes are free text and reach the write
         fields=["notes", "legality"]),
    Case("claim", "facilitator", lambda p: f"/facilitator/inquiries/{p.id}", lambda p: {},
         post=lambda p: f"/facilitator/inquiries/{p.id}/claim", prepare=_fresh_inquiry, fields=["csrf_token"],
         reach=False),
    Case("forward", "facilitator", lambda p: f"/facilitator/inquiries/{p.id}", lambda p: {
        f"producer-{_rice(None).producer_id}": "1", f"qty-{_rice(None).producer_id}": "1.000", "release_contact": "1"},
         post=lambda p: f"/facilitator/inquiries/{p.id}/forward",
         prepare=lambda accounts: _fresh_inquiry(accounts, claimed=True)),
    Case("facilitator message", "facilitator", lambda p: f"/facilitator/inquiries/{p.id}",
         lambda p: {"body": "Terima kasih, kami proses."}, post=lambda p: f"/facilitator/inquiries/{p.id}/message",
         prepare=lambda accounts: _fresh_inquiry(accounts, claimed=True)),
    Case("facilitator note", "facilitator", lambda p: f"/facilitator/inquiries/{p.id}",
         lambda p: {"kind": "meeting", "body": "Rapat dengan pembeli."},
         post=lambda p: f"/facilitator/inquiries/{p.id}/note",
         prepare=lambda accounts: _fresh_inquiry(accounts, claimed=True)),
    Case("facilitator decline", "facilitator", lambda p: f"/facilitator/inquiries/{p.id}",
         lambda p: {"reason": "Di luar cakupan."}, post=lambda p: f"/facilitator/inquiries/{p.id}/decline",
         prepare=lambda accounts: _fresh_inquiry(accounts, claimed=True)),
    Case("quotation", "facilitator", lambda p: f"/facilitator/inquiries/{p.inquiry_id}", lambda p: {
        f"offer-{p.id}": "y", f"qty-{p.id}": "900", "valid_until": "2099-01-01", "names_producers": "y",
        "note": "Harga loco Metro."}, post=lambda p: f"/facilitator/inquiries/{p.inquiry_id}/quotation",
         prepare=_offered),
    Case("delivery", "facilitator", lambda p: f"/facilitator/contracts/{p.id}", lambda p: {
        "line_id": str(p.lines[0].id), "delivered_on": "2026-01-05", "quantity": "450", "outcome": "accepted",
        "note": "Diterima di gudang."}, post=lambda p: f"/facilitator/contracts/{p.id}/deliveries", prepare=_contract),
    Case("agreement", "admin", "/facilitator/agreements/new", lambda p: {
        "code": f"PKS-{next(_unique)}", "kind": "PKS", "title": "PKS beras", "parties": "Food Station\nGapoktan",
        "starts_on": "2026-01-01", "ends_on": "2026-12-31", "targets-0-category_id": str(category().id),
        "targets-0-volume": "2,5", "targets-0-unit": "ton", "action": "save"}),
    Case("agreement link", "facilitator", lambda p: f"/facilitator/inquiries/{p.id}",
         lambda p: {"agreement_id": str(_agreement().id)}, post=lambda p: f"/facilitator/inquiries/{p.id}/agreement",
         prepare=lambda accounts: _fresh_inquiry(accounts, claimed=True), reach=False),
    Case("new staff account", "admin", "/admin/users/new",
         lambda p: {"name": "Staf Baru", "email": _new_user_email(), "role": "moderator"}),
    Case("role change", "admin", lambda p: f"/admin/users/{p.id}", lambda p: {"role": "facilitator"},
         post=lambda p: f"/admin/users/{p.id}/role", prepare=lambda accounts: _staff(accounts), reach=False),
    Case("officer assignment", "admin", lambda p: f"/admin/users/{p.id}",
         lambda p: {"producer_id": str(_store_b_id()), "op": "add"}, post=lambda p: f"/admin/users/{p.id}/producers",
         prepare=lambda accounts: _staff(accounts, "field_officer"), reach=False),
    Case("moderator scope", "admin", lambda p: f"/admin/users/{p.id}",
         lambda p: {"category_id": str(category().id), "op": "add"}, post=lambda p: f"/admin/users/{p.id}/scope",
         prepare=lambda accounts: _staff(accounts, "moderator"), reach=False),
]


def _agreement():
    from marketplace.models import Agreement

    agreement = db.session.scalar(select(Agreement).where(Agreement.code == "MOU-FUZZ"))
    if agreement is None:
        agreement = Agreement(code="MOU-FUZZ", kind="MoU", title="MoU uji")
        db.session.add(agreement)
        db.session.commit()
    return agreement


def _staff(accounts, role="moderator"):
    from tests.factories import UserFactory

    return UserFactory(email=_new_user_email(), role=role)


def _store_b_id():
    from marketplace.models import Producer

    return db.session.scalar(select(Producer.id).where(Producer.slug == "usaha-b"))


def _target(value, prepared):
    return value(prepared) if callable(value) else value


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_valid_form_with_one_generated_field_never_breaks(app, accounts, no_rate_limit, case):
    client = app.test_client()
    if case.role:
        assert login(client, accounts.by_name(case.role)).status_code == 302
    hidden: dict = {}

    def send(field=None, mutate=None):
        nonlocal client
        prepared = case.prepare(accounts) if case.prepare else None
        if case.name == "login":
            client = app.test_client()  # signed in by the example before
        if not hidden or case.page_each or case.name == "login":
            page = client.get(_target(case.page, prepared))
            assert page.status_code == 200, f"{case.name}: the form's page answered {page.status_code}"
            hidden.update(_hidden(page.get_data(as_text=True)))
            hidden.setdefault("csrf_token", csrf_from(page))
        data = {**hidden, **case.valid(prepared)}
        if field is not None:
            data[field] = mutate(data.get(field, ""))
        before = _row_total()
        response = client.post(_target(case.post or case.page, prepared), data=data)
        wrote = case.wrote(response, before) if case.wrote else _row_total() > before
        return response, wrote, sorted(data)

    response, wrote, names = send()
    assert response.status_code in (302, 303) and wrote, f"{case.name}: the valid form was not stored"
    fields = case.fields or [n for n in names if n not in ("csrf_token", "form_token", "started", "action")]
    reached = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(field=st.sampled_from(fields), value=MUTATION, insert=st.booleans(), at=st.integers(0, 30))
    def one_mutated_field(field, value, insert, at):
        # Either the field's value replaced, or the hostile text slipped into the valid value.
        response, wrote, _names = send(field, lambda valid: valid[:at] + value + valid[at:] if insert else value)
        assert response.status_code in ALLOWED, f"{case.name}: {field}={value!r} answered {response.status_code}"
        if wrote:
            reached.append(field)

    one_mutated_field()
    assert _non_finite_numbers() == []
    if case.reach:
        assert reached, f"{case.name}: no generated example reached the database"
