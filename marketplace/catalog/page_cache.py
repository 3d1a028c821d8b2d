"""Rendered public pages kept for anonymous visitors, per catalog version (issue 18).

A public page (home, catalog and search, product, storefront, producer directory, the API lists) marked with
`@cacheable(query)` is rendered once per key and served from the store afterwards. The key is the host, the
path, the page's query string as its GET form reads it (`query()` returns it: sorted, defaults dropped,
values the form cannot take left out), the language, Metro's date (certificates expire by the day) and the
catalog version (catalog/cache.py: one row that every change buyers can see bumps in its own transaction).
A page is rendered from that normalised query string, so what is kept depends on the key alone.

The version is read once per request (a primary-key read; it is the only statement a page served from the
store costs), so after a commit every process and server serves pages of the new version from its next
request on: a page kept under an older version is never served again, and ages out.

What is kept is only ever what any anonymous visitor would get:
- served and kept only for requests with no one signed in (no `_user_id` in the session, no remember-me
  cookie) and no flash message waiting;
- kept only when the response is a plain 200 whose rendering did not touch the session (a flash read, a
  CSRF token made: pages with a form token stay dynamic) and set no cookie. Cookies an after-request hook
  adds (the language choice, Flask-Login's) are added to every response afresh, never kept.

Where: Flask-Caching, in each worker's memory (bounded by PAGE_CACHE_MAX_MB and PAGE_CACHE_MAX_ENTRIES,
least recently used out first) or, when REDIS_URL is set, in Redis under PAGE_CACHE_KEY_PREFIX with a
lifetime of PAGE_CACHE_TIMEOUT seconds, so several servers share one render. Redis unreachable: the page is
rendered as if nothing were kept (a warning in the log, at most once a minute).

Each page is kept as rendered and also compressed (brotli and gzip, at Flask-Compress's levels), so a browser that
accepts either gets the compressed bytes without compressing them again for each visitor.

Signed-in pages kept per person (`@personal`: the producer dashboard, the moderation and facilitator queues, the
inquiry page, the monitoring dashboard). A signed-in page reads far more than the catalog, so it is kept under
the data version (trade/version.py: every transaction that writes anything through the Session bumps it), and
its key holds, besides the host, the path, the query string as sent and the language, the whole session as it
stands (who is signed in and their session version, the CSRF token their forms carry, the storefront a field
officer acts for) and Metro's minute (a request that waits past a working day turns late by the clock alone: a
kept page shows it at most a minute later). Before a kept page is served the user is loaded as for any page
(an account disabled or signed out elsewhere is refused as usual), after the version is read, so what was
rendered is never older than its key. Kept only as a plain 200 that changed nothing in the session and set no
cookie; a flash message waiting skips the store. These pages live in the worker's own memory only, never in
Redis (PERSONAL_PAGE_CACHE_MAX_MB, least recently used out first, PERSONAL_PAGE_CACHE_TIMEOUT seconds): what
someone's pages show stays in the process that served them. They keep `Cache-Control: private, no-store`.

HTTP: a weak ETag from the body's hash, so If-None-Match gets a 304 while the page is unchanged (a new
catalog version that leaves a page as it was keeps its ETag); `Cache-Control: no-cache` on the HTML pages
(a browser or proxy may keep them but asks again each time, so a change shows at once); the API keeps its
`public, max-age=60`. `Vary: Cookie` (security.py) because the language and the session come from cookies;
the language never comes from Accept-Language, so that is not in Vary.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import brotli
from flask import Flask, current_app, g, request, session
from flask_babel import get_locale
from flask_caching.backends.base import BaseCache
from flask_login import current_user
from markupsafe import Markup

from marketplace.catalog import cache as catalog_cache
from marketplace.core import clock, forms
from marketplace.extensions import page_cache
from marketplace.trade import version as trade_version

KEPT_TYPES = ("text/html", "application/json")
PERSONAL = "page_cache.personal"  # app.extensions: this worker's signed-in pages
_backends: weakref.WeakSet = weakref.WeakSet()  # every app's store, emptied by catalog_cache.clear()
_warned_at = 0.0


def cacheable(query: Callable[[], Mapping[str, Any]] | None = None):
    """Mark a public GET view as kept for anonymous visitors; `query()` reads the request's query string through
    the page's GET form and returns what the page depends on, defaults left out (to_args)."""
    def mark(view):
        view.page_cache_query = query or (lambda: {})
        return view
    return mark


def personal(view):
    """Mark a signed-in GET view as kept per person and data version (see the module's docstring)."""
    view.page_cache_personal = True
    return view


class BoundedMemoryCache(BaseCache):
    """This worker's rendered pages, least recently used out first, bounded by their bytes and their number.
    Entries are kept as they are (immutable tuples), not pickled."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024, max_entries: int = 2000, default_timeout: int = 3600,
                 **_ignored) -> None:
        super().__init__(default_timeout=default_timeout)
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self._items: OrderedDict[str, tuple[float, int, Any]] = OrderedDict()  # key → (expires, size, value)
        self._bytes = 0
        self._lock = threading.Lock()

    @classmethod
    def factory(cls, app, config, args, kwargs):
        return cls(*args, **{**kwargs, **(config.get("CACHE_OPTIONS") or {})})

    @staticmethod
    def _size(key: str, value: Any) -> int:
        return len(key) + 200 + sum(len(part) for part in value if isinstance(part, (bytes, str)))

    def get(self, key: str) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] and item[0] < time.monotonic():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return item[2]

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        timeout = self.default_timeout if timeout is None else timeout
        size = self._size(key, value)
        if size > self.max_bytes:
            return False
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (time.monotonic() + timeout if timeout else 0, size, value)
            self._bytes += size
            while self._bytes > self.max_bytes or len(self._items) > self.max_entries:
                self._drop(next(iter(self._items)))
        return True

    def _drop(self, key: str) -> None:
        _expires, size, _value = self._items.pop(key)
        self._bytes -= size

    def delete(self, key: str) -> bool:
        with self._lock:
            if key in self._items:
                self._drop(key)
                return True
        return False

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def clear(self) -> bool:
        with self._lock:
            self._items.clear()
            self._bytes = 0
        return True

    @property
    def size(self) -> tuple[int, int]:
        """(entries, bytes) held now."""
        with self._lock:
            return len(self._items), self._bytes


def init_app(app: Flask) -> None:
    """After Flask-Compress: `keep_rendered` then sees the page before it is compressed."""
    config = app.config
    if config.get("REDIS_URL"):
        settings = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": config["REDIS_URL"],
                    "CACHE_KEY_PREFIX": config["PAGE_CACHE_KEY_PREFIX"],
                    "CACHE_OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1}}
    else:
        settings = {"CACHE_TYPE": f"{__name__}.BoundedMemoryCache",
                    "CACHE_OPTIONS": {"max_bytes": config["PAGE_CACHE_MAX_MB"] * 1024 * 1024,
                                      "max_entries": config["PAGE_CACHE_MAX_ENTRIES"]}}
    page_cache.init_app(app, config={**settings, "CACHE_DEFAULT_TIMEOUT": config["PAGE_CACHE_TIMEOUT"]})
    _backends.add(app.extensions["cache"][page_cache])
    personal_store = app.extensions[PERSONAL] = BoundedMemoryCache(
        max_bytes=config["PERSONAL_PAGE_CACHE_MAX_MB"] * 1024 * 1024, max_entries=config["PAGE_CACHE_MAX_ENTRIES"],
        default_timeout=config["PERSONAL_PAGE_CACHE_TIMEOUT"])
    _backends.add(personal_store)
    catalog_cache.on_clear(_clear_all)
    app.before_request(serve_kept)
    app.after_request(keep_rendered)
    app.jinja_env.globals["cached_card"] = cached_card


def cached_card(product, today, heading: str = "h3", priority: bool = False, compare_form: str | None = None) -> Markup:
    """A product card (templates/_macros/catalog.html `product_card`), rendered once per card, language, day and
    catalog version and reused by every page that shows it, signed-in visitors' pages too: the card is the same
    for everyone. Outside a request that read the catalog version, it is rendered each time."""
    macro = current_app.jinja_env.get_template("_macros/catalog.html").module.product_card
    current = g.get("catalog_version")
    if current is None or product.id is None:
        return macro(product, today, heading, priority, compare_form)
    key = ("card", product.id, str(get_locale()), today, heading, bool(priority), compare_form)
    return catalog_cache.cached_fragment(
        key, lambda: Markup(macro(product, today, heading, priority, compare_form)), current)


def _clear_all() -> None:
    for backend in list(_backends):
        try:
            backend.clear()
        except Exception:  # noqa: BLE001 — Redis away: its entries age out
            pass


def _warn(what: str, error: Exception) -> None:
    global _warned_at
    if time.monotonic() - _warned_at > 60:
        _warned_at = time.monotonic()
        current_app.logger.warning("page cache: %s failed (%s); pages are rendered for each request meanwhile",
                                   what, error)


def _store() -> BaseCache:
    return current_app.extensions["cache"][page_cache]


def _get(key: str):
    try:
        return _store().get(key)
    except Exception as error:  # noqa: BLE001 — Redis unreachable: render as if nothing were kept
        _warn("reading", error)
        return None


def _set(key: str, entry) -> None:
    try:
        _store().set(key, entry)
    except Exception as error:  # noqa: BLE001
        _warn("keeping a page", error)


def anonymous_request() -> bool:
    """Nobody signed in (nor about to be, through the remember-me cookie) and no flash message waiting.
    Reads the session cookie only: no database."""
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return False
    return "_user_id" not in session and "_flashes" not in session


def page_key(current: int, query: Mapping[str, Any]) -> str:
    parts = (request.host, request.path, urlencode(sorted(query.items())), str(get_locale()),
             clock.today().isoformat())
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    return f"v{current}:{digest}"


_queries_lock = threading.Lock()
MAX_QUERIES = 4096


def _normalised(query_of: Callable[[], Mapping[str, Any]], current: int) -> dict[str, str]:
    """The page's query string as its GET form reads it, worked out once per query string as sent and catalog
    version (the forms' choices, e.g. the category slugs, follow the catalog) and kept, the latest MAX_QUERIES.
    Kept per app: two apps in one process (the tests) have catalogs of their own with the same version numbers."""
    _queries: OrderedDict[tuple, dict[str, str]] = current_app.extensions.setdefault("page_cache.queries", OrderedDict())
    key = (request.endpoint, current, request.query_string)
    with _queries_lock:
        found = _queries.get(key)
        if found is not None:
            _queries.move_to_end(key)
            return found
    found = {name: str(value) for name, value in query_of().items()}
    with _queries_lock:
        _queries[key] = found
        while len(_queries) > MAX_QUERIES:
            _queries.popitem(last=False)
    return found


def _personal_key(current: int) -> str:
    fingerprint = json.dumps(dict(session), sort_keys=True, default=str)
    parts = (request.host, request.path, request.query_string.decode("latin-1"), str(get_locale()),
             clock.now().strftime("%Y-%m-%dT%H:%M"), fingerprint)
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    return f"d{current}:{digest}"


def _serve_personal():
    """A signed-in page kept for this session under the current data version, if there is one."""
    if "_user_id" not in session or "_flashes" in session:
        return None
    current = catalog_cache.committed_version(trade_version.DATA_VERSION_SQL)  # before the user is loaded
    if not current_user.is_authenticated:
        return None
    key = g.page_cache_key = _personal_key(current)
    g.page_cache_personal = True
    entry = current_app.extensions[PERSONAL].get(key)
    if entry is None:
        return None
    g.page_cache_hit = True
    return _kept_response(entry)


def serve_kept():
    """Before the view: a kept page is answered at once (a 304 when the browser holds it)."""
    if request.method not in ("GET", "HEAD") or not current_app.config["PAGE_CACHE"]:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "page_cache_personal", False):
        return _serve_personal()
    query_of = getattr(view, "page_cache_query", None)
    if query_of is None or not anonymous_request():
        return None
    current = g.catalog_version = catalog_cache.committed_version()
    get_locale()  # chosen from the query string as sent (?lang=en), before it is replaced below
    query = _normalised(query_of, current)
    forms.read_from(query)  # the page is rendered from the key's query string alone
    key = g.page_cache_key = page_key(current, query)
    entry = _get(key)
    if entry is None:
        return None
    g.page_cache_hit = True
    return _kept_response(entry)


def _kept_response(entry):
    etag, content_type, body, *compressed = entry
    encoding = request.accept_encodings.best_match(ENCODINGS) if compressed else None
    if encoding is not None:  # compressed when it was kept, not again for every visitor
        response = current_app.response_class(compressed[ENCODINGS.index(encoding)], content_type=content_type)
        response.headers["Content-Encoding"] = encoding  # Flask-Compress leaves an encoded response alone
    else:
        response = current_app.response_class(body, content_type=content_type)
    response.vary.add("Accept-Encoding")
    if etag is None:  # a signed-in page: never kept by the browser (private, no-store)
        return response
    response.set_etag(etag, weak=True)
    return response.make_conditional(request)


ENCODINGS = ("br", "gzip")  # what a kept page is also kept as, in the order one is chosen


def _compressed(body: bytes) -> tuple[bytes, ...]:
    """The page in each of ENCODINGS, at Flask-Compress's levels (as a page it compresses itself); none for a page
    too small for it to compress."""
    config = current_app.config
    if len(body) < config["COMPRESS_MIN_SIZE"]:
        return ()
    return (brotli.compress(body, quality=config["COMPRESS_BR_LEVEL"]),
            gzip.compress(body, compresslevel=config["COMPRESS_LEVEL"], mtime=0))


def keep_rendered(response):
    """After the view: keep what was rendered for anyone, and mark it with its ETag."""
    key = g.pop("page_cache_key", None)
    if key is None:
        return response
    if g.pop("page_cache_personal", False):
        if (not g.pop("page_cache_hit", False) and _unchanged_session(response) and current_user.is_authenticated
                and not trade_version.wrote()):  # what it showed of an uncommitted write may never be committed
            body = response.get_data()
            entry = (None, response.headers["Content-Type"], body, *_compressed(body))  # no ETag: browsers keep none
            current_app.extensions[PERSONAL].set(key, entry)
        return response
    if not g.pop("page_cache_hit", False):
        if not _anyones(response):
            return response
        body = response.get_data()
        etag = hashlib.blake2b(body, digest_size=12).hexdigest()
        _set(key, (etag, response.headers["Content-Type"], body, *_compressed(body)))
        response.set_etag(etag, weak=True)
        response.make_conditional(request)
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


def _unchanged_session(response) -> bool:
    """A plain page whose rendering changed nothing in the session, set no cookie, and showed no counts behind."""
    return (response.status_code == 200 and not response.is_streamed and not response.direct_passthrough
            and response.mimetype in KEPT_TYPES
            and "Set-Cookie" not in response.headers
            and not session.modified
            and not g.get("figures_behind"))  # counts a change behind (catalog_cache.cached_behind)


def _anyones(response) -> bool:
    """The page as any anonymous visitor gets it: nothing of this visitor's session went into it."""
    return (_unchanged_session(response)
            and current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") not in g  # a form token was made
            and not current_user.is_authenticated)
