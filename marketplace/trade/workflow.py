"""The inquiry workflow (DESIGN.md) and the allocation workflow of each forward to a producer: tables of named
transitions, who may apply them, what they need and what follows them.

    new ──claim──▶ in_review ──forward──▶ forwarded ──producer answers──▶ responded
      │                │                                                    │
      └─▶ spam         └─▶ declined (reason)                    negotiating ◀┘
                                                                    │
                                   agreed (a quotation accepted: a contract) ──▶ closed

An allocation (one producer's share of an inquiry) is born `forwarded` when the facilitator forwards; the
producer offers or declines; the facilitator may forward it again (a new quantity, or after an answer).
"""
from __future__ import annotations

from marketplace.models import Allocation, Contract, Delivery, EventVisibility, Inquiry, InquiryEvent, Quotation
from marketplace.models import AllocationStatus as A
from marketplace.models import ContractStatus as K
from marketplace.models import DeliveryStatus as D
from marketplace.models import QuotationStatus as Q
from marketplace.models import InquiryStatus as S
from marketplace.core.workflow import Change, Workflow, rows

OPEN = (S.NEW, S.IN_REVIEW, S.FORWARDED, S.RESPONDED, S.NEGOTIATING)


def _has_contract(obj, actor) -> str | None:
    """An inquiry is agreed only once an accepted quotation made a contract: contracts are what the MoU counts."""
    return None if any(str(c.status) != K.CANCELLED for c in obj.contracts) else "contract_required"


def _unassigned(obj, actor) -> str | None:
    """A claim takes an inquiry nobody holds (checked again by the UPDATE itself: `where`)."""
    return None if obj.assigned_to_id is None else "taken"


TELL_BUYER = "tell_buyer"  # the buyer gets an e-mail: the reason of a decline, or the new status

inquiry = Workflow("inquiry", rows(
    # name          from                                              to             who
    ("claim",       (S.NEW,),                                         S.IN_REVIEW,   {"facilitator"},
     {"guard": _unassigned, "where": lambda model: model.assigned_to_id.is_(None)}),
    ("mark_spam",   (S.NEW, S.IN_REVIEW),                             S.SPAM,        {"facilitator"}, {"requires_reason": True}),
    ("decline",     (S.IN_REVIEW, S.FORWARDED, S.RESPONDED, S.NEGOTIATING), S.DECLINED, {"facilitator"},
     {"requires_reason": True, "effects": (TELL_BUYER,)}),
    ("forward",     (S.IN_REVIEW, S.FORWARDED, S.RESPONDED, S.NEGOTIATING), S.FORWARDED, {"facilitator"}),
    ("respond",     (S.FORWARDED,),                                   S.RESPONDED,   {"facilitator", "allocated_producer"}),
    ("negotiate",   (S.RESPONDED,),                                   S.NEGOTIATING, {"facilitator"}),
    ("agree",       (S.RESPONDED, S.NEGOTIATING),                     S.AGREED,      {"facilitator", "buyer"},
     {"guard": _has_contract, "effects": (TELL_BUYER,)}),
    ("close",       (S.AGREED,),                                      S.CLOSED,      {"facilitator"}, {"effects": (TELL_BUYER,)}),
    ("cancel",      OPEN,                                             S.CANCELLED,   {"buyer"}),
), model=Inquiry, initial=str(S.NEW))

# What the buyer reads on the tracking page for each transition (internal ones stay internal).
BUYER_VISIBLE = {"claim", "forward", "respond", "negotiate", "agree", "close", "decline", "cancel"}


@inquiry.on(*inquiry.transitions)
def _timeline(change: Change) -> None:
    """Every status change is a line of the inquiry's timeline, named by the transition that made it."""
    actor = change.actor
    change.obj.events.append(InquiryEvent(
        kind="status", from_status=change.source, to_status=change.target,
        visibility=EventVisibility.BUYER if change.name in BUYER_VISIBLE else EventVisibility.INTERNAL,
        body=change.reason, author_id=getattr(actor, "id", None), by_buyer=getattr(actor, "role", "") == "buyer",
    ))


@inquiry.effect(TELL_BUYER)
def _tell_buyer(change: Change) -> None:
    """A declined buyer is told why; an agreed or closed inquiry is announced in the buyer's language."""
    from flask_babel import force_locale

    from marketplace.core.formatting import inquiry_status
    from marketplace.core import outbox

    obj = change.obj
    if change.reason:
        body = change.reason
    else:
        with force_locale(obj.locale):
            body = inquiry_status(obj.status)
    outbox.queue_email(obj.email, "inquiry_message", locale=obj.locale, inquiry=obj, body=body,
                       url=outbox.site_url("inquiries.track", token=obj.tracking_token))


# ---------------------------------------------------------------- one producer's share

TELL_PRODUCER = "tell_producer"  # the producer's accounts get the forwarded request by e-mail
ANSWERED = "answered"  # a line in the facilitator's timeline; the inquiry moves to `responded`

def _not_quoted(obj, actor) -> str | None:
    """An offer can be revised or withdrawn until the facilitator has put it in a quotation the buyer holds."""
    for quotation in obj.inquiry.quotations:
        if str(quotation.status) in (Q.SENT, Q.ACCEPTED) and any(line.allocation_id == obj.id for line in quotation.lines):
            return "quoted"
    return None


allocation = Workflow("allocation", rows(
    # name          from                                          to            who
    ("offer",       (A.FORWARDED,),                               A.ACCEPTED,   {"owner"}, {"effects": (ANSWERED,)}),
    ("decline",     (A.FORWARDED,),                               A.DECLINED,   {"owner"}, {"requires_reason": True, "effects": (ANSWERED,)}),
    ("revise",      (A.ACCEPTED,),                                A.ACCEPTED,   {"owner"}, {"guard": _not_quoted, "effects": (ANSWERED,)}),
    ("withdraw",    (A.ACCEPTED,),                                A.WITHDRAWN,  {"owner"}, {"guard": _not_quoted, "effects": (ANSWERED,)}),
    ("reforward",   (A.FORWARDED, A.ACCEPTED, A.DECLINED, A.WITHDRAWN), A.FORWARDED, {"facilitator"},
     {"guard": _not_quoted, "effects": (TELL_PRODUCER,)}),
), model=Allocation, initial=str(A.FORWARDED), birth_effects=(TELL_PRODUCER,))


@allocation.effect(TELL_PRODUCER)
def _tell_producer(change: Change) -> None:
    from marketplace.core import outbox

    share = change.obj
    request = share.inquiry
    for account in share.producer.accounts:
        if account.active:
            outbox.queue_email(account.email, "inquiry_forwarded", locale=account.locale, inquiry=request,
                               allocation=share, producer=share.producer,
                               url=outbox.site_url("producer.inquiries_list"))


@allocation.effect(ANSWERED)
def _answered(change: Change) -> None:
    """The facilitator reads the answer in the inquiry's timeline; the first answer moves the inquiry on."""
    share = change.obj
    request = share.inquiry
    if change.name in ("offer", "revise") and share.offered_qty is not None and share.offered_price is not None:
        body = f"{share.offered_qty:g} {share.offered_unit or request.unit} @ Rp {share.offered_price:,}".replace(",", ".")
    else:
        body = "—"
    note = share.note or ""
    offered = body != "—"
    request.events.append(InquiryEvent(
        kind="answer", visibility=EventVisibility.INTERNAL, author_id=getattr(change.actor, "id", None),
        body=f"{share.producer.name}: {body}" + (f" · {note}" if note else ""),
        data={"producer": share.producer.name, "note": note,
              **({"quantity": share.offered_qty, "unit": share.offered_unit or request.unit, "price": share.offered_price} if offered else {})},
    ))
    if str(request.status) == S.FORWARDED:
        inquiry.apply("respond", request, change.actor)


# ---------------------------------------------------------------- the quotation, the contract, its deliveries

def _still_valid(obj, actor) -> str | None:
    """A quotation past its validity date can no longer be accepted: the facilitator sends a new version."""
    from marketplace.core import clock

    return None if obj.valid_until >= clock.today() else "expired"


MAKE_CONTRACT = "make_contract"  # an accepted quotation becomes one contract (trade/contracts.py)
TELL_FACILITATOR = "tell_facilitator"  # the facilitator holding the inquiry hears the buyer's answer
SEND_QUOTATION = "send_quotation"  # the buyer gets the quotation by e-mail, with the private link

quotation = Workflow("quotation", rows(
    # name          from                          to                    who
    # The buyer accepts through the private link; a facilitator may record an acceptance given by letter or phone.
    ("accept",      (Q.SENT,),                    Q.ACCEPTED,           {"buyer", "facilitator"},
     {"guard": _still_valid, "effects": (MAKE_CONTRACT, TELL_FACILITATOR)}),
    ("decline",     (Q.SENT,),                    Q.DECLINED,           {"buyer"},
     {"requires_reason": True, "effects": (TELL_FACILITATOR,)}),
    ("ask_change",  (Q.SENT,),                    Q.CHANGE_REQUESTED,   {"buyer"},
     {"requires_reason": True, "effects": (TELL_FACILITATOR,)}),
    ("supersede",   (Q.SENT, Q.CHANGE_REQUESTED, Q.DECLINED), Q.SUPERSEDED, {"facilitator"}),
    ("withdraw",    (Q.SENT, Q.CHANGE_REQUESTED), Q.WITHDRAWN,          {"facilitator"}, {"requires_reason": True}),
), model=Quotation, initial=str(Q.SENT), birth_effects=(SEND_QUOTATION,))

FREE_CAPACITY = "free_capacity"  # a contract no longer active commits nothing: the catalog's spare capacity follows

contract = Workflow("contract", rows(
    # name          from            to              who
    ("complete",    (K.ACTIVE,),    K.COMPLETED,    {"facilitator"}, {"effects": (FREE_CAPACITY,)}),
    ("cancel",      (K.ACTIVE,),    K.CANCELLED,    {"facilitator"}, {"requires_reason": True,
                                                                      "effects": (FREE_CAPACITY,)}),
), model=Contract, initial=str(K.ACTIVE))

delivery = Workflow("delivery", rows(
    # name          from                        to              who
    ("reject",      (D.ACCEPTED,),              D.REJECTED,     {"facilitator", "owner"}, {"requires_reason": True}),
    ("cancel",      (D.ACCEPTED, D.REJECTED),   D.CANCELLED,    {"facilitator", "owner"}, {"requires_reason": True}),
), model=Delivery, initial=str(D.ACCEPTED))
