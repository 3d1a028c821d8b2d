"""A contract's monthly schedule: what the MoU monitoring and each listing's spare capacity count."""
from __future__ import annotations

from datetime import date

import pytest

from marketplace.trade.contracts import add_months, ends_on, monthly_schedule


def test_a_twelve_month_contract_counts_in_each_of_its_twelve_months_across_the_year_end():
    months = monthly_schedule("monthly", 12, date(2026, 11, 1), 20)
    assert list(months) == [(2026, 11), (2026, 12)] + [(2027, m) for m in range(1, 11)]
    assert set(months.values()) == {20}
    assert ends_on("monthly", 12, date(2026, 11, 1)) == date(2027, 10, 31)


def test_weekly_periods_count_in_the_month_each_week_starts_in():
    months = monthly_schedule("weekly", 6, date(2026, 12, 17), 2)
    # 17, 24, 31 December; 7, 14, 21 January
    assert months == {(2026, 12): 6, (2027, 1): 6}
    assert ends_on("weekly", 6, date(2026, 12, 17)) == date(2027, 1, 27)


def test_a_one_off_order_is_one_period_in_its_month():
    assert monthly_schedule("once", 1, date(2027, 3, 9), 5) == {(2027, 3): 5}
    assert ends_on("once", 1, date(2027, 3, 9)) == date(2027, 3, 9)


@pytest.mark.parametrize("day, months, expected", [
    (date(2027, 1, 31), 1, date(2027, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(2026, 5, 1), 20, date(2028, 1, 1)),
])
def test_months_are_added_on_the_calendar(day, months, expected):
    assert add_months(day, months) == expected
