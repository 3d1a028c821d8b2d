"""Every workflow table (ARCHITECTURE rule 2) walked completely: publication, revision, inquiry, allocation.

Every transition of each table × every source status × every kind of actor (listings and storefronts for
publication and revision; an inquiry forwarded to producer A; producer A's share of one). What the tables should say is written out below, independently of the tables
themselves, so a changed rule shows up here as a failing case rather than passing silently.

Allowed: the status moves and exactly one AuditEvent is written (actor, from, to, note, the
storefront concerned). Refused: TransitionNotAllowed with the reason ("state", "actor",
"reason_required", "email_unconfirmed"), and nothing changes.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from marketplace.extensions import db
from marketplace.models import (
    Allocation,
    AllocationStatus,
    AuditEvent,
    Inquiry,
    InquiryStatus,
    Producer,
    Product,
    PublicationStatus,
    Revision,
    RevisionStatus,
)
from marketplace.core.policies import BUYER
from marketplace.core.workflow import TransitionConflict, TransitionNotAllowed
from marketplace.models import ContractStatus, DeliveryStatus, QuotationStatus
from marketplace.trade.workflow import allocation, inquiry
from marketplace.trade.workflow import contract as contract_workflow
from marketplace.trade.workflow import delivery as delivery_workflow
from marketplace.trade.workflow import quotation as quotation_workflow
from marketplace.listings.workflow import publication, revision, verification
from marketplace.models import CertificateStatus
from tests.factories import CertificateFactory, ProductFactory
from tests.trade_desk import bare_contract

ROLES = ("producer_a", "officer", "producer_b", "moderator", "facilitator", "admin", "buyer")
OWNER = frozenset({"producer_a", "officer"})  # the producer and the field officer assigned to them
MODERATOR = frozenset({"moderator", "admin"})
FACILITATOR = frozenset({"facilitator", "admin"})
THE_BUYER = frozenset({"buyer"})  # whoever holds the tracking link

P, R, S, A = PublicationStatus, RevisionStatus, InquiryStatus, AllocationStatus
NOT_ARCHIVED = tuple(s for s in P if s != P.ARCHIVED)

# name: (from, to, who, needs a reason, needs a confirmed e-mail when a producer does it)
PUBLICATION = {
    "submit":          ((P.DRAFT, P.REJECTED), P.PENDING,   OWNER,     False, True),
    "withdraw":        ((P.PENDING,),          P.DRAFT,     OWNER,     False, False),
    "approve":         ((P.PENDING,),          P.PUBLISHED, MODERATOR, False, False),
    "reject":          ((P.PENDING,),          P.REJECTED,  MODERATOR, True,  False),
    "request_changes": ((P.PENDING,),          P.REJECTED,  MODERATOR, True,  False),
    "suspend":         ((P.PUBLISHED,),        P.SUSPENDED, MODERATOR, True,  False),
    "resubmit":        ((P.SUSPENDED,),        P.PENDING,   OWNER,     False, True),
    "archive":         (NOT_ARCHIVED,          P.ARCHIVED,  OWNER,     False, False),
    "restore":         ((P.ARCHIVED,),         P.DRAFT,     OWNER,     False, False),
}
REVISION = {
    "submit":          ((R.DRAFT, R.REJECTED, R.WITHDRAWN), R.PENDING, OWNER, False, True),
    "withdraw":        ((R.PENDING,),          R.DRAFT,     OWNER,     False, False),
    "approve":         ((R.PENDING,),          R.APPROVED,  MODERATOR, False, False),
    "reject":          ((R.PENDING,),          R.REJECTED,  MODERATOR, True,  False),
    "request_changes": ((R.PENDING,),          R.REJECTED,  MODERATOR, True,  False),
}
OPEN = (S.NEW, S.IN_REVIEW, S.FORWARDED, S.RESPONDED, S.NEGOTIATING)
WORKING = (S.IN_REVIEW, S.FORWARDED, S.RESPONDED, S.NEGOTIATING)
INQUIRY = {
    "claim":           ((S.NEW,),                  S.IN_REVIEW,   FACILITATOR, False, False),
    "mark_spam":       ((S.NEW, S.IN_REVIEW),      S.SPAM,        FACILITATOR, True,  False),
    "decline":         (WORKING,                   S.DECLINED,    FACILITATOR, True,  False),
    "forward":         (WORKING,                   S.FORWARDED,   FACILITATOR, False, False),
    "respond":         ((S.FORWARDED,),            S.RESPONDED,   FACILITATOR | OWNER, False, False),
    "negotiate":       ((S.RESPONDED,),            S.NEGOTIATING, FACILITATOR, False, False),
    "agree":           ((S.RESPONDED, S.NEGOTIATING), S.AGREED,   FACILITATOR | THE_BUYER, False, False),
    "close":           ((S.AGREED,),               S.CLOSED,      FACILITATOR, False, False),
    "cancel":          (OPEN,                      S.CANCELLED,   THE_BUYER,   False, False),
}
ALLOCATION = {
    "offer":           ((A.FORWARDED,),            A.ACCEPTED,    OWNER,       False, False),
    "decline":         ((A.FORWARDED,),            A.DECLINED,    OWNER,       True,  False),
    "revise":          ((A.ACCEPTED,),             A.ACCEPTED,    OWNER,       False, False),
    "withdraw":        ((A.ACCEPTED,),             A.WITHDRAWN,   OWNER,       False, False),
    "reforward":       ((A.FORWARDED, A.ACCEPTED, A.DECLINED, A.WITHDRAWN), A.FORWARDED, FACILITATOR, False, False),
}
Q, K, D = QuotationStatus, ContractStatus, DeliveryStatus
QUOTATION = {
    "accept":          ((Q.SENT,),                 Q.ACCEPTED,    THE_BUYER | FACILITATOR, False, False),
    "decline":         ((Q.SENT,),                 Q.DECLINED,    THE_BUYER,   True,  False),
    "ask_change":      ((Q.SENT,),                 Q.CHANGE_REQUESTED, THE_BUYER, True, False),
    "supersede":       ((Q.SENT, Q.CHANGE_REQUESTED, Q.DECLINED), Q.SUPERSEDED, FACILITATOR, False, False),
    "withdraw":        ((Q.SENT, Q.CHANGE_REQUESTED), Q.WITHDRAWN, FACILITATOR, True,  False),
}
CONTRACT = {
    "complete":        ((K.ACTIVE,),               K.COMPLETED,   FACILITATOR, False, False),
    "cancel":          ((K.ACTIVE,),               K.CANCELLED,   FACILITATOR, True,  False),
}
DELIVERY = {
    "reject":          ((D.ACCEPTED,),             D.REJECTED,    FACILITATOR | OWNER, True, False),
    "cancel":          ((D.ACCEPTED, D.REJECTED),  D.CANCELLED,   FACILITATOR | OWNER, True, False),
}
C = CertificateStatus
VERIFICATION = {
    "verify":          ((C.STATED,),               C.VERIFIED,    MODERATOR,   False, False),
    "unverify":        ((C.VERIFIED,),             C.STATED,      MODERATOR,   True,  False),
    "reset":           ((C.VERIFIED,),             C.STATED,      OWNER | MODERATOR, False, False),
}
WORKFLOWS = {"publication": (publication, PUBLICATION, P), "revision": (revision, REVISION, R),
             "verification": (verification, VERIFICATION, C),
             "inquiry": (inquiry, INQUIRY, S), "allocation": (allocation, ALLOCATION, A),
             "quotation": (quotation_workflow, QUOTATION, Q), "contract": (contract_workflow, CONTRACT, K),
             "delivery": (delivery_workflow, DELIVERY, D)}
TRADE = ("inquiry", "allocation", "quotation", "contract", "delivery")
NO_STOREFRONT = ("inquiry", "quotation", "contract")  # records that belong to no one storefront
REASON = "Foto kurang jelas."


def _audit_count(obj=None) -> int:
    stmt = select(func.count(AuditEvent.id))
    if obj is not None:
        stmt = stmt.where(AuditEvent.object_type == obj.__tablename__, AuditEvent.object_id == obj.id)
    return db.session.scalar(stmt)


def _last_audit(obj=None) -> AuditEvent:
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if obj is not None:
        stmt = stmt.where(AuditEvent.object_type == obj.__tablename__, AuditEvent.object_id == obj.id)
    return db.session.scalars(stmt).first()


def _actor(accounts, role: str):
    return BUYER if role == "buyer" else accounts.by_name(role)


def _inquiry(accounts, **fields) -> Inquiry:
    """An inquiry forwarded to producer A (so A and A's officer answer it), with a contract made."""
    request = Inquiry(reference="INQ-2026-000001", tracking_token="t-walk", form_token="f-walk", company="PT Uji",
                      buyer_type="hotel", contact_name="Dewi", email="dewi@contoh.id", quantity=100, unit="kg",
                      frequency="once", delivery_city="jakarta-pusat", **fields)
    request.allocations.append(Allocation(producer_id=accounts.producer_a_store.id, requested_qty=100))
    request.contracts.append(bare_contract("KTR-2026-000001"))
    db.session.add(request)
    db.session.commit()
    return request


def _trade_record(accounts, workflow: str):
    """A quotation of producer A's offer (valid for a week), the contract it became, or a delivery against it."""
    from datetime import timedelta

    from marketplace.core import clock
    from marketplace.models import Contract, ContractLine, Delivery, Quotation, QuotationLine

    request = _inquiry(accounts, status=str(S.NEGOTIATING))
    store = accounts.producer_a_store.id
    offer = Quotation(inquiry_id=request.id, version=1, status=str(Q.SENT), valid_until=clock.today() + timedelta(days=7),
                      lines=[QuotationLine(producer_id=store, quantity=100, unit="kg", price=12_000)])
    db.session.add(offer)
    db.session.commit()
    if workflow == "quotation":
        return offer
    made = request.contracts[0]
    made.lines.append(ContractLine(producer_id=store, quantity=100, unit="kg", price=12_000))
    db.session.commit()
    if workflow == "contract":
        return made
    shipment = Delivery(line_id=made.lines[0].id, delivered_on=clock.today(), quantity=100, unit="kg",
                        status=str(D.ACCEPTED))
    db.session.add(shipment)
    db.session.commit()
    return shipment


def _set_status(obj, status) -> None:
    """The walk's own way of putting a record into a state (a test fixture, not application code)."""
    model = type(obj)
    extra = {"assigned_to_id": None} if model is Inquiry else {}  # nobody holds it: claim stays possible
    db.session.execute(update(model).where(model.id == obj.id).values(status=str(status), **extra))
    db.session.commit()
    db.session.refresh(obj)


def _subject(accounts, workflow: str, kind: str):
    """A record of producer A that the walk moves around: the listing or storefront, or a revision of it;
    an inquiry forwarded to A, or A's share of one."""
    if workflow == "inquiry":
        return _inquiry(accounts)
    if workflow == "allocation":
        return _inquiry(accounts, status=str(S.FORWARDED)).allocations[0]
    if workflow in ("quotation", "contract", "delivery"):
        return _trade_record(accounts, workflow)
    store = accounts.producer_a_store
    if workflow == "verification":
        return CertificateFactory(producer=store)
    target = store if kind == "producer" else ProductFactory(producer=store, name="Beras A")
    if workflow == "publication":
        return target
    change = Revision(object_type=kind, object_id=target.id, producer_id=store.id, data={"name": "Beras A Baru"},
                      status=RevisionStatus.DRAFT, author_id=accounts.producer_a.id)
    db.session.add(change)
    db.session.commit()
    return change


def _expected(spec, name: str, source, role: str, reason: str, confirmed: bool) -> str | None:
    """None when the transition applies; otherwise the code it is refused with."""
    sources, _target, who, needs_reason, needs_email = spec[name]
    if source not in sources:
        return "state"
    if role not in who:
        return "actor"
    if needs_reason and not reason.strip():
        return "reason_required"
    if needs_email and role == "producer_a" and not confirmed:
        return "email_unconfirmed"
    return None


def _walk(accounts, workflow_name: str, name: str, kind: str, reason: str = REASON, confirmed: bool = True):
    workflow, spec, statuses = WORKFLOWS[workflow_name]
    subject = _subject(accounts, workflow_name, kind)
    if not confirmed:
        accounts.producer_a.email_confirmed_at = None
        db.session.commit()
    failures = []
    for source in statuses:
        for role in ROLES:
            _set_status(subject, source)
            actor = _actor(accounts, role)
            before = _audit_count(subject)
            expected = _expected(spec, name, source, role, reason, confirmed)
            case = f"{name} from {source} by {role}"
            if expected is None:
                try:
                    workflow.apply(name, subject, actor, reason=reason)
                except TransitionNotAllowed as error:
                    failures.append(f"{case}: refused ({error.code}), expected allowed")
                    db.session.rollback()
                    continue
                db.session.commit()
                event = _last_audit(subject)
                got = (str(subject.status), _audit_count(subject) - before, event.action, event.actor_id,
                       event.from_status, event.to_status, event.note, event.producer_id)
                # An inquiry, a quotation or a contract belongs to no one storefront; the rest here is producer A's.
                want = (str(spec[name][1]), 1, f"{workflow_name}.{name}", actor.id, str(source), str(spec[name][1]),
                        reason, None if workflow_name in NO_STOREFRONT else accounts.producer_a_store.id)
                if got != want:
                    failures.append(f"{case}: got {got}, expected {want}")
            else:
                try:
                    workflow.apply(name, subject, actor, reason=reason)
                except TransitionNotAllowed as error:
                    if error.code != expected:
                        failures.append(f"{case}: refused with {error.code}, expected {expected}")
                    if db.session.new or db.session.dirty or str(subject.status) != str(source):
                        failures.append(f"{case}: refused but something changed")
                    db.session.rollback()
                    db.session.refresh(subject)
                    if str(subject.status) != str(source) or _audit_count(subject) != before:
                        failures.append(f"{case}: refused but the status or the audit trail changed")
                else:
                    failures.append(f"{case}: allowed, expected refused with {expected}")
                    db.session.rollback()
    return failures


def test_the_tables_hold_exactly_the_transitions_described_here():
    for workflow, spec, _statuses in WORKFLOWS.values():
        assert set(workflow.transitions) == set(spec), workflow.name


@pytest.mark.parametrize("name", list(INQUIRY))
def test_every_inquiry_transition_from_every_state_by_every_role(accounts, name):
    assert _walk(accounts, "inquiry", name, "inquiry") == []


@pytest.mark.parametrize("name", list(ALLOCATION))
def test_every_allocation_transition_from_every_state_by_every_role(accounts, name):
    assert _walk(accounts, "allocation", name, "allocation") == []


@pytest.mark.parametrize("workflow_name, name", [(w, n) for w in ("quotation", "contract", "delivery")
                                                 for n in WORKFLOWS[w][1]])
def test_every_quotation_contract_and_delivery_transition_from_every_state_by_every_role(accounts, workflow_name, name):
    assert _walk(accounts, workflow_name, name, workflow_name) == []


@pytest.mark.parametrize("kind", ["product", "producer"])
@pytest.mark.parametrize("name", list(PUBLICATION))
def test_every_publication_transition_from_every_state_by_every_role(accounts, name, kind):
    assert _walk(accounts, "publication", name, kind) == []


@pytest.mark.parametrize("name", list(VERIFICATION))
def test_every_verification_transition_from_every_state_by_every_role(accounts, name):
    assert _walk(accounts, "verification", name, "certificate") == []


@pytest.mark.parametrize("name, problem", [("number", "number_required"), ("expired", "expired")])
def test_a_certificate_without_a_number_or_past_its_date_cannot_be_verified(accounts, name, problem):
    from datetime import timedelta

    from marketplace.core import clock

    cert = CertificateFactory(producer=accounts.producer_a_store, **(
        {"number": " "} if name == "number" else {"valid_until": clock.today() - timedelta(days=1)}))
    with pytest.raises(TransitionNotAllowed) as refused:
        verification.apply("verify", cert, accounts.moderator)
    assert refused.value.code == problem


def test_a_moderator_scoped_to_other_categories_cannot_verify_a_certificate(accounts):
    from tests.factories import category

    accounts.moderator.moderated_categories = [category("kerajinan-wastra")]
    ProductFactory(producer=accounts.producer_a_store, category=category("beras-serealia"))
    db.session.commit()
    with pytest.raises(TransitionNotAllowed) as refused:
        verification.apply("verify", CertificateFactory(producer=accounts.producer_a_store), accounts.moderator)
    assert refused.value.code == "actor"


@pytest.mark.parametrize("kind", ["product", "producer"])
@pytest.mark.parametrize("name", list(REVISION))
def test_every_revision_transition_from_every_state_by_every_role(accounts, name, kind):
    assert _walk(accounts, "revision", name, kind) == []


@pytest.mark.parametrize("workflow_name, name", [
    (w, n) for w, (_, spec, _) in WORKFLOWS.items() for n, row in spec.items() if row[3]
])
@pytest.mark.parametrize("blank", ["", "   \n"])
def test_a_decision_against_the_other_side_needs_a_reason(accounts, workflow_name, name, blank):
    kind = workflow_name if workflow_name in TRADE else "product"
    assert _walk(accounts, workflow_name, name, kind, reason=blank) == []


@pytest.mark.parametrize("workflow_name, name", [
    (w, n) for w, (_, spec, _) in WORKFLOWS.items() for n, row in spec.items() if row[4]
])
def test_a_producer_with_an_unconfirmed_email_cannot_send_for_review(accounts, workflow_name, name):
    """…while the field officer, whose account staff created, still can."""
    assert _walk(accounts, workflow_name, name, "product", confirmed=False) == []


def test_an_officers_action_is_audited_under_the_officer_for_the_producer(accounts):
    product = ProductFactory(producer=accounts.producer_a_store, status="draft")
    publication.apply("submit", product, accounts.officer)
    db.session.commit()
    event = _last_audit()
    assert event.actor_id == accounts.officer.id
    assert event.producer_id == accounts.producer_a_store.id
    assert (event.object_type, event.object_id) == ("product", product.id)


def test_a_moderator_scoped_to_other_categories_cannot_decide(accounts):
    from tests.factories import category

    accounts.moderator.moderated_categories = [category("kerajinan-wastra")]
    db.session.commit()
    product = ProductFactory(producer=accounts.producer_a_store, status="pending", category=category("beras-serealia"))
    with pytest.raises(TransitionNotAllowed) as refused:
        publication.apply("approve", product, accounts.moderator)
    assert refused.value.code == "actor"


# ---------------------------------------------------------------- two people at once

def test_a_transition_on_a_row_changed_underneath_raises_a_conflict(app, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, status="pending", name="Beras A")
    assert product.status == "pending"  # loaded in this session, as a page would have it
    with app.app_context():  # another request, with a session of its own, decides first
        other = db.session.get(Product, product.id)
        publication.apply("reject", other, db.session.get(type(accounts.admin), accounts.admin.id), reason=REASON)
        db.session.commit()
    before = _audit_count()
    with pytest.raises(TransitionConflict):
        publication.apply("approve", product, accounts.moderator)
    db.session.rollback()
    db.session.refresh(product)
    assert product.status == "rejected"
    assert _audit_count() == before


def _race(app, model, object_id: int, workflow, name: str, actor_ids: list[int], reason: str = "") -> list[str]:
    """Each actor applies the transition in a thread and session of its own, released together."""
    from marketplace.models import User

    barrier = threading.Barrier(len(actor_ids))
    results: list[str] = []

    def run(actor_id):
        with app.app_context():
            # Both sides hold the record as they loaded it (as two open pages would), so whoever comes second
            # always meets the conditional UPDATE, however the threads are scheduled.
            db.session().expire_on_commit = False
            obj = db.session.get(model, object_id)
            actor = db.session.get(User, actor_id)
            db.session.commit()  # no transaction held while waiting
            barrier.wait(timeout=10)
            try:
                workflow.apply(name, obj, actor, reason=reason)
                db.session.commit()
                results.append("applied")
            except TransitionConflict:
                db.session.rollback()
                results.append("conflict")
            except TransitionNotAllowed as error:
                db.session.rollback()
                results.append(error.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(actor_id,)) for actor_id in actor_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


@pytest.mark.parametrize("attempt", range(3))
def test_two_moderators_approving_at_once_one_wins(app, accounts, attempt):
    product = ProductFactory(producer=accounts.producer_a_store, status="pending")
    results = _race(app, Product, product.id, publication, "approve", [accounts.moderator.id, accounts.admin.id])
    assert results == ["applied", "conflict"]
    db.session.expire_all()
    assert db.session.get(Product, product.id).status == "published"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == product.id,
                                                                 AuditEvent.object_type == "product")).all()
    assert actions.count("publication.approve") == 1


def test_two_moderators_deciding_a_revision_at_once_one_wins(app, accounts):
    change = _subject(accounts, "revision", "product")
    _set_status(change, R.PENDING)
    results = _race(app, Revision, change.id, revision, "reject", [accounts.moderator.id, accounts.admin.id],
                    reason=REASON)
    assert results == ["applied", "conflict"]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "revision.reject")) == 1


def test_the_same_producer_submitting_twice_at_once_sends_it_once(app, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, status="draft")
    results = _race(app, Product, product.id, publication, "submit", [accounts.producer_a.id, accounts.officer.id])
    assert results == ["applied", "conflict"]
    db.session.expire_all()
    assert db.session.get(Producer, accounts.producer_a_store.id) is not None
    assert db.session.get(Product, product.id).status == "pending"


# ---------------------------------------------------------------- what buyers see after every transition

def test_every_publication_transition_with_a_public_side_declares_the_reindex():
    """Buyers see a record in a public status: a transition into or out of one must bring the catalog along."""
    from marketplace.listings.workflow import PUBLIC, REINDEX

    crossing = {t.name for t in publication.transitions.values() if (t.sources | {t.target}) & PUBLIC}
    assert crossing <= set(publication.declaring(REINDEX))
    assert set(publication.declaring(REINDEX)) == {"approve", "suspend", "archive"}


def test_every_declared_effect_has_its_function():
    for workflow, _spec, _statuses in WORKFLOWS.values():
        declared = {e for t in workflow.transitions.values() for e in t.effects} | set(workflow.birth_effects)
        assert declared <= set(workflow.effects), workflow.name


def _buyers_see(app, product) -> tuple[bool, bool, bool]:
    """(in the search results, in the plain catalog, on the storefront) for an anonymous visitor."""
    visitor = app.test_client()
    link = f'href="/products/{product.id}-'
    searched = link in visitor.get("/products?q=Kopi+Luwak+Walk").get_data(as_text=True)
    listed = link in visitor.get("/products").get_data(as_text=True)
    shelf = link in visitor.get("/producers/usaha-a").get_data(as_text=True)
    return searched, listed, shelf


@pytest.mark.parametrize("workflow_name, name", [(w, n) for w in ("quotation", "contract", "delivery")
                                                 for n in WORKFLOWS[w][1]])
def test_every_quotation_contract_and_delivery_transition_from_every_state_by_every_role(accounts, workflow_name, name):
    assert _walk(accounts, workflow_name, name, workflow_name) == []


@pytest.mark.parametrize("kind", ["product", "producer"])
@pytest.mark.parametrize("name", list(PUBLICATION))
def test_after_every_publication_transition_the_catalog_shows_exactly_the_public_listings(app, accounts, name, kind):
    """From every state the transition leaves: the pages are read before (so counts and cards are cached under
    the catalog version) and after it; a listing is found, listed and on its storefront iff it and its
    storefront are public. (Reject and request changes move a pending record, which buyers never saw.)"""
    from marketplace.catalog import search

    sources, _target, who, _reason, _email = PUBLICATION[name]
    store = accounts.producer_a_store
    product = ProductFactory(producer=store, name="Kopi Luwak Walk", status="published")
    subject = product if kind == "product" else store
    actor = accounts.by_name(sorted(who)[0])
    failures = []
    for source in sources:
        for record in (product, store):
            _set_status(record, P.PUBLISHED)
        _set_status(subject, source)
        search.reindex()
        db.session.commit()
        _buyers_see(app, product)  # warm the caches
        publication.apply(name, subject, actor, reason=REASON)
        db.session.commit()
        public = str(product.status) == P.PUBLISHED and str(store.status) == P.PUBLISHED
        seen = _buyers_see(app, product)
        if seen != (public, public, public):
            failures.append(f"{name} from {source}: buyers see {seen}, expected {public}")
    assert failures == []


# ---------------------------------------------------------------- what follows a transition, by its name

def test_a_hook_hears_the_transition_by_name_even_when_two_share_a_target(accounts):
    """reject and request_changes both end in `rejected`: a hook is told which one happened."""
    heard = []
    hook = publication.on("reject", "request_changes")(heard.append)
    try:
        product = ProductFactory(producer=accounts.producer_a_store, status="pending")
        publication.apply("request_changes", product, accounts.moderator, reason=REASON)
        db.session.commit()
    finally:
        for name in ("reject", "request_changes"):
            publication.hooks[name].remove(hook)
    assert [(c.workflow, c.name, c.source, c.target, c.reason) for c in heard] == [
        ("publication", "request_changes", "pending", "rejected", REASON)]


def _decision_mails(to: str) -> list[str]:
    from marketplace.models import OutboundMessage

    return list(db.session.scalars(select(OutboundMessage.body_text).where(
        OutboundMessage.to_address == to, OutboundMessage.template == "review_decision")))


def test_request_changes_tells_the_producer_that_changes_are_asked_for(accounts):
    from marketplace.listings import review as moderation

    product = ProductFactory(producer=accounts.producer_a_store, status="pending", name="Beras A")
    moderation.reject(product, accounts.moderator, REASON, name="request_changes")
    db.session.commit()
    mails = _decision_mails(accounts.producer_a.email)
    assert len(mails) == 1 and "meminta perbaikan" in mails[0] and REASON in mails[0]


def test_approving_a_resubmitted_listing_and_its_change_together_is_one_decision_mail(accounts):
    from marketplace.listings import editing as listings, review as moderation

    product = ProductFactory(producer=accounts.producer_a_store, status="suspended", name="Beras A")
    listings.save_product(accounts.producer_a_store, product, listings.product_values(product) | {"name": "Beras A+"},
                          accounts.producer_a)
    listings.submit(product, accounts.producer_a)  # the change and the listing itself go to review
    db.session.commit()
    assert (product.status, listings.open_revision(product).status) == ("pending", "pending")
    moderation.approve(product, accounts.moderator)
    db.session.commit()
    assert product.status == "published" and product.name == "Beras A+"
    assert len(_decision_mails(accounts.producer_a.email)) == 1


def test_a_producers_offer_is_written_with_its_status_and_audited(accounts):
    from marketplace.trade import service as inquiries

    share = _inquiry(accounts, status=str(S.FORWARDED)).allocations[0]
    inquiries.answer(share, accounts.officer, True, offered_qty=80, price=12500, lead_time_days=3, note="Panen Mei")
    db.session.commit()
    db.session.expire_all()
    assert (share.status, share.offered_qty, share.offered_price, share.note) == ("accepted", 80, 12500, "Panen Mei")
    assert share.inquiry.status == "responded"  # the first answer moves the inquiry on
    event = _last_audit(share)
    assert (event.action, event.actor_id, event.producer_id) == (
        "allocation.offer", accounts.officer.id, accounts.producer_a_store.id)
    assert "80 kg @ Rp 12.500" in share.inquiry.events[-2].body


def test_a_new_share_is_born_forwarded_audited_and_its_producer_told(accounts):
    from marketplace.models import OutboundMessage
    from marketplace.trade import service as inquiries

    request = _inquiry(accounts, status=str(S.IN_REVIEW))
    inquiries.forward(request, [(accounts.producer_b_store.id, 40)], False, accounts.facilitator)
    db.session.commit()
    share = next(a for a in request.allocations if a.producer_id == accounts.producer_b_store.id)
    assert share.status == "forwarded"
    assert _last_audit(share).action == "allocation.create"
    assert db.session.scalar(select(func.count(OutboundMessage.id)).where(
        OutboundMessage.to_address == accounts.producer_b.email, OutboundMessage.template == "inquiry_forwarded")) == 1


def test_the_producer_and_the_officer_answering_at_once_give_one_answer(app, accounts):
    share = _inquiry(accounts, status=str(S.FORWARDED)).allocations[0]
    results = _race(app, Allocation, share.id, allocation, "decline", [accounts.producer_a.id, accounts.officer.id],
                    reason="Stok habis")
    assert results == ["applied", "conflict"]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "allocation.decline")) == 1


def test_a_seeder_places_a_record_only_along_the_table(accounts):
    """Workflow.place (the demo history's one way into a status) is born anywhere, then follows transitions."""
    request = Inquiry(reference="INQ-DEMO-9999", tracking_token="t-place", form_token="f-place", company="PT",
                      buyer_type="hotel", contact_name="A", email="a@contoh.id", quantity=1, unit="kg",
                      frequency="once", delivery_city="jakarta-pusat")
    assert inquiry.place(request, S.NEW) is None
    assert inquiry.place(request, S.IN_REVIEW) == "claim"
    with pytest.raises(TransitionNotAllowed):
        inquiry.place(request, S.CLOSED)  # no transition from in_review to closed
    with pytest.raises(TransitionNotAllowed):
        inquiry.place(request, "archived")  # not a status of this table
    assert request.status == S.IN_REVIEW
