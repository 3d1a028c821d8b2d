"""A Jakarta purchasing officer finds Metro's rice and reaches the inquiry button, on a laptop and a phone."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import serious_violations

pytestmark = pytest.mark.e2e


def test_search_filter_and_reach_the_inquiry_button(page_at, live_server, viewport):
    page = page_at
    page.goto(live_server + "/")
    assert "Produk UMKM Kota Metro" in page.locator("h1").inner_text()
    assert serious_violations(page) == []

    page.fill("#home-q", "beras")
    page.press("#home-q", "Enter")
    page.wait_for_url(re.compile(r"/products\?q=beras"))
    cards = page.locator(".product-card")
    assert cards.count() >= 3
    assert "Beras" in cards.first.inner_text()
    assert serious_violations(page) == []

    page.select_option("#f-kecamatan", "metro-utara")
    page.get_by_role("button", name="Terapkan").click()
    page.wait_for_url(re.compile(r"kecamatan=metro-utara"))
    for text in page.locator(".product-card").all_inner_texts():
        assert "Metro Utara" in text and "Beras" in text

    page.locator(".product-card .card-title a").first.click()
    page.wait_for_url(re.compile(r"/products/\d+"))
    product_id = re.search(r"/products/(\d+)", page.url).group(1)
    body = page.locator("main").inner_text()
    for fact in ("Minimal pemesanan", "Kapasitas produksi per bulan", "Rp ", "Sertifikat dan izin"):
        assert fact in body
    button = page.get_by_role("link", name="Minta penawaran")
    assert button.get_attribute("href") == f"/inquiries/new?product={product_id}"
    assert button.is_visible()
    assert serious_violations(page) == []


@pytest.mark.parametrize("path", ["/producers", "/producers/kwt-mawar-melati", "/tidak-ada"])
def test_other_public_pages_pass_the_accessibility_scan(page_at, live_server, path):
    page_at.goto(live_server + path)
    assert serious_violations(page_at) == []


def test_the_language_switch_is_on_every_page_and_remembered(page_at, live_server):
    page = page_at
    page.goto(live_server + "/products")
    assert page.locator("html").get_attribute("lang") == "id"
    if page.locator(".navbar-toggler").is_visible():
        page.locator(".navbar-toggler").click()
    page.locator(".lang-switch a[lang=en]").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(live_server + "/producers")
    assert page.locator("html").get_attribute("lang") == "en"


def test_no_horizontal_scroll_on_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    for path in ("/", "/products?q=beras", "/producers/kwt-mawar-melati"):
        page.goto(live_server + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    context.close()
