"""Each staff role finds its work: the admin's overview, and the waiting counts on the navigation bar."""
from __future__ import annotations

import re

from marketplace.extensions import db
from marketplace.models import Inquiry
from marketplace.accounts import audit
from marketplace.trade import service as inquiries
from tests.factories import ProductFactory, UserFactory, category


def _inquiry(n: int, status: str = "new") -> Inquiry:
    inquiry = Inquiry(reference=f"INQ-2026-{n:06d}", tracking_token=f"tok-{n}", form_token=f"form-{n}",
                      company=f"Hotel {n}", buyer_type="hotel", contact_name="Rina", email="rina@hotel.co.id",
                      phone="+6281211112222", quantity=200, unit="kg", frequency="monthly",
                      delivery_city="jakarta-pusat", category_id=category("beras-serealia").id, status=status)
    db.session.add(inquiry)
    return inquiry


def _badge(html: str, label: str) -> str | None:
    """The number in the navigation link called `label`, or None when it shows none."""
    match = re.search(rf'class="nav-link[^"]*"[^>]*>{label}\s*(?:<span class="badge[^>]*>(\d+))?', html)
    assert match, f"no navigation link {label!r}"
    return match.group(1)


def test_the_facilitators_navigation_counts_new_inquiries_nobody_holds(client, login_as, accounts):
    for n in range(1, 4):
        _inquiry(n)
    db.session.commit()
    inquiries.claim(db.session.scalar(db.select(Inquiry.id).where(Inquiry.reference == "INQ-2026-000001")),
                    accounts.facilitator)
    db.session.commit()
    login_as("facilitator")
    assert _badge(client.get("/facilitator/dashboard").get_data(as_text=True), "Permintaan") == "2"


def test_the_navigation_shows_no_count_when_nothing_waits(client, login_as):
    login_as("facilitator")
    assert _badge(client.get("/facilitator/inquiries").get_data(as_text=True), "Permintaan") is None


def test_producers_see_no_inquiry_count(client, login_as):
    _inquiry(1)
    db.session.commit()
    login_as("producer_a")
    assert "baru, belum diambil" not in client.get("/dashboard/").get_data(as_text=True)


def test_the_admins_overview_shows_what_waits_with_numbers_that_match_the_rows(client, login_as, accounts):
    admin = login_as("admin")
    for n in range(1, 3):
        _inquiry(n)
    ProductFactory(producer=accounts.producer_a_store, status="pending")
    UserFactory(email="undangan@contoh.id").password_hash = None  # invited, never signed in
    audit.record("inventory.imported", note="inventaris-2026.xlsx", actor=admin)
    db.session.commit()
    page = client.get("/admin/").get_data(as_text=True)
    waiting = dict(re.findall(r'data-waiting="(\w+)">\s*<span[^>]*>(\d+)</span>', page))
    assert waiting == {"reviews": "1", "inquiries": "2", "invitations": "1"}
    assert "inventaris-2026.xlsx" in page  # the last import
    assert "Inventaris UMKM diimpor" in page  # recent activity, in words
    for link in ("/admin/import/", "/admin/users", "/admin/reports/", "/admin/audit"):
        assert f'href="{link}' in page, link


def test_the_admin_navigation_leads_to_the_overview_and_the_import(client, login_as):
    login_as("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert re.search(r'<a class="nav-link[^"]*" href="/admin/">Admin', page)
    assert 'href="/admin/import/"' in page.split('class="nav nav-tabs')[1]
