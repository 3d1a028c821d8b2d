"""Search in the buyer's words, on the demo catalog (the city's sample inventory): Indonesian word forms,
everyday and regional spellings, English, typos and two-word queries each find what the buyer means on the
first page, on SQLite and PostgreSQL alike (run this module with TEST_DATABASE_URL for the second)."""
from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from marketplace.extensions import db
from marketplace.catalog import queries as catalog
from marketplace.catalog.forms import ProductListArgs
from tests.factories import ProductFactory, category
from tests.readonly import ReadOnly, wipe
from tests.waiting import until

PER_PAGE = 24  # the catalog's first page

# query → listings (by name) that must be on the first page of results
QUERIES = [
    # Indonesian word forms (stems meet)
    ("sayuran", {"Sayur Bayam", "Kangkung", "Tomat"}),
    ("sayur-sayuran", {"Sayur Bayam", "Kangkung", "Tomat"}),
    ("olahan", {"Keripik Pisang", "Sambal Lampung Botolan"}),
    ("pemupukan", {"Pupuk Organik Cair", "Pupuk Organik Padat"}),
    ("botolan", {"Sambal Lampung Botolan"}),
    ("sayur", {"Sayur Bayam"}),
    # everyday and regional spellings
    ("telor", {"Telur Ayam Kampung", "Telur Bebek"}),
    ("endog", {"Telur Ayam Kampung"}),
    ("cabe", {"Cabai Merah Keriting"}),
    ("kripik", {"Keripik Pisang"}),
    ("sambel", {"Sambal Lampung Botolan"}),
    ("bayem", {"Sayur Bayam"}),
    ("kangkong", {"Kangkung"}),
    # English
    ("beef", {"Daging Sapi Beku", "Daging Sapi Segar"}),
    ("fertilizer", {"Pupuk Organik Cair", "Pupuk Organik Padat"}),
    ("fertiliser", {"Pupuk Organik Cair"}),
    ("rice", {"Beras Medium", "Beras Premium", "Beras Organik"}),
    ("eggs", {"Telur Ayam Kampung", "Telur Bebek"}),
    ("egg", {"Telur Bebek"}),
    ("chili", {"Cabai Merah Keriting"}),
    ("chicken", {"Ayam Probiotik Karkas"}),
    ("bananas", {"Pisang Kepok", "Keripik Pisang"}),
    ("tomatoes", {"Tomat"}),
    ("spinach", {"Sayur Bayam"}),
    ("vegetables", {"Sayur Bayam", "Kangkung", "Tomat"}),
    ("compost", {"Pupuk Organik Padat"}),
    ("handicraft", {"Kain Tapis Lampung", "Batik Metro"}),
    ("meat", {"Daging Sapi Segar"}),
    # typos (one letter, or two swapped)
    ("kangkng", {"Kangkung"}),
    ("tomta", {"Tomat"}),
    ("batk", {"Batik Metro"}),
    ("keripk", {"Keripik Pisang"}),
    ("sambla", {"Sambal Lampung Botolan"}),
    ("pupk", {"Pupuk Organik Cair"}),
    # two words
    ("banana chips", {"Keripik Pisang"}),
    ("frozen beef", {"Daging Sapi Beku"}),
    ("duck eggs", {"Telur Bebek"}),
    ("organic rice", {"Beras Organik"}),
    ("chili sauce", {"Sambal Lampung Botolan"}),
    ("telor bebek", {"Telur Bebek"}),
    ("daging spi", {"Daging Sapi Beku", "Daging Sapi Segar"}),
    ("sayr bayam", {"Sayur Bayam"}),
    ("pupuk organk", {"Pupuk Organik Cair", "Pupuk Organik Padat"}),
    ("liquid fertilizer", {"Pupuk Organik Cair"}),
    ("kain tapis", {"Kain Tapis Lampung"}),
]


def first_page(query: str, **args) -> list[str]:
    slugs = {c.slug for c in catalog.categories()}
    filters = ProductListArgs(MultiDict({"q": query, **args}), choices={"category": slugs}).filters()
    return [p.name for p in catalog.search_products(filters, per_page=PER_PAGE).items]


@pytest.fixture(scope="class")
def demo(app):
    from marketplace.seed.demo import seed_demo

    with app.app_context():
        seed_demo()
        db.session.commit()
    yield
    wipe(app)


def test_the_table_covers_forty_buyer_queries():
    assert len(QUERIES) >= 40


@pytest.mark.usefixtures("demo")
class TestDemoCatalog(ReadOnly):
    @pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
    def test_the_first_page_holds_what_the_buyer_means(self, ctx, query, expected):
        assert expected <= set(first_page(query))

    def test_a_word_nobody_sells_still_finds_nothing(self, ctx):
        assert first_page("helikopter") == []

    def test_a_typo_says_what_was_searched_instead_with_a_link_to_the_typed_words(self, client):
        page = client.get("/products?q=kangkng").get_data(as_text=True)
        assert "Menampilkan hasil untuk" in page and "<strong>kangkung</strong>" in page
        link = re.search(r'href="(/products\?[^"]*exact=1[^"]*)"', page).group(1).replace("&amp;", "&")
        exact = client.get(link).get_data(as_text=True)
        assert "Menampilkan hasil untuk" not in exact
        assert "Kangkung</a>" not in exact  # the typed word, as typed, is in no listing

    def test_the_correction_line_is_in_english_for_english_readers(self, client):
        page = client.get("/products?q=tomta&lang=en", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Showing results for" in page

    def test_a_known_word_is_never_corrected(self, client):
        assert "Menampilkan hasil untuk" not in client.get("/products?q=telur").get_data(as_text=True)

    def test_the_api_finds_the_buyers_words_too(self, client):
        names = {p["name"] for p in client.get("/api/v1/products?q=beef").get_json()["items"]}
        assert names >= {"Daging Sapi Beku", "Daging Sapi Segar"}

    def test_the_buyer_can_still_sort_a_search_by_price(self, ctx):
        assert set(first_page("eggs", sort="price_asc")) == set(first_page("eggs"))

    @pytest.mark.parametrize("query", ['"telor', "beef OR", "sayuran*", "NEAR(cabe)", "-pupuk", "tel^or", "(rice"])
    def test_operators_and_symbols_with_buyers_words_never_break(self, client, query):
        assert client.get("/products", query_string={"q": query}).status_code == 200


# ------------------------------------------------------------------ what ranks first


def test_a_match_in_the_name_ranks_before_one_in_the_description(ctx):
    ProductFactory(name="Sambal Botol", description="Sambal dengan tomat segar.", category=category("olahan-pangan"))
    ProductFactory(name="Tomat Merah", description="Dipetik pagi.", category=category("sayur-buah"))
    assert first_page("tomat") == ["Tomat Merah", "Sambal Botol"]


def test_the_word_as_typed_ranks_before_its_stem(ctx):
    ProductFactory(name="Olah Rasa Singkong", category=category("kerajinan-wastra"))
    ProductFactory(name="Olahan Singkong", category=category("kerajinan-wastra"))
    assert first_page("olahan") == ["Olahan Singkong", "Olah Rasa Singkong"]


def test_listings_that_match_alike_come_newest_first_on_either_database(ctx):
    """The rank is a tier the same on both databases (name, own words, stem), not each engine's own score."""
    ProductFactory(name="Madu", category=category("olahan-pangan"))
    ProductFactory(name="Madu Hutan Lampung Asli", category=category("olahan-pangan"))
    assert first_page("madu") == ["Madu Hutan Lampung Asli", "Madu"]


def test_an_admin_adds_a_word_from_a_file_without_a_deploy(app, ctx, tmp_path):
    ProductFactory(name="Gula Aren Cetak", category=category("olahan-pangan"))
    assert first_page("palm sugar") == []
    sheet = tmp_path / "kosakata.csv"
    sheet.write_text("term,means,kind\npalm sugar,gula aren,english\nbeef,daging sapi,english\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["search", "vocabulary", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "1 entries added, 1 already known" in result.output
    assert first_page("palm sugar") == ["Gula Aren Cetak"]


# ------------------------------------------------------------------ the catalog's words, read again in the background


def _words_read(app) -> None:
    """Until this worker's catalog words are read again (search.catalog_words reads them in a thread)."""
    state = app.extensions["search.catalog_words"]

    def done() -> bool:
        with state.lock:
            return not state.refreshing
    until(done, "reading the catalog's words again")


def test_a_word_a_new_listing_brings_is_found_at_once_not_corrected(app, ctx):
    """The search after a publish does not wait for the catalog's words to be read again: the words of the version
    before are used, and a word they lack is looked up in the live index before it is taken for a typo (sawo is
    one letter from sawi)."""
    from marketplace.catalog import search

    ProductFactory(name="Sawi Hijau", category=category("sayur-buah"))
    assert first_page("sawi") == ["Sawi Hijau"]  # the first search reads the words, and waits for them
    ProductFactory(name="Sawo Manila", category=category("sayur-buah"))
    assert first_page("sawo") == ["Sawo Manila"], "a new listing's word taken for a typo of an older one"
    assert search.correction("sawo") is None
    _words_read(app)


def test_a_typo_is_corrected_to_a_new_listings_word_once_the_words_are_read_again(app, ctx, monkeypatch):
    from marketplace.catalog import search

    monkeypatch.setattr(search, "REREAD_AFTER", 0)

    ProductFactory(name="Sawi Hijau", category=category("sayur-buah"))
    assert first_page("sawi") == ["Sawi Hijau"]
    ProductFactory(name="Sawo Manila", category=category("sayur-buah"))
    first_page("sawo")  # starts reading the words again
    _words_read(app)
    words, read_under = search.catalog_words()
    assert read_under == search.catalog_cache.version() and "manila" in words.own
    assert search.correction("manilla") == "manila"
    assert first_page("manilla") == ["Sawo Manila"]
