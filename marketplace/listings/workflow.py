"""Publication of storefronts and listings, and of revisions to published ones.

Each workflow is a table of named transitions: name, from, to, who, what it requires, and what follows it
(`effects`, run in the order given). "reindex" is declared on every transition with a public status on either
side (tests/core/test_workflows.py holds the table to that, and checks the catalog after every transition).
"""
from __future__ import annotations

from marketplace.models import Certificate, Producer, Product, Revision, Role, utcnow
from marketplace.models import CertificateStatus as C
from marketplace.models import PublicationStatus as P
from marketplace.models import RevisionStatus as R
from marketplace.core.workflow import Change, Workflow, rows

# What buyers see: a storefront or listing in one of these statuses is in the catalog.
PUBLIC = frozenset({str(P.PUBLISHED)})


def _confirmed_email(obj, actor) -> str | None:
    """A producer submits only once their e-mail address is confirmed (field officers are staff-made)."""
    if actor.role == Role.PRODUCER and actor.email_confirmed_at is None:
        return "email_unconfirmed"
    return None


STAMP = "stamp_submission"  # the queue is oldest first: remember when it was sent
GO_LIVE = "go_live"  # first publication date; the photos become the live ones
REINDEX = "reindex"  # buyers see the difference: search index and catalog counts follow
TELL = "tell_producer"  # the producer's accounts get the decision by e-mail

# Storefronts (Producer) and listings (Product) share one lifecycle. "import" is the city's inventory
# import (city/importer.py): it sends what it changed for review and, with --publish, approves
# what it vetted; it never suspends, archives, restores or lifts a suspension.
publication = Workflow("publication", rows(
    # name       from                                          to           who
    ("submit",   (P.DRAFT, P.REJECTED),                        P.PENDING,   {"owner", "import"}, {"guard": _confirmed_email, "effects": (STAMP,)}),
    ("withdraw", (P.PENDING,),                                 P.DRAFT,     {"owner"}),
    ("approve",  (P.PENDING,),                                 P.PUBLISHED, {"moderator", "import"}, {"effects": (GO_LIVE, REINDEX, TELL)}),
    ("reject",   (P.PENDING,),                                 P.REJECTED,  {"moderator"}, {"requires_reason": True, "effects": (TELL,)}),
    ("request_changes", (P.PENDING,),                          P.REJECTED,  {"moderator"}, {"requires_reason": True, "effects": (TELL,)}),
    ("suspend",  (P.PUBLISHED,),                               P.SUSPENDED, {"moderator"}, {"requires_reason": True, "effects": (REINDEX, TELL)}),
    ("resubmit", (P.SUSPENDED,),                               P.PENDING,   {"owner"}, {"guard": _confirmed_email, "effects": (STAMP,)}),
    ("archive",  (P.DRAFT, P.PENDING, P.REJECTED, P.PUBLISHED, P.SUSPENDED), P.ARCHIVED, {"owner"}, {"effects": (REINDEX,)}),
    ("restore",  (P.ARCHIVED,),                                P.DRAFT,     {"owner"}),
), model=(Producer, Product), initial=str(P.DRAFT))

# A pending change to a published storefront or listing; the live record stays as it is (approving one copies
# its values onto the live record: listings/review.py, which reindexes what it copied).
revision = Workflow("revision", rows(
    ("submit",   (R.DRAFT, R.REJECTED, R.WITHDRAWN),           R.PENDING,   {"owner", "import"}, {"guard": _confirmed_email, "effects": (STAMP,)}),
    ("withdraw", (R.PENDING,),                                 R.DRAFT,     {"owner"}),
    ("approve",  (R.PENDING,),                                 R.APPROVED,  {"moderator", "import"}, {"effects": (TELL,)}),
    ("reject",   (R.PENDING,),                                 R.REJECTED,  {"moderator"}, {"requires_reason": True, "effects": (TELL,)}),
    ("request_changes", (R.PENDING,),                          R.REJECTED,  {"moderator"}, {"requires_reason": True, "effects": (TELL,)}),
), model=Revision, initial=str(R.DRAFT))



def _checkable(cert, actor) -> str | None:
    """A certificate is verified against its number, and only while it is valid: an expired one is never shown as
    valid, so there is nothing to verify until the producer renews it."""
    from marketplace.core import clock

    if not (cert.number or "").strip():
        return "number_required"
    if not cert.is_valid_on(clock.today()):
        return "expired"
    return None


# A moderator's check of a certificate that buyers can see (or are about to: a storefront waiting for review).
# A change to what was checked — its kind, number, issuer, expiry or document — takes the check back ("reset"): by
# the producer on a storefront edited in place, by the moderator approving the revision that changes it, or by the
# city's import. Buyers read the outcome together with the date (listings/certificates.certificate_state).
CATALOG = "catalog"  # cards and filters show the verification: the catalog version is bumped
verification = Workflow("verification", rows(
    ("verify",   (C.STATED,),                                  C.VERIFIED,  {"moderator"}, {"guard": _checkable, "effects": (CATALOG,)}),
    ("unverify", (C.VERIFIED,),                                C.STATED,    {"moderator"}, {"requires_reason": True, "effects": (CATALOG,)}),
    ("reset",    (C.VERIFIED,),                                C.STATED,    {"owner", "moderator", "import"}, {"effects": (CATALOG,)}),
), model=Certificate, initial=str(C.STATED))


@verification.effect(CATALOG)
def _catalog_changed(change: Change) -> None:
    """The certificate badges of cards are kept per catalog version (catalog/queries.card_snapshot)."""
    from marketplace.catalog import cache as catalog_cache

    catalog_cache.invalidate()


# The decision each telling transition reports (templates/email/_decision.txt).
DECISIONS = {"approve": "approved", "reject": "rejected", "request_changes": "changes_requested",
             "suspend": "suspended"}


@publication.effect(REINDEX)
def _reindex(change: Change) -> None:
    """The index holds public listings only; its change bumps the catalog version (counts, cached cards)."""
    from marketplace.extensions import db
    from marketplace.catalog import search

    db.session.flush()
    if isinstance(change.obj, Producer):
        search.reindex_producer(change.obj.id)
    else:
        search.reindex([change.obj.id])


@publication.effect(TELL)
@revision.effect(TELL)
def _tell_producer(change: Change) -> None:
    """The producer's accounts hear the decision with its reason, once per record and transaction
    (approving a resubmitted listing and its revision together is one decision)."""
    from marketplace.extensions import db
    from marketplace.core import outbox

    obj = change.obj
    if isinstance(obj, Revision):
        model = Producer if obj.object_type == "producer" else Product
        obj = db.session.get(model, obj.object_id)
    decision = DECISIONS[change.name]
    if not _first_time_in_transaction(("review_decision", type(obj).__name__, obj.id, decision)):
        return
    from marketplace.listings.review import notified_accounts

    accounts = notified_accounts(obj)
    url = outbox.site_url("producer.overview") if accounts else ""
    for account in accounts:
        outbox.queue_email(account.email, "review_decision", locale=account.locale, user=account,
                           object_name=obj.name, decision=decision, reason=change.reason, url=url)


def _first_time_in_transaction(key) -> bool:
    from marketplace.extensions import db

    session = db.session()
    transaction = session.get_transaction()
    seen = session.info.get("effects_done")
    if seen is None or seen[0] is not transaction:
        seen = session.info["effects_done"] = (transaction, set())
    if key in seen[1]:
        return False
    seen[1].add(key)
    return True


@publication.effect(STAMP)
@revision.effect(STAMP)
def _stamp_submission(change: Change) -> None:
    change.obj.submitted_at = utcnow()


@publication.effect(GO_LIVE)
def _go_live(change: Change) -> None:
    obj = change.obj
    obj.published_at = obj.published_at or utcnow()
    if isinstance(obj, Product):
        for photo in obj.photos:
            photo.live = True
