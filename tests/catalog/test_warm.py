"""Pages warmed before the workers start (marketplace/catalog/warm.py, gunicorn.conf.py `when_ready`): a worker, a
recycled one too, starts with what the master kept, and a change still shows at once."""
from __future__ import annotations

import http.client
import time

from sqlalchemy import create_engine, text

from marketplace import create_app
from marketplace.catalog.warm import warm
from marketplace.extensions import db
from tests.catalog_changes import build_shop
from tests.conftest import Accounts
from tests.gunicorn_server import HOST, gunicorn, migrated_database
from tests.test_query_budget import counting


def test_a_warmed_page_costs_its_first_visitor_only_the_version_read(app, ctx, accounts):
    build_shop(accounts)
    answered = warm(app)
    assert answered == [(path, 200) for path in app.config["WARM_PAGES"]]
    client = app.test_client()
    with counting() as statements:
        response = client.get("/products")
    assert response.status_code == 200 and "Beras Pandan Wangi" in response.text
    assert len(statements) <= 1, statements


def test_a_page_that_fails_while_warming_does_not_stop_the_server(tmp_path):
    unmigrated = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "empty.db"),
                            UPLOAD_DIR=str(tmp_path / "uploads"))
    answered = warm(unmigrated)
    assert [path for path, _ in answered] == list(unmigrated.config["WARM_PAGES"])
    assert {status for _, status in answered} == {500}


def _page(port: int, path: str) -> str:
    """GET on a new connection; the one worker may be between two lives (it is recycled after every request)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=10)
            connection.request("GET", path, headers={"Accept-Encoding": "identity"})
            response = connection.getresponse()
            body = response.read().decode()
            connection.close()
            assert response.status == 200, body[:500]
            return body
        except (ConnectionError, http.client.RemoteDisconnected):
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_a_recycled_worker_starts_with_the_pages_the_master_kept_and_still_shows_a_change(tmp_path):
    with migrated_database(tmp_path) as (url, app):
        with app.app_context():
            shop = build_shop(Accounts())
            product_id = shop.product.id
            db.session.remove()
        # One worker, recycled after every request: each request below is a new process forked from the master.
        with gunicorn(url, tmp_path, workers=1, RATELIMIT_PER_PROCESS="1", GUNICORN_MAX_REQUESTS="1",
                      GUNICORN_MAX_REQUESTS_JITTER="0") as server:
            assert "pages kept before the workers start" in server.log_text()
            engine = create_engine(url)
            try:
                with engine.begin() as conn:  # behind the app's back: no version bumped, nothing told
                    conn.execute(text("UPDATE product SET name = 'Beras Tanpa Kabar' WHERE id = :id"),
                                 {"id": product_id})
                for _ in range(3):  # three workers in turn, each answering from the master's page
                    page = _page(server.port, "/products")
                    assert "Beras Pandan Wangi" in page and "Beras Tanpa Kabar" not in page
                with engine.begin() as conn:  # what every change buyers see does in its transaction
                    conn.execute(text("UPDATE catalog_state SET version = version + 1 WHERE id = 1"))
                page = _page(server.port, "/products")
                assert "Beras Tanpa Kabar" in page and "Beras Pandan Wangi" not in page
            finally:
                engine.dispose()
