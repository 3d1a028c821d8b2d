"""From offers to what the MoU counts: the quotation a buyer accepts, the contract it becomes, its deliveries.

    offers (allocations) ──facilitator quotes──▶ quotation v1, v2 … ──buyer accepts──▶ contract ──▶ deliveries

Quantities are always an amount per period with its unit (core/units.py); prices are whole Rupiah per unit.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.accounts import User
from marketplace.models.base import Base, TimestampMixin
from marketplace.models.catalog import Producer, Product
from marketplace.models.inquiries import Agreement, Allocation, Inquiry


class QuotationStatus(StrEnum):
    SENT = "sent"                    # the buyer can accept, decline or ask for a change
    ACCEPTED = "accepted"            # became a contract
    DECLINED = "declined"            # with the buyer's reason
    CHANGE_REQUESTED = "change"      # the buyer asked for a change: the facilitator sends a new version
    SUPERSEDED = "superseded"        # a newer version replaced it
    WITHDRAWN = "withdrawn"          # the facilitator took it back


class Quotation(TimestampMixin, Base):
    """One version of what the facilitator proposes to the buyer, built from the producers' offers."""

    __tablename__ = "quotation"
    __table_args__ = (UniqueConstraint("inquiry_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiry.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[QuotationStatus] = mapped_column(String(12), default=QuotationStatus.SENT)
    valid_until: Mapped[date]
    # Whether the buyer reads the producers' names, or "Produsen 1, 2 …".
    names_producers: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    buyer_reason: Mapped[str] = mapped_column(Text, default="")  # why the buyer declined or what to change
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    inquiry: Mapped[Inquiry] = relationship(back_populates="quotations")
    lines: Mapped[list[QuotationLine]] = relationship(
        back_populates="quotation", cascade="all, delete-orphan", order_by="QuotationLine.id"
    )
    created_by: Mapped[User | None] = relationship()


class QuotationLine(Base):
    """One producer's part of a quotation: a quantity per period at a price per unit, a lead time, terms."""

    __tablename__ = "quotation_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    quotation_id: Mapped[int] = mapped_column(ForeignKey("quotation.id", ondelete="CASCADE"), index=True)
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id", ondelete="SET NULL"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="RESTRICT"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"), index=True)
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(12))
    price: Mapped[int] = mapped_column(BigInteger)  # Rupiah per `unit`
    lead_time_days: Mapped[int | None]
    terms: Mapped[str] = mapped_column(String(12), default="loco")

    quotation: Mapped[Quotation] = relationship(back_populates="lines")
    allocation: Mapped[Allocation | None] = relationship()
    producer: Mapped[Producer] = relationship()
    product: Mapped[Product | None] = relationship()


class ContractStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Contract(TimestampMixin, Base):
    """What an accepted quotation became: one contract, whatever its number of producer lines."""

    __tablename__ = "contract"
    __table_args__ = (Index("ix_contract_status_starts", "status", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # KTR-2026-000012
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiry.id", ondelete="CASCADE"), index=True)
    # Unique: of two accept clicks, the second finds the contract already made.
    quotation_id: Mapped[int | None] = mapped_column(ForeignKey("quotation.id", ondelete="SET NULL"), unique=True)
    status: Mapped[ContractStatus] = mapped_column(String(10), default=ContractStatus.ACTIVE)
    # The MoU/PKS it counts against; `agreement_chosen` is True once someone chose one or explicitly none.
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id", ondelete="SET NULL"), index=True)
    agreement_chosen: Mapped[bool] = mapped_column(default=False)
    frequency: Mapped[str] = mapped_column(String(10))  # once | weekly | monthly (vocab.FREQUENCIES)
    periods: Mapped[int] = mapped_column(default=1)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    inquiry: Mapped[Inquiry] = relationship(back_populates="contracts")
    quotation: Mapped[Quotation | None] = relationship()
    agreement: Mapped[Agreement | None] = relationship()
    lines: Mapped[list[ContractLine]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractLine.id"
    )


class ContractLine(Base):
    """One producer's commitment: a quantity per period at a price per unit, from `starts_on` to `ends_on`."""

    __tablename__ = "contract_line"
    __table_args__ = (Index("ix_contract_line_product", "product_id", "contract_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="RESTRICT"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"))
    quantity: Mapped[float] = mapped_column(Float)  # per period of the contract
    unit: Mapped[str] = mapped_column(String(12))
    price: Mapped[int] = mapped_column(BigInteger)  # Rupiah per `unit`
    lead_time_days: Mapped[int | None]
    terms: Mapped[str] = mapped_column(String(12), default="loco")

    contract: Mapped[Contract] = relationship(back_populates="lines")
    producer: Mapped[Producer] = relationship()
    product: Mapped[Product | None] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="Delivery.delivered_on"
    )
    months: Mapped[list[ContractMonth]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="ContractMonth.month"
    )


class DeliveryStatus(StrEnum):
    ACCEPTED = "accepted"    # received and accepted by the buyer
    REJECTED = "rejected"    # refused at receipt (with a note why)
    CANCELLED = "cancelled"  # recorded by mistake: kept, with a reason, and no longer counted


class Delivery(TimestampMixin, Base):
    """A shipment against a contract line: when, how much, and whether the buyer accepted it at receipt."""

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_status_day", "status", "delivered_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("contract_line.id", ondelete="CASCADE"), index=True)
    delivered_on: Mapped[date]
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(12))
    status: Mapped[DeliveryStatus] = mapped_column(String(10), default=DeliveryStatus.ACCEPTED)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    line: Mapped[ContractLine] = relationship(back_populates="deliveries")
    recorded_by: Mapped[User | None] = relationship()

    @property
    def producer_id(self) -> int:
        return self.line.producer_id


class ContractMonth(Base):
    """A contract line's schedule, one row per calendar month: what it commits in that month. Written when the
    contract is made (trade/contracts.py), so a listing's spare capacity and the MoU's contracted volume per month
    are sums in SQL. A cancelled or completed contract keeps its rows; readers count only active (or completed)
    contracts through the join."""

    __tablename__ = "contract_month"
    __table_args__ = (Index("ix_contract_month_product", "product_id", "month"),
                      Index("ix_contract_month_month", "month", "contract_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("contract_line.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"))
    month: Mapped[date]  # the first day of the calendar month
    quantity: Mapped[float] = mapped_column(Float)  # in the line's `unit`, summed over the periods starting that month
    unit: Mapped[str] = mapped_column(String(12))
    # The same amount in the listing's own unit (core/units.py), None when the two do not convert.
    listing_quantity: Mapped[float | None] = mapped_column(Float)
    value: Mapped[int] = mapped_column(BigInteger)  # Rupiah: quantity × the line's price

    line: Mapped[ContractLine] = relationship(back_populates="months")
    contract: Mapped[Contract] = relationship()
