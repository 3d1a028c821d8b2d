"""What the producer dashboard puts first: the things that need the producer."""
from __future__ import annotations

from dataclasses import dataclass
from sqlalchemy import func, or_, select

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import AuditEvent, Producer, Product, PublicationStatus, Revision, RevisionStatus, User
from marketplace.listings.editing import open_revisions_for
from marketplace.listings.workflow import publication, revision

EXPIRY_WARNING_DAYS = 60


@dataclass
class Attention:
    kind: str  # rejected | suspended | draft | more_drafts | expiring | expired | unconfirmed | storefront_draft | inquiry
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


DASHBOARD_ROWS = 10  # listings on the dashboard itself (the most recently changed); the products page has them all
PRODUCTS_PAGE_SIZE = 50
ATTENTION_DRAFTS = 10  # drafts named under "Perlu perhatian"; the rest are counted

NEEDS_THE_PRODUCER = (PublicationStatus.DRAFT, PublicationStatus.REJECTED, PublicationStatus.SUSPENDED)


@dataclass
class ProductPage:
    rows: list[ProductRow]
    total: int
    page: int
    pages: int


def _rows(producer: Producer, products: list[Product]) -> list[ProductRow]:
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


def _newest_first():
    return Product.updated_at.desc(), Product.id.desc()


def product_page(producer: Producer, page: int = 1, per_page: int | None = None) -> ProductPage:
    """The storefront's listings, the most recently changed first, a page at a time (a page past the last shows the
    last); PRODUCTS_PAGE_SIZE to a page unless `per_page` says."""
    per_page = per_page or PRODUCTS_PAGE_SIZE
    total = db.session.scalar(select(func.count()).where(Product.producer_id == producer.id)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    products = db.session.scalars(select(Product).where(Product.producer_id == producer.id)
                                  .order_by(*_newest_first()).limit(per_page).offset((page - 1) * per_page)).all()
    return ProductPage(_rows(producer, products), total, page, pages)


@dataclass
class Waiting:
    """The listings that wait for the producer: every one sent back or suspended, or with a change sent back
    (each named with its reason), and the first ATTENTION_DRAFTS drafts, of `drafts` in all."""
    rows: list[ProductRow]
    drafts: int


def attention_rows(producer: Producer) -> Waiting:
    """What `attention` lists of the listings. The drafts are counted by the database and only those named are
    loaded: a storefront of 10,000 listings had 294 drafts, all loaded on every visit to show 10."""
    sent_back = [object_id for (kind, object_id), r in open_revisions_for(producer).items()
                 if kind == "product" and r.status == RevisionStatus.REJECTED]
    own = Product.producer_id == producer.id
    draft = Product.status == str(PublicationStatus.DRAFT)
    returned = Product.status.in_([str(s) for s in NEEDS_THE_PRODUCER if s != PublicationStatus.DRAFT])
    if sent_back:  # only then: the OR keeps the database from the (producer, status) index
        returned = or_(returned, Product.id.in_(sent_back))
    # Few, and sorted here: ordered by the database, SQLite walked every listing of the storefront to find them.
    products = sorted(db.session.scalars(select(Product).where(own, returned)),
                      key=lambda p: (p.updated_at, p.id), reverse=True)
    products += db.session.scalars(select(Product).where(own, draft, ~returned).order_by(*_newest_first())
                                   .limit(ATTENTION_DRAFTS))
    drafts = db.session.scalar(select(func.count()).where(own, draft)) or 0
    return Waiting(_rows(producer, products), drafts)


def attention(producer: Producer, user: User, waiting_rows: Waiting) -> list[Attention]:
    """What needs the producer now; `waiting_rows` is `attention_rows(producer)`."""
    from marketplace.models import Allocation, AllocationStatus

    items: list[Attention] = []
    if user.email_confirmed_at is None and user.producer_id == producer.id:
        items.append(Attention("unconfirmed"))
    waiting = db.session.scalars(
        select(Allocation).where(Allocation.producer_id == producer.id, Allocation.status == str(AllocationStatus.FORWARDED))
    ).all()
    if waiting:
        items.append(Attention("inquiry", days=len(waiting)))
    for row in waiting_rows.rows:
        if row.reason:
            suspended = row.product.status == PublicationStatus.SUSPENDED and (
                row.revision is None or row.revision.status != RevisionStatus.REJECTED)
            items.append(Attention("suspended" if suspended else "rejected", row.product, row.reason))
    if producer.status == PublicationStatus.DRAFT:
        items.append(Attention("storefront_draft", producer))
    drafts = [row.product for row in waiting_rows.rows if row.product.status == PublicationStatus.DRAFT]
    items += [Attention("draft", product) for product in drafts[:ATTENTION_DRAFTS]]
    if waiting_rows.drafts > ATTENTION_DRAFTS:
        items.append(Attention("more_drafts", days=waiting_rows.drafts - ATTENTION_DRAFTS))
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

