"""All models, imported here so Alembic and the app see one metadata."""
from marketplace.models.accounts import Role, User
from marketplace.models.base import Base, utcnow
from marketplace.models.catalog import (
    Category,
    Certificate,
    Photo,
    PriceTier,
    Producer,
    Product,
    PublicationStatus,
    product_certificate,
)

__all__ = [
    "Base", "utcnow", "Role", "User", "Category", "Certificate", "Photo", "PriceTier", "Producer",
    "Product", "PublicationStatus", "product_certificate",
]
