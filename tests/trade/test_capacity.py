"""Spare capacity per listing and month (trade/capacity.py), from real contract month rows."""
from __future__ import annotations

from datetime import date

import pytest

from marketplace.trade import capacity
from tests.factories import ProductFactory
from tests.trade.contract_rows import contract, request


def test_active_contracts_reduce_spare_capacity_and_cancelled_ones_do_not(ctx):
    rice = ProductFactory(unit="kg", monthly_capacity=16_000)
    contract(rice, 10, "ton", date(2027, 1, 1), periods=3)              # 10 t = 10.000 kg in Jan–Mar
    contract(rice, 5_000, "kg", date(2027, 2, 1), periods=1, status="cancelled")
    months = [(2027, 1), (2027, 2), (2027, 3), (2027, 4)]
    assert capacity.committed([rice.id], months)[rice.id] == {(2027, 1): 10_000, (2027, 2): 10_000, (2027, 3): 10_000}
    assert capacity.spare([rice], months)[rice.id] == {(2027, 1): 6_000, (2027, 2): 6_000, (2027, 3): 6_000,
                                                        (2027, 4): 16_000}
    assert capacity.spare_over([rice], months) == {rice.id: 6_000}     # the tightest month
    assert capacity.spare_over([rice], [(2027, 4)]) == {rice.id: 16_000}  # a month the contract does not reach


def test_a_request_asks_in_the_months_from_its_start(ctx):
    inquiry = request(20, "ton", date(2026, 11, 1), periods=3)
    assert capacity.request_months(inquiry) == [(2026, 11), (2026, 12), (2027, 1)]


def test_spare_capacity_never_goes_below_zero(ctx):
    rice = ProductFactory(unit="ton", monthly_capacity=5)
    contract(rice, 8_000, "kg", date(2027, 1, 1), periods=1)
    assert capacity.committed([rice.id], [(2027, 1)])[rice.id][(2027, 1)] == pytest.approx(8)
    assert capacity.spare_over([rice], [(2027, 1)]) == {rice.id: 0}
