"""Account administration by the city's admin: the user list, staff accounts, roles, activation, assignments.

Creating accounts, invitations, ending sessions, officer assignments and moderator scopes are
accounts/users.py's; this module adds what only the admin does, and the guard that the city
can never lock itself out: an admin cannot demote or deactivate themselves, and every change to
an admin account is checked while the active admins' rows are locked, so two admins demoting
each other at the same moment cannot leave nobody in charge.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import Category, Producer, Role, User, utcnow
from marketplace.accounts import users as accounts, audit
from marketplace.accounts.users import AccountError
from marketplace.core.text import like_pattern

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
    existing = accounts.find_by_email(accounts.normalise_email(email))
    if existing is not None:
        if _same_submission(existing, name, role_value):
            return existing, False
        raise AccountError("an account with this e-mail already exists")
    user = accounts.create_user(email, None, role_value.value, name=name)
    user.email_confirmed_at = None  # accepting the invitation confirms the address
    audit.record("account.staff_created", user, actor=actor, data={"role": role_value.value})
    accounts.invite(user)
    return user, True


def find_resubmission(email: str, name: str, role: str) -> User | None:
    """After a unique-constraint race: the account the other copy of this form created, if it was that."""
    try:
        existing = accounts.find_by_email(accounts.normalise_email(email))
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


def set_active(user: User, active: bool, actor: User) -> bool:
    """Deactivate (every session of theirs ends) or reactivate; returns whether anything changed."""
    if user.active == active:
        return False
    if not active and (user.role == Role.ADMIN or user.id == actor.id):
        _guard_admin_change(user, actor)
    accounts.set_active(user, active, actor=actor)
    return True


def resend_invitation(user: User, actor: User) -> None:
    if not invitation_pending(user):
        raise NotApplicable("the account already has a password")
    accounts.invite(user)


def assign_producer(officer: User, producer: Producer, remove: bool, actor: User) -> None:
    if officer.role != Role.FIELD_OFFICER:
        raise NotApplicable("only field officers are assigned producers")
    accounts.assign_officer(officer.email, producer.slug, remove=remove, actor=actor)


def set_scope(moderator: User, category: Category, remove: bool, actor: User) -> None:
    if moderator.role != Role.MODERATOR:
        raise NotApplicable("only moderators have a category scope")
    accounts.set_moderator_scope(moderator.email, category.slug, remove=remove, actor=actor)


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

