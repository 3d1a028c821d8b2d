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
