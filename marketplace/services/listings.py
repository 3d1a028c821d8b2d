"""Writing listings: the rules that keep a product's derived fields in step."""
from __future__ import annotations

from marketplace.models import PriceTier, Product


def set_price_tiers(product: Product, tiers: list[tuple[float, int]]) -> None:
    """Replace the tiers (from-quantity, Rupiah per unit) and keep `price_min` for cards and sorting.

    Tiers whose quantity stays are updated in place, so the unique (product, quantity)
    constraint never sees an insert before the delete it replaces.
    """
    wanted = {float(qty): int(price) for qty, price in tiers}
    kept = []
    for tier in product.price_tiers:
        if tier.min_qty in wanted:
            tier.price = wanted.pop(tier.min_qty)
            kept.append(tier)
    kept += [PriceTier(min_qty=qty, price=price) for qty, price in wanted.items()]
    product.price_tiers = sorted(kept, key=lambda t: t.min_qty)
    product.price_min = None if product.price_on_request or not kept else min(t.price for t in kept)
