"""The trade version: one row of `catalog_state` (id 2), bumped in the same transaction as every change of what the
monitoring figures read (city/monitoring.py), so figures kept under a version are never shown after a change. And
the data version (id 3), bumped by every transaction that writes anything through the Session: the signed-in pages
kept per person (catalog/page_cache.py `personal`) are kept under it.

What counts as a trade write (all through the Session; a write on a raw engine connection, as the scale seeder's
bulk loader does, is not seen):
- a flush that adds, changes or deletes an inquiry, its lines and timeline, a forward (allocation), a quotation, a
  contract, its lines, months and deliveries, an agreement or its targets, a category; or changes the name,
  producer, weight per piece, commodity, unit, capacity or status of a listing, the name or status of a producer;
- an UPDATE / DELETE / INSERT statement on one of those tables run through the session (the workflow engine's
  conditional `UPDATE … SET status`), or a text statement writing one of them.

What counts as a write for the data version: a flush that adds, changes or deletes any row, and any UPDATE / DELETE /
INSERT statement run through the session, whatever its table (the catalog version's bump included; the bumps of
these two aside).

The bump is one statement for both versions, run just before the transaction commits (a row lock held for the
shortest time on PostgreSQL), once per transaction whatever its number of writes; nothing is bumped for a
transaction that rolls back. The rows are not made by a migration: the bump is an upsert (`INSERT … ON CONFLICT DO
UPDATE`, on SQLite ≥ 3.24 and PostgreSQL alike, so two first bumps at once cannot collide), and a missing row reads
as 0.

A session that has written trade rows not yet committed sees figures no other session sees: `pending(session)`
tells the figures' cache to compute them afresh and keep nothing.
"""
from __future__ import annotations

import re

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from marketplace.extensions import db

TRADE_ID = 2  # row 1 is the catalog version (catalog/cache.py)
DATA_ID = 3
TRADE_TABLES = frozenset({
    "inquiry", "inquiry_item", "inquiry_event", "allocation", "quotation", "quotation_line", "contract",
    "contract_line", "contract_month", "delivery", "agreement", "agreement_target", "category",
})
# What the figures show of listings and producers (top products, capacity, the waiting producers).
WATCHED = {
    "product": ("name", "producer_id", "kg_per_unit", "category_id", "unit", "monthly_capacity", "status"),
    "producer": ("name", "status"),
}
_WRITE_TEXT = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)
_BUMP_SQL = ("INSERT INTO catalog_state (id, version) VALUES {rows} "
             "ON CONFLICT (id) DO UPDATE SET version = catalog_state.version + 1")
_BUMP_TRADE_SQL = _BUMP_SQL.format(rows=f"({TRADE_ID}, 1), ({DATA_ID}, 1)")
DATA_BUMP_SQL = _BUMP_SQL.format(rows=f"({DATA_ID}, 1)")
_BUMPS = (_BUMP_TRADE_SQL, DATA_BUMP_SQL)  # the bumps themselves are not writes to bump for
_READ_SQL = "SELECT id, version FROM catalog_state WHERE id IN (1, 2)"
DATA_VERSION_SQL = f"SELECT version FROM catalog_state WHERE id = {DATA_ID}"
_WRITTEN = "trade_written"
_WRITTEN_ANY = "data_written"


def versions() -> tuple[int, int]:
    """(catalog version, trade version), read in one primary-key statement on the session's connection (in its
    transaction), without the ORM's statement machinery; a missing row reads as 0."""
    rows = dict(db.session.connection().exec_driver_sql(_READ_SQL).all())
    return rows.get(1, 0), rows.get(TRADE_ID, 0)


def version() -> int:
    return versions()[1]


def bump(session=None) -> None:
    """Every worker recomputes the figures from its next visit on (inside the changing transaction); a trade write
    is a write, so the data version goes up with it."""
    (session if session is not None else db.session).execute(text(_BUMP_TRADE_SQL))


def pending(session=None) -> bool:
    """Whether this session has written trade rows in its open transaction (flushed, not committed)."""
    return bool((session if session is not None else db.session).info.get(_WRITTEN))


def wrote(session=None) -> bool:
    """Whether this session has written anything in its open transaction (flushed, not committed)."""
    return bool((session if session is not None else db.session).info.get(_WRITTEN_ANY))


def _mark(session) -> None:
    session.info[_WRITTEN] = session.info[_WRITTEN_ANY] = True


def _mark_any(session) -> None:
    session.info[_WRITTEN_ANY] = True


def _table_of(obj) -> str | None:
    return getattr(getattr(obj, "__table__", None), "name", None)


def _flush_writes_trade(session) -> bool:
    for obj in session.new:
        if _table_of(obj) in TRADE_TABLES:
            return True
    for obj in session.deleted:
        table = _table_of(obj)
        if table in TRADE_TABLES or table in WATCHED:
            return True
    for obj in session.dirty:
        table = _table_of(obj)
        if table in TRADE_TABLES:
            if session.is_modified(obj):
                return True
        elif table in WATCHED:
            attrs = inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in WATCHED[table]):
                return True
    return False


def _flush_writes(session) -> bool:
    return bool(session.new or session.deleted) or any(session.is_modified(obj) for obj in session.dirty)


@event.listens_for(Session, "before_flush")
def _flushing(session, _flush_context, _instances) -> None:
    if not session.info.get(_WRITTEN) and _flush_writes_trade(session):
        _mark(session)
    elif not session.info.get(_WRITTEN_ANY) and _flush_writes(session):
        _mark_any(session)


@event.listens_for(Session, "do_orm_execute")
def _executing(state) -> None:
    if state.is_select or state.session.info.get(_WRITTEN):
        return
    statement = state.statement
    table = None
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(getattr(statement, "table", None), "name", None)
        if table in TRADE_TABLES or table in WATCHED:
            _mark(state.session)
            return
    elif isinstance(statement, TextClause) and statement.text not in _BUMPS:
        match = _WRITE_TEXT.match(statement.text)
        table = match.group(1).lower() if match else None
        if table in TRADE_TABLES:
            _mark(state.session)
            return
    if table is not None:
        _mark_any(state.session)


@event.listens_for(Session, "before_commit")
def _committing(session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer commit bumps
        return
    session.flush()  # the commit flushes what is pending only after this hook: flush it first, to see it
    traded, written = session.info.pop(_WRITTEN, False), session.info.pop(_WRITTEN_ANY, False)
    if traded:
        bump(session)
    elif written:
        session.execute(text(DATA_BUMP_SQL))


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is None:  # committed (bumped above) or rolled back (nothing to bump)
        session.info.pop(_WRITTEN, None)
        session.info.pop(_WRITTEN_ANY, None)
