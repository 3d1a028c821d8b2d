"""Importing the city's UMKM inventory (CSV or XLSX) into storefronts and listings.

Idempotent: a producer is found again by its NIB and a product by its name within that
producer, so running the same file twice changes nothing. The same NIB under another
business name is a conflict and that row is rejected. Text is stored as text.

The command and the admin page call the same two functions: `import_file` (the caller
commits) and `dry_run` (everything computed, then rolled back). Both return an
`ImportResult` of plain data: what was (or would be) created and updated, each rejected
row with its reason and original cells, and the warnings.

Lookups are batched: the producers, products and accounts the file may touch are loaded
up front and the rows are matched in memory, with one flush at the end, so a file of a
few thousand rows takes seconds rather than one round trip per row.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask import g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import Category, Certificate, Producer, Product, PublicationStatus, Role, User, utcnow
from marketplace.services import audit, search
from marketplace.services.inventory import InventoryFileError, InventoryRow, RowRejected, parse_row, read_inventory
from marketplace.services.listings import set_price_tiers
from marketplace.text import slugify

CHUNK = 500  # values per IN (…) query


@dataclass
class ImportResult:
    headers: list[str] = field(default_factory=list)
    rows: int = 0
    # One entry per producer / product created or changed: row, action ("created"/"updated"), name, details.
    producers: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    invitations: int = 0
    rejected: list[tuple[int, str, list]] = field(default_factory=list)  # (row, reason, original cells)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def _count(self, items: list[dict], action: str) -> int:
        return sum(1 for item in items if item["action"] == action)

    @property
    def producers_created(self) -> int:
        return self._count(self.producers, "created")

    @property
    def producers_updated(self) -> int:
        return self._count(self.producers, "updated")

    @property
    def products_created(self) -> int:
        return self._count(self.products, "created")

    @property
    def products_updated(self) -> int:
        return self._count(self.products, "updated")

    @property
    def changes_anything(self) -> bool:
        return bool(self.producers or self.products)

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows, "producers_created": self.producers_created, "producers_updated": self.producers_updated,
            "products_created": self.products_created, "products_updated": self.products_updated,
            "rejected": len(self.rejected), "warnings": len(self.warnings), "invitations": self.invitations,
        }

    def summary(self) -> str:
        return (f"producers created {self.producers_created}, updated {self.producers_updated}; "
                f"products created {self.products_created}, updated {self.products_updated}; "
                f"rows rejected {len(self.rejected)}; warnings {len(self.warnings)}; "
                f"invitations queued {self.invitations}")

    def to_dict(self) -> dict:
        """Plain JSON (original cells as text), to keep a preview or a result between requests."""
        return {
            "headers": self.headers, "rows": self.rows, "producers": self.producers, "products": self.products,
            "invitations": self.invitations, "rejected": [[n, r, [cell_text(c) for c in cells]] for n, r, cells in self.rejected],
            "warnings": [list(w) for w in self.warnings],
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportResult:
        return cls(
            headers=list(data.get("headers", [])), rows=int(data.get("rows", 0)),
            producers=list(data.get("producers", [])), products=list(data.get("products", [])),
            invitations=int(data.get("invitations", 0)),
            rejected=[(int(n), str(r), list(cells)) for n, r, cells in data.get("rejected", [])],
            warnings=[(int(n), str(w)) for n, w in data.get("warnings", [])],
        )


def cell_text(value) -> str:
    """An original cell as the spreadsheet showed it (never evaluated)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def report_rows(result: ImportResult) -> Iterable[list]:
    """The rejected-rows report: a header, then row number, reason and the original cells of each rejected row.

    Cells are raw text; the writer neutralises anything a spreadsheet would run as a formula.
    """
    yield ["row", "reason", "cells"]
    for number, reason, cells in result.rejected:
        yield [number, reason, *(cell_text(c) for c in cells)]


def report_csv(result: ImportResult) -> bytes:
    """The report as CSV for a spreadsheet: UTF-8 with BOM, formula-like text prefixed with an apostrophe."""
    from marketplace.services.exports import csv_safe

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in report_rows(result):
        writer.writerow([csv_safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def dry_run(path: Path | str, *, publish: bool = False, data: bytes | None = None,
            progress: Callable[[int], None] | None = None, max_rows: int | None = None) -> ImportResult:
    """The same import, computed in full and rolled back: nothing is written, nothing is sent."""
    queued = list(g.get("outbox_ids", [])) if has_request_context() else None
    try:
        return import_file(path, publish=publish, data=data, progress=progress, max_rows=max_rows)
    finally:
        db.session.rollback()
        if queued is not None:
            g.outbox_ids = queued  # the invitations of the dry run were never written; nothing to send


class TooManyRows(InventoryFileError):
    """More rows than the caller takes (the admin page sends large files to the command)."""

    def __init__(self, rows: int, limit: int):
        super().__init__(f"{rows} rows; at most {limit} are taken here")
        self.rows, self.limit = rows, limit


class _Known:
    """What the database already holds for the rows of this file, loaded in a few queries."""

    def __init__(self, rows: list[InventoryRow]):
        nibs = sorted({r.nib for r in rows})
        emails = sorted({r.email.lower() for r in rows if r.email})
        self.producers: dict[str, Producer] = {}
        for chunk in _chunks(nibs):
            for producer in db.session.scalars(
                select(Producer).where(Producer.nib.in_(chunk)).options(
                    selectinload(Producer.certificates),
                    selectinload(Producer.products).selectinload(Product.price_tiers),
                    selectinload(Producer.products).selectinload(Product.certificates),
                )
            ):
                self.producers[producer.nib] = producer
        self.emails: set[str] = set()
        for chunk in _chunks(emails):
            self.emails.update(db.session.scalars(select(func.lower(User.email)).where(func.lower(User.email).in_(chunk))))
        self.slugs: set[str] = set(db.session.scalars(select(Producer.slug)))

    def unique_slug(self, name: str) -> str:
        base = slugify(name)
        slug, n = base, 2
        while slug in self.slugs:
            slug, n = f"{base}-{n}", n + 1
        self.slugs.add(slug)
        return slug


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def _set(obj, changes: list, **values) -> None:
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changes.append(name)


class _Run:
    """One import: the rows matched against what is known, the changes collected per producer and product."""

    def __init__(self, known: _Known, categories: dict[str, Category], publish: bool):
        self.known = known
        self.categories = categories
        self.status = PublicationStatus.PUBLISHED if publish else PublicationStatus.PENDING
        self.producer_entries: dict[int, dict] = {}  # id(producer) → its entry in the result
        self.product_entries: dict[int, dict] = {}
        self.created_producers: list[tuple[Producer, InventoryRow]] = []
        self.products: list[Product] = []

    def _entry(self, entries: dict[int, dict], obj, row: InventoryRow, created: bool, changes: list[str],
               **details) -> None:
        entry = entries.get(id(obj))
        if entry is None:
            if not created and not changes:
                return
            entry = entries[id(obj)] = {"row": row.number, "action": "created" if created else "updated",
                                        "fields": [], **details}
        entry["fields"] = sorted(set(entry["fields"]) | set(changes)) if entry["action"] == "updated" else []

    def producer(self, row: InventoryRow) -> Producer:
        producer = self.known.producers.get(row.nib)
        if producer is not None and not _same_name(producer.name, row.business_name):
            raise RowRejected(f"NIB {row.nib} belongs to another business ({producer.name})")
        created = producer is None
        if created:
            producer = Producer(nib=row.nib, name=row.business_name, slug=self.known.unique_slug(row.business_name),
                                kecamatan=row.kecamatan, status=self.status)
            db.session.add(producer)
            self.known.producers[row.nib] = producer
            self.created_producers.append((producer, row))
        changes: list[str] = []
        _set(producer, changes, owner_name=row.owner_name, kecamatan=row.kecamatan, kelurahan=row.kelurahan,
             address=row.address)
        if row.phone:
            _set(producer, changes, phone=row.phone)
        if row.email:
            _set(producer, changes, email=row.email)
        if self.status == PublicationStatus.PUBLISHED and producer.status != PublicationStatus.PUBLISHED:
            _set(producer, changes, status=PublicationStatus.PUBLISHED)
            producer.published_at = producer.published_at or utcnow()
        elif created:
            producer.submitted_at = utcnow()
        existing = {c.kind for c in producer.certificates}
        for kind in row.certificates:
            if kind not in existing:
                producer.certificates.append(Certificate(kind=kind))
                changes.append("certificates")
        self._entry(self.producer_entries, producer, row, created, changes, name=producer.name, nib=row.nib,
                    kecamatan=row.kecamatan)
        return producer

    def product(self, row: InventoryRow, producer: Producer) -> Product:
        category = self.categories[row.category]
        wanted_name = row.product.lower()
        product = next((p for p in producer.products if p.name.lower() == wanted_name), None)
        created = product is None
        if created:
            product = Product(producer=producer, name=row.product, slug=slugify(row.product), status=self.status)
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
        if self.status == PublicationStatus.PUBLISHED and product.status != PublicationStatus.PUBLISHED:
            _set(product, changes, status=PublicationStatus.PUBLISHED)
            product.published_at = product.published_at or utcnow()
        elif created:
            product.submitted_at = utcnow()
        if created:
            changes = []
        self._entry(self.product_entries, product, row, created, changes, name=product.name, producer=producer.name,
                    category=row.category, unit=row.unit, capacity=row.capacity, price=row.price)
        self.products.append(product)
        return product


def import_file(path: Path | str, *, publish: bool = False, data: bytes | None = None,
                progress: Callable[[int], None] | None = None, max_rows: int | None = None) -> ImportResult:
    """Validate and apply every row; the caller commits (or rolls back for a dry run)."""
    headers, records = read_inventory(path, data)  # InventoryFileError for a file that is not an inventory
    if max_rows is not None and len(records) > max_rows:
        raise TooManyRows(len(records), max_rows)
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    result = ImportResult(headers=headers, rows=len(records))
    parsed: list[InventoryRow] = []
    originals: dict[int, list] = {}
    for number, cells, original in records:
        try:
            row = parse_row(number, cells)
            if row.category is None or row.category not in categories:
                raise RowRejected("unknown category")
        except RowRejected as rejection:
            result.rejected.append((number, str(rejection), original))
            if progress:
                progress(1)
        else:
            parsed.append(row)
            originals[id(row)] = original

    with db.session.no_autoflush:
        run = _Run(_Known(parsed), categories, publish)
        for row in parsed:
            try:
                producer = run.producer(row)
                run.product(row, producer)
            except RowRejected as rejection:
                result.rejected.append((row.number, str(rejection), originals[id(row)]))
            else:
                result.warnings.extend((row.number, w) for w in row.warnings)
            if progress:
                progress(1)
    db.session.flush()

    for producer, row in run.created_producers:
        audit.record("producer.imported", producer, producer_id=producer.id)
    _invite(run, result)
    search.reindex({p.id for p in run.products})

    result.producers = list(run.producer_entries.values())
    result.products = list(run.product_entries.values())
    result.rejected.sort(key=lambda r: r[0])
    result.warnings.sort(key=lambda w: w[0])
    audit.record("inventory.imported", note=Path(path).name[:200], data={**result.counts(), "publish": publish})
    db.session.flush()
    return result


def _invite(run: _Run, result: ImportResult) -> None:
    """An account for each imported producer with an e-mail, and an invitation through the outbox.

    The same invitation as accounts.invite, queued without a flush per message (one flush for all).
    """
    from marketplace.services import outbox, tokens

    users = []
    for producer, row in run.created_producers:
        if not row.email:
            continue
        email = row.email.lower()
        if email in run.known.emails:
            result.warnings.append((row.number, "e-mail already has an account (no invitation sent)"))
            continue
        run.known.emails.add(email)
        user = User(email=email, role=Role.PRODUCER, name=row.owner_name, producer=producer, email_confirmed_at=None)
        db.session.add(user)
        users.append(user)
    if not users:
        return
    db.session.flush()
    messages = []
    with db.session.no_autoflush:
        for user in users:
            url = outbox.site_url("auth.invite", token=tokens.make(user, "invite"))
            messages.append(outbox.queue_email(user.email, "invitation", locale=user.locale, flush=False, user=user,
                                               producer=user.producer, url=url))
            audit.record("account.invited", user)
            result.invitations += 1
    db.session.flush()
    outbox.remember_for_sending(messages)
