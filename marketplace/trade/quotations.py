"""Quotations: what the facilitator proposes to the buyer from the producers' offers, in versions; the buyer
accepts, declines with a reason or asks for a change through the private tracking link (trade/workflow.py).

    offers ──build──▶ quotation v1 (sent) ──buyer accepts──▶ contract (trade/contracts.py), inquiry agreed
                         │ buyer declines / asks for a change ──▶ the facilitator builds v2 (v1 superseded)

Amounts are per delivery period, each line in its own unit; totals are in the request's unit (core/units.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.core import outbox, policies, units
from marketplace.models import utcnow
from marketplace.models import Allocation, AllocationStatus, Inquiry, InquiryStatus, Quotation, QuotationLine
from marketplace.models import QuotationStatus as Q
from marketplace.trade import workflow

# A quotation the buyer can still act on, or one waiting for the facilitator's next version.
OPEN = (Q.SENT, Q.CHANGE_REQUESTED, Q.DECLINED)


@dataclass
class Line:
    """A quotation line as the buyer reads it: who (named or numbered), the amount in the request's unit too."""

    line: QuotationLine
    label: str
    in_request_unit: float | None  # None when the line's unit does not convert to the request's
    value: int  # Rupiah per period


@dataclass
class Summary:
    lines: list[Line]
    unit: str  # the request's unit
    quantity: float  # per period, in `unit` (lines that do not convert are left out)
    value: int  # Rupiah per period
    average_price: int | None  # Rupiah per `unit`, weighted by quantity
    periods: int
    frequency: str

    @property
    def total_value(self) -> int:
        """The value over the whole duration."""
        return self.value * self.periods

    @property
    def total_quantity(self) -> float:
        return self.quantity * self.periods


def _line_kg_per_unit(line: QuotationLine) -> float | None:
    return line.product.kg_per_unit if line.product is not None else None


def summary(quotation: Quotation) -> Summary:
    request = quotation.inquiry
    lines, quantity, value, converted_value = [], 0.0, 0, 0
    for n, line in enumerate(quotation.lines, start=1):
        label = line.producer.name if quotation.names_producers else _("Produsen %(num)s", num=n)
        try:
            amount = units.convert(line.quantity, line.unit, request.unit, _line_kg_per_unit(line))
        except units.UnitMismatch:
            amount = None
        line_value = int(round(line.quantity * line.price))
        lines.append(Line(line, label, amount, line_value))
        value += line_value
        if amount is not None:
            quantity += amount
            converted_value += line_value
    periods = request.periods if request.frequency != "once" else 1
    average = int(round(converted_value / quantity)) if quantity else None
    return Summary(lines, request.unit, quantity, value, average, periods, request.frequency)


def offers(inquiry: Inquiry) -> list[Allocation]:
    """The producers' offers a quotation can be built from."""
    return [a for a in inquiry.allocations
            if str(a.status) == AllocationStatus.ACCEPTED and a.offered_qty and a.offered_price]


def can_quote(inquiry: Inquiry, actor) -> bool:
    """A new version can be built while the inquiry is being worked and nothing was accepted yet."""
    return (policies.can_facilitate(actor) and str(inquiry.status) in (InquiryStatus.RESPONDED, InquiryStatus.NEGOTIATING)
            and not any(str(q.status) == Q.ACCEPTED for q in inquiry.quotations) and bool(offers(inquiry)))


class NothingToQuote(ValueError):
    pass


def build(inquiry: Inquiry, picks: list[tuple[Allocation, float]], valid_until: date, names_producers: bool,
          note: str, actor) -> Quotation:
    """A new version from the picked offers (each with the quantity per period to quote, in the offer's unit);
    the version before it, if still open, is superseded. The buyer is told by e-mail (SEND_QUOTATION)."""
    if not picks or not can_quote(inquiry, actor):
        raise NothingToQuote()
    for previous in inquiry.quotations:
        if str(previous.status) in OPEN:
            workflow.quotation.apply("supersede", previous, actor)
    version = max((q.version for q in inquiry.quotations), default=0) + 1
    item = Quotation(
        inquiry_id=inquiry.id, version=version, valid_until=valid_until, names_producers=names_producers,
        note=note, created_by_id=getattr(actor, "id", None),
        lines=[QuotationLine(allocation_id=a.id, producer_id=a.producer_id, product_id=a.product_id, product=a.product,
                             producer=a.producer, quantity=quantity, unit=a.offered_unit or a.unit or inquiry.unit,
                             price=a.offered_price, lead_time_days=a.lead_time_days, terms=a.terms or "loco")
               for a, quantity in picks],
    )
    quotation = workflow.quotation.create(item, actor, attach=inquiry.quotations.append)
    if str(inquiry.status) == InquiryStatus.RESPONDED:
        workflow.inquiry.apply("negotiate", inquiry, actor)
    return quotation


def withdraw(quotation: Quotation, reason: str, actor) -> None:
    workflow.quotation.apply("withdraw", quotation, actor, reason)


def answer(quotation: Quotation, action: str, reason: str = "", actor=policies.BUYER):
    """The buyer's answer through the private link: accept (the contract is made and the inquiry agreed),
    decline with a reason, or ask for a change. Of two accept clicks at once, the engine's conditional UPDATE
    lets one through; the other is refused ("conflict") and finds the contract already made."""
    if action not in ("accept", "decline", "ask_change"):
        raise ValueError(action)
    workflow.quotation.apply(action, quotation, actor, reason,
                             values={"buyer_reason": reason, "decided_at": utcnow()})
    if action == "accept":
        workflow.inquiry.apply("agree", quotation.inquiry, actor)
        return quotation.inquiry.contracts[-1]
    return None


@workflow.quotation.effect(workflow.SEND_QUOTATION)
def _send(change) -> None:
    """The buyer gets the quotation's news by e-mail with the private link, in the language they asked in, and
    reads it on the tracking page's timeline."""
    from marketplace.models import EventVisibility, InquiryEvent

    request = change.obj.inquiry
    with force_locale(request.locale):
        body = _("Penawaran harga versi %(version)s siap. Buka tautan untuk melihat dan menjawabnya.",
                 version=change.obj.version)
    request.events.append(InquiryEvent(
        kind="quotation", visibility=EventVisibility.BUYER, author_id=getattr(change.actor, "id", None),
        body=body, data={"version": change.obj.version, "transition": "create"},
    ))
    outbox.queue_email(request.email, "inquiry_message", locale=request.locale, inquiry=request, body=body,
                       url=outbox.site_url("inquiries.track", token=request.tracking_token))


@workflow.quotation.effect(workflow.TELL_FACILITATOR)
def _tell_facilitator(change) -> None:
    """The buyer's answer (and its reason) is a line of the inquiry's timeline, which the facilitator works from
    (the queue shows the inquiry as moved)."""
    from marketplace.models import EventVisibility, InquiryEvent

    request = change.obj.inquiry
    request.events.append(InquiryEvent(
        kind="quotation", visibility=EventVisibility.BUYER, by_buyer=True, body=change.reason,
        data={"version": change.obj.version, "transition": change.name},
    ))


def quotation_of(inquiry: Inquiry, version: int) -> Quotation | None:
    return next((q for q in inquiry.quotations if q.version == version), None)

