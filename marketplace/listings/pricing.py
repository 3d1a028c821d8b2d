"""What a listing costs at a given quantity: the one place the price tiers are read.

A tier says "from `min_qty` units upward, `price` Rupiah per unit". The price at a quantity is the price of the
deepest tier that quantity reaches; below the first tier (under the minimum order) the first tier's price is
quoted, and the caller says that the quantity is under the MOQ. Prices compare across listings once they are per
kilogram (`per_kg`, through core/units.py), which only works for mass units or a countable unit with a stated
weight.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from marketplace.core import units


class Tier(Protocol):
    min_qty: float
    price: int


def price_at(tiers: Iterable[Tier], quantity: float) -> int | None:
    """The price per unit at `quantity` units (the listing's own unit), or None without tiers."""
    ordered = sorted(tiers, key=lambda t: t.min_qty)
    if not ordered:
        return None
    chosen = ordered[0]
    for tier in ordered:
        if tier.min_qty <= quantity + 1e-9:
            chosen = tier
    return int(chosen.price)


def price_at_moq(product) -> int | None:
    """The price a buyer pays at the listing's minimum order: what a card shows ("Rp 13.500/kg at MOQ")."""
    if product.price_on_request:
        return None
    return price_at(product.price_tiers, product.min_order_qty or 0)


def per_kg(price: float | None, unit: str, kg_per_unit: float | None = None) -> float | None:
    """A price per `unit` as Rupiah per kilogram, or None when the unit has no weight."""
    if price is None:
        return None
    try:
        return units.price_in(price, unit, units.KG, kg_per_unit)
    except units.UnitMismatch:
        return None


def stored_prices(product) -> tuple[int | None, int | None, float | None]:
    """The figures the product row keeps in step with its tiers, unit, MOQ and weight per unit, for cards and
    sorting: (the lowest tier price, the price at the MOQ, that price per kg or None without a weight)."""
    if product.price_on_request or not product.price_tiers:
        return None, None, None
    at_moq = price_at_moq(product)
    return min(int(t.price) for t in product.price_tiers), at_moq, per_kg(at_moq, product.unit, product.kg_per_unit)


# ---------------------------------------------------------------- what a set of tiers may be

ORDER = "order"  # two tiers start at the same quantity, so the quantities do not ascend
RISING = "rising"  # a deeper tier costs more per unit than the one before it
CAPACITY = "capacity"  # a tier starts above what the producer can supply in a month
MOQ = "moq"  # the first tier does not start at the minimum order


def tier_problems(tiers: Iterable[tuple[float, float]], min_order_qty: float | None,
                  monthly_capacity: float | None) -> list[tuple[str, float]]:
    """What is wrong with tiers (from-quantity, price): (problem, the quantity of the tier it is about).

    The tiers are read in quantity order, as the product page shows them (a producer may type the rows in any
    order). The rules, the same for the producer's form, the city's import and the seeders:
    - the quantities ascend: no two tiers start at the same quantity (ORDER);
    - a price never rises as the quantity grows: the same price is allowed, a dearer deeper tier is not (RISING),
      since nobody would order more to pay more;
    - no tier starts above the monthly capacity, when one is given (CAPACITY): it could never be supplied;
    - the first tier starts at the minimum order, when one is given (MOQ): that is the price a card shows and
      the least a buyer can order, so a tier below it is never paid and one above it leaves the MOQ unpriced."""
    rows = sorted(((float(q), float(p)) for q, p in tiers), key=lambda row: row[0])
    problems: list[tuple[str, float]] = []
    for before, row in zip(rows, rows[1:]):
        if abs(row[0] - before[0]) <= 1e-9:
            problems.append((ORDER, row[0]))
        elif row[1] > before[1]:
            problems.append((RISING, row[0]))
    if monthly_capacity:
        problems += [(CAPACITY, q) for q, _p in rows if q > monthly_capacity + 1e-9]
    if rows and min_order_qty and abs(rows[0][0] - min_order_qty) > 1e-9:
        problems.append((MOQ, rows[0][0]))
    return problems
