"""Buyer inquiries: submitting, tracking, and the facilitator's queue.

An inquiry never goes straight to a producer: it lands in the BUMD facilitators' queue.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload, with_expression

from marketplace.core import clock, policies
from marketplace.core import units
from marketplace.extensions import db
from marketplace.core.text import like_pattern
from marketplace.models import (
    AllocationStatus,
    EventVisibility,
    Inquiry,
    InquiryEvent,
    InquiryItem,
    InquiryStatus,
    Producer,
    Product,
    PublicationStatus,
    User,
    utcnow,
)
from marketplace.accounts import audit
from marketplace.core import outbox
from marketplace.core.workflow import TransitionConflict, TransitionNotAllowed
from marketplace.trade.workflow import OPEN, allocation as allocation_workflow, inquiry as workflow

QUEUE_PAGE = 50


class DuplicateSubmission(Exception):
    """The same form was sent again; `inquiry` is the one it already created."""

    def __init__(self, inquiry: Inquiry):
        super().__init__(inquiry.reference)
        self.inquiry = inquiry


# ---------------------------------------------------------------- the buyer's side

@dataclass
class Subject:
    """What the buyer is asking about: a product, a storefront, several listings at once (a request with one line
    per listing, from the compare view), or nothing in particular."""

    product: Product | None = None
    producer: Producer | None = None
    listings: list[Product] = field(default_factory=list)

    @property
    def unit(self) -> str | None:
        return self.product.unit if self.product else None

    @property
    def has_lines(self) -> bool:
        return bool(self.listings)

    def quantity_warnings(self, quantity: float | None, unit: str | None = None) -> list[str]:
        """The listing's minimum order and monthly capacity against the amount asked, compared in one unit
        (core/units.py): 1 ton is below a minimum of 1.500 kg. Units that cannot be compared say so."""
        return listing_warnings(self.product, quantity, unit) if self.product else []

    def line_warnings(self, lines) -> dict[int, list[str]]:
        """Per listing id, the warnings of its line ((listing, quantity, unit) triples); only lines that have some."""
        found = {product.id: listing_warnings(product, quantity, unit) for product, quantity, unit in lines}
        return {pid: codes for pid, codes in found.items() if codes}


def listing_warnings(product: Product, quantity: float | None, unit: str | None = None) -> list[str]:
    """below_moq, above_capacity, or units_differ for `quantity` `unit` asked of `product`."""
    if quantity is None:
        return []
    try:
        amount = units.convert(quantity, unit or product.unit, product.unit, product.kg_per_unit)
    except units.UnitMismatch:
        return ["units_differ"]
    warnings = []
    if amount < product.min_order_qty:
        warnings.append("below_moq")
    if product.monthly_capacity and amount > product.monthly_capacity:
        warnings.append("above_capacity")
    return warnings


def _published_products(ids: list[int]) -> list[Product]:
    rows = {p.id: p for p in db.session.scalars(
        select(Product).join(Product.producer)
        .where(Product.id.in_(ids), Product.status == PublicationStatus.PUBLISHED,
               Producer.status == PublicationStatus.PUBLISHED)
        .options(contains_eager(Product.producer)))}  # the join above loads it: one statement
    return [rows[i] for i in ids if i in rows]


def subject_for(product_ids: list[int] | int | None, producer_slug: str | None) -> Subject:
    """Only published products and storefronts can be asked about; anything else is ignored.
    `product_ids` are ids already read from the request (inquiries.forms.SubjectArgs): one names the product asked
    about, several (those still published) make a request with one line per listing."""
    if isinstance(product_ids, int):
        product_ids = [product_ids]
    found = _published_products(list(product_ids)) if product_ids else []
    if len(found) > 1:
        return Subject(listings=found)
    if found:
        return Subject(product=found[0], producer=found[0].producer)
    if producer_slug:
        producer = db.session.scalar(
            select(Producer).where(Producer.slug == producer_slug, Producer.status == PublicationStatus.PUBLISHED)
        )
        if producer is not None:
            return Subject(producer=producer)
    return Subject()


def submit(values: dict, subject: Subject, form_token: str, locale: str, lines=()) -> Inquiry:
    """Store the inquiry and queue the buyer's confirmation; raises DuplicateSubmission for a resent form.

    `lines`: for a request for several listings, (listing, quantity per period, unit) per line; `values` then
    carries their total (inquiries/forms.InquiryLinesForm.total). Its commodity is theirs when they share one.

    `form_token` is the secret part of the one-time token the form was issued with (inquiries/forms.py): it is
    taken once (a unique column). The caller decides who may see the inquiry a duplicate points to."""
    existing = db.session.scalar(select(Inquiry).where(Inquiry.form_token == form_token))
    if existing is not None:
        raise DuplicateSubmission(existing)
    lines = list(lines)
    categories = {product.category_id for product, _quantity, _unit in lines}
    category_id = subject.product.category_id if subject.product else (
        categories.pop() if len(categories) == 1 else None)
    inquiry = Inquiry(
        reference=f"TMP-{form_token[:16]}", tracking_token=secrets.token_urlsafe(32), form_token=form_token,
        status=InquiryStatus.NEW, locale=locale, category_id=category_id, **values,
    )
    if lines:
        for product, quantity, unit in lines:
            inquiry.items.append(InquiryItem(product_id=product.id, producer_id=product.producer_id,
                                             quantity=quantity, unit=unit))
    elif subject.product is not None:
        inquiry.items.append(InquiryItem(product_id=subject.product.id, producer_id=subject.producer.id))
    elif subject.producer is not None:
        inquiry.items.append(InquiryItem(producer_id=subject.producer.id))
    inquiry.events.append(InquiryEvent(kind="status", to_status=str(InquiryStatus.NEW),
                                       visibility=EventVisibility.BUYER, by_buyer=True))
    inquiry.buyer_company = _buyer_company(values["company"], values.get("company_id_number", ""))
    db.session.add(inquiry)
    try:
        db.session.flush()
    except IntegrityError:
        # Two copies of the same form raced and the other one was stored first. This is the
        # request's first write, so rolling back loses nothing of this request.
        db.session.rollback()
        existing = db.session.scalar(select(Inquiry).where(Inquiry.form_token == form_token))
        if existing is None:
            raise
        raise DuplicateSubmission(existing) from None
    inquiry.reference = f"INQ-{clock.today().year}-{inquiry.id:06d}"
    db.session.flush()
    outbox.queue_email(inquiry.email, "inquiry_received", locale=locale, inquiry=inquiry,
                       url=outbox.site_url("inquiries.track", token=inquiry.tracking_token))
    return inquiry


def company_key(name: str, id_number: str) -> str:
    digits = "".join(ch for ch in id_number or "" if ch.isdigit())
    return f"id:{digits}" if len(digits) >= 13 else "name:" + " ".join(name.lower().split())[:170]


def _buyer_company(name: str, id_number: str):
    """The company a buyer writes for, found again by NIB/NPWP (or name) so a verification carries over."""
    from marketplace.models import BuyerCompany

    key = company_key(name, id_number)
    company = db.session.scalar(select(BuyerCompany).where(BuyerCompany.key == key))
    if company is None:
        company = BuyerCompany(key=key, name=name[:160], id_number=(id_number or "")[:30])
        db.session.add(company)
        try:
            db.session.flush()  # the request's first write: nothing else is pending yet
        except IntegrityError:  # created a moment ago by a parallel request
            db.session.rollback()
            company = db.session.scalar(select(BuyerCompany).where(BuyerCompany.key == key))
    return company


def verify_company(inquiry: Inquiry, actor: User) -> None:
    company = inquiry.buyer_company
    if company is not None and company.verified_at is None:
        company.verified_at, company.verified_by_id = utcnow(), actor.id
        audit.record("buyer_company.verified", company, actor=actor, data={"name": company.name})


def set_agreement(inquiry: Inquiry, agreement_id: int | None, actor: User) -> None:
    """Tag the inquiry with the cooperation agreement it falls under; its contracts made later carry it, and those
    already made follow it unless someone chose theirs on the contract."""
    inquiry.agreement_id = agreement_id
    for contract in inquiry.contracts:
        if not contract.agreement_chosen:
            contract.agreement_id = agreement_id
    audit.record("inquiry.agreement_set", inquiry, actor=actor, data={"agreement_id": agreement_id})


def agreements():
    from marketplace.models import Agreement

    return list(db.session.scalars(select(Agreement).order_by(Agreement.starts_on.desc(), Agreement.id.desc())))


def by_token(token: str) -> Inquiry | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Inquiry).where(Inquiry.tracking_token == token))


def buyer_timeline(inquiry: Inquiry) -> list[InquiryEvent]:
    """What the buyer may read: never internal notes, never what was said to producers."""
    return [e for e in inquiry.events if e.visibility == EventVisibility.BUYER]


def buyer_message(inquiry: Inquiry, body: str) -> None:
    inquiry.events.append(InquiryEvent(kind="message", visibility=EventVisibility.BUYER, body=body, by_buyer=True))


def workflow_allowed(obj, name: str, guards: bool = True) -> bool:
    """May the holder of the tracking link apply this transition of the record's table now?"""
    from marketplace.core.workflow import workflow_for

    return workflow_for(obj).allowed(name, obj, policies.BUYER, guards=guards)


def cancel(inquiry: Inquiry, reason: str) -> None:
    workflow.apply("cancel", inquiry, policies.BUYER, reason)


# ---------------------------------------------------------------- the facilitator's side

@dataclass(frozen=True)
class QueueFilters:
    status: str | None = None
    category_id: int | None = None
    owner: str | None = None  # "me" | "unassigned"
    buyer_type: str | None = None
    q: str = ""
    before: int | None = None  # keyset: inquiries with a smaller id
    since: date | None = None
    until: date | None = None


def queue(user: User, filters: QueueFilters, limit: int | None = QUEUE_PAGE) -> tuple[list[Inquiry], int | None]:
    """Newest first, one page at a time (keyset on id); returns (rows, id to continue before).
    `limit=None` returns every matching row (exports)."""
    # What each row shows, in the same statement: who holds it, whether the company is verified, how many lines.
    lines = (select(func.count(InquiryItem.id)).where(InquiryItem.inquiry_id == Inquiry.id,
                                                      InquiryItem.quantity.is_not(None))
             .correlate(Inquiry).scalar_subquery())
    stmt = select(Inquiry).options(joinedload(Inquiry.assigned_to), joinedload(Inquiry.buyer_company),
                                   with_expression(Inquiry.line_count, lines))
    if filters.status == "open":
        stmt = stmt.where(Inquiry.status.in_([str(s) for s in OPEN]))
    elif filters.status:
        stmt = stmt.where(Inquiry.status == filters.status)
    if filters.category_id:
        stmt = stmt.where(Inquiry.category_id == filters.category_id)
    if filters.owner == "me":
        stmt = stmt.where(Inquiry.assigned_to_id == user.id)
    elif filters.owner == "unassigned":
        stmt = stmt.where(Inquiry.assigned_to_id.is_(None))
    if filters.buyer_type:
        stmt = stmt.where(Inquiry.buyer_type == filters.buyer_type)
    if filters.q:
        like = like_pattern(filters.q)
        stmt = stmt.where(or_(func.lower(Inquiry.reference).like(like, escape="\\"),
                              func.lower(Inquiry.company).like(like, escape="\\")))
    if filters.since:
        stmt = stmt.where(Inquiry.created_at >= clock.day_start(filters.since))
    if filters.until:
        stmt = stmt.where(Inquiry.created_at < clock.day_start(filters.until + timedelta(days=1)))
    if filters.before:
        stmt = stmt.where(Inquiry.id < filters.before)
    stmt = stmt.order_by(Inquiry.id.desc())
    if limit is None:
        return list(db.session.scalars(stmt)), None
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


def waiting_too_long(inquiry: Inquiry) -> bool:
    """A new inquiry nobody has answered within one working day (the BUMD's first-response target)."""
    return inquiry.status == InquiryStatus.NEW and clock.now() > clock.one_working_day_after(inquiry.created_at)


def claim(inquiry_id: int, facilitator: User) -> Inquiry:
    """Take an unassigned inquiry. Of two facilitators claiming at once exactly one wins: the engine's
    conditional UPDATE (… WHERE status = 'new' AND assigned_to_id IS NULL) writes the owner with the status,
    and its row count says who won."""
    inquiry = db.session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise TransitionNotAllowed("unknown", "claim")
    try:
        workflow.apply("claim", inquiry, facilitator, values={
            "assigned_to_id": facilitator.id,
            "first_response_at": func.coalesce(Inquiry.first_response_at, utcnow()),
        })
    except TransitionConflict:
        raise
    except TransitionNotAllowed as refused:
        if refused.code in ("state", "taken"):  # someone else claimed it (or decided it) first
            raise TransitionConflict("claim") from None
        raise
    return inquiry


CLAIM_NEXT_TRIES = 10


def claim_next(facilitator: User) -> Inquiry | None:
    """Take the new inquiry that has waited longest and nobody holds; None when none is waiting.

    Facilitators pressing at the same moment get different inquiries. On PostgreSQL the candidate row is
    locked with FOR UPDATE SKIP LOCKED, so the others pass over it to the next one. On SQLite the claim
    itself is `claim`'s conditional UPDATE, which only one of them wins; the others look again (their
    UPDATE took the write lock, so they now see the winner's claim)."""
    candidates = (select(Inquiry.id)
                  .where(Inquiry.status == str(InquiryStatus.NEW), Inquiry.assigned_to_id.is_(None))
                  .order_by(Inquiry.id).limit(1).with_for_update(skip_locked=True))  # SQLite leaves it out
    for _ in range(CLAIM_NEXT_TRIES):
        inquiry_id = db.session.scalar(candidates)
        if inquiry_id is None:
            return None
        try:
            return claim(inquiry_id, facilitator)
        except TransitionConflict:
            continue
    return None


def reassign(inquiry: Inquiry, to: User | None, actor: User) -> None:
    """Hand over to another facilitator, or back to the pool (None)."""
    inquiry.assigned_to = to
    audit.record("inquiry.reassigned" if to else "inquiry.unassigned", inquiry, actor=actor,
                 data={"to": to.id if to else None})


def add_note(inquiry: Inquiry, author: User, body: str, kind: str = "note") -> None:
    """An internal note, or the record of a meeting (kind="meeting"); neither is shown to the buyer."""
    inquiry.events.append(InquiryEvent(kind="meeting" if kind == "meeting" else "note",
                                       visibility=EventVisibility.INTERNAL, body=body, author_id=author.id))


def message_buyer(inquiry: Inquiry, author: User, body: str) -> None:
    inquiry.events.append(InquiryEvent(kind="message", visibility=EventVisibility.BUYER, body=body, author_id=author.id))
    inquiry.first_response_at = inquiry.first_response_at or utcnow()
    outbox.queue_email(inquiry.email, "inquiry_message", locale=inquiry.locale, inquiry=inquiry, body=body,
                       url=outbox.site_url("inquiries.track", token=inquiry.tracking_token))


def decide(inquiry: Inquiry, name: str, actor: User, reason: str) -> None:
    """decline or mark_spam, with the reason; a declined buyer is told why (the workflow's `tell_buyer`)."""
    workflow.apply(name, inquiry, actor, reason)


REQUEST_FIELDS = ("quantity", "unit", "frequency", "periods", "starts_on")


def request_volume(inquiry: Inquiry) -> dict:
    """What the inquiry asks for, as stored in a correction's before/after (dates as ISO text)."""
    return {"quantity": inquiry.quantity, "unit": inquiry.unit, "frequency": inquiry.frequency,
            "periods": inquiry.periods, "starts_on": inquiry.starts_on.isoformat() if inquiry.starts_on else None}


def correct_request(inquiry: Inquiry, values: dict, reason: str, actor: User) -> bool:
    """The facilitator corrects the quantity, unit, period, duration or start the buyer asked for, with a reason:
    an audit row, and a line of the buyer's timeline saying before → after. False when nothing changed."""
    if not (reason or "").strip():
        raise ValueError("reason required")
    if values.get("frequency") == "once":
        values = {**values, "periods": 1}
    before = request_volume(inquiry)
    for name in REQUEST_FIELDS:
        setattr(inquiry, name, values[name])
    after = request_volume(inquiry)
    if after == before:
        return False
    audit.record("inquiry.request_corrected", inquiry, actor=actor, note=reason,
                 data={"before": before, "after": after})
    inquiry.events.append(InquiryEvent(kind="correction", visibility=EventVisibility.BUYER, author_id=actor.id,
                                       body=reason, data={"before": before, "after": after, "reason": reason}))
    return True


def facilitators() -> list[User]:
    from marketplace.models import Role

    return list(db.session.scalars(
        select(User).where(User.role.in_([str(Role.FACILITATOR), str(Role.ADMIN)]), User.active.is_(True))
        .order_by(User.name, User.email)
    ))


# ---------------------------------------------------------------- forwarding and aggregation

@dataclass
class Suggestion:
    producer: Producer
    product: Product
    responsiveness: float | None  # share of forwards answered, None when never asked
    median_hours: float | None
    to_request: float = 1.0  # one unit of the listing in the request's unit (20 karung of 50 kg = 1 ton)
    spare: float | None = None  # spare capacity in every month asked, in the request's unit (trade/capacity.py)
    price: float | None = None  # the listing's lowest price per request unit, None when on request
    grade_match: bool = True  # the grade (or variety) asked for, or none was asked (trade/plan.requested_grade)
    named: bool = False  # a listing the buyer named in a line of the request (trade/plan.line_plan)

    @property
    def capacity(self) -> float:
        """Monthly capacity in the request's unit."""
        return self.product.monthly_capacity * self.to_request

    @property
    def min_order(self) -> float:
        """Minimum order in the request's unit."""
        return self.product.min_order_qty * self.to_request

    @property
    def committed(self) -> float | None:
        """What active contracts already take in the tightest month asked, in the request's unit."""
        return None if self.spare is None else max(0.0, self.capacity - self.spare)


def responsiveness(producer_ids: list[int]) -> dict[int, tuple[float | None, float | None]]:
    """Per producer: (share of forwarded inquiries answered, median hours to answer)."""
    from marketplace.models import Allocation

    rows = db.session.execute(
        select(Allocation.producer_id, Allocation.status, Allocation.created_at, Allocation.responded_at)
        .where(Allocation.producer_id.in_(producer_ids or [-1]))
    ).all()
    by_producer: dict[int, list] = {}
    for row in rows:
        by_producer.setdefault(row.producer_id, []).append(row)
    result = {}
    for producer_id, items in by_producer.items():
        answered = [r for r in items if r.status != AllocationStatus.FORWARDED]
        hours = sorted((r.responded_at - r.created_at).total_seconds() / 3600 for r in answered if r.responded_at)
        result[producer_id] = (len(answered) / len(items), hours[len(hours) // 2] if hours else None)
    return result


def _price_per(product: Product, unit: str) -> float | None:
    if product.price_on_request or product.price_min is None:
        return None
    try:
        return units.price_in(product.price_min, product.unit, unit, product.kg_per_unit)
    except units.UnitMismatch:
        return None


RANK_TIES = 200  # at most this many producers tied at the last place shown have their answers read


class _Ranked:
    """A producer's best listing for a request, as `_ranking` read it: what `suggestions` orders before loading the
    shown ones."""

    def __init__(self, row):
        self.row = row
        self.to_request, self.spare = float(row.to_request), float(row.spare or 0.0)
        self.named, self.grade_match = bool(row.named), bool(row.grade_match)

    def rank(self, quantity: float) -> tuple:
        return (not self.named, not self.grade_match, not self.row.curated, -self.spare,
                self.row.min_order_qty * self.to_request > quantity)


def _ranking(inquiry: Inquiry, among, named: set[int], grade: str, months, limit: int):
    """Each producer's best published listing among `among` that converts to the request's unit (the named one,
    then the requested grade, then the most spare capacity in the tightest month asked), the most fitting
    producers first, `limit` of them: read by the database from the listings' columns, for a commodity may have
    tens of thousands of listings."""
    from marketplace.trade import capacity, plan

    to_request = units.factor_sql(Product.unit, Product.kg_per_unit, inquiry.unit)
    taken, spare = capacity.spare_sql(months, among)
    spare = spare * to_request
    is_named = case((Product.id.in_(named), 1), else_=0) if named else literal(0)
    if grade:
        grades = db.session.scalars(select(Product.grade).where(among).distinct()).all()
        matches = [g for g in grades if plan.is_grade(g, grade)]
        grade_match = case((Product.grade.in_(matches), 1), else_=0) if matches else literal(0)
    else:
        grade_match = literal(1)
    best = (
        select(Product.id, Product.producer_id, Product.min_order_qty, Producer.curated,
               to_request.label("to_request"), spare.label("spare"), is_named.label("named"),
               grade_match.label("grade_match"),
               func.row_number().over(partition_by=Product.producer_id,
                                      order_by=(is_named.desc(), grade_match.desc(), spare.desc(), Product.id))
               .label("n"))
        .join(Product.producer).outerjoin(taken, taken.c.product_id == Product.id)
        .where(among, Product.status == PublicationStatus.PUBLISHED, Producer.status == PublicationStatus.PUBLISHED,
               to_request.is_not(None))
        .subquery()
    )
    return (select(best).where(best.c.n == 1)
            .order_by(best.c.named.desc(), best.c.grade_match.desc(), best.c.curated.desc(), best.c.spare.desc(),
                      case((best.c.min_order_qty * best.c.to_request > inquiry.quantity, 1), else_=0), best.c.id)
            .limit(limit))


def suggestions(inquiry: Inquiry, limit: int = 12) -> list[Suggestion]:
    """Producers with a published product of the inquiry's commodity in a unit that converts to the request's
    (core/units.py), one listing each, the most fitting first: the requested grade (trade/plan.requested_grade),
    then curated, then spare capacity in the months asked, then a minimum order the request can meet, then how
    reliably they answer. Figures are in the request's unit.

    A request with lines (one per listing the buyer named) has those listings first, each its producer's listing,
    whatever their commodity."""
    from marketplace.catalog import cache as catalog_cache
    from marketplace.trade import version

    if inquiry.category_id is None and not any(line.product_id is not None for line in inquiry.lines):
        return []
    if version.pending() or db.session.new or db.session.dirty:  # changes no other session sees: not kept
        ranked = _ranked(inquiry, limit)
    else:  # kept per catalog and trade version (a change of the request itself is a trade write) and Metro's day
        catalog_version, trade_version = version.versions()
        ranked = catalog_cache.cached(("suggestions", inquiry.id, trade_version, clock.today(), limit),
                                      lambda: _ranked(inquiry, limit, catalog_version), catalog_version)
    products = {p.id: p for p in db.session.scalars(
        select(Product).where(Product.id.in_([r.product_id for r in ranked]))
        .options(selectinload(Product.producer).selectinload(Producer.accounts), selectinload(Product.certificates))
    )}
    return [Suggestion(products[r.product_id].producer, products[r.product_id], r.responsiveness, r.median_hours,
                       to_request=r.to_request, spare=r.spare, price=_price_per(products[r.product_id], inquiry.unit),
                       grade_match=r.grade_match, named=r.named)
            for r in ranked if r.product_id in products]


@dataclass(frozen=True)
class _Suggested:
    """A suggestion as plain values, kept between requests: the listing, and how it was weighed."""

    product_id: int
    to_request: float
    spare: float
    grade_match: bool
    named: bool
    responsiveness: float | None
    median_hours: float | None


def _ranked(inquiry: Inquiry, limit: int, catalog_version: int | None = None) -> list[_Suggested]:
    """The suggestions as plain values. With `catalog_version`, the database's ranking is kept under it for
    requests of the same shape (commodity, named listings, unit, quantity, months, grade): it reads only listings
    and what contracts commit, which bump the catalog version, so another buyer's request, a forward or an answer
    (trade writes) leave it be; only the answering rates, read for the few producers ranked, follow them. At
    1,000,000 listings the ranking takes half a second for rice."""
    from marketplace.catalog import cache as catalog_cache
    from marketplace.trade import capacity, plan

    category_id = inquiry.category_id
    named = {line.product_id for line in inquiry.lines if line.product_id is not None}
    among = [Product.category_id == category_id] if category_id is not None else []
    if named:
        among.append(Product.id.in_(named))
    months = capacity.request_months(inquiry)  # spare_sql reads this month when none
    grade = plan.requested_grade(inquiry)

    def ranking() -> list:
        return db.session.execute(_ranking(inquiry, or_(*among), named, grade, months, limit + RANK_TIES)).all()

    if catalog_version is None:
        rows = ranking()
    else:
        shape = (category_id, frozenset(named), inquiry.unit, inquiry.quantity, tuple(months), grade)
        rows = catalog_cache.cached(("ranking", shape, limit + RANK_TIES, clock.today()), ranking, catalog_version)
    ranked = [_Ranked(row) for row in rows]
    if len(ranked) > limit:  # the last key, how reliably they answer, is read for the places left to decide
        cut = ranked[limit - 1].rank(inquiry.quantity)
        ranked = [r for r in ranked if r.rank(inquiry.quantity) <= cut]
    answers = responsiveness([r.row.producer_id for r in ranked])

    def answering(r: _Ranked) -> float:
        share = answers.get(r.row.producer_id, (None, None))[0]
        return -(share if share is not None else 0.5)

    ranked = sorted(ranked, key=lambda r: (r.rank(inquiry.quantity), answering(r)))[:limit]
    return [_Suggested(r.row.id, r.to_request, r.spare, r.grade_match, r.named,
                       *answers.get(r.row.producer_id, (None, None)))
            for r in ranked]


# ---------------------------------------------------------------- who is told of a forward

@dataclass(frozen=True)
class Notice:
    """How a producer hears of a forward: e-mail to its active accounts (the outbox sends it), a WhatsApp message
    the facilitator sends by hand (`url` opens it, ready), or nobody."""

    how: str  # "email" | "whatsapp" | "nobody"
    accounts: int = 0
    url: str = ""


def forward_message(inquiry: Inquiry, producer: Producer, quantity: float | None = None,
                    unit: str | None = None) -> str:
    """The request as a message to a producer without an account: what, how much per period, for how long, where.
    Written in Indonesian, the language of Metro's producers, whatever the facilitator's screen shows."""
    from flask_babel import force_locale

    from marketplace.core.formatting import delivery_city_label, volume_phrase

    with force_locale("id"):
        volume = volume_phrase(inquiry.quantity if quantity is None else quantity,
                               inquiry.unit if quantity is None else (unit or inquiry.unit),
                               inquiry.frequency, inquiry.periods, inquiry.starts_on)
        return _("Halo %(name)s, Fasilitator BUMD Etalase Metro menawarkan permintaan %(reference)s kepada Anda: "
                 "%(product)s %(volume)s, dikirim ke %(city)s. Bila sanggup, mohon balas pesan ini dengan jumlah, "
                 "harga per satuan, dan waktu penyiapan. Terima kasih.",
                 name=producer.name, reference=inquiry.reference, product=requested_product_name(inquiry),
                 volume=volume, city=delivery_city_label(inquiry.delivery_city)).replace("  ", " ")


def requested_product_name(inquiry: Inquiry) -> str:
    from marketplace.trade import plan

    listing = plan.requested_listing(inquiry)
    if listing is not None:
        return listing.name
    if inquiry.category_id:
        from marketplace.models import Category

        category = db.session.get(Category, inquiry.category_id)
        if category is not None:
            return category.name("id")
    return ""


def who_is_told(inquiry: Inquiry, producer: Producer, quantity: float | None = None,
                unit: str | None = None) -> Notice:
    """How `producer` would hear of a forward of `quantity` `unit` (the listing's unit) of this request."""
    from urllib.parse import quote

    from marketplace.core.formatting import whatsapp_url

    active = [account for account in producer.accounts if account.active]
    if active:
        return Notice("email", accounts=len(active))
    if producer.phone:
        text = forward_message(inquiry, producer, quantity, unit)
        return Notice("whatsapp", url=f"{whatsapp_url(producer.phone)}?text={quote(text, safe='')}")
    return Notice("nobody")


def in_request_unit(share, inquiry: Inquiry) -> float:
    """A share's quantity in the request's unit (a share is asked in its listing's unit)."""
    unit = share.unit or inquiry.unit
    kg_per_unit = share.product.kg_per_unit if share.product is not None else None
    return units.convert(share.requested_qty, unit, inquiry.unit, kg_per_unit)


def coverage(inquiry: Inquiry) -> float:
    """Share of the requested quantity already forwarded (1.0 = fully covered by the producers asked)."""
    forwarded = sum(in_request_unit(a, inquiry) for a in inquiry.allocations if a.status != AllocationStatus.DECLINED)
    return forwarded / inquiry.quantity if inquiry.quantity else 0.0


def forward(inquiry: Inquiry, shares: list[tuple[int, float]], release_contact: bool, actor: User) -> None:
    """Forward to one or several producers with a quantity each, typed in the request's unit and asked of each
    producer in the unit of its listing (the suggested one); producers are told through the outbox."""
    from marketplace.models import Allocation

    if not shares:
        raise ValueError("no producer")
    listings = {s.producer.id: s for s in suggestions(inquiry, limit=10_000)}
    producers = {p.id: p for p in db.session.scalars(
        select(Producer).where(Producer.id.in_([pid for pid, _ in shares]), Producer.status == PublicationStatus.PUBLISHED)
    )}
    existing = {a.producer_id: a for a in inquiry.allocations}
    workflow.apply("forward", inquiry, actor)
    for producer_id, quantity in shares:
        producer = producers.get(producer_id)
        if producer is None:
            continue
        share = existing.get(producer_id)
        suggestion = listings.get(producer_id)
        if suggestion is not None:
            product, unit, asked = suggestion.product, suggestion.product.unit, quantity / suggestion.to_request
        else:  # asked before, its listing gone from the suggestions: keep the unit it was asked in
            product = share.product if share else None
            unit = (share.unit if share else "") or inquiry.unit
            asked = units.convert(quantity, inquiry.unit, unit, product.kg_per_unit if product else None)
        asked = round(asked, 3)
        release = release_contact or bool(share and share.contact_released)
        if share is None:  # born forwarded; its producer is told (allocation.birth_effects)
            allocation_workflow.create(Allocation(producer_id=producer_id, producer=producer, requested_qty=asked,
                                                  unit=unit, product_id=product.id if product else None,
                                                  product=product, contact_released=release),
                                       actor, attach=inquiry.allocations.append)
        else:
            allocation_workflow.apply("reforward", share, actor,
                                      values={"requested_qty": asked, "unit": unit, "contact_released": release,
                                              "product_id": product.id if product else None})
        inquiry.events.append(InquiryEvent(
            kind="forward", visibility=EventVisibility.INTERNAL, author_id=actor.id,
            body=f"{producer.name}: {asked:g} {unit}",
            data={"producer": producer.name, "quantity": asked, "unit": unit},
        ))
    db.session.flush()


def allocations_for(producer: Producer) -> list:
    from marketplace.models import Allocation

    return list(db.session.scalars(
        select(Allocation).where(Allocation.producer_id == producer.id)
        .options(selectinload(Allocation.inquiry)).order_by(Allocation.id.desc())
    ))


def answer(allocation, actor: User, accept: bool, offered_qty: float | None = None, price: int | None = None,
           lead_time_days: int | None = None, note: str = "", unit: str | None = None, valid_until: date | None = None,
           terms: str | None = None) -> None:
    """The producer offers (a quantity per period in `unit`, the forwarded unit unless another is chosen; a price
    per that unit; a lead time; how long the offer holds; the delivery terms) or declines with a reason, written
    with the status; the facilitator reads it in the timeline and the inquiry moves to `responded`."""
    if accept:
        allocation_workflow.apply("offer", allocation, actor, values=_offer_values(
            allocation, offered_qty, price, lead_time_days, note, unit, valid_until, terms))
    else:
        allocation_workflow.apply("decline", allocation, actor, note, values={
            "offered_qty": None, "offered_unit": None, "offered_price": None, "lead_time_days": None,
            "note": note, "responded_at": utcnow()})


def revise_offer(allocation, actor: User, offered_qty: float, price: int, lead_time_days: int | None = None,
                 note: str = "", unit: str | None = None, valid_until: date | None = None,
                 terms: str | None = None) -> None:
    """A new version of the producer's offer, until the facilitator has quoted it (the workflow's guard)."""
    allocation_workflow.apply("revise", allocation, actor, values=_offer_values(
        allocation, offered_qty, price, lead_time_days, note, unit, valid_until, terms))


def withdraw_offer(allocation, actor: User, reason: str = "") -> None:
    """The producer takes the offer back, until the facilitator has quoted it; the facilitator may forward again."""
    allocation_workflow.apply("withdraw", allocation, actor, reason)


OFFER_VALIDITY_DAYS = 14


def _offer_values(allocation, offered_qty, price, lead_time_days, note, unit, valid_until, terms) -> dict:
    unit = unit or allocation.unit or allocation.inquiry.unit
    if not units.convertible(unit, allocation.unit or allocation.inquiry.unit, _kg_per_unit(allocation)):
        raise units.UnitMismatch(unit, allocation.unit)
    return {"offered_qty": offered_qty, "offered_unit": unit, "offered_price": price,
            "lead_time_days": lead_time_days, "note": note, "terms": terms or None,
            "offer_valid_until": valid_until or clock.today() + timedelta(days=OFFER_VALIDITY_DAYS),
            "responded_at": utcnow()}


def _kg_per_unit(allocation) -> float | None:
    return allocation.product.kg_per_unit if allocation.product else None


def offer_units(allocation) -> list[str]:
    """The units a producer may offer a share in: those that convert with the unit it was asked in."""
    from marketplace.core.vocab import UNITS

    asked = allocation.unit or allocation.inquiry.unit
    return [u for u in UNITS if units.convertible(u, asked, _kg_per_unit(allocation))]


@dataclass(frozen=True)
class OfferWarning:
    """An offer the producer may still send once confirmed: `code` (above_asked, below_moq, above_spare) and
    the figure it was compared with, in the offer's unit."""

    code: str
    limit: float
    unit: str


def offer_warnings(allocation, quantity: float, unit: str) -> list[OfferWarning]:
    """More than asked, less than the listing's minimum order, more than its spare capacity in the months the
    request asks deliveries in: each compared in one unit (core/units.py) and said in the offer's unit."""
    from marketplace.trade import capacity

    asked_unit = allocation.unit or allocation.inquiry.unit
    kg = _kg_per_unit(allocation)
    into = units.factor(unit, asked_unit, kg)  # UnitMismatch for a unit that does not convert
    warnings = []
    if quantity * into > allocation.requested_qty * (1 + 1e-9):
        warnings.append(OfferWarning("above_asked", allocation.requested_qty / into, unit))
    product = allocation.product
    if product is not None:
        in_listing = units.convert(quantity, unit, product.unit, kg)
        back = units.factor(product.unit, unit, kg)
        if product.min_order_qty and in_listing < product.min_order_qty * (1 - 1e-9):
            warnings.append(OfferWarning("below_moq", product.min_order_qty * back, unit))
        if product.monthly_capacity:
            spare = capacity.spare_over([product], capacity.request_months(allocation.inquiry)).get(product.id)
            if spare is not None and in_listing > spare * (1 + 1e-9):
                warnings.append(OfferWarning("above_spare", spare * back, unit))
    return warnings


def offer_refusal(allocation, actor: User) -> str | None:
    """Why the producer can no longer change a sent offer ("quoted"), or None while it can (or was not sent)."""
    if str(allocation.status) != AllocationStatus.ACCEPTED:
        return None
    try:
        allocation_workflow.check("revise", allocation, actor)
    except TransitionNotAllowed as refused:
        return refused.code
    return None


def advance(inquiry: Inquiry, name: str, actor: User) -> None:
    """negotiate, agree or close; the buyer hears about agreement and closing (the workflow's `tell_buyer`)."""
    workflow.apply(name, inquiry, actor)
