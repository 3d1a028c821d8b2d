"""Every figure of the monitoring dashboard and the MoU report, for one period, in one place.

All counting and summing happens in SQL (GROUP BY over indexed columns, bounded by the period);
Python only reshapes the few grouped rows. Works on SQLite and PostgreSQL: the few expressions that
differ (local month/week of a timestamp, hours between two timestamps) are built per dialect.

Definitions (also shown on the page):
- The period is a range of calendar days in Metro's time (WIB), both ends included.
- Inquiries belong to the period in which they arrived (created_at); deals to the period in which
  they were recorded (created_at).
- Time to first response: from arrival to `first_response_at`, the first thing the buyer sees a
  facilitator do (claim the inquiry or write to the buyer), for inquiries that had one.
- Time to forwarding: from arrival to the first forward to a producer (the earliest allocation).
- Volumes in mass units (kg, kuintal, ton) are added up in kilograms; other units stay apart.
- Demand per month: each inquiry counts once as a month of what it asks (a weekly order ×52/12),
  summed per commodity and divided by the number of calendar months in the period.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import (
    Agreement,
    AgreementTarget,
    Allocation,
    AllocationStatus,
    Category,
    Deal,
    Inquiry,
    InquiryEvent,
    InquiryItem,
    InquiryStatus,
    Producer,
    Product,
)
from marketplace.catalog import queries as catalog
from marketplace.core.vocab import MASS_IN_KG

FUNNEL = ("new", "in_review", "forwarded", "responded", "negotiating", "agreed")
OUTCOMES = ("declined", "spam", "cancelled")
WEEKS_PER_MONTH = 52 / 12
TOP_PRODUCTS = 10
WAITING_PRODUCERS = 20
MAX_PERIOD_DAYS = 3 * 366


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


def _categories() -> dict[int, Category]:
    return {c.id: c for c in catalog.categories()}


# ---------------------------------------------------------------- the figures

@dataclass
class Funnel:
    reached: dict[str, int]  # stage → inquiries of the period that reached it
    outcomes: dict[str, int]


@dataclass
class DealLine:
    key: str  # month 'YYYY-MM' or category slug
    label: str
    deals: int
    value: int
    volumes: dict[str, float] = field(default_factory=dict)  # unit ('kg' for mass) → volume


@dataclass
class DemandLine:
    category: Category
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
class TargetProgress:
    agreement: Agreement
    target: AgreementTarget
    category: Category
    unit: str  # 'kg' for mass targets, else the target's unit
    monthly_target: float
    by_month: dict[str, float]  # month → agreed volume in `unit`

    @property
    def total(self) -> float:
        return sum(self.by_month.values())

    @property
    def average_share(self) -> float | None:
        goal = self.monthly_target * len(self.by_month)
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
    deals_by_month: list[DealLine]
    deals_by_commodity: list[DealLine]
    demand: list[DemandLine]
    top_products: list[TopProduct]
    waiting: list[WaitingProducer]
    targets: list[TargetProgress]

    @property
    def deal_value(self) -> int:
        return sum(line.value for line in self.deals_by_month)

    @property
    def deal_count(self) -> int:
        return sum(line.deals for line in self.deals_by_month)


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


def _deal_rows(period: Period, extra=()):
    month = _month_of(Deal.created_at).label("month")
    return db.session.execute(
        select(month, Inquiry.category_id, Deal.unit, *extra, func.count(Deal.id), func.sum(Deal.volume),
               func.sum(Deal.value))
        .join(Inquiry, Inquiry.id == Deal.inquiry_id)
        .where(_in(Deal.created_at, period))
        .group_by(month, Inquiry.category_id, Deal.unit, *extra)
    ).all()


def deals(period: Period, locale: str = "id") -> tuple[list[DealLine], list[DealLine]]:
    """Deals recorded in the period: (per month, per commodity), with count, Rupiah and volume."""
    categories = _categories()
    by_month = {m: DealLine(m, month_label(m, locale), 0, 0) for m in period.months()}
    by_commodity: dict[int | None, DealLine] = {}
    for month, category_id, unit, count, volume, value in _deal_rows(period):
        unit_key, factor = _kg(unit)
        category = categories.get(category_id)
        line = by_commodity.setdefault(category_id, DealLine(
            category.slug if category else "-", category.name(locale) if category else "—", 0, 0))
        for target in (by_month.setdefault(month, DealLine(month, month_label(month, locale), 0, 0)), line):
            target.deals += count
            target.value += int(value or 0)
            target.volumes[unit_key] = target.volumes.get(unit_key, 0) + float(volume or 0) * factor
    commodity_lines = sorted(by_commodity.values(), key=lambda line: (-line.value, line.label))
    return [by_month[m] for m in sorted(by_month)], commodity_lines


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
    count = func.count(func.distinct(InquiryItem.inquiry_id))
    rows = db.session.execute(
        select(Product.id, Product.name, Producer.name, count)
        .select_from(InquiryItem)
        .join(Inquiry, Inquiry.id == InquiryItem.inquiry_id)
        .join(Product, Product.id == InquiryItem.product_id)
        .join(Producer, Producer.id == Product.producer_id)
        .where(_in(Inquiry.created_at, period), Inquiry.status != str(InquiryStatus.SPAM))
        .group_by(Product.id, Product.name, Producer.name)
        .order_by(count.desc(), Product.name, Product.id)
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


def target_progress(period: Period) -> list[TargetProgress]:
    """For every target of an agreement in force during the period: agreed volume per month under it."""
    agreements = list(db.session.scalars(
        select(Agreement).options(selectinload(Agreement.targets)).where(
            (Agreement.starts_on.is_(None)) | (Agreement.starts_on <= period.end),
            (Agreement.ends_on.is_(None)) | (Agreement.ends_on >= period.start),
        ).order_by(Agreement.code)
    ))
    agreements = [a for a in agreements if a.targets]
    if not agreements:
        return []
    month = _month_of(Deal.created_at).label("month")
    rows = db.session.execute(
        select(Deal.agreement_id, Inquiry.category_id, Deal.unit, month, func.sum(Deal.volume))
        .join(Inquiry, Inquiry.id == Deal.inquiry_id)
        .where(_in(Deal.created_at, period), Deal.agreement_id.in_([a.id for a in agreements]))
        .group_by(Deal.agreement_id, Inquiry.category_id, Deal.unit, month)
    ).all()
    achieved: dict[tuple[int, int, str], dict[str, float]] = {}
    for agreement_id, category_id, unit, m, volume in rows:
        unit_key, factor = _kg(unit)
        bucket = achieved.setdefault((agreement_id, category_id, unit_key), {})
        bucket[m] = bucket.get(m, 0) + float(volume or 0) * factor
    categories = _categories()
    result = []
    for agreement in agreements:
        for target in agreement.targets:
            unit_key, factor = _kg(target.unit)
            done = achieved.get((agreement.id, target.category_id, unit_key), {})
            result.append(TargetProgress(
                agreement, target, categories.get(target.category_id), unit_key, target.volume_per_month * factor,
                {m: done.get(m, 0.0) for m in period.months()},
            ))
    return result


def figures(period: Period, locale: str = "id") -> Figures:
    first, responded = first_response(period)
    forward, forwarded = forwarding(period)
    by_month, by_commodity = deals(period, locale)
    per_week = inquiries_per_week(period)
    return Figures(
        period=period, received=sum(n for _, n in per_week), per_week=per_week, funnel=funnel(period),
        median_first_response_hours=first, responded=responded, median_forward_hours=forward, forwarded=forwarded,
        deals_by_month=by_month, deals_by_commodity=by_commodity, demand=demand_vs_capacity(period),
        top_products=top_products(period), waiting=waiting_producers(), targets=target_progress(period),
    )


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

    from marketplace.core.formatting import unit_label

    result = {
        "weekly": {"type": "bar", "labels": [week_label(m) for m, _n in fig.per_week],
                   "datasets": [{"label": _("Permintaan masuk"), "data": [n for _m, n in fig.per_week]}]},
        "funnel": {"type": "bar", "horizontal": True,
                   "labels": [stage_label(s) for s in (*FUNNEL, *OUTCOMES)],
                   "datasets": [{"label": _("Jumlah permintaan"),
                                 "data": [fig.funnel.reached[s] for s in FUNNEL]
                                 + [fig.funnel.outcomes[s] for s in OUTCOMES]}]},
        "deals_month": {"type": "bar", "money": True, "labels": [line.label for line in fig.deals_by_month],
                        "datasets": [{"label": _("Nilai kesepakatan (Rp)"),
                                      "data": [line.value for line in fig.deals_by_month]}]},
        "deals_commodity": {"type": "bar", "horizontal": True, "money": True,
                            "labels": [line.label for line in fig.deals_by_commodity],
                            "datasets": [{"label": _("Nilai kesepakatan (Rp)"),
                                          "data": [line.value for line in fig.deals_by_commodity]}]},
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
                {"label": _("Volume disepakati (%(unit)s)", unit=unit_label(progress.unit)),
                 "data": [round(v, 2) for v in progress.by_month.values()]},
                {"label": _("Target per bulan"), "type": "line",
                 "data": [progress.monthly_target for _m in progress.by_month]},
            ],
        }
    return result
