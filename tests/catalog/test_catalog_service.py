"""Which rows the catalog shows: filters, facets, sorting, paging, capacity totals, categories, featured producers."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.catalog import queries as catalog
from marketplace.catalog.forms import ProducerListArgs, ProductListArgs
from marketplace.catalog.queries import CatalogFilters
from tests.factories import CertificateFactory, ProducerFactory, ProductFactory, category
from tests.readonly import ReadOnly, wipe

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """Certificate validity depends on the date in Metro; pin it."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def filters(**args) -> CatalogFilters:
    slugs = {c.slug for c in catalog.categories()}
    return ProductListArgs(MultiDict({k: str(v) for k, v in args.items()}), choices={"category": slugs}).filters()


def shown(per_page: int = 100, **args) -> list[str]:
    return [p.name for p in catalog.search_products(filters(**args), per_page=per_page).items]


def facets(**args) -> dict[str, dict[str, int]]:
    return catalog.search_products(filters(**args), per_page=1).facets


def certified(kind: str, valid_until: date | None, **product) -> object:
    """A product carrying one certificate of its producer."""
    certificate = CertificateFactory(kind=kind, valid_until=valid_until)
    item = ProductFactory(producer=certificate.producer, **product)
    item.certificates.append(certificate)
    db.session.commit()
    return item


# ------------------------------------------------------------------ filters

def test_category_filter_keeps_only_that_category(ctx):
    ProductFactory(name="Beras", category=category("beras-serealia"))
    ProductFactory(name="Telur", category=category("telur"))
    assert shown(category="telur") == ["Telur"]


def test_kecamatan_filter_keeps_only_producers_there(ctx):
    ProductFactory(name="Dari Utara", producer=ProducerFactory(kecamatan="metro-utara"))
    ProductFactory(name="Dari Barat", producer=ProducerFactory(kecamatan="metro-barat"))
    assert shown(kecamatan="metro-barat") == ["Dari Barat"]


def test_certificate_filter_keeps_products_with_a_valid_certificate_of_that_kind(ctx):
    certified("halal", TODAY + timedelta(days=30), name="Halal")
    certified("pirt", None, name="PIRT")
    ProductFactory(name="Tanpa")
    assert shown(cert="halal") == ["Halal"]
    assert shown(cert="pirt") == ["PIRT"]


def test_an_expired_certificate_does_not_count(ctx):
    certified("halal", TODAY - timedelta(days=1), name="Kedaluwarsa")
    assert shown(cert="halal") == []


def test_a_certificate_is_valid_through_its_last_day(ctx):
    certified("halal", TODAY, name="Hari Terakhir")
    assert shown(cert="halal") == ["Hari Terakhir"]


def test_a_certificate_of_the_producer_not_attached_to_the_product_does_not_count(ctx):
    certificate = CertificateFactory(kind="halal")
    ProductFactory(producer=certificate.producer, name="Tanpa Sertifikat")
    assert shown(cert="halal") == []


def test_curated_filter_keeps_products_of_curated_producers(ctx):
    ProductFactory(name="Terkurasi", producer=ProducerFactory(curated=True))
    ProductFactory(name="Biasa")
    assert shown(curated="1") == ["Terkurasi"]


def test_filters_combine(ctx):
    north = ProducerFactory(kecamatan="metro-utara")
    ProductFactory(producer=north, name="Beras Utara Besar", monthly_capacity=9000)
    ProductFactory(producer=north, name="Beras Utara Kecil", monthly_capacity=10)
    ProductFactory(producer=north, name="Telur Utara", category=category("telur"), monthly_capacity=9000)
    ProductFactory(name="Beras Pusat", monthly_capacity=9000)
    assert shown(category="beras-serealia", kecamatan="metro-utara", min_capacity=100) == ["Beras Utara Besar"]


@pytest.fixture(scope="class")
def capacities(app):
    with app.app_context():
        ProductFactory(name="Kecil", monthly_capacity=2)
        ProductFactory(name="Sedang", monthly_capacity=1000)
        ProductFactory(name="Besar", monthly_capacity=50_000)
    yield
    wipe(app)


class TestOnThreeCapacities(ReadOnly):
    @pytest.mark.parametrize("minimum, expected", [
        ("1000", ["Besar", "Sedang"]), ("1000.0", ["Besar", "Sedang"]), ("1001", ["Besar"]),
        ("2,5", ["Besar", "Sedang"]), ("0", ["Besar", "Sedang", "Kecil"]), ("", ["Besar", "Sedang", "Kecil"]),
        ("99999999", []),
    ])
    def test_min_capacity_keeps_products_with_at_least_that_monthly_capacity(self, capacities, ctx, minimum,
                                                                               expected):
        assert shown(min_capacity=minimum) == expected

    @pytest.mark.parametrize("args", [{"category": "tidak-ada"}, {"kecamatan": "metro-tengah"}, {"cert": "iso9001"},
                                      {"min_capacity": "banyak"}, {"min_capacity": "-5"}, {"min_capacity": "nan"},
                                      {"min_capacity": "inf"}, {"curated": "maybe"}])
    def test_unknown_filter_values_are_ignored(self, capacities, ctx, args):
        assert shown(**args) == ["Besar", "Sedang", "Kecil"]
        assert not filters(**args).active()


# ------------------------------------------------------------------ facets

def test_facet_counts_count_published_products_per_value(ctx):
    north = ProducerFactory(kecamatan="metro-utara")
    ProductFactory(producer=north)
    ProductFactory(producer=north, category=category("telur"))
    ProductFactory(category=category("telur"))
    ProductFactory(category=category("telur"), status="draft")
    counts = facets()
    assert counts["category"] == {"beras-serealia": 1, "telur": 2}
    assert counts["kecamatan"] == {"metro-utara": 2, "metro-pusat": 1}


def test_category_counts_follow_the_other_filters_but_not_their_own(ctx):
    north = ProducerFactory(kecamatan="metro-utara")
    ProductFactory(producer=north)
    ProductFactory(producer=north, category=category("telur"))
    ProductFactory()  # rice in Metro Pusat
    counts = facets(category="beras-serealia", kecamatan="metro-utara")["category"]
    assert counts == {"beras-serealia": 1, "telur": 1}


def test_kecamatan_counts_follow_the_other_filters_but_not_their_own(ctx):
    ProductFactory(producer=ProducerFactory(kecamatan="metro-utara"))
    ProductFactory(producer=ProducerFactory(kecamatan="metro-utara"), category=category("telur"))
    ProductFactory()  # rice in Metro Pusat
    counts = facets(category="beras-serealia", kecamatan="metro-utara")["kecamatan"]
    assert counts == {"metro-utara": 1, "metro-pusat": 1}


def test_facet_counts_follow_the_search_words(ctx):
    ProductFactory(name="Beras Premium")
    ProductFactory(name="Telur Premium", category=category("telur"))
    ProductFactory(name="Telur Biasa", category=category("telur"))
    assert facets(q="premium")["category"] == {"beras-serealia": 1, "telur": 1}


def test_facet_counts_follow_min_capacity(ctx):
    ProductFactory(monthly_capacity=10)
    ProductFactory(monthly_capacity=10_000)
    assert facets(min_capacity=100)["category"] == {"beras-serealia": 1}


def test_certificate_counts_leave_out_expired_certificates(ctx):
    certified("halal", TODAY + timedelta(days=1))
    certified("halal", None)
    certified("halal", TODAY - timedelta(days=1))
    certified("sni", TODAY - timedelta(days=400))
    assert facets()["cert"] == {"halal": 2}


def test_certificate_counts_follow_the_other_filters(ctx):
    certified("halal", None, category=category("telur"))
    certified("halal", None)
    certified("pirt", None)
    assert facets(category="telur", cert="pirt")["cert"] == {"halal": 1}


# ------------------------------------------------------------------ sorting

@pytest.fixture(scope="class")
def three(app):
    """Three products whose price, capacity, MOQ and publication date all disagree about the order."""
    day = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        ProductFactory(name="A", price=[(1, 15000)], monthly_capacity=300, min_order_qty=50, published_at=day)
        ProductFactory(name="B", price=[(1, 9000), (100, 8000)], monthly_capacity=100, min_order_qty=500,
                       published_at=day + timedelta(days=2))
        ProductFactory(name="C", price=[(1, 12000)], monthly_capacity=200, min_order_qty=5,
                       published_at=day + timedelta(days=1))
    yield
    wipe(app)


class TestSorting(ReadOnly):
    @pytest.mark.parametrize("sort, expected", [
        ("price_asc", ["B", "C", "A"]),  # B's lowest tier (8000) counts
        ("price_desc", ["A", "C", "B"]),
        ("capacity", ["A", "C", "B"]),
        ("moq", ["C", "A", "B"]),
        ("newest", ["B", "C", "A"]),
    ])
    def test_sorting(self, three, ctx, sort, expected):
        assert shown(sort=sort) == expected

    def test_largest_capacity_first_by_default(self, three, ctx):
        assert shown() == ["A", "C", "B"]

    @pytest.mark.parametrize("sort", ["", "acak", "relevance", "price_asc; DROP TABLE product", "PRICE_ASC"])
    def test_unknown_sort_or_relevance_without_words_sorts_by_capacity(self, three, ctx, sort):
        assert shown(sort=sort) == ["A", "C", "B"]


@pytest.mark.parametrize("sort", ["price_asc", "price_desc"])
def test_price_on_request_comes_last_in_either_price_order(ctx, sort):
    ProductFactory(name="Tanya", price=[], price_on_request=True)
    ProductFactory(name="Murah", price=[(1, 1000)])
    ProductFactory(name="Mahal", price=[(1, 90000)])
    assert shown(sort=sort)[-1] == "Tanya"


# ------------------------------------------------------------------ paging

@pytest.fixture(scope="class")
def five(app):
    with app.app_context():
        for n in range(5):
            ProductFactory(name=f"P{n}", monthly_capacity=100 - n)
    yield
    wipe(app)


class TestPaging(ReadOnly):
    def test_pages_split_the_results_in_order(self, five, ctx):
        pages = [[p.name for p in catalog.search_products(filters(page=n), per_page=2).items] for n in (1, 2, 3)]
        assert pages == [["P0", "P1"], ["P2", "P3"], ["P4"]]

    @pytest.mark.parametrize("number", ["4", "50", "999999999999999999999"])
    def test_a_page_beyond_the_last_shows_the_last_page(self, five, ctx, number):
        result = catalog.search_products(filters(page=number), per_page=2)
        assert (result.page, [p.name for p in result.items]) == (3, ["P4"])

    @pytest.mark.parametrize("number", ["0", "-1", "abc", "", "1.5"])
    def test_a_junk_page_shows_the_first_page(self, five, ctx, number):
        result = catalog.search_products(filters(page=number), per_page=2)
        assert (result.page, [p.name for p in result.items]) == (1, ["P0", "P1"])

    def test_the_page_knows_its_neighbours(self, five, ctx):
        result = catalog.search_products(filters(page=2), per_page=2)
        assert (result.total, result.pages, result.has_prev, result.has_next) == (5, 3, True, True)


def test_an_empty_catalog_is_one_empty_page(ctx):
    result = catalog.search_products(filters(page=3), per_page=2)
    assert (result.total, result.page, result.pages, result.items) == (0, 1, 1, [])


# ------------------------------------------------------------------ capacity by commodity, category counts

def amounts() -> dict[str, list[tuple[float, str]]]:
    return {row.category.slug: row.amounts for row in catalog.capacity_by_commodity()}


def test_capacity_by_commodity_sums_kilograms_tonnes_and_quintals_in_kilograms(ctx):
    ProductFactory(unit="kg", monthly_capacity=1500)
    ProductFactory(unit="ton", monthly_capacity=2)
    ProductFactory(unit="kuintal", monthly_capacity=3)
    assert amounts()["beras-serealia"] == [(3800.0, "kg")]


def test_capacity_by_commodity_keeps_counted_units_apart(ctx):
    ProductFactory(unit="butir", monthly_capacity=1000, category=category("telur"))
    ProductFactory(unit="kg", monthly_capacity=200, category=category("telur"))
    ProductFactory(unit="ton", monthly_capacity=1, category=category("telur"))
    assert amounts()["telur"] == [(1200.0, "kg"), (1000.0, "butir")]


def test_capacity_by_commodity_counts_only_published_products(ctx):
    ProductFactory(unit="kg", monthly_capacity=100)
    ProductFactory(unit="kg", monthly_capacity=900, status="draft")
    ProductFactory(unit="kg", monthly_capacity=900, producer=ProducerFactory(status="suspended"))
    assert amounts() == {"beras-serealia": [(100.0, "kg")]}


def test_capacity_by_commodity_counts_each_producer_once(ctx):
    producer = ProducerFactory()
    ProductFactory(producer=producer)
    ProductFactory(producer=producer)
    ProductFactory()
    (row,) = catalog.capacity_by_commodity()
    assert row.producers == 2


def test_category_counts_count_published_products(ctx):
    ProductFactory()
    ProductFactory()
    ProductFactory(category=category("telur"))
    ProductFactory(category=category("telur"), status="pending")
    ProductFactory(category=category("telur"), producer=ProducerFactory(status="draft"))
    counts = catalog.category_counts()
    assert counts == {category("beras-serealia").id: 2, category("telur").id: 1}


def test_categories_come_in_their_fixed_order(ctx):
    assert [c.slug for c in catalog.categories()][:3] == ["beras-serealia", "daging-unggas", "telur"]


# ------------------------------------------------------------------ featured

def test_featured_producers_curated_first_then_by_number_of_products(ctx):
    small_curated = ProducerFactory(name="Kecil Terkurasi", curated=True)
    big = ProducerFactory(name="Besar")
    medium = ProducerFactory(name="Sedang")
    ProductFactory(producer=small_curated)
    for _ in range(3):
        ProductFactory(producer=big)
    for _ in range(2):
        ProductFactory(producer=medium)
    assert [(p.name, n) for p, n in catalog.featured_producers()] == [
        ("Kecil Terkurasi", 1), ("Besar", 3), ("Sedang", 2)]


def test_featured_producers_count_only_published_products_and_skip_empty_storefronts(ctx):
    producer = ProducerFactory(name="Satu Tampil")
    ProductFactory(producer=producer)
    ProductFactory(producer=producer, status="draft")
    ProducerFactory(name="Tanpa Produk")
    ProductFactory(producer=ProducerFactory(name="Belum Terbit", status="pending"))
    assert [(p.name, n) for p, n in catalog.featured_producers()] == [("Satu Tampil", 1)]


def test_featured_producers_are_limited(ctx):
    for _ in range(4):
        ProductFactory()
    assert len(catalog.featured_producers(limit=3)) == 3


def test_featured_products_put_featured_listings_first(ctx):
    ProductFactory(name="Besar", monthly_capacity=90_000)
    ProductFactory(name="Unggulan", monthly_capacity=1, featured=True)
    assert [p.name for p in catalog.featured_products()] == ["Unggulan", "Besar"]


# ------------------------------------------------------------------ producer directory

def directory(**args) -> list[str]:
    slugs = {c.slug for c in catalog.categories()}
    cards, _total, _page = catalog.list_producers(ProducerListArgs(MultiDict(args), choices={"category": slugs}).filters(), per_page=50)
    return [card.producer.name for card in cards]


def test_directory_lists_published_producers_with_a_published_product(ctx):
    ProductFactory(producer=ProducerFactory(name="Tampil"))
    ProductFactory(producer=ProducerFactory(name="Produk Draf"), status="draft")
    ProductFactory(producer=ProducerFactory(name="Belum Terbit", status="pending"))
    ProducerFactory(name="Kosong")
    assert directory() == ["Tampil"]


@pytest.mark.parametrize("query", ["sumber", "SUMBER tani", "r t"])
def test_directory_finds_a_producer_by_part_of_its_name(ctx, query):
    ProductFactory(producer=ProducerFactory(name="Gapoktan Sumber Tani"))
    ProductFactory(producer=ProducerFactory(name="KWT Melati"))
    assert directory(q=query) == ["Gapoktan Sumber Tani"]


@pytest.mark.parametrize("query", ["%", "_", "\\", "50%"])
def test_directory_search_treats_like_wildcards_literally(ctx, query):
    ProductFactory(producer=ProducerFactory(name="KWT Melati"))
    assert directory(q=query) == []


def test_directory_filters_by_category_and_counts_products(ctx):
    producer = ProducerFactory(name="Campuran")
    ProductFactory(producer=producer)
    ProductFactory(producer=producer, category=category("telur"))
    ProductFactory(producer=ProducerFactory(name="Hanya Beras"))
    slugs = {c.slug for c in catalog.categories()}
    cards, total, _ = catalog.list_producers(ProducerListArgs(MultiDict({"category": "telur"}), choices={"category": slugs}).filters(),
                                         per_page=10)
    assert total == 1
    assert (cards[0].producer.name, cards[0].product_count) == ("Campuran", 2)
