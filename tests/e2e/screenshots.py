"""Look at the public pages as a person would: full-page screenshots at phone and desktop width, plus
every axe finding of any impact (and the "needs review" ones) in a text file beside them.

Not part of the suite (the name does not start with test_); run it on purpose:

    .venv/bin/python -m pytest tests/e2e/screenshots.py      # into /tmp/shots-e2e, or E2E_SHOTS=<folder>
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import VIEWPORTS

pytestmark = pytest.mark.e2e

# A full-page screenshot does not scroll, so lazy images below the fold would stay blank.
EAGER_IMAGES = "document.querySelectorAll('img[loading=lazy]').forEach(img => { img.loading = 'eager'; })"


def test_screenshots(page_at, live_server, public_paths, viewport):
    from axe_playwright_python.sync_playwright import Axe

    folder = Path(os.environ.get("E2E_SHOTS", "/tmp/shots-e2e"))
    folder.mkdir(parents=True, exist_ok=True)
    width = VIEWPORTS[viewport]["width"]
    page = page_at
    findings = []
    for name, path in public_paths.items():
        page.goto(live_server + path)
        page.evaluate(EAGER_IMAGES)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        results = Axe().run(page, options={"resultTypes": ["violations", "incomplete"]}).response
        for kind in ("violations", "incomplete"):
            for v in results[kind]:
                targets = [n["target"] for n in v["nodes"]][:5]
                findings.append(f"{name}\t{kind}\t{v['impact']}\t{v['id']}\t{v['help']}\t{targets}")
    (folder / f"axe-{width}.txt").write_text("\n".join(findings) + "\n")

    # The filters opened, and keyboard focus on the first field after the bar.
    page.goto(live_server + public_paths["search"] + "&kecamatan=metro-utara")
    if page.locator(".filters > summary").is_visible():
        page.locator(".filters > summary").click()
    page.screenshot(path=str(folder / f"filters-{width}.png"))
    page.locator("#catalog-q").focus()
    page.keyboard.press("Tab")
    page.screenshot(path=str(folder / f"focus-{width}.png"))
