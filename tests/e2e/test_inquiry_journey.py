"""The trade desk's journey, in Chromium on the demo data (issue 14): a Food Station buyer asks on a phone for
20 ton of premium rice a month for 12 months; the facilitator takes the proposed plan over at least two producers;
the producers offer on phones, one of them in kg; the quotation reaches the buyer, who accepts it on the phone;
the contract counts against the MoU, a delivery is recorded, and the dashboard shows 20 ton more contracted in
each of the 12 months and the delivered volume in the first. axe runs on every new page."""
from __future__ import annotations

import re
from datetime import date

import pytest

from tests.e2e.conftest import serious_violations, sign_in

pytestmark = pytest.mark.e2e

FACILITATOR = ("fasilitator@demo.etalasemetro.id", "Fasilitator-BUMD-2026")
PHONE = {"width": 360, "height": 740}
SHOTS = __import__("os").environ.get("JOURNEY_SHOTS")  # a folder to keep the journey's screenshots in


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _tons(text: str) -> float:
    """'40 ton' / '35,5 ton' / '0 kg' → tonnes."""
    number, unit = re.match(r"([\d.,]+)\s*(\w+)", text.strip()).groups()
    value = float(number.replace(".", "").replace(",", "."))
    return value / 1000 if unit == "kg" else value


def _rice_months(page, base: str, first: date) -> dict[str, tuple[float, float]]:
    """The MoU's rice target table for the 12 months from `first`: month → (contracted, delivered) in tonnes."""
    last = date(first.year + (first.month + 10) // 12, (first.month + 10) % 12 + 1, 28)
    page.goto(f"{base}/facilitator/dashboard?period=custom&start={first.isoformat()}&end={last.isoformat()}")
    table = page.locator("table.figure-table", has=page.locator("caption", has_text="Beras"))
    rows = {}
    for row in table.locator("tbody tr").all():
        cells = row.locator("th, td").all_inner_texts()
        rows[cells[0]] = (_tons(cells[2]), _tons(cells[4]))
    return rows


def test_twenty_tons_of_premium_rice_a_month_pooled_quoted_accepted_and_counted(browser, live_server, live_app,
                                                                                 monkeypatch):
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)
    # The other journeys on this server have sent inquiries this minute: the per-minute limit is not tested here.
    monkeypatch.setitem(live_app.config, "INQUIRY_LIMIT", "1000 per minute")
    from marketplace.core import clock

    today = clock.today()  # Metro's day (WIB): after 17:00 UTC it is already tomorrow there
    first = date(today.year, today.month, 1)
    facilitator = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID").new_page()
    sign_in(facilitator, live_server, *FACILITATOR)
    before = _rice_months(facilitator, live_server, first)
    assert len(before) == 12

    # 1. The buyer, on a phone, asks for 20 ton a month for 12 months, in ton, from today.
    with live_app.app_context():
        from sqlalchemy import select

        from marketplace.extensions import db
        from marketplace.models import Producer, Product

        product_id = db.session.scalar(select(Product.id).join(Producer).where(
            Producer.nib == "9285878682663", Product.name == "Beras Premium"))
        db.session.remove()
    buyer = browser.new_context(viewport=PHONE, locale="id-ID").new_page()
    buyer.goto(f"{live_server}/products/{product_id}")
    buyer.get_by_role("link", name="Minta penawaran").first.click()
    buyer.fill("#quantity", "20")
    buyer.select_option("#unit", "ton")
    buyer.select_option("#frequency", "monthly")
    buyer.fill("#periods", "12")
    buyer.fill("#starts_on", today.isoformat())
    buyer.select_option("#delivery_city", "jakarta-timur")
    buyer.fill("#company", "Perumda Food Station Tjipinang Jaya")
    buyer.select_option("#buyer_type", "bumd")
    buyer.fill("#contact_name", "Andi Saputra")
    buyer.fill("#phone", "0813-1111-2222")
    buyer.fill("#email", "andi@foodstation.co.id")
    assert "20 ton per bulan selama 12 bulan" in buyer.locator("#volume-phrase").inner_text()
    with buyer.expect_navigation():
        buyer.get_by_role("button", name="Kirim permintaan").click()
    if "/track/" not in buyer.url:  # a quantity warning was shown: sending again confirms the quantity
        with buyer.expect_navigation():
            buyer.get_by_role("button", name="Kirim permintaan").click()
    assert "/inquiries/track/" in buyer.url, (buyer.url, buyer.locator(".alert, .invalid-feedback").all_inner_texts())
    reference = re.search(r"INQ-\d{4}-\d{6}", buyer.locator("h1").inner_text()).group(0)
    tracking = buyer.url

    # 2. The facilitator takes the proposed plan: at least two producers, the volume covered.
    facilitator.goto(live_server + "/facilitator/inquiries")
    facilitator.get_by_role("link", name=reference).click()
    with facilitator.expect_navigation():  # a click does not wait for the page it sends to; count() does not wait
        facilitator.get_by_role("button", name="Ambil").click()
    ticked = facilitator.locator("table.suggestions tbody input[type=checkbox]:checked")
    assert ticked.count() >= 2
    _shot(facilitator, "forwarding-plan-desktop")
    assert serious_violations(facilitator) == []
    with facilitator.expect_navigation():
        facilitator.get_by_role("button", name="Teruskan", exact=True).click()
    assert "Tercakup 100%" in facilitator.locator("main").inner_text()

    # 3. Each producer signs in on a phone and offers; the first answers in kg.
    with live_app.app_context():
        from marketplace.accounts.users import create_user
        from marketplace.models import Inquiry

        inquiry = db.session.scalar(select(Inquiry).where(Inquiry.reference == reference))
        inquiry_id = inquiry.id
        logins = []
        for allocation in inquiry.allocations:
            email = f"beras{allocation.producer_id}@contoh.id"
            if allocation.producer.accounts == []:
                create_user(email, "kata-sandi-produsen-beras", "producer", allocation.producer.slug)
            else:
                email = None
            logins.append((email, allocation.id, allocation.requested_qty, allocation.unit))
        db.session.commit()
        db.session.remove()
    for n, (email, allocation_id, quantity, unit) in enumerate(logins):
        if email is None:
            continue
        producer = browser.new_context(viewport=PHONE, locale="id-ID").new_page()
        sign_in(producer, live_server, email, "kata-sandi-produsen-beras")
        producer.goto(live_server + "/dashboard/inquiries")
        card = producer.locator(f"#alokasi-{allocation_id}")
        kilos = quantity * 1000 if unit == "ton" else quantity
        if n == 0:  # in kg, the listing's unit
            card.locator("select[name$=-unit]").select_option("kg")
            card.locator("input[name$=offered_qty]").fill(f"{kilos:.0f}")
            card.locator("input[name$=-price]").fill("14.200")
        else:  # in ton, the buyer's unit
            card.locator("select[name$=-unit]").select_option("ton")
            card.locator("input[name$=offered_qty]").fill(f"{kilos / 1000:g}".replace(".", ","))
            card.locator("input[name$=-price]").fill("14.200.000")
        with producer.expect_navigation():
            card.get_by_role("button", name="Kirim penawaran").click()
        if "Penawaran Anda terkirim" not in producer.locator("main").inner_text():
            card = producer.locator(f"#alokasi-{allocation_id}")
            card.locator("input[name$=send_anyway]").check()
            with producer.expect_navigation():
                card.get_by_role("button", name="Kirim penawaran").click()
        assert "Penawaran Anda terkirim" in producer.locator("main").inner_text()
        if n == 0:
            _shot(producer, "producer-offer-phone")
            assert serious_violations(producer) == []
        producer.context.close()

    # 4. The facilitator sends the quotation; the buyer accepts it on the phone, after a second step.
    facilitator.goto(f"{live_server}/facilitator/inquiries/{inquiry_id}")
    with facilitator.expect_navigation():
        facilitator.get_by_role("button", name="Kirim penawaran harga ke pembeli").click()
    assert "versi 1 terkirim" in facilitator.locator("main").inner_text()
    buyer.goto(tracking)
    quotation = buyer.locator("#penawaran")
    assert "Rp" in quotation.inner_text() and "Harga rata-rata" in quotation.inner_text()
    assert buyer.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(buyer, "buyer-quotation-phone")
    assert serious_violations(buyer) == []
    with buyer.expect_navigation():
        buyer.get_by_role("button", name="Terima penawaran…").click()
    assert serious_violations(buyer) == []
    with buyer.expect_navigation():
        buyer.get_by_role("button", name="Ya, terima penawaran").click()
    assert "kontrak KTR-" in buyer.locator("main").inner_text()

    # 5. The contract counts against the MoU; a delivery of 12 ton is recorded today.
    facilitator.goto(f"{live_server}/facilitator/inquiries/{inquiry_id}")
    facilitator.locator("a", has_text="Kontrak KTR-").first.click()
    mou = facilitator.locator("#agreement option", has_text="MOU-METRO-DKI-2026").get_attribute("value")
    facilitator.locator("#agreement").select_option(mou)
    with facilitator.expect_navigation():
        facilitator.locator("form[action$='/agreement'] button").click()
    in_kg = "(kg)" in facilitator.locator("#line_id option").first.inner_text()
    facilitator.locator("#quantity").fill("12.000" if in_kg else "12")
    facilitator.locator("#delivered_on").fill(today.isoformat())
    with facilitator.expect_navigation():
        facilitator.get_by_role("button", name="Catat pengiriman").click()
    assert "Pengiriman dicatat" in facilitator.locator("main").inner_text()
    _shot(facilitator, "contract-desktop")
    assert serious_violations(facilitator) == []

    # 6. The dashboard: 20 ton more contracted in each of the 12 months, the delivery in the first.
    after = _rice_months(facilitator, live_server, first)
    assert list(after) == list(before)
    assert [round(after[m][0] - before[m][0], 2) for m in after] == [20.0] * 12
    assert [round(after[m][1] - before[m][1], 3) for m in after] == [12.0] + [0.0] * 11
    _shot(facilitator, "dashboard-mou-months-desktop")
