"""Settings, read from the environment.

`APP_ENV` picks the class: `development`, `testing` or `production` (the default,
so a forgotten variable never runs a public server with a development secret).
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _flag(name: str, default: bool) -> bool:
    value = (os.environ.get(name) or "").strip().lower()
    return value in ("1", "true", "yes", "on") if value else default


def _hosts(name: str) -> list[str] | None:
    value = os.environ.get(name)
    return [host for host in value.replace(",", " ").split() if host] if value else None


class ConfigError(RuntimeError):
    """A setting the app cannot start without; the message says what to set (wsgi.py prints it on one line)."""


class Config:
    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None → SQLite under instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR")  # None → instance/uploads
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    # The inventory import page (/admin/import): where uploads wait between preview and confirm, and its limits.
    IMPORT_DIR = os.environ.get("IMPORT_DIR")  # None → instance/imports
    IMPORT_MAX_ROWS = _int("IMPORT_MAX_ROWS", 10_000)
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 8 * 1024 * 1024)
    # SMTP for the outbox (core/outbox.py). MAIL_PORT defaults to 25, to 587 with MAIL_USE_TLS and to 465
    # with MAIL_USE_SSL. MAIL_USE_TLS=1: plain connection upgraded with STARTTLS; MAIL_USE_SSL=1: TLS from the
    # first byte (SMTPS); not both. Either way the server's certificate and host name (MAIL_SERVER) are verified,
    # against the system's CAs, or against MAIL_TLS_CA_FILE alone (a PEM file: a private CA) when it is set.
    # MAIL_USERNAME and MAIL_PASSWORD (both or neither): log in (SMTP AUTH) before sending; use with TLS.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _int("MAIL_PORT", 0) or None
    MAIL_USE_TLS = _flag("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _flag("MAIL_USE_SSL", False)
    MAIL_TLS_CA_FILE = os.environ.get("MAIL_TLS_CA_FILE") or None
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Etalase Metro <noreply@etalase.metrokota.go.id>")
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)  # seconds for each step of the SMTP conversation
    # After a request finds the mail server unreachable, that process's requests leave mail to `outbox send`
    # for this many seconds instead of each trying (and holding a thread for up to MAIL_TIMEOUT).
    OUTBOX_PAUSE_SECONDS = _int("OUTBOX_PAUSE_SECONDS", 60)
    # One Redis for what several app processes must share (today: the rate limits), e.g.
    # redis://127.0.0.1:6379/0. RATELIMIT_STORAGE_URI defaults to it, and to memory:// without it.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or None
    # Rendered public pages for anonymous visitors (catalog/page_cache.py), per catalog version: in each worker's
    # memory (at most PAGE_CACHE_MAX_MB and PAGE_CACHE_MAX_ENTRIES pages, least recently used out first), or in
    # REDIS_URL's Redis when it is set, shared by every server, under PAGE_CACHE_KEY_PREFIX for
    # PAGE_CACHE_TIMEOUT seconds. PAGE_CACHE=0 renders every request.
    PAGE_CACHE = _flag("PAGE_CACHE", True)
    PAGE_CACHE_MAX_MB = _int("PAGE_CACHE_MAX_MB", 32)
    PAGE_CACHE_MAX_ENTRIES = _int("PAGE_CACHE_MAX_ENTRIES", 2000)
    PAGE_CACHE_TIMEOUT = _int("PAGE_CACHE_TIMEOUT", 3600)
    PAGE_CACHE_KEY_PREFIX = os.environ.get("PAGE_CACHE_KEY_PREFIX", "etalase:page:")
    # Signed-in pages kept per person and data version, in each worker's memory only (catalog/page_cache.py).
    PERSONAL_PAGE_CACHE_MAX_MB = _int("PERSONAL_PAGE_CACHE_MAX_MB", 8)
    PERSONAL_PAGE_CACHE_TIMEOUT = _int("PERSONAL_PAGE_CACHE_TIMEOUT", 120)
    # The catalog's counts and the home page's sums, when their last computation took longer than this many
    # milliseconds (a large catalog), are recomputed behind the requests after a change, the figures a change
    # behind meanwhile (catalog/cache.py cached_behind). 0 turns it off: always computed in the request.
    FIGURES_BEHIND_AFTER_MS = _int("FIGURES_BEHIND_AFTER_MS", 100)
    # The public pages gunicorn's master renders before it forks its workers, so each worker, a recycled one too,
    # starts with what they compute once per catalog version (catalog/warm.py): the home page's sums, the catalog's
    # counts and its deep pages' keys (page 11 on), the search's words (any search reads them all), the directory's
    # and the API's counts. Comma-separated paths; WARM_PAGES=0 warms none.
    WARM_PAGES = tuple(path for path in os.environ.get(
        "WARM_PAGES", "/,/products,/products?page=11,/products?q=beras,/producers,/api/v1/products,/api/v1/producers",
    ).split(",") if path.startswith("/"))
    # memory:// counts in each process: with 3 gunicorn workers "5 failed sign-ins" lets about 15 through.
    # Production refuses to start with it unless this says so (a server with a single process).
    RATELIMIT_PER_PROCESS = _flag("RATELIMIT_PER_PROCESS", False)
    # Keys of this app in a Redis other apps share too (e.g. "etalase:").
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")
    # "5 per minute" means any 60 seconds: a fixed window would let 10 through around a minute's boundary.
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_HEADERS_ENABLED = True
    # Redis unreachable: count in this process's memory until it is back (instead of a 500 on every form),
    # with a warning in the log when it happens (marketplace/ratelimits.py). RATELIMIT_IN_MEMORY_FALLBACK=0
    # turns it off: then a request that needs a rate limit fails while Redis is down.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = _flag("RATELIMIT_IN_MEMORY_FALLBACK", True)
    # Static files: fingerprinted URLs are cached for a year; plain /static/... URLs for this many seconds.
    STATIC_MAX_AGE = _int("STATIC_MAX_AGE", 600)
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none, the headers are ignored).
    # Behind one nginx, 1: the client's address (for rate limits and logs) comes from X-Forwarded-For.
    PROXY_COUNT = _int("PROXY_COUNT", 0)
    STATIC_RELOAD = False  # development: a file edited while the server runs gets a new fingerprint
    # Compression (Flask-Compress): HTML, CSS, JS and JSON above COMPRESS_MIN_SIZE bytes, brotli or gzip.
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                          "image/svg+xml"]  # the icon sprite
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "gzip"]  # static files are sent as streams
    COMPRESS_MIN_SIZE = 500
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    # The site's host name (and port, if not the scheme's own), e.g. etalase.metrokota.go.id; production refuses to
    # start without it. Every link in an e-mail is built from it and PREFERRED_URL_SCHEME, never from the Host a
    # request names (core/outbox.py site_url), and requests for other hosts get 400: TRUSTED_HOSTS (a list,
    # separated by commas or spaces in the environment; a leading dot lets subdomains in) is SERVER_NAME's host
    # unless set explicitly, e.g. to let an alias that the proxy forwards in as well.
    SERVER_NAME = os.environ.get("SERVER_NAME") or None
    TRUSTED_HOSTS = _hosts("TRUSTED_HOSTS")
    HSTS = True
    # Failed sign-ins allowed per account and per address before 429.
    LOGIN_LIMIT_ACCOUNT = os.environ.get("LOGIN_LIMIT_ACCOUNT", "5 per 5 minutes")
    LOGIN_LIMIT_ADDRESS = os.environ.get("LOGIN_LIMIT_ADDRESS", "30 per 5 minutes")
    # Inquiries sent from one address (buyers behind one office NAT share it).
    INQUIRY_LIMIT = os.environ.get("INQUIRY_LIMIT", "20 per hour; 5 per minute")
    # The printable MoU report's letterhead: who issues it, and the BUMD that facilitates the trade.
    REPORT_ISSUER = os.environ.get("REPORT_ISSUER", "Pemerintah Kota Metro")
    REPORT_FACILITATOR = os.environ.get("REPORT_FACILITATOR", "BUMD fasilitator perdagangan Kota Metro")
    CATALOG_PER_PAGE = 24
    # The benchmark's ceiling page (/_bench/ceiling) answers only when this is set; 404 otherwise.
    BENCH_CEILING = os.environ.get("BENCH_CEILING") == "1"
    API_MAX_PER_PAGE = 100

    @classmethod
    def check(cls, app) -> None:
        if not app.config.get("SECRET_KEY"):
            raise ConfigError(
                "SECRET_KEY is not set. Set SECRET_KEY in the environment (one long random value, the same on "
                "every server), or APP_ENV=development for a local development server."
            )
        check_site(app.config, required=cls.ENV_NAME == "production")
        check_mail(app.config)


def check_site(config, *, required: bool) -> None:
    """SERVER_NAME is a host name (required in production); TRUSTED_HOSTS follows it unless set explicitly."""
    server_name = config.get("SERVER_NAME")
    if not server_name:
        if required:
            raise ConfigError(
                "SERVER_NAME is not set. Set SERVER_NAME to the site's host name, e.g. etalase.metrokota.go.id: "
                "links in e-mails are built from it, and requests for other hosts are refused."
            )
        return
    if "/" in server_name or server_name != server_name.strip():
        raise ConfigError(f"SERVER_NAME must be a host name such as etalase.metrokota.go.id, not {server_name!r}.")
    if config.get("TRUSTED_HOSTS") is None:
        config["TRUSTED_HOSTS"] = [server_name.partition(":")[0]]


def check_mail(config) -> None:
    """Mail settings that contradict each other are refused; MAIL_PORT follows the encryption unless set."""
    if config.get("MAIL_USE_TLS") and config.get("MAIL_USE_SSL"):
        raise ConfigError("MAIL_USE_TLS and MAIL_USE_SSL are both set: set one of them, MAIL_USE_TLS=1 for STARTTLS "
                          "(usually port 587) or MAIL_USE_SSL=1 for SMTPS (usually port 465).")
    if config.get("MAIL_USERNAME") and not config.get("MAIL_PASSWORD"):
        raise ConfigError("MAIL_USERNAME is set but MAIL_PASSWORD is not: set MAIL_PASSWORD too, or neither for a "
                          "mail server that needs no login.")
    if config.get("MAIL_PASSWORD") and not config.get("MAIL_USERNAME"):
        raise ConfigError("MAIL_PASSWORD is set but MAIL_USERNAME is not: set MAIL_USERNAME too, or neither for a "
                          "mail server that needs no login.")
    ca_file = config.get("MAIL_TLS_CA_FILE")
    if ca_file and not (config.get("MAIL_USE_TLS") or config.get("MAIL_USE_SSL")):
        raise ConfigError("MAIL_TLS_CA_FILE is set but the mail server is spoken to without TLS: set MAIL_USE_TLS=1 "
                          "(STARTTLS) or MAIL_USE_SSL=1 (SMTPS), or unset MAIL_TLS_CA_FILE.")
    if ca_file and not os.path.isfile(ca_file):
        raise ConfigError(f"MAIL_TLS_CA_FILE is {ca_file!r}, which is not a file: set it to the PEM file of the CA "
                          "that signed the mail server's certificate, or unset it to trust the system's CAs.")
    if not config.get("MAIL_PORT"):
        config["MAIL_PORT"] = 465 if config.get("MAIL_USE_SSL") else 587 if config.get("MAIL_USE_TLS") else 25


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SERVER_NAME = os.environ.get("SERVER_NAME") or "127.0.0.1:5000"  # `make run` passes its HOST:PORT
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"
    HSTS = False
    STATIC_RELOAD = True


class TestingConfig(DevelopmentConfig):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = None  # tests that want Redis say so (tests/core/test_redis_shared.py)
    STATIC_RELOAD = False  # as in production
    # Tests that serve the app with gunicorn on a port pass TEST_SERVER_NAME=127.0.0.1:<port>
    # (tests/trade/test_concurrency.py); a SERVER_NAME exported in the developer's shell is not the tests' business.
    SERVER_NAME = os.environ.get("TEST_SERVER_NAME") or "etalase.test"
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # still scrypt, fast enough for hundreds of test accounts
    OUTBOX_SEND_AFTER_REQUEST = False  # tests deliver explicitly, against their own SMTP server
    MAIL_PORT = 2  # nothing listens there: a test that forgets its SMTP server fails fast
    FIGURES_BEHIND_AFTER_MS = 0  # a loaded test machine's slow count must not make figures lag; tests of it set it


class ProductionConfig(Config):
    @classmethod
    def check(cls, app) -> None:
        super().check(app)
        if ratelimit_storage(app.config) == "memory://" and not app.config.get("RATELIMIT_PER_PROCESS"):
            raise ConfigError(
                "Rate limits would be counted in each process on its own (no REDIS_URL): set REDIS_URL "
                "(e.g. redis://127.0.0.1:6379/0) or RATELIMIT_STORAGE_URI, or RATELIMIT_PER_PROCESS=1 for a "
                "server with a single process."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def ratelimit_storage(config) -> str:
    """Where the rate limits are counted: RATELIMIT_STORAGE_URI, else REDIS_URL, else this process's memory."""
    return config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://"


def config_for(name: str | None) -> type[Config]:
    name = name or os.environ.get("APP_ENV") or "production"
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}: set APP_ENV=production "
                          "on a server, or APP_ENV=development locally.") from None
