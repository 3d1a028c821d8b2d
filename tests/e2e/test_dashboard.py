"""The monitoring dashboard in a real browser, on the demo history: every chart is drawn by the vendored
Chart.js under the strict CSP (no console error, no CSP report), the page fits a phone, axe finds nothing
serious, and the printable report has no navigation."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import VIEWPORTS, serious_violations, sign_in

pytestmark = pytest.mark.e2e

FACILITATOR = ("fasilitator@demo.etalasemetro.id", "Fasilitator-BUMD-2026")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_dashboard_draws_every_chart_and_fits_the_screen(browser, live_server, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="id-ID")
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, live_server, *FACILITATOR)
    page.goto(live_server + "/facilitator/dashboard")
    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() >= 5  # week, funnel, contracts ×2, demand, and one per agreement target
    # Charts are drawn as they come near the screen (one per task, so the page never blocks on all of them).
    for i in range(canvases.count()):
        canvases.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("c => !!Chart.getChart(c)", arg=canvases.nth(i).element_handle(), timeout=5000)
    drawn = page.evaluate("() => [...document.querySelectorAll('canvas[data-chart]')].map(c => !!Chart.getChart(c))")
    assert all(drawn)
    assert page.evaluate("() => Chart.defaults.animation") is False  # prefers-reduced-motion honoured
    assert page.evaluate("() => document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    assert "Rp" in page.locator(".kpis").inner_text()
    assert problems == []
    assert serious_violations(page) == []

    page.goto(live_server + "/admin/reports/print?period=6m")
    assert page.locator("nav.navbar").count() == 0 and page.locator("table").count() >= 8
    assert serious_violations(page) == []
    context.close()
