"""The city's UMKM inventory (CSV or XLSX): reading the spreadsheet, one row → one clean record or a reason to
reject it, and importing the records into storefronts and listings. Used by `import-umkm`, the admin's import page
and `seed demo`. Text is kept as text: nothing in a cell is ever evaluated.

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
import json
import re
from collections.abc import Iterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from flask import g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts import audit
from marketplace.catalog import search
from marketplace.core.formatting import normalise_phone
from marketplace.core.policies import InventoryImport
from marketplace.core.text import parse_number, slugify
from marketplace.core.vocab import MASS_IN_KG, UNITS, certificate_code, kecamatan_code
from marketplace.extensions import db
from marketplace.listings import editing as listings, review as moderation
from marketplace.listings import pricing
from marketplace.listings.editing import LIVE_STATES, set_price_tiers
from marketplace.listings.workflow import publication, revision as revision_workflow
from marketplace.models import (
    OPEN_REVISION_STATUSES, AuditEvent, Category, Certificate, Producer, Product, PublicationStatus, Revision,
    RevisionStatus, Role, User, utcnow,
)

# Inventory category names → category slugs (the fixed tree created by the first migration).
CATEGORY_BY_NAME = {
    "beras & serealia": "beras-serealia",
    "daging & unggas": "daging-unggas",
    "telur": "telur",
    "sayur & buah": "sayur-buah",
    "pupuk & sarana tani": "pupuk-sarana-tani",
    "olahan pangan": "olahan-pangan",
    "kerajinan & wastra": "kerajinan-wastra",
}

# Lenient header matching: a normalised header → our field.
HEADERS = {
    "no": "no",
    "namausaha": "business_name", "namaumkm": "business_name", "usaha": "business_name",
    "namapemilik": "owner_name", "pemilik": "owner_name",
    "nib": "nib",
    "kecamatan": "kecamatan",
    "kelurahan": "kelurahan", "desakelurahan": "kelurahan",
    "alamat": "address",
    "nohpwa": "phone", "nohp": "phone", "telepon": "phone", "nowa": "phone", "hpwa": "phone",
    "email": "email",
    "produk": "product", "namaproduk": "product",
    "kategori": "category",
    "satuan": "unit",
    "kapasitasproduksibulan": "capacity", "kapasitasperbulan": "capacity", "kapasitas": "capacity",
    "hargasatuanrp": "price", "hargasatuan": "price", "harga": "price",
    "minimalorder": "moq", "minimalpemesanan": "moq", "moq": "moq",
    "sertifikat": "certificates",
    "kualitasgrade": "grade", "kualitas": "grade", "grade": "grade",
    "keterangan": "notes",
}
REQUIRED = ("business_name", "nib", "kecamatan", "product")


def header_key(value) -> str:
    return re.sub(r"[^a-z0-9]", "", str(value or "").lower())


class InventoryFileError(ValueError):
    """The file as a whole cannot be read (not a spreadsheet, no header row, missing columns)."""


class RowRejected(ValueError):
    """This row cannot be imported; the message says why."""


@dataclass
class InventoryRow:
    number: int
    business_name: str
    owner_name: str
    nib: str
    kecamatan: str
    kelurahan: str
    address: str
    phone: str | None
    email: str | None
    product: str
    category: str | None
    unit: str
    capacity: float
    price: int | None
    moq: float
    certificates: list[str]
    grade: str
    notes: str
    warnings: list[str] = field(default_factory=list)


def parse_quantity(raw, unit: str) -> float | None:
    """'5.8 ton' for a product sold in kg → 5800; '12430 ikat' → 12430."""
    if raw is None:
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    match = re.match(r"^\s*([-\d.,\s]+?)\s*([a-zA-Z]+)?\s*$", str(raw))
    if not match:
        return None
    value = parse_number(match.group(1))
    suffix = (match.group(2) or "").lower()
    if value is None:
        return None
    if suffix and suffix != unit:
        if suffix in MASS_IN_KG and unit in MASS_IN_KG:
            value = value * MASS_IN_KG[suffix] / MASS_IN_KG[unit]
        else:
            return None
    return value


def _text(cells: dict, name: str) -> str:
    value = cells.get(name)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def parse_row(number: int, cells: dict) -> InventoryRow:
    """Validate one row (cells keyed by our field names). Raises RowRejected."""
    business_name = _text(cells, "business_name")
    if not business_name:
        raise RowRejected("missing business name")
    nib = re.sub(r"[\s.-]", "", _text(cells, "nib"))
    if not re.fullmatch(r"\d{13}", nib):
        raise RowRejected("NIB is not 13 digits")
    kecamatan = kecamatan_code(_text(cells, "kecamatan"))
    if kecamatan is None:
        raise RowRejected("unknown kecamatan")
    product = _text(cells, "product")
    if not product:
        raise RowRejected("missing product")
    unit = _text(cells, "unit").lower() or "pcs"
    capacity = parse_quantity(cells.get("capacity"), unit)
    if capacity is None or capacity < 0:
        raise RowRejected("capacity is not a number")
    price_raw = _text(cells, "price")
    price = parse_number(price_raw) if price_raw else None
    if price_raw and price is None:
        raise RowRejected("price is not a number")
    if price is not None and price < 0:
        raise RowRejected("negative price")
    moq = parse_quantity(cells.get("moq"), unit) if _text(cells, "moq") else 1.0
    if moq is None or moq < 0:
        raise RowRejected("minimum order is not a number")

    warnings: list[str] = []
    phone_raw = _text(cells, "phone")
    phone = normalise_phone(phone_raw)
    if phone_raw and phone is None:
        warnings.append("malformed phone number (imported without it)")
    email_raw = _text(cells, "email")
    email = None
    if email_raw:
        try:
            email = validate_email(email_raw, check_deliverability=False).normalized
        except EmailNotValidError:
            warnings.append("malformed email (imported without it)")
    if unit not in UNITS:
        warnings.append(f"unknown unit {unit!r} (kept as written)")
    category = CATEGORY_BY_NAME.get(_text(cells, "category").lower())
    if category is None:
        warnings.append("unknown category")
    certificates = []
    for part in re.split(r"[,;/]", _text(cells, "certificates")):
        if part.strip():
            code = certificate_code(part)
            certificates.append(code or "lainnya")
    grade = _text(cells, "grade")
    return InventoryRow(
        number=number,
        business_name=business_name,
        owner_name=_text(cells, "owner_name"),
        nib=nib,
        kecamatan=kecamatan,
        kelurahan=_text(cells, "kelurahan"),
        address=_text(cells, "address"),
        phone=phone,
        email=email,
        product=product,
        category=category,
        unit=unit,
        capacity=capacity,
        price=int(round(price)) if price is not None else None,
        moq=moq,
        certificates=sorted(set(certificates)),
        grade="" if grade in ("-", "–") else grade,
        notes=_text(cells, "notes"),
        warnings=warnings,
    )


def _find_header(rows: list[list]) -> tuple[int, dict[int, str]]:
    for index, row in enumerate(rows[:20]):
        mapping = {i: HEADERS[header_key(v)] for i, v in enumerate(row) if header_key(v) in HEADERS}
        if "business_name" in mapping.values() and "nib" in mapping.values():
            missing = [name for name in REQUIRED if name not in mapping.values()]
            if missing:
                raise InventoryFileError(f"missing required columns: {', '.join(missing)}")
            return index, mapping
    raise InventoryFileError("no header row with 'Nama Usaha' and 'NIB' in the first 20 rows")


def read_inventory(path: Path | str, data: bytes | None = None) -> tuple[list[str], list[tuple[int, dict, list]]]:
    """The header row (as written) and every data row as (sheet row number, cells by field, original cells).

    Reads the whole file first: a file that is not an inventory raises InventoryFileError before any row is used.
    """
    path = Path(path)
    raw = data if data is not None else path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(raw)
    elif path.suffix.lower() in (".csv", ".txt"):
        rows = _csv_rows(raw)
    else:
        raise InventoryFileError("the file must be CSV or XLSX")
    header_index, mapping = _find_header(rows)
    headers = ["" if v is None else " ".join(str(v).split()) for v in rows[header_index]]
    records = []
    # A row is numbered as the spreadsheet shows it (Excel's row number, a CSV's record counted from 1),
    # whatever the "No" column says: that is the number the admin looks up.
    for number, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        if not any(str(v).strip() for v in row if v is not None):
            continue
        cells = {field_name: row[i] if i < len(row) else None for i, field_name in mapping.items()}
        records.append((number, cells, list(row)))
    return headers, records


def read_rows(path: Path | str, data: bytes | None = None) -> Iterator[tuple[int, dict, list]]:
    """Yield (row number, cells by field, original cells) for every data row of a CSV or XLSX file."""
    yield from read_inventory(path, data)[1]


def _csv_rows(raw: bytes) -> list[list]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise InventoryFileError("the file is not a CSV text file")
    # Excel's CSV rules; only the delimiter varies (Excel in Indonesian locale writes ';').
    first_lines = text[:4096]
    delimiter = max(",;\t", key=first_lines.count)
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _xlsx_rows(raw: bytes) -> list[list]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InventoryFileError("the file is not a readable XLSX workbook") from exc
    try:
        sheet = workbook.active
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


CHUNK = 500  # values per IN (…) query

# What the city's sheet carries for a storefront and for a listing (besides certificates, and the
# listing's one price, which is its first tier's); the import changes these and keeps everything else.
PRODUCER_SHEET_FIELDS = ("owner_name", "kelurahan", "address", "phone", "email")
PRODUCT_SHEET_FIELDS = ("category_id", "unit", "monthly_capacity", "min_order_qty", "grade", "price_on_request")
# Audit actions by which an admin settled who owns a storefront someone registered themselves.
OWNER_SETTLED = ("producer.import_owner_confirmed", "producer.import_owner_replaced")
# What becomes of a record the sheet names (entry["outcome"]).
OUTCOMES = ("published", "review", "suspended", "archived", "draft")


@dataclass
class ImportResult:
    headers: list[str] = field(default_factory=list)
    rows: int = 0
    # One entry per producer / product created, changed, published or sent for review: row (as the sheet
    # numbers it), action ("created", "updated", or "unchanged" when only its status moved), name, details,
    # changes (field, old, new), outcome (one of OUTCOMES) and why it was not published when it could not be.
    producers: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    invitations: int = 0
    rejected: list[tuple[int, str, list]] = field(default_factory=list)  # (row, reason, original cells)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    # Storefronts someone registered themselves that the sheet names: row, nib, name, slug, status,
    # accounts (e-mails), sheet_email, resolution (None while open, "owner" or "invite").
    conflicts: list[dict] = field(default_factory=list)
    publish: bool = False

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

    def _outcome(self, outcome: str) -> int:
        return sum(1 for item in self.producers + self.products if item.get("outcome") == outcome)

    @property
    def published(self) -> int:
        return self._outcome("published")

    @property
    def waiting_for_review(self) -> int:
        return self._outcome("review") + self._outcome("suspended")

    @property
    def open_conflicts(self) -> list[dict]:
        return [c for c in self.conflicts if not c.get("resolution")]

    @property
    def changes_anything(self) -> bool:
        return bool(self.producers or self.products or any(c.get("resolution") for c in self.conflicts))

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows, "producers_created": self.producers_created, "producers_updated": self.producers_updated,
            "products_created": self.products_created, "products_updated": self.products_updated,
            "published": self.published, "waiting_for_review": self.waiting_for_review,
            "conflicts": len(self.open_conflicts),
            "rejected": len(self.rejected), "warnings": len(self.warnings), "invitations": self.invitations,
        }

    def summary(self) -> str:
        return (f"producers created {self.producers_created}, updated {self.producers_updated}; "
                f"products created {self.products_created}, updated {self.products_updated}; "
                f"published {self.published}; waiting for review {self.waiting_for_review}; "
                f"conflicts {len(self.open_conflicts)}; "
                f"rows rejected {len(self.rejected)}; warnings {len(self.warnings)}; "
                f"invitations queued {self.invitations}")

    def to_dict(self) -> dict:
        """Plain JSON (original cells as text), to keep a preview or a result between requests."""
        return {
            "headers": self.headers, "rows": self.rows, "producers": self.producers, "products": self.products,
            "invitations": self.invitations, "rejected": [[n, r, [cell_text(c) for c in cells]] for n, r, cells in self.rejected],
            "warnings": [list(w) for w in self.warnings], "conflicts": self.conflicts, "publish": self.publish,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportResult:
        return cls(
            headers=list(data.get("headers", [])), rows=int(data.get("rows", 0)),
            producers=list(data.get("producers", [])), products=list(data.get("products", [])),
            invitations=int(data.get("invitations", 0)),
            rejected=[(int(n), str(r), list(cells)) for n, r, cells in data.get("rejected", [])],
            warnings=[(int(n), str(w)) for n, w in data.get("warnings", [])],
            conflicts=list(data.get("conflicts", [])), publish=bool(data.get("publish", False)),
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


def value_text(value) -> str:
    """A changed value for the command's output: 5000.0 → '5000', a list → 'halal, pirt', nothing → '—'."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


OUTCOME_TEXT = {
    "published": "published", "review": "waits for review", "suspended": "stays suspended (a moderator decides)",
    "archived": "stays archived (its owner restores it)", "draft": "stays a draft (its owner sends it for review)",
}
WHY_TEXT = {
    "own_changes": "the revision also holds the producer's own changes",
    "self_registered": "the storefront was registered by its owner, not by the import",
    "not_imported": "the import did not make this record",
    "storefront_not_live": "its storefront is not published",
}


def change_lines(result: ImportResult) -> Iterable[str]:
    """One line per record the import changed, published or sent for review, and per conflict, by sheet row."""
    lines = []
    for kind, entries in (("producer", result.producers), ("product", result.products)):
        for entry in entries:
            where = f" ({entry['producer']})" if kind == "product" else f" (NIB {entry['nib']})"
            outcome = OUTCOME_TEXT.get(entry.get("outcome") or "", "")
            if entry.get("why"):
                outcome += f", not published: {WHY_TEXT.get(entry['why'], entry['why'])}"
            changes = "; ".join(f"{c['field']} {value_text(c['old'])} → {value_text(c['new'])}"
                                for c in entry.get("changes") or [])
            text = f"row {entry['row']}: {kind} {entry['name']}{where} {entry['action']} — {outcome}"
            lines.append((entry["row"], text + (f": {changes}" if changes else "")))
    for conflict in result.conflicts:
        who = ", ".join(conflict["accounts"]) or "an account"
        if conflict.get("resolution") == "owner":
            text = f"the registered account ({who}) confirmed as owner"
        elif conflict.get("resolution") == "invite":
            text = f"{conflict['sheet_email']} invited; the registered account ({who}) no longer has the storefront"
        else:
            text = (f"storefront {conflict['name']!r} was registered by {who}, not by the import; its rows are not "
                    f"imported (sheet e-mail: {conflict['sheet_email'] or '—'}). Resolve with --resolve "
                    f"{conflict['nib']}=owner or --resolve {conflict['nib']}=invite")
        lines.append((conflict["row"], f"row {conflict['row']}: conflict — NIB {conflict['nib']}: {text}"))
    return [text for _row, text in sorted(lines, key=lambda line: line[0])]


def report_rows(result: ImportResult) -> Iterable[list]:
    """The rejected-rows report: a header, then row number, reason and the original cells of each rejected row.

    Cells are raw text; the writer neutralises anything a spreadsheet would run as a formula.
    """
    yield ["row", "reason", "cells"]
    for number, reason, cells in result.rejected:
        yield [number, reason, *(cell_text(c) for c in cells)]


def report_csv(result: ImportResult) -> bytes:
    """The report as CSV for a spreadsheet: UTF-8 with BOM, formula-like text prefixed with an apostrophe."""
    from marketplace.core.exports import csv_safe

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in report_rows(result):
        writer.writerow([csv_safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def dry_run(path: Path | str, *, publish: bool = False, data: bytes | None = None,
            progress: Callable[[int], None] | None = None, max_rows: int | None = None,
            user: User | None = None, resolutions: dict[str, str] | None = None) -> ImportResult:
    """The same import, computed in full and rolled back: nothing is written, nothing is sent."""
    queued = list(g.get("outbox_ids", [])) if has_request_context() else None
    try:
        return import_file(path, publish=publish, data=data, progress=progress, max_rows=max_rows, user=user,
                           resolutions=resolutions)
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
                    selectinload(Producer.certificates), selectinload(Producer.accounts),
                    selectinload(Producer.products).selectinload(Product.price_tiers),
                    selectinload(Producer.products).selectinload(Product.certificates),
                )
            ):
                self.producers[producer.nib] = producer
        self.emails: set[str] = set()
        for chunk in _chunks(emails):
            self.emails.update(db.session.scalars(select(func.lower(User.email)).where(func.lower(User.email).in_(chunk))))
        self.slugs: set[str] = set(db.session.scalars(select(Producer.slug)))
        # Storefronts their owners registered themselves, and those whose owner an admin has settled since.
        producer_ids = [p.id for p in self.producers.values()]
        product_ids = [q.id for p in self.producers.values() for q in p.products]
        self.registered: set[int] = set()
        self.resolved: set[int] = set()
        self.imported: set[tuple[str, int]] = set()  # records the import made (in an earlier run)
        self.revisions: dict[tuple[str, int], Revision | None] = {}
        for chunk in _chunks(producer_ids):
            self.registered.update(db.session.scalars(select(AuditEvent.producer_id).where(
                AuditEvent.action == "account.registered", AuditEvent.producer_id.in_(chunk))))
            for action, object_id in db.session.execute(select(AuditEvent.action, AuditEvent.object_id).where(
                    AuditEvent.object_type == "producer", AuditEvent.object_id.in_(chunk),
                    AuditEvent.action.in_(["producer.imported", *OWNER_SETTLED]))):
                if action == "producer.imported":
                    self.imported.add(("producer", object_id))
                else:
                    self.resolved.add(object_id)
            for revision in db.session.scalars(select(Revision).where(
                    Revision.producer_id.in_(chunk), Revision.status.in_([str(s) for s in OPEN_REVISION_STATUSES]))
                    .order_by(Revision.id)):
                self.revisions[(revision.object_type, revision.object_id)] = revision  # the newest stays
        for chunk in _chunks(product_ids):
            self.imported.update(("product", i) for i in db.session.scalars(select(AuditEvent.object_id).where(
                AuditEvent.action == "product.imported", AuditEvent.object_type == "product",
                AuditEvent.object_id.in_(chunk))))

    def revision(self, obj) -> Revision | None:
        """The open revision of a record (loaded up front; kept current by the run)."""
        return self.revisions.get((obj.__tablename__, obj.id)) if obj.id is not None else None

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
    """Set what differs on a record buyers do not see yet, noting each change as old → new."""
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            setattr(obj, name, value)
            changes.append({"field": name, "old": old, "new": value})


def _plain(value):
    """A value as a revision's JSON keeps it, so live and proposed values compare alike."""
    return json.loads(json.dumps(value, default=str))


def _first_price(values: dict) -> int | None:
    tiers = sorted(values.get("tiers") or [])
    return None if values.get("price_on_request") or not tiers else int(tiers[0][1])


# What the import refuses of a row's price tiers (the rules of listings/pricing.tier_problems), as row messages.
TIER_ABOVE_CAPACITY = "price tier starts above the monthly capacity (tier left out)"
TIER_RISING = "price below a larger order's (price not changed)"


def _allowed_tiers(tiers: list, previous: list | None, row: InventoryRow) -> list:
    """The tiers the import may write for a row: the sheet's price (the first tier's) is refused where a larger
    order would then cost more per unit (the tiers stay as they were, `previous`), and a tier starting above the monthly capacity is left
    out; each refusal is a message on the row. The MOQ rule is the form's: the import puts a new listing's one tier
    at its MOQ and keeps a listing's own first quantity."""
    problems = {code for code, _qty in pricing.tier_problems(tiers, None, row.capacity)}
    if pricing.RISING in problems and previous is not None:
        tiers = previous
        row.warnings.append(TIER_RISING)
    kept = [t for t in tiers if not row.capacity or t[0] <= row.capacity + 1e-9]
    if len(kept) < len(tiers):
        row.warnings.append(TIER_ABOVE_CAPACITY)
    return kept


class _Conflict(Exception):
    """This row's storefront was registered by someone, not by the import, and nobody said who owns it."""


class _Run:
    """One import: the rows matched against what is known, the changes collected per producer and product.

    In four steps, so that what a storefront gains is there before its listings refer to it:
    storefront rows → storefronts settled (published, or sent for review) → listing rows → listings settled.
    """

    def __init__(self, known: _Known, categories: dict[str, Category], publish: bool, actor: InventoryImport,
                 note: str, resolutions: dict[str, str]):
        self.known = known
        self.categories = categories
        self.category_slugs = {c.id: c.slug for c in categories.values()}
        self.publish = publish
        self.actor = actor
        self.note = note
        self.resolutions = resolutions
        self.producer_entries: dict[int, dict] = {}  # id(record) → its entry in the result
        self.product_entries: dict[int, dict] = {}
        self.conflicts: dict[str, dict] = {}  # NIB → conflict entry
        self.created: set[int] = set()  # id(record) of what this run made
        self.submit_now: set[int] = set()  # id(storefront) whose registered owner question was settled now
        self.producers: dict[int, Producer] = {}  # id(record) → every storefront a row named, in order
        self.products: dict[int, Product] = {}
        self.first_row: dict[int, int] = {}
        self.reindex: set[int] = set()  # product ids whose search entry changes with this run
        self.created_producers: list[tuple[Producer, InventoryRow]] = []
        self.to_invite: list[tuple[Producer, InventoryRow]] = []

    # ------------------------------------------------------------ entries

    def _entry(self, entries: dict[int, dict], obj, row: InventoryRow, created: bool, changes: list[dict],
               **details) -> None:
        entry = entries.get(id(obj))
        if entry is None:
            if not created and not changes:
                return
            entry = entries[id(obj)] = {"row": row.number, "action": "created" if created else "updated",
                                        "changes": [], "outcome": None, "why": None, **details}
        if entry["action"] != "created":
            entry["action"] = "updated"
            done = {c["field"] for c in entry["changes"]}
            entry["changes"] += [c for c in changes if c["field"] not in done]

    def _known_import(self, obj) -> bool:
        return id(obj) in self.created or (obj.__tablename__, obj.id) in self.known.imported

    # ------------------------------------------------------------ storefronts

    def producer(self, row: InventoryRow) -> Producer:
        producer = self.known.producers.get(row.nib)
        if producer is not None and not _same_name(producer.name, row.business_name):
            raise RowRejected(f"NIB {row.nib} belongs to another business ({producer.name})")
        created = producer is None
        changes: list[dict] = []
        if created:
            producer = Producer(nib=row.nib, name=row.business_name, slug=self.known.unique_slug(row.business_name),
                                kecamatan=row.kecamatan, status=PublicationStatus.PENDING, submitted_at=utcnow(),
                                products=[], accounts=[], certificates=[])  # known empty: no lazy load after a flush
            db.session.add(producer)
            self.known.producers[row.nib] = producer
            self.created.add(id(producer))
            self.created_producers.append((producer, row))
            if row.email:
                self.to_invite.append((producer, row))
            _set(producer, changes, **{n: getattr(row, n) for n in PRODUCER_SHEET_FIELDS if getattr(row, n)})
            for kind in row.certificates:
                producer.certificates.append(Certificate(kind=kind))
            changes = []
        else:
            if producer.id in self.known.registered and producer.id not in self.known.resolved:
                self._settle_owner(producer, row)
            changes = self._update_producer(producer, row)
        self.producers.setdefault(id(producer), producer)
        self.first_row.setdefault(id(producer), row.number)
        self._entry(self.producer_entries, producer, row, created, changes, name=producer.name, nib=row.nib,
                    kecamatan=row.kecamatan)
        return producer

    def _settle_owner(self, producer: Producer, row: InventoryRow) -> None:
        """A storefront its owner registered (not made by the import): whose is it? The admin says, or it waits."""
        accounts = sorted(a.email for a in producer.accounts)
        entry = self.conflicts.setdefault(row.nib, {
            "row": row.number, "nib": row.nib, "name": producer.name, "slug": producer.slug, "status": str(producer.status),
            "accounts": accounts, "sheet_email": row.email, "resolution": None,
        })
        how = self.resolutions.get(row.nib)
        if how == "owner":
            audit.record("producer.import_owner_confirmed", producer, actor=self.actor, producer_id=producer.id,
                         note=f"{self.note}: {', '.join(accounts) or '-'}")
        elif how == "invite":
            if not row.email:
                raise _Conflict("no e-mail in the sheet to invite (conflict left open)")
            if row.email.lower() in self.known.emails:
                raise _Conflict("e-mail already has an account (conflict left open)")
            for account in list(producer.accounts):
                account.producer = None
            audit.record("producer.import_owner_replaced", producer, actor=self.actor, producer_id=producer.id,
                         note=f"{self.note}: {', '.join(accounts) or '-'} → {row.email}",
                         data={"removed": accounts, "invited": row.email})
            # What the registered account wrote goes with it; the owner the city names writes their own.
            producer.description, producer.website = "", None
            self.to_invite.append((producer, row))
        else:
            raise _Conflict()
        entry["resolution"] = how
        self.known.resolved.add(producer.id)
        self.submit_now.add(id(producer))

    def _update_producer(self, producer: Producer, row: InventoryRow) -> list[dict]:
        live = producer.status in LIVE_STATES
        revision = self.known.revision(producer) if live else None
        current = listings.producer_values_live(producer) | ((revision.data or {}) if revision else {})
        wanted = dict(current)
        wanted.update({n: getattr(row, n) for n in PRODUCER_SHEET_FIELDS if getattr(row, n)})
        changes = [{"field": n, "old": current.get(n), "new": wanted[n]} for n in PRODUCER_SHEET_FIELDS
                   if current.get(n) != wanted[n]]
        kinds = sorted({c["kind"] for c in current.get("certificates") or []})
        added = [k for k in row.certificates if k not in kinds]
        if added:
            changes.append({"field": "certificates", "old": kinds, "new": sorted({*kinds, *added})})
        if row.kecamatan != producer.kecamatan:
            if live:
                row.warnings.append("kecamatan differs from the live storefront (not changed)")
            else:
                changes.append({"field": "kecamatan", "old": producer.kecamatan, "new": row.kecamatan})
                producer.kecamatan = row.kecamatan
        if not changes:
            return []
        if live:  # the change waits in a revision; buyers keep seeing the approved storefront
            wanted["certificates"] = list(current.get("certificates") or []) + [
                {"id": None, "kind": k, "number": "", "issuer": "", "valid_until": None} for k in added]
            listings.save_storefront(producer, wanted, self.actor)
            self._submit_revision(producer)
        else:
            for name in PRODUCER_SHEET_FIELDS:
                setattr(producer, name, wanted[name])
            for kind in added:
                producer.certificates.append(Certificate(kind=kind))
            audit.record("producer.updated", producer, actor=self.actor, producer_id=producer.id, note=self.note)
        return changes

    def _submit_revision(self, obj: Product | Producer) -> None:
        revision = listings.open_revision(obj)
        self.known.revisions[(obj.__tablename__, obj.id)] = revision
        if revision is not None and revision.status != RevisionStatus.PENDING:
            revision_workflow.apply("submit", revision, self.actor, self.note)

    # ------------------------------------------------------------ listings

    def product(self, row: InventoryRow, producer: Producer) -> Product:
        category = self.categories[row.category]
        wanted_name = row.product.lower()
        product = next((p for p in producer.products if p.name.lower() == wanted_name), None)
        created = product is None
        changes: list[dict] = []
        if created:
            product = Product(producer=producer, name=row.product, slug=slugify(row.product), category_id=category.id,
                              unit=row.unit, monthly_capacity=row.capacity, min_order_qty=row.moq, grade=row.grade,
                              price_on_request=row.price is None, status=PublicationStatus.PENDING,
                              submitted_at=utcnow(), photos=[])
            db.session.add(product)
            tiers = _allowed_tiers([] if row.price is None else [(row.moq or 1, row.price)], None, row)
            product.price_on_request = not tiers
            set_price_tiers(product, tiers)
            product.certificates = sorted((c for c in producer.certificates if c.kind in row.certificates),
                                          key=lambda c: c.kind)
            self.created.add(id(product))
        else:
            changes = self._update_product(product, producer, row, category)
        if created or (changes and product.status not in LIVE_STATES):
            self.reindex.add(id(product))
        self.products.setdefault(id(product), product)
        self.first_row.setdefault(id(product), row.number)
        self._entry(self.product_entries, product, row, created, changes, name=product.name, producer=producer.name,
                    category=row.category, unit=row.unit, capacity=row.capacity, price=row.price)
        return product

    def _product_facts(self, values: dict) -> dict:
        return {"category": self.category_slugs.get(values.get("category_id")), "unit": values.get("unit"),
                "monthly_capacity": values.get("monthly_capacity"), "min_order_qty": values.get("min_order_qty"),
                "grade": values.get("grade"), "price": _first_price(values)}

    def _update_product(self, product: Product, producer: Producer, row: InventoryRow, category: Category) -> list[dict]:
        live = product.status in LIVE_STATES
        revision = self.known.revision(product) if live else None
        current = listings.product_values_live(product) | ((revision.data or {}) if revision else {})
        wanted = dict(current)
        wanted.update(category_id=category.id, unit=row.unit, monthly_capacity=row.capacity, min_order_qty=row.moq)
        if wanted["category_id"] != current.get("category_id"):
            wanted["specs"] = {}  # a listing's specifications are its category's: the sheet moved it to another
        if row.grade:
            wanted["grade"] = row.grade
        if row.price is not None:  # the sheet's one price is the first tier's; further tiers stay as they are
            tiers = sorted(list(t) for t in current.get("tiers") or [])
            wanted["price_on_request"] = False
            wanted["tiers"] = [[tiers[0][0], row.price], *tiers[1:]] if tiers else [[row.moq or 1, row.price]]
        if not wanted.get("price_on_request"):
            wanted["tiers"] = [list(t) for t in _allowed_tiers(
                sorted(list(t) for t in wanted.get("tiers") or []), sorted(list(t) for t in current.get("tiers") or []),
                row)]
            wanted["price_on_request"] = not wanted["tiers"]
        old, new = self._product_facts(current), self._product_facts(wanted)
        changes = [{"field": n, "old": old[n], "new": new[n]} for n in old if old[n] != new[n]]
        # Certificates the sheet names are linked; none is ever unlinked. A live listing links only
        # certificates the storefront already holds (a new one waits in the storefront's revision).
        if live:
            by_id = {c.id: c for c in producer.certificates if c.id is not None}
            ids = [i for i in current.get("certificate_ids") or [] if i in by_id]
            ids += sorted(i for i, c in by_id.items() if c.kind in row.certificates and i not in ids)
            wanted["certificate_ids"] = ids
            kinds_before = sorted({by_id[i].kind for i in current.get("certificate_ids") or [] if i in by_id})
            kinds_after = sorted({by_id[i].kind for i in ids})
        else:
            linked = list(product.certificates)
            linked += [c for c in producer.certificates if c.kind in row.certificates and c not in linked]
            kinds_before = sorted({c.kind for c in product.certificates})
            kinds_after = sorted({c.kind for c in linked})
        if kinds_before != kinds_after:
            changes.append({"field": "certificates", "old": kinds_before, "new": kinds_after})
        if not changes:
            return []
        if live:  # the change waits in a revision; buyers keep seeing the approved listing
            listings.save_product(producer, product, wanted, self.actor)
            self._submit_revision(product)
        else:
            for name in ("category_id", "unit", "monthly_capacity", "min_order_qty", "grade", "price_on_request"):
                setattr(product, name, wanted[name])
            if "specs" in wanted and not wanted["specs"] and product.specs:
                listings.clear_specs(product)
            set_price_tiers(product, [] if product.price_on_request else [tuple(t) for t in wanted.get("tiers") or []])
            product.certificates = linked
            audit.record("product.updated", product, actor=self.actor, producer_id=producer.id, note=self.note)
        return changes

    # ------------------------------------------------------------ publication

    def settle(self, obj: Product | Producer, entries: dict[int, dict], row: int) -> None:
        """What becomes of a record the sheet names: published in the import's name (only with --publish and only
        what the import vetted), sent for review, or left as its moderator or owner left it."""
        entry = entries.get(id(obj))
        changed = entry is not None and entry["action"] != "unchanged"
        status = obj.status
        why = None
        if isinstance(obj, Producer):
            publishable = obj.id not in self.known.registered  # nothing of a self-registered draft goes out unreviewed
        else:  # under a storefront a moderator (or this import) has published
            publishable = obj.producer.status == PublicationStatus.PUBLISHED
        if status == PublicationStatus.PUBLISHED:
            revision = self.known.revision(obj)
            if revision is None or revision.status != RevisionStatus.PENDING:
                return
            if self.publish and self._only_what_the_sheet_carries(obj, revision):
                moderation.publish_as_import(obj, self.actor, self.note)
                outcome = "published"
            else:
                if not changed:
                    return
                outcome, why = "review", ("own_changes" if self.publish else None)
        elif status == PublicationStatus.SUSPENDED:
            outcome = "suspended"
        elif status == PublicationStatus.ARCHIVED:
            outcome = "archived"
        elif status == PublicationStatus.PENDING:
            if self.publish and publishable and self._known_import(obj):
                moderation.publish_as_import(obj, self.actor, self.note)
                outcome = "published"
            else:
                if not changed:
                    return
                outcome = "review"
                if self.publish:
                    why = "self_registered" if not publishable and isinstance(obj, Producer) else \
                        "not_imported" if publishable else "storefront_not_live"
        elif id(obj) in self.submit_now:  # a registered draft the admin settled: a moderator reviews it
            publication.apply("submit", obj, self.actor, self.note)
            outcome, why = "review", ("self_registered" if self.publish else None)
        else:  # draft or rejected: its owner sends it
            outcome = "draft"
        if not changed and outcome not in ("published", "review"):
            return
        if entry is None:
            entry = entries[id(obj)] = {"row": row, "action": "unchanged", "changes": [], "name": obj.name}
            if isinstance(obj, Producer):
                entry.update(nib=obj.nib, kecamatan=obj.kecamatan)
            else:
                entry.update(producer=obj.producer.name, category=self.category_slugs.get(obj.category_id),
                             unit=obj.unit, capacity=obj.monthly_capacity, price=obj.price_min)
        entry["outcome"], entry["why"] = outcome, why

    def _only_what_the_sheet_carries(self, obj: Product | Producer, revision: Revision) -> bool:
        """Whether a revision proposes nothing beyond the sheet's fields (so the city vetted all of it)."""
        data = _plain(revision.data or {})
        if isinstance(obj, Product):
            live = _plain(listings.product_values_live(obj) | {"photo_keys": [p.key for p in obj.live_photos]})
            carried = {*PRODUCT_SHEET_FIELDS, "tiers", "certificate_ids"}
            tiers_now, tiers_then = sorted(live.get("tiers") or []), sorted(data.get("tiers") or [])
            if tiers_now[1:] != tiers_then[1:] or [t[0] for t in tiers_now[:1]] not in ([t[0] for t in tiers_then[:1]], []):
                return False
            if not set(live.get("certificate_ids") or []) <= set(data.get("certificate_ids") or []):
                return False
        else:
            live = _plain(listings.producer_values_live(obj))
            carried = {*PRODUCER_SHEET_FIELDS, "certificates"}
            before = live.get("certificates") or []
            after = data.get("certificates") or []
            if after[:len(before)] != before or any(c.get("id") or c.get("number") for c in after[len(before):]):
                return False
        return all(live.get(key) == value for key, value in data.items() if key not in carried)


def import_file(path: Path | str, *, publish: bool = False, data: bytes | None = None,
                progress: Callable[[int], None] | None = None, max_rows: int | None = None,
                user: User | None = None, resolutions: dict[str, str] | None = None) -> ImportResult:
    """Validate and apply every row; the caller commits (or rolls back for a dry run).

    `user` is the admin who runs it on the page (None: the server's command line); `resolutions` say, per
    NIB of a storefront someone registered themselves, "owner" (that account keeps it) or "invite" (the
    sheet's e-mail is invited instead). What changes a live record waits in a revision; `publish`
    approves, in the import's name, what the import vetted, and never lifts a suspension or an archive.
    """
    headers, records = read_inventory(path, data)  # InventoryFileError for a file that is not an inventory
    if max_rows is not None and len(records) > max_rows:
        raise TooManyRows(len(records), max_rows)
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    result = ImportResult(headers=headers, rows=len(records), publish=publish)
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

    note = f"inventory import ({Path(path).name[:200]})"
    actor = InventoryImport(user)
    run = _Run(_Known(parsed), categories, publish, actor, note, resolutions or {})
    accepted: list[tuple[InventoryRow, Producer]] = []
    with db.session.no_autoflush:
        for row in parsed:
            try:
                accepted.append((row, run.producer(row)))
            except RowRejected as rejection:
                result.rejected.append((row.number, str(rejection), originals[id(row)]))
                if progress:
                    progress(1)
            except _Conflict as conflict:
                if str(conflict):
                    result.warnings.append((row.number, str(conflict)))
                if progress:
                    progress(1)
    db.session.flush()
    for producer, _row in run.created_producers:
        audit.record("producer.imported", producer, actor=actor, producer_id=producer.id, note=note)
    for key, producer in run.producers.items():
        run.settle(producer, run.producer_entries, run.first_row[key])
    with db.session.no_autoflush:
        for row, producer in accepted:
            try:
                run.product(row, producer)
            except RowRejected as rejection:
                result.rejected.append((row.number, str(rejection), originals[id(row)]))
            else:
                result.warnings.extend((row.number, w) for w in row.warnings)
            if progress:
                progress(1)
    db.session.flush()
    for key, product in run.products.items():
        if key in run.created:
            audit.record("product.imported", product, actor=actor, producer_id=product.producer_id, note=note)
        run.settle(product, run.product_entries, run.first_row[key])

    _invite(run, result)
    search.reindex({p.id for key, p in run.products.items() if key in run.reindex})

    result.producers = sorted(run.producer_entries.values(), key=lambda e: e["row"])
    result.products = sorted(run.product_entries.values(), key=lambda e: e["row"])
    result.conflicts = sorted(run.conflicts.values(), key=lambda e: e["row"])
    result.rejected.sort(key=lambda r: r[0])
    result.warnings.sort(key=lambda w: w[0])
    if result.changes_anything or result.invitations:  # the same file again leaves no trace
        audit.record("inventory.imported", actor=user, note=Path(path).name[:200],
                     data={**result.counts(), "publish": publish})
    db.session.flush()
    return result


def _invite(run: _Run, result: ImportResult) -> None:
    """An account for each imported producer with an e-mail, and an invitation through the outbox.

    The same invitation as accounts.invite, queued without a flush per message (one flush for all).
    """
    from marketplace.core import outbox
    from marketplace.accounts import tokens

    users = []
    for producer, row in run.to_invite:
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
            audit.record("account.invited", user, actor=run.actor, producer_id=user.producer.id, note=run.note)
            result.invitations += 1
    db.session.flush()
    outbox.remember_for_sending(messages)
