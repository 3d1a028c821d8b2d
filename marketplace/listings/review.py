"""Review of storefronts and listings: the queue, the side-by-side comparison, and the decisions.

Decisions go through the workflow engine (one winner when two moderators act at once);
approving a revision copies its values onto the live record in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, has_request_context, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, cast, event, func, literal, null, or_, select, union_all
from sqlalchemy.orm import selectinload

from marketplace.core import clock, policies
from marketplace.extensions import db
from marketplace.listings import fields
from marketplace.models import (
    AuditEvent,
    Category,
    Certificate,
    CertificateStatus,
    CurationAssessment,
    Producer,
    Product,
    PublicationStatus,
    Revision,
    RevisionStatus,
    User,
    utcnow,
)
from marketplace.catalog import cache as catalog_cache, search
from marketplace.accounts import audit
from marketplace.listings import photos as images, editing as listings
from marketplace.core.workflow import TransitionNotAllowed
from marketplace.listings.workflow import publication
from marketplace.listings.workflow import revision as revision_workflow
from marketplace.listings.workflow import verification

KINDS = ("new_producer", "new_product", "product_change", "producer_change")

# Reasons a curator can pick instead of typing (the text is editable before sending).
STOCK_REASONS = (
    _l("Foto kurang jelas atau bukan foto produk asli."),
    _l("Sertifikat (Halal/PIRT/BPOM) tidak dicantumkan atau sudah kedaluwarsa."),
    _l("Kapasitas produksi tidak realistis untuk usaha ini; mohon jelaskan atau perbaiki."),
    _l("Harga atau minimal pemesanan belum diisi dengan benar."),
    _l("Deskripsi terlalu singkat; jelaskan bahan, cara produksi, dan kemasan."),
)

# The curation rubric: criterion → label. Each is scored 1 (weak) to 4 (excellent).
RUBRIC = {
    "legality": _l("Legalitas dan perizinan"),
    "quality": _l("Mutu produk"),
    "capacity": _l("Kapasitas dan kontinuitas produksi"),
    "packaging": _l("Kemasan dan pelabelan"),
    "presentation": _l("Tampilan dan informasi produk"),
}
# What each score means, per criterion, so two curators give the same listing the same score.
RUBRIC_LEVELS = {
    "legality": {
        1: _l("Belum ada NIB atau izin apa pun"),
        2: _l("NIB ada, izin produk (PIRT/BPOM/Halal) belum"),
        3: _l("NIB dan izin produk utama berlaku"),
        4: _l("Semua izin berlaku, ditambah sertifikat mutu (SNI, organik, NKV)"),
    },
    "quality": {
        1: _l("Mutu tidak seragam atau belum memenuhi standar"),
        2: _l("Mutu cukup, tetapi berbeda antar-produksi"),
        3: _l("Mutu baik dan seragam"),
        4: _l("Mutu unggul, teruji, siap bersaing di pasar Jakarta"),
    },
    "capacity": {
        1: _l("Produksi sesekali, tanpa jumlah yang pasti"),
        2: _l("Produksi rutin, tetapi belum cukup untuk pesanan berkala"),
        3: _l("Mampu memasok pesanan berkala sesuai kapasitas yang dinyatakan"),
        4: _l("Kapasitas besar dan stabil sepanjang tahun, dengan cadangan"),
    },
    "packaging": {
        1: _l("Tanpa kemasan atau label"),
        2: _l("Kemasan sederhana, label belum lengkap"),
        3: _l("Kemasan layak dan label lengkap (isi, tanggal, izin)"),
        4: _l("Kemasan menarik, tahan pengiriman, label lengkap dengan kode produksi"),
    },
    "presentation": {
        1: _l("Informasi dan foto produk belum ada"),
        2: _l("Informasi singkat, foto kurang jelas"),
        3: _l("Informasi lengkap dan foto jelas"),
        4: _l("Informasi lengkap, foto profesional, siap dipromosikan"),
    },
}
# The grade follows the mean of the scores: the lowest mean that still earns each grade.
GRADE_THRESHOLDS = (("A", 3.5), ("B", 2.75), ("C", 2.0))


@dataclass
class QueueItem:
    kind: str
    obj: Product | Producer | Revision
    producer: Producer
    title: str
    category: Category | None
    submitted_at: datetime | None
    import_file: str | None = None  # the sheet of the city's import that sent it for review (_mark_imports)

    @property
    def age_days(self) -> int:
        if self.submitted_at is None:
            return 0
        return max(0, (clock.now() - clock.in_wib(self.submitted_at)).days)

    @property
    def key(self) -> str:
        """'products:12' or 'producers:5': the live record, as the review page's address names it."""
        if isinstance(self.obj, Revision):
            return f"{self.obj.object_type}s:{self.obj.object_id}"
        return f"{self.obj.__tablename__}s:{self.obj.id}"

    @property
    def url(self) -> str:
        kind, object_id = self.key.split(":")
        return url_for("moderation.review", kind=kind, object_id=int(object_id))


QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class _Waiting:
    """One row of the queue before its records are loaded."""
    kind: str
    object_id: int  # the record's id, or the revision's for a change
    producer_id: int
    category_id: int | None
    submitted_at: datetime | None


def _waiting(moderator: User, kind: str | None = None, category_id: int | None = None, kecamatan: str | None = None,
             keys: list[str] | None = None, first: int | None = None):
    """Everything waiting for this moderator as one query of plain columns (kind, ids, category, kecamatan,
    submitted_at), oldest first: the database counts, filters and pages it, however many wait. `keys` ("products:12")
    keeps the rows of those live records only. `first`: each kind's first rows only, in the queue's order (a page
    needs no more), so the database sorts a few hundred rows, not every listing waiting. Scoped as
    `policies.moderation_scope_filter` says."""
    pending = str(PublicationStatus.PENDING)
    product_category = func.coalesce(Revision.data["category_id"].as_integer(), Product.category_id)
    # kind → (its query's columns: id, the live record's id, producer, category, submitted; its conditions)
    parts = {
        "new_producer": ((Producer.id, Producer.id, Producer.id, cast(null(), Integer), Producer.submitted_at),
                         [Producer.status == pending, *_scoped(moderator, producer_id=Producer.id)]),
        "new_product": ((Product.id, Product.id, Product.producer_id, Product.category_id, Product.submitted_at),
                        [Product.status == pending, *_scoped(moderator, category=Product.category_id)]),
        "product_change": ((Revision.id, Revision.object_id, Revision.producer_id, product_category,
                            Revision.submitted_at),
                           [Revision.status == str(RevisionStatus.PENDING), Revision.object_type == "product",
                            Product.id == Revision.object_id, *_scoped(moderator, category=product_category)]),
        "producer_change": ((Revision.id, Revision.object_id, Revision.producer_id, cast(null(), Integer),
                             Revision.submitted_at),
                            [Revision.status == str(RevisionStatus.PENDING), Revision.object_type == "producer"]),
    }
    wanted = _record_ids(keys) if keys is not None else None
    selects = []
    for position, (name, (columns, conditions)) in enumerate(parts.items()):
        if kind not in (None, name):
            continue
        part = select(literal(position).label("kind"), columns[0].label("object_id"),
                      columns[2].label("producer_id"), columns[3].label("category_id"),
                      columns[4].label("submitted_at")).where(*conditions)
        if category_id:
            part = part.where(columns[3] == category_id)
        if kecamatan:  # the storefront's; joined only for this filter
            part = part.where(Producer.id == columns[2], Producer.kecamatan == kecamatan)
        if wanted is not None:
            part = part.where(columns[1].in_(wanted["producers" if name.endswith("producer") else "products"]))
        if first is not None:
            part = select(part.order_by(columns[4].is_(None), columns[4], columns[0]).limit(first).subquery())
        selects.append(part)
    return union_all(*selects).subquery("waiting")


def _record_ids(keys: list[str]) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {"products": [], "producers": []}
    for key in keys:
        kind, _, object_id = key.partition(":")
        if kind in ids and object_id.isdigit():
            ids[kind].append(int(object_id))
    return ids


def _scoped(moderator: User, category=None, producer_id=None) -> list:
    clause = policies.moderation_scope_filter(moderator, category=category, producer_id=producer_id)
    return [] if clause is None else [clause]


def _rows(waiting, limit: int | None = None, offset: int = 0) -> list[_Waiting]:
    order = (waiting.c.submitted_at.is_(None), waiting.c.submitted_at, waiting.c.kind, waiting.c.object_id)
    query = select(waiting).order_by(*order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [_Waiting(KINDS[kind], object_id, producer_id, category, at)
            for kind, object_id, producer_id, category, at in db.session.execute(query)]


def _count(waiting) -> int:
    return db.session.scalar(select(func.count()).select_from(waiting)) or 0


def _items(rows: list[_Waiting], imports: bool = True) -> list[QueueItem]:
    """The queue items of these rows, in their order, with their records loaded in a few statements."""
    ids = {kind: [row.object_id for row in rows if row.kind == kind] for kind in KINDS}
    producers = {p.id: p for p in db.session.scalars(
        select(Producer).where(Producer.id.in_({row.producer_id for row in rows})))}
    products = {p.id: p for p in db.session.scalars(
        select(Product).where(Product.id.in_(ids["new_product"])).options(selectinload(Product.category)))}
    revisions = {r.id: r for r in db.session.scalars(
        select(Revision).where(Revision.id.in_(ids["product_change"] + ids["producer_change"])))}
    changed = {p.id: p for p in db.session.scalars(
        select(Product).where(Product.id.in_({r.object_id for r in revisions.values() if r.object_type == "product"}))
        .options(selectinload(Product.category)))}
    categories = {c.id: c for c in db.session.scalars(select(Category))} if revisions else {}
    items = []
    for row in rows:
        producer = producers[row.producer_id]
        if row.kind == "new_producer":
            items.append(QueueItem(row.kind, producer, producer, producer.name, None, row.submitted_at))
        elif row.kind == "new_product":
            product = products[row.object_id]
            items.append(QueueItem(row.kind, product, producer, product.name, product.category, row.submitted_at))
        else:
            revision = revisions[row.object_id]
            record = changed[revision.object_id] if row.kind == "product_change" else producer
            category = categories.get(row.category_id) if row.kind == "product_change" else None
            items.append(QueueItem(row.kind, revision, producer, (revision.data or {}).get("name") or record.name,
                                   category, row.submitted_at))
    if imports:
        _mark_imports(items)
    return items


def queue(moderator: User, kind: str | None = None, category_id: int | None = None,
          kecamatan: str | None = None, imports: bool = True) -> list[QueueItem]:
    """Everything waiting for this moderator, oldest first; `imports` names the sheet on what the import sent."""
    return _items(_rows(_waiting(moderator, kind, category_id, kecamatan)), imports)


@dataclass
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    pages: int


def queue_page(moderator: User, kind: str | None = None, category_id: int | None = None,
               kecamatan: str | None = None, page: int = 1) -> QueuePage:
    """One page of the queue, oldest first (a page past the last shows the last)."""
    filtered = bool(kind or category_id or kecamatan)
    total = _count(_waiting(moderator, kind, category_id, kecamatan)) if filtered else queue_count(moderator)
    pages = max(1, -(-total // QUEUE_PAGE_SIZE))
    page = min(max(page, 1), pages)
    offset = (page - 1) * QUEUE_PAGE_SIZE
    waiting = _waiting(moderator, kind, category_id, kecamatan, first=offset + QUEUE_PAGE_SIZE)
    return QueuePage(_items(_rows(waiting, QUEUE_PAGE_SIZE, offset)), total, page, pages)


# services/imports.py writes this note on every audit row of what the import does: "inventory import (file.csv)".
IMPORT_NOTE = "inventory import ("


def _mark_imports(items: list[QueueItem]) -> None:
    """Name the sheet on each item that waits because the city's import sent it: a record the import made
    (its `*.imported` row) that nobody has resubmitted since, or a change whose latest submission was the import's."""
    records = {(i.obj.__tablename__, i.obj.id): i for i in items if not isinstance(i.obj, Revision)}
    revisions = {i.obj.id: i for i in items if isinstance(i.obj, Revision)}
    if records:
        made: dict[tuple[str, int], tuple[int, str]] = {}
        resubmitted: dict[tuple[str, int], int] = {}
        for event_id, action, object_type, object_id, note in db.session.execute(
            select(AuditEvent.id, AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.note)
            .where(AuditEvent.action.in_(("producer.imported", "product.imported", "publication.submit")),
                   AuditEvent.object_type.in_(("producer", "product")),
                   AuditEvent.object_id.in_({object_id for _, object_id in records}))
        ):
            if action == "publication.submit":
                resubmitted[(object_type, object_id)] = max(event_id, resubmitted.get((object_type, object_id), 0))
            else:
                made[(object_type, object_id)] = (event_id, note)
        for key, (event_id, note) in made.items():
            if key in records and resubmitted.get(key, 0) < event_id:
                records[key].import_file = _sheet_of(note)
    if revisions:
        latest: dict[int, str] = {}
        for object_id, note in db.session.execute(
            select(AuditEvent.object_id, AuditEvent.note)
            .where(AuditEvent.action == "revision.submit", AuditEvent.object_type == "revision",
                   AuditEvent.object_id.in_(list(revisions))).order_by(AuditEvent.id)
        ):
            latest[object_id] = note
        for object_id, note in latest.items():
            revisions[object_id].import_file = _sheet_of(note)


def _sheet_of(note: str) -> str | None:
    return note[len(IMPORT_NOTE):-1] or "—" if note.startswith(IMPORT_NOTE) and note.endswith(")") else None


@dataclass
class BulkApproval:
    approved: list[QueueItem]
    already_decided: list[str]  # keys no longer waiting (another moderator was first)
    refused: list[str]  # keys this moderator may not review, or that the import did not send


def imported_items(moderator: User, keys: list[str]) -> tuple[list[QueueItem], list[str]]:
    """The items among `keys` waiting for this moderator because the import sent them; and the keys that are not."""
    wanted = list(dict.fromkeys(keys))
    found = {i.key: i for i in _items(_rows(_waiting(moderator, keys=wanted))) if i.import_file is not None}
    return [found[k] for k in wanted if k in found], [k for k in wanted if k not in found]


def approve_imported(moderator: User, keys: list[str]) -> BulkApproval:
    """Approve, one by one through `approve` (its policy check, its transitions, an audit row each), the imported
    items among `keys` this moderator may review. An item another moderator decided meanwhile is left as they
    decided it (its savepoint is rolled back); the others still go through."""
    items, not_found = imported_items(moderator, keys)
    result = BulkApproval([], [], [])
    for key in not_found:
        kind, _, object_id = key.partition(":")
        model = {"products": Product, "producers": Producer}.get(kind)
        # `keys` were checked by the form (moderation.forms.ItemsField): a known kind and an id within the database's range
        obj = db.session.get(model, int(object_id)) if model else None
        if obj is not None and policies.can_moderate(moderator, obj) and not (
                obj.status == PublicationStatus.PENDING or _pending_revision(obj) is not None):
            result.already_decided.append(key)
        else:
            result.refused.append(key)
    for item in items:
        obj = item.obj
        if isinstance(obj, Revision):
            obj = db.session.get(Product if obj.object_type == "product" else Producer, obj.object_id)
        try:
            with db.session.begin_nested():
                approve(obj, moderator)
        except TransitionNotAllowed:
            result.already_decided.append(item.key)
        else:
            result.approved.append(item)
    return result


def queue_count(moderator: User) -> int:
    """How many wait for this moderator; counted once a reading request (the navigation bar shows it on every
    page, and the queue's own page needs it too). A request that decides counts again after its changes."""
    reading = has_request_context() and request.method in ("GET", "HEAD")
    counted = g.setdefault("moderation_queue_counts", {}) if reading else {}
    if moderator.id not in counted:
        counted[moderator.id] = _count(_waiting(moderator))
    return counted[moderator.id]


CERTIFICATES_SHOWN = 50  # of each certificate list on the queue page; the rest are counted


@dataclass
class Shortlist:
    """The first of a longer list, and how many there are in all."""
    items: list
    total: int


def _certificates(moderator: User, where, order) -> Shortlist:
    """The certificates matching `where` on storefronts this moderator reviews (policies.moderation_scope_filter),
    the first CERTIFICATES_SHOWN in `order`, and how many in all: counted and cut by the database."""
    if not policies.can_moderate(moderator):
        return Shortlist([], 0)
    rows = db.session.execute(  # the count of all rides along on the first rows (one reading)
        select(Certificate.id, func.count().over()).join(Producer)
        .where(*where, *_scoped(moderator, producer_id=Producer.id)).order_by(*order).limit(CERTIFICATES_SHOWN)).all()
    first, total = [certificate_id for certificate_id, _ in rows], (rows[0][1] if rows else 0)
    loaded = {c.id: c for c in db.session.scalars(
        select(Certificate).where(Certificate.id.in_(first)).options(selectinload(Certificate.producer)))}
    return Shortlist([loaded[i] for i in first], total)


def expired_certificates(moderator: User) -> Shortlist:
    """Certificates past their date on storefronts buyers can see, the longest expired first."""
    return _certificates(moderator, (Certificate.valid_until < clock.today(),
                                     Producer.status == str(PublicationStatus.PUBLISHED)),
                         (Certificate.valid_until, Certificate.id))


def certificates_to_verify(moderator: User) -> Shortlist:
    """Certificates with a number, valid today and not yet verified, on storefronts buyers see or that wait for
    review: the ones a moderator can check now, those with a document first, then the oldest storefront's."""
    return _certificates(
        moderator,
        (Certificate.status == str(CertificateStatus.STATED), Certificate.number != "",
         or_(Certificate.valid_until.is_(None), Certificate.valid_until >= clock.today()),
         Producer.status.in_([str(PublicationStatus.PUBLISHED), str(PublicationStatus.PENDING)])),
        (Certificate.document_key.is_(None), Producer.id, Certificate.id))


def certificate_of(producer: Producer, certificate_id: int) -> Certificate | None:
    return next((c for c in producer.certificates if c.id == certificate_id), None)


def verify_certificate(certificate: Certificate, moderator: User) -> None:
    """A moderator checked the number (and the document) with the issuer: buyers read "terverifikasi"."""
    verification.apply("verify", certificate, moderator,
                       values={"verified_at": utcnow(), "verified_by_id": moderator.id})


def unverify_certificate(certificate: Certificate, moderator: User, reason: str) -> None:
    """Take a verification back, saying why (the producer reads it on the storefront editor)."""
    verification.apply("unverify", certificate, moderator, reason,
                       values={"verified_at": None, "verified_by_id": None})


def last_unverified_reason(certificate: Certificate) -> str:
    """Why a moderator last took this certificate's verification back ("" if never, or verified since)."""
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "certificate", AuditEvent.object_id == certificate.id,
                                 AuditEvent.action.in_(("verification.unverify", "verification.verify")))
        .order_by(AuditEvent.id.desc())
    ).first()
    return event.note if event is not None and event.action == "verification.unverify" else ""


# ---------------------------------------------------------------- the review page

@dataclass
class FieldDiff:
    label: str
    live: str
    proposed: str
    name: str = ""  # the declared field the row shows (marketplace/listings/fields.py)

    @property
    def changed(self) -> bool:
        return self.live != self.proposed


def compare(obj: Product | Producer, revision: Revision | None) -> list[FieldDiff]:
    """Live version beside the proposed one; for a new record both sides are the record itself.
    One row per revisioned field of the declaration, labelled from it (a field declared as shown within
    another's row, like "price on request" in the price row, changes that row)."""
    if isinstance(obj, Product):
        entity, live = fields.PRODUCT, listings.product_values_live(obj)
        context = fields.DiffContext(categories={c.id: c for c in db.session.scalars(select(Category))},
                                     certificates={c.id: c for c in obj.producer.certificates})
    else:
        entity, live = fields.PRODUCER, listings.producer_values_live(obj)
        context = fields.DiffContext()
    proposed = live | (revision.data or {}) if revision is not None else live
    left = fields.diff_rows(entity, live, context)
    right = fields.diff_rows(entity, proposed, context)
    return [FieldDiff(str(field.label), shown, proposed_shown, field.name)
            for (field, shown), (_, proposed_shown) in zip(left, right)]


def history(obj: Product | Producer) -> list[AuditEvent]:
    """Every decision on this record and on its revisions (for a storefront, on its certificates too), newest
    first."""
    revision_ids = list(db.session.scalars(
        select(Revision.id).where(Revision.object_type == obj.__tablename__, Revision.object_id == obj.id)
    ))
    certificates = [(AuditEvent.object_type == "certificate") & (AuditEvent.producer_id == obj.id)] \
        if isinstance(obj, Producer) else []
    return list(db.session.scalars(
        select(AuditEvent)
        .where(or_(
            (AuditEvent.object_type == obj.__tablename__) & (AuditEvent.object_id == obj.id),
            (AuditEvent.object_type == "revision") & AuditEvent.object_id.in_(revision_ids or [-1]),
            *certificates,
        ))
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.id.desc())
        .limit(50)
    ))


# ---------------------------------------------------------------- decisions

def _delete_files_after_commit(keys: list[str]) -> None:
    """Photo files go only once the database agrees they are gone."""
    if not keys:
        return
    session = db.session()

    @event.listens_for(session, "after_commit", once=True)
    def _remove(_session):
        for key in keys:
            images.delete(key)


def _apply_revision(revision: Revision, obj: Product | Producer, actor) -> None:
    data = revision.data or {}
    if isinstance(obj, Product):
        listings.apply_product_values(obj, data)
        keys = data.get("photo_keys")
        if keys is not None:
            order = {k: i for i, k in enumerate(keys)}
            gone = []
            for photo in list(obj.photos):
                if photo.key in order:
                    photo.live, photo.position = True, order[photo.key]
                else:
                    obj.photos.remove(photo)
                    gone.append(photo.key)
            _delete_files_after_commit(gone)
        db.session.flush()
        search.reindex([obj.id])
    else:
        listings.apply_producer_values(obj, data, actor)  # a changed certificate loses its verification
        db.session.flush()
        search.reindex_producer(obj.id)


def notified_accounts(obj: Product | Producer) -> list[User]:
    """Who hears of a decision on this storefront or listing by e-mail: the producer's active accounts."""
    producer = obj if isinstance(obj, Producer) else obj.producer
    return [account for account in producer.accounts if account.active and account.email]


def visible_to_buyers(obj: Product | Producer) -> bool:
    """Is it on the public pages now? A listing shows only while its storefront is published too."""
    if obj.status != PublicationStatus.PUBLISHED:
        return False
    return isinstance(obj, Producer) or obj.producer.status == PublicationStatus.PUBLISHED


def _pending_revision(obj: Product | Producer) -> Revision | None:
    revision = listings.open_revision(obj)
    return revision if revision is not None and revision.status == RevisionStatus.PENDING else None


def approve(obj: Product | Producer, moderator: User) -> None:
    """Publish what waits: a pending revision (applied to the live record) and/or the record itself."""
    revision = _pending_revision(obj)
    if revision is None and obj.status != PublicationStatus.PENDING:
        raise TransitionNotAllowed("state", "approve")
    if revision is not None:
        revision_workflow.apply("approve", revision, moderator,
                                values={"decided_at": utcnow(), "decided_by_id": moderator.id})
        _apply_revision(revision, obj, moderator)
    if obj.status == PublicationStatus.PENDING:  # new, or resubmitted after a suspension
        publication.apply("approve", obj, moderator)


def publish_as_import(obj: Product | Producer, actor, note: str) -> bool:
    """The city's import publishes what it vetted, in its own name (`actor` is a policies.InventoryImport):
    a pending revision of a published record (applied to it) and/or a new record waiting for review.
    Never a suspended or archived one; no mail. Returns whether anything was published."""
    published = False
    revision = _pending_revision(obj)
    if revision is not None and obj.status == PublicationStatus.PUBLISHED:
        revision_workflow.apply("approve", revision, actor, note)
        revision.decided_at, revision.decided_by_id = utcnow(), actor.id
        _apply_revision(revision, obj, actor)
        published = True
    if obj.status == PublicationStatus.PENDING:
        publication.apply("approve", obj, actor, note)
        published = True
    return published


def reject(obj: Product | Producer, moderator: User, reason: str, name: str = "reject") -> None:
    """`name` is "reject" or "request_changes"; both send it back to the producer with the reason."""
    revision = _pending_revision(obj)
    if revision is None and obj.status != PublicationStatus.PENDING:
        raise TransitionNotAllowed("state", name)
    if revision is not None:
        revision_workflow.apply(name, revision, moderator, reason,
                                values={"reason": reason, "decided_at": utcnow(), "decided_by_id": moderator.id})
    if obj.status == PublicationStatus.PENDING:
        publication.apply(name, obj, moderator, reason)


def suspend(obj: Product | Producer, moderator: User, reason: str) -> None:
    publication.apply("suspend", obj, moderator, reason)


def set_curated(producer: Producer, curated: bool, moderator: User) -> None:
    if not policies.can_moderate(moderator, producer):
        raise PermissionError
    if producer.curated != curated:
        producer.curated = curated
        catalog_cache.invalidate()  # the "curated" filter counts change
        audit.record("producer.curated_awarded" if curated else "producer.curated_withdrawn", producer,
                     actor=moderator, producer_id=producer.id)


def mean_score(scores: dict[str, int]) -> float:
    return sum(scores.values()) / len(scores)


def grade_for(scores: dict[str, int]) -> str:
    """The mean of the rubric scores (1–4) against GRADE_THRESHOLDS: A from 3.5, B from 2.75, C from 2, D below."""
    mean = mean_score(scores)
    return next((grade for grade, lowest in GRADE_THRESHOLDS if mean >= lowest), "D")


def assess(product: Product, moderator: User, scores: dict[str, int], notes: str) -> CurationAssessment:
    if not policies.can_moderate(moderator, product):
        raise PermissionError
    scores = {k: int(scores[k]) for k in RUBRIC}
    assessment = CurationAssessment(product_id=product.id, grade=grade_for(scores), scores=scores, notes=notes,
                                    assessor_id=moderator.id)
    db.session.add(assessment)
    product.curation_grade = assessment.grade
    audit.record("product.graded", product, actor=moderator, producer_id=product.producer_id,
                 data={"grade": assessment.grade, "scores": scores}, note=notes)
    return assessment


def latest_assessment(product: Product) -> CurationAssessment | None:
    return db.session.scalar(
        select(CurationAssessment).where(CurationAssessment.product_id == product.id)
        .order_by(CurationAssessment.id.desc())
    )


def weakest_criteria(assessment: CurationAssessment) -> list[str]:
    """What would raise the grade: the criteria that scored lowest."""
    if not assessment.scores:
        return []
    low = min(assessment.scores.values())
    return [str(RUBRIC[k]) for k, v in assessment.scores.items() if v == low and v < 4 and k in RUBRIC]
