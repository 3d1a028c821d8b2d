"""Every figure of the monitoring dashboard and the MoU report, for one period, in one place.

All counting and summing happens in SQL (GROUP BY over indexed columns, bounded by the period);
Python only reshapes the few grouped rows. Works on SQLite and PostgreSQL: the few expressions that
differ (local month/week of a timestamp, hours between two timestamps) are built per dialect.

Definitions (also shown on the page):
- The period is a range of calendar days in Metro's time (WIB), both ends included.
- Inquiries belong to the period in which they arrived (created_at).
- Contracts (active or completed; a cancelled one never counts) are counted per calendar month of their
  schedule (contract_month, written when the contract is made): a 12-month contract counts in each of its
  12 months, with the quantity, value and producers of that month. A contract counts as one, whatever its
  number of producer lines, in every month it has deliveries scheduled; over several months it is still one.
  Contract figures cover the whole calendar months the period touches. Delivered: deliveries accepted at
  receipt, in the month of their day. Value: the month's scheduled quantity × the line's price.
- MoU targets: a contract counts against the agreement it names; its volumes are converted into the
  target's unit (core/units.py: kg, kuintal and ton convert; a countable unit only with itself, or through
  the weight per piece its listing states). Achievement = contracted / target, per month.
- Time to first response: from arrival to `first_response_at`, the first thing the buyer sees a
  facilitator do (claim the inquiry or write to the buyer), for inquiries that had one.
- Time to forwarding: from arrival to the first forward to a producer (the earliest allocation).
- Volumes in mass units (kg, kuintal, ton) are added up in kilograms; other units stay apart.
- Demand per month: each inquiry counts once as a month of what it asks (a weekly order ×52/12),
  summed per commodity and divided by the number of calendar months in the period.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from threading import Lock

from flask import current_app, g, has_request_context
from sqlalchemy import and_, func, literal_column, null, select, union_all
from sqlalchemy.orm import selectinload

from marketplace.core import clock, units
from marketplace.extensions import db
from marketplace.models import (
    Agreement,
    Allocation,
    AllocationStatus,
    Category,
    Contract,
    ContractLine,
    ContractMonth,
    ContractStatus,
    Delivery,
    DeliveryStatus,
    Inquiry,
    InquiryEvent,
    InquiryItem,
    InquiryStatus,
    Producer,
    Product,
)
from marketplace.catalog import cache as catalog_cache, queries as catalog
from marketplace.core.vocab import MASS_IN_KG
from marketplace.trade import version as trade_version
from marketplace.trade.contracts import add_months

FUNNEL = ("new", "in_review", "forwarded", "responded", "negotiating", "agreed")
OUTCOMES = ("declined", "spam", "cancelled")
WEEKS_PER_MONTH = 52 / 12
TOP_PRODUCTS = 10
WAITING_PRODUCERS = 20
MAX_PERIOD_DAYS = 3 * 366
# The contracts the monitoring counts: a cancelled contract never does.
COUNTED = (str(ContractStatus.ACTIVE), str(ContractStatus.COMPLETED))


# ---------------------------------------------------------------- the period

@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00 WIB, day after end 00:00 WIB) as naive-free UTC moments."""
        return clock.day_start(self.start), clock.day_start(self.end + timedelta(days=1))

    def months(self) -> list[str]:
        """'2026-06', '2026-07', … every calendar month the period touches."""
        result, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            result.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return result

    def weeks(self) -> list[date]:
        """The Monday of every ISO week the period touches."""
        monday = self.start - timedelta(days=self.start.weekday())
        result = []
        while monday <= self.end:
            result.append(monday)
            monday += timedelta(days=7)
        return result

    @property
    def slug(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def months_back(months: int, today: date | None = None) -> Period:
    """This month and the months - 1 before it, up to today: months_back(1) is this month so far."""
    today = today or clock.today()
    year, month = today.year, today.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return Period(date(year, month, 1), today)


PRESETS = {"month": 1, "3m": 3, "6m": 6, "12m": 12}
DEFAULT_PRESET = "6m"


def check_custom(start: date | None, end: date | None) -> str | None:
    """Why a custom range cannot be used (a message code), or None."""
    if start is None or end is None:
        return "missing"
    if start > end:
        return "order"
    if (end - start).days > MAX_PERIOD_DAYS:
        return "too_long"
    if start.year < 2000 or end.year > 2100:
        return "range"
    return None


# ---------------------------------------------------------------- dialect helpers

def _pg() -> bool:
    return db.engine.dialect.name == "postgresql"


def _month_of(column):
    """'YYYY-MM' of a stored UTC moment, in WIB."""
    if _pg():
        return func.to_char(func.timezone("Asia/Jakarta", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+7 hours")


def _week_of(column):
    """The Monday (ISO week start) of a stored UTC moment, in WIB."""
    if _pg():
        return func.date(func.date_trunc("week", func.timezone("Asia/Jakarta", column)))
    return func.date(column, "+7 hours", "weekday 0", "-6 days")


def _hours_between(start, end):
    if _pg():
        return func.date_part("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def _median(subquery) -> tuple[float | None, int]:
    """(median, count) of the column `h` of a subquery. PostgreSQL: percentile_cont in one pass; SQLite has
    no median(), so a count and then the one or two middle values (ORDER BY … LIMIT 2 OFFSET …)."""
    h = subquery.c.h
    if _pg():
        median, n = db.session.execute(
            select(func.percentile_cont(0.5).within_group(h), func.count(h)).select_from(subquery)).one()
        return (float(median) if median is not None else None), n
    n = db.session.scalar(select(func.count(h)).select_from(subquery)) or 0
    if n == 0:
        return None, 0
    middle = [float(v) for v in db.session.scalars(
        select(h).where(h.is_not(None)).order_by(h).offset((n - 1) // 2).limit(2 - n % 2))]
    return sum(middle) / len(middle), n


def _in(column, period: Period):
    low, high = period.bounds()
    return and_(column >= low, column < high)


def _kg(unit: str) -> tuple[str, float]:
    """The unit figures are added up in, and the factor to get there."""
    return ("kg", MASS_IN_KG[unit]) if unit in MASS_IN_KG else (unit, 1)


@dataclass(frozen=True)
class CategoryInfo:
    """What the figures show of a commodity, outside any session (the figures are kept between requests)."""

    id: int
    slug: str
    name_id: str
    name_en: str
    position: int

    @classmethod
    def of(cls, category: Category) -> CategoryInfo:
        return cls(category.id, category.slug, category.name_id, category.name_en, category.position)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_id


@dataclass(frozen=True)
class AgreementInfo:
    id: int
    code: str
    kind: str
    title: str
    starts_on: date | None
    ends_on: date | None


@dataclass(frozen=True)
class TargetInfo:
    id: int
    agreement_id: int
    category_id: int
    volume_per_month: float
    unit: str


def _categories() -> dict[int, CategoryInfo]:
    return {c.id: CategoryInfo.of(c) for c in catalog.categories()}


# ---------------------------------------------------------------- the figures

@dataclass
class Funnel:
    reached: dict[str, int]  # stage → inquiries of the period that reached it
    outcomes: dict[str, int]


@dataclass
class ContractRow:
    """Contracts of one month, one commodity over the period, or one commodity in one month."""

    key: str  # month 'YYYY-MM', category slug, or both ('YYYY-MM/slug')
    label: str
    month: str | None = None
    category: CategoryInfo | None = None
    contracts: int = 0  # distinct contracts with deliveries scheduled (in the month, or in any month of the period)
    producers: int = 0  # distinct producers with a line in them
    value: int = 0  # Rupiah: the scheduled quantity × the line's price
    contracted: dict[str, float] = field(default_factory=dict)  # unit ('kg' for mass) → volume scheduled
    delivered: dict[str, float] = field(default_factory=dict)  # unit → volume delivered and accepted


@dataclass
class DemandLine:
    category: CategoryInfo
    unit: str
    asked_per_month: float
    capacity_per_month: float | None

    @property
    def share(self) -> float | None:
        """Demand as a share of Metro's capacity (1.0 = all of it)."""
        return self.asked_per_month / self.capacity_per_month if self.capacity_per_month else None


@dataclass
class TopProduct:
    product_id: int
    name: str
    producer: str
    inquiries: int


@dataclass
class WaitingProducer:
    producer_id: int
    name: str
    waiting: int
    oldest: datetime

    def age_days(self, now: datetime | None = None) -> int:
        now = now or datetime.now(UTC)
        oldest = self.oldest if self.oldest.tzinfo else self.oldest.replace(tzinfo=UTC)
        return max(0, (now - oldest).days)


@dataclass
class TargetMonth:
    month: str  # 'YYYY-MM'
    target: float  # in the target's unit
    contracted: float  # scheduled for the month by the contracts under the agreement, in the target's unit
    delivered: float  # accepted at receipt in the month, in the target's unit
    contracts: int
    producers: int
    value: int  # Rupiah of the month's scheduled quantity

    @property
    def share(self) -> float | None:
        """Achievement: contracted / target (1.0 = the target met)."""
        return self.contracted / self.target if self.target else None


@dataclass
class TargetProgress:
    agreement: AgreementInfo
    target: TargetInfo
    category: CategoryInfo | None
    unit: str  # the target's own unit (ton, kg, butir …)
    monthly_target: float
    months: list[TargetMonth]

    @property
    def by_month(self) -> dict[str, float]:
        """Month → contracted volume in `unit`."""
        return {m.month: m.contracted for m in self.months}

    @property
    def total(self) -> float:
        return sum(m.contracted for m in self.months)

    @property
    def delivered(self) -> float:
        return sum(m.delivered for m in self.months)

    @property
    def value(self) -> int:
        return sum(m.value for m in self.months)

    @property
    def average(self) -> float:
        """Contracted per month, on average over the period's months."""
        return self.total / len(self.months) if self.months else 0.0

    @property
    def average_share(self) -> float | None:
        goal = self.monthly_target * len(self.months)
        return self.total / goal if goal else None


@dataclass
class Figures:
    period: Period
    received: int
    per_week: list[tuple[date, int]]
    funnel: Funnel
    median_first_response_hours: float | None
    responded: int
    median_forward_hours: float | None
    forwarded: int
    contracts_by_month: list[ContractRow]
    contracts_by_commodity: list[ContractRow]
    contracts_by_month_commodity: list[ContractRow]
    contract_count: int  # distinct contracts with deliveries scheduled in the period
    producer_count: int  # distinct producers with a line in them
    demand: list[DemandLine]
    top_products: list[TopProduct]
    waiting: list[WaitingProducer]
    targets: list[TargetProgress]

    @property
    def contract_value(self) -> int:
        """Rupiah of what the contracts schedule in the period's months."""
        return sum(line.value for line in self.contracts_by_month)


def inquiries_per_week(period: Period) -> list[tuple[date, int]]:
    week = _week_of(Inquiry.created_at).label("week")
    rows = db.session.execute(
        select(week, func.count(Inquiry.id)).where(_in(Inquiry.created_at, period)).group_by(week)
    ).all()
    counts = {date.fromisoformat(str(w)[:10]): n for w, n in rows}
    return [(monday, counts.get(monday, 0)) for monday in period.weeks()]


def funnel(period: Period) -> Funnel:
    """How many of the period's inquiries reached each status, read from their status timeline."""
    received = db.session.scalar(select(func.count(Inquiry.id)).where(_in(Inquiry.created_at, period))) or 0
    rows = db.session.execute(
        select(InquiryEvent.to_status, func.count(func.distinct(InquiryEvent.inquiry_id)))
        .join(Inquiry, Inquiry.id == InquiryEvent.inquiry_id)
        .where(_in(Inquiry.created_at, period), InquiryEvent.kind == "status",
               InquiryEvent.to_status.in_([*FUNNEL[1:], "closed", *OUTCOMES]))
        .group_by(InquiryEvent.to_status)
    ).all()
    reached = dict(rows)
    return Funnel(
        reached={"new": received, **{stage: reached.get(stage, 0) for stage in FUNNEL[1:]}},
        outcomes={stage: reached.get(stage, 0) for stage in OUTCOMES},
    )


def first_response(period: Period) -> tuple[float | None, int]:
    """(median hours from arrival to the first response the buyer sees, how many had one)."""
    sub = (select(_hours_between(Inquiry.created_at, Inquiry.first_response_at).label("h"))
           .where(_in(Inquiry.created_at, period), Inquiry.first_response_at.is_not(None)).subquery())
    return _median(sub)


def forwarding(period: Period) -> tuple[float | None, int]:
    """(median hours from arrival to the first forward to a producer, how many were forwarded)."""
    # Only the period's inquiries are joined to their allocations (index on allocation.inquiry_id).
    first = (select(Inquiry.created_at.label("arrived"), func.min(Allocation.created_at).label("at"))
             .join(Allocation, Allocation.inquiry_id == Inquiry.id)
             .where(_in(Inquiry.created_at, period))
             .group_by(Inquiry.id, Inquiry.created_at).subquery())
    sub = select(_hours_between(first.c.arrived, first.c.at).label("h")).subquery()
    return _median(sub)


# ---------------------------------------------------------------- contracts: what is scheduled and delivered per month

def _month_key(value) -> str:
    """'YYYY-MM' of a stored day (a date, or the text SQLite may hand back from an aggregate)."""
    if isinstance(value, str):
        return value[:7]
    return f"{value.year:04d}-{value.month:02d}"


def _day_month(column):
    """'YYYY-MM' of a stored calendar day (no time zone: a delivery day is already Metro's)."""
    if _pg():
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def month_span(period: Period) -> tuple[date, date]:
    """The first days of the first and the last calendar month the period touches: contract figures are per
    whole calendar month (a schedule row is a month), like the months the tables list."""
    return date(period.start.year, period.start.month, 1), date(period.end.year, period.end.month, 1)


def _scheduled_rows(period: Period):
    """Per month, commodity, agreement, unit (and the listing's weight per piece): the quantity the counted
    contracts schedule, and its value. One GROUP BY over the contract month rows of the period's months."""
    first, last = month_span(period)
    return db.session.execute(
        select(ContractMonth.month, Inquiry.category_id, Contract.agreement_id, ContractMonth.unit,
               Product.kg_per_unit, func.sum(ContractMonth.quantity), func.sum(ContractMonth.value))
        .join(Contract, Contract.id == ContractMonth.contract_id)
        .join(Inquiry, Inquiry.id == Contract.inquiry_id)
        .outerjoin(Product, Product.id == ContractMonth.product_id)
        .where(ContractMonth.month >= first, ContractMonth.month <= last, Contract.status.in_(COUNTED))
        .group_by(ContractMonth.month, Inquiry.category_id, Contract.agreement_id, ContractMonth.unit,
                  Product.kg_per_unit)
    ).all()


def _delivered_rows(period: Period):
    """Per month, commodity, agreement, unit (and weight per piece): the quantity delivered and accepted at
    receipt under the counted contracts."""
    first, last = month_span(period)
    month = _day_month(Delivery.delivered_on).label("month")
    return db.session.execute(
        select(month, Inquiry.category_id, Contract.agreement_id, Delivery.unit, Product.kg_per_unit,
               func.sum(Delivery.quantity))
        .join(ContractLine, ContractLine.id == Delivery.line_id)
        .join(Contract, Contract.id == ContractLine.contract_id)
        .join(Inquiry, Inquiry.id == Contract.inquiry_id)
        .outerjoin(Product, Product.id == ContractLine.product_id)
        .where(Delivery.status == str(DeliveryStatus.ACCEPTED), Contract.status.in_(COUNTED),
               Delivery.delivered_on >= first, Delivery.delivered_on < add_months(last, 1))
        .group_by(month, Inquiry.category_id, Contract.agreement_id, Delivery.unit, Product.kg_per_unit)
    ).all()


# The grains the contracts and producers are counted at (distinct counts do not add up across months, and a
# producer may supply several commodities): month × commodity × agreement, month × commodity, month, commodity,
# and the whole period.
GRAINS = {"mca": ("month", "category", "agreement"), "mc": ("month", "category"), "m": ("month",),
          "c": ("category",), "": ()}


def _count_rows(period: Period):
    """(grain, month, category_id, agreement_id, contracts, producers) for every grain, in one statement: a
    contract counts once in each month it has deliveries scheduled, whatever its number of producer lines."""
    first, last = month_span(period)
    columns = {"month": ContractMonth.month, "category": Inquiry.category_id, "agreement": Contract.agreement_id}
    selects = []
    for grain, keys in GRAINS.items():
        selects.append(
            select(literal_column(f"'{grain}'").label("grain"),
                   *[(columns[name] if name in keys else null()).label(name) for name in columns],
                   func.count(func.distinct(ContractMonth.contract_id)).label("contracts"),
                   func.count(func.distinct(ContractLine.producer_id)).label("producers"))
            .select_from(ContractMonth)
            .join(Contract, Contract.id == ContractMonth.contract_id)
            .join(Inquiry, Inquiry.id == Contract.inquiry_id)
            .join(ContractLine, ContractLine.id == ContractMonth.line_id)
            .where(ContractMonth.month >= first, ContractMonth.month <= last, Contract.status.in_(COUNTED),
                   *([Contract.agreement_id.is_not(None)] if "agreement" in keys else []))
            .group_by(*[columns[name] for name in keys])
        )
    return db.session.execute(union_all(*selects)).all()


def _in_unit(amount: float, unit: str, kg_per_unit: float | None, to_unit: str) -> float | None:
    """`amount` of `unit` in `to_unit` (core/units.py), or None when the two do not convert."""
    try:
        return units.convert(float(amount or 0), unit, to_unit, kg_per_unit)
    except units.UnitMismatch:
        return None


def _common(unit: str, kg_per_unit: float | None) -> str:
    """The unit a commodity's figures are added up in: kilograms for mass, and for a countable unit whose
    listing states its weight; otherwise the countable unit itself."""
    return units.KG if units.kg_per(unit, kg_per_unit) is not None else unit


@dataclass
class ContractFigures:
    """Everything counted about contracts for the period, read in three statements; the tables and the agreement
    targets are views of it."""

    scheduled: list = field(default_factory=list)  # (month, category_id, agreement_id, unit, kg_per_unit, qty, value)
    delivered: list = field(default_factory=list)  # (month, category_id, agreement_id, unit, kg_per_unit, qty)
    counts: dict = field(default_factory=dict)  # (grain, month, category_id, agreement_id) → (contracts, producers)

    @classmethod
    def read(cls, period: Period) -> ContractFigures:
        scheduled = [(_month_key(m), c, a, u, k, float(q or 0), int(v or 0))
                     for m, c, a, u, k, q, v in _scheduled_rows(period)]
        delivered = [(str(m), c, a, u, k, float(q or 0)) for m, c, a, u, k, q in _delivered_rows(period)]
        counts = {(grain, _month_key(m) if m is not None else None, c, a): (n, p)
                  for grain, m, c, a, n, p in _count_rows(period)}
        return cls(scheduled, delivered, counts)

    def count(self, grain: str, month: str | None = None, category_id: int | None = None,
              agreement_id: int | None = None) -> tuple[int, int]:
        return self.counts.get((grain, month, category_id, agreement_id), (0, 0))


def contract_lines(period: Period, facts: ContractFigures, locale: str = "id"):
    """(per month, per commodity over the period, per month and commodity): contracts, producers, value and the
    volumes scheduled and delivered, mass in kilograms."""
    categories = _categories()

    def commodity(category_id):
        category = categories.get(category_id)
        return (category.slug if category else "-"), (category.name(locale) if category else "—"), category

    by_month = {m: ContractRow(m, month_label(m, locale), month=m) for m in period.months()}
    by_commodity: dict[int | None, ContractRow] = {}
    by_both: dict[tuple[str, int | None], ContractRow] = {}

    def lines_for(month, category_id):
        slug, name, category = commodity(category_id)
        line = by_commodity.setdefault(category_id, ContractRow(slug, name, category=category))
        both = by_both.setdefault((month, category_id), ContractRow(
            f"{month}/{slug}", f"{month_label(month, locale)} · {name}", month=month, category=category))
        return by_month.setdefault(month, ContractRow(month, month_label(month, locale), month=month)), line, both

    for month, category_id, _agreement, unit, kg_per_unit, quantity, value in facts.scheduled:
        common = _common(unit, kg_per_unit)
        amount = _in_unit(quantity, unit, kg_per_unit, common) or 0.0
        for line in lines_for(month, category_id):
            line.value += value
            line.contracted[common] = line.contracted.get(common, 0.0) + amount
    for month, category_id, _agreement, unit, kg_per_unit, quantity in facts.delivered:
        common = _common(unit, kg_per_unit)
        amount = _in_unit(quantity, unit, kg_per_unit, common) or 0.0
        for line in lines_for(month, category_id):
            line.delivered[common] = line.delivered.get(common, 0.0) + amount
    for line in by_month.values():
        line.contracts, line.producers = facts.count("m", line.month)
    for category_id, line in by_commodity.items():
        line.contracts, line.producers = facts.count("c", None, category_id)
    for (month, category_id), line in by_both.items():
        line.contracts, line.producers = facts.count("mc", month, category_id)
    commodity_lines = sorted(by_commodity.values(), key=lambda line: (-line.value, line.label))
    position = {c.id: (c.position, c.id) for c in categories.values()}
    both_lines = [by_both[key] for key in sorted(by_both, key=lambda k: (k[0], position.get(k[1], (0, 0))))]
    return [by_month[m] for m in sorted(by_month)], commodity_lines, both_lines


def demand_vs_capacity(period: Period) -> list[DemandLine]:
    monthly_qty = func.sum(Inquiry.quantity)
    rows = db.session.execute(
        select(Inquiry.category_id, Inquiry.unit, Inquiry.frequency, monthly_qty)
        .where(_in(Inquiry.created_at, period), Inquiry.status != str(InquiryStatus.SPAM),
               Inquiry.category_id.is_not(None))
        .group_by(Inquiry.category_id, Inquiry.unit, Inquiry.frequency)
    ).all()
    months = len(period.months())
    asked: dict[tuple[int, str], float] = {}
    for category_id, unit, frequency, total in rows:
        unit_key, factor = _kg(unit)
        per = WEEKS_PER_MONTH if frequency == "weekly" else 1
        asked[(category_id, unit_key)] = asked.get((category_id, unit_key), 0) + float(total or 0) * factor * per
    capacity = {(c.category.id, unit): qty for c in catalog.capacity_by_commodity() for qty, unit in c.amounts}
    categories = _categories()
    lines = [DemandLine(categories[cid], unit, total / months, capacity.get((cid, unit)))
             for (cid, unit), total in asked.items() if cid in categories]
    return sorted(lines, key=lambda line: (line.category.position, line.category.id, line.unit))


def top_products(period: Period, limit: int = TOP_PRODUCTS) -> list[TopProduct]:
    # Counted per listing id first, then the names joined to the grouped rows only: joining the listing and its
    # producer to every inquiry line of the period (a million at scale) and grouping by their names cost 4× more.
    count = func.count(func.distinct(InquiryItem.inquiry_id)).label("n")
    asked = (select(InquiryItem.product_id.label("product_id"), count)
             .join(Inquiry, Inquiry.id == InquiryItem.inquiry_id)
             .where(_in(Inquiry.created_at, period), Inquiry.status != str(InquiryStatus.SPAM))
             .group_by(InquiryItem.product_id).subquery())
    rows = db.session.execute(
        select(Product.id, Product.name, Producer.name, asked.c.n)
        .select_from(asked)
        .join(Product, Product.id == asked.c.product_id)
        .join(Producer, Producer.id == Product.producer_id)
        .order_by(asked.c.n.desc(), Product.name, Product.id)
        .limit(limit)
    ).all()
    return [TopProduct(pid, name, producer, n) for pid, name, producer, n in rows]


def waiting_producers(limit: int = WAITING_PRODUCERS) -> list[WaitingProducer]:
    """Producers with forwards still unanswered on inquiries that are still open, the longest waiting first.
    This is today's state, whatever the period."""
    oldest = func.min(Allocation.created_at)
    rows = db.session.execute(
        select(Producer.id, Producer.name, func.count(Allocation.id), oldest)
        .join(Producer, Producer.id == Allocation.producer_id)
        .join(Inquiry, Inquiry.id == Allocation.inquiry_id)
        .where(Allocation.status == str(AllocationStatus.FORWARDED),
               Inquiry.status.in_([str(InquiryStatus.FORWARDED), str(InquiryStatus.RESPONDED),
                                   str(InquiryStatus.NEGOTIATING)]))
        .group_by(Producer.id, Producer.name)
        .order_by(oldest, Producer.id)
        .limit(limit)
    ).all()
    return [WaitingProducer(pid, name, n, aware(at)) for pid, name, n, at in rows]


def aware(value):
    if isinstance(value, str):  # SQLite hands back text from an aggregate
        value = datetime.fromisoformat(value)
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def target_progress(period: Period, facts: ContractFigures | None = None) -> list[TargetProgress]:
    """For every target of an agreement in force during the period, per month: the target, what the contracts
    under the agreement schedule for that month and what was delivered, in the target's unit (a countable unit
    counts only with itself, or through the listing's weight per piece), the contracts and producers, the value."""
    agreements = list(db.session.scalars(
        select(Agreement).options(selectinload(Agreement.targets)).where(
            (Agreement.starts_on.is_(None)) | (Agreement.starts_on <= period.end),
            (Agreement.ends_on.is_(None)) | (Agreement.ends_on >= period.start),
        ).order_by(Agreement.code)
    ))
    agreements = [a for a in agreements if a.targets]
    if not agreements:
        return []
    facts = facts if facts is not None else ContractFigures.read(period)
    contracted: dict[tuple[int, int, str], dict[str, float]] = {}
    delivered: dict[tuple[int, int, str], dict[str, float]] = {}
    values: dict[tuple[int, int], dict[str, int]] = {}
    targets = {(a.id, t.category_id, t.unit) for a in agreements for t in a.targets}
    for month, category_id, agreement_id, unit, kg_per_unit, quantity, value in facts.scheduled:
        if agreement_id is None:
            continue
        bucket = values.setdefault((agreement_id, category_id), {})
        bucket[month] = bucket.get(month, 0) + value
        for key in targets:
            if key[:2] == (agreement_id, category_id):
                amount = _in_unit(quantity, unit, kg_per_unit, key[2])
                if amount is not None:
                    contracted.setdefault(key, {})[month] = contracted.get(key, {}).get(month, 0.0) + amount
    for month, category_id, agreement_id, unit, kg_per_unit, quantity in facts.delivered:
        for key in targets:
            if key[:2] == (agreement_id, category_id):
                amount = _in_unit(quantity, unit, kg_per_unit, key[2])
                if amount is not None:
                    delivered.setdefault(key, {})[month] = delivered.get(key, {}).get(month, 0.0) + amount
    categories = _categories()
    result = []
    for agreement in agreements:
        for target in agreement.targets:
            key = (agreement.id, target.category_id, target.unit)
            months = []
            for m in period.months():
                contracts, producers = facts.count("mca", m, target.category_id, agreement.id)
                months.append(TargetMonth(
                    m, target.volume_per_month, contracted.get(key, {}).get(m, 0.0),
                    delivered.get(key, {}).get(m, 0.0), contracts, producers,
                    values.get((agreement.id, target.category_id), {}).get(m, 0)))
            result.append(TargetProgress(
                AgreementInfo(agreement.id, agreement.code, agreement.kind, agreement.title, agreement.starts_on,
                              agreement.ends_on),
                TargetInfo(target.id, agreement.id, target.category_id, target.volume_per_month, target.unit),
                categories.get(target.category_id), target.unit, target.volume_per_month, months))
    return result


def compute_figures(period: Period, locale: str = "id") -> Figures:
    """Every figure, read from the rows now (≈ 15 statements; seconds at 100k listings and 1M inquiries)."""
    first, responded = first_response(period)
    forward, forwarded = forwarding(period)
    facts = ContractFigures.read(period)
    by_month, by_commodity, by_both = contract_lines(period, facts, locale)
    contracts, producers = facts.count("")
    per_week = inquiries_per_week(period)
    return Figures(
        period=period, received=sum(n for _, n in per_week), per_week=per_week, funnel=funnel(period),
        median_first_response_hours=first, responded=responded, median_forward_hours=forward, forwarded=forwarded,
        contracts_by_month=by_month, contracts_by_commodity=by_commodity, contracts_by_month_commodity=by_both,
        contract_count=contracts, producer_count=producers, demand=demand_vs_capacity(period),
        top_products=top_products(period), waiting=waiting_producers(), targets=target_progress(period, facts),
    )


# ---------------------------------------------------------------- the figures, kept per trade version

MAX_KEPT = 64  # (period, language, day) combinations per app and worker; a Figures is a few kB to a few 100 kB


class _Kept:
    """One app's figures in this worker's memory, least recently used out first. A key being computed has a lock
    that the other threads asking for it wait on (one computation after a change, not one per visitor)."""

    def __init__(self) -> None:
        self.entries: OrderedDict[Hashable, Figures] = OrderedDict()
        self.computing: dict[Hashable, Lock] = {}
        self.lock = Lock()

    def get(self, key: Hashable) -> Figures | None:
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def value(self, key: Hashable, compute) -> Figures:
        value = self.get(key)
        if value is not None:
            return value
        with self.lock:
            flight = self.computing.setdefault(key, Lock())
        with flight:
            value = self.get(key)  # computed by the thread this one waited for
            if value is not None:
                return value
            try:
                value = compute()
                with self.lock:
                    self.entries[key] = value
                    while len(self.entries) > MAX_KEPT:
                        self.entries.popitem(last=False)
            finally:
                with self.lock:
                    self.computing.pop(key, None)
        return value

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def _kept() -> _Kept:
    """This app's store (two apps in one process, as in the tests, may number their versions alike)."""
    return catalog_cache.app_state("monitoring_figures", _Kept)


def figures(period: Period, locale: str = "id") -> Figures:
    """The figures of `period`, computed at most once per trade version (trade/version.py: every change of what
    they read bumps it, in its own transaction), day in Metro and language, per app and worker. A visit costs one
    primary-key read of the two versions.

    The catalog version is not part of the key. What the figures read of the catalog (the capacity of the published
    listings; the names of listings, storefronts and commodities) is in trade/version.py's WATCHED fields and
    tables, so each change of it moves the trade version too; a change buyers see and the figures do not read (a
    price, a photo, a description) keeps them, instead of costing the next visit seconds at a million inquiries.
    The catalog version is still read here, for the catalog's own values the computation asks for.

    Nothing here depends on the time of day: the waiting producers' age in days is worked out when shown
    (`WaitingProducer.age_days`). A session with trade writes not yet committed gets figures computed afresh,
    kept nowhere (no one else sees those rows; its version is not yet the one it will commit)."""
    db.session.flush()  # what is pending counts as written (the figures' first statement would flush it anyway)
    if trade_version.pending():
        return compute_figures(period, locale)
    catalog_version, current = trade_version.versions()
    if has_request_context() and "catalog_version" not in g:
        g.catalog_version = catalog_version
    key = (current, period.start, period.end, locale, clock.today())
    return _kept().value(key, lambda: compute_figures(period, locale))


# ---------------------------------------------------------------- labels shared by the page, the charts and the report

def month_label(month: str, locale: str = "id") -> str:
    from marketplace.core.formatting import MONTH_NAMES

    year, number = month.split("-")
    return f"{MONTH_NAMES['en' if locale == 'en' else 'id'][int(number) - 1]} {year}"


def stage_label(stage: str) -> str:
    """The funnel's first stage is every inquiry received, whatever its status now."""
    from flask_babel import gettext as _

    from marketplace.core.formatting import inquiry_status

    return _("Semua yang masuk") if stage == "new" else inquiry_status(stage)


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"



# ---------------------------------------------------------------- chart data (drawn by static/js/dashboard.js)

def charts(fig: Figures, locale: str = "id") -> dict[str, dict]:
    """What each chart draws, as plain JSON; every number here is also in the table beside the chart."""
    from flask_babel import gettext as _

    from marketplace.core.formatting import round_amount, unit_label

    result = {
        "weekly": {"type": "bar", "labels": [week_label(m) for m, _n in fig.per_week],
                   "datasets": [{"label": _("Permintaan masuk"), "data": [n for _m, n in fig.per_week]}]},
        "funnel": {"type": "bar", "horizontal": True,
                   "labels": [stage_label(s) for s in (*FUNNEL, *OUTCOMES)],
                   "datasets": [{"label": _("Jumlah permintaan"),
                                 "data": [fig.funnel.reached[s] for s in FUNNEL]
                                 + [fig.funnel.outcomes[s] for s in OUTCOMES]}]},
        "contracts_month": {"type": "bar", "money": True, "labels": [line.label for line in fig.contracts_by_month],
                            "datasets": [{"label": _("Nilai kontrak terjadwal (Rp)"),
                                          "data": [line.value for line in fig.contracts_by_month]}]},
        "contracts_commodity": {"type": "bar", "horizontal": True, "money": True,
                                "labels": [line.label for line in fig.contracts_by_commodity],
                                "datasets": [{"label": _("Nilai kontrak terjadwal (Rp)"),
                                              "data": [line.value for line in fig.contracts_by_commodity]}]},
        "demand": {"type": "bar", "horizontal": True, "percent": True,
                   "labels": [f"{line.category.name(locale)} ({unit_label(line.unit)})" for line in fig.demand],
                   "datasets": [{"label": _("Permintaan per bulan sebagai % kapasitas"),
                                 "data": [round(line.share * 100, 1) if line.share is not None else None
                                          for line in fig.demand]}]},
    }
    for index, progress in enumerate(fig.targets):
        result[f"target{index}"] = {
            "type": "bar", "labels": [month_label(m, locale) for m in progress.by_month],
            "datasets": [
                {"label": _("Volume dikontrak (%(unit)s)", unit=unit_label(progress.unit)),
                 "data": [round_amount(v, progress.unit) for v in progress.by_month.values()]},
                {"label": _("Target per bulan"), "type": "line",
                 "data": [progress.monthly_target for _m in progress.by_month]},
            ],
        }
    return result
