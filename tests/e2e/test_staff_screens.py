"""The staff's own screens in a real browser, on the demo data: the admin's overview, and the two queues on a
360 px phone, where each row is a card (no sideways scrolling) and axe finds nothing serious."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import VIEWPORTS, serious_violations, sign_in

pytestmark = pytest.mark.e2e

ADMIN = ("admin@demo.etalasemetro.id", "Admin-Pemkot-2026")
FACILITATOR = ("fasilitator@demo.etalasemetro.id", "Fasilitator-BUMD-2026")


def _fits(page, viewport) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_admin_signs_in_to_an_overview_that_fits_the_screen(browser, live_server, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="id-ID")
    page = context.new_page()
    sign_in(page, live_server, *ADMIN)
    assert page.url.endswith("/admin/")
    assert page.locator("h1").inner_text() == "Ringkasan admin"
    assert page.locator("[data-waiting=inquiries] .display-6").inner_text().isdigit()
    assert _fits(page, viewport)
    assert serious_violations(page) == []
    context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_facilitator_queue_fits_a_phone_with_a_card_per_inquiry(browser, live_server, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="id-ID")
    page = context.new_page()
    sign_in(page, live_server, *FACILITATOR)
    page.goto(live_server + "/facilitator/inquiries")
    assert _fits(page, viewport)
    first = page.locator("table.queue-table tbody tr").first
    box = first.bounding_box()
    if viewport == "phone":
        # One card: as wide as the screen allows, the values stacked under the reference.
        assert box["width"] <= VIEWPORTS["phone"]["width"] and box["height"] > 150
        label = page.evaluate("() => getComputedStyle(document.querySelector('td[data-label]'), '::before').content")
        assert "Perusahaan" in label
    else:
        assert box["height"] < 120  # a row of the dense table
    assert serious_violations(page) == []
    context.close()


def _an_inquiry_waiting_for_a_quotation(live_app) -> int:
    from sqlalchemy import select

    from marketplace.extensions import db
    from marketplace.models import Inquiry

    with live_app.app_context():
        return db.session.scalar(select(Inquiry.id).where(Inquiry.status == "responded").order_by(Inquiry.id))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_inquiry_page_puts_the_next_step_first_on_a_phone_and_three_columns_on_a_desktop(
        browser, live_app, live_server, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="id-ID")
    page = context.new_page()
    sign_in(page, live_server, *FACILITATOR)
    page.goto(f"{live_server}/facilitator/inquiries/{_an_inquiry_waiting_for_a_quotation(live_app)}")
    assert _fits(page, viewport)
    note = page.locator("#catatan textarea")
    if viewport == "phone":
        # The producers have answered: a quotation to the buyer is what the inquiry needs, so it comes first, open.
        first = page.locator("details.inquiry-panel").first
        assert first.get_attribute("id") == "penawaran-harga" and first.get_attribute("open") is not None
        assert first.get_by_role("button", name="Kirim penawaran harga ke pembeli").is_visible()
        assert page.locator("#permintaan").get_attribute("open") is not None  # the buyer's request right after
        assert not note.is_visible()  # the other sections are closed until tapped
        page.locator("#catatan > summary").click()
        assert note.is_visible()
    else:
        boxes = [page.locator(f"#{key}").bounding_box() for key in ("permintaan", "penawaran-harga", "lini-masa")]
        lefts = [box["x"] for box in boxes]
        assert lefts == sorted(lefts) and lefts[1] - lefts[0] > 250 and lefts[2] - lefts[1] > 250  # three columns
        assert max(box["y"] for box in boxes[:2]) - min(box["y"] for box in boxes[:2]) < 5  # side by side
        assert note.is_visible()  # every section shows on a desktop
    assert serious_violations(page) == []
    context.close()
