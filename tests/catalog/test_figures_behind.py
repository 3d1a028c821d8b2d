"""On a large catalog the counts and the home page's sums are recomputed behind the requests after a change
(catalog/cache.py `cached_behind`): the first visitors get the current list at once, with figures a change behind
for the second the recount takes; a page with such figures is never kept, and a suspension still shows at once."""
from __future__ import annotations

import pytest

from marketplace.catalog import cache as catalog_cache
from tests.catalog_changes import as_on_a_large_catalog, build_shop, publish
from tests.test_query_budget import counting
from tests.waiting import until


@pytest.fixture
def shop(ctx, accounts):
    return build_shop(accounts)


@pytest.fixture
def large(app, monkeypatch):
    return lambda: as_on_a_large_catalog(app, monkeypatch)


def _recounted() -> None:
    def done() -> bool:
        with catalog_cache._lock:
            return not catalog_cache._behind
    until(done, "recomputing the figures behind the requests")


def test_after_a_publish_the_list_is_current_at_once_and_the_total_follows(app, client, shop, large):
    before = client.get("/api/v1/products?per_page=50").get_json()
    large()
    url, shown = publish(shop)
    first = client.get("/api/v1/products?per_page=50")
    names = [item["name"] for item in first.get_json()["items"]]
    assert shown in names, "the list waited for nothing and is the current version's"
    assert first.get_json()["total"] == before["total"], "the total is a change behind, not recounted in the request"
    _recounted()
    with counting() as statements:
        again = client.get("/api/v1/products?per_page=50")
    assert again.get_json()["total"] == before["total"] + 1
    assert len(statements) > 1, "the page with the figures a change behind was kept"
    with counting() as statements:
        assert client.get("/api/v1/products?per_page=50").get_json()["total"] == before["total"] + 1
    assert len(statements) == 1, "the page with the current figures is kept"


def test_a_producer_suspended_leaves_the_home_page_at_once_while_its_figures_are_behind(client, shop, large):
    from marketplace.extensions import db
    from marketplace.listings import review as moderation

    store = shop.accounts.producer_a_store
    page = client.get("/").get_data(as_text=True)
    assert store.name in page and "Beras Pandan Wangi" in page
    large()
    moderation.suspend(store, shop.accounts.moderator, "Izin usaha dicabut")
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert store.name not in page and "Beras Pandan Wangi" not in page
    _recounted()
    assert store.name not in client.get("/").get_data(as_text=True)


def test_a_small_catalog_counts_in_the_request(app, client, shop, monkeypatch):
    monkeypatch.setitem(app.config, "FIGURES_BEHIND_AFTER_MS", 100)  # production's: its counts take less
    before = client.get("/api/v1/products?per_page=50").get_json()["total"]
    publish(shop)
    assert client.get("/api/v1/products?per_page=50").get_json()["total"] == before + 1
    assert not catalog_cache._behind


def test_a_producer_suspended_leaves_the_directory_at_once_and_its_total_follows(client, shop, large):
    from marketplace.extensions import db
    from marketplace.listings import review as moderation

    store = shop.accounts.producer_a_store
    before = client.get("/api/v1/producers?per_page=50").get_json()
    assert store.name in [item["name"] for item in before["items"]]
    large()
    moderation.suspend(store, shop.accounts.moderator, "Izin usaha dicabut")
    db.session.commit()
    first = client.get("/api/v1/producers?per_page=50").get_json()
    assert store.name not in [item["name"] for item in first["items"]], "the list is the current version's"
    assert first["total"] == before["total"], "the total is a change behind, not recounted in the request"
    _recounted()
    assert client.get("/api/v1/producers?per_page=50").get_json()["total"] == before["total"] - 1


def test_after_a_burst_of_changes_only_the_last_ones_figures_are_computed(app, client, shop, large, monkeypatch):
    """Two changes in a row at a million listings: the figures of the first, still waiting for the background
    thread when the second came, are not computed (a second or more each, for nobody); the second's are."""
    import threading

    from marketplace.extensions import db

    computed = []
    timed = catalog_cache._timed
    monkeypatch.setattr(catalog_cache, "_timed",
                        lambda key, compute, current: computed.append((key[0], current)) or timed(key, compute, current))
    before = client.get("/api/v1/products?per_page=50").get_json()["total"]
    large()
    busy = threading.Event()
    catalog_cache.in_background(busy.wait, 10)  # the background thread is still at work on something else
    try:
        publish(shop)
        first = catalog_cache.version()
        assert client.get("/api/v1/products?per_page=50").get_json()["total"] == before, "a change behind"
        publish(shop)
        second = catalog_cache.version()
        assert client.get("/api/v1/products?per_page=50").get_json()["total"] == before, "still the older figures"
        db.session.rollback()
    finally:
        busy.set()
    _recounted()
    assert ("counts", first) not in computed, "the first change's figures were computed though replaced"
    assert ("counts", second) in computed
    assert client.get("/api/v1/products?per_page=50").get_json()["total"] == before + 2
