"""What each staff role sees first: the admin's overview, and the counts on the navigation bar."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import AuditEvent, Inquiry, InquiryStatus, Role, User


def new_inquiries_waiting() -> int:
    """New inquiries nobody holds yet: the facilitators' number on the navigation bar. count(*), not count(id):
    PostgreSQL then counts from ix_inquiry_status_assigned alone (an index-only scan) instead of reading a heap
    page per waiting inquiry (35,000 of them at 100k listings: 3 ms against 70–170 ms warm, 1.7 s cold)."""
    return db.session.scalar(select(func.count()).select_from(Inquiry).where(
        Inquiry.status == InquiryStatus.NEW, Inquiry.assigned_to_id.is_(None))) or 0


@dataclass
class AdminOverview:
    reviews_waiting: int
    inquiries_waiting: int
    invitations_open: int
    accounts_by_role: dict[str, int]
    inactive_accounts: int
    imports: list[AuditEvent] = field(default_factory=list)
    recent: list[AuditEvent] = field(default_factory=list)


def admin_overview(admin: User) -> AdminOverview:
    from marketplace.listings import review as moderation

    by_role = dict(db.session.execute(
        select(User.role, func.count(User.id)).where(User.active.is_(True)).group_by(User.role)).all())
    events = select(AuditEvent).order_by(AuditEvent.id.desc())
    return AdminOverview(
        reviews_waiting=moderation.queue_count(admin),
        inquiries_waiting=new_inquiries_waiting(),
        # Accounts whose invitation was never taken up (accounts.users.invitation_pending, counted).
        invitations_open=db.session.scalar(select(func.count(User.id)).where(
            User.active.is_(True), User.password_hash.is_(None))) or 0,
        accounts_by_role={str(role): by_role.get(role, 0) for role in Role},
        inactive_accounts=db.session.scalar(select(func.count(User.id)).where(User.active.is_(False))) or 0,
        imports=list(db.session.scalars(events.where(AuditEvent.action == "inventory.imported").limit(5))),
        recent=list(db.session.scalars(events.limit(10))),
    )
