"""Compare and request together (issue 16), in Chromium on the demo data, on a desktop (1366 px) and a phone
(360 px): a buyer ticks three rice listings on the catalog, compares them side by side at 5 ton, sends one request
for two of them, and the facilitator finds it in the queue as one request with two lines. axe runs on every new
page; JOURNEY_SHOTS=<folder> keeps the screenshots."""
from __future__ import annotations

import os
import re

import pytest

from tests.e2e.conftest import serious_violations, sign_in
from tests.e2e.test_buyer_journey import SMALL_TARGETS, TARGETS

pytestmark = pytest.mark.e2e

FACILITATOR = ("fasilitator@demo.etalasemetro.id", "Fasilitator-BUMD-2026")
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 360, "height": 740}}
SHOTS = os.environ.get("JOURNEY_SHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_compare_three_rices_then_ask_for_two_in_one_request(browser, live_server, live_app, monkeypatch, size):
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)
    monkeypatch.setitem(live_app.config, "INQUIRY_LIMIT", "1000 per minute")
    buyer = browser.new_context(viewport=SIZES[size], locale="id-ID").new_page()
    buyer.set_default_timeout(10_000)

    # 1. The catalog's rice: three ticks, counted in the bar.
    buyer.goto(f"{live_server}/products?category=beras-serealia")
    ticks = buyer.locator("input[form=compare-form][name=id]")
    assert ticks.count() >= 3
    names = []
    for n in range(3):
        ticks.nth(n).check()
        names.append(ticks.nth(n).get_attribute("data-compare-name"))
    bar = buyer.locator("#compare-form")
    assert "(3)" in bar.inner_text()
    _shot(buyer, f"compare-catalog-{size}")
    assert serious_violations(buyer) == []

    # 2. Side by side; then the price at 5 ton in each listing's unit.
    with buyer.expect_navigation():
        bar.get_by_role("button", name=re.compile("Bandingkan")).click()
    assert "/products/compare" in buyer.url
    heads = buyer.locator("table.compare-table thead th[scope=col] > a:first-child").all_inner_texts()
    assert heads == names
    producers = buyer.locator("table.compare-table thead th[scope=col] > div").all_inner_texts()
    assert len(set(producers)) == 3
    buyer.fill("#compare-qty", "5")
    buyer.select_option("#compare-unit", "ton")
    with buyer.expect_navigation():
        buyer.get_by_role("button", name="Hitung harga").click()
    prices = buyer.locator("tr.compare-row-price td").all_inner_texts()
    assert len(prices) == 3 and all("Rp" in p for p in prices), prices
    assert all("untuk 5 ton" in p or "untuk 5.000 kg" in p or "5 ton" in p for p in prices), prices
    if size == "phone":  # the row names stay in view while the listings scroll sideways
        region = buyer.locator("div.compare-scroll")
        region.evaluate("el => el.scrollLeft = el.scrollWidth")
        label = buyer.locator("tr.compare-row-price th").bounding_box()
        assert label["x"] >= 0 and label["x"] < 30
        # only the table scrolls sideways, and every target is thumb-sized
        assert buyer.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
        assert buyer.evaluate(SMALL_TARGETS, " ".join(TARGETS.split())) == []
    _shot(buyer, f"compare-table-{size}")
    assert serious_violations(buyer) == []

    # 3. One request for the first two: a line each, filled with 5 ton in the listing's unit.
    buyer.locator("input[form=request-form][name=product]").nth(2).uncheck()
    with buyer.expect_navigation():
        buyer.get_by_role("button", name="Minta penawaran untuk yang dicentang").click()
    lines = buyer.locator("fieldset.inquiry-line")
    assert lines.count() == 2
    assert [t.split(" · ")[0].strip() for t in lines.locator("legend").all_inner_texts()] == names[:2]
    for n in range(2):
        assert lines.nth(n).locator("input[name^=qty-]").input_value() in ("5000", "5")
    lines.nth(1).locator("input[name^=qty-]").fill("3.000")
    lines.nth(1).locator("select[name^=unit-]").select_option("kg")
    buyer.select_option("#frequency", "monthly")
    buyer.fill("#periods", "6")
    buyer.select_option("#delivery_city", "jakarta-pusat")
    buyer.fill("#company", f"Hotel Perbandingan {size}")
    buyer.select_option("#buyer_type", "hotel")
    buyer.fill("#contact_name", "Maya Lestari")
    buyer.fill("#phone", "0812-7777-8888")
    buyer.fill("#email", "maya@hotel.contoh.id")
    _shot(buyer, f"compare-request-{size}")
    assert serious_violations(buyer) == []
    with buyer.expect_navigation():
        buyer.get_by_role("button", name="Kirim permintaan").click()
    if "/track/" not in buyer.url:  # a quantity warning: sending again confirms it
        with buyer.expect_navigation():
            buyer.get_by_role("button", name="Kirim permintaan").click()
    assert "/inquiries/track/" in buyer.url, (buyer.url, buyer.locator(".alert, .invalid-feedback").all_inner_texts())
    reference = re.search(r"INQ-\d{4}-\d{6}", buyer.locator("h1").inner_text()).group(0)
    request = buyer.locator("#permintaan").locator("xpath=..").inner_text()
    assert "2 produk" in request
    assert producers[0] in request and producers[1] in request and producers[2] not in request
    assert "8 ton per bulan selama 6 bulan" in request  # 5 t + 3.000 kg
    buyer.context.close()

    # 4. The facilitator's queue: one request, two lines, the total.
    facilitator = browser.new_context(viewport=SIZES[size], locale="id-ID").new_page()
    sign_in(facilitator, live_server, *FACILITATOR)
    facilitator.goto(live_server + "/facilitator/inquiries")
    row = facilitator.locator("table.queue-table tbody tr", has=facilitator.get_by_role("link", name=reference))
    assert row.count() == 1
    assert "2 produk" in row.inner_text() and "8 ton" in row.inner_text()
    with facilitator.expect_navigation():
        row.get_by_role("link", name=reference).click()
    shown = facilitator.locator("ul.inquiry-lines li").all_inner_texts()
    assert len(shown) == 2 and producers[0] in shown[0] and producers[1] in shown[1]
    assert "3 ton per bulan selama 6 bulan" in shown[1]
    _shot(facilitator, f"compare-inquiry-{size}")
    facilitator.context.close()
