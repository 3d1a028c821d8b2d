"""Contracts: what an accepted quotation becomes, and the monthly schedule that the MoU monitoring and the spare
capacity of each listing are computed from.

A contract asks a quantity per period (`frequency`: once, weekly, monthly) for `periods` periods from `starts_on`:
- monthly: one period in each calendar month from the start month on;
- weekly: one period every 7 days from the start day, counted in the month that week starts in;
- once: one period, in the start month.
"""
from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta

from marketplace.core import clock
from marketplace.extensions import db
from sqlalchemy import select

from marketplace.accounts import audit
from marketplace.core import units
from marketplace.models import Contract, ContractLine, ContractMonth, ContractStatus, Delivery, DeliveryStatus, Quotation
from marketplace.trade import workflow

Month = tuple[int, int]  # (year, month)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_starts(frequency: str, periods: int, starts_on: date) -> list[date]:
    """The first day of each delivery period."""
    if frequency == "monthly":
        return [add_months(starts_on, n) for n in range(periods)]
    if frequency == "weekly":
        return [starts_on + timedelta(days=7 * n) for n in range(periods)]
    return [starts_on]


def ends_on(frequency: str, periods: int, starts_on: date) -> date:
    """The last day covered: the day before the period after the last one (the start day for a one-off order)."""
    if frequency == "monthly":
        return add_months(starts_on, periods) - timedelta(days=1)
    if frequency == "weekly":
        return starts_on + timedelta(days=7 * periods - 1)
    return starts_on


def monthly_schedule(frequency: str, periods: int, starts_on: date, quantity: float) -> dict[Month, float]:
    """How much of `quantity`-per-period falls in each calendar month."""
    months: dict[Month, float] = defaultdict(float)
    for day in period_starts(frequency, periods, starts_on):
        months[(day.year, day.month)] += quantity
    return dict(months)


def month_rows(contract: Contract, line: ContractLine) -> list[ContractMonth]:
    """The line's schedule as one row per calendar month (the amount, the same in the listing's unit, the value)."""
    product = line.product
    rows = []
    for (year, month), quantity in sorted(monthly_schedule(contract.frequency, contract.periods, contract.starts_on,
                                                           line.quantity).items()):
        listing_quantity = None
        if product is not None:
            try:
                listing_quantity = units.convert(quantity, line.unit, product.unit, product.kg_per_unit)
            except units.UnitMismatch:
                pass
        rows.append(ContractMonth(contract=contract, product_id=product.id if product is not None else line.product_id,
                                  month=date(year, month, 1),
                                  quantity=quantity, unit=line.unit, listing_quantity=listing_quantity,
                                  value=int(round(quantity * line.price))))
    return rows


def schedule_lines(contract: Contract) -> None:
    """(Re)write the month rows of every line, after the contract is made or its lines or dates are corrected."""
    for line in contract.lines:
        line.months[:] = month_rows(contract, line)


def make_contract(quotation: Quotation, actor) -> Contract:
    existing = db.session.scalar(select(Contract).where(Contract.quotation_id == quotation.id))
    if existing is not None:  # accepted once before (a retried effect): one contract per quotation
        return existing
    return _new_contract(quotation, actor)


def _new_contract(quotation: Quotation, actor) -> Contract:
    """One contract for an accepted quotation, with a line per producer line of the quotation. The request's period,
    duration and start carry over; the MoU is the inquiry's (chosen there, or none yet: `agreement_chosen`).
    Its reference, KTR-<year>-<id>, is numbered from its id like an inquiry's, so two contracts made at once never
    share one."""
    request = quotation.inquiry
    start = request.starts_on or request.needed_by or clock.today()
    periods = request.periods if request.frequency != "once" else 1
    item = Contract(
        reference=f"TMP-{quotation.id}", inquiry_id=request.id, quotation_id=quotation.id,
        agreement_id=request.agreement_id, agreement_chosen=request.agreement_id is not None,
        frequency=request.frequency, periods=periods, starts_on=start,
        ends_on=ends_on(request.frequency, periods, start), created_by_id=getattr(actor, "id", None),
        lines=[ContractLine(producer_id=line.producer_id, product_id=line.product_id, product=line.product,
                            quantity=line.quantity, unit=line.unit, price=line.price,
                            lead_time_days=line.lead_time_days, terms=line.terms)
               for line in quotation.lines],
    )
    contract = workflow.contract.create(item, actor, attach=request.contracts.append)
    schedule_lines(contract)
    db.session.flush()
    contract.reference = f"KTR-{clock.today().year}-{contract.id:06d}"
    return contract


def is_active(contract: Contract) -> bool:
    return str(contract.status) == ContractStatus.ACTIVE


@workflow.quotation.effect(workflow.MAKE_CONTRACT)
def _make_contract(change) -> None:
    make_contract(change.obj, change.actor)


@workflow.contract.effect(workflow.FREE_CAPACITY)
def _free_capacity(change) -> None:
    """The status was written by one UPDATE, which no flush sees (catalog/cache._commitments_changed): the kept
    counts of the catalog's "tersedia ≥" filter are recomputed from the next request on."""
    from marketplace.catalog import cache as catalog_cache

    catalog_cache.invalidate()


def set_agreement(contract: Contract, agreement_id: int | None, actor) -> None:
    """The MoU/PKS the contract counts against, or explicitly none (`agreement_chosen`), audited."""
    contract.agreement_id, contract.agreement_chosen = agreement_id, True
    audit.record("contract.agreement_set", contract, actor=actor, data={"agreement_id": agreement_id})


def correct_line(line: ContractLine, quantity: float, price: int, reason: str, actor) -> None:
    """A line's quantity per period or price corrected with a reason; its months are written again."""
    before = {"quantity": line.quantity, "price": line.price}
    line.quantity, line.price = quantity, price
    line.months[:] = month_rows(line.contract, line)
    audit.record("contract.line_corrected", line.contract, actor=actor, producer_id=line.producer_id, note=reason,
                 data={"line": line.id, "before": before, "after": {"quantity": quantity, "price": price}})


def record_delivery(line: ContractLine, delivered_on: date, quantity: float, accepted: bool, note: str,
                    actor) -> Delivery:
    """A shipment received: born accepted, or refused at receipt (with the note why). In the line's unit."""
    from marketplace.core.workflow import TransitionNotAllowed

    if not is_active(line.contract):
        raise TransitionNotAllowed("state", "record_delivery")
    delivery = workflow.delivery.create(
        Delivery(line_id=line.id, delivered_on=delivered_on, quantity=quantity, unit=line.unit,
                 note=note, recorded_by_id=getattr(actor, "id", None)),
        actor, attach=line.deliveries.append)
    if not accepted:
        workflow.delivery.apply("reject", delivery, actor, note)
    return delivery


def recorded_deliveries(line: ContractLine) -> list[Delivery]:
    """The deliveries the buyer reads: those recorded by mistake (cancelled) are left out."""
    return [d for d in line.deliveries if str(d.status) != DeliveryStatus.CANCELLED]


def delivered(line: ContractLine) -> float:
    """What was received and accepted so far, in the line's unit."""
    return sum(d.quantity for d in line.deliveries if str(d.status) == DeliveryStatus.ACCEPTED)
