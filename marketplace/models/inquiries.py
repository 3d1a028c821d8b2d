"""Buyer inquiries, handled by BUMD facilitators: the request, its timeline, forwards to producers."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from marketplace.models.accounts import User
from marketplace.models.base import Base, TimestampMixin, utcnow
from marketplace.models.catalog import Producer, Product


class InquiryStatus(StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    FORWARDED = "forwarded"
    RESPONDED = "responded"
    NEGOTIATING = "negotiating"
    AGREED = "agreed"
    CLOSED = "closed"
    DECLINED = "declined"
    SPAM = "spam"
    CANCELLED = "cancelled"


class BuyerCompany(TimestampMixin, Base):
    """A Jakarta buyer company, recognised by its NIB/NPWP (or its name); facilitators verify it once."""

    __tablename__ = "buyer_company"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(180), unique=True)  # "id:<NIB/NPWP digits>" or "name:<lower name>"
    name: Mapped[str] = mapped_column(String(160))
    id_number: Mapped[str] = mapped_column(String(30), default="")
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class Agreement(Base):
    """A cooperation agreement (MoU or PKS) that inquiries and contracts fall under."""

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # MoU | PKS
    title: Mapped[str] = mapped_column(String(200))
    parties: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]

    targets: Mapped[list[AgreementTarget]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementTarget.id"
    )


class AgreementTarget(Base):
    """What an agreement aims for: a monthly volume of one commodity (category)."""

    __tablename__ = "agreement_target"
    __table_args__ = (UniqueConstraint("agreement_id", "category_id", "unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    volume_per_month: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(12))  # kg, ton, kuintal (compared in kg) or a count unit

    agreement: Mapped[Agreement] = relationship(back_populates="targets")


class Inquiry(TimestampMixin, Base):
    __tablename__ = "inquiry"
    __table_args__ = (
        Index("ix_inquiry_status_created", "status", "created_at"),
        Index("ix_inquiry_created_at", "created_at"),
        Index("ix_inquiry_status_id", "status", "id"),
        # The facilitators' count of new requests nobody holds yet, on every facilitator page (migration 0018).
        Index("ix_inquiry_status_assigned", "status", "assigned_to_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # INQ-2026-000123
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True)
    # One-time token of the form that created it: a double-clicked or retried submit creates nothing new.
    form_token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[InquiryStatus] = mapped_column(String(12), default=InquiryStatus.NEW)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    company: Mapped[str] = mapped_column(String(160))
    buyer_type: Mapped[str] = mapped_column(String(20))
    contact_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    company_id_number: Mapped[str] = mapped_column(String(30), default="")  # NIB or NPWP, optional
    # The volume asked per delivery period (`frequency`: once, weekly, monthly), for `periods` periods from
    # `starts_on`: "20 ton per bulan selama 12 bulan, mulai Januari 2027". A one-off order has one period.
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(12))
    frequency: Mapped[str] = mapped_column(String(10))
    periods: Mapped[int] = mapped_column(default=1)
    starts_on: Mapped[date | None]
    target_price: Mapped[int | None] = mapped_column(BigInteger)
    delivery_city: Mapped[str] = mapped_column(String(40))
    needed_by: Mapped[date | None]
    message: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="id")
    first_response_at: Mapped[datetime | None]
    buyer_company_id: Mapped[int | None] = mapped_column(ForeignKey("buyer_company.id", ondelete="SET NULL"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id", ondelete="SET NULL"), index=True)

    buyer_company: Mapped[BuyerCompany | None] = relationship()
    agreement: Mapped[Agreement | None] = relationship()

    assigned_to: Mapped[User | None] = relationship()
    items: Mapped[list[InquiryItem]] = relationship(back_populates="inquiry", cascade="all, delete-orphan",
                                                    order_by="InquiryItem.id")
    events: Mapped[list[InquiryEvent]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="InquiryEvent.id"
    )
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="Allocation.id"
    )
    quotations: Mapped[list[Quotation]] = relationship(  # noqa: F821 (models/contracts.py)
        back_populates="inquiry", cascade="all, delete-orphan", order_by="Quotation.version"
    )
    contracts: Mapped[list[Contract]] = relationship(  # noqa: F821
        back_populates="inquiry", cascade="all, delete-orphan", order_by="Contract.id"
    )

    # How many lines the request has, where a list reads it in its own statement (trade/service.queue); else None.
    line_count: Mapped[int | None] = query_expression()

    @property
    def lines(self) -> list[InquiryItem]:
        """The lines of a request for several listings, each with its quantity; [] for a single-quantity one."""
        return [item for item in self.items if item.quantity is not None]


class InquiryItem(Base):
    """A product (or a whole storefront) the buyer asked about. In a request for several listings each item is a
    line with its own quantity per period and unit (the inquiry's `quantity`/`unit` is then their total, in one
    unit); the item of a single-quantity inquiry has neither."""

    __tablename__ = "inquiry_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiry.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"), index=True)
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producer.id", ondelete="SET NULL"), index=True)
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(12))

    inquiry: Mapped[Inquiry] = relationship(back_populates="items")
    product: Mapped[Product | None] = relationship()
    producer: Mapped[Producer | None] = relationship()


class EventVisibility(StrEnum):
    INTERNAL = "internal"  # facilitators only
    BUYER = "buyer"        # shown on the tracking page
    PRODUCER = "producer"


class InquiryEvent(Base):
    """One line of the timeline: a status change, an internal note, or a message."""

    __tablename__ = "inquiry_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiry.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))  # status | note | message
    visibility: Mapped[EventVisibility] = mapped_column(String(10))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    body: Mapped[str] = mapped_column(Text, default="")
    # Figures of a forward or an answer (producer, quantity, unit, price), formatted when shown in the viewer's
    # language; `body` keeps a plain copy for readers of the raw rows.
    data: Mapped[dict | None] = mapped_column(JSON)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    by_buyer: Mapped[bool] = mapped_column(default=False)

    inquiry: Mapped[Inquiry] = relationship(back_populates="events")
    author: Mapped[User | None] = relationship()


class AllocationStatus(StrEnum):
    FORWARDED = "forwarded"
    ACCEPTED = "accepted"  # the producer sent an offer
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the producer took the offer back before it was quoted


class Allocation(TimestampMixin, Base):
    """Part of an inquiry forwarded to one producer; several producers can share one order."""

    __tablename__ = "allocation"
    __table_args__ = (UniqueConstraint("inquiry_id", "producer_id"), Index("ix_allocation_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiry.id", ondelete="CASCADE"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    # The listing the share is asked of, and the quantity per period in `unit` (the listing's unit by default,
    # converted from the request's: core/units.py).
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"), index=True)
    requested_qty: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(12), default="")
    contact_released: Mapped[bool] = mapped_column(default=False)
    status: Mapped[AllocationStatus] = mapped_column(String(10), default=AllocationStatus.FORWARDED)
    # The offer: a quantity per period in `offered_unit`, a price per `offered_unit` in whole Rupiah, a lead time,
    # how long the offer holds, and the delivery terms (vocab.DELIVERY_TERMS).
    offered_qty: Mapped[float | None] = mapped_column(Float)
    offered_unit: Mapped[str | None] = mapped_column(String(12))
    offered_price: Mapped[int | None] = mapped_column(BigInteger)
    lead_time_days: Mapped[int | None]
    offer_valid_until: Mapped[date | None]
    terms: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime | None]

    inquiry: Mapped[Inquiry] = relationship(back_populates="allocations")
    producer: Mapped[Producer] = relationship()
    product: Mapped[Product | None] = relationship()
