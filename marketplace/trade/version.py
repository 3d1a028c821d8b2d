"""The trade version: one row of `catalog_state` (id 2), bumped in the same transaction as every change of what the
monitoring figures read (city/monitoring.py), so figures kept under a version are never shown after a change.

What counts as a trade write (all through the Session; a write on a raw engine connection, as the scale seeder's
bulk loader does, is not seen):
- a flush that adds, changes or deletes an inquiry, its lines and timeline, a forward (allocation), a quotation, a
  contract, its lines, months and deliveries, an agreement or its targets, a category; or changes the name,
  producer, weight per piece, commodity, unit, capacity or status of a listing, the name or status of a producer;
- an UPDATE / DELETE / INSERT statement on one of those tables run through the session (the workflow engine's
  conditional `UPDATE … SET status`), or a text statement writing one of them.

The bump is one statement, run just before the transaction commits (a row lock held for the shortest time on
PostgreSQL), once per transaction whatever its number of writes; nothing is bumped for a transaction that rolls
back. The row is not made by a migration: the bump is an upsert (`INSERT … ON CONFLICT DO UPDATE`, on SQLite ≥ 3.24
and PostgreSQL alike, so two first bumps at once cannot collide), and a missing row reads as 0.

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
_BUMP_SQL = ("INSERT INTO catalog_state (id, version) VALUES (2, 1) "
             "ON CONFLICT (id) DO UPDATE SET version = catalog_state.version + 1")
_READ_SQL = "SELECT id, version FROM catalog_state WHERE id IN (1, 2)"
_WRITTEN = "trade_written"


def versions() -> tuple[int, int]:
    """(catalog version, trade version), read in one primary-key statement on the session's connection (in its
    transaction), without the ORM's statement machinery; a missing row reads as 0."""
    rows = dict(db.session.connection().exec_driver_sql(_READ_SQL).all())
    return rows.get(1, 0), rows.get(TRADE_ID, 0)


def version() -> int:
    return versions()[1]


def bump(session=None) -> None:
    """Every worker recomputes the figures from its next visit on (inside the changing transaction)."""
    (session if session is not None else db.session).execute(text(_BUMP_SQL))


def pending(session=None) -> bool:
    """Whether this session has written trade rows in its open transaction (flushed, not committed)."""
    return bool((session if session is not None else db.session).info.get(_WRITTEN))


def _mark(session) -> None:
    session.info[_WRITTEN] = True


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


@event.listens_for(Session, "before_flush")
def _flushing(session, _flush_context, _instances) -> None:
    if not session.info.get(_WRITTEN) and _flush_writes_trade(session):
        _mark(session)


@event.listens_for(Session, "do_orm_execute")
def _executing(state) -> None:
    if state.is_select or state.session.info.get(_WRITTEN):
        return
    statement = state.statement
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(getattr(statement, "table", None), "name", None)
        if table in TRADE_TABLES or table in WATCHED:
            _mark(state.session)
    elif isinstance(statement, TextClause):
        match = _WRITE_TEXT.match(statement.text)
        if match and match.group(1).lower() in TRADE_TABLES:
            _mark(state.session)


@event.listens_for(Session, "before_commit")
def _committing(session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer commit bumps
        return
    session.flush()  # the commit flushes what is pending only after this hook: flush it first, to see it
    if session.info.pop(_WRITTEN, False):
        bump(session)


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is None:  # committed (bumped above) or rolled back (nothing to bump)
        session.info.pop(_WRITTEN, None)
