"""Kept pages across processes: two app processes on one database (PostgreSQL with TEST_DATABASE_URL, else a SQLite
file) each show every kind of change on their next request; with REDIS_URL they share one render.

The Redis tests use the Redis on 127.0.0.1:6379 (REDIS_TEST_URL overrides it) under a key prefix of their own,
deleted afterwards; skipped when no Redis answers, except under CI=true (tests/core/test_redis_shared.py)."""
from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.catalog import page_cache
from marketplace.extensions import db
from tests.catalog_changes import CHANGES, build_shop
from tests.conftest import Accounts, IsolatedClient
from tests.core.test_redis_shared import REDIS_URL, redis_prefix  # noqa: F401 — a fixture
from tests.gunicorn_server import Browser, gunicorn, migrated_database
from tests.test_query_budget import counting


def _get(browser, worker: int, path: str, etag: str | None = None) -> tuple[int, str, str]:
    """GET on the kept-alive connection to one worker (its own process, with its own memory)."""
    connection = browser.connections[browser.pids[worker]]
    connection.request("GET", path, headers={"Accept-Encoding": "identity", **({"If-None-Match": etag} if etag else {})})
    response = connection.getresponse()
    return response.status, response.headers.get("ETag", ""), response.read().decode()


@pytest.fixture
def two_processes(tmp_path):
    """A small catalog on a database of its own, served by two gunicorn workers: two processes, each keeping
    pages in its own memory, as two servers would."""
    with migrated_database(tmp_path) as (url, app):
        with app.app_context():
            shop = build_shop(Accounts())
            with gunicorn(url, tmp_path, workers=2, RATELIMIT_PER_PROCESS="1") as server:
                browser = Browser(server, workers=2)
                assert len(browser.pids) == 2
                yield shop, browser
                browser.close()
            db.session.remove()


def test_each_kind_of_change_shows_in_both_processes_at_their_next_request(two_processes):
    shop, browser = two_processes
    product_page = f"/products/{shop.product.id}"
    for kind in ("publish", "approve", "price change", "photo approval", "suspend"):  # suspend last: it is gone
        warm = {}
        for worker in (0, 1):
            for path in ("/products", product_page):
                _get(browser, worker, path)
                status, etag, _ = _get(browser, worker, path)  # now from the process's memory
                assert status == 200
                warm[worker, path] = etag
        url, shown = CHANGES[kind](shop)  # committed by this test's process, through the app's services
        for worker in (0, 1):
            status, etag, page = _get(browser, worker, url, warm[worker, url])
            assert status == 200 and etag != warm[worker, url], (kind, worker)
            if shown is None:
                assert "Beras Pandan Wangi" not in page, (kind, worker)
                assert _get(browser, worker, product_page)[0] == 404
            else:
                assert shown in page, (kind, worker)


def _redis_app(prefix: str, database_url: str, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_DIR=str(tmp_path / "uploads"),
                     REDIS_URL=REDIS_URL, PAGE_CACHE_KEY_PREFIX=f"{prefix}:page:")
    app.test_client_class = IsolatedClient
    return app


def test_two_app_processes_with_redis_share_one_render(app, ctx, accounts, redis_prefix, database_url, tmp_path):  # noqa: F811
    redis, prefix = redis_prefix
    shop = build_shop(accounts)
    first, second = _redis_app(prefix, database_url, tmp_path), _redis_app(prefix, database_url, tmp_path)
    for url in shop.urls.values():
        rendered = first.test_client().get(url)
        with counting() as statements:  # every engine: only the second app runs here
            shared = second.test_client().get(url)
        assert shared.get_data() == rendered.get_data() and shared.headers["ETag"] == rendered.headers["ETag"], url
        assert len(statements) == 1, url  # the version: the page came from Redis, rendered by the other process
    assert len(list(redis.scan_iter(match=f"{prefix}:page:*"))) == len(shop.urls)

    url, shown = CHANGES["price change"](shop)
    fresh = second.test_client().get(url).get_data(as_text=True)
    assert shown in fresh  # a new version: rendered anew, whatever Redis holds


def test_redis_unreachable_renders_every_page(app, ctx, accounts, database_url, tmp_path, caplog):
    shop = build_shop(accounts)
    app_ = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_DIR=str(tmp_path / "uploads"),
                      REDIS_URL="redis://127.0.0.1:1/0")
    app_.test_client_class = IsolatedClient
    page_cache._warned_at = 0.0
    for _ in range(2):
        response = app_.test_client().get(shop.urls["catalog"])
        assert response.status_code == 200 and "Beras Pandan Wangi" in response.get_data(as_text=True)
    assert "page cache" in caplog.text

