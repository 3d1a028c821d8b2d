"""The city's admin, on a laptop and on a phone: finds the admin area, invites a new curator, limits the
curator to crafts, deactivates an account, and reads what happened in the audit log."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import serious_violations, sign_in

pytestmark = pytest.mark.e2e

ADMIN = ("admin@demo.etalasemetro.id", "Admin-Pemkot-2026")


def _shot(page, name: str, viewport: str) -> None:
    """With ADMIN_SHOTS=<folder>, keep a full-page screenshot to look at."""
    folder = os.environ.get("ADMIN_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-{viewport}.png"), full_page=True)


def test_the_admin_invites_a_curator_scopes_and_deactivates_and_reads_the_log(page_at, live_server, viewport):
    page = page_at
    email = f"kurator.{viewport}@pemkot.metro.id"
    sign_in(page, live_server, *ADMIN)
    page.wait_for_load_state()
    if page.locator(".navbar-toggler").is_visible():
        page.locator(".navbar-toggler").click()
    # The admin lands on the overview; the Admin link leads there too, and its tabs lead on to the users.
    assert page.url.endswith("/admin/")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.locator(".nav-tabs").get_by_role("link", name="Pengguna").click()
    page.wait_for_url(re.compile(r"/admin/users"))
    assert page.get_by_role("heading", name="Pengguna").is_visible()
    assert serious_violations(page) == []
    _shot(page, "users", viewport)

    page.get_by_role("link", name="Akun staf baru").click()
    page.fill("#name", "Ratna <Kurator>")
    page.fill("#email", email)
    page.select_option("#role", "moderator")
    assert serious_violations(page) == []
    _shot(page, "new-user", viewport)
    page.get_by_role("button", name="Buat akun dan kirim undangan").click()
    page.wait_for_url(re.compile(r"/admin/users/\d+$"))
    main = page.locator("main")
    assert "Undangan untuk membuat kata sandi sudah dikirim" in main.inner_text()
    assert "Ratna <Kurator>" in page.locator("h1").inner_text()
    assert "Tanpa cakupan: kurator ini meninjau semua kategori." in main.inner_text()

    page.select_option("#s-cat", label="Kerajinan & Wastra")
    with page.expect_navigation():  # the assertions below do not wait for the page the click sends to
        page.get_by_role("button", name="Tambah").click()
    assert "Kurator ini hanya meninjau kategori berikut." in main.inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Nonaktifkan akun").click()
    assert "semua sesinya sudah diakhiri" in main.inner_text()
    assert serious_violations(page) == []
    _shot(page, "user", viewport)

    with page.expect_navigation():
        page.locator(".nav-tabs").get_by_role("link", name="Log audit").click()
    page.fill("#a-actor", ADMIN[0])
    with page.expect_navigation():
        page.get_by_role("button", name="Saring").click()
    rows = page.locator("table tbody tr")
    actions = [rows.nth(i).locator("code").inner_text() for i in range(min(rows.count(), 4))]
    assert actions[:3] == ["account.deactivated", "account.scope_added", "account.invited"]
    assert serious_violations(page) == []
    _shot(page, "audit", viewport)
