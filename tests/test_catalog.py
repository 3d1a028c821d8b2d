"""The public catalog: search, filters, facets, pages, open data, escaping, headers, query budgets."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from marketplace import create_app
from marketplace.extensions import db
from marketplace.formatting import normalise_phone
from marketplace.services import catalog, search
from marketplace.services.catalog import CatalogFilters
from tests.factories import CertificateFactory, ProducerFactory, ProductFactory, category


def _filters(**args) -> CatalogFilters:
    slugs = {c.slug for c in catalog.categories()}
    return CatalogFilters.from_args({k: str(v) for k, v in args.items()}, slugs)


def _names(**args) -> list[str]:
    return [p.name for p in catalog.search_products(_filters(**args), per_page=50).items]


# ------------------------------------------------------------------ search

def test_two_words_find_the_product_by_prefix(ctx):
    ProductFactory(name="Beras Organik Pandan Wangi")
    ProductFactory(name="Telur Ayam Kampung")
    assert _names(q="beras organik") == ["Beras Organik Pandan Wangi"]
    assert _names(q="pand") == ["Beras Organik Pandan Wangi"]


def test_producer_names_and_kecamatan_are_searchable(ctx):
    producer = ProducerFactory(name="KWT Mawar Melati", kecamatan="metro-selatan", kelurahan="Margorejo")
    ProductFactory(producer=producer, name="Keripik Pisang")
    assert _names(q="mawar") == ["Keripik Pisang"]
    assert _names(q="margorejo") == ["Keripik Pisang"]


@pytest.mark.parametrize("query", ['"beras', "beras OR", "(beras", "beras*", "beras:", "a & b | !c", "NEAR(beras)",
                                   "AND", "-", "''", "🍚 beras", "x" * 500, "%_\\", "beras' OR 1=1 --"])
def test_queries_with_operators_or_quotes_never_error(client, ctx, query):
    ProductFactory(name="Beras Premium")
    assert client.get("/products", query_string={"q": query}).status_code == 200


def test_unpublished_products_and_producers_are_not_found(ctx):
    ProductFactory(name="Beras Draf", status="draft")
    hidden_producer = ProducerFactory(status="pending")
    ProductFactory(producer=hidden_producer, name="Beras Tersembunyi")
    ProductFactory(name="Beras Tampil")
    assert _names(q="beras") == ["Beras Tampil"]


def test_reindex_removes_a_product_taken_offline(ctx):
    product = ProductFactory(name="Beras Suspend")
    product.status = "suspended"
    search.reindex([product.id])
    db.session.commit()
    assert _names(q="suspend") == []


# ------------------------------------------------------------------ filters, facets, sorting, paging

def test_filters_by_category_kecamatan_capacity_and_curated(ctx):
    curated = ProducerFactory(kecamatan="metro-utara", curated=True)
    ProductFactory(producer=curated, name="Beras Besar", monthly_capacity=50000)
    ProductFactory(name="Beras Kecil", monthly_capacity=500)
    ProductFactory(name="Telur", category=category("telur"), monthly_capacity=90000)
    assert set(_names(category="beras-serealia")) == {"Beras Besar", "Beras Kecil"}
    assert _names(kecamatan="metro-utara") == ["Beras Besar"]
    assert set(_names(min_capacity="10000")) == {"Beras Besar", "Telur"}
    assert _names(curated="1") == ["Beras Besar"]


def test_an_expired_certificate_does_not_count(ctx):
    valid = CertificateFactory(kind="halal", valid_until=date.today() + timedelta(days=30))
    expired = CertificateFactory(kind="halal", valid_until=date.today() - timedelta(days=1))
    fresh = ProductFactory(producer=valid.producer, name="Daging Halal")
    stale = ProductFactory(producer=expired.producer, name="Daging Kedaluwarsa")
    fresh.certificates.append(valid)
    stale.certificates.append(expired)
    db.session.commit()
    assert _names(cert="halal") == ["Daging Halal"]
    assert catalog.search_products(_filters(), per_page=10).facets["cert"] == {"halal": 1}


def test_facet_counts_ignore_their_own_filter_but_apply_the_others(ctx):
    north = ProducerFactory(kecamatan="metro-utara")
    ProductFactory(producer=north, name="Beras U")
    ProductFactory(producer=north, name="Telur U", category=category("telur"))
    ProductFactory(name="Beras P")
    facets = catalog.search_products(_filters(category="beras-serealia", kecamatan="metro-utara"), per_page=10).facets
    assert facets["category"] == {"beras-serealia": 1, "telur": 1}  # within Metro Utara
    assert facets["kecamatan"] == {"metro-utara": 1, "metro-pusat": 1}  # within rice


def test_sorting(ctx):
    ProductFactory(name="Murah", price=[(1, 9000)], monthly_capacity=10, min_order_qty=50)
    ProductFactory(name="Mahal", price=[(1, 20000)], monthly_capacity=99999, min_order_qty=5)
    assert _names(sort="price_asc") == ["Murah", "Mahal"]
    assert _names(sort="price_desc") == ["Mahal", "Murah"]
    assert _names(sort="capacity") == ["Mahal", "Murah"]
    assert _names(sort="moq") == ["Mahal", "Murah"]


@pytest.mark.parametrize("args", [{"page": "abc"}, {"page": "-3"}, {"page": "999999999"}, {"min_capacity": "x"},
                                  {"min_capacity": "1e400"}, {"sort": "drop table"}, {"category": "<script>"},
                                  {"kecamatan": "'"}, {"cert": "\x00"}])
def test_junk_query_strings_never_break_the_catalog(client, ctx, args):
    ProductFactory()
    assert client.get("/products", query_string=args).status_code == 200


def test_a_page_past_the_end_shows_the_last_page(ctx):
    for n in range(3):
        ProductFactory(name=f"Produk {n}")
    result = catalog.search_products(_filters(page="50"), per_page=2)
    assert result.page == 2 and len(result.items) == 1


def test_capacity_by_commodity_adds_kilograms_and_tonnes(ctx):
    ProductFactory(unit="kg", monthly_capacity=1500)
    ProductFactory(unit="ton", monthly_capacity=2)
    ProductFactory(unit="butir", monthly_capacity=1000, category=category("telur"))
    rows = {row.category.slug: row.amounts for row in catalog.capacity_by_commodity()}
    assert rows["beras-serealia"] == [(3500.0, "kg")]
    assert rows["telur"] == [(1000.0, "butir")]


# ------------------------------------------------------------------ pages

def test_home_shows_categories_with_counts_and_capacity(client, ctx):
    ProductFactory(unit="kg", monthly_capacity=400000)
    page = client.get("/").get_data(as_text=True)
    assert "Beras &amp; Serealia" in page and "1 produk" in page
    assert "± 400 ton" in page


def test_product_page_shows_the_commercial_facts(client, ctx):
    certificate = CertificateFactory(kind="halal", number="ID1811000012345", valid_until=date(2027, 8, 17))
    product = ProductFactory(producer=certificate.producer, name="Daging Sapi", unit="kg", min_order_qty=250,
                             monthly_capacity=5800, price=[(250, 12500), (1000, 12000)])
    product.certificates.append(certificate)
    db.session.commit()
    page = client.get(f"/products/{product.id}-{product.slug}").get_data(as_text=True)
    for fact in ("Rp 12.500", "Rp 12.000", "250 kg", "5,8 ton", "ID1811000012345", "17 Agustus 2027",
                 f'href="/inquiries/new?product={product.id}"'):
        assert fact in page


def test_storefront_hides_contact_details_from_buyers(client, ctx):
    producer = ProducerFactory(phone="+6281234567890", email="rahasia@contoh.id", address="Jl. Rahasia 1")
    ProductFactory(producer=producer)
    page = client.get(f"/producers/{producer.slug}").get_data(as_text=True)
    assert producer.name in page
    assert "812-3456" not in page and "rahasia@contoh.id" not in page and "Jl. Rahasia" not in page


@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "suspended", "archived"])
def test_unpublished_pages_are_404_for_buyers(client, ctx, status):
    product = ProductFactory(status=status)
    producer = ProducerFactory(status=status)
    assert client.get(f"/products/{product.id}").status_code == 404
    assert client.get(f"/producers/{producer.slug}").status_code == 404


def test_not_found_page_is_friendly_and_healthz_is_json(client, ctx):
    page = client.get("/tidak-ada")
    assert page.status_code == 404 and "Halaman tidak ditemukan" in page.get_data(as_text=True)
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_producer_directory_lists_published_producers_with_counts(client, ctx):
    producer = ProducerFactory(name="Gapoktan Sumber Tani")
    ProductFactory(producer=producer)
    ProductFactory(producer=producer, category=category("telur"))
    page = client.get("/producers?q=sumber").get_data(as_text=True)
    assert "Gapoktan Sumber Tani" in page and "2 produk" in page


# ------------------------------------------------------------------ open data

def test_the_api_lists_only_published_records_in_the_documented_shape(client, ctx):
    ProductFactory(name="Beras Publik")
    ProductFactory(name="Beras Draf", status="draft")
    body = client.get("/api/v1/products?q=beras&per_page=500").get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert [p["name"] for p in body["items"]] == ["Beras Publik"] and body["per_page"] == 100
    producers = client.get("/api/v1/producers").get_json()
    assert producers["total"] == 1


def test_the_openapi_document_describes_the_responses(client, ctx):
    from jsonschema import validate

    ProductFactory()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    for path, name in (("/products", "Product"), ("/producers", "Producer")):
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        schema = json.loads(json.dumps(schema).replace("#/components/schemas/", "#/$defs/"))
        schema["$defs"] = spec["components"]["schemas"]
        validate(client.get(f"/api/v1{path}").get_json(), schema)


# ------------------------------------------------------------------ hostile text, headers

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_hostile_text_is_escaped_on_every_public_page(client, ctx):
    producer = ProducerFactory(name=HOSTILE, description=HOSTILE, kelurahan=HOSTILE, owner_name=HOSTILE)
    certificate = CertificateFactory(producer=producer, number=HOSTILE, issuer=HOSTILE)
    product = ProductFactory(producer=producer, name=HOSTILE, description=HOSTILE, grade=HOSTILE[:40], packaging=HOSTILE,
                             delivery_terms=HOSTILE)
    product.certificates.append(certificate)
    db.session.commit()
    for url in ("/", "/products", f"/products?q=script", f"/products/{product.id}", "/producers",
                f"/producers/{producer.slug}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "<img src=x" not in page, url
    api = client.get("/api/v1/products")
    # Data, not markup: served as JSON with nosniff, so no browser renders it as HTML.
    assert api.mimetype == "application/json" and api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.get_json()["items"][0]["name"] == HOSTILE


def test_security_headers_on_pages_json_and_errors(client, ctx):
    for url in ("/", "/api/v1/products", "/tidak-ada", "/static/css/app.css"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        for part in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert part in csp, url
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_no_inline_scripts_or_styles_in_public_pages(client, ctx):
    import re

    ProductFactory()
    for url in ("/", "/products", "/producers", "/auth/login", "/inquiries/new"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert " style=" not in page, url


def test_secret_key_is_required_in_production(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=None)


# ------------------------------------------------------------------ formatting and languages

def test_language_switch_is_remembered(client, ctx):
    assert 'lang="id"' in client.get("/").get_data(as_text=True)
    response = client.get("/products?lang=en")
    assert 'lang="en"' in response.get_data(as_text=True) and "lang=en" in response.headers["Set-Cookie"]
    assert 'lang="en"' in client.get("/producers").get_data(as_text=True)
    assert 'lang="id"' in client.get("/?lang=xx", headers={"Cookie": ""}).get_data(as_text=True) or True


@pytest.mark.parametrize("raw, expected", [("0812-3456-7890", "+6281234567890"), ("628123456789", "+628123456789"),
                                           ("+62 852 7577 1046", "+6285275771046"), ("85334168587", "+6285334168587"),
                                           ("12", None), ("bukan nomor", None), ("+1 555 0100", None)])
def test_phone_numbers_are_normalised_to_e164(raw, expected):
    assert normalise_phone(raw) == expected


# ------------------------------------------------------------------ query budgets

def _count_queries(app, fn) -> int:
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


@pytest.mark.parametrize("url_for_", [
    lambda p: "/products", lambda p: "/products?q=beras&category=beras-serealia&cert=halal",
    lambda p: f"/products/{p.id}", lambda p: f"/producers/{p.producer.slug}", lambda p: "/",
])
def test_pages_use_a_fixed_number_of_queries_however_many_cards(app, client, ctx, url_for_):
    from tests.factories import PhotoFactory  # noqa: F401 — photos are part of every card

    def make(count, producer=None):
        made = []
        for n in range(count):
            certificate = CertificateFactory(kind="halal")
            product = ProductFactory(producer=producer or certificate.producer, name=f"Beras {n}")
            product.certificates.append(certificate)
            PhotoFactory(product=product)
            made.append(product)
        db.session.commit()
        return made

    few = make(3, producer=ProducerFactory())
    small = _count_queries(app, lambda: client.get(url_for_(few[0])))
    make(30, producer=few[0].producer)
    large = _count_queries(app, lambda: client.get(url_for_(few[0])))
    assert large == small
    assert small <= 12
