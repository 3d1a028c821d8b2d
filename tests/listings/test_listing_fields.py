"""The one declaration of a storefront's and a listing's fields (marketplace/listings/fields.py) and what is
derived from it: the revision payload, the moderation diff, the API and its OpenAPI document, the seeders."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from marketplace.extensions import db
from marketplace.listings import fields
from marketplace.models import Certificate, PriceTier, Producer, Product, Revision
from marketplace.listings import editing as listings
from tests import htmlq
from tests.conftest import login
from tests.factories import CertificateFactory, ProductFactory, category

PARTS = {"price_tier": (PriceTier, fields.PRICE_TIER), "certificate": (Certificate, fields.CERTIFICATE)}


# ------------------------------------------------------------------ every column is declared or named

@pytest.mark.parametrize("model, entity", [(Product, fields.PRODUCT), (Producer, fields.PRODUCER)])
def test_every_column_of_an_entity_is_declared_or_a_named_system_column(model, entity):
    columns = {c.key for c in inspect(model).columns}
    declared = set(entity.columns)
    system = set(fields.SYSTEM_COLUMNS[entity.table])
    assert columns - declared - system == set(), "declare the new column in marketplace/listings/fields.py"
    assert (declared | system) - columns == set(), "a declared or system name that is no column"
    assert declared & system == set()


@pytest.mark.parametrize("table", sorted(PARTS))
def test_every_column_of_a_part_is_declared_or_a_named_system_column(table):
    model, part = PARTS[table]
    columns = {c.key for c in inspect(model).columns}
    declared = {f.name for f in part.fields}
    assert columns == declared | set(fields.SYSTEM_COLUMNS[table])
    assert declared & set(fields.SYSTEM_COLUMNS[table]) == set()


# ------------------------------------------------------------------ the revision payload

@pytest.fixture
def published(accounts):
    return ProductFactory(producer=accounts.producer_a_store, name="Beras Pandan Wangi", monthly_capacity=5000)


@pytest.mark.parametrize("change", [
    {"monthly_capacity": -5},
    {"name": "x" * 161},
    {"unit": "gallon"},
    {"featured": True},
    {"status": "published"},
    {"tiers": [[10, "murah"]]},
])
def test_a_revision_that_does_not_fit_the_declaration_is_refused_and_nothing_is_kept(accounts, published, change):
    values = listings.product_values(published) | change
    with pytest.raises(fields.PayloadError):
        listings.save_product(published.producer, published, values, accounts.producer_a)
    db.session.rollback()
    assert db.session.scalars(select(Revision)).all() == []
    assert db.session.get(Product, published.id).featured is False


def test_a_stored_revision_holds_the_declared_types(accounts, published):
    values = listings.product_values(published) | {"monthly_capacity": 7000, "lead_time_days": 3.0}
    listings.save_product(published.producer, published, values, accounts.producer_a)
    db.session.commit()
    data = db.session.scalar(select(Revision)).data
    assert set(data) <= {f.name for f in fields.PRODUCT.revisioned}
    assert isinstance(data["monthly_capacity"], float) and data["lead_time_days"] == 3
    assert isinstance(data["lead_time_days"], int)


def test_a_draft_storefront_refuses_an_undeclared_key(accounts):
    store = accounts.producer_a_store
    store.status = "draft"  # set directly: the test prepares a record, it does not move a state
    db.session.commit()
    with pytest.raises(fields.PayloadError):
        listings.save_storefront(store, listings.producer_values(store) | {"curated": True}, accounts.producer_a)
    db.session.rollback()
    assert db.session.get(Producer, store.id).curated is False


# ------------------------------------------------------------------ the moderation diff

def _product_changes(product: Product) -> dict:
    """A different value for every revisioned field of a listing (a new field needs one here)."""
    halal = CertificateFactory(producer=product.producer, kind="halal", number="ID0001")
    return {
        "category_id": category("sayur-buah").id,
        "name": "Beras Merah Organik",
        "description": "Ditanam tanpa pestisida.",
        "name_en": "Organic Red Rice",
        "description_en": "Grown without pesticides.",
        "unit": "ton",
        "kg_per_unit": 50,
        "price_on_request": True,
        "tiers": [[100, 12000], [500, 11500]],
        "price_basis": "franco_incl",
        "min_order_qty": 250,
        "monthly_capacity": 8000,
        "lead_time_days": 9,
        "grade": "Super",
        "shelf_life_days": 180,
        "packaging": "Karung 25 kg",
        "storage": "chilled",
        "available_months": 0b111,
        "delivery_terms": "Truk ke Pasar Induk Kramat Jati",
        "certificate_ids": [halal.id],
        "photo_keys": ["not-shown-as-a-row"],
        "specs": {"variety": "Ciherang", "rice_class": "premium"},
    }


PRODUCER_CHANGES = {
    "name": "Gapoktan Sumber Rejeki",
    "owner_name": "Budi Santoso",
    "description": "Kelompok tani sejak 1998.",
    "description_en": "A farmers' group since 1998.",
    "kelurahan": "Yosomulyo",
    "address": "Jl. Jenderal Sudirman 5",
    "phone": "+6281299998888",
    "email": "baru@contoh.id",
    "website": "https://contoh.id",
    "founded_year": 1998,
    "workforce": 42,
    "certificates": [{"id": None, "kind": "pirt", "number": "P-IRT 123", "issuer": "Dinkes",
                      "valid_until": "2030-01-01"}],
}


def _changed_rows(client, path: str) -> dict[str, str]:
    page = htmlq.parse(client.get(path).get_data(as_text=True))
    return {row.attrs["data-field"]: row.text() for row in page.find_all("tr", class_="diff-changed")}


def _row_of(entity: fields.Entity, name: str) -> str:
    target = entity[name].diff
    return target if isinstance(target, str) else name


def test_the_review_page_shows_a_change_to_every_revisioned_listing_field(app, accounts, published):
    changes = _product_changes(published)
    assert set(changes) == {f.name for f in fields.PRODUCT.revisioned}, "give the new field a changed value here"
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    listings.save_product(published.producer, published, listings.product_values(published), accounts.producer_a)
    listings.submit(published, accounts.producer_a)
    db.session.commit()
    live = listings.product_values_live(published) | {"photo_keys": []}
    for name, value in changes.items():
        revision = listings.open_revision(published)
        revision.data = fields.clean(fields.PRODUCT, live | {name: value})
        db.session.commit()
        rows = _changed_rows(moderator, f"/moderation/products/{published.id}")
        if fields.PRODUCT[name].diff is False:
            assert rows == {}, name  # photos are shown as pictures beside the table
            continue
        row = _row_of(fields.PRODUCT, name)
        # the unit's row, and the quantities and prices written in that unit
        assert set(rows) == ({row, "min_order_qty", "monthly_capacity", "tiers"} if name == "unit" else {row}), name
        assert str(fields.PRODUCT[row].label) in rows[row]


def test_the_review_page_shows_a_change_to_every_revisioned_storefront_field(app, accounts):
    store = accounts.producer_a_store
    assert set(PRODUCER_CHANGES) == {f.name for f in fields.PRODUCER.revisioned}, "give the new field a value here"
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    listings.save_storefront(store, listings.producer_values(store), accounts.producer_a)
    listings.submit(store, accounts.producer_a)
    db.session.commit()
    live = listings.producer_values_live(store)
    for name, value in PRODUCER_CHANGES.items():
        revision = listings.open_revision(store)
        revision.data = fields.clean(fields.PRODUCER, live | {name: value})
        db.session.commit()
        rows = _changed_rows(moderator, f"/moderation/producers/{store.id}")
        assert set(rows) == {name}, name
        assert str(fields.PRODUCER[name].label) in rows[name]


# ------------------------------------------------------------------ the API and its OpenAPI document

def _validator(spec: dict, path: str):
    from jsonschema import Draft202012Validator

    pointer = f"#/paths/{path.replace('/', '~1')}/get/responses/200/content/application~1json/schema"
    return Draft202012Validator({**spec, "$ref": pointer})


@pytest.fixture
def varied(accounts):
    """A priced, certified product of a curated producer and a bare one on request: nullable fields both ways."""
    store = accounts.producer_a_store
    store.curated, store.founded_year = True, 2001
    certificate = CertificateFactory(producer=store, kind="halal")
    priced = ProductFactory(producer=store, lead_time_days=5, grade="A")
    priced.certificates.append(certificate)
    db.session.commit()
    ProductFactory(price=[], price_on_request=True, grade="", lead_time_days=None)


@pytest.mark.parametrize("path, entity, component", [
    ("/products", fields.PRODUCT, "Product"), ("/producers", fields.PRODUCER, "Producer")])
def test_real_responses_match_the_generated_document_field_for_field(client, varied, path, entity, component):
    spec = client.get("/api/v1/openapi.json").get_json()
    body = client.get(f"/api/v1{path}").get_json()
    assert body["total"] == 2
    assert [e.message for e in _validator(spec, path).iter_errors(body)] == []
    declared = {f.api.key or f.name for f in entity.api_fields} | {c.key for c in entity.computed}
    assert set(spec["components"]["schemas"][component]["properties"]) == declared
    for item in body["items"]:
        assert set(item) == declared  # every declared API field appears, and nothing else


def test_a_field_not_declared_for_the_api_never_reaches_it(client, varied):
    """Private contact details and the moderator's fields stay out of the open data."""
    body = client.get("/api/v1/producers").get_json()
    for name in ("phone", "email", "owner_name", "address", "nib", "status"):
        assert all(name not in item for item in body["items"])
    assert not any(f.api for f in fields.PRODUCER.fields if not f.public)


@pytest.mark.parametrize("path", ["/products", "/producers"])
def test_the_documented_query_parameters_are_the_declared_filters(client, path):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = [p["name"] for p in spec["paths"][path]["get"]["parameters"]]
    declared = [f.param for f in fields.filters_for(path.strip("/"))]
    assert documented == ["q", *declared, *(["sort", "exact"] if path == "/products" else []), "page", "per_page"]
    assert "curated" in declared


@pytest.mark.parametrize("path", ["/products", "/producers"])
def test_every_declared_filter_narrows_the_list(client, accounts, path):
    """One matching record and one that differs in every filtered field: each filter keeps only the first."""
    store = accounts.producer_a_store
    store.curated = True
    halal = CertificateFactory(producer=store, kind="halal", status="verified")
    # Premium rice, and frozen meat too (the factory skips the category check), so one record matches every filter.
    match = ProductFactory(producer=store, monthly_capacity=9000, category=category("beras-serealia"),
                           specs={"rice_class": "premium", "meat_state": "frozen"})
    match.certificates.append(halal)
    db.session.commit()
    other = ProductFactory(monthly_capacity=10, category=category("sayur-buah"))
    other.producer.kecamatan = "metro-utara"
    db.session.commit()
    samples = {"category": "beras-serealia", "min_capacity": "1000", "min_spare": "1000", "kecamatan": "metro-pusat",
               "curated": "1",
               "cert": "halal", "cert_verified": "1", "rice_class": "premium", "meat": "frozen"}
    for f in fields.filters_for(path.strip("/")):
        body = client.get(f"/api/v1{path}", query_string={f.param: samples[f.param]}).get_json()
        assert body["total"] == 1, f.param


# ------------------------------------------------------------------ the scale seeder's columns

def test_the_seeder_writes_every_declared_and_system_column_and_fills_defaults():
    from marketplace.seed.scale import declared_rows

    table, columns, rows = declared_rows(fields.PRODUCT, Product, [{
        "id": 1, "producer_id": 1, "category_id": 1, "name": "Beras", "slug": "beras", "unit": "kg",
        "price_min": None, "status": "published", "published_at": None, "submitted_at": None,
        "created_at": None, "updated_at": None, "lead_time_days": None, "shelf_life_days": None,
    }])
    assert table == "product" and set(columns) == {c.key for c in inspect(Product).columns}
    row = dict(zip(columns, next(rows)))
    assert (row["storage"], row["featured"], row["curation_grade"], row["grade"]) == ("ambient", False, None, "")


def test_the_seeder_refuses_a_column_that_is_not_declared():
    from marketplace.seed.scale import declared_rows

    _, _, rows = declared_rows(fields.PRODUCER, Producer, [{"id": 1, "colour": "red"}])
    with pytest.raises(ValueError, match="colour"):
        next(rows)
