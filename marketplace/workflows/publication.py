"""Publication of storefronts and listings, and of revisions to published ones.

Each workflow is a table of named transitions: name, from, to, who, what it requires.
"""
from __future__ import annotations

from marketplace.models import PublicationStatus as P
from marketplace.models import RevisionStatus as R
from marketplace.models import Role, utcnow
from marketplace.workflows.engine import Transition, Workflow


def _confirmed_email(obj, actor) -> str | None:
    """A producer submits only once their e-mail address is confirmed (field officers are staff-made)."""
    if actor.role == Role.PRODUCER and actor.email_confirmed_at is None:
        return "email_unconfirmed"
    return None


def _table(*rows: tuple) -> dict[str, Transition]:
    transitions = {}
    for name, sources, target, who, *extra in rows:
        options = extra[0] if extra else {}
        transitions[name] = Transition(name, frozenset(map(str, sources)), str(target), frozenset(who), **options)
    return transitions


# Storefronts (Producer) and listings (Product) share one lifecycle. "import" is the city's inventory
# import (services/imports.py): it sends what it changed for review and, with --publish, approves
# what it vetted; it never suspends, archives, restores or lifts a suspension.
publication = Workflow("publication", _table(
    # name       from                                          to           who
    ("submit",   (P.DRAFT, P.REJECTED),                        P.PENDING,   {"owner", "import"}, {"guard": _confirmed_email}),
    ("withdraw", (P.PENDING,),                                 P.DRAFT,     {"owner"}),
    ("approve",  (P.PENDING,),                                 P.PUBLISHED, {"moderator", "import"}),
    ("reject",   (P.PENDING,),                                 P.REJECTED,  {"moderator"}, {"requires_reason": True}),
    ("request_changes", (P.PENDING,),                          P.REJECTED,  {"moderator"}, {"requires_reason": True}),
    ("suspend",  (P.PUBLISHED,),                               P.SUSPENDED, {"moderator"}, {"requires_reason": True}),
    ("resubmit", (P.SUSPENDED,),                               P.PENDING,   {"owner"}, {"guard": _confirmed_email}),
    ("archive",  (P.DRAFT, P.PENDING, P.REJECTED, P.PUBLISHED, P.SUSPENDED), P.ARCHIVED, {"owner"}),
    ("restore",  (P.ARCHIVED,),                                P.DRAFT,     {"owner"}),
))

# A pending change to a published storefront or listing; the live record stays as it is.
revision = Workflow("revision", _table(
    ("submit",   (R.DRAFT, R.REJECTED, R.WITHDRAWN),           R.PENDING,   {"owner", "import"}, {"guard": _confirmed_email}),
    ("withdraw", (R.PENDING,),                                 R.DRAFT,     {"owner"}),
    ("approve",  (R.PENDING,),                                 R.APPROVED,  {"moderator", "import"}),
    ("reject",   (R.PENDING,),                                 R.REJECTED,  {"moderator"}, {"requires_reason": True}),
    ("request_changes", (R.PENDING,),                          R.REJECTED,  {"moderator"}, {"requires_reason": True}),
))


@publication.on("submit", "resubmit")
@revision.on("submit")
def _stamp_submission(obj, actor, reason) -> None:
    """The queue is oldest first: remember when it was sent."""
    obj.submitted_at = utcnow()
