"""The review queue in pages: a moderator with thousands waiting gets the oldest first, a page at a time, and the
count of everything; the page's cost does not grow with what waits."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.listings import review as moderation
from marketplace.listings.workflow import publication
from marketplace.models import Role
from tests.conftest import login
from tests.factories import CertificateFactory, ProducerFactory, ProductFactory, UserFactory, category
from tests.test_query_budget import statements_for


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(moderation, "QUEUE_PAGE_SIZE", 3)
    monkeypatch.setattr(moderation, "CERTIFICATES_SHOWN", 2)


def _submit(accounts, count: int, start: int = 0, kategori: str = "beras-serealia") -> list:
    products = []
    for n in range(start, start + count):
        product = ProductFactory(producer=accounts.producer_a_store, name=f"Menunggu {n:03d}", status="draft",
                                 category=category(kategori))
        publication.apply("submit", product, accounts.producer_a)
        product.submitted_at = clock.now() - timedelta(days=100 - n)  # the lower the number, the longer it waits
        products.append(product)
    db.session.commit()
    return products


def _titles(page: str) -> list[str]:
    return re.findall(r"Menunggu \d{3}", page)


def test_the_queue_shows_the_oldest_page_first_and_counts_everything(app, accounts, small_pages):
    _submit(accounts, 7)
    client = app.test_client()
    login(client, accounts.moderator)
    first = client.get("/moderation/").get_data(as_text=True)
    assert _titles(first) == ["Menunggu 000", "Menunggu 001", "Menunggu 002"]
    assert "7 menunggu peninjauan" in first
    assert "Halaman 1 dari 3" in first
    last = client.get("/moderation/?page=3").get_data(as_text=True)
    assert _titles(last) == ["Menunggu 006"]
    # a page past the end shows the last one, and a page number that is no number is page 1
    assert _titles(client.get("/moderation/?page=99").get_data(as_text=True)) == ["Menunggu 006"]
    assert _titles(client.get("/moderation/?page=abc").get_data(as_text=True))[0] == "Menunggu 000"


def test_the_pages_keep_the_filters(app, accounts, small_pages):
    _submit(accounts, 4)
    _submit(accounts, 4, start=10, kategori="kerajinan-wastra")
    client = app.test_client()
    login(client, accounts.moderator)
    wastra = category("kerajinan-wastra")
    page = client.get(f"/moderation/?category={wastra.id}").get_data(as_text=True)
    assert _titles(page) == ["Menunggu 010", "Menunggu 011", "Menunggu 012"]
    assert f"category={wastra.id}" in re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert _titles(client.get(f"/moderation/?category={wastra.id}&page=2").get_data(as_text=True)) == ["Menunggu 013"]


def test_a_scoped_moderators_count_and_pages_hold_only_their_categories(app, accounts, small_pages):
    _submit(accounts, 2)
    _submit(accounts, 4, start=10, kategori="kerajinan-wastra")
    crafts = UserFactory(email="wastra@contoh.id", role=Role.MODERATOR,
                         moderated_categories=[category("kerajinan-wastra")])
    db.session.commit()
    assert moderation.queue_count(crafts) == 4
    assert moderation.queue_count(accounts.moderator) == 6
    client = app.test_client()
    login(client, crafts)
    page = client.get("/moderation/").get_data(as_text=True)
    assert "4 menunggu peninjauan" in page and "Menunggu 000" not in page


def test_the_certificate_lists_show_the_first_and_say_how_many_there_are(app, accounts, small_pages):
    for n in range(5):
        store = ProducerFactory(name=f"Toko Sertifikat {n}")
        CertificateFactory(producer=store, kind="halal", number=f"ID-{n}", valid_until=date(2000, 1, 1 + n))
    db.session.commit()
    client = app.test_client()
    login(client, accounts.moderator)
    page = client.get("/moderation/").get_data(as_text=True)
    expired = page[page.index('id="expired"'):]
    assert "Toko Sertifikat 0" in expired and "Toko Sertifikat 1" in expired and "Toko Sertifikat 2" not in expired
    assert "2 dari 5 ditampilkan" in expired


def test_the_queue_reads_the_same_statements_for_a_few_waiting_as_for_many(app, accounts):
    client = app.test_client()
    login(client, accounts.moderator)
    _submit(accounts, 3)
    client.get("/moderation/")  # warm
    few = statements_for(app, client, "/moderation/")
    _submit(accounts, 60, start=3)
    many = statements_for(app, client, "/moderation/")
    assert _titles(client.get("/moderation/").get_data(as_text=True)) == [f"Menunggu {n:03d}" for n in range(50)]
    assert len(many) == len(few), "\n\n".join(many)


def test_kinds_waiting_together_are_paged_in_one_order(app, accounts, small_pages):
    """New listings and new storefronts, submitted in turns: every page holds the next oldest of either kind."""
    _submit(accounts, 4, start=0)  # 100, 99, 98 and 97 days ago
    for n, days in ((50, 100.5), (60, 98.5), (70, 96.5)):
        ProducerFactory(name=f"Menunggu {n:03d}", status="pending", submitted_at=clock.now() - timedelta(days=days))
    db.session.commit()
    client = app.test_client()
    login(client, accounts.moderator)
    shown = [list(dict.fromkeys(_titles(client.get(f"/moderation/?page={page}").get_data(as_text=True))))
             for page in (1, 2, 3)]  # a storefront's name is on its row twice
    assert shown == [["Menunggu 050", "Menunggu 000", "Menunggu 001"], ["Menunggu 060", "Menunggu 002", "Menunggu 003"],
                     ["Menunggu 070"]]
