"""Application factory."""
from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from marketplace.config import BASE_DIR, config_for, ratelimit_storage
from marketplace.extensions import babel, compress, csrf, db, limiter, login_manager, migrate


def create_app(config_name: str | None = None, **overrides) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=os.environ.get("INSTANCE_PATH") or str(BASE_DIR / "instance"),
    )
    config = config_for(config_name)
    app.config.from_object(config)
    app.config.update(overrides)
    config.check(app)
    _default_paths(app)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_cli(app)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
    return app


def _default_paths(app: Flask) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "etalase.db")
    app.config["RATELIMIT_STORAGE_URI"] = ratelimit_storage(app.config)
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = str(Path(app.instance_path) / "uploads")
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers run beside a writer; the busy timeout waits instead of failing.

    pysqlite opens a transaction just before the first INSERT/UPDATE/DELETE; with
    isolation_level "IMMEDIATE" that is BEGIN IMMEDIATE, which takes the write lock at once
    (waiting up to the busy timeout for another writer). A plain BEGIN would let two
    processes that both started writing deadlock, and SQLite would answer one of them
    "database is locked" without waiting. Reads before the first write run outside any
    transaction, so they never hold an old snapshot.

    Each connection keeps a page cache of its own: 1 MiB here instead of SQLite's 2 MiB. A
    gunicorn worker holds one connection per thread, and a large catalog filled every cache;
    a page read again comes from the operating system's file cache instead, and the pages
    benchmarked did not serve fewer requests for it (bench/NOTES.md).
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = "IMMEDIATE"
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-1024")  # KiB
        cursor.close()


def register_extensions(app: Flask) -> None:
    from marketplace.core import i18n, outbox, security, static_files, wtforms_i18n
    from marketplace.accounts.loader import load_user

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    limiter.init_app(app)
    _show_limiter_warnings(app)
    i18n.init_app(app)
    wtforms_i18n.init_app(app)
    security.init_app(app)
    outbox.init_app(app)
    static_files.init_app(app)
    compress.init_app(app)
    from marketplace.catalog import page_cache

    page_cache.init_app(app)  # after Flask-Compress: it keeps pages before they are compressed


def _show_limiter_warnings(app: Flask) -> None:
    """Flask-Limiter says "storage unreachable - falling back to in-memory storage" (Redis down: each process
    counts alone until it is back) on a logger of its own that only has a NullHandler, so nobody would see it.
    Its warnings go where the app's own go."""
    logger = logging.getLogger("flask-limiter")
    for handler in app.logger.handlers:
        if handler not in logger.handlers:
            logger.addHandler(handler)


def register_blueprints(app: Flask) -> None:
    from marketplace.accounts.admin.views import bp as admin_bp
    from marketplace.catalog.api.views import bp as api_bp
    from marketplace.accounts.auth.views import bp as auth_bp
    from marketplace.catalog.views import bp as catalog_bp
    from marketplace.trade.facilitator.views import bp as facilitator_bp
    from marketplace.trade.facilitator.contract_views import bp as contracts_bp
    from marketplace.city.imports.views import bp as imports_bp
    from marketplace.trade.inquiries.views import bp as inquiries_bp
    from marketplace.core.main.views import bp as main_bp
    from marketplace.listings.moderation.views import bp as moderation_bp
    from marketplace.listings.producer.views import bp as producer_bp
    from marketplace.city.reports.views import bp as reports_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(producer_bp, url_prefix="/dashboard")
    app.register_blueprint(moderation_bp, url_prefix="/moderation")
    app.register_blueprint(inquiries_bp, url_prefix="/inquiries")
    app.register_blueprint(facilitator_bp, url_prefix="/facilitator")
    app.register_blueprint(contracts_bp, url_prefix="/facilitator")
    app.register_blueprint(reports_bp, url_prefix="/admin/reports")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(imports_bp, url_prefix="/admin/import")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    csrf.exempt(api_bp)  # read-only, no cookies consulted


def register_errorhandlers(app: Flask) -> None:
    from marketplace.core.errors import init_app

    init_app(app)


def register_template_helpers(app: Flask) -> None:
    from marketplace.core import clock, policies
    from marketplace.core.formatting import FILTERS

    app.jinja_env.filters.update(FILTERS)
    from marketplace.listings.fields import listing_text

    app.jinja_env.filters["listing_text"] = listing_text  # the page's language, else Indonesian marked lang="id"
    from marketplace.listings.editing import edits_wait_for_review
    from marketplace.core.workflow import available_actions
    from marketplace.listings import workflow as _publication  # noqa: F401  (registers its tables with the engine)
    from marketplace.trade import workflow as _inquiry  # noqa: F401

    from marketplace.listings.specs import spec_rows

    app.jinja_env.globals.update(can=policies.can, is_public=policies.is_public, available_actions=available_actions,
                                 edits_wait_for_review=edits_wait_for_review, spec_rows=spec_rows)
    from marketplace.listings import certificates

    def certificate_state(cert, today=None) -> str:
        """The state a buyer reads (templates/_macros/certificates.html): on Metro's day unless told."""
        return certificates.certificate_state(cert, today or clock.today())

    app.jinja_env.globals.update(certificate_state=certificate_state)
    app.jinja_env.filters.update(certificate_state=certificates.state_label,
                                 certificate_state_description=lambda s: str(certificates.STATE_DESCRIPTIONS.get(s, s)))

    @app.context_processor
    def _today():
        return {"today": clock.today()}


def register_cli(app: Flask) -> None:
    from marketplace.cli import init_app

    init_app(app)
