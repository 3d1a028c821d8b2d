"""Accounts: creating them, passwords, signing in and out, ending sessions, registration, invitations."""
from __future__ import annotations

from functools import cache
from importlib.resources import files

from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.extensions import db
from marketplace.models import Producer, PublicationStatus, Role, User, utcnow
from marketplace.accounts import audit, tokens
from marketplace.core.text import slugify

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 4096  # long passphrases are welcome; this only stops absurd bodies


def _hash_method() -> str:
    """The method new password hashes are made with (as User.set_password does)."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password-for-timing", method=method)


def spend_a_hash_check(password: str) -> None:
    """The work of checking one password, against nothing: an unknown e-mail takes as long as a wrong password.

    The dummy hash is made with the same method and cost as real hashes, so a stronger (or, in
    tests, cheaper) PASSWORD_HASH_METHOD cannot make one path measurably faster than the other.
    """
    check_password_hash(_dummy_hash(_hash_method()), password)


class AccountError(ValueError):
    """The account cannot be created or changed as asked; the message says why."""


@cache
def common_passwords() -> frozenset[str]:
    text = files("marketplace").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problems(password: str, email: str | None = None) -> list[str]:
    """What is wrong with a new password, as codes (views turn them into sentences)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append("too_short")
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.append("too_long")
    lowered = password.strip().lower()
    if lowered in common_passwords() or (email and lowered == email.split("@")[0].lower()):
        problems.append("too_common")
    return problems


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(f"invalid e-mail address: {exc}") from None


def find_by_email(email: str) -> User | None:
    email = (email or "").strip().lower()
    if not email or "\x00" in email or len(email) > 254:
        return None  # no account has such an address (and PostgreSQL refuses NUL in a query)
    return db.session.scalar(select(User).where(func.lower(User.email) == email))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None — the same way for every failure."""
    user = find_by_email(email) if email else None
    if user is None or not user.password_hash:
        spend_a_hash_check(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def end_all_sessions(user: User) -> None:
    """Every session and remember-me cookie of this user stops working (see accounts_loader)."""
    db.session.execute(
        update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
    )
    db.session.refresh(user, ["session_version"])


def change_password(user: User, new_password: str) -> None:
    if password_problems(new_password, user.email):
        raise AccountError("password does not meet the rules")
    user.set_password(new_password)
    end_all_sessions(user)
    audit.record("account.password_changed", user, actor=user)


def set_active(user: User, active: bool, actor: User | None = None) -> None:
    user.active = active
    if not active:
        end_all_sessions(user)
    audit.record("account.activated" if active else "account.deactivated", user, actor=actor)


def create_user(email: str, password: str | None, role: str, producer_slug: str | None = None, name: str = "") -> User:
    try:
        role_value = Role(role)
    except ValueError:
        raise AccountError(f"unknown role {role!r}; choose one of: {', '.join(r.value for r in Role)}") from None
    email = normalise_email(email)
    if find_by_email(email):
        raise AccountError(f"an account with e-mail {email} already exists")
    if password is not None and password_problems(password, email):
        raise AccountError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters and not be a common password"
        )
    producer = None
    if role_value == Role.PRODUCER:
        if not producer_slug:
            raise AccountError("a producer account needs --producer SLUG")
        producer = db.session.scalar(select(Producer).where(Producer.slug == producer_slug))
        if producer is None:
            raise AccountError(f"no producer with slug {producer_slug!r}")
    elif producer_slug:
        raise AccountError("--producer is only for producer accounts")
    user = User(email=email, role=role_value, name=name, producer=producer, email_confirmed_at=utcnow())
    if password is not None:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("account.created", user, data={"role": role_value.value})
    return user


def unique_producer_slug(name: str) -> str:
    base = slugify(name)
    taken = set(db.session.scalars(select(Producer.slug).where(Producer.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def register_producer(*, email: str, password: str, name: str, business_name: str, nib: str,
                      kecamatan: str, kelurahan: str, phone: str | None, locale: str = "id") -> User:
    """A new producer account with a draft storefront; a confirmation e-mail is queued.

    If the e-mail is already registered, nothing is created and the owner of that address
    is told by e-mail instead, so the form never reveals who has an account.
    """
    from marketplace.core import outbox

    email = normalise_email(email)
    existing = find_by_email(email)
    if existing is not None:
        # As long as a real registration takes (it hashes the password), so the answer's speed tells nothing.
        generate_password_hash(password, method=_hash_method())
        outbox.queue_email(existing.email, "account_exists", locale=existing.locale,
                           user=existing, url=outbox.site_url("auth.login"))
        return existing
    producer = Producer(
        name=business_name, slug=unique_producer_slug(business_name), owner_name=name, nib=nib,
        kecamatan=kecamatan, kelurahan=kelurahan, phone=phone, email=email,
        status=PublicationStatus.DRAFT,
    )
    user = User(email=email, name=name, role=Role.PRODUCER, producer=producer, locale=locale)
    user.set_password(password)
    db.session.add_all([producer, user])
    db.session.flush()
    audit.record("account.registered", user, actor=user, producer_id=producer.id)
    queue_confirmation(user)
    return user


def queue_confirmation(user: User) -> None:
    from marketplace.core import outbox

    url = outbox.site_url("auth.confirm", token=tokens.make(user, "confirm"))
    outbox.queue_email(user.email, "confirm_email", locale=user.locale, user=user, url=url)


def confirm_email(user: User) -> None:
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record("account.email_confirmed", user, actor=user)


def request_password_reset(email: str) -> None:
    """Queue a reset link if the address belongs to an active account; say nothing either way."""
    from marketplace.core import outbox

    user = find_by_email(email) if email else None
    if user is None or not user.active:
        return
    url = outbox.site_url("auth.reset_with_token", token=tokens.make(user, "reset"))
    outbox.queue_email(user.email, "reset_password", locale=user.locale, user=user, url=url)


def invite(user: User) -> str:
    """Queue an invitation for an account without a password (e.g. an imported producer); returns the link."""
    from marketplace.core import outbox

    url = outbox.site_url("auth.invite", token=tokens.make(user, "invite"))
    outbox.queue_email(user.email, "invitation", locale=user.locale, user=user, producer=user.producer, url=url)
    audit.record("account.invited", user)
    return url


def accept_invitation(user: User, password: str) -> None:
    user.set_password(password)
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    end_all_sessions(user)
    audit.record("account.invitation_accepted", user, actor=user)


def assign_officer(officer_email: str, producer_slug: str, remove: bool = False, actor: User | None = None) -> None:
    officer = find_by_email(officer_email)
    if officer is None or officer.role != Role.FIELD_OFFICER:
        raise AccountError(f"no field officer account with e-mail {officer_email}")
    producer = db.session.scalar(select(Producer).where(Producer.slug == producer_slug))
    if producer is None:
        raise AccountError(f"no producer with slug {producer_slug!r}")
    assigned = producer in officer.assigned_producers
    if remove and assigned:
        officer.assigned_producers.remove(producer)
    elif not remove and not assigned:
        officer.assigned_producers.append(producer)
    audit.record("account.officer_unassigned" if remove else "account.officer_assigned", officer,
                 actor=actor, producer_id=producer.id)


def set_moderator_scope(moderator_email: str, category_slug: str, remove: bool = False,
                        actor: User | None = None) -> None:
    from marketplace.models import Category

    moderator = find_by_email(moderator_email)
    if moderator is None or moderator.role != Role.MODERATOR:
        raise AccountError(f"no moderator account with e-mail {moderator_email}")
    category = db.session.scalar(select(Category).where(Category.slug == category_slug))
    if category is None:
        slugs = ", ".join(db.session.scalars(select(Category.slug).order_by(Category.position, Category.slug)))
        raise AccountError(f"no category with slug {category_slug!r}; the categories are: {slugs}")
    scoped = category in moderator.moderated_categories
    if remove and scoped:
        moderator.moderated_categories.remove(category)
    elif not remove and not scoped:
        moderator.moderated_categories.append(category)
    audit.record("account.scope_removed" if remove else "account.scope_added", moderator, actor=actor,
                 data={"category": category_slug})
