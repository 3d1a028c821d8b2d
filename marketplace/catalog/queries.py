"""Which rows the public pages show: catalog queries, facets, capacity totals."""
from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass, replace
from datetime import date
from typing import Any, ClassVar, Self

from flask import g
from sqlalchemy import Select, and_, exists, func, or_, select, true, tuple_
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.core.text import like_pattern
from marketplace.models import (
    Category,
    Certificate,
    CertificateStatus,
    Contract,
    ContractMonth,
    ContractStatus,
    Photo,
    PriceTier,
    Producer,
    Product,
    PublicationStatus,
    product_certificate,
)
from marketplace.catalog import cache as catalog_cache, search
from marketplace.core.vocab import MASS_IN_KG
from marketplace.listings import fields, specs

PUBLISHED = PublicationStatus.PUBLISHED
SORTS = ("relevance", "capacity", "newest", "price_asc", "price_desc", "price_per_kg", "moq")
MAX_PAGE = 10_000


class ListQuery:
    """A public list's query, as its GET form read it (catalog/forms.py): the search words, the page and one
    attribute per declared filter (marketplace/listings/fields.py), None or False when not given. Frozen and
    hashable: the catalog's caches are keyed on it."""

    declared: ClassVar[tuple[fields.Filter, ...]] = ()

    def narrowing(self) -> dict[str, Any]:
        """The declared filters given, by parameter (a filter is given when its value is not empty, zero or off)."""
        return {f.param: getattr(self, f.param) for f in self.declared if getattr(self, f.param)}

    def active(self) -> bool:
        return bool(self.q or self.narrowing())

    def without(self, **values) -> Self:
        return replace(self, **values)

    def to_args(self, **override) -> dict:
        """Query-string arguments for a link, leaving out defaults: a switch that is on is '1', a whole number
        has no '.0'."""
        values = {"q": self.q, **{f.param: getattr(self, f.param) for f in self.declared}}
        values.update({name: getattr(self, name) for name in ("sort", "page", "exact") if hasattr(self, name)})
        values.update(override)
        if values.get("page") == 1:
            values.pop("page")
        args = {}
        for name, value in values.items():
            if value is True:
                value = "1"
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            if value not in (None, "", False):
                args[name] = value
        return args


@dataclass(frozen=True)
class ListBase(ListQuery):
    q: str = ""
    page: int = 1


@dataclass(frozen=True)
class CatalogBase(ListBase):
    sort: str = "capacity"
    exact: bool = False  # search the words as typed: no typo correction


def with_filters(name: str, base: type[ListQuery], declared: list[fields.Filter], module: str = __name__) -> type:
    """`base` with one attribute per declared filter: False for a switch, None for the others."""
    attributes = [(f.param, Any, field(default=False if f.schema["type"] == "boolean" else None))
                  for f in declared]
    cls = make_dataclass(name, attributes, bases=(base,), frozen=True, namespace={"declared": tuple(declared)})
    cls.__module__ = module
    return cls


CatalogFilters = with_filters("CatalogFilters", CatalogBase, fields.filters_for("products"))
CatalogFilters.__doc__ = "The catalog's query string, read by catalog.forms.ProductListArgs."
ProducerFilters = with_filters("ProducerFilters", ListBase, fields.filters_for("producers"))
ProducerFilters.__doc__ = "The producer directory's query string, read by catalog.forms.ProducerListArgs."


@dataclass
class CatalogPage:
    filters: CatalogFilters
    items: list[Product]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    searched_for: str | None = None  # the words searched instead of a mistyped query ("showing results for …")

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def card_options():
    """Everything a product card shows, loaded in a fixed number of queries whatever the number of cards."""
    return (
        contains_eager(Product.producer),
        selectinload(Product.photos),
        selectinload(Product.certificates),
        selectinload(Product.price_tiers),
    )


def public_products() -> Select:
    return (
        select(Product)
        .join(Product.producer)
        .where(Product.status == PUBLISHED, Producer.status == PUBLISHED)
    )


def _valid_cert_exists(kind: str | None, today: date, verified: bool = False):
    """The listing names a certificate valid today (not expired; an expired one never counts, whatever its
    verification), of this kind (any, for None), and with `verified` one a moderator verified."""
    return exists(
        select(1)
        .select_from(product_certificate.join(Certificate))
        .where(product_certificate.c.product_id == Product.id, *_cert_counts(today, verified),
               *([Certificate.kind == kind] if kind else []))
    )


def _cert_counts(today: date, verified: bool) -> list:
    """The certificates the catalog's filter counts: valid today, and verified when asked."""
    return [or_(Certificate.valid_until.is_(None), Certificate.valid_until >= today),
            *([Certificate.status == str(CertificateStatus.VERIFIED)] if verified else [])]


def _category_ids(slug: str) -> list[int]:
    """The category and its children; read once per request (the count and facet queries all need it)."""
    memo = g.setdefault("category_ids", {})
    if slug not in memo:
        cats = db.session.execute(select(Category.id, Category.slug, Category.parent_id)).all()
        root = next(c.id for c in cats if c.slug == slug)
        memo[slug] = [root] + [c.id for c in cats if c.parent_id == root]
    return memo[slug]


_MODELS = {"product": Product, "producer": Producer}


def short_this_month(value: float, today: date):
    """The listings whose active contracts leave less than `value` spare in today's calendar month, in their own
    unit: capacity − sum(contract month rows' listing_quantity) < value. Uncorrelated, so the database sums this
    month's few contract rows once (index on month) instead of once per listing of a 100,000-listing catalog; the
    same commitments trade/capacity.committed reads for a few listings at a time."""
    committed = func.sum(ContractMonth.listing_quantity)
    listing = aliased(Product)  # its own, not the outer query's
    return (
        select(ContractMonth.product_id)
        .join(Contract, Contract.id == ContractMonth.contract_id)
        .join(listing, listing.id == ContractMonth.product_id)
        .where(ContractMonth.month == date(today.year, today.month, 1), ContractMonth.product_id.is_not(None),
               ContractMonth.listing_quantity.is_not(None), Contract.status == str(ContractStatus.ACTIVE))
        .group_by(ContractMonth.product_id, listing.monthly_capacity)
        .having(listing.monthly_capacity - committed < value)
    )


def _spare_at_least(value: float, today: date):
    """Spare capacity this month ≥ value: the capacity itself is at least that (an indexed bound), and the listing
    is not one whose contracts leave less (a listing without contracts this month has all its capacity spare)."""
    return and_(Product.monthly_capacity >= value, Product.id.not_in(short_this_month(value, today)))


def _condition(f: fields.Filter, value: Any, today: date, filters=None):
    """The WHERE clause of one declared filter: as its declaration says (fields.Filter), a comparison of the column
    it is declared on; three parameters name something else than their column holds."""
    if f.param == "category":  # a slug, for the id column: the category and its sub-categories
        return Product.category_id.in_(_category_ids(value))
    if f.param == "cert":  # a certificate's kind: the listing holds one of that kind, valid today (verified if asked)
        return _valid_cert_exists(value, today, verified=bool(getattr(filters, "cert_verified", False)))
    if f.param == "cert_verified":  # with `cert`, that condition says it; alone: any kind, verified
        return true() if getattr(filters, "cert", None) else _valid_cert_exists(None, today, verified=True)
    if f.measure == "spare":
        return _spare_at_least(value, today)
    column = getattr(_MODELS[f.table], f.column or f.field_name)
    kind = f.schema["type"]
    if kind == "boolean":
        return column.is_(True)
    if kind in ("number", "integer"):
        return column >= value
    return column == value


def _filtered(filters: CatalogFilters, today: date) -> tuple[Select, object]:
    stmt, rank = search.apply(public_products(), filters.q, exact=filters.exact)
    for f in filters.declared:
        value = getattr(filters, f.param)
        if value:
            stmt = stmt.where(_condition(f, value, today, filters))
    return stmt, rank


def _order_by(sort: str, rank) -> tuple:
    orders = {
        "capacity": (Product.monthly_capacity.desc(),),
        "newest": (Product.published_at.desc(),),
        # The price a card shows: at the minimum order (not the deepest tier's); on request last.
        "price_asc": (Product.price_moq.is_(None), Product.price_moq.asc()),
        "price_desc": (Product.price_moq.is_(None), Product.price_moq.desc()),
        # Comparable across kg, kuintal, ton and weighed pieces; listings without a weight last. Ties oldest first:
        # the order is then the covering index's (ix_product_status_price_per_kg), NULLS LAST included on both
        # databases, so a page costs an index range, not a sort of every listing (100,000 on SQLite: 6 ms, not 110).
        "price_per_kg": (Product.price_per_kg.asc().nulls_last(), Product.id.asc()),
        "moq": (Product.min_order_qty.asc(),),
        "relevance": (rank,) if rank is not None else (Product.monthly_capacity.desc(),),
    }
    return orders[sort] if sort == "price_per_kg" else (*orders[sort], Product.id.desc())


def _order(stmt: Select, sort: str, rank) -> Select:
    return stmt.order_by(*_order_by(sort, rank))


DEFERRED_FROM = 240  # from page 11 on, the ids come first (deep OFFSET over a covering index), then the rows
RANKED_PAGES = 10  # relevance: the first pages of a search are ranked once per catalog version and worker
RANK_WINDOW = 20_000  # relevance: the newest listings looked at first for a search's first pages (_ranked_ids)
ANCHOR_EVERY = 240  # deep pages of the default order start from a known key at most this many rows before them


def _page_ids(stmt: Select, sort: str, rank, limit: int, offset: int) -> list[int]:
    """Only the ids, in order: the sort (or the deep OFFSET) runs over narrow rows from a covering index,
    and the full rows are read for the few ids returned."""
    return list(db.session.scalars(_order(stmt.with_only_columns(Product.id), sort, rank).limit(limit).offset(offset)))


def _ranked_ids(stmt: Select, rank, filters: CatalogFilters, limit: int) -> list[int]:
    """The first `limit` matches by relevance (rank, then newest first). A common word ("beras") is in
    thousands of listings' names, and those come first, newest first: they are looked for among the newest
    RANK_WINDOW listings, an index walk that stops at `limit` (at 1M listings 2 ms, where ranking all 200,000
    matches took 650). Only when fewer are there (a word mostly found elsewhere: a producer's name) is every
    match ranked. The same ids either way: any other match ranks below them or is older."""
    newest = db.session.scalar(select(Product.id).order_by(Product.id.desc()).offset(RANK_WINDOW).limit(1))
    if newest is not None:
        ids = list(db.session.scalars(
            stmt.with_only_columns(Product.id)
            .where(search.named(filters.q, filters.exact, newer_than=newest))
            .order_by(Product.id.desc()).limit(limit)))
        if len(ids) == limit:
            return ids
    return _page_ids(stmt, "relevance", rank, limit, 0)


def _anchor_keys(stmt: Select) -> list[tuple[float, int]]:
    """Every ANCHOR_EVERY-th key (capacity, id) of the default order, from the one at ANCHOR_EVERY on.
    Numbered by the database (a window function), so only the few hundred keys kept reach Python:
    fetching all 100,000 keys to keep every 240th grew each worker by 16 MB for good."""
    n = func.row_number().over(order_by=_order_by("capacity", None)).label("n")
    keys = stmt.with_only_columns(Product.monthly_capacity, Product.id, n).order_by(None).subquery()
    return [tuple(key) for key in db.session.execute(
        select(keys.c.monthly_capacity, keys.c.id).where(keys.c.n > 1, keys.c.n % ANCHOR_EVERY == 1).order_by(keys.c.n))]


def _deep_page_ids(stmt: Select, filters: CatalogFilters, today: date, current: int, rank, per_page: int,
                   offset: int) -> list[int]:
    """A page from page 11 on. In the default order (capacity, then id) it is found by keyset: the key at
    every 240th row is read once per catalog version and filter set, and the page starts from the nearest
    one before it, so page 200 skips fewer than 240 rows — as page 10 does — instead of 4,776. On a large
    catalog the keys are read behind the requests after a change; until then the page is found by OFFSET."""
    if filters.sort != "capacity":
        return _page_ids(stmt, filters.sort, rank, per_page, offset)
    anchors = catalog_cache.cached_or_behind(("anchors", filters.without(page=1), today),
                                             lambda: _anchor_keys(stmt), current)
    if anchors is None:  # being read behind the requests (a second at 1M listings): OFFSET over the index meanwhile
        return _page_ids(stmt, filters.sort, rank, per_page, offset)
    slot = min(offset // ANCHOR_EVERY, len(anchors))
    if slot == 0:
        return _page_ids(stmt, filters.sort, rank, per_page, offset)
    capacity, product_id = anchors[slot - 1]
    start = stmt.where(tuple_(Product.monthly_capacity, Product.id) <= tuple_(capacity, product_id))
    return _page_ids(start, filters.sort, rank, per_page, offset - slot * ANCHOR_EVERY)


def _load_cards(ids: list[int]) -> list[Product]:
    if not ids:
        return []
    rows = {p.id: p for p in db.session.scalars(public_products().where(Product.id.in_(ids)).options(*card_options()))}
    return [rows[i] for i in ids if i in rows]


def card_snapshot(product: Product) -> Product:
    """What a product card shows, copied into objects outside any session (as the benchmark's ceiling builds
    them): safe to keep between requests and to share between threads, never lazy-loading."""
    producer = product.producer
    return Product(
        id=product.id, slug=product.slug, name=product.name, name_en=product.name_en, unit=product.unit,
        kg_per_unit=product.kg_per_unit, price_on_request=product.price_on_request, price_min=product.price_min,
        price_moq=product.price_moq, price_per_kg=product.price_per_kg, price_basis=product.price_basis,
        min_order_qty=product.min_order_qty, monthly_capacity=product.monthly_capacity,
        producer=Producer(id=producer.id, slug=producer.slug, name=producer.name, kecamatan=producer.kecamatan,
                          curated=producer.curated),
        price_tiers=[PriceTier(min_qty=t.min_qty, price=t.price) for t in product.price_tiers],
        certificates=[Certificate(kind=c.kind, number=c.number, issuer=c.issuer, valid_until=c.valid_until,
                                  status=c.status) for c in product.certificates],
        photos=[Photo(key=p.key, position=p.position, width=p.width, height=p.height, alt=p.alt, live=p.live)
                for p in product.photos],
    )


def _cached_cards(ids: list[int], current: int | None = None) -> list[Product]:
    """Cards by id, from this worker's memory when known under the current catalog version (every change buyers
    can see bumps it), else loaded in one go and kept."""
    if not ids:
        return []
    current = catalog_cache.request_version() if current is None else current
    cards = catalog_cache.cached_many(
        "card", ids, lambda missing: {p.id: card_snapshot(p) for p in _load_cards(missing)}, current)
    return [cards[i] for i in ids if i in cards]


def search_products(filters: CatalogFilters, per_page: int, with_facets: bool = True,
                    cards: bool = False) -> CatalogPage:
    """One page of the catalog. `cards=True` (the HTML catalog) returns card snapshots kept per catalog version;
    without it (the API) the page's products are loaded as full, session-bound objects."""
    today = clock.today()
    current = g.catalog_version = catalog_cache.version()  # the search's lexicon is kept under it too
    stmt, rank = _filtered(filters, today)

    def counts() -> tuple[int, dict]:
        # Ranking is left out here: only the page of results below is ranked.
        total = db.session.scalar(stmt.with_only_columns(func.count(Product.id)).order_by(None))
        return total, (facet_counts(filters, today) if with_facets else {})

    # The total and the facets depend on the filters, not on the page or the order: computed once per
    # catalog version (every publish bumps it) and reused by this worker; on a large catalog, behind the requests
    # (catalog_cache.cached_behind: the list itself is always the current version's).
    key = filters.without(page=1, sort="capacity")
    total, facets = catalog_cache.cached_behind(("counts", key, today, with_facets), counts, current)[0]
    page = min(filters.page, max(1, -(-total // per_page)))
    offset = (page - 1) * per_page
    if rank is not None and filters.sort == "relevance" and page <= RANKED_PAGES:
        # Ranking cost grows with the number of matches, and the queries matching thousands of listings
        # ("beras") are the common ones: their first pages are ranked once per catalog version.
        ranked = catalog_cache.cached(("ranked", filters.without(page=1), today, per_page),
                                      lambda: _ranked_ids(stmt, rank, filters, RANKED_PAGES * per_page), current)
        ids = ranked[offset:offset + per_page]
    elif offset >= DEFERRED_FROM:
        ids = _deep_page_ids(stmt, filters, today, current, rank, per_page, offset)
    elif cards:
        ids = _page_ids(stmt, filters.sort, rank, per_page, offset)
    else:  # an early page for the API: the full rows in one query
        ids = None
        items = list(db.session.scalars(
            _order(stmt, filters.sort, rank).options(*card_options()).limit(per_page).offset(offset)))
    if ids is not None:
        items = _cached_cards(ids, current) if cards else _load_cards(ids)
    return CatalogPage(filters=filters, items=items, total=total, page=page, per_page=per_page, facets=facets,
                       searched_for=search.correction(filters.q, filters.exact))


def facet_counts(filters: CatalogFilters, today: date) -> dict[str, dict[str, int]]:
    """For each facet, counts under every other active filter (so choosing one value shows the alternatives)."""
    facets: dict[str, dict[str, int]] = {}

    stmt, _ = _filtered(filters.without(category=None), today)
    rows = db.session.execute(
        stmt.with_only_columns(Category.slug, func.count(Product.id))
        .join(Category, Category.id == Product.category_id)
        .group_by(Category.slug)
        .order_by(None)
    ).all()
    facets["category"] = dict(rows)

    stmt, _ = _filtered(filters.without(kecamatan=None), today)
    rows = db.session.execute(
        stmt.with_only_columns(Producer.kecamatan, func.count(Product.id)).group_by(Producer.kecamatan).order_by(None)
    ).all()
    facets["kecamatan"] = dict(rows)

    stmt, _ = _filtered(filters.without(cert=None), today)
    rows = db.session.execute(
        stmt.with_only_columns(Certificate.kind, func.count(func.distinct(Product.id)))
        .join(product_certificate, product_certificate.c.product_id == Product.id)
        .join(Certificate, and_(
            Certificate.id == product_certificate.c.certificate_id,
            *_cert_counts(today, bool(getattr(filters, "cert_verified", False))),
        ))
        .group_by(Certificate.kind)
        .order_by(None)
    ).all()
    facets["cert"] = dict(rows)

    # The specifications' filters (rice class, meat fresh or frozen), counted on their own indexed columns only when
    # the list is narrowed to that commodity or by that filter: the plain catalog's counts cost what they did.
    for f in filters.declared:
        commodity = specs.COMMODITY_OF[specs.COLUMNS[f.column].name] if f.column else None
        if f.column and (getattr(filters, f.param) or filters.category == commodity):
            column = getattr(_MODELS[f.table], f.column)
            stmt, _ = _filtered(filters.without(**{f.param: None}), today)
            rows = db.session.execute(
                stmt.with_only_columns(column, func.count(Product.id)).where(column.is_not(None))
                .group_by(column).order_by(None)
            ).all()
            facets[f.param] = dict(rows)
    return facets


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))


def category_counts() -> dict[int, int]:
    rows = db.session.execute(
        public_products().with_only_columns(Product.category_id, func.count(Product.id)).group_by(Product.category_id)
    ).all()
    return dict(rows)


@dataclass
class CommodityCapacity:
    category: Category
    amounts: list[tuple[float, str]]  # (monthly quantity, unit), mass already summed in kg
    producers: int


def capacity_by_commodity() -> list[CommodityCapacity]:
    """Metro's total monthly capacity per commodity, mass units summed in kilograms: the current catalog version's
    (never one behind, as the home page may show), computed once per version and worker. The city's figures ask
    for it whenever a trade change makes them count again (every new inquiry), and at 1,000,000 listings its two
    GROUP BYs take more than half a second."""
    return _capacity_rows_for(categories(), _kept_capacity_rows())


def _kept_capacity_rows() -> list[tuple[int, list[tuple[float, str]], int]]:
    """`_capacity_rows` of the catalog version this request read (in a job behind the requests: the version now),
    computed at most once per version and worker for the home page and the city's figures alike."""
    return catalog_cache.cached(("capacity",), _capacity_rows, catalog_cache.request_version())


def _capacity_rows_for(category_list: list[Category], rows: list[tuple[int, list, int]]) -> list[CommodityCapacity]:
    by_id = {category_id: (amounts, producers) for category_id, amounts, producers in rows}
    return [CommodityCapacity(c, *by_id[c.id]) for c in category_list if c.id in by_id]


def _capacity_rows() -> list[tuple[int, list[tuple[float, str]], int]]:
    """(category id, amounts, producers) per category with published listings: plain values, kept per version."""
    rows = db.session.execute(
        public_products()
        .with_only_columns(
            Product.category_id, Product.unit, func.sum(Product.monthly_capacity)
        )
        .group_by(Product.category_id, Product.unit)
    ).all()
    producer_rows = db.session.execute(
        public_products()
        .with_only_columns(Product.category_id, func.count(func.distinct(Product.producer_id)))
        .group_by(Product.category_id)
    ).all()
    producers = dict(producer_rows)
    by_category: dict[int, dict[str, float]] = {}
    for category_id, unit, total in rows:
        unit_key, factor = ("kg", MASS_IN_KG[unit]) if unit in MASS_IN_KG else (unit, 1)
        bucket = by_category.setdefault(category_id, {})
        bucket[unit_key] = bucket.get(unit_key, 0) + float(total or 0) * factor
    return [(category_id, sorted(((q, u) for u, q in bucket.items()), reverse=True), producers.get(category_id, 0))
            for category_id, bucket in by_category.items()]


def featured_producers(limit: int = 6) -> list[tuple[Producer, int]]:
    """Curated producers first, then those with the most published products."""
    count = func.count(Product.id)
    rows = db.session.execute(
        public_products()
        .with_only_columns(Producer, count)
        .group_by(Producer.id)
        .order_by(Producer.curated.desc(), count.desc(), Producer.id)
        .limit(limit)
    ).all()
    return [(producer, n) for producer, n in rows]


def _featured_product_ids(limit: int = 8) -> list[int]:
    return list(db.session.scalars(
        public_products()
        .with_only_columns(Product.id)
        .order_by(Product.featured.desc(), Producer.curated.desc(), Product.monthly_capacity.desc(), Product.id)
        .limit(limit)
    ))


def featured_products(limit: int = 8) -> list[Product]:
    return _cached_cards(_featured_product_ids(limit))


@dataclass(frozen=True)
class HomeFigures:
    """What the home page counts over every listing, as plain values kept once per catalog version."""

    category_counts: dict[int, int]
    capacity_rows: list[tuple[int, list[tuple[float, str]], int]]
    producers: list[tuple[Producer, int]]  # snapshots outside any session
    product_ids: list[int]

    def capacities(self, category_list: list[Category]) -> list[CommodityCapacity]:
        return _capacity_rows_for(category_list, self.capacity_rows)

    def products(self) -> list[Product]:
        return _cached_cards(self.product_ids, catalog_cache.request_version())

    def still_public(self) -> HomeFigures:
        """Figures of an older catalog version without the featured producers no longer public: a suspension shows
        at once even while the figures are a change behind (one look-up of six ids; the listings' cards are loaded
        per version, public ones only)."""
        public = set(db.session.scalars(select(Producer.id).where(
            Producer.id.in_([p.id for p, _n in self.producers]), Producer.status == PUBLISHED)))
        return replace(self, producers=[(p, n) for p, n in self.producers if p.id in public])


def _producer_snapshot(producer: Producer) -> Producer:
    return Producer(id=producer.id, slug=producer.slug, name=producer.name, kecamatan=producer.kecamatan,
                    kelurahan=producer.kelurahan, curated=producer.curated)


def home_figures() -> HomeFigures:
    """The home page's category counts, capacity per commodity and featured producers and listings: GROUP BYs
    over every published listing (about two seconds at 1,000,000 listings), run once per catalog version and
    worker whoever asks, signed in or not, and behind the requests on a large catalog (catalog_cache.cached_behind)."""
    def compute() -> HomeFigures:
        return HomeFigures(category_counts(), _kept_capacity_rows(),
                           [(_producer_snapshot(p), n) for p, n in featured_producers()], _featured_product_ids())

    figures, current = catalog_cache.cached_behind(("home",), compute, catalog_cache.request_version())
    return figures if current else figures.still_public()


def category_slugs() -> frozenset[str]:
    """The category slugs, the catalog's `category=` choices (read by the page cache's key before any page)."""
    return catalog_cache.cached(("category-slugs",), lambda: frozenset(db.session.scalars(select(Category.slug))),
                                catalog_cache.request_version())


def get_product(product_id: int) -> Product | None:
    return db.session.scalars(
        select(Product)
        .where(Product.id == product_id)
        .options(
            selectinload(Product.price_tiers),
            selectinload(Product.photos),
            selectinload(Product.certificates),
            # Many-to-one: joined into the product's own query (two round trips fewer than selectin).
            joinedload(Product.producer).selectinload(Producer.certificates),
            joinedload(Product.category),
        )
    ).first()


def more_from_producer(product: Product, limit: int = 4) -> list[Product]:
    return _cached_cards(list(db.session.scalars(
        public_products()
        .with_only_columns(Product.id)
        .where(Product.producer_id == product.producer_id, Product.id != product.id)
        .order_by(Product.monthly_capacity.desc(), Product.id)
        .limit(limit)
    )))


def get_producer(slug: str) -> Producer | None:
    return db.session.scalars(
        select(Producer).where(Producer.slug == slug).options(selectinload(Producer.certificates))
    ).first()


def producer_products(producer: Producer, page: int = 1, per_page: int = 24) -> tuple[list[Product], int, int]:
    """One page of a storefront's public listings (some producers have hundreds); returns (items, total, page).
    The total comes with the rows (a window count), so a page costs no extra query."""
    def fetch(page_: int):
        return db.session.execute(
            public_products()
            .with_only_columns(Product.id, func.count(Product.id).over())
            .where(Product.producer_id == producer.id)
            .order_by(Product.category_id, Product.name, Product.id)
            .limit(per_page).offset((page_ - 1) * per_page)
        ).all()

    rows = fetch(page)
    if not rows and page > 1:  # past the end: the last page (counted once more, only then)
        total = db.session.scalar(public_products().with_only_columns(func.count(Product.id))
                                  .where(Product.producer_id == producer.id))
        page = max(1, -(-total // per_page))
        rows = fetch(page)
    total = rows[0][1] if rows else 0
    return _cached_cards([row[0] for row in rows]), total, page


@dataclass
class ProducerCard:
    producer: Producer
    product_count: int
    category_ids: list[int]


def list_producers(filters: ProducerFilters, per_page: int) -> tuple[list[ProducerCard], int, int]:
    """Published producers that have at least one published product, with counts; returns (cards, total, page)."""
    stmt = select(Producer).where(Producer.status == PUBLISHED)
    if filters.q:
        like = like_pattern(filters.q)
        stmt = stmt.where(func.lower(Producer.name).like(like, escape="\\"))
    has_products = select(Product.id).where(Product.producer_id == Producer.id, Product.status == PUBLISHED)
    today = clock.today()
    for f, value in ((f, getattr(filters, f.param)) for f in filters.declared):
        if not value:
            continue
        if f.table == "producer":
            stmt = stmt.where(_condition(f, value, today))
        else:  # a listing's filter: the producer has a published listing that passes it
            has_products = has_products.where(_condition(f, value, today))
    stmt = stmt.where(has_products.exists())
    # The total as the catalog's counts: once per catalog version, on a large catalog behind the requests.
    total = catalog_cache.cached_behind(
        ("producers", filters.without(page=1), today),
        lambda: db.session.scalar(stmt.with_only_columns(func.count(Producer.id))), catalog_cache.request_version())[0]
    page = min(filters.page, max(1, -(-total // per_page)))
    producers = db.session.scalars(
        stmt.order_by(Producer.curated.desc(), Producer.name, Producer.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    ids = [p.id for p in producers]
    counts: dict[int, int] = {}
    cats: dict[int, list[int]] = {}
    if ids:
        for producer_id, category_id, n in db.session.execute(
            select(Product.producer_id, Product.category_id, func.count(Product.id))
            .where(Product.producer_id.in_(ids), Product.status == PUBLISHED)
            .group_by(Product.producer_id, Product.category_id)
            .order_by(Product.producer_id, Product.category_id)  # PostgreSQL's hash aggregate has no order of its own
        ):
            counts[producer_id] = counts.get(producer_id, 0) + n
            cats.setdefault(producer_id, []).append(category_id)
    cards = [ProducerCard(p, counts.get(p.id, 0), cats.get(p.id, [])) for p in producers]
    return cards, total, page


def nib_taken(nib: str) -> bool:
    return db.session.scalar(select(func.count(Producer.id)).where(Producer.nib == nib)) > 0
