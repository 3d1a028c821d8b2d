"""Amounts with a unit, and the one place where units convert.

- Mass units convert among themselves (kg, kuintal, ton), through kilograms.
- A countable unit (karung, botol, ikat, ekor …) converts to mass only through a factor stated on the listing,
  "kg per unit" (50 kg per karung); without one it is compared only with itself.
- A price is per unit: a price per ton and a price per kg compare once both are per kilogram.

Every comparison of a request with a listing (MOQ, capacity, spare capacity, offers, contracts, monitoring) goes
through `convert`; `UnitMismatch` says the two cannot be compared, and callers show that rather than guess.
"""
from __future__ import annotations

from dataclasses import dataclass

from marketplace.core.vocab import MASS_IN_KG

KG = "kg"


class UnitMismatch(ValueError):
    """Two amounts whose units do not convert (kg and ekor without a weight per ekor)."""

    def __init__(self, unit: str, to_unit: str):
        super().__init__(f"{unit} → {to_unit}")
        self.unit = unit
        self.to_unit = to_unit


def is_mass(unit: str) -> bool:
    return unit in MASS_IN_KG


def kg_per(unit: str, kg_per_unit: float | None = None) -> float | None:
    """How many kilograms one `unit` weighs: fixed for mass units, the listing's factor for a countable one."""
    if unit in MASS_IN_KG:
        return float(MASS_IN_KG[unit])
    if kg_per_unit is not None and kg_per_unit > 0:
        return float(kg_per_unit)
    return None


def factor(unit: str, to_unit: str, kg_per_unit: float | None = None) -> float:
    """The number to multiply an amount in `unit` by to express it in `to_unit`.

    `kg_per_unit` is the weight of one piece of whichever of the two units is countable (the listing's unit:
    a request in ton against a listing in karung of 50 kg). Two different countable units never convert."""
    if unit == to_unit:
        return 1.0
    source, target = kg_per(unit, kg_per_unit), kg_per(to_unit, kg_per_unit)
    if source is None or target is None or not (is_mass(unit) or is_mass(to_unit)):
        raise UnitMismatch(unit, to_unit)
    return source / target


def factor_sql(unit, kg_per_unit, to_unit: str):
    """`factor` as a SQL expression over a listing's unit and kg-per-unit columns, NULL where they do not convert:
    for ranking thousands of listings in the database (tests/core/test_units.py holds the two to the same table)."""
    from sqlalchemy import case, func, literal, null

    mass = case({u: literal(float(kg)) for u, kg in MASS_IN_KG.items()}, value=unit, else_=null())
    piece = case((kg_per_unit > 0, kg_per_unit), else_=null())  # kg_per(): a countable unit's stated weight
    if is_mass(to_unit):  # from mass, or from a countable unit through its weight
        other = func.coalesce(mass, piece) / literal(float(MASS_IN_KG[to_unit]))
    else:  # a countable request: only from a mass unit, through the weight of one piece
        other = mass / piece
    return case((unit == to_unit, literal(1.0)), else_=other)


def convert(amount: float, unit: str, to_unit: str, kg_per_unit: float | None = None) -> float:
    """`amount` of `unit` in `to_unit`; raises UnitMismatch when they do not convert."""
    return amount * factor(unit, to_unit, kg_per_unit)


def convertible(unit: str, to_unit: str, kg_per_unit: float | None = None) -> bool:
    try:
        factor(unit, to_unit, kg_per_unit)
    except UnitMismatch:
        return False
    return True


def price_in(price: float, unit: str, to_unit: str, kg_per_unit: float | None = None) -> float:
    """A price per `unit` as a price per `to_unit` (Rp 12.000.000 per ton → Rp 12.000 per kg)."""
    return price / factor(unit, to_unit, kg_per_unit)


def common_unit(unit: str) -> str:
    """The unit figures are added up in: kilograms for mass, the unit itself otherwise."""
    return KG if is_mass(unit) else unit


@dataclass(frozen=True)
class Amount:
    """A quantity and its unit, never one without the other."""

    value: float
    unit: str

    def to(self, unit: str, kg_per_unit: float | None = None) -> Amount:
        return Amount(convert(self.value, self.unit, unit, kg_per_unit), unit)
