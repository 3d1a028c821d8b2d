"""Pending changes to published storefronts and listings, kept apart from the live row until approved."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, TimestampMixin


class RevisionStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    REJECTED = "rejected"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


OPEN_REVISION_STATUSES = (RevisionStatus.DRAFT, RevisionStatus.PENDING, RevisionStatus.REJECTED)


class Revision(TimestampMixin, Base):
    """The edited values of a published product or producer; `data` holds the form fields."""

    __tablename__ = "revision"
    __table_args__ = (Index("ix_revision_object", "object_type", "object_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(20))  # "product" | "producer"
    object_id: Mapped[int]
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[RevisionStatus] = mapped_column(String(12), default=RevisionStatus.DRAFT)
    reason: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
