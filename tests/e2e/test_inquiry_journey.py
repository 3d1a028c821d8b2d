"""A buyer asks for 2 tonnes of rice a month; the BUMD splits it over two producers; both accept;
the facilitator records the deals; the buyer's tracking page shows the progress."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import serious_violations, sign_in

pytestmark = pytest.mark.e2e

FACILITATOR = ("fasilitator@demo.etalasemetro.id", "Fasilitator-BUMD-2026")


def test_two_tonnes_of_rice_split_over_two_producers(browser, live_server, live_app, monkeypatch):
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)
    buyer = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    buyer.goto(live_server + "/products?q=beras+premium")
    buyer.locator(".product-card .card-title a").first.click()
    buyer.get_by_role("link", name="Minta penawaran").click()
    buyer.fill("#quantity", "2.000")
    buyer.select_option("#frequency", "monthly")
    buyer.select_option("#delivery_city", "jakarta-selatan")
    buyer.fill("#company", "Hotel Dharmawangsa")
    buyer.select_option("#buyer_type", "hotel")
    buyer.fill("#contact_name", "Rina Wijaya")
    buyer.fill("#phone", "0812-3456-7890")
    buyer.fill("#email", "rina@dharmawangsa.co.id")
    assert serious_violations(buyer) == []
    buyer.get_by_role("button", name="Kirim permintaan").click()
    if "Kirim permintaan" in buyer.title() or buyer.locator(".alert-warning").count():
        buyer.get_by_role("button", name="Kirim permintaan").click()  # acknowledge the capacity warning
    buyer.wait_for_url(re.compile(r"/inquiries/track/"))
    reference = re.search(r"INQ-\d{4}-\d{6}", buyer.locator("h1").inner_text()).group(0)
    tracking = buyer.url

    facilitator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(facilitator, live_server, *FACILITATOR)
    facilitator.wait_for_url(re.compile(r"/facilitator/inquiries"))
    facilitator.get_by_role("link", name=reference).click()
    facilitator.get_by_role("button", name="Ambil").click()
    rows = facilitator.locator("table.suggestions tbody tr")
    assert rows.count() >= 2
    for index in range(rows.count()):  # the proposed plan comes ticked: this journey makes its own split
        rows.nth(index).locator("input[type=checkbox]").uncheck()
    for index, quantity in ((0, "1.200"), (1, "800")):
        rows.nth(index).locator("input[type=checkbox]").check()
        rows.nth(index).locator("input[name^=qty-]").fill(quantity)
    facilitator.get_by_role("button", name="Teruskan", exact=True).click()
    assert "Tercakup 100%" in facilitator.locator("main").inner_text()
    assert serious_violations(facilitator) == []

    # Each of the two producers signs in on a phone and sends an offer.
    with live_app.app_context():
        from marketplace.extensions import db
        from marketplace.models import Inquiry
        from marketplace.accounts.users import create_user

        inquiry = db.session.query(Inquiry).filter_by(reference=reference).one()
        logins = []
        for allocation in inquiry.allocations:
            email = f"beras{allocation.producer_id}@contoh.id"
            create_user(email, "kata-sandi-produsen-beras", "producer", allocation.producer.slug)
            logins.append((email, "kata-sandi-produsen-beras", allocation.id, allocation.requested_qty))
        db.session.commit()
        db.session.remove()
    for email, password, allocation_id, quantity in logins:
        producer = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
        sign_in(producer, live_server, email, password)
        # the demo history may leave this producer older forwards still waiting, so only "some" is certain
        assert re.search(r"\d+ permintaan pembeli menunggu jawaban Anda\.", producer.locator("main").inner_text())
        producer.get_by_role("link", name="Jawab permintaan").click()
        card = producer.locator(f"#alokasi-{allocation_id}")
        assert "Hotel Dharmawangsa" not in card.inner_text()  # contact not released
        card.locator("input[name$=offered_qty]").fill(f"{quantity:g}".replace(".", ","))
        card.locator("input[name$=price]").fill("12.800")
        card.get_by_role("button", name="Kirim penawaran").click()
        assert "Penawaran Anda terkirim" in producer.locator("main").inner_text()
        producer.context.close()

    facilitator.reload()
    form = facilitator.locator("form[action$='/deal']")
    for option in form.locator("select option").all_inner_texts():
        form.locator("select").select_option(label=option)
        form.locator("input[name=volume]").fill("1.000")
        form.locator("input[name=unit_price]").fill("12.800")
        form.get_by_role("button", name="Catat kesepakatan").click()
        form = facilitator.locator("form[action$='/deal']")
    facilitator.get_by_role("button", name="Tandai sepakat").click()
    assert "Rp 12.800.000" in facilitator.locator("main").inner_text()

    buyer.goto(tracking)
    progress = buyer.locator(".timeline").inner_text()
    for step in ("Diperiksa fasilitator", "Diteruskan ke produsen", "Produsen menjawab", "Sepakat"):
        assert step in progress
