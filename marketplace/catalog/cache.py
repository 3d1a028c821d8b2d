"""Catalog counts (totals and facets) computed once per catalog version and kept in each worker's memory.

The version is one row in `catalog_state`, bumped in the same transaction as every change of
what buyers can see (the search index is brought in step on every publish, approve, suspend,
archive… — `search.reindex` calls `invalidate`). Each request reads the version (one indexed
row) and reuses the counts computed under it, so several gunicorn workers, or several app
servers on one database, never show counts older than the last committed change.
Product cards are kept the same way: copies outside any session (`catalog.card_snapshot`), so
the catalog's page reads only the ids of its 24 listings once their cards are known.
A contract made, rescheduled, cancelled or completed changes the listings' spare capacity (the
catalog's "tersedia ≥" filter), so it bumps the version too: what a flush writes (`_commitments_changed`), and
the contract workflow's complete and cancel, which write the status by one UPDATE (trade/contracts._free_capacity).
"""
from __future__ import annotations

import os
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from threading import Lock, local
from typing import TypeVar

from flask import current_app, g, has_request_context, request
from markupsafe import Markup
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from marketplace.extensions import db

T = TypeVar("T")
MAX_ENTRIES = 2048  # counts and facets per filter set, and product cards (a few kB each)

_entries: OrderedDict[Hashable, object] = OrderedDict()
_computing: dict[Hashable, Lock] = {}  # keys being computed, each with the lock its computing thread holds
_lock = Lock()


def version() -> int:
    """Read on the session's connection, in its transaction (a change this session made and has not committed is
    seen), without the ORM's statement machinery: it is the one statement a kept page costs."""
    return db.session.connection().exec_driver_sql(_VERSION_SQL).scalar() or 0


_VERSION_SQL = "SELECT version FROM catalog_state WHERE id = 1"


def committed_version(sql: str = _VERSION_SQL) -> int:
    """The last committed version (`sql` reads another row of catalog_state: the data version, for the signed-in
    pages kept per person), for a reading request before it has touched its session (the page cache's check, the
    one statement a kept page costs). On PostgreSQL it is read on a connection each thread keeps for it, in
    autocommit mode: one round trip and no pool, where the session's connection costs four round trips (the pool's
    ping, BEGIN, the read, and the ROLLBACK that returns it). A connection found dead (the server restarted, or
    dropped it) is replaced and the read tried once more. SQLite reads in-process, on the session's connection."""
    if db.engine.dialect.name == "sqlite":
        return db.session.connection().exec_driver_sql(sql).scalar() or 0
    for attempt in (1, 2):
        connection = _thread_connection()
        try:
            return connection.exec_driver_sql(sql).scalar() or 0
        except DBAPIError as error:
            _threads.connections.pop(_reader_key(), None)
            connection.close()
            if attempt == 2 or not error.connection_invalidated:
                raise
    raise AssertionError("unreachable")


_threads = local()


def _reader_key() -> tuple[int, int]:
    return os.getpid(), id(db.engine)


def _thread_connection():
    """This thread's connection for `committed_version`, from an autocommit engine beside the app's own, made on
    first use (after gunicorn forks: no connection is shared with the master). It is kept, not returned to the
    pool after each read, so no ping is sent and nothing is reset."""
    connections = getattr(_threads, "connections", None)
    if connections is None:
        connections = _threads.connections = {}
    key = _reader_key()
    connection = connections.get(key)
    if connection is None:
        found = current_app.extensions.get("catalog_cache.reader")
        if found is None or found[0] != os.getpid():
            engine = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
            found = current_app.extensions["catalog_cache.reader"] = (os.getpid(), engine)
        connection = connections[key] = found[1].connect()
    return connection


def request_version() -> int:
    """The version this GET request read (the page cache or the catalog read it first), read once if none did.
    Only for reading requests: a request that bumps the version reads it again through `version()`."""
    if has_request_context() and request.method in ("GET", "HEAD"):
        if "catalog_version" not in g:
            g.catalog_version = version()
        return g.catalog_version
    return version()


def invalidate(session=None) -> None:
    """Every worker recomputes its counts from the next request on (called inside the changing transaction)."""
    session = session if session is not None else db.session
    if session.execute(text("UPDATE catalog_state SET version = version + 1 WHERE id = 1")).rowcount == 0:
        session.execute(text("INSERT INTO catalog_state (id, version) VALUES (1, 2)"))


def _commitments_changed(session) -> bool:
    """Whether this flush changes what contracts commit: month rows written or removed, a contract's status."""
    from marketplace.models import Contract, ContractMonth

    if any(isinstance(obj, ContractMonth) for obj in (*session.new, *session.deleted)):
        return True
    for obj in session.dirty:
        if isinstance(obj, Contract) and inspect(obj).attrs.status.history.has_changes():
            return True
        if isinstance(obj, ContractMonth) and session.is_modified(obj):
            return True
    return False


@event.listens_for(Session, "before_flush")
def _spare_capacity_changed(session, _flush_context, _instances) -> None:
    if _commitments_changed(session):
        invalidate(session)


def cached(key: Hashable, compute: Callable[[], T], current: int | None = None) -> T:
    """The value for `key` under the current catalog version, computed at most once per version and worker:
    threads asking for a value being computed wait for it (a worker that just started, or a publish, would
    otherwise send every thread to run the same counts at once)."""
    full_key = (current if current is not None else version(), key)
    with _lock:
        if full_key in _entries:
            _entries.move_to_end(full_key)
            return _entries[full_key]  # type: ignore[return-value]
        flight = _computing.setdefault(full_key, Lock())
    with flight:
        with _lock:
            if full_key in _entries:  # computed by the thread this one waited for
                _entries.move_to_end(full_key)
                return _entries[full_key]  # type: ignore[return-value]
        try:
            value = compute()
            with _lock:
                _entries[full_key] = value
                while len(_entries) > MAX_ENTRIES:
                    _entries.popitem(last=False)
        finally:
            with _lock:
                _computing.pop(full_key, None)
    return value


_latest: OrderedDict[Hashable, tuple[int, object, float]] = OrderedDict()  # key → (version, value, seconds)
_behind: set[tuple[int, Hashable]] = set()  # (version, key) queued or being computed behind the requests
_executor: tuple[int, ThreadPoolExecutor] | None = None  # (pid, its one thread): made after gunicorn forks


def cached_behind(key: Hashable, compute: Callable[[], T], current: int) -> tuple[T, bool]:
    """Like `cached`, for figures over the whole catalog that take long to compute (the catalog's counts and
    facets, the home page's sums: about a second at 1,000,000 listings), and a second flag: whether the value is
    the current version's.

    When the value under `current` is not known yet but one under an older version is, and computing that one took
    more than FIGURES_BEHIND_AFTER_MS (config), the older value is returned at once (False) and the current one is
    computed behind the requests, in this worker's one background thread: after a change, the first visitors get
    the page in the time it takes without the counts, with figures a change behind for about a second. The page
    is then not kept (page_cache: `g.figures_behind`). On a small catalog, where the figures take less than that,
    nothing changes: they are computed in the request as by `cached`."""
    value, current_version = _current_or_behind(key, compute, current)
    if not current_version and has_request_context():
        g.figures_behind = True
    return value, current_version


def _current_or_behind(key: Hashable, compute: Callable[[], T], current: int) -> tuple[T, bool]:
    full_key = (current, key)
    after_ms = current_app.config.get("FIGURES_BEHIND_AFTER_MS") or 0
    with _lock:
        if full_key in _entries:
            _entries.move_to_end(full_key)
            return _entries[full_key], True  # type: ignore[return-value]
        older = _latest.get(key)
        behind = bool(after_ms) and older is not None and older[0] < current and older[2] * 1000 > after_ms
        if behind and full_key not in _behind:
            _behind.add(full_key)
            in_background(_compute_behind, current_app._get_current_object(), key, compute, current)
    if behind:
        return older[1], False  # type: ignore[return-value]
    return cached(key, lambda: _timed(key, compute, current), current), True


def cached_or_behind(key: Hashable, compute: Callable[[], T], current: int) -> T | None:
    """Like `cached_behind`, for a value that helps to find rows but is no figure to show (the deep pages' keys):
    where `cached_behind` would answer with an older version's value, this answers None, and the caller finds the
    rows the slower way while the value is computed behind the requests."""
    value, current_version = _current_or_behind(key, compute, current)
    return value if current_version else None


def _timed(key: Hashable, compute: Callable[[], T], current: int) -> T:
    started = time.perf_counter()
    value = compute()
    with _lock:
        _latest[key] = (current, value, time.perf_counter() - started)
        _latest.move_to_end(key)
        while len(_latest) > MAX_ENTRIES:
            _latest.popitem(last=False)
    return value


def _compute_behind(app, key: Hashable, compute: Callable[[], T], current: int) -> None:
    """Nothing is computed for a version a newer change has already replaced: the requests under the newer one
    queued their own job, and nobody would be shown this one's (at a million listings a job takes seconds, and a
    burst of changes queued one per change and key). On PostgreSQL the job's queries run without parallel workers,
    on one core: the requests keep the other, instead of waiting behind figures only the next visitor needs."""
    try:
        with app.app_context():
            try:
                if version() > current:
                    return
                if db.engine.dialect.name == "postgresql":
                    db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))  # this transaction only
                cached(key, lambda: _timed(key, compute, current), current)
            finally:
                db.session.remove()
    except Exception:  # noqa: BLE001 — the older value stays; the next request asks again
        app.logger.exception("catalog figures: computing %r behind the requests failed", key)
    finally:
        with _lock:
            _behind.discard((current, key))


def in_background(work: Callable, *args) -> None:
    """Run `work(*args)` in this worker's one background thread (figures recomputed behind the requests, the
    search's words read again), one job at a time, so that a change at a million listings sets one core to work,
    not one thread per page asked for. `work` makes its own app context and catches its own errors."""
    global _executor
    if _executor is None or _executor[0] != os.getpid():
        _executor = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-behind"))
    _executor[1].submit(work, *args)


def settle(app) -> None:
    """Before this process forks workers that start as its copies (catalog/warm.py): its background thread's work
    done and the thread ended, and the connections `committed_version` keeps here closed, so no worker inherits a
    thread that is not there or a connection it would share with another process."""
    global _executor
    if _executor is not None and _executor[0] == os.getpid():
        _executor[1].shutdown(wait=True)
        _executor = None
    connections = getattr(_threads, "connections", None) or {}
    for key in [key for key in connections if key[0] == os.getpid()]:
        connections.pop(key).close()
    found = app.extensions.pop("catalog_cache.reader", None)
    if found is not None:
        found[1].dispose()


def cached_many(kind: str, keys: list[Hashable], compute: Callable[[list], dict], current: int) -> dict:
    """Like `cached`, one entry per key: `compute(missing_keys)` returns {key: value} for those not yet held."""
    found, missing = {}, []
    with _lock:
        for key in keys:
            full_key = (current, kind, key)
            if full_key in _entries:
                _entries.move_to_end(full_key)
                found[key] = _entries[full_key]
            else:
                missing.append(key)
    if missing:
        computed = compute(missing)
        with _lock:
            for key, value in computed.items():
                _entries[(current, kind, key)] = value
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
        found.update(computed)
    return found


MAX_FRAGMENTS = 4096  # rendered product cards (≈ 1.5 kB each) per card, language, day and version
_fragments: OrderedDict[Hashable, Markup] = OrderedDict()
_clear_hooks: list[Callable[[], None]] = []


def cached_fragment(key: Hashable, render: Callable[[], Markup], current: int) -> Markup:
    """Rendered HTML that depends only on `key` and the catalog version (a product card in one language),
    rendered at most once per version and worker; two threads rendering the same card at once is harmless."""
    full_key = (current, key)
    with _lock:
        html = _fragments.get(full_key)
        if html is not None:
            _fragments.move_to_end(full_key)
            return html
    html = render()
    with _lock:
        _fragments[full_key] = html
        while len(_fragments) > MAX_FRAGMENTS:
            _fragments.popitem(last=False)
    return html


_app_states: weakref.WeakSet = weakref.WeakSet()  # every app's kept state (`app_state`), emptied by `clear()`


def app_state(name: str, make: Callable[[], T]) -> T:
    """This app's own kept state under `name`, made on first use: two apps in one process (the tests) number their
    versions alike, so what each keeps is its own. `clear()` calls the state's `clear()`."""
    state = current_app.extensions.get(name)
    if state is None:
        state = current_app.extensions.setdefault(name, make())
        _app_states.add(state)
    return state


def on_clear(hook: Callable[[], None]) -> None:
    """Something else kept per version (the rendered pages) is emptied by `clear()` too."""
    if hook not in _clear_hooks:
        _clear_hooks.append(hook)


def clear() -> None:
    """Forget everything kept (tests that empty the database without a new version call it)."""
    with _lock:
        _entries.clear()
        _fragments.clear()
        _latest.clear()
    for state in list(_app_states):
        state.clear()
    for hook in _clear_hooks:
        hook()
