"""What the producer dashboard puts first: the things that need the producer."""
from __future__ import annotations

from dataclasses import dataclass
from sqlalchemy import select

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import AuditEvent, Producer, Product, PublicationStatus, Revision, RevisionStatus, User
from marketplace.listings.editing import open_revisions_for
from marketplace.listings.workflow import publication, revision

EXPIRY_WARNING_DAYS = 60


@dataclass
class Attention:
    kind: str  # rejected | suspended | draft | expiring | expired | unconfirmed | storefront_draft | inquiry
    obj: object = None
    reason: str = ""
    days: int | None = None


@dataclass
class ProductRow:
    product: Product
    revision: Revision | None
    reason: str = ""


def _sent_back_actions() -> list[str]:
    """The audit actions of decisions that send a record back with a reason: reject, request_changes,
    suspend, … read from the workflow tables, so a new such transition is covered too."""
    return [f"{workflow.name}.{name}" for workflow in (publication, revision)
            for name, transition in workflow.transitions.items() if transition.requires_reason]


def _rejection_reasons(producer: Producer) -> dict[tuple[str, int], str]:
    """The latest rejection note per record of this producer (from the audit trail)."""
    rows = db.session.execute(
        select(AuditEvent.object_type, AuditEvent.object_id, AuditEvent.note, AuditEvent.action)
        .where(AuditEvent.producer_id == producer.id, AuditEvent.action.in_(_sent_back_actions()))
        .order_by(AuditEvent.id)
    ).all()
    return {(object_type, object_id): note for object_type, object_id, note, _ in rows}


def product_rows(producer: Producer) -> list[ProductRow]:
    products = db.session.scalars(
        select(Product).where(Product.producer_id == producer.id).order_by(Product.updated_at.desc(), Product.id.desc())
    ).all()
    revisions = open_revisions_for(producer)
    reasons = _rejection_reasons(producer)
    rows = []
    for product in products:
        revision = revisions.get(("product", product.id))
        reason = ""
        if revision is not None and revision.status == RevisionStatus.REJECTED:
            reason = revision.reason or reasons.get(("revision", revision.id), "")
        elif product.status in (PublicationStatus.REJECTED, PublicationStatus.SUSPENDED):
            reason = reasons.get(("product", product.id), "")
        rows.append(ProductRow(product, revision, reason))
    return rows


def attention(producer: Producer, user: User, rows: list[ProductRow]) -> list[Attention]:
    from marketplace.models import Allocation, AllocationStatus

    items: list[Attention] = []
    if user.email_confirmed_at is None and user.producer_id == producer.id:
        items.append(Attention("unconfirmed"))
    waiting = db.session.scalars(
        select(Allocation).where(Allocation.producer_id == producer.id, Allocation.status == str(AllocationStatus.FORWARDED))
    ).all()
    if waiting:
        items.append(Attention("inquiry", days=len(waiting)))
    for row in rows:
        if row.reason:
            suspended = row.product.status == PublicationStatus.SUSPENDED and (
                row.revision is None or row.revision.status != RevisionStatus.REJECTED)
            items.append(Attention("suspended" if suspended else "rejected", row.product, row.reason))
    if producer.status == PublicationStatus.DRAFT:
        items.append(Attention("storefront_draft", producer))
    for row in rows:
        if row.product.status == PublicationStatus.DRAFT:
            items.append(Attention("draft", row.product))
    today = clock.today()
    # The most urgent first: expired ones (longest expired leading), then the soonest to expire.
    dated = sorted((c for c in producer.certificates if c.valid_until is not None), key=lambda c: c.valid_until)
    for certificate in dated:
        days = (certificate.valid_until - today).days
        if days < 0:
            items.append(Attention("expired", certificate, days=-days))
        elif days <= EXPIRY_WARNING_DAYS:
            items.append(Attention("expiring", certificate, days=days))
    return items

