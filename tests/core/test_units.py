"""Amounts convert only where they mean the same thing (core/units.py)."""
from __future__ import annotations

import pytest

from marketplace.core.units import Amount, UnitMismatch, common_unit, convert, convertible, price_in

CONVERSIONS = [
    # amount, from, to, kg per piece of the countable unit, expected
    (1, "ton", "kg", None, 1000),
    (20, "ton", "kg", None, 20_000),
    (2.5, "kuintal", "kg", None, 250),
    (1500, "kg", "ton", None, 1.5),
    (3, "ton", "kuintal", None, 30),
    (7, "kg", "kg", None, 7),
    (7, "karung", "karung", None, 7),  # a countable unit is comparable with itself
    (20, "karung", "kg", 50, 1000),    # through the listing's weight per piece
    (1, "ton", "karung", 50, 20),
    (2, "kuintal", "karung", 25, 8),
]
REFUSED = [
    ("kg", "ekor", None),      # no weight per ekor stated
    ("ekor", "ton", None),
    ("karung", "botol", 50),   # two countable units never convert
    ("kg", "ekor", 0),         # a zero weight is no weight
    ("liter", "kg", None),
]


@pytest.mark.parametrize("amount, unit, to_unit, kg_per_unit, expected", CONVERSIONS)
def test_amounts_convert(amount, unit, to_unit, kg_per_unit, expected):
    assert convert(amount, unit, to_unit, kg_per_unit) == pytest.approx(expected)
    assert Amount(amount, unit).to(to_unit, kg_per_unit) == Amount(pytest.approx(expected), to_unit)


@pytest.mark.parametrize("unit, to_unit, kg_per_unit", REFUSED)
def test_amounts_that_do_not_convert_are_refused(unit, to_unit, kg_per_unit):
    assert not convertible(unit, to_unit, kg_per_unit)
    with pytest.raises(UnitMismatch):
        convert(1, unit, to_unit, kg_per_unit)


def test_a_price_per_ton_and_a_price_per_kg_compare_per_kg():
    assert price_in(12_000_000, "ton", "kg") == 12_000
    assert price_in(12_000, "kg", "ton") == 12_000_000
    assert price_in(600_000, "karung", "kg", 50) == 12_000
    assert price_in(12_000_000, "ton", "kg") < price_in(12_500, "kg", "kg")


def test_mass_adds_up_in_kilograms_and_other_units_apart():
    assert [common_unit(u) for u in ("ton", "kuintal", "kg", "butir")] == ["kg", "kg", "kg", "butir"]


@pytest.mark.parametrize("unit", ["kg", "kuintal", "ton", "karung", "ekor", "liter"])
@pytest.mark.parametrize("to_unit", ["kg", "kuintal", "ton", "karung", "ekor"])
@pytest.mark.parametrize("kg_per_unit", [None, 0, 50, 2.5])
def test_the_database_converts_as_python_does(ctx, unit, to_unit, kg_per_unit):
    """The ranking of the facilitator's suggestions converts in SQL (`factor_sql`): the same factor, or none."""
    from sqlalchemy import literal, select

    from marketplace.core.units import factor, factor_sql
    from marketplace.extensions import db

    unit_col, kg_col = literal(unit), literal(kg_per_unit)
    got = db.session.execute(select(factor_sql(unit_col, kg_col, to_unit))).scalar()
    if convertible(unit, to_unit, kg_per_unit):
        assert got == pytest.approx(factor(unit, to_unit, kg_per_unit))
    else:
        assert got is None
