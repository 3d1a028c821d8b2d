"""Listings in English too (issue 16, part 5): a producer adds an English name and description (a storefront an
English description), a moderator reviews them, English pages show them, and fall back to the Indonesian text
marked lang="id" where there is none; search finds the English words."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.listings import editing as listings
from marketplace.listings import fields
from marketplace.listings import review as moderation
from tests import htmlq
from tests.conftest import csrf_from, login
from tests.factories import ProducerFactory, ProductFactory


def _page(client, path: str) -> htmlq.Node:
    return htmlq.parse(client.get(path).get_data(as_text=True))


def _card_names(page: htmlq.Node) -> dict[str, str | None]:
    """Each card's name link: its text and its lang attribute (None: the page's language)."""
    return {a.text(): a.attrs.get("lang") for a in page.find_all("a")
            if "stretched-link" in (a.attrs.get("class") or "").split()}


@pytest.fixture
def rice(ctx):
    producer = ProducerFactory(name="Poktan Siger Emas", slug="siger-emas", description="Kelompok tani di Banjarsari.",
                               description_en="A farmers' group in Banjarsari.")
    english = ProductFactory(producer=producer, name="Beras Pulen Banjarsari", description="Beras pulen dan wangi.",
                             name_en="Siger Premium Rice", description_en="Soft, fragrant rice.")
    plain = ProductFactory(producer=producer, name="Beras Merah", description="Beras merah tumbuk.")
    return english, plain


def test_the_helper_chooses_english_where_it_exists_and_marks_the_indonesian_fallback(app, rice):
    english, plain = rice
    with app.test_request_context("/?lang=en"):
        name = fields.listing_text(english, "name", "en")
        assert (str(name), name.lang, str(name.lang_attr)) == ("Siger Premium Rice", "en", "")
        fallback = fields.listing_text(plain, "description", "en")
        assert (str(fallback), str(fallback.lang_attr)) == ("Beras merah tumbuk.", ' lang="id"')
        indonesian = fields.listing_text(english, "name", "id")
        assert (str(indonesian), str(indonesian.lang_attr)) == ("Beras Pulen Banjarsari", "")


def test_english_cards_show_the_english_name_and_mark_the_indonesian_one(client, rice):
    assert _card_names(_page(client, "/products?lang=en")) == {"Siger Premium Rice": None, "Beras Merah": "id"}
    # the same cached cards serve the Indonesian page in Indonesian
    assert _card_names(_page(client, "/products?lang=id")) == {"Beras Pulen Banjarsari": None, "Beras Merah": None}


def test_the_english_product_page_shows_the_english_text(client, rice):
    english, plain = rice
    page = _page(client, f"/products/{english.id}?lang=en")
    assert page.find("h1").text() == "Siger Premium Rice" and "lang" not in page.find("h1").attrs
    assert page.find("title").text().startswith("Siger Premium Rice")
    description = page.by_id("deskripsi").parent.find("p")
    assert (description.text(), description.attrs.get("lang")) == ("Soft, fragrant rice.", None)
    other = _page(client, f"/products/{plain.id}?lang=en")
    assert (other.find("h1").text(), other.find("h1").attrs.get("lang")) == ("Beras Merah", "id")
    assert other.by_id("deskripsi").parent.find("p").attrs.get("lang") == "id"


def test_the_storefront_shows_its_english_description_on_english_pages(client, rice):
    page = _page(client, "/producers/siger-emas?lang=en")
    about = page.by_id("tentang").parent.find("p")
    assert (about.text(), about.attrs.get("lang")) == ("A farmers' group in Banjarsari.", None)
    assert _page(client, "/producers/siger-emas?lang=id").by_id("tentang").parent.find("p").text() == \
        "Kelompok tani di Banjarsari."
    store = ProducerFactory(slug="tanpa-inggris", description="Usaha keluarga.")
    ProductFactory(producer=store)
    about = _page(client, "/producers/tanpa-inggris?lang=en").by_id("tentang").parent.find("p")
    assert (about.text(), about.attrs.get("lang")) == ("Usaha keluarga.", "id")


@pytest.mark.parametrize("words", ["fragrant", "premium", "fragrant premium"])
def test_search_finds_the_english_words(client, rice, words):
    body = client.get("/api/v1/products", query_string={"q": words}).get_json()
    assert [p["name"] for p in body["items"]] == ["Beras Pulen Banjarsari"]
    assert "Siger Premium Rice" in _card_names(_page(client, f"/products?lang=en&q={words}"))


def test_an_english_name_ranks_as_a_name(client, rice):
    """A word of the English name is a name match (rank 0), above the newer listing whose producer has it."""
    body = client.get("/api/v1/products", query_string={"q": "siger", "sort": "relevance"}).get_json()
    assert [p["name"] for p in body["items"]] == ["Beras Pulen Banjarsari", "Beras Merah"]


def test_english_text_goes_through_review_and_reaches_the_index_when_approved(app, client, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, name="Kopi Robusta Metro")
    login(client, accounts.producer_a)
    data = htmlq.form_data(htmlq.parse(client.get(f"/dashboard/products/{product.id}/edit").get_data(as_text=True))
                           .find("form", id="product-form"))
    data.update(name_en="Metro Robusta Coffee", description_en="Sun-dried robusta beans.", action="submit",
                csrf_token=csrf_from(client.get(f"/dashboard/products/{product.id}/edit")))
    assert client.post(f"/dashboard/products/{product.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert product.name_en == ""  # buyers keep the approved listing until a moderator decides
    revision = listings.open_revision(product)
    rows = {d.name: d for d in moderation.compare(product, revision) if d.changed}
    assert set(rows) == {"name_en", "description_en"}
    assert rows["name_en"].proposed == "Metro Robusta Coffee"
    assert client.get("/api/v1/products", query_string={"q": "coffee"}).get_json()["total"] == 0
    moderation.approve(product, accounts.moderator)
    db.session.commit()
    assert client.get("/api/v1/products", query_string={"q": "coffee"}).get_json()["total"] == 1
    (item,) = client.get("/api/v1/products").get_json()["items"]
    assert (item["name_en"], item["description_en"]) == ("Metro Robusta Coffee", "Sun-dried robusta beans.")


def test_the_storefront_editor_keeps_an_english_description(client, accounts):
    store = accounts.producer_a_store
    login(client, accounts.producer_a)
    page = htmlq.parse(client.get("/dashboard/storefront").get_data(as_text=True))
    form = next(f for f in page.find_all("form") if f.find("textarea", name="description_en"))
    data = htmlq.form_data(form)
    data.update(description_en="Family rice mill since 1998.", action="save",
                csrf_token=csrf_from(client.get("/dashboard/storefront")))
    assert client.post("/dashboard/storefront", data=data).status_code == 302
    db.session.expire_all()
    assert listings.producer_values(store)["description_en"] == "Family rice mill since 1998."
