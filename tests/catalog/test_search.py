"""Full-text search over the published catalog: what a buyer's words find, and what they never break."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from marketplace.extensions import db
from marketplace.models import Product
from marketplace.catalog import queries as catalog, search
from marketplace.catalog.forms import ProductListArgs
from tests.factories import ProducerFactory, ProductFactory, category
from tests.readonly import ReadOnly, wipe


def found(per_page: int = 100, **args) -> list[str]:
    """Names of the products the catalog shows for these query-string arguments."""
    slugs = {c.slug for c in catalog.categories()}
    filters = ProductListArgs(MultiDict({k: str(v) for k, v in args.items()}), choices={"category": slugs}).filters()
    return [p.name for p in catalog.search_products(filters, per_page=per_page).items]


def indexed(query: str) -> set[int]:
    """Ids the search index itself matches (no status filter on top), to see what the index holds."""
    stmt, _ = search.apply(select(Product.id), query)
    return set(db.session.scalars(stmt))


@pytest.fixture(scope="class")
def rice(app):
    """One organic rice among look-alikes that share only one of its words."""
    with app.app_context():
        ProductFactory(name="Beras Putih Medium")
        ProductFactory(name="Pupuk Organik Cair", category=category("pupuk-sarana-tani"))
        ProductFactory(name="Beras Organik Pandan Wangi")
    yield
    wipe(app)


# ------------------------------------------------------------------ what words find

class TestWords(ReadOnly):
    @pytest.mark.parametrize("query", ["beras organik", "BERAS ORGANIK", "organik beras", "  beras   organik  "])
    def test_every_word_must_match_in_any_order_and_case(self, rice, ctx, query):
        assert found(q=query) == ["Beras Organik Pandan Wangi"]

    @pytest.mark.parametrize("query", ["pand", "organ pand", "ber org", "wang", "b o p w"])
    def test_words_match_as_prefixes(self, rice, ctx, query):
        assert found(q=query) == ["Beras Organik Pandan Wangi"]

    @pytest.mark.parametrize("query", ["kopi", "beras kopi", "pandanwangi"])
    def test_a_word_in_no_product_finds_nothing(self, rice, ctx, query):
        assert found(q=query) == []


def test_the_producers_name_is_searchable(ctx):
    producer = ProducerFactory(name="KWT Mawar Melati")
    ProductFactory(producer=producer, name="Keripik Pisang")
    ProductFactory(name="Keripik Singkong")
    assert found(q="mawar") == ["Keripik Pisang"]
    assert found(q="keripik melati") == ["Keripik Pisang"]


@pytest.mark.parametrize("query", ["selatan", "metro selatan", "margorejo"])
def test_kecamatan_and_kelurahan_are_searchable(ctx, query):
    south = ProducerFactory(kecamatan="metro-selatan", kelurahan="Margorejo")
    north = ProducerFactory(kecamatan="metro-utara", kelurahan="Banjarsari")
    ProductFactory(producer=south, name="Telur Selatan")
    ProductFactory(producer=north, name="Telur Utara")
    assert found(q=query) == ["Telur Selatan"]


def test_the_category_name_is_searchable_in_both_languages(ctx):
    ProductFactory(name="Ayam Kampung Petelur", category=category("telur"))
    ProductFactory(name="Beras Premium")
    assert found(q="telur") == ["Ayam Kampung Petelur"]
    assert found(q="eggs") == ["Ayam Kampung Petelur"]


def test_the_description_is_searchable(ctx):
    ProductFactory(name="Beras Premium", description="Digiling di Kelurahan Yosodadi, kadar air 14%.")
    ProductFactory(name="Beras Medium")
    assert found(q="digiling") == ["Beras Premium"]


def test_a_name_match_ranks_above_a_description_match(ctx):
    ProductFactory(name="Pupuk Kandang", description="Cocok untuk sawah padi dan beras organik.",
                   monthly_capacity=999_999, category=category("pupuk-sarana-tani"))
    ProductFactory(name="Beras Organik", monthly_capacity=10)
    assert found(q="beras organik") == ["Beras Organik", "Pupuk Kandang"]


def test_the_name_outranks_newer_listings_that_match_elsewhere(ctx):
    """Rank first, newest first only within a rank: the oldest listing, named with the words (in its English
    name too), comes before newer ones that have them in the producer's name or the description."""
    ProductFactory(name="Keripik Tempe", name_en="Organic Chips")
    ProductFactory(name="Kopi Bubuk", producer=ProducerFactory(name="KWT Organic Chips"))
    ProductFactory(name="Gula Aren", description="Teman organic chips.")
    assert found(q="organic chips") == ["Keripik Tempe", "Gula Aren", "Kopi Bubuk"]


@pytest.mark.parametrize("window", [0, 1, 2, 3, 4, 5, 100])
def test_the_first_page_is_the_same_when_looked_for_among_the_newest_listings(ctx, monkeypatch, window):
    """The first pages are looked for among the newest RANK_WINDOW listings, and the whole ranking is used when
    too few listings named with the words are there: the page is the same for every window."""
    ProductFactory(name="Beras Lama")
    ProductFactory(name="Gula Aren", description="Manis, cocok untuk kue beras.")
    ProductFactory(name="Beras Baru")
    ProductFactory(name="Kopi Bubuk", producer=ProducerFactory(name="KWT Beras Jaya"))
    ProductFactory(name="Beras Terbaru")
    ProductFactory(name="Teh Hijau", description="Teman nasi beras.")
    monkeypatch.setattr(catalog, "RANKED_PAGES", 1)
    monkeypatch.setattr(catalog, "RANK_WINDOW", window)
    assert found(per_page=2, q="beras") == ["Beras Terbaru", "Beras Baru"]
    assert found(per_page=2, q="beras", exact="1") == ["Beras Terbaru", "Beras Baru"]
    assert found(per_page=2, q="beras lama") == ["Beras Lama"]


# ------------------------------------------------------------------ what search never shows

@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "suspended", "archived"])
def test_unpublished_products_are_not_found(ctx, status):
    ProductFactory(name="Beras Tersembunyi", status=status)
    ProductFactory(name="Beras Tampil")
    assert found(q="beras") == ["Beras Tampil"]


@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "suspended", "archived"])
def test_published_products_of_an_unpublished_producer_are_not_found(ctx, status):
    hidden = ProducerFactory(status=status)
    ProductFactory(producer=hidden, name="Beras Tersembunyi")
    ProductFactory(name="Beras Tampil")
    assert found(q="beras") == ["Beras Tampil"]


def test_unpublished_products_are_not_even_in_the_index(ctx):
    draft = ProductFactory(name="Beras Draf", status="draft")
    shown = ProductFactory(name="Beras Tampil")
    assert indexed("beras") == {shown.id}
    assert draft.id not in indexed("draf")


def test_reindex_after_a_product_is_taken_offline_removes_it(ctx):
    product = ProductFactory(name="Beras Ditarik")
    assert indexed("ditarik") == {product.id}
    product.status = "suspended"
    db.session.commit()
    search.reindex([product.id])
    db.session.commit()
    assert indexed("ditarik") == set()
    assert found(q="ditarik") == []


def test_reindex_after_a_producer_is_taken_offline_removes_all_its_products(ctx):
    producer = ProducerFactory(name="Gapoktan Sumber Rejeki")
    first = ProductFactory(producer=producer, name="Beras Rejeki")
    second = ProductFactory(producer=producer, name="Jagung Rejeki")
    other = ProductFactory(name="Beras Lain")
    assert indexed("rejeki") == {first.id, second.id}
    producer.status = "suspended"
    db.session.commit()
    search.reindex_producer(producer.id)
    db.session.commit()
    assert indexed("rejeki") == set()
    assert indexed("beras") == {other.id}


def test_reindex_after_a_rename_finds_the_new_name_only(ctx):
    product = ProductFactory(name="Gula Aren")
    product.name = "Gula Semut"
    db.session.commit()
    search.reindex([product.id])
    db.session.commit()
    assert found(q="semut") == ["Gula Semut"]
    assert found(q="aren") == []


def test_reindexing_everything_keeps_exactly_the_public_products(ctx):
    shown = ProductFactory(name="Beras Tampil")
    ProductFactory(name="Beras Draf", status="draft")
    search.reindex()
    db.session.commit()
    assert indexed("beras") == {shown.id}


# ------------------------------------------------------------------ what a buyer may type

PLAIN_WORD_IN_PUNCTUATION = ['"beras', 'beras"', "(beras", "beras)", "beras*", "*beras", "beras:",
                             "&beras", "beras|", "!beras", "-beras", "+beras", "'beras'", "beras;", "{beras}",
                             "[beras]", "^beras", "beras~", "beras\\", "%beras%", "beras_"]

HOSTILE_QUERIES = [
    '"', '""', "'", "''", '"beras', "beras OR", "OR", "AND", "NOT", "NEAR", "NEAR(beras premium)", "beras NEAR/2 x",
    "beras AND NOT premium", "(", ")", "((beras)", "beras)", "*", "beras*", "*:*", ":", "name:", "a & b | !c", "&", "|",
    "!", "!!", "&&", "||", "-", "--", "beras' OR 1=1 --", "'; DROP TABLE product; --", "%", "_", "%_\\", "\\",
    "beras <-> premium", "beras:*", "beras:A", "{}", "[]", "^", "~", "@@", "NULL", "\t\n", "ⓑⓔⓡⓐⓢ", "béras",
    "مرحبا", "日本語", "ภาษาไทย", "e\u0301", "\u200b", "\u202ebeb", "\ufeff", "🍚", "🍚 beras", "👩‍🌾🌾",
    "x" * 500, "beras " * 100, "a" * 64 + " " + "b" * 64, "!@#$%^&*()_+-=[]{};':\",./<>?`~",
]


@pytest.fixture(scope="class")
def shop(app):
    with app.app_context():
        ProductFactory(name="Beras Premium")
        ProductFactory(name="Telur Ayam Kampung", category=category("telur"))
    yield
    wipe(app)


class TestQueriesOnOneCatalog(ReadOnly):
    """Read-only requests against one small catalog, built once."""

    @pytest.mark.parametrize("query", HOSTILE_QUERIES)
    def test_any_query_answers_200(self, shop, client, query):
        response = client.get("/products", query_string={"q": query})
        assert response.status_code == 200
        assert "Katalog" in response.get_data(as_text=True) or "Hasil pencarian" in response.get_data(as_text=True)

    @pytest.mark.parametrize("query", HOSTILE_QUERIES)
    def test_any_query_answers_200_in_the_api(self, shop, client, query):
        response = client.get("/api/v1/products", query_string={"q": query})
        assert response.status_code == 200
        assert set(response.get_json()) == {"items", "total", "page", "per_page"}

    @pytest.mark.parametrize("query", PLAIN_WORD_IN_PUNCTUATION)
    def test_punctuation_around_a_word_is_ignored(self, shop, client, query):
        page = client.get("/products", query_string={"q": query}).get_data(as_text=True)
        assert "Beras Premium" in page
        assert "Telur Ayam Kampung" not in page

    @pytest.mark.parametrize("query", ["OR", "AND", "NOT", "NEAR", "beras OR telur", "beras AND NOT telur"])
    def test_operator_words_are_plain_words(self, shop, app, query):
        """No product contains the words 'or', 'and', 'not' or 'near', so nothing matches them."""
        with app.app_context():
            assert found(q=query) == []

    def test_the_search_words_are_kept_in_the_search_box(self, shop, client):
        page = client.get("/products", query_string={"q": "beras premium"}).get_data(as_text=True)
        assert 'value="beras premium"' in page
