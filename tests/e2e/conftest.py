"""Browser journeys: the app served on loopback from its own seeded database, driven by Debian's Chromium."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import _postgres_database

CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but no Chromium at {CHROMIUM}: the browser tests cannot be skipped in CI")
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (make browser)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """A second app with a database of its own, migrated and seeded with the demo data once."""
    from flask_migrate import upgrade

    from marketplace.services.demo import seed_demo

    base = os.environ.get("TEST_DATABASE_URL")
    folder = tmp_path_factory.mktemp("live")
    urls = _postgres_database(base) if base else iter(["sqlite:///" + str(folder / "live.db")])
    url = next(urls)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(folder / "uploads"),
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
    for _ in urls:
        pass


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


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
