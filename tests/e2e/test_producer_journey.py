"""A producer on a phone adds a product with photos and tiered prices and sends it for review;
a curator reviews a change side by side, and buyers see it only after approval."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.e2e.conftest import serious_violations, sign_in

pytestmark = pytest.mark.e2e

PRODUCER = ("produsen@demo.etalasemetro.id", "Produsen-Metro-2026")
CURATOR = ("kurator@demo.etalasemetro.id", "Kurator-Dekranasda-2026")


def _photo(color) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(buffer, "JPEG")
    return {"name": f"foto-{color[0]}.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_producer_adds_a_product_with_photos_and_tiers_on_a_phone(phone, live_server):
    page = phone
    sign_in(page, live_server, *PRODUCER)
    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert serious_violations(page) == []

    page.get_by_role("link", name="Tambah produk").first.click()
    page.select_option("#category_id", label="Kerajinan & Wastra")
    page.fill("#name", "Selendang Tapis Siger")
    page.fill("#description", "Selendang tapis tenun tangan dengan motif siger.")
    page.select_option("#unit", "lembar")
    page.fill("#tiers-0-min_qty", "5")
    page.fill("#tiers-0-price", "450.000")
    page.fill("#tiers-1-min_qty", "20")
    page.fill("#tiers-1-price", "420.000")
    page.fill("#min_order_qty", "5")
    page.fill("#monthly_capacity", "60")
    page.get_by_role("button", name="Simpan draf").click()
    page.wait_for_url(re.compile(r"/dashboard/products/\d+/edit"))
    assert "disimpan sebagai draf" in page.locator("main").inner_text()
    assert page.input_value("#tiers-0-price") == "450.000"

    page.set_input_files("#photos", [_photo((200, 40, 60)), _photo((40, 120, 60))])
    page.get_by_role("button", name="Unggah foto").click()
    page.wait_for_url(re.compile(r"#foto$"))
    assert page.locator(".photo-item").count() == 2
    assert serious_violations(page) == []

    page.get_by_role("button", name="Kirim untuk ditinjau").click()
    page.wait_for_url(re.compile(r"/dashboard/products(#\w*)?$"))
    row = page.locator(".product-row", has_text="Selendang Tapis Siger")
    assert "Menunggu peninjauan" in row.inner_text()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_a_change_goes_live_only_after_the_curator_approves(browser, live_server):
    producer = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    curator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    buyer = browser.new_context().new_page()

    sign_in(producer, live_server, *PRODUCER)
    producer.goto(live_server + "/dashboard/products")
    producer.locator(".product-row a", has_text="Kain Tapis Lampung").click()
    product_id = re.search(r"/products/(\d+)/edit", producer.url).group(1)
    producer.fill("#monthly_capacity", "35")
    producer.get_by_role("button", name="Kirim untuk ditinjau").click()
    producer.wait_for_url(re.compile(r"/dashboard/products(#\w*)?$"))

    buyer.goto(f"{live_server}/products/{product_id}")
    assert "20 lembar" in buyer.locator("[data-facts=order]").inner_text()

    sign_in(curator, live_server, *CURATOR)
    curator.goto(live_server + "/moderation/")
    curator.locator(".queue-table a", has_text="Kain Tapis Lampung").click()
    changed = curator.locator("tr.diff-changed", has_text="Kapasitas")
    assert "20 lembar" in changed.inner_text() and "35 lembar" in changed.inner_text()
    assert serious_violations(curator) == []
    curator.get_by_role("button", name="Setujui").click()
    curator.wait_for_url(re.compile(r"/moderation/$"))

    buyer.reload()
    assert "35 lembar" in buyer.locator("[data-facts=order]").inner_text()


def test_a_rejection_reaches_the_producer_with_its_reason(browser, live_server):
    producer = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    curator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    sign_in(producer, live_server, *PRODUCER)
    producer.goto(live_server + "/dashboard/products")
    producer.locator(".product-row a", has_text="Daging Sapi Segar").click()
    producer.fill("#monthly_capacity", "90000")
    producer.get_by_role("button", name="Kirim untuk ditinjau").click()

    sign_in(curator, live_server, *CURATOR)
    curator.goto(live_server + "/moderation/?kind=product_change")
    curator.locator(".queue-table a", has_text="Daging Sapi Segar").click()
    curator.fill("#reason", "Kapasitas 90 ton per bulan tidak sesuai data inventaris.")
    curator.get_by_role("button", name="Tolak").click()
    curator.wait_for_url(re.compile(r"/moderation/$"))

    producer.goto(live_server + "/dashboard/")
    attention = producer.locator(".attention-rejected").inner_text()
    assert "Daging Sapi Segar" in attention
    assert "Kapasitas 90 ton per bulan tidak sesuai data inventaris." in attention
