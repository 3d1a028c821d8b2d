"""Writing storefronts and listings.

A record that buyers have never seen (draft, pending, rejected) is edited in place.
A published (or suspended) record is never changed by its producer directly: the edit
is kept as an open Revision until a moderator approves it, so the live version stays
exactly as it was. Photos follow the same rule: a new upload is not `live`, and the
order and removal of photos of a published listing are part of its revision.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.listings import fields, specs
from marketplace.models import (
    OPEN_REVISION_STATUSES,
    Certificate,
    CertificateDocument,
    CertificateStatus,
    Photo,
    PriceTier,
    Producer,
    Product,
    PublicationStatus,
    Revision,
    RevisionStatus,
    User,
)
from marketplace.accounts import audit
from marketplace.listings import certificates as certificate_documents
from marketplace.listings import photos as images
from marketplace.core.workflow import TransitionNotAllowed
from marketplace.listings import pricing
from marketplace.core.text import slugify
from marketplace.listings.workflow import publication

LIVE_STATES = (PublicationStatus.PUBLISHED, PublicationStatus.SUSPENDED)

# The columns a producer edits (declared once in marketplace/listings/fields.py); the parts (tiers,
# certificates, photo order) are handled below.
PRODUCT_FIELDS = fields.PRODUCT.editable_columns
PRODUCER_FIELDS = fields.PRODUCER.editable_columns


def set_price_tiers(product: Product, tiers: list[tuple[float, int]]) -> None:
    """Replace the tiers (from-quantity, Rupiah per unit) and keep the stored figures in step for cards and sorting:
    `price_min`, the price at the MOQ and per kg (pricing.stored_prices). Called after the unit, the MOQ and the
    weight per unit are set, by everything that writes them (the editor, revisions, the import, the seeders).

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
    product.price_min, product.price_moq, product.price_per_kg = pricing.stored_prices(product)


# ---------------------------------------------------------------- revisions

def open_revision(obj: Product | Producer) -> Revision | None:
    return db.session.scalar(
        select(Revision)
        .where(Revision.object_type == obj.__tablename__, Revision.object_id == obj.id,
               Revision.status.in_([str(s) for s in OPEN_REVISION_STATUSES]))
        .order_by(Revision.id.desc())
    )


def open_revisions_for(producer: Producer) -> dict[tuple[str, int], Revision]:
    rows = db.session.scalars(
        select(Revision).where(Revision.producer_id == producer.id,
                               Revision.status.in_([str(s) for s in OPEN_REVISION_STATUSES]))
    )
    return {(r.object_type, r.object_id): r for r in rows}


def _revision_for_edit(obj: Product | Producer, author: User) -> Revision:
    """The open revision, or a new one that starts as a copy of the live version (values and photo order),
    so a change to one thing (say, the photo order) proposes everything else exactly as it is."""
    revision = open_revision(obj)
    if revision is None:
        if isinstance(obj, Product):
            data = product_values_live(obj) | {"photo_keys": [p.key for p in obj.live_photos]}
        else:
            data = producer_values_live(obj)
        data = fields.clean(fields.ENTITIES[obj.__tablename__], data)
        revision = Revision(object_type=obj.__tablename__, object_id=obj.id,
                            producer_id=obj.id if isinstance(obj, Producer) else obj.producer_id,
                            data=data, status=RevisionStatus.DRAFT, author_id=author.id)
        db.session.add(revision)
    return revision


# ---------------------------------------------------------------- products

def product_values_live(product: Product) -> dict:
    """The record's own values, as buyers see them."""
    values = {name: getattr(product, name) for name in PRODUCT_FIELDS}
    values["tiers"] = [[t.min_qty, t.price] for t in product.price_tiers]
    values["certificate_ids"] = [c.id for c in product.certificates]
    values["specs"] = product.specs or {}
    return values


def product_values(product: Product) -> dict:
    """The values the editor shows: the open revision's, or the record's own."""
    if product.id is not None and product.status in LIVE_STATES:
        revision = open_revision(product)
        if revision is not None:
            return product_values_live(product) | (revision.data or {})  # what it leaves out stays as it is
    return product_values_live(product)


def apply_product_values(product: Product, values: dict) -> None:
    """Write a payload (checked against the declaration: PayloadError for an undeclared key or a bad value)."""
    values = fields.clean(fields.PRODUCT, values)
    for name in PRODUCT_FIELDS:
        if name in values:
            setattr(product, name, values[name])
    product.slug = slugify(product.name)
    _check_specs(product.specs, product.category_id)
    for column, value in specs.columns_for(product.specs).items():
        setattr(product, column, value)
    tiers = values["tiers"] if "tiers" in values else [(t.min_qty, t.price) for t in product.price_tiers]
    set_price_tiers(product, [] if product.price_on_request else [tuple(t) for t in tiers])
    if "certificate_ids" in values:
        ids = set(values["certificate_ids"])
        product.certificates = [c for c in product.producer.certificates if c.id in ids]


def _check_specs(values: dict | None, category_id: int | None) -> None:
    """A listing's specifications are its own category's (PayloadError for a rice spec on an egg listing)."""
    if values:
        try:
            specs.check_commodity(values, specs.commodity_of_category(category_id))
        except specs.SpecError as error:
            raise fields.PayloadError(str(error)) from None


def clear_specs(product: Product) -> None:
    """No specifications (the listing moved to another commodity outside the editor: the city's import)."""
    product.specs = None
    for column in specs.COLUMNS:
        setattr(product, column, None)


def save_product(producer: Producer, product: Product | None, values: dict, author: User) -> tuple[Product, bool]:
    """Create or edit a listing; returns (product, whether the edit waits in a revision)."""
    if product is None:
        product = Product(producer=producer, status=PublicationStatus.DRAFT)
        db.session.add(product)
        apply_product_values(product, values)
        db.session.flush()
        audit.record("product.created", product, actor=author, producer_id=producer.id)
        return product, False
    if product.status in LIVE_STATES:
        revision = _revision_for_edit(product, author)
        keys = revision.data.get("photo_keys") if revision.data else None
        data = dict(values)
        data["photo_keys"] = keys if keys is not None else [p.key for p in product.live_photos]
        revision.data = fields.clean(fields.PRODUCT, data)
        proposed = product_values_live(product) | revision.data
        _check_specs(proposed.get("specs"), proposed.get("category_id"))
        db.session.flush()
        audit.record("product.revision_saved", product, actor=author, producer_id=producer.id)
        return product, True
    apply_product_values(product, values)
    db.session.flush()
    audit.record("product.updated", product, actor=author, producer_id=producer.id)
    return product, False


def submit(obj: Product | Producer, actor: User) -> None:
    """Send for review: a new record itself; for a published one its open revision; a suspended
    one goes back to review as a whole, with its revision if it has one."""
    from marketplace.listings.workflow import revision as revision_workflow

    revision = open_revision(obj) if obj.status in LIVE_STATES else None
    if revision is not None and revision.status != RevisionStatus.PENDING:
        revision_workflow.apply("submit", revision, actor)
    if obj.status == PublicationStatus.SUSPENDED:
        publication.apply("resubmit", obj, actor)
    elif obj.status == PublicationStatus.PUBLISHED:
        if revision is None:
            raise ValueError("nothing to submit")
    else:
        publication.apply("submit", obj, actor)


def withdraw(obj: Product | Producer, actor: User) -> None:
    if obj.status in LIVE_STATES:
        from marketplace.listings.workflow import revision as revision_workflow

        revision = open_revision(obj)
        if revision is None:
            raise ValueError("nothing to withdraw")
        revision_workflow.apply("withdraw", revision, actor)
        return
    publication.apply("withdraw", obj, actor)


# ---------------------------------------------------------------- photos

def working_photos(product: Product) -> list[Photo]:
    """The photos as the producer is arranging them (the revision's order for a published listing)."""
    if product.status in LIVE_STATES:
        revision = open_revision(product)
        if revision is not None and "photo_keys" in (revision.data or {}):
            by_key = {p.key: p for p in product.photos}
            return [by_key[k] for k in revision.data["photo_keys"] if k in by_key]
        return product.live_photos
    return list(product.photos)


def _set_working_order(product: Product, photos: list[Photo], author: User) -> None:
    if product.status in LIVE_STATES:
        revision = _revision_for_edit(product, author)
        data = dict(revision.data)
        data["photo_keys"] = [p.key for p in photos]
        revision.data = fields.clean(fields.PRODUCT, data)
    else:
        for position, photo in enumerate(photos):
            photo.position = position


def add_photos(product: Product, uploads: list[bytes], author: User) -> list[Photo]:
    """Store each upload (checked and re-encoded by images.store); raises ImageRejected for a bad one,
    and then none of the batch is kept."""
    stored: list[images.StoredImage] = []
    try:
        for data in uploads:
            stored.append(images.store(data))
    except images.ImageRejected:
        for image in stored:
            images.delete(image.key)
        raise
    images.delete_if_rolled_back([image.key for image in stored])
    photos = working_photos(product)
    added = []
    for index, image in enumerate(stored):
        photo = Photo(key=image.key, producer_id=product.producer_id, width=image.width, height=image.height,
                      alt=product.name, position=len(product.photos) + index, live=False)
        product.photos.append(photo)
        added.append(photo)
    db.session.flush()
    _set_working_order(product, photos + added, author)
    audit.record("product.photos_added", product, actor=author, producer_id=product.producer_id,
                 data={"keys": [p.key for p in added]})
    return added


def remove_photo(product: Product, photo: Photo, author: User) -> None:
    _set_working_order(product, [p for p in working_photos(product) if p.id != photo.id], author)
    # A photo buyers can see goes away only when the revision is approved; any other goes now.
    if not (photo.live and product.status in LIVE_STATES):
        product.photos.remove(photo)
        db.session.flush()
        images.delete_after_commit([photo.key])
    audit.record("product.photo_removed", product, actor=author, producer_id=product.producer_id,
                 data={"key": photo.key})


def move_photo(product: Product, photo: Photo, where: str, author: User) -> None:
    """'first' makes it the cover; 'up' and 'down' move it one place."""
    photos = working_photos(product)
    index = next((i for i, p in enumerate(photos) if p.id == photo.id), None)
    if index is None:
        return
    photos.pop(index)
    target = {"first": 0, "up": max(index - 1, 0), "down": min(index + 1, len(photos))}[where]
    photos.insert(target, photo)
    _set_working_order(product, photos, author)


# ---------------------------------------------------------------- storefront

def producer_values(producer: Producer) -> dict:
    """The values the storefront editor shows: the open revision's, or the record's own."""
    if producer.status in LIVE_STATES:
        revision = open_revision(producer)
        if revision is not None:
            return producer_values_live(producer) | (revision.data or {})
    return producer_values_live(producer)


def producer_values_live(producer: Producer) -> dict:
    values = {name: getattr(producer, name) for name in PRODUCER_FIELDS}
    values["certificates"] = [
        {"id": c.id, "kind": c.kind, "number": c.number, "issuer": c.issuer,
         "valid_until": c.valid_until.isoformat() if c.valid_until else None,
         "document_key": c.document_key, "document_public": bool(c.document_public)}
        for c in producer.certificates
    ]
    return values


# What a moderator checks when verifying a certificate: a change to any of it takes the verification back.
CHECKED = ("kind", "number", "issuer", "valid_until", "document_key")


def apply_producer_values(producer: Producer, values: dict, actor=None) -> None:
    """Write a payload (checked against the declaration: PayloadError for an undeclared key or a bad value).
    A verified certificate whose kind, number, issuer, expiry or document changes goes back to "stated", in the
    name of `actor` (who applies the change: the producer editing a storefront in place, the moderator approving
    its revision, the city's import); a document no certificate names any more is deleted after the commit."""
    from marketplace.listings.workflow import verification

    values = fields.clean(fields.PRODUCER, values)
    for name in PRODUCER_FIELDS:
        if name in values:
            setattr(producer, name, values[name])
    if "certificates" in values:
        by_id = {c.id: c for c in producer.certificates}
        keys_before = {c.document_key for c in producer.certificates if c.document_key}
        owned = _documents_of(producer, {e["document_key"] for e in values["certificates"] if e["document_key"]})
        keep, changed = [], []
        for entry in values["certificates"]:
            certificate = by_id.get(entry.get("id")) or Certificate()
            valid = entry.get("valid_until")
            wanted = {"kind": entry["kind"], "number": entry.get("number") or "", "issuer": entry.get("issuer") or "",
                      "valid_until": date.fromisoformat(valid) if valid else None,
                      # only a document of this storefront: a key copied from elsewhere names nothing
                      "document_key": entry["document_key"] if entry["document_key"] in owned else None}
            differs = [name for name in CHECKED if getattr(certificate, name) != wanted[name]]
            for name, value in wanted.items():
                setattr(certificate, name, value)
            certificate.document_public = bool(entry.get("document_public")) and wanted["document_key"] is not None
            if certificate.id is not None and differs:
                changed.append((certificate, differs))
            keep.append(certificate)
        producer.certificates = keep
        for certificate, differs in changed:
            if certificate.status == CertificateStatus.VERIFIED:
                if actor is None or not verification.allowed("reset", certificate, actor):
                    raise TransitionNotAllowed("actor", "reset")
                verification.apply("reset", certificate, actor, ", ".join(differs),
                                   values={"verified_at": None, "verified_by_id": None})
        gone = keys_before - {c.document_key for c in keep if c.document_key}
        _forget_documents(producer, gone)


def _documents_of(producer: Producer, keys: set[str]) -> set[str]:
    """The keys among `keys` of documents uploaded for this storefront."""
    if not keys:
        return set()
    return set(db.session.scalars(select(CertificateDocument.key).where(
        CertificateDocument.key.in_(keys), CertificateDocument.producer_id == producer.id)))


def _forget_documents(producer: Producer, keys: set[str]) -> None:
    """Documents no live certificate names any more and no open revision of the storefront proposes: their rows go
    now, their files once the transaction commits."""
    if not keys:
        return
    revision = open_revision(producer) if producer.id is not None else None
    proposed = {e.get("document_key") for e in ((revision.data or {}).get("certificates") or [])} if revision else set()
    for document in db.session.scalars(select(CertificateDocument).where(
            CertificateDocument.key.in_(keys - proposed), CertificateDocument.producer_id == producer.id)):
        db.session.delete(document)
        images.after_transaction([document.key], "commit", certificate_documents.delete)


def store_certificate_document(producer: Producer, document: certificate_documents.CheckedDocument,
                               author: User) -> str:
    """Keep a checked upload as this storefront's document; returns its key for the certificate row or revision.
    The file goes again if the transaction rolls back."""
    key = certificate_documents.write(document)
    images.after_transaction([key], "rollback", certificate_documents.delete)
    db.session.add(CertificateDocument(key=key, producer_id=producer.id, media_type=document.media_type,
                                       size=len(document.data)))
    db.session.flush()
    audit.record("producer.certificate_document_uploaded", producer, actor=author, producer_id=producer.id,
                 data={"key": key, "media_type": document.media_type})
    return key


def save_storefront(producer: Producer, values: dict, author: User) -> bool:
    """Returns whether the change waits for review in a revision. What the form leaves out stays as the open
    revision (or the live storefront) has it."""
    if producer.status in LIVE_STATES:
        revision = _revision_for_edit(producer, author)
        revision.data = fields.clean(fields.PRODUCER, {**(revision.data or {}), **values})
        db.session.flush()
        audit.record("producer.revision_saved", producer, actor=author, producer_id=producer.id)
        return True
    apply_producer_values(producer, values, author)
    db.session.flush()
    audit.record("producer.updated", producer, actor=author, producer_id=producer.id)
    return False


def edits_wait_for_review(obj: Product | Producer) -> bool:
    """Buyers have seen this record: an edit is kept in a revision until a moderator approves it."""
    return obj.status in LIVE_STATES


def can_send_for_review(obj: Product | Producer, actor: User) -> bool:
    """Whether "send for review" (`submit` below) would send something this person may send: the record itself,
    its open revision, or a suspended record going back to review. The e-mail confirmation a producer may
    still need is left out here: sending explains it."""
    from marketplace.listings.workflow import revision as revision_workflow

    if obj.status in LIVE_STATES:
        revision = open_revision(obj)
        sendable = (revision is not None and (revision.status == RevisionStatus.PENDING
                                              or revision_workflow.allowed("submit", revision, actor, guards=False))
                    or publication.allowed("resubmit", obj, actor, guards=False))
        return sendable
    return publication.allowed("submit", obj, actor, guards=False)


def available_actions(obj: Product | Producer, actor: User) -> list[str]:
    """The buttons an editor shows: which of withdraw / archive / restore this person may apply now."""
    from marketplace.listings.workflow import revision as revision_workflow

    actions = []
    if obj.status in LIVE_STATES:
        revision = open_revision(obj)
        if revision is not None and revision_workflow.allowed("withdraw", revision, actor):
            actions.append("withdraw")
    elif publication.allowed("withdraw", obj, actor):
        actions.append("withdraw")
    actions += [name for name in ("archive", "restore") if publication.allowed(name, obj, actor)]
    return actions
