"""Shared fixtures: the app on a throwaway database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set)."""
from __future__ import annotations

import contextvars
import os
import uuid
from pathlib import Path

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from marketplace import create_app
from marketplace.extensions import db

pytest_plugins = ["tests.smtp"]
KEEP_TABLES = {"alembic_version", "category", "catalog_state"}


def _postgres_database(base_url: str):
    """Create a database of our own on the PostgreSQL server; yield its URL; drop it afterwards."""
    url = make_url(base_url)
    name = f"etalase_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
            ), {"name": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        yield from _postgres_database(base)
    else:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


class IsolatedClient(FlaskClient):
    """Each request runs in an application context of its own, as in production.

    Flask reuses an app context that is already pushed, so while a test holds one (the
    `ctx` fixture, for factories) every request would otherwise share its `g` and its
    database session with the test and with each other.
    """

    def open(self, *args, **kwargs):
        def run():
            _cv_app.set(None)
            return FlaskClient.open(self, *args, **kwargs)

        return contextvars.copy_context().run(run)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp("instance")
    application = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_DIR=str(instance / "uploads"),
    )
    application.test_client_class = IsolatedClient
    Path(application.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    with application.app_context():
        upgrade()  # the real migrations, never create_all
    yield application
    with application.app_context():
        db.engine.dispose()


def _wipe(app) -> None:
    from marketplace.extensions import limiter
    from marketplace.catalog import cache as catalog_cache

    catalog_cache.clear()  # counts cached for the rows just deleted
    with app.app_context():
        limiter.reset()
        db.session.remove()
        names = [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            with db.engine.begin() as conn:
                for name in names:
                    conn.execute(text(f'DELETE FROM "{name}"'))
                conn.execute(text("DELETE FROM product_fts"))


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Every test starts from the migrated schema with only the category tree in it."""
    yield
    if "app" in request.fixturenames:
        _wipe(request.getfixturevalue("app"))


@pytest.fixture(autouse=True)
def _mail_never_paused(monkeypatch):
    """A test that found the mail server down must not leave later tests' after-request sending paused."""
    from marketplace.core import outbox

    monkeypatch.setattr(outbox, "_paused_until", 0.0)


@pytest.fixture
def ctx(app):
    """An application context for tests that talk to services and models directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


PASSWORD = "kata-sandi-yang-panjang"


class Accounts:
    """One account per role of the access matrix: two producers (A and B), an officer for A, and staff."""

    def __init__(self):
        from marketplace.models import Role
        from tests.factories import ProducerFactory, UserFactory

        self.producer_a_store = ProducerFactory(name="Usaha A", slug="usaha-a")
        self.producer_b_store = ProducerFactory(name="Usaha B", slug="usaha-b")
        self.producer_a = UserFactory(email="a@contoh.id", role=Role.PRODUCER, producer=self.producer_a_store)
        self.producer_b = UserFactory(email="b@contoh.id", role=Role.PRODUCER, producer=self.producer_b_store)
        self.officer = UserFactory(email="pendamping@contoh.id", role=Role.FIELD_OFFICER,
                                   assigned_producers=[self.producer_a_store])
        self.moderator = UserFactory(email="kurator@contoh.id", role=Role.MODERATOR)
        self.facilitator = UserFactory(email="fasilitator@contoh.id", role=Role.FACILITATOR)
        self.admin = UserFactory(email="admin@contoh.id", role=Role.ADMIN)

    def by_name(self, name: str):
        return getattr(self, name)


@pytest.fixture
def accounts(ctx):
    return Accounts()


def login(client, user, password: str = PASSWORD):
    """Sign in through the real form (CSRF token included); returns the response."""
    page = client.get("/auth/login")
    token = csrf_from(page)
    return client.post("/auth/login", data={"email": user.email, "password": password, "csrf_token": token})


def csrf_from(response) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def login_as(client, accounts):
    """login_as("producer_a") signs the test client in as that account and returns it."""
    def sign_in(name: str):
        user = accounts.by_name(name)
        response = login(client, user)
        assert response.status_code == 302, f"login as {name} failed"
        return user
    return sign_in
