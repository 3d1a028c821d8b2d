"""Browser journeys: the app served on loopback from its own seeded database, driven by Debian's Chromium."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import _postgres_database

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")  # Debian's package; the override is for tests of this file
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def pytest_collection_modifyitems(config, items):
    """Without the browser the e2e tests are skipped; in CI they run, and fail (see below)."""
    if Path(CHROMIUM).is_file() or _in_ci():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _chromium_present():
    """Reached without the browser only in CI (elsewhere the tests were skipped): fail before any setup."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"CI is set and there is no Chromium at {CHROMIUM}: browser tests may not be skipped in CI",
                    pytrace=False)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, not a browser downloaded by Playwright (there is no download here)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser(browser):
    """Every context asks its pages for reduced motion. Bootstrap then jumps to a #fragment instead of scrolling
    there smoothly (a third of a second down a long form), and charts draw without animating: a click right after
    such a navigation, or after axe (which scrolls and scrolls back), lands where Playwright aimed it, not on
    whatever a scroll still under way has moved there. The producer's journey timed out once on exactly that."""
    new_context = browser.new_context

    def calm_context(**options):
        return new_context(**{"reduced_motion": "reduce", **options})

    browser.new_context = calm_context
    return browser


def _live_database(folder: Path):
    """The live app's own database: a throwaway PostgreSQL database when TEST_DATABASE_URL is set, else SQLite."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        yield from _postgres_database(base)  # dropped when this generator is closed
    else:
        yield "sqlite:///" + str(folder / "live.db")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """A second app with a database of its own (never the one `app` wipes between tests),
    built by the real migrations and seeded once with the demo data."""
    from flask_migrate import upgrade

    from marketplace.seed.demo import seed_demo

    folder = tmp_path_factory.mktemp("live")
    database = _live_database(folder)
    try:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=next(database), UPLOAD_DIR=str(folder / "uploads"),
                         SERVER_NAME=None, LOGIN_LIMIT_ADDRESS="1000 per minute")
        Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
        with app.app_context():
            upgrade()
            seed_demo(log=lambda *a: None)
            db.session.commit()
            db.session.remove()
        yield app
        with app.app_context():
            db.engine.dispose()
    finally:
        database.close()


class _QuietHandler(WSGIRequestHandler):
    """No line per request in the test output (errors are still logged)."""

    def log_request(self, code="-", size="-"):
        pass


@pytest.fixture(scope="session")
def live_server(live_app):
    """The live app on a free loopback port, served from a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


PUBLIC_PAGES = {
    "home": "/",
    "catalog": "/products",
    "search": "/products?q=beras",
    "product": None,  # a rice product of the demo data, looked up below
    "directory": "/producers",
    "storefront": "/producers/kwt-mawar-melati",
    "not-found": "/produk-yang-tidak-ada",
}


@pytest.fixture(scope="session")
def public_paths(live_app):
    """Name → path of every public page; the product is a rice product of the demo data."""
    from marketplace.models import Product

    with live_app.app_context():
        product_id = db.session.scalar(
            select(Product.id).where(Product.name == "Beras Premium", Product.status == "published").order_by(Product.id)
        )
        db.session.remove()
    assert product_id, "the demo data has no published Beras Premium"
    return {name: path or f"/products/{product_id}" for name, path in PUBLIC_PAGES.items()}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    return request.param


@pytest.fixture
def page_at(browser, viewport):
    """A fresh browser context at the parametrized viewport."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
    ]


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Masuk").click()
    # The next step must act on the signed-in page, not on the login page still waiting for its answer.
    page.wait_for_url(lambda url: "/auth/login" not in url)
