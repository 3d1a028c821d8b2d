"""Cooperation agreements (MoU/PKS) and their monthly targets per commodity."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import Agreement, AgreementTarget, User
from marketplace.accounts import audit


def all_agreements() -> list[Agreement]:
    return list(db.session.scalars(
        select(Agreement).options(selectinload(Agreement.targets))
        .order_by(Agreement.starts_on.desc().nulls_last(), Agreement.code)
    ))


def code_taken(code: str, except_id: int | None = None) -> bool:
    stmt = select(Agreement.id).where(func.lower(Agreement.code) == code.strip().lower())
    if except_id:
        stmt = stmt.where(Agreement.id != except_id)
    return db.session.scalar(stmt) is not None


def save(agreement: Agreement | None, values: dict, targets: list[dict], actor: User) -> Agreement:
    """Create (agreement None) or update an agreement; `targets` replace the current ones.
    Each target: {"category_id", "volume_per_month", "unit"}; one per (commodity, unit), the last one wins."""
    created = agreement is None
    if created:
        agreement = Agreement()
        db.session.add(agreement)
    for key in ("code", "kind", "title", "parties", "starts_on", "ends_on"):
        setattr(agreement, key, values[key])
    wanted = {(t["category_id"], t["unit"]): t["volume_per_month"] for t in targets}
    for target in list(agreement.targets):
        key = (target.category_id, target.unit)
        if key in wanted:
            target.volume_per_month = wanted.pop(key)
        else:
            agreement.targets.remove(target)
    for (category_id, unit), volume in wanted.items():
        agreement.targets.append(AgreementTarget(category_id=category_id, unit=unit, volume_per_month=volume))
    db.session.flush()
    audit.record("agreement.created" if created else "agreement.updated", agreement, actor=actor, data={
        "code": agreement.code,
        "targets": [{"category_id": t.category_id, "volume_per_month": t.volume_per_month, "unit": t.unit}
                    for t in agreement.targets],
    })
    return agreement
