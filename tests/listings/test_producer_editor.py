"""The listing editor as a producer uses it: numbers typed the Indonesian way, errors next to the
field with what was typed kept, extra fields ignored, and the draft → review → archive buttons."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import AuditEvent, Product
from tests import htmlq
from tests.conftest import csrf_from, login
from tests.factories import CertificateFactory, ProductFactory, category


@pytest.fixture
def producer(app, client, accounts):
    login(client, accounts.producer_a)
    return client


def _form(**changes) -> dict:
    data = {
        "category_id": str(category("beras-serealia").id), "name": "Beras Pandan Wangi", "unit": "kg",
        "tiers-0-min_qty": "100", "tiers-0-price": "12.500", "tiers-1-min_qty": "", "tiers-1-price": "",
        "tiers-2-min_qty": "", "tiers-2-price": "", "min_order_qty": "100", "monthly_capacity": "12.500",
        "storage": "ambient", "description": "Beras premium dari Metro Utara.", "action": "save",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _post(client, url: str, data: dict, **kwargs):
    token = csrf_from(client.get("/dashboard/products/new"))
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def _products() -> list[Product]:
    db.session.expire_all()
    return list(db.session.scalars(select(Product).order_by(Product.id)))


# ---------------------------------------------------------------- numbers

def test_tiers_typed_the_indonesian_way_are_stored_as_numbers_in_order(producer):
    response = _post(producer, "/dashboard/products/new", _form(**{
        "tiers-0-min_qty": "1.000", "tiers-0-price": "10.500",
        "tiers-1-min_qty": "2,5", "tiers-1-price": "Rp 12.500",
        "tiers-2-min_qty": "100", "tiers-2-price": "11.000",
        "min_order_qty": "2,5", "monthly_capacity": "12.500",
    }))
    assert response.status_code == 302
    [product] = _products()
    assert [(t.min_qty, t.price) for t in product.price_tiers] == [(2.5, 12500), (100, 11000), (1000, 10500)]
    assert product.price_min == 10500
    assert (product.min_order_qty, product.monthly_capacity) == (2.5, 12500)


def test_the_editor_shows_stored_numbers_the_indonesian_way(producer, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, status="draft", monthly_capacity=12500,
                             min_order_qty=2.5, price=[(2.5, 12500), (1000, 10500)])
    doc = htmlq.page(producer.get(f"/dashboard/products/{product.id}/edit"))
    assert htmlq.value(doc, "monthly_capacity") == "12.500"
    assert htmlq.value(doc, "min_order_qty") == "2,5"
    assert [htmlq.value(doc, f"tiers-{i}-min_qty") for i in range(2)] == ["2,5", "1.000"]
    assert [htmlq.value(doc, f"tiers-{i}-price") for i in range(2)] == ["12.500", "10.500"]


def test_price_on_request_stores_no_tiers_and_no_price(producer):
    _post(producer, "/dashboard/products/new", _form(price_on_request="y", **{"tiers-0-min_qty": "", "tiers-0-price": ""}))
    [product] = _products()
    assert product.price_on_request and product.price_tiers == [] and product.price_min is None


def test_price_on_request_ignores_a_half_typed_price_row(producer):
    response = _post(producer, "/dashboard/products/new", _form(price_on_request="y", **{"tiers-0-price": ""}))
    assert response.status_code == 302
    [product] = _products()
    assert product.price_on_request and product.price_tiers == []


# ---------------------------------------------------------------- errors next to the field

@pytest.mark.parametrize("changes, field_id, message", [
    ({"name": ""}, "name", "Wajib diisi."),
    ({"monthly_capacity": "banyak"}, "monthly_capacity", "Tulis angka, misalnya 12.500 atau 2,5."),
    ({"min_order_qty": "0"}, "min_order_qty", "Angka harus lebih besar dari nol."),
])
def test_a_field_error_is_shown_next_to_the_field_and_the_typed_values_are_kept(producer, changes, field_id, message):
    response = _post(producer, "/dashboard/products/new", _form(**changes, grade="Premium",
                                                                 **{"tiers-1-min_qty": "1.000", "tiers-1-price": "11.750"}))
    assert response.status_code == 200
    doc = htmlq.page(response)
    assert htmlq.error_for(doc, field_id) == message
    assert doc.by_id(field_id).attrs.get("aria-invalid") == "true"
    for name, typed in {**_form(**changes), "grade": "Premium", "tiers-1-min_qty": "1.000",
                        "tiers-1-price": "11.750"}.items():
        if name not in ("action", "category_id", "unit", "storage"):
            assert htmlq.value(doc, name) == typed, name
    assert htmlq.value(doc, "category_id") == str(category("beras-serealia").id)
    assert _products() == []


@pytest.mark.parametrize("changes, message", [
    ({"tiers-1-min_qty": "500", "tiers-1-price": ""}, "Setiap baris harga perlu jumlah dan harga."),
    ({"tiers-1-min_qty": "100", "tiers-1-price": "11.000"}, "Jumlah pada setiap baris harga harus berbeda."),
    ({"tiers-0-min_qty": "", "tiers-0-price": ""}, "Isi setidaknya satu harga, atau pilih “Harga sesuai permintaan”."),
    ({"tiers-0-min_qty": "seratus"}, "Tulis angka, misalnya 12.500 atau 2,5."),
    # The tier rules (listings/pricing.tier_problems), each with the row it is about and why.
    ({"tiers-1-min_qty": "1.000", "tiers-1-price": "13.000"},
     "Harga mulai 1 ton lebih tinggi dari baris sebelumnya: harga untuk pesanan yang lebih besar tidak boleh naik."),
    ({"tiers-1-min_qty": "20.000", "tiers-1-price": "11.000"},
     "Baris harga mulai 20 ton melebihi kapasitas produksi per bulan (12,5 ton): pesanan sebesar itu tidak bisa "
     "Anda penuhi."),
    ({"tiers-0-min_qty": "50", "tiers-1-min_qty": "1.000", "tiers-1-price": "11.000"},
     "Baris harga pertama harus mulai dari minimal pemesanan (100 kg), bukan 50 kg: itulah harga yang dilihat "
     "pembeli di katalog."),
])
def test_a_price_tier_problem_is_shown_beside_the_tiers_with_the_rows_kept(producer, changes, message):
    response = _post(producer, "/dashboard/products/new", _form(**changes))
    assert response.status_code == 200
    doc = htmlq.page(response)
    section = doc.by_id("s-harga").parent
    assert message in section.text()
    for name in ("tiers-0-min_qty", "tiers-0-price", "tiers-1-min_qty", "tiers-1-price"):
        assert htmlq.value(doc, name) == _form(**changes)[name]
    assert _products() == []


def test_tiers_typed_in_any_order_are_checked_in_quantity_order_and_the_same_price_may_repeat(producer):
    response = _post(producer, "/dashboard/products/new", _form(**{
        "tiers-0-min_qty": "1.000", "tiers-0-price": "12.000", "tiers-1-min_qty": "100", "tiers-1-price": "12.500",
        "tiers-2-min_qty": "5.000", "tiers-2-price": "12.000"}))
    assert response.status_code == 302
    [product] = _products()
    assert [(t.min_qty, t.price) for t in product.price_tiers] == [(100, 12500), (1000, 12000), (5000, 12000)]
    assert (product.price_moq, product.price_min) == (12500, 12000)


def test_the_tier_rules_name_an_english_page_in_english(producer):
    response = _post(producer, "/dashboard/products/new?lang=en",
                     _form(**{"tiers-1-min_qty": "20.000", "tiers-1-price": "11.000"}))
    text = htmlq.page(response).text()
    assert "The price tier from 20 tonnes is above the monthly capacity (12.5 tonnes)" in text


def test_a_tier_row_with_a_quantity_and_no_price_marks_that_price_field(producer):
    response = _post(producer, "/dashboard/products/new", _form(**{"tiers-1-min_qty": "500", "tiers-1-price": ""}))
    doc = htmlq.page(response)
    assert htmlq.error_for(doc, "tiers-1-price") == "Setiap baris harga perlu jumlah dan harga."
    assert htmlq.error_for(doc, "tiers-0-price") is None


def test_live_animals_need_a_health_certificate(producer, accounts):
    halal = CertificateFactory(producer=accounts.producer_a_store, kind="halal")
    response = _post(producer, "/dashboard/products/new", _form(
        name="Sapi Bali", unit="ekor", storage="live", category_id=str(category("daging-unggas").id),
        certificate_ids=str(halal.id)))
    assert response.status_code == 200
    doc = htmlq.page(response)
    assert "Hewan hidup wajib disertai sertifikat kesehatan (SKKH atau NKV)" in htmlq.error_for(doc, "certificate_ids")
    assert htmlq.checked(doc, "certificate_ids") == [str(halal.id)]
    assert htmlq.value(doc, "storage") == "live"
    assert _products() == []


def test_live_animals_with_an_skkh_are_accepted(producer, accounts):
    skkh = CertificateFactory(producer=accounts.producer_a_store, kind="skkh", number="SKKH-01")
    response = _post(producer, "/dashboard/products/new", _form(
        name="Sapi Bali", unit="ekor", storage="live", category_id=str(category("daging-unggas").id),
        certificate_ids=str(skkh.id)))
    assert response.status_code == 302
    [product] = _products()
    assert [c.kind for c in product.certificates] == ["skkh"]


def test_live_animals_without_any_certificate_on_the_storefront_get_the_message_too(producer):
    response = _post(producer, "/dashboard/products/new", _form(
        name="Sapi Bali", unit="ekor", storage="live", category_id=str(category("daging-unggas").id)))
    assert response.status_code == 200
    assert "SKKH atau NKV" in response.get_data(as_text=True)
    assert _products() == []


def test_a_certificate_of_another_producer_cannot_be_attached(producer, accounts):
    theirs = CertificateFactory(producer=accounts.producer_b_store, kind="skkh")
    response = _post(producer, "/dashboard/products/new", _form(certificate_ids=str(theirs.id)))
    assert response.status_code == 200  # not one of the choices
    assert _products() == []


# ---------------------------------------------------------------- "Tambah baris harga"

def test_add_price_row_adds_a_row_and_saves_nothing(producer):
    data = _form(action="add_tier", **{"tiers-1-min_qty": "1.000", "tiers-1-price": "11.000",
                                       "tiers-2-min_qty": "5.000", "tiers-2-price": "10.000"})
    response = _post(producer, "/dashboard/products/new", data)
    assert response.status_code == 200
    doc = htmlq.page(response)
    assert htmlq.value(doc, "tiers-3-min_qty") == "" and htmlq.value(doc, "tiers-3-price") == ""
    assert [htmlq.value(doc, f"tiers-{i}-price") for i in range(3)] == ["12.500", "11.000", "10.000"]
    assert htmlq.value(doc, "name") == "Beras Pandan Wangi"
    assert doc.find(class_="alert alert-danger") is None  # no errors shown for a form not yet sent
    assert _products() == []
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.object_type == "product")) == 0


def test_add_price_row_stops_at_ten_rows(producer):
    rows = {f"tiers-{i}-{part}": str(v) for i in range(10)
            for part, v in (("min_qty", (i + 1) * 100), ("price", 20000 - i * 500))}
    response = _post(producer, "/dashboard/products/new", _form(action="add_tier", **rows))
    assert response.status_code == 200
    doc = htmlq.page(response)
    assert htmlq.value(doc, "tiers-9-price") == "15500" and htmlq.value(doc, "tiers-10-price") is None
    assert doc.find("button", value="add_tier") is None  # the button goes once the rows are all there
    assert _products() == []


def test_add_price_row_on_an_existing_product_changes_nothing_stored(producer, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, status="draft", name="Beras Lama")
    response = _post(producer, f"/dashboard/products/{product.id}/edit", _form(action="add_tier", name="Beras Baru"))
    assert response.status_code == 200
    assert htmlq.value(htmlq.page(response), "tiers-3-min_qty") == ""
    assert [p.name for p in _products()] == ["Beras Lama"]


# ---------------------------------------------------------------- fields that are not the producer's to set

def test_extra_post_fields_are_ignored_on_create(producer, accounts):
    _post(producer, "/dashboard/products/new", _form(
        status="published", producer_id=str(accounts.producer_b_store.id), featured="1", price_min="1",
        curation_grade="A", published_at="2020-01-01", id="999"))
    [product] = _products()
    assert product.status == "draft" and product.producer_id == accounts.producer_a_store.id
    assert product.featured is False and product.price_min == 12500 and product.curation_grade is None
    assert product.published_at is None and product.id != 999


def test_extra_post_fields_are_ignored_on_edit(producer, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, status="draft")
    _post(producer, f"/dashboard/products/{product.id}/edit", _form(
        status="published", producer_id=str(accounts.producer_b_store.id), featured="1", price_min="1",
        curation_grade="A"))
    [stored] = _products()
    assert (stored.status, stored.producer_id, stored.featured, stored.price_min, stored.curation_grade) == \
        ("draft", accounts.producer_a_store.id, False, 12500, None)


# ---------------------------------------------------------------- draft → review → back → archive

def _action(client, product_id: int, action: str):
    token = csrf_from(client.get(f"/dashboard/products/{product_id}/edit"))
    return client.post(f"/dashboard/products/{product_id}/{action}", data={"csrf_token": token},
                       follow_redirects=True)


def test_save_draft_then_submit_then_withdraw_then_archive(producer, client):
    response = _post(producer, "/dashboard/products/new", _form(), follow_redirects=True)
    [product] = _products()
    assert product.status == "draft"
    assert "disimpan sebagai draf" in response.get_data(as_text=True)

    response = _post(producer, f"/dashboard/products/{product.id}/edit", _form(action="submit"), follow_redirects=True)
    assert _products()[0].status == "pending"
    assert "Menunggu peninjauan" in response.get_data(as_text=True)
    assert "Menunggu peninjauan" in producer.get("/dashboard/products").get_data(as_text=True)

    response = _action(producer, product.id, "withdraw")
    assert _products()[0].status == "draft"
    assert "ditarik kembali menjadi draf" in response.get_data(as_text=True)

    response = _action(producer, product.id, "archive")
    assert _products()[0].status == "archived"
    assert "diarsipkan" in response.get_data(as_text=True)


def test_an_archived_product_is_not_public(producer, client, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, name="Beras Arsip")
    assert client.get(f"/products/{product.id}").status_code == 200
    _action(producer, product.id, "archive")
    assert _products()[0].status == "archived"
    anonymous = client.application.test_client()
    assert anonymous.get(f"/products/{product.id}").status_code == 404
    assert "Beras Arsip" not in anonymous.get("/products?q=arsip").get_data(as_text=True)
    assert anonymous.get("/api/v1/products").get_json()["total"] == 0
    assert "Beras Arsip" not in anonymous.get(f"/producers/{accounts.producer_a_store.slug}").get_data(as_text=True)


def test_submitting_a_new_product_straight_from_the_form_sends_it_for_review(producer):
    response = _post(producer, "/dashboard/products/new", _form(action="submit"), follow_redirects=True)
    [product] = _products()
    assert product.status == "pending"
    assert "Menunggu peninjauan" in response.get_data(as_text=True)


def test_a_producer_with_an_unconfirmed_email_cannot_submit_and_keeps_the_edit(producer, accounts):
    accounts.producer_a.email_confirmed_at = None
    db.session.commit()
    product = ProductFactory(producer=accounts.producer_a_store, status="draft", name="Beras Lama")
    response = _post(producer, f"/dashboard/products/{product.id}/edit", _form(action="submit", name="Beras Baru"),
                     follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Konfirmasi email Anda dulu sebelum mengirim untuk ditinjau." in page
    [stored] = _products()
    assert (stored.status, stored.name) == ("draft", "Beras Baru")
    assert htmlq.value(htmlq.page(response), "name") == "Beras Baru"


def test_a_producer_with_an_unconfirmed_email_cannot_submit_with_the_button_either(producer, accounts):
    accounts.producer_a.email_confirmed_at = None
    db.session.commit()
    product = ProductFactory(producer=accounts.producer_a_store, status="draft")
    response = _action(producer, product.id, "submit")
    assert "Konfirmasi email Anda dulu" in response.get_data(as_text=True)
    assert _products()[0].status == "draft"


# ---------------------------------------------------------------- whatever is typed, never a 500

def test_control_characters_are_dropped_from_what_is_typed(producer):
    """PostgreSQL refuses NUL in text; it must never reach the database (nor a 500 the producer)."""
    response = _post(producer, "/dashboard/products/new", _form(
        name="Beras\x00 Pandan\x07", description="Baris satu\r\nBaris\tdua\x00", grade="A\x1b", packaging="\x00"))
    assert response.status_code == 302
    [product] = _products()
    assert (product.name, product.description, product.grade, product.packaging) == \
        ("Beras Pandan", "Baris satu\r\nBaris\tdua", "A", "")


def test_control_characters_are_dropped_from_the_storefront(producer, accounts):
    accounts.producer_a_store.status = "draft"
    db.session.commit()
    token = csrf_from(producer.get("/dashboard/storefront"))
    response = producer.post("/dashboard/storefront", data={
        "csrf_token": token, "name": "Usaha\x00 A", "owner_name": "Sri\x00", "kelurahan": "Imopuro",
        "certificates-0-kind": "halal", "certificates-0-number": "ID\x00123", "certificates-0-issuer": "\x00",
        "action": "save"})
    assert response.status_code == 302
    db.session.expire_all()
    store = db.session.get(type(accounts.producer_a_store), accounts.producer_a_store.id)
    assert (store.name, store.owner_name, [c.number for c in store.certificates]) == ("Usaha A", "Sri", ["ID123"])


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "0", "-1", "12.500", "2,5", "1.2.3", "1e9", "NaN", "inf", "9" * 30, "Rp 12.500",
                     "<script>alert(1)</script>", "\x00", "１２", "٣", "12,500.00", "0,0"]),
)
_EDITOR_FIELDS = st.fixed_dictionaries({}, optional={
    "name": _TEXT, "category_id": _TEXT, "unit": _TEXT, "storage": _TEXT, "price_on_request": _TEXT,
    "tiers-0-min_qty": _TEXT, "tiers-0-price": _TEXT, "tiers-1-min_qty": _TEXT, "tiers-1-price": _TEXT,
    "tiers-99-min_qty": _TEXT, "min_order_qty": _TEXT, "monthly_capacity": _TEXT, "lead_time_days": _TEXT,
    "shelf_life_days": _TEXT, "available_months": _TEXT, "certificate_ids": _TEXT, "grade": _TEXT,
    "action": st.sampled_from(["save", "submit", "add_tier", "", "publish"]),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=_EDITOR_FIELDS)
def test_generated_input_never_breaks_the_product_editor(producer, values):
    response = _post(producer, "/dashboard/products/new", _form(**values))
    assert response.status_code in (200, 302)
    for product in _products():
        tiers = [(t.min_qty, t.price) for t in product.price_tiers]
        assert product.status in ("draft", "pending")
        assert len({q for q, _ in tiers}) == len(tiers) and all(q > 0 and p > 0 for q, p in tiers)
        assert product.price_min == (None if product.price_on_request or not tiers else min(p for _, p in tiers))
        assert product.monthly_capacity > 0 and product.min_order_qty > 0


_STOREFRONT_FIELDS = st.fixed_dictionaries({}, optional={
    "name": _TEXT, "owner_name": _TEXT, "kelurahan": _TEXT, "phone": _TEXT, "email": _TEXT, "website": _TEXT,
    "founded_year": _TEXT, "workforce": _TEXT, "certificates-0-kind": _TEXT, "certificates-0-number": _TEXT,
    "certificates-0-valid_until": _TEXT, "certificates-0-id": _TEXT, "certificates-0-remove": _TEXT,
    "action": st.sampled_from(["save", "submit", "add_certificate", ""]),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=_STOREFRONT_FIELDS)
def test_generated_input_never_breaks_the_storefront_editor(producer, values):
    token = csrf_from(producer.get("/dashboard/storefront"))
    base = {"name": "Usaha A", "owner_name": "Sri", "kelurahan": "Imopuro", "certificates-0-kind": "halal"}
    response = producer.post("/dashboard/storefront", data={**base, **values, "csrf_token": token})
    assert response.status_code in (200, 302)
