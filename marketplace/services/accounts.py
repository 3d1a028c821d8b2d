"""Creating and changing accounts."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Producer, Role, User

MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """The account cannot be created as asked; the message says why."""


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(f"invalid e-mail address: {exc}") from None


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(email: str, password: str, role: str, producer_slug: str | None = None, name: str = "") -> User:
    try:
        role_value = Role(role)
    except ValueError:
        raise AccountError(f"unknown role {role!r}; choose one of: {', '.join(r.value for r in Role)}") from None
    email = normalise_email(email)
    if find_by_email(email):
        raise AccountError(f"an account with e-mail {email} already exists")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    producer = None
    if role_value == Role.PRODUCER:
        if not producer_slug:
            raise AccountError("a producer account needs --producer SLUG")
        producer = db.session.scalar(select(Producer).where(Producer.slug == producer_slug))
        if producer is None:
            raise AccountError(f"no producer with slug {producer_slug!r}")
    elif producer_slug:
        raise AccountError("--producer is only for producer accounts")
    user = User(email=email, role=role_value, name=name, producer=producer)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
