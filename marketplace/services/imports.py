"""Importing the city's UMKM inventory (CSV or XLSX) into storefronts and listings.

Idempotent: a producer is found again by its NIB and a product by its name within that
producer, so running the same file twice changes nothing. The same NIB under another
business name is a conflict and that row is rejected. Text is stored as text.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Category, Certificate, Producer, Product, PublicationStatus, utcnow
from marketplace.services import accounts, audit, search
from marketplace.services.inventory import InventoryRow, RowRejected, parse_row, read_rows
from marketplace.services.listings import set_price_tiers
from marketplace.text import slugify


@dataclass
class ImportResult:
    producers_created: int = 0
    producers_updated: int = 0
    products_created: int = 0
    products_updated: int = 0
    invitations: int = 0
    rejected: list[tuple[int, str, list]] = field(default_factory=list)  # (row, reason, original cells)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"producers created {self.producers_created}, updated {self.producers_updated}; "
                f"products created {self.products_created}, updated {self.products_updated}; "
                f"rows rejected {len(self.rejected)}; warnings {len(self.warnings)}; "
                f"invitations queued {self.invitations}")


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def _set(obj, changes: list, **values) -> None:
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changes.append(name)


def import_file(path: Path | str, *, publish: bool = False, data: bytes | None = None,
                progress: Callable[[int], None] | None = None) -> ImportResult:
    """Validate and apply every row; the caller commits (or rolls back for a dry run)."""
    rows = list(read_rows(path, data))  # raises InventoryFileError for a file that is not an inventory
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    result = ImportResult()
    touched_products: set[int] = set()
    status = PublicationStatus.PUBLISHED if publish else PublicationStatus.PENDING
    for number, cells, original in rows:
        try:
            row = parse_row(number, cells)
            if row.category is None or row.category not in categories:
                raise RowRejected("unknown category")
            producer = _producer(row, status, result)
            product = _product(row, producer, categories[row.category], status, result)
            touched_products.add(product.id)
        except RowRejected as rejection:
            result.rejected.append((number, str(rejection), original))
        else:
            result.warnings.extend((number, w) for w in row.warnings)
        if progress:
            progress(1)
    db.session.flush()
    search.reindex(touched_products)
    return result


def _producer(row: InventoryRow, status: PublicationStatus, result: ImportResult) -> Producer:
    producer = db.session.scalar(select(Producer).where(Producer.nib == row.nib))
    if producer is not None and not _same_name(producer.name, row.business_name):
        raise RowRejected(f"NIB {row.nib} belongs to another business ({producer.name})")
    created = producer is None
    if created:
        producer = Producer(nib=row.nib, name=row.business_name, slug=accounts.unique_producer_slug(row.business_name),
                            kecamatan=row.kecamatan, status=status)
        db.session.add(producer)
    changes: list[str] = []
    _set(producer, changes, owner_name=row.owner_name, kecamatan=row.kecamatan, kelurahan=row.kelurahan,
         address=row.address)
    if row.phone:
        _set(producer, changes, phone=row.phone)
    if row.email:
        _set(producer, changes, email=row.email)
    if status == PublicationStatus.PUBLISHED and producer.status != PublicationStatus.PUBLISHED:
        _set(producer, changes, status=PublicationStatus.PUBLISHED)
        producer.published_at = producer.published_at or utcnow()
    elif created:
        producer.submitted_at = utcnow()
    existing = {c.kind for c in producer.certificates}
    for kind in row.certificates:
        if kind not in existing:
            producer.certificates.append(Certificate(kind=kind))
            changes.append("certificates")
    db.session.flush()
    if created:
        result.producers_created += 1
        audit.record("producer.imported", producer, producer_id=producer.id)
        _invite(producer, row, result)
    elif changes and producer.id not in getattr(result, "_seen", set()):
        result.producers_updated += 1
    result.__dict__.setdefault("_seen", set()).add(producer.id)
    return producer


def _invite(producer: Producer, row: InventoryRow, result: ImportResult) -> None:
    """An account for the imported producer, with an invitation through the outbox when an e-mail is known."""
    if not row.email:
        return
    if accounts.find_by_email(row.email) is not None:
        result.warnings.append((row.number, "e-mail already has an account (no invitation sent)"))
        return
    user = accounts.create_user(row.email, None, "producer", producer.slug, name=row.owner_name)
    user.email_confirmed_at = None
    accounts.invite(user)
    result.invitations += 1


def _product(row: InventoryRow, producer: Producer, category: Category, status: PublicationStatus,
             result: ImportResult) -> Product:
    product = db.session.scalar(
        select(Product).where(Product.producer_id == producer.id, func.lower(Product.name) == row.product.lower())
    )
    created = product is None
    if created:
        product = Product(producer=producer, name=row.product, slug=slugify(row.product), status=status)
        db.session.add(product)
    changes: list[str] = []
    _set(product, changes, category_id=category.id, unit=row.unit, monthly_capacity=row.capacity,
         min_order_qty=row.moq, grade=row.grade, price_on_request=row.price is None)
    tiers = [] if row.price is None else [(row.moq or 1, row.price)]
    if [(t.min_qty, t.price) for t in product.price_tiers] != [(float(q), int(p)) for q, p in tiers]:
        set_price_tiers(product, tiers)
        changes.append("price")
    wanted = {c for c in producer.certificates if c.kind in row.certificates}
    if set(product.certificates) != wanted:
        product.certificates = sorted(wanted, key=lambda c: c.kind)
        changes.append("certificates")
    if status == PublicationStatus.PUBLISHED and product.status != PublicationStatus.PUBLISHED:
        _set(product, changes, status=PublicationStatus.PUBLISHED)
        product.published_at = product.published_at or utcnow()
    elif created:
        product.submitted_at = utcnow()
    db.session.flush()
    if created:
        result.products_created += 1
    elif changes:
        result.products_updated += 1
    return product
