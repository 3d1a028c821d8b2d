"""The audit trail: one row per thing someone did."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from marketplace.extensions import db
from marketplace.models import AuditEvent, User


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
