"""Every transition of the publication and revision tables, from every state, for every role."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import AuditEvent, PublicationStatus, Revision, RevisionStatus
from marketplace.workflows import TransitionNotAllowed, publication, revision
from tests.factories import ProductFactory

ROLES = ("producer_a", "officer", "producer_b", "moderator", "facilitator", "admin")
OWNERS = {"producer_a", "officer"}
MODERATORS = {"moderator", "admin"}


def _cases(workflow, states):
    for name, transition in workflow.transitions.items():
        for source in states:
            for role in ROLES:
                allowed_by_role = (("owner" in transition.who and role in OWNERS)
                                   or ("moderator" in transition.who and role in MODERATORS))
                yield pytest.param(name, str(source), role, str(source) in transition.sources and allowed_by_role,
                                   id=f"{name}-{source}-{role}")


@pytest.mark.parametrize("name, source, role, allowed", list(_cases(publication, PublicationStatus)))
def test_publication_transitions(accounts, name, source, role, allowed):
    product = ProductFactory(producer=accounts.producer_a_store, status=source)
    actor = accounts.by_name(role)
    before = db.session.scalar(select(func.count(AuditEvent.id)))
    if allowed:
        publication.apply(name, product, actor, reason="alasan")
        assert product.status == publication.transitions[name].target
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.actor_id, event.from_status, event.to_status) == (actor.id, source, product.status)
        assert event.producer_id == accounts.producer_a_store.id
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            publication.apply(name, product, actor, reason="alasan")
        assert refused.value.code in ("state", "actor")
        db.session.rollback()
        db.session.refresh(product)
        assert product.status == source
        assert db.session.scalar(select(func.count(AuditEvent.id))) == before


@pytest.mark.parametrize("name, source, role, allowed", list(_cases(revision, RevisionStatus)))
def test_revision_transitions(accounts, name, source, role, allowed):
    product = ProductFactory(producer=accounts.producer_a_store)
    change = Revision(object_type="product", object_id=product.id, producer_id=product.producer_id, data={},
                      status=source)
    db.session.add(change)
    db.session.commit()
    actor = accounts.by_name(role)
    if allowed:
        revision.apply(name, change, actor, reason="alasan")
        assert change.status == revision.transitions[name].target
    else:
        with pytest.raises(TransitionNotAllowed):
            revision.apply(name, change, actor, reason="alasan")
        db.session.rollback()
        db.session.refresh(change)
        assert change.status == source


@pytest.mark.parametrize("name", ["reject", "request_changes", "suspend"])
def test_decisions_against_a_producer_need_a_reason(accounts, name):
    source = "published" if name == "suspend" else "pending"
    product = ProductFactory(producer=accounts.producer_a_store, status=source)
    with pytest.raises(TransitionNotAllowed) as refused:
        publication.apply(name, product, accounts.moderator, reason="   ")
    assert refused.value.code == "reason_required"


def test_an_unconfirmed_producer_cannot_submit(accounts):
    product = ProductFactory(producer=accounts.producer_a_store, status="draft")
    accounts.producer_a.email_confirmed_at = None
    with pytest.raises(TransitionNotAllowed) as refused:
        publication.apply("submit", product, accounts.producer_a)
    assert refused.value.code == "email_unconfirmed"
