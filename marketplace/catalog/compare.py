"""The compare view: up to four listings side by side, one row per thing a buyer weighs.

The table is `ROWS`, a list of row definitions: a key, a label, the cell macro that shows a value
(templates/catalog/_compare_cells.html) and the function that takes the value from a column. A new row is one
entry here (and a macro, if none of the existing ones fits); the view and the template need no change. A row marked
`optional` is left out when no listing has a value for it (the specifications row, when none of the listings has any).

Quantities: the buyer types one quantity and unit; each listing reads it in its own unit (core/units.py). The price
at that quantity is the one reader of tiers' (listings/pricing.py `price_at`); below the minimum order the first
tier's price is shown and said to be under the MOQ. Spare capacity is this month's (trade/capacity.py).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from marketplace.core import units
from marketplace.extensions import db
from marketplace.listings import pricing
from marketplace.listings.specs import spec_rows
from marketplace.models import Product

MAX_COMPARED = 4


@dataclass(frozen=True)
class Asked:
    """The quantity the buyer typed, in the unit chosen; both None when nothing was typed."""

    quantity: float | None = None
    unit: str | None = None

    @property
    def given(self) -> bool:
        return self.quantity is not None and self.unit is not None


@dataclass(frozen=True)
class Price:
    """The price cell: per the listing's unit at the quantity asked (or at the MOQ when none was asked)."""

    price: int | None  # Rupiah per `unit`; None when on request or the units do not convert
    unit: str
    per_kg: float | None = None
    quantity: float | None = None  # the quantity priced, in `unit`
    at_moq: bool = False  # no quantity asked: the price at the minimum order
    below_moq: bool = False
    on_request: bool = False
    mismatch: bool = False  # the buyer's unit does not convert into the listing's


@dataclass
class Column:
    """One listing of the table, with what its cells are computed from."""

    product: Product
    asked: Asked
    spare: float | None = None  # this month, in the listing's unit
    extra: dict = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return self.product.unit


def price_cell(product: Product, asked: Asked) -> Price:
    unit = product.unit
    if product.price_on_request or not product.price_tiers:
        return Price(None, unit, on_request=True)
    if not asked.given:
        quantity = product.min_order_qty or 0
        price = pricing.price_at(product.price_tiers, quantity)
        return Price(price, unit, pricing.per_kg(price, unit, product.kg_per_unit), quantity, at_moq=True)
    try:
        quantity = units.convert(asked.quantity, asked.unit, unit, product.kg_per_unit)
    except units.UnitMismatch:
        return Price(None, unit, mismatch=True)
    price = pricing.price_at(product.price_tiers, quantity)
    below = bool(product.min_order_qty) and quantity < product.min_order_qty * (1 - 1e-9)
    return Price(price, unit, pricing.per_kg(price, unit, product.kg_per_unit), quantity, below_moq=below)


@dataclass(frozen=True)
class Row:
    key: str
    label: object  # a lazy string
    macro: str  # the cell macro in templates/catalog/_compare_cells.html
    value: Callable[[Column, date], object]
    optional: bool = False  # left out when no column has a value

    @staticmethod
    def empty(value) -> bool:
        return value is None or value == "" or value == [] or value == ()


ROWS: list[Row] = [
    Row("price", _l("Harga pada jumlah Anda"), "price", lambda c, today: price_cell(c.product, c.asked)),
    Row("per_kg", _l("Harga per kg"), "per_kg", lambda c, today: price_cell(c.product, c.asked)),
    Row("basis", _l("Dasar harga"), "basis", lambda c, today: c.product.price_basis),
    Row("moq", _l("Minimal pemesanan"), "amount", lambda c, today: units.Amount(c.product.min_order_qty, c.unit)),
    Row("capacity", _l("Kapasitas per bulan"), "amount",
        lambda c, today: units.Amount(c.product.monthly_capacity, c.unit)),
    Row("spare", _l("Tersedia bulan ini"), "amount",
        lambda c, today: None if c.spare is None else units.Amount(c.spare, c.unit)),
    Row("certificates", _l("Sertifikat"), "certificates",
        lambda c, today: list(c.product.certificates)),
    Row("specifications", _l("Spesifikasi"), "pairs", lambda c, today: spec_rows(c.product), optional=True),
    Row("lead_time", _l("Waktu penyiapan"), "days", lambda c, today: c.product.lead_time_days),
    Row("grade", _l("Kualitas"), "text", lambda c, today: c.product.grade),
    Row("curation", _l("Kurasi"), "curation", lambda c, today: c.product),
    Row("producer", _l("Produsen"), "producer", lambda c, today: c.product.producer),
]


@dataclass
class Comparison:
    columns: list[Column]
    rows: list[tuple[Row, list]]  # each row with its value per column
    asked: Asked
    too_many: int = 0  # how many were asked for beyond MAX_COMPARED
    skipped: int = 0  # ids not found among the public listings (or not ids at all)

    @property
    def products(self) -> list[Product]:
        return [c.product for c in self.columns]


def load(ids: Iterable[int]) -> list[Product]:
    """The public listings of `ids`, in that order; unknown, unpublished or hidden ones are left out."""
    from marketplace.catalog.queries import public_products
    from sqlalchemy.orm import contains_eager

    ids = list(ids)
    if not ids:
        return []
    rows = {p.id: p for p in db.session.scalars(
        public_products().where(Product.id.in_(ids))
        .options(contains_eager(Product.producer), selectinload(Product.certificates),
                 selectinload(Product.price_tiers), selectinload(Product.photos)))}
    return [rows[i] for i in ids if i in rows]


def compare(ids: list[int], asked: Asked, today: date, dropped: int = 0,
            rows: list[Row] | None = None) -> Comparison:
    """The table for the listings `ids` (the first MAX_COMPARED of them) at the quantity asked."""
    from marketplace.trade import capacity

    chosen = ids[:MAX_COMPARED]
    products = load(chosen)
    spare = capacity.spare(products, [capacity.this_month()])
    month = capacity.this_month()
    columns = [Column(p, asked, spare.get(p.id, {}).get(month)) for p in products]
    table = []
    for row in ROWS if rows is None else rows:
        values = [row.value(column, today) for column in columns]
        if row.optional and all(row.empty(v) for v in values):
            continue
        table.append((row, values))
    return Comparison(columns, table, asked, too_many=max(0, len(ids) - MAX_COMPARED),
                      skipped=len(chosen) - len(products) + dropped)
