"""Every permission rule, as small pure functions of (user, object).

Views call these; templates call them through `can('rule', obj)`.
"""
from __future__ import annotations

from flask_login import current_user

from marketplace.models import Producer, Product, PublicationStatus, Role, User

STAFF = {Role.MODERATOR, Role.FACILITATOR, Role.ADMIN}


def _is_staff(user: User | None) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and user.role in STAFF)


def owns_producer(user: User | None, producer: Producer) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and user.producer_id == producer.id)


def can_view_producer(user: User | None, producer: Producer) -> bool:
    return producer.status == PublicationStatus.PUBLISHED or owns_producer(user, producer) or _is_staff(user)


def can_view_product(user: User | None, product: Product) -> bool:
    public = product.status == PublicationStatus.PUBLISHED and product.producer.status == PublicationStatus.PUBLISHED
    return public or owns_producer(user, product.producer) or _is_staff(user)


def can_see_producer_contact(user: User | None, producer: Producer) -> bool:
    """Buyers reach producers through the BUMD facilitator; only staff and the owner see the numbers."""
    return owns_producer(user, producer) or _is_staff(user)


RULES = {
    "view_producer": can_view_producer,
    "view_product": can_view_product,
    "see_producer_contact": can_see_producer_contact,
}


def can(rule: str, obj) -> bool:
    """Template helper: `{% if can('see_producer_contact', producer) %}`."""
    return RULES[rule](current_user, obj)
