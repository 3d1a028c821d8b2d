"""The inquiry workflow (DESIGN.md): a table of named transitions, who may apply them, what they need.

    new ──claim──▶ in_review ──forward──▶ forwarded ──producer answers──▶ responded
      │                │                                                    │
      └─▶ spam         └─▶ declined (reason)                    negotiating ◀┘
                                                                    │
                                                 agreed (deal recorded) ──▶ closed
"""
from __future__ import annotations

from marketplace.models import EventVisibility, InquiryEvent
from marketplace.models import InquiryStatus as S
from marketplace.workflows.engine import Transition, Workflow

OPEN = (S.NEW, S.IN_REVIEW, S.FORWARDED, S.RESPONDED, S.NEGOTIATING)


def _has_deal(obj, actor) -> str | None:
    """An inquiry is agreed only once at least one deal is recorded: deals are what the MoU counts."""
    return None if obj.deals else "deal_required"


def _rows(*rows) -> dict[str, Transition]:
    table = {}
    for name, sources, target, who, *extra in rows:
        table[name] = Transition(name, frozenset(map(str, sources)), str(target), frozenset(who), **(extra[0] if extra else {}))
    return table


inquiry = Workflow("inquiry", _rows(
    # name          from                                              to             who
    ("claim",       (S.NEW,),                                         S.IN_REVIEW,   {"facilitator"}),
    ("mark_spam",   (S.NEW, S.IN_REVIEW),                             S.SPAM,        {"facilitator"}, {"requires_reason": True}),
    ("decline",     (S.IN_REVIEW, S.FORWARDED, S.RESPONDED, S.NEGOTIATING), S.DECLINED, {"facilitator"}, {"requires_reason": True}),
    ("forward",     (S.IN_REVIEW, S.FORWARDED, S.RESPONDED, S.NEGOTIATING), S.FORWARDED, {"facilitator"}),
    ("respond",     (S.FORWARDED,),                                   S.RESPONDED,   {"facilitator", "allocated_producer"}),
    ("negotiate",   (S.RESPONDED,),                                   S.NEGOTIATING, {"facilitator"}),
    ("agree",       (S.RESPONDED, S.NEGOTIATING),                     S.AGREED,      {"facilitator"}, {"guard": _has_deal}),
    ("close",       (S.AGREED,),                                      S.CLOSED,      {"facilitator"}),
    ("cancel",      OPEN,                                             S.CANCELLED,   {"buyer"}),
))

# What the buyer reads on the tracking page for each transition (internal ones stay internal).
BUYER_VISIBLE = {"claim", "forward", "respond", "negotiate", "agree", "close", "decline", "cancel"}


@inquiry.on(*inquiry.transitions)
def _timeline(obj, actor, reason) -> None:
    """Every status change is a line of the inquiry's timeline."""
    last = obj.events[-1] if obj.events else None
    obj.events.append(InquiryEvent(
        kind="status", from_status=last.to_status if last and last.kind == "status" else None, to_status=str(obj.status),
        visibility=EventVisibility.BUYER if _name_of(obj) in BUYER_VISIBLE else EventVisibility.INTERNAL,
        body=reason or "", author_id=getattr(actor, "id", None), by_buyer=getattr(actor, "role", "") == "buyer",
    ))


def _name_of(obj) -> str:
    for name, transition in inquiry.transitions.items():
        if transition.target == str(obj.status):
            return name
    return ""
