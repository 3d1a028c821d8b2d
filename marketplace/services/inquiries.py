"""Buyer inquiries: submitting, tracking, and the facilitator's queue.

An inquiry never goes straight to a producer: it lands in the BUMD facilitators' queue.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace import clock, policies
from marketplace.extensions import db
from marketplace.models import (
    EventVisibility,
    Inquiry,
    InquiryEvent,
    InquiryItem,
    InquiryStatus,
    Producer,
    Product,
    PublicationStatus,
    User,
    utcnow,
)
from marketplace.services import audit, outbox
from marketplace.workflows import TransitionConflict
from marketplace.workflows.inquiry import OPEN, inquiry as workflow

FIRST_RESPONSE_TARGET = timedelta(days=1)  # one working day
QUEUE_PAGE = 50


class DuplicateSubmission(Exception):
    """The same form was sent again; `inquiry` is the one it already created."""

    def __init__(self, inquiry: Inquiry):
        super().__init__(inquiry.reference)
        self.inquiry = inquiry


# ---------------------------------------------------------------- the buyer's side

@dataclass
class Subject:
    """What the buyer is asking about: a product, a storefront, or nothing in particular."""

    product: Product | None = None
    producer: Producer | None = None

    @property
    def unit(self) -> str | None:
        return self.product.unit if self.product else None

    def quantity_warnings(self, quantity: float | None) -> list[str]:
        if not self.product or quantity is None:
            return []
        warnings = []
        if quantity < self.product.min_order_qty:
            warnings.append("below_moq")
        if self.product.monthly_capacity and quantity > self.product.monthly_capacity:
            warnings.append("above_capacity")
        return warnings


def subject_for(product_id: str | None, producer_slug: str | None) -> Subject:
    """Only published products and storefronts can be asked about; anything else is ignored."""
    if product_id and product_id.isdigit():
        product = db.session.scalar(
            select(Product).join(Product.producer)
            .where(Product.id == int(product_id), Product.status == PublicationStatus.PUBLISHED,
                   Producer.status == PublicationStatus.PUBLISHED)
        )
        if product is not None:
            return Subject(product=product, producer=product.producer)
    if producer_slug:
        producer = db.session.scalar(
            select(Producer).where(Producer.slug == producer_slug, Producer.status == PublicationStatus.PUBLISHED)
        )
        if producer is not None:
            return Subject(producer=producer)
    return Subject()


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def submit(values: dict, subject: Subject, form_token: str, locale: str) -> Inquiry:
    """Store the inquiry and queue the buyer's confirmation; raises DuplicateSubmission for a resent form."""
    existing = db.session.scalar(select(Inquiry).where(Inquiry.form_token == form_token))
    if existing is not None:
        raise DuplicateSubmission(existing)
    inquiry = Inquiry(
        reference=f"TMP-{form_token[:16]}", tracking_token=secrets.token_urlsafe(32), form_token=form_token,
        status=InquiryStatus.NEW, locale=locale,
        category_id=subject.product.category_id if subject.product else None, **values,
    )
    if subject.product is not None:
        inquiry.items.append(InquiryItem(product_id=subject.product.id, producer_id=subject.producer.id))
    elif subject.producer is not None:
        inquiry.items.append(InquiryItem(producer_id=subject.producer.id))
    inquiry.events.append(InquiryEvent(kind="status", to_status=str(InquiryStatus.NEW),
                                       visibility=EventVisibility.BUYER, by_buyer=True))
    db.session.add(inquiry)
    try:
        db.session.flush()
    except IntegrityError:
        # Two copies of the same form raced and the other one was stored first. This is the
        # request's first write, so rolling back loses nothing of this request.
        db.session.rollback()
        existing = db.session.scalar(select(Inquiry).where(Inquiry.form_token == form_token))
        if existing is None:
            raise
        raise DuplicateSubmission(existing) from None
    inquiry.reference = f"INQ-{clock.today().year}-{inquiry.id:06d}"
    db.session.flush()
    outbox.queue_email(inquiry.email, "inquiry_received", locale=locale, inquiry=inquiry,
                       url=url_for("inquiries.track", token=inquiry.tracking_token, _external=True))
    return inquiry


def by_token(token: str) -> Inquiry | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Inquiry).where(Inquiry.tracking_token == token))


def buyer_timeline(inquiry: Inquiry) -> list[InquiryEvent]:
    """What the buyer may read: never internal notes, never what was said to producers."""
    return [e for e in inquiry.events if e.visibility == EventVisibility.BUYER]


def buyer_message(inquiry: Inquiry, body: str) -> None:
    inquiry.events.append(InquiryEvent(kind="message", visibility=EventVisibility.BUYER, body=body, by_buyer=True))


def cancel(inquiry: Inquiry, reason: str) -> None:
    workflow.apply("cancel", inquiry, policies.BUYER, reason)


# ---------------------------------------------------------------- the facilitator's side

@dataclass(frozen=True)
class QueueFilters:
    status: str | None = None
    category_id: int | None = None
    owner: str | None = None  # "me" | "unassigned"
    buyer_type: str | None = None
    q: str = ""
    before: int | None = None  # keyset: inquiries with a smaller id


def queue(user: User, filters: QueueFilters) -> tuple[list[Inquiry], int | None]:
    """Newest first, one page at a time (keyset on id); returns (rows, id to continue before)."""
    stmt = select(Inquiry).options(selectinload(Inquiry.assigned_to), selectinload(Inquiry.items))
    if filters.status == "open":
        stmt = stmt.where(Inquiry.status.in_([str(s) for s in OPEN]))
    elif filters.status:
        stmt = stmt.where(Inquiry.status == filters.status)
    if filters.category_id:
        stmt = stmt.where(Inquiry.category_id == filters.category_id)
    if filters.owner == "me":
        stmt = stmt.where(Inquiry.assigned_to_id == user.id)
    elif filters.owner == "unassigned":
        stmt = stmt.where(Inquiry.assigned_to_id.is_(None))
    if filters.buyer_type:
        stmt = stmt.where(Inquiry.buyer_type == filters.buyer_type)
    if filters.q:
        like = "%" + filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(func.lower(Inquiry.reference).like(like, escape="\\"),
                              func.lower(Inquiry.company).like(like, escape="\\")))
    if filters.before:
        stmt = stmt.where(Inquiry.id < filters.before)
    rows = list(db.session.scalars(stmt.order_by(Inquiry.id.desc()).limit(QUEUE_PAGE + 1)))
    more = len(rows) > QUEUE_PAGE
    rows = rows[:QUEUE_PAGE]
    return rows, (rows[-1].id if more else None)


def waiting_too_long(inquiry: Inquiry) -> bool:
    created = inquiry.created_at if inquiry.created_at.tzinfo else inquiry.created_at.replace(tzinfo=clock.WIB)
    return inquiry.status == InquiryStatus.NEW and datetime.now(clock.WIB) - created > FIRST_RESPONSE_TARGET


def claim(inquiry_id: int, facilitator: User) -> Inquiry:
    """Take an unassigned inquiry. Of two facilitators claiming at once exactly one wins:
    the assignment is a conditional UPDATE (… WHERE assigned_to_id IS NULL) and its row count."""
    won = db.session.execute(
        update(Inquiry)
        .where(Inquiry.id == inquiry_id, Inquiry.assigned_to_id.is_(None), Inquiry.status == str(InquiryStatus.NEW))
        .values(assigned_to_id=facilitator.id)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not won:
        raise TransitionConflict("claim")
    inquiry = db.session.get(Inquiry, inquiry_id)
    db.session.refresh(inquiry, ["assigned_to_id"])
    workflow.apply("claim", inquiry, facilitator)
    inquiry.first_response_at = inquiry.first_response_at or utcnow()
    return inquiry


def reassign(inquiry: Inquiry, to: User | None, actor: User) -> None:
    """Hand over to another facilitator, or back to the pool (None)."""
    inquiry.assigned_to = to
    audit.record("inquiry.reassigned" if to else "inquiry.unassigned", inquiry, actor=actor,
                 data={"to": to.id if to else None})


def add_note(inquiry: Inquiry, author: User, body: str) -> None:
    inquiry.events.append(InquiryEvent(kind="note", visibility=EventVisibility.INTERNAL, body=body, author_id=author.id))


def message_buyer(inquiry: Inquiry, author: User, body: str) -> None:
    inquiry.events.append(InquiryEvent(kind="message", visibility=EventVisibility.BUYER, body=body, author_id=author.id))
    inquiry.first_response_at = inquiry.first_response_at or utcnow()
    outbox.queue_email(inquiry.email, "inquiry_message", locale=inquiry.locale, inquiry=inquiry, body=body,
                       url=url_for("inquiries.track", token=inquiry.tracking_token, _external=True))


def decide(inquiry: Inquiry, name: str, actor: User, reason: str) -> None:
    """decline or mark_spam, with the reason; a declined buyer is told why."""
    workflow.apply(name, inquiry, actor, reason)
    if name == "decline":
        outbox.queue_email(inquiry.email, "inquiry_message", locale=inquiry.locale, inquiry=inquiry, body=reason,
                           url=url_for("inquiries.track", token=inquiry.tracking_token, _external=True))


def facilitators() -> list[User]:
    from marketplace.models import Role

    return list(db.session.scalars(
        select(User).where(User.role.in_([str(Role.FACILITATOR), str(Role.ADMIN)]), User.active.is_(True))
        .order_by(User.name, User.email)
    ))
