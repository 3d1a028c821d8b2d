"""Spare capacity: a listing's monthly capacity minus what active contracts already commit in each month.

The commitments are the contract month rows (models/contracts.ContractMonth), each already converted into the
listing's own unit when the contract was made. Figures are in the listing's unit; callers convert for a request.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import case, func, literal, select

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import Contract, ContractMonth, ContractStatus, Inquiry, Product
from marketplace.trade.contracts import Month, period_starts


def this_month() -> Month:
    today = clock.today()
    return (today.year, today.month)


def first_day(month: Month) -> date:
    return date(month[0], month[1], 1)


def request_months(inquiry: Inquiry) -> list[Month]:
    """The calendar months a request asks deliveries in, from its start (or needed-by date, or today)."""
    start = inquiry.starts_on or inquiry.needed_by or clock.today()
    periods = inquiry.periods if inquiry.frequency != "once" else 1
    return sorted({(d.year, d.month) for d in period_starts(inquiry.frequency, periods, start)})


def committed(product_ids: Iterable[int], months: Iterable[Month]) -> dict[int, dict[Month, float]]:
    """Per listing and month, what active contracts commit, in the listing's unit."""
    ids = list(set(product_ids))
    days = [first_day(m) for m in set(months)]
    result: dict[int, dict[Month, float]] = defaultdict(dict)
    if not ids or not days:
        return result
    return _commitments(ContractMonth.product_id.in_(ids), ContractMonth.month.in_(days))


def committed_of_producer(producer_id: int, months: Iterable[Month]) -> dict[int, dict[Month, float]]:
    """`committed` for every listing of one storefront that active contracts commit in `months` (the others have
    nothing committed): without naming its listings, which may be thousands."""
    return _commitments(Product.producer_id == producer_id, ContractMonth.month.in_([first_day(m) for m in set(months)]))


def _per_month(*where):
    """What active contracts commit per listing and month, in the listing's unit: (product_id, month, quantity)."""
    return (
        select(ContractMonth.product_id, ContractMonth.month, func.sum(ContractMonth.listing_quantity).label("quantity"))
        .join(Contract, Contract.id == ContractMonth.contract_id)
        .join(Product, Product.id == ContractMonth.product_id)
        .where(Contract.status == str(ContractStatus.ACTIVE), ContractMonth.listing_quantity.is_not(None), *where)
        .group_by(ContractMonth.product_id, ContractMonth.month)
    )


def _commitments(*where) -> dict[int, dict[Month, float]]:
    result: dict[int, dict[Month, float]] = defaultdict(dict)
    for product_id, day, quantity in db.session.execute(_per_month(*where)).all():
        result[product_id][(day.year, day.month)] = float(quantity or 0)
    return result


def spare_sql(months: Iterable[Month], *where):
    """`spare_over` for the database to rank by: a subquery of each listing's tightest commitment over `months`
    (listings matching `where`, conditions on Product) to outer-join on its `product_id`, and the spare capacity
    as an expression over it, in the listing's unit, never below zero."""
    per_month = _per_month(ContractMonth.month.in_([first_day(m) for m in set(months or [this_month()])]),
                           *where).subquery()
    taken = (select(per_month.c.product_id, func.max(per_month.c.quantity).label("quantity"))
             .group_by(per_month.c.product_id).subquery())
    left = func.coalesce(Product.monthly_capacity, 0) - func.coalesce(taken.c.quantity, 0)
    return taken, case((left > 0, left), else_=literal(0.0))


def spare(products: Iterable[Product], months: Iterable[Month]) -> dict[int, dict[Month, float]]:
    """Per listing and month: monthly capacity minus what is committed (never below zero), in the listing's unit."""
    products = list(products)
    months = list(months)
    taken = committed([p.id for p in products], months)
    return {p.id: {m: max(0.0, (p.monthly_capacity or 0) - taken.get(p.id, {}).get(m, 0.0)) for m in months}
            for p in products}


def spare_over(products: Iterable[Product], months: Iterable[Month]) -> dict[int, float]:
    """Per listing, the spare capacity it has in every one of `months` (the tightest month), in its unit."""
    months = list(months) or [this_month()]
    return {pid: min(by_month.values()) for pid, by_month in spare(products, months).items()}
