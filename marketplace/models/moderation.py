"""Pending changes to published storefronts and listings, kept apart from the live row until approved."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.accounts import User

from marketplace.models.base import Base, TimestampMixin, utcnow


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
    __table_args__ = (
        Index("ix_revision_object", "object_type", "object_id", "status"),
        Index("ix_revision_status_submitted", "status", "submitted_at", "id"),  # the review queue (migration 0018)
    )

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


# A moderator with scopes reviews only those categories (Dekranasda: crafts; the food office:
# food); a moderator without any reviews everything.
moderator_scope = Table(
    "moderator_scope",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("category.id", ondelete="CASCADE"), primary_key=True),
)


class CurationAssessment(Base):
    """A curator's grade (A–D) of a listing against the rubric, with notes the producer sees."""

    __tablename__ = "curation_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    grade: Mapped[str] = mapped_column(String(1))
    scores: Mapped[dict] = mapped_column(JSON, default=dict)  # criterion → 1..4
    notes: Mapped[str] = mapped_column(Text, default="")
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessor: Mapped[User | None] = relationship()
