"""The price at a quantity follows the tiers a buyer reads on the product page."""
from types import SimpleNamespace as T

from marketplace.listings import pricing

TIERS = [T(min_qty=100, price=14000), T(min_qty=1000, price=13500), T(min_qty=5000, price=12800)]


def test_price_at_picks_the_deepest_tier_reached():
    assert pricing.price_at(TIERS, 100) == 14000
    assert pricing.price_at(TIERS, 999) == 14000
    assert pricing.price_at(TIERS, 1000) == 13500
    assert pricing.price_at(TIERS, 20000) == 12800


def test_below_the_first_tier_the_first_price_is_quoted():
    assert pricing.price_at(TIERS, 10) == 14000
    assert pricing.price_at([], 10) is None


def test_price_at_moq_is_not_the_deepest_tier():
    product = T(price_on_request=False, price_tiers=TIERS, min_order_qty=100)
    assert pricing.price_at_moq(product) == 14000
    assert pricing.price_at_moq(T(price_on_request=True, price_tiers=TIERS, min_order_qty=100)) is None


def test_per_kg_across_units():
    assert pricing.per_kg(12_000_000, "ton") == 12_000
    assert pricing.per_kg(1_300_000, "kuintal") == 13_000
    assert pricing.per_kg(650_000, "karung", 50) == 13_000
    assert pricing.per_kg(2_000, "butir") is None
    assert pricing.per_kg(None, "kg") is None
