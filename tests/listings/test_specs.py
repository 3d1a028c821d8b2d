"""Specifications per commodity (marketplace/listings/specs.py, the listing's `specs` field): each one's bounds and
choices, only the listing's own category's, edited in the producer's form, shown in the moderation diff, on the
product page and in the open-data API, and the two the catalog filters on (rice class, meat fresh or frozen)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.listings import editing as listings, fields, specs
from marketplace.models import Product
from tests import htmlq
from tests.conftest import csrf_from, login
from tests.factories import ProductFactory, category

STORY_RICE = {"variety": "Ciherang", "rice_class": "premium", "broken_pct": 12.5, "moisture_pct": 13.5,
              "pack_kg": 25.0}


# ---------------------------------------------------------------- the declaration's checks

def _valid(spec: specs.Spec):
    if spec.type is list:
        return [3, 4]
    if spec.choices is not None:
        return next(iter(spec.choices))
    if spec.type in (float, int):
        return spec.maximum
    return {"npk": "15-15-15"}.get(spec.name, "ABC-123")


def _invalid(spec: specs.Spec) -> list:
    if spec.type is list:
        return [[13], [0], ["Mei"]]
    if spec.choices is not None:
        return ["bukan-pilihan", 3]
    if spec.type in (float, int):
        low = spec.minimum - (0 if spec.above_zero else 1)
        return [spec.maximum + 1, low, "12", float("nan"), True]
    wrong = [("x" * (spec.max_length + 1)), 12]
    return wrong + (["<b>"] if spec.pattern else [])


ALL = [pytest.param(spec, id=spec.name) for spec in specs.BY_NAME.values()]


@pytest.mark.parametrize("spec", ALL)
def test_every_specification_takes_a_value_within_its_declaration(spec):
    assert specs.clean({spec.name: _valid(spec)}) == {spec.name: _valid(spec)}


@pytest.mark.parametrize("spec", ALL)
def test_every_specification_refuses_a_value_outside_its_bounds_or_choices(spec):
    for value in _invalid(spec):
        with pytest.raises(fields.PayloadError):
            fields.clean(fields.PRODUCT, {"specs": {spec.name: value}})


def test_an_unknown_specification_is_refused_and_empty_ones_are_left_out():
    with pytest.raises(fields.PayloadError, match="colour"):
        fields.clean(fields.PRODUCT, {"specs": {"colour": "merah"}})
    assert fields.clean(fields.PRODUCT, {"specs": {"variety": "", "broken_pct": None, "harvest_months": []}}) == {
        "specs": {}}


def test_premium_rice_cannot_claim_more_broken_grains_than_sni_allows():
    with pytest.raises(fields.PayloadError, match="broken_pct"):
        fields.clean(fields.PRODUCT, {"specs": {"rice_class": "premium", "broken_pct": 20}})
    assert specs.clean({"rice_class": "medium", "broken_pct": 20})["broken_pct"] == 20


def test_a_specification_of_another_commodity_is_refused(ctx, accounts):
    eggs = ProductFactory(producer=accounts.producer_a_store, status="draft", category=category("telur"))
    values = listings.product_values(eggs) | {"specs": {"rice_class": "premium"}}
    with pytest.raises(fields.PayloadError, match="rice_class"):
        listings.apply_product_values(eggs, values)
    listings.apply_product_values(eggs, values | {"specs": {"egg_class": "large", "egg_grams": 58}})
    assert eggs.specs == {"egg_class": "large", "egg_grams": 58.0}


def test_a_revision_with_another_commoditys_specification_is_refused(ctx, accounts):
    rice = ProductFactory(producer=accounts.producer_a_store, category=category("beras-serealia"))
    values = listings.product_values(rice) | {"specs": {"meat_state": "frozen"}}
    with pytest.raises(fields.PayloadError):
        listings.save_product(rice.producer, rice, values, accounts.producer_a)


def test_the_filter_columns_follow_the_specifications(ctx, accounts):
    rice = ProductFactory(producer=accounts.producer_a_store, status="draft", category=category("beras-serealia"))
    listings.apply_product_values(rice, listings.product_values(rice) | {"specs": STORY_RICE})
    assert (rice.rice_class, rice.meat_state) == ("premium", None)
    listings.apply_product_values(rice, listings.product_values(rice) | {"specs": {"variety": "IR64"}})
    assert rice.rice_class is None


def test_spec_rows_give_labels_and_values_in_words(app):
    product = Product(specs={**STORY_RICE, "variety": "Ciherang"})
    with app.test_request_context("/?lang=en"):
        rows = specs.spec_rows(product)
    with app.test_request_context("/"):
        rows_id = specs.spec_rows(product)
    assert rows_id == [("Varietas", "Ciherang"), ("Kelas mutu (SNI 6128:2020)", "Premium"), ("Butir patah", "12,5 %"),
                       ("Kadar air", "13,5 %"), ("Ukuran kemasan", "25 kg")]
    assert ("Broken grains", "12.5 %") in rows and ("Pack size", "25 kg") in rows
    with app.test_request_context("/"):
        assert specs.spec_rows(Product(specs={"harvest_months": [5, 6], "produce_grade": "A"})) == [
            ("Grade", "Grade A"), ("Bulan panen", "Mei, Jun")]
        assert specs.spec_rows(Product()) == []


def test_the_demo_gives_its_listings_specifications_of_their_own_commodity(app):
    from marketplace.seed import demo

    rows = demo.load_inventory()
    given = 0
    for row in rows:
        values = demo.demo_specs(row.product, row.nib, __import__("random").Random(row.nib))
        specs.check_commodity(specs.clean(values), row.category)
        given += bool(values)
    assert given >= len(rows) * 0.8
    assert demo.demo_specs("Beras Premium", "9285878682663", None)["rice_class"] == "premium"


# ---------------------------------------------------------------- the producer's form

@pytest.fixture
def producer(app, client, accounts):
    login(client, accounts.producer_a)
    return client


def _form(**changes) -> dict:
    data = {
        "category_id": str(category("beras-serealia").id), "name": "Beras Pandan Wangi", "unit": "kg",
        "tiers-0-min_qty": "100", "tiers-0-price": "12.500", "min_order_qty": "100", "monthly_capacity": "12.500",
        "storage": "ambient", "action": "save", "specs_for": "beras-serealia",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _post(client, url: str, data: dict):
    token = csrf_from(client.get("/dashboard/products/new"))
    return client.post(url, data={**data, "csrf_token": token})


def _draft(accounts, **kwargs) -> Product:
    return ProductFactory(producer=accounts.producer_a_store, status="draft", category=category("beras-serealia"),
                          **kwargs)


def test_the_form_stores_the_rice_specifications_typed_the_indonesian_way(producer, accounts):
    product = _draft(accounts)
    response = _post(producer, f"/dashboard/products/{product.id}/edit", _form(**{
        "specs_beras_serealia-variety": " Ciherang ", "specs_beras_serealia-rice_class": "premium",
        "specs_beras_serealia-broken_pct": "12,5", "specs_beras_serealia-moisture_pct": "13,5",
        "specs_beras_serealia-pack_kg": "25"}))
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Product, product.id)
    assert stored.specs == STORY_RICE and stored.rice_class == "premium"
    doc = htmlq.page(producer.get(f"/dashboard/products/{product.id}/edit"))
    assert htmlq.value(doc, "specs_beras_serealia-broken_pct") == "12,5"
    assert htmlq.value(doc, "specs_beras_serealia-rice_class") == "premium"
    assert htmlq.value(doc, "specs_telur-egg_class") is None  # only the category's own fields are shown


@pytest.mark.parametrize("name, typed, says", [
    ("broken_pct", "101", "0 sampai 100"),
    ("moisture_pct", "-1", "0 sampai 100"),
    ("pack_kg", "0", "lebih dari 0"),
    ("broken_pct", "dua", "Tulis angka"),
])
def test_a_specification_out_of_bounds_is_refused_beside_the_field_and_kept(producer, accounts, name, typed, says):
    product = _draft(accounts)
    response = _post(producer, f"/dashboard/products/{product.id}/edit",
                     _form(**{f"specs_beras_serealia-{name}": typed}))
    assert response.status_code == 200
    doc = htmlq.page(response)
    assert says in htmlq.error_for(doc, f"specs_beras_serealia-{name}")
    assert htmlq.value(doc, f"specs_beras_serealia-{name}") == typed
    db.session.expire_all()
    assert db.session.get(Product, product.id).specs is None


def test_a_choice_that_is_not_offered_is_refused(producer, accounts):
    product = _draft(accounts)
    response = _post(producer, f"/dashboard/products/{product.id}/edit",
                     _form(**{"specs_beras_serealia-rice_class": "super"}))
    assert response.status_code == 200
    assert htmlq.error_for(htmlq.page(response), "specs_beras_serealia-rice_class")


def test_premium_rice_over_the_sni_limit_is_explained_beside_the_figure(producer, accounts):
    product = _draft(accounts)
    response = _post(producer, f"/dashboard/products/{product.id}/edit", _form(**{
        "specs_beras_serealia-rice_class": "premium", "specs_beras_serealia-broken_pct": "20"}))
    assert response.status_code == 200
    assert "14,5 %" in htmlq.error_for(htmlq.page(response), "specs_beras_serealia-broken_pct")


def test_changing_the_category_shows_its_fields_first_and_keeps_what_was_typed(producer, accounts):
    product = _draft(accounts, specs={"variety": "IR64"})
    url = f"/dashboard/products/{product.id}/edit"
    typed = {"specs_beras_serealia-variety": "IR64", "specs_beras_serealia-broken_pct": "999"}
    response = _post(producer, url, _form(category_id=str(category("telur").id), **typed))
    assert response.status_code == 200  # nothing saved, the rice figure not checked against eggs
    doc = htmlq.page(response)
    assert "Kategori diganti" in doc.text()
    assert htmlq.value(doc, "specs_telur-egg_class") == "" and htmlq.value(doc, "specs_for") == "telur"
    assert htmlq.error_for(doc, "specs_beras_serealia-broken_pct") is None
    kept = {n.attrs["name"]: n.attrs["value"] for n in doc.find_all("input", type="hidden")}
    assert kept["specs_beras_serealia-variety"] == "IR64"  # carried along, should the producer change back
    db.session.expire_all()
    assert db.session.get(Product, product.id).category_id == category("beras-serealia").id

    data = htmlq.form_data(doc.by_id("product-form"))
    data.update({"specs_telur-egg_class": "large", "specs_telur-egg_grams": "58", "action": "save"})
    assert producer.post(url, data=data).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Product, product.id)
    assert stored.category_id == category("telur").id and stored.specs == {"egg_class": "large", "egg_grams": 58.0}


def test_a_new_listing_saves_without_specifications_and_then_shows_its_fields(producer):
    response = _post(producer, "/dashboard/products/new", _form(specs_for=None))
    assert response.status_code == 302
    product = db.session.scalars(select(Product).order_by(Product.id.desc())).first()
    assert product.specs in (None, {})
    doc = htmlq.page(producer.get(f"/dashboard/products/{product.id}/edit"))
    assert htmlq.value(doc, "specs_beras_serealia-variety") == ""


def test_show_specifications_renders_the_chosen_categorys_fields_without_saving(producer):
    response = _post(producer, "/dashboard/products/new",
                     _form(specs_for=None, category_id=str(category("daging-unggas").id), action="show_specs"))
    assert response.status_code == 200
    doc = htmlq.page(response)
    assert htmlq.value(doc, "specs_daging_unggas-meat_state") == ""
    assert htmlq.value(doc, "name") == "Beras Pandan Wangi"
    assert db.session.scalar(select(Product.id)) is None


# ---------------------------------------------------------------- moderation, product page, API

def test_the_moderation_diff_shows_the_changed_specifications_in_words(app, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, category=category("beras-serealia"),
                             specs={"variety": "IR64", "rice_class": "medium"})
    values = listings.product_values(product) | {"specs": STORY_RICE}
    listings.save_product(product.producer, product, values, accounts.producer_a)
    listings.submit(product, accounts.producer_a)
    db.session.commit()
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    doc = htmlq.page(moderator.get(f"/moderation/products/{product.id}"))
    [row] = [r for r in doc.find_all("tr", class_="diff-changed") if r.attrs["data-field"] == "specs"]
    live, proposed = row.find("td", class_="diff-live").text(), row.find("td", class_="diff-proposed").text()
    assert "Kelas mutu (SNI 6128:2020): Medium" in live and "Varietas: IR64" in live
    assert "Kelas mutu (SNI 6128:2020): Premium" in proposed and "Butir patah: 12,5 %" in proposed


def test_the_product_page_lists_the_specifications_with_units(client, ctx):
    product = ProductFactory(category=category("beras-serealia"), specs=STORY_RICE)
    doc = htmlq.page(client.get(f"/products/{product.id}"))
    section = doc.by_id("spesifikasi").parent
    pairs = [(d.find("dt").text(), d.find("dd").text()) for d in section.find("dl").find_all("div")]
    assert pairs == [("Varietas", "Ciherang"), ("Kelas mutu (SNI 6128:2020)", "Premium"), ("Butir patah", "12,5 %"),
                     ("Kadar air", "13,5 %"), ("Ukuran kemasan", "25 kg")]
    english = client.get(f"/products/{product.id}?lang=en").get_data(as_text=True)
    assert "Specifications" in english and "12.5 %" in english and "Quality class (SNI 6128:2020)" in english


def test_a_product_without_specifications_shows_no_empty_section(client, ctx):
    product = ProductFactory()
    assert 'id="spesifikasi"' not in client.get(f"/products/{product.id}").get_data(as_text=True)


def test_the_api_gives_typed_specifications_and_documents_them(client, ctx):
    from jsonschema import Draft202012Validator

    ProductFactory(category=category("beras-serealia"), specs=STORY_RICE)
    ProductFactory(category=category("sayur-buah"), specs={"harvest_months": [5, 6], "produce_grade": "A"})
    body = client.get("/api/v1/products").get_json()
    assert sorted((item["specs"] for item in body["items"]), key=len) == [
        {"produce_grade": "A", "harvest_months": [5, 6]}, STORY_RICE]
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["components"]["schemas"]["Product"]["properties"]["specs"]
    assert schema["properties"]["rice_class"]["enum"] == ["premium", "medium"]
    assert schema["properties"]["broken_pct"] == {"type": "number", "minimum": 0, "maximum": 100,
                                                  "description": "beras-serealia; percent"}
    assert schema["additionalProperties"] is False
    params = {p["name"]: p for p in spec["paths"]["/products"]["get"]["parameters"]}
    assert params["rice_class"]["schema"]["enum"] == ["premium", "medium"]
    assert params["meat"]["schema"]["enum"] == ["fresh", "frozen"]
    pointer = "#/paths/~1products/get/responses/200/content/application~1json/schema"
    assert list(Draft202012Validator({**spec, "$ref": pointer}).iter_errors(body)) == []


# ---------------------------------------------------------------- the catalog's filters

@pytest.fixture
def stocked(ctx):
    rice, meat = category("beras-serealia"), category("daging-unggas")
    ProductFactory(name="Beras Satu", category=rice, specs={"rice_class": "premium"})
    ProductFactory(name="Beras Dua", category=rice, specs={"rice_class": "premium", "variety": "IR64"})
    ProductFactory(name="Beras Tiga", category=rice, specs={"rice_class": "medium"})
    ProductFactory(name="Beras Empat", category=rice)
    ProductFactory(name="Daging Segar", category=meat, specs={"meat_state": "fresh"})
    ProductFactory(name="Daging Beku", category=meat, specs={"meat_state": "frozen"})
    ProductFactory(name="Telur", category=category("telur"))


def _total(html: str) -> int:
    return int(re.search(r'id="results-count"[^>]*>([\d.]+) produk', html).group(1))


def _option(html: str, select_id: str, value: str) -> str:
    doc = htmlq.parse(html)
    return next(o.text() for o in doc.by_id(select_id).find_all("option") if o.attrs.get("value") == value)


def test_the_rice_class_filter_narrows_the_catalog_and_counts_each_class(client, stocked):
    plain = client.get("/products").get_data(as_text=True)
    assert _total(plain) == 7
    assert _option(plain, "f-rice-class", "premium") == "Premium"  # counted once the list is rice (or by class)
    rice = client.get("/products?category=beras-serealia").get_data(as_text=True)
    assert _total(rice) == 4
    assert _option(rice, "f-rice-class", "premium") == "Premium (2)"
    assert _option(rice, "f-rice-class", "medium") == "Medium (1)"
    premium = client.get("/products?rice_class=premium").get_data(as_text=True)
    assert _total(premium) == 2 and "Beras Satu" in premium and "Beras Tiga" not in premium
    assert "Beras Premium" in premium  # the chip that removes it
    medium = client.get("/products?rice_class=medium").get_data(as_text=True)  # its own cache entry
    assert _total(medium) == 1 and "Beras Tiga" in medium
    assert _option(medium, "f-rice-class", "premium") == "Premium (2)"  # the alternatives stay counted
    assert _total(client.get("/products?rice_class=basmati").get_data(as_text=True)) == 7  # left out, no error


def test_the_meat_filter_narrows_the_catalog_and_the_api(client, stocked):
    frozen = client.get("/products?meat=frozen").get_data(as_text=True)
    assert _total(frozen) == 1 and "Daging Beku" in frozen and "Daging Segar" not in frozen
    assert _option(frozen, "f-meat", "fresh") == "Segar (dingin) (1)"
    assert _total(client.get("/products?meat=fresh&category=daging-unggas").get_data(as_text=True)) == 1
    body = client.get("/api/v1/products?meat=fresh").get_json()
    assert [item["name"] for item in body["items"]] == ["Daging Segar"]
    assert client.get("/api/v1/products?rice_class=premium").get_json()["total"] == 2


def test_a_filter_count_follows_an_approved_change(client, ctx, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, category=category("beras-serealia"))
    assert _total(client.get("/products?rice_class=premium").get_data(as_text=True)) == 0
    listings.save_product(product.producer, product,
                          listings.product_values(product) | {"specs": {"rice_class": "premium"}}, accounts.producer_a)
    listings.submit(product, accounts.producer_a)
    db.session.commit()
    assert _total(client.get("/products?rice_class=premium").get_data(as_text=True)) == 0  # waits for review
    from marketplace.listings import review

    review.approve(product, accounts.moderator)
    db.session.commit()
    assert _total(client.get("/products?rice_class=premium").get_data(as_text=True)) == 1
