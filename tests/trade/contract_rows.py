"""Contract rows for tests of spare capacity: a contract with one line, its month rows written as the app writes them."""
from __future__ import annotations

from datetime import date

from marketplace.extensions import db
from marketplace.models import Contract, ContractLine, Inquiry
from marketplace.trade.contracts import ends_on, schedule_lines

_count = iter(range(1, 10**6))


def request(quantity: float = 20, unit: str = "ton", starts_on: date | None = date(2027, 1, 1), periods: int = 12,
            category_id: int | None = None, **values) -> Inquiry:
    n = next(_count)
    inquiry = Inquiry(reference=f"INQ-2027-{n:06d}", tracking_token=f"tok-c{n}", form_token=f"form-c{n}",
                      company="Food Station", buyer_type="bumd", contact_name="Rina", email="rina@foodstation.co.id",
                      quantity=quantity, unit=unit, frequency="monthly", periods=periods, starts_on=starts_on,
                      delivery_city="jakarta-timur", category_id=category_id, status="new", **values)
    db.session.add(inquiry)
    db.session.flush()
    return inquiry


def contract(product, quantity: float, unit: str, starts_on: date, periods: int = 12, status: str = "active"):
    """A contract of `quantity` `unit` a month from `starts_on` for `periods` months on `product`."""
    inquiry = request(quantity, unit, starts_on, periods, product.category_id)
    n = next(_count)
    item = Contract(reference=f"KTR-T-{n:06d}", inquiry_id=inquiry.id, status=status, frequency="monthly",
                    periods=periods, starts_on=starts_on, ends_on=ends_on("monthly", periods, starts_on),
                    lines=[ContractLine(producer_id=product.producer_id, product_id=product.id, product=product,
                                        quantity=quantity, unit=unit, price=12_000_000)])
    db.session.add(item)
    schedule_lines(item)
    db.session.commit()
    return item
