"""Open data: /api/v1/products and /api/v1/producers, and the OpenAPI document that describes them."""
from __future__ import annotations

from datetime import date

import pytest
from jsonschema import Draft202012Validator

from marketplace.core import clock
from marketplace.extensions import db
from tests.factories import CertificateFactory, ProducerFactory, ProductFactory, category
from tests.readonly import ReadOnly, wipe

TODAY = date(2026, 3, 2)
LIST_KEYS = {"items", "total", "page", "per_page"}


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def get(client, path: str, **args) -> dict:
    response = client.get(f"/api/v1{path}", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def names(body: dict) -> list[str]:
    return [item["name"] for item in body["items"]]


# ------------------------------------------------------------------ shape and publication

@pytest.mark.parametrize("path", ["/products", "/producers"])
def test_lists_answer_items_total_page_per_page(client, ctx, path):
    ProductFactory()
    body = get(client, path)
    assert set(body) == LIST_KEYS
    assert (len(body["items"]), body["total"], body["page"], body["per_page"]) == (1, 1, 1, 20)


@pytest.mark.parametrize("path", ["/products", "/producers"])
def test_an_empty_catalog_is_an_empty_list(client, ctx, path):
    assert get(client, path) == {"items": [], "total": 0, "page": 1, "per_page": 20}


@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "suspended", "archived"])
def test_products_list_only_published_products_of_published_producers(client, ctx, status):
    ProductFactory(name="Tampil")
    ProductFactory(name="Produk Tersembunyi", status=status)
    ProductFactory(name="Produsen Tersembunyi", producer=ProducerFactory(status=status))
    body = get(client, "/products")
    assert names(body) == ["Tampil"] and body["total"] == 1


@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "suspended", "archived"])
def test_producers_list_only_published_producers_with_a_published_product(client, ctx, status):
    ProductFactory(producer=ProducerFactory(name="Tampil"))
    ProductFactory(producer=ProducerFactory(name="Produsen Tersembunyi", status=status))
    ProductFactory(producer=ProducerFactory(name="Produk Tersembunyi"), status=status)
    body = get(client, "/producers")
    assert names(body) == ["Tampil"] and body["total"] == 1


def test_a_product_item_carries_what_a_buyer_compares(client, ctx):
    producer = ProducerFactory(name="KWT Mawar", slug="kwt-mawar", kecamatan="metro-selatan", curated=True)
    valid = CertificateFactory(producer=producer, kind="halal", valid_until=date(2026, 8, 17))
    expired = CertificateFactory(producer=producer, kind="pirt", valid_until=date(2026, 3, 1))
    product = ProductFactory(producer=producer, name="Daging Sapi", slug="daging-sapi", unit="kg",
                             price=[(10, 130000), (100, 125000)], min_order_qty=10, monthly_capacity=3745,
                             lead_time_days=3, grade="Super", category=category("daging-unggas"),
                             specs={"cut": "Has dalam", "meat_state": "frozen"})
    product.certificates.extend([valid, expired])
    db.session.commit()
    (item,) = get(client, "/products")["items"]
    assert item == {
        "id": product.id,
        "name": "Daging Sapi",
        "name_en": None,
        "description_en": None,
        "url": f"http://etalase.test/products/{product.id}-daging-sapi",
        "category_id": category("daging-unggas").id,
        "producer": {"slug": "kwt-mawar", "name": "KWT Mawar", "kecamatan": "metro-selatan", "curated": True},
        "unit": "kg",
        "kg_per_unit": None,
        "price_on_request": False,
        "price_from_idr": 125000,
        "price_at_moq_idr": 130000,  # what a card shows: the price at the minimum order, not the deepest tier
        "price_per_kg_idr": 130000,
        "price_basis": "loco",
        "min_order_qty": 10,
        "monthly_capacity": 3745,
        "lead_time_days": 3,
        "grade": "Super",
        "certificates": ["halal"],  # the expired PIRT is left out
        "certificate_details": [  # both, each with the state a buyer reads (the expired one never as valid)
            {"kind": "halal", "state": "stated", "number": valid.number, "issuer": "BPJPH",
             "valid_until": "2026-08-17", "document_url": None},
            {"kind": "pirt", "state": "expired", "number": expired.number, "issuer": "BPJPH",
             "valid_until": "2026-03-01", "document_url": None},
        ],
        "specs": {"cut": "Has dalam", "meat_state": "frozen"},
    }


def test_a_product_without_a_price_says_price_on_request(client, ctx):
    ProductFactory(price=[], price_on_request=True, grade="")
    (item,) = get(client, "/products")["items"]
    assert (item["price_on_request"], item["price_from_idr"], item["grade"]) == (True, None, None)


def test_a_producer_item_counts_published_products_and_their_categories(client, ctx):
    producer = ProducerFactory(name="Campuran", slug="campuran", kelurahan="Yosodadi", kecamatan="metro-timur",
                               founded_year=2009)
    ProductFactory(producer=producer)
    ProductFactory(producer=producer, category=category("telur"))
    ProductFactory(producer=producer, status="draft", category=category("sayur-buah"))
    (item,) = get(client, "/producers")["items"]
    assert item == {
        "slug": "campuran", "name": "Campuran", "url": "http://etalase.test/producers/campuran",
        "kecamatan": "metro-timur", "kelurahan": "Yosodadi", "curated": False, "founded_year": 2009,
        "description_en": None,
        "product_count": 2, "category_ids": sorted([category("beras-serealia").id, category("telur").id]),
    }


@pytest.mark.parametrize("path", ["/products", "/producers"])
def test_open_data_never_carries_contact_details(client, ctx, path):
    producer = ProducerFactory(phone="+6281234567890", email="rahasia@contoh.id", address="Jl. Rahasia No. 7",
                               owner_name="Ibu Pemilik", nib="1234567890123")
    ProductFactory(producer=producer)
    text = client.get(f"/api/v1{path}").get_data(as_text=True)
    for secret in ("81234567890", "rahasia@contoh.id", "Jl. Rahasia", "Ibu Pemilik", "1234567890123"):
        assert secret not in text


def test_open_data_may_be_read_from_other_sites(client, ctx):
    response = client.get("/api/v1/products")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers


# ------------------------------------------------------------------ filters

def test_products_filter_by_search_words(client, ctx):
    ProductFactory(name="Beras Organik Pandan Wangi")
    ProductFactory(name="Telur Ayam")
    assert names(get(client, "/products", q="beras organik")) == ["Beras Organik Pandan Wangi"]


def test_products_filter_by_category(client, ctx):
    ProductFactory(name="Beras")
    ProductFactory(name="Telur", category=category("telur"))
    assert names(get(client, "/products", category="telur")) == ["Telur"]


def test_products_filter_by_kecamatan(client, ctx):
    ProductFactory(name="Utara", producer=ProducerFactory(kecamatan="metro-utara"))
    ProductFactory(name="Pusat")
    assert names(get(client, "/products", kecamatan="metro-utara")) == ["Utara"]


def test_products_filter_by_a_valid_certificate(client, ctx):
    for name, valid_until in (("Berlaku", None), ("Kedaluwarsa", date(2026, 3, 1))):
        certificate = CertificateFactory(kind="halal", valid_until=valid_until)
        item = ProductFactory(name=name, producer=certificate.producer)
        item.certificates.append(certificate)
    db.session.commit()
    assert names(get(client, "/products", cert="halal")) == ["Berlaku"]


def test_products_filter_by_min_capacity(client, ctx):
    ProductFactory(name="Kecil", monthly_capacity=10)
    ProductFactory(name="Besar", monthly_capacity=10_000)
    assert names(get(client, "/products", min_capacity="1000")) == ["Besar"]


def test_products_sort(client, ctx):
    ProductFactory(name="Mahal", price=[(1, 20000)])
    ProductFactory(name="Murah", price=[(1, 9000)])
    assert names(get(client, "/products", sort="price_asc")) == ["Murah", "Mahal"]
    assert names(get(client, "/products", sort="price_desc")) == ["Mahal", "Murah"]


def test_producers_filter_by_name_kecamatan_and_category(client, ctx):
    ProductFactory(producer=ProducerFactory(name="Gapoktan Sumber Tani", kecamatan="metro-utara"))
    ProductFactory(producer=ProducerFactory(name="KWT Sumber Rejeki"), category=category("telur"))
    ProductFactory(producer=ProducerFactory(name="UD Makmur", kecamatan="metro-utara"))
    assert names(get(client, "/producers", q="sumber")) == ["Gapoktan Sumber Tani", "KWT Sumber Rejeki"]
    assert names(get(client, "/producers", kecamatan="metro-utara")) == ["Gapoktan Sumber Tani", "UD Makmur"]
    assert names(get(client, "/producers", category="telur")) == ["KWT Sumber Rejeki"]


# ------------------------------------------------------------------ paging

@pytest.fixture(scope="class")
def five(app):
    with app.app_context():
        for n in range(5):
            ProductFactory(name=f"P{n}", monthly_capacity=100 - n, producer=ProducerFactory(name=f"Produsen {n}"))
    yield
    wipe(app)


class TestPaging(ReadOnly):
    @pytest.mark.parametrize("path, first, second", [
        ("/products", ["P0", "P1"], ["P2", "P3"]),
        ("/producers", ["Produsen 0", "Produsen 1"], ["Produsen 2", "Produsen 3"]),
    ])
    def test_pages_follow_each_other(self, client, five, path, first, second):
        assert names(get(client, path, per_page=2)) == first
        body = get(client, path, per_page=2, page=2)
        assert (names(body), body["total"], body["page"], body["per_page"]) == (second, 5, 2, 2)

    @pytest.mark.parametrize("path", ["/products", "/producers"])
    def test_a_page_beyond_the_last_answers_the_last_page(self, client, five, path):
        body = get(client, path, per_page=2, page=99)
        assert (len(body["items"]), body["page"]) == (1, 3)

    @pytest.mark.parametrize("path", ["/products", "/producers"])
    @pytest.mark.parametrize("per_page, expected", [("500", 100), ("101", 100), ("99999999999999999999", 100),
                                                    ("0", 1), ("-5", 1), ("abc", 20), ("", 20), ("2.5", 20)])
    def test_per_page_is_kept_between_1_and_100(self, client, five, path, per_page, expected):
        assert get(client, path, per_page=per_page)["per_page"] == expected

    @pytest.mark.parametrize("path", ["/products", "/producers"])
    def test_the_per_page_cap_limits_the_items(self, client, app, five, monkeypatch, path):
        monkeypatch.setitem(app.config, "API_MAX_PER_PAGE", 3)
        body = get(client, path, per_page=1000)
        assert (len(body["items"]), body["per_page"], body["total"]) == (3, 3, 5)

    @pytest.mark.parametrize("path", ["/products", "/producers"])
    @pytest.mark.parametrize("args", [{"page": "abc"}, {"page": "-1"}, {"page": "99999999999999999999"},
                                      {"category": "<x>"}, {"kecamatan": "\x00"}, {"cert": "iso"}, {"sort": "x"},
                                      {"min_capacity": "nan"}, {"q": "\x00"}])
    def test_junk_arguments_still_answer_the_whole_list(self, client, five, path, args):
        body = get(client, path, **args)
        assert set(body) == LIST_KEYS and body["total"] == 5


# ------------------------------------------------------------------ the OpenAPI document

@pytest.fixture(scope="module")
def spec(app) -> dict:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(spec: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _validator(spec: dict, path: str) -> Draft202012Validator:
    """The documented 200 response schema of `path`, with the document as root so its $refs resolve."""
    pointer = f"#/paths/{path.replace('/', '~1')}/get/responses/200/content/application~1json/schema"
    return Draft202012Validator({**spec, "$ref": pointer})


def _parameter(spec: dict, path: str, name: str) -> dict:
    return next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name)


@pytest.fixture(scope="class")
def varied(app):
    """Records that exercise nullable and optional fields: one priced and certified, one on request, bare."""
    with app.app_context():
        certificate = CertificateFactory(kind="halal")
        priced = ProductFactory(producer=certificate.producer, lead_time_days=5, grade="A")
        priced.certificates.append(certificate)
        db.session.commit()
        ProductFactory(price=[], price_on_request=True, grade="", lead_time_days=None,
                       producer=ProducerFactory(founded_year=None, kelurahan=""))
    yield
    wipe(app)


class TestOpenApiDocument(ReadOnly):
    def test_it_is_openapi_3_1_with_the_two_lists(self, spec):
        assert spec["openapi"].startswith("3.1.")
        assert spec["info"]["title"] and spec["info"]["version"]
        assert set(spec["paths"]) == {"/products", "/producers"}
        assert spec["servers"] == [{"url": "/api/v1"}]

    def test_its_references_all_resolve(self, spec):
        refs = list(_refs(spec))
        assert refs
        for ref in refs:
            assert isinstance(_resolve(spec, ref), dict), ref

    def test_its_schemas_are_valid_json_schema_2020_12(self, spec):
        for schema in spec["components"]["schemas"].values():
            Draft202012Validator.check_schema(schema)
        for path in spec["paths"].values():
            for parameter in path["get"]["parameters"]:
                assert parameter["in"] in ("query", "path", "header", "cookie") and parameter["name"]
                Draft202012Validator.check_schema(parameter["schema"])

    def test_the_documented_schema_would_catch_a_wrong_response(self, spec):
        wrong = {"items": [{"id": "1", "name": "x", "unit": "kg", "producer": {}}], "total": 1, "page": 1}
        # id not an integer; no price_basis; no per_page
        assert len(list(_validator(spec, "/products").iter_errors(wrong))) == 3

    @pytest.mark.parametrize("path", ["/products", "/producers"])
    def test_documented_paging_matches_the_real_paging(self, app, client, spec, path):
        per_page = _parameter(spec, path, "per_page")["schema"]
        assert per_page["maximum"] == app.config["API_MAX_PER_PAGE"]
        assert get(client, path)["per_page"] == per_page["default"]
        assert get(client, path, per_page=10**6)["per_page"] == per_page["maximum"]


class TestDocumentedSchemaMatchesRealResponses(ReadOnly):
    @pytest.mark.parametrize("path", ["/products", "/producers"])
    def test_real_responses_validate(self, client, spec, varied, path):
        body = get(client, path)
        assert body["total"] == 2
        assert [error.message for error in _validator(spec, path).iter_errors(body)] == []

    @pytest.mark.parametrize("path, component", [("/products", "Product"), ("/producers", "Producer")])
    def test_every_field_of_a_real_item_is_documented(self, client, spec, varied, path, component):
        schema = spec["components"]["schemas"][component]
        for item in get(client, path)["items"]:
            assert set(item) <= set(schema["properties"])
            assert set(schema["required"]) <= set(item)


@pytest.mark.parametrize("path, name", [("/products", "kecamatan"), ("/products", "cert"), ("/producers", "kecamatan")])
def test_every_documented_filter_value_is_applied(client, spec, ctx, path, name):
    """One product, in Metro Pusat and without certificates: every other documented value filters it out."""
    ProductFactory()
    values = _parameter(spec, path, name)["schema"]["enum"]
    totals = {value: get(client, path, **{name: value})["total"] for value in values}
    assert totals == {value: int(value == "metro-pusat") for value in totals}


def test_documented_sorts_order_the_products(client, spec, ctx):
    ProductFactory(name="A", price=[(1, 20000)], monthly_capacity=10, min_order_qty=1)
    ProductFactory(name="B", price=[(1, 9000)], monthly_capacity=99, min_order_qty=50)
    orders = {value: names(get(client, "/products", sort=value))
              for value in _parameter(spec, "/products", "sort")["schema"]["enum"]}
    assert orders["price_asc"] == ["B", "A"] and orders["price_desc"] == ["A", "B"]
    assert orders["capacity"] == ["B", "A"] and orders["moq"] == ["A", "B"]
    assert orders["relevance"] == orders["capacity"]  # without search words, relevance falls back to capacity
