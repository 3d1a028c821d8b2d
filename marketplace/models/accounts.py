"""User accounts and roles."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.models.base import Base, TimestampMixin

if TYPE_CHECKING:
    from marketplace.models.catalog import Category, Producer


class Role(StrEnum):
    PRODUCER = "producer"
    FIELD_OFFICER = "field_officer"
    MODERATOR = "moderator"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


# Field officers (pendamping) act for the producers assigned to them.
officer_assignment = Table(
    "officer_assignment",
    Base.metadata,
    Column("officer_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("producer_id", ForeignKey("producer.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(20))
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producer.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None]
    email_confirmed_at: Mapped[datetime | None]
    locale: Mapped[str] = mapped_column(String(5), default="id")

    producer: Mapped[Producer | None] = relationship(back_populates="accounts")
    assigned_producers: Mapped[list[Producer]] = relationship(secondary=officer_assignment, order_by="Producer.name")
    moderated_categories: Mapped[list[Category]] = relationship(secondary="moderator_scope", order_by="Category.position")

    def set_password(self, password: str) -> None:
        # scrypt, named so a library change cannot weaken it; tests use cheaper scrypt parameters.
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        # The session version makes every other session invalid once it is bumped.
        return f"{self.id}:{self.session_version}"
