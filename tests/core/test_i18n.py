"""Language: Indonesian by default, ?lang=en switches and is remembered, anything else falls back."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import Markup
from tests.readonly import ReadOnly


def lang_of(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


def switch_link(response, code: str) -> str:
    """The href of the language switch to `code` on this page."""
    match = re.search(rf'<a href="([^"]+)" lang="{code}" hreflang="{code}"', response.get_data(as_text=True))
    assert match, f"no switch to {code}"
    return Markup(match.group(1)).unescape()


class TestLanguage(ReadOnly):
    """These requests write nothing to the database, so they share it without a wipe after each test."""

    @pytest.mark.parametrize("url", ["/", "/products", "/producers", "/inquiries/new", "/auth/login", "/tidak-ada"])
    def test_indonesian_by_default(self, client, url):
        assert lang_of(client.get(url)) == "id"

    def test_indonesian_pages_speak_indonesian(self, client):
        page = client.get("/products").get_data(as_text=True)
        assert "Katalog produk" in page and "Product catalog" not in page

    def test_a_browser_asking_for_english_still_starts_in_indonesian(self, client):
        assert lang_of(client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})) == "id"

    def test_lang_en_switches_the_page_to_english(self, client):
        response = client.get("/products?lang=en")
        page = response.get_data(as_text=True)
        assert lang_of(response) == "en"
        assert "Product catalog" in page and "Katalog produk" not in page

    def test_lang_en_sets_a_long_lived_private_cookie(self, client):
        cookie = client.get("/?lang=en").headers["Set-Cookie"]
        assert cookie.startswith("lang=en;")
        assert "Max-Age=31536000" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie

    def test_the_choice_is_remembered_on_the_next_page(self, client):
        client.get("/?lang=en")
        assert lang_of(client.get("/producers")) == "en"
        assert lang_of(client.get("/products")) == "en"

    def test_switching_back_to_indonesian_is_remembered_too(self, client):
        client.get("/?lang=en")
        client.get("/?lang=id")
        assert client.get_cookie("lang", domain="etalase.test").value == "id"
        assert lang_of(client.get("/producers")) == "id"

    @pytest.mark.parametrize("asked", ["xx", "fr", "EN", "en-US", "", "id\x00", "<script>"])
    def test_an_unsupported_lang_falls_back_to_indonesian_and_sets_no_cookie(self, client, asked):
        response = client.get("/", query_string={"lang": asked})
        assert response.status_code == 200
        assert lang_of(response) == "id"
        assert "lang=" not in response.headers.get("Set-Cookie", "")

    def test_an_unsupported_lang_keeps_the_remembered_choice(self, client):
        client.get("/?lang=en")
        assert lang_of(client.get("/?lang=xx")) == "en"
        assert client.get_cookie("lang", domain="etalase.test").value == "en"

    @pytest.mark.parametrize("cookie", ["xx", "", "en; x=1"])
    def test_an_unsupported_cookie_falls_back_to_indonesian(self, client, cookie):
        client.set_cookie("lang", cookie, domain="etalase.test")
        assert lang_of(client.get("/")) == "id"

    def test_asking_again_for_the_remembered_language_sets_no_new_cookie(self, client):
        client.get("/?lang=en")
        assert "Set-Cookie" not in client.get("/?lang=en").headers

    @pytest.mark.parametrize("url", ["/", "/products", "/producers", "/inquiries/new", "/auth/login", "/tidak-ada"])
    def test_every_page_offers_the_other_language(self, client, url):
        response = client.get(url)
        link = urlsplit(switch_link(response, "en"))
        assert link.path == urlsplit(url).path
        assert parse_qs(link.query)["lang"] == ["en"]

    def test_the_switch_keeps_the_search_and_filters(self, client):
        response = client.get("/products?q=beras+organik&category=telur&sort=moq")
        link = urlsplit(switch_link(response, "en"))
        assert (link.path, parse_qs(link.query)) == (
            "/products", {"q": ["beras organik"], "category": ["telur"], "sort": ["moq"], "lang": ["en"]})

    def test_the_switch_replaces_the_language_rather_than_adding_one(self, client):
        response = client.get("/products?lang=en&page=2")
        assert parse_qs(urlsplit(switch_link(response, "id")).query) == {"page": ["2"], "lang": ["id"]}

    def test_category_names_follow_the_language(self, client):
        assert "Rice &amp; Cereals" in client.get("/?lang=en").get_data(as_text=True)
        assert "Beras &amp; Serealia" in client.get("/?lang=id").get_data(as_text=True)

    def test_numbers_follow_the_language(self, client):
        page_en = client.get("/products?lang=en&min_capacity=1250000").get_data(as_text=True)
        assert "≥ 1,250,000" in page_en
        page_id = client.get("/products?lang=id&min_capacity=1250000").get_data(as_text=True)
        assert "≥ 1.250.000" in page_id
