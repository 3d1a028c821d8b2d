"""Search vocabulary an admin added (on top of the file shipped in marketplace/data/search-vocabulary.csv)."""
from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base


class SearchTerm(Base):
    """A buyer's word (`term`, one to three words) and the catalog words it means (`means`, all of them must
    match); a term may have several rows, each one more meaning."""

    __tablename__ = "search_term"
    __table_args__ = (UniqueConstraint("term", "means"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(80))
    means: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="admin")
