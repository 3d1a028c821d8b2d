"""The audit trail: one row per thing someone did (record), and reading it: filters, newest first, one page at a
time (keyset on id), and its export.

Keyset pagination ("older than id N") costs the same on the first page and the thousandth;
the indexes on actor_id, producer_id, created_at and (action, id) keep each filter cheap on
a log of hundreds of thousands of rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import aliased, selectinload

from marketplace.core import clock
from marketplace.core.exports import Table
from marketplace.core.text import like_pattern
from marketplace.extensions import db
from marketplace.models import AuditEvent, User, Producer


def _actor() -> User | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def record(
    action: str,
    obj=None,
    *,
    actor: User | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str = "",
    data: dict | None = None,
    producer_id: int | None = None,
) -> AuditEvent:
    """Add an audit row; `producer_id` names the storefront concerned (for whom a field officer acted)."""
    actor = actor or _actor()
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        producer_id=producer_id,
        action=action,
        object_type=obj.__tablename__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        from_status=str(from_status) if from_status else None,
        to_status=str(to_status) if to_status else None,
        note=note,
        data=data,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


@dataclass
class AuditFilters:
    actor: str = ""        # part of the actor's e-mail (or name)
    action: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    producer: str = ""     # part of the producer's name, its slug, or its NIB
    since: date | None = None
    until: date | None = None
    before: int | None = None  # keyset: rows with a smaller id

    def query_args(self) -> dict:
        """The filters as URL parameters (for the next page and the export links)."""
        return {k: v for k, v in {
            "actor": self.actor, "action": self.action, "object_type": self.object_type,
            "object_id": self.object_id, "producer": self.producer,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }.items() if v}


def _statement(filters: AuditFilters):
    stmt = select(AuditEvent).options(selectinload(AuditEvent.actor))
    if filters.actor:
        like = like_pattern(filters.actor)
        actor = aliased(User)
        stmt = stmt.where(AuditEvent.actor_id.in_(
            select(actor.id).where(or_(func.lower(actor.email).like(like, escape="\\"),
                                       func.lower(actor.name).like(like, escape="\\")))
        ))
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.object_type:
        stmt = stmt.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == filters.object_id)
    if filters.producer:
        like = like_pattern(filters.producer)
        stmt = stmt.where(AuditEvent.producer_id.in_(
            select(Producer.id).where(or_(func.lower(Producer.name).like(like, escape="\\"),
                                          Producer.slug == filters.producer.lower(), Producer.nib == filters.producer))
        ))
    if filters.since:
        stmt = stmt.where(AuditEvent.created_at >= clock.day_start(filters.since))
    if filters.until:
        stmt = stmt.where(AuditEvent.created_at < clock.day_start(filters.until + timedelta(days=1)))
    return stmt


def page(filters: AuditFilters, limit: int = PAGE_SIZE) -> tuple[list[AuditEvent], int | None]:
    """Newest first; returns (rows, the id to continue before, or None on the last page)."""
    stmt = _statement(filters)
    if filters.before:
        stmt = stmt.where(AuditEvent.id < filters.before)
    rows = list(db.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


def producers_of(events: list[AuditEvent]) -> dict[int, Producer]:
    ids = {e.producer_id for e in events if e.producer_id}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Producer).where(Producer.id.in_(ids)))}


def accounts_of(events: list[AuditEvent]) -> dict[int, User]:
    """The accounts that events about accounts are about (one query for the page)."""
    ids = {e.object_id for e in events if e.object_type == User.__tablename__ and e.object_id}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _distinct(column: str) -> list[str]:
    """The distinct values of an indexed column, one index probe per value (a "loose index scan"):
    as fast on a million rows as on a hundred, where SELECT DISTINCT would read them all."""
    assert column in ("action", "object_type")  # a fixed column name, never user input
    rows = db.session.execute(text(f"""
        WITH RECURSIVE v(value) AS (
            SELECT MIN({column}) FROM audit_event
            UNION ALL
            SELECT (SELECT MIN({column}) FROM audit_event WHERE {column} > v.value) FROM v WHERE v.value IS NOT NULL
        )
        SELECT value FROM v WHERE value IS NOT NULL
    """))
    return sorted(value for (value,) in rows if value)


def actions() -> list[str]:
    """The actions present in the log, for the filter's choices."""
    return _distinct("action")


def object_types() -> list[str]:
    return _distinct("object_type")


def export_table(filters: AuditFilters) -> Table:
    """The filtered log as a table (every page, newest first, up to EXPORT_LIMIT rows)."""
    stmt = _statement(filters).order_by(AuditEvent.id.desc()).limit(EXPORT_LIMIT)
    events = list(db.session.scalars(stmt))
    producers = producers_of(events)
    return Table("Log audit", [
        "ID", "Waktu (UTC)", "Pelaku", "Email pelaku", "Tindakan", "Jenis objek", "ID objek", "Produsen",
        "Dari", "Ke", "Catatan", "Alamat IP",
    ], [[
        e.id, e.created_at.replace(microsecond=0), e.actor.name if e.actor else "", e.actor.email if e.actor else "",
        e.action, e.object_type, e.object_id, producers[e.producer_id].name if e.producer_id in producers else "",
        e.from_status or "", e.to_status or "", e.note or "", e.ip or "",
    ] for e in events])
