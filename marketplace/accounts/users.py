"""Accounts: creating them, passwords, signing in and out, ending sessions, registration, invitations; and their
administration by the city's admin: the user list, staff accounts, roles, activation, assignments.

The admin's changes keep the guard that the city can never lock itself out: an admin cannot demote or
deactivate themselves, and every change to an admin account is checked while the active admins' rows are locked,
so two admins demoting each other at the same moment cannot leave nobody in charge.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib.resources import files

from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context
from sqlalchemy import func, select, update, or_, text
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts import audit, tokens
from marketplace.core.text import slugify, like_pattern
from marketplace.extensions import db
from marketplace.models import Producer, PublicationStatus, Role, User, utcnow, Category

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


STAFF_ROLES = (Role.MODERATOR, Role.FACILITATOR, Role.FIELD_OFFICER, Role.ADMIN)
PAGE_SIZE = 25
# A second "create" with the same name, role and e-mail this soon after the first is the same click, twice.
RESUBMIT_WINDOW = timedelta(minutes=10)


class SelfLockout(AccountError):
    """The change would leave this admin (or the city) without administration rights."""


class NotApplicable(AccountError):
    """The change does not apply to this kind of account."""


@dataclass
class UserFilters:
    q: str = ""
    role: str | None = None
    active: bool | None = None
    page: int = 1


def user_list(filters: UserFilters):
    """One page of accounts, newest first, for the admin's table."""
    stmt = select(User).options(selectinload(User.producer))
    if filters.q:
        like = like_pattern(filters.q)
        stmt = stmt.where(or_(func.lower(User.email).like(like, escape="\\"),
                              func.lower(User.name).like(like, escape="\\")))
    if filters.role:
        stmt = stmt.where(User.role == filters.role)
    if filters.active is not None:
        stmt = stmt.where(User.active.is_(filters.active))
    stmt = stmt.order_by(User.id.desc())
    return db.paginate(stmt, page=filters.page, per_page=PAGE_SIZE, error_out=False)


def invitation_pending(user: User) -> bool:
    """An invitation can be (re)sent while the account has no password yet: it was never taken up."""
    return user.password_hash is None and user.active


def _same_submission(existing: User, name: str, role: Role) -> bool:
    created = existing.created_at if existing.created_at.tzinfo else existing.created_at.replace(tzinfo=utcnow().tzinfo)
    return (existing.password_hash is None and existing.role == role and existing.name == name
            and utcnow() - created < RESUBMIT_WINDOW)


def create_staff(email: str, name: str, role: str, actor: User) -> tuple[User, bool]:
    """A staff account without a password, and an invitation to set one; returns (account, created).

    The same form sent twice (a double click, a retried request) gives the account made the first
    time, with no second invitation. Any other account with that e-mail is an AccountError.
    """
    role_value = Role(role)
    if role_value not in STAFF_ROLES:
        raise NotApplicable("staff accounts only")
    existing = find_by_email(normalise_email(email))
    if existing is not None:
        if _same_submission(existing, name, role_value):
            return existing, False
        raise AccountError("an account with this e-mail already exists")
    user = create_user(email, None, role_value.value, name=name)
    user.email_confirmed_at = None  # accepting the invitation confirms the address
    audit.record("account.staff_created", user, actor=actor, data={"role": role_value.value})
    invite(user)
    return user, True


def find_resubmission(email: str, name: str, role: str) -> User | None:
    """After a unique-constraint race: the account the other copy of this form created, if it was that."""
    try:
        existing = find_by_email(normalise_email(email))
    except AccountError:
        return None
    return existing if existing is not None and _same_submission(existing, name, Role(role)) else None


def _lock_admins(actor: User) -> set[int]:
    """Serialise changes to admin accounts; returns the ids of the active admins as they now are.

    PostgreSQL: the active admins' rows, locked in id order (no deadlock between two admins).
    SQLite: a write opens the transaction with BEGIN IMMEDIATE, which holds the database's write lock.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE user_account SET id = id WHERE 0"))
    ids = set(db.session.scalars(
        select(User.id).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id).with_for_update()
    ))
    db.session.expire(actor)
    if actor.id not in ids:
        raise SelfLockout("the acting account is no longer an active admin")
    return ids


def _guard_admin_change(user: User, actor: User) -> None:
    """Refuse a change that takes admin rights from the actor, or from the last active admin."""
    if user.id == actor.id:
        raise SelfLockout("an admin cannot demote or deactivate their own account")
    admins = _lock_admins(actor)
    db.session.refresh(user)
    if user.id in admins and len(admins - {user.id}) < 1:
        raise SelfLockout("at least one active admin must remain")


def change_role(user: User, role: str, actor: User) -> bool:
    """Move a staff account to another staff role; returns whether anything changed.

    A field officer who stops being one loses their producers, a moderator their category scope,
    so the account carries nothing over that a later role change would silently bring back.
    """
    new = Role(role)
    if user.role == Role.PRODUCER or new not in STAFF_ROLES:
        raise NotApplicable("only staff roles can be changed here")
    if new == user.role:
        return False
    if user.role == Role.ADMIN:
        _guard_admin_change(user, actor)
    old = user.role
    data = {"from": str(old), "to": str(new)}
    if old == Role.FIELD_OFFICER and user.assigned_producers:
        data["unassigned"] = [p.slug for p in user.assigned_producers]
        user.assigned_producers.clear()
    if old == Role.MODERATOR and user.moderated_categories:
        data["scope_removed"] = [c.slug for c in user.moderated_categories]
        user.moderated_categories.clear()
    user.role = new
    audit.record("account.role_changed", user, actor=actor, from_status=str(old), to_status=str(new), data=data)
    return True


def change_activation(user: User, active: bool, actor: User) -> bool:
    """Deactivate (every session of theirs ends) or reactivate; returns whether anything changed."""
    if user.active == active:
        return False
    if not active and (user.role == Role.ADMIN or user.id == actor.id):
        _guard_admin_change(user, actor)
    set_active(user, active, actor=actor)
    return True


def resend_invitation(user: User, actor: User) -> None:
    if not invitation_pending(user):
        raise NotApplicable("the account already has a password")
    invite(user)


def assign_producer(officer: User, producer: Producer, remove: bool, actor: User) -> None:
    if officer.role != Role.FIELD_OFFICER:
        raise NotApplicable("only field officers are assigned producers")
    assign_officer(officer.email, producer.slug, remove=remove, actor=actor)


def set_scope(moderator: User, category: Category, remove: bool, actor: User) -> None:
    if moderator.role != Role.MODERATOR:
        raise NotApplicable("only moderators have a category scope")
    set_moderator_scope(moderator.email, category.slug, remove=remove, actor=actor)


def producer_candidates(officer: User, q: str, limit: int = 10) -> list[Producer]:
    """Storefronts matching a name, slug or NIB that this officer is not assigned yet."""
    q = " ".join(q.split())[:100]
    if not q:
        return []
    like = like_pattern(q)
    assigned = {p.id for p in officer.assigned_producers}
    stmt = (select(Producer)
            .where(or_(func.lower(Producer.name).like(like, escape="\\"),
                       func.lower(Producer.slug).like(like, escape="\\"), Producer.nib == q))
            .order_by(Producer.name).limit(limit + len(assigned)))
    return [p for p in db.session.scalars(stmt) if p.id not in assigned][:limit]


def count_active_admins() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN,
                                                                           User.active.is_(True)))
