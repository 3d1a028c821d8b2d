"""Storefronts (producers), listings (products), categories, certificates, photos."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Float, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.accounts import User
from marketplace.models.base import Base, TimestampMixin, utcnow
from marketplace.core.vocab import MONTHS_ALL_YEAR


class PublicationStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"


class CatalogState(Base):
    """One row whose version is bumped with every change buyers can see (see catalog/cache.py)."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)


class Category(Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_id: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    icon: Mapped[str] = mapped_column(String(40), default="box")
    position: Mapped[int] = mapped_column(default=0)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_id


class Producer(TimestampMixin, Base):
    """A UMKM storefront."""

    __tablename__ = "producer"
    __table_args__ = (
        Index("ix_producer_status_kecamatan", "status", "kecamatan", "id"),
        # The review queue, oldest first, counted and paged by the database (migration 0018).
        Index("ix_producer_status_submitted", "status", "submitted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    owner_name: Mapped[str] = mapped_column(String(120), default="")
    nib: Mapped[str | None] = mapped_column(String(13), unique=True)
    kecamatan: Mapped[str] = mapped_column(String(20), index=True)
    kelurahan: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")  # English, shown on English pages when given
    founded_year: Mapped[int | None]
    workforce: Mapped[int | None]
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, +62…
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(255))
    logo_key: Mapped[str | None] = mapped_column(String(40))
    curated: Mapped[bool] = mapped_column(default=False)
    status: Mapped[PublicationStatus] = mapped_column(String(12), default=PublicationStatus.DRAFT, index=True)
    published_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]

    products: Mapped[list[Product]] = relationship(back_populates="producer", order_by="Product.id")
    certificates: Mapped[list[Certificate]] = relationship(
        back_populates="producer", cascade="all, delete-orphan", order_by="Certificate.id"
    )
    accounts: Mapped[list[User]] = relationship(back_populates="producer")

    @property
    def is_public(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED


product_certificate = Table(
    "product_certificate",
    Base.metadata,
    Column("product_id", ForeignKey("product.id", ondelete="CASCADE"), primary_key=True),
    Column("certificate_id", ForeignKey("certificate.id", ondelete="CASCADE"), primary_key=True, index=True),
)


# The directory's order, curated first, walked until a page of producers with a published listing is found
# (migration 0019); without it every storefront was checked and sorted on each change of the catalog. Declared
# here rather than in Producer's __table_args__: the descending column is named through the mapped class.
Index("ix_producer_directory", Producer.status, Producer.curated.desc(), Producer.name, Producer.id)


class CertificateStatus(StrEnum):
    """Whether a moderator checked the certificate (listings/workflow.py `verification`); whether it is still valid
    is its date's business (listings/certificates.certificate_state puts the two together for buyers)."""

    STATED = "stated"  # as the producer states it, not checked
    VERIFIED = "verified"  # a moderator checked the number (and the document) against the issuer


class Certificate(Base):
    """A permit or certificate held by a producer (Halal, PIRT, BPOM MD, …), with number, issuer, expiry and the
    scanned document, and whether a moderator verified it."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(80), default="")
    issuer: Mapped[str] = mapped_column(String(120), default="")
    valid_until: Mapped[date | None]
    # The uploaded document (listings/certificates.py); buyers may open it only once the producer makes it public.
    document_key: Mapped[str | None] = mapped_column(ForeignKey("certificate_document.key", ondelete="SET NULL"),
                                                     index=True)
    document_public: Mapped[bool] = mapped_column(default=False)
    status: Mapped[CertificateStatus] = mapped_column(String(12), default=CertificateStatus.STATED)
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    producer: Mapped[Producer] = relationship(back_populates="certificates")
    # Read-only: `document_key` is what is written (listings/editing.py), never this.
    document: Mapped[CertificateDocument | None] = relationship(viewonly=True)

    def is_valid_on(self, day: date) -> bool:
        return self.valid_until is None or self.valid_until >= day


class CertificateDocument(Base):
    """A certificate's scanned document: a checked PDF (re-written) or a re-encoded image, stored as
    `certificates/<key>.<ext>` in UPLOAD_DIR under a random key. Its own row, so a document that only an open
    revision names yet still has an owner the serving route can ask about (core/policies.py)."""

    __tablename__ = "certificate_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    producer: Mapped[Producer] = relationship()
    certificates: Mapped[list[Certificate]] = relationship(viewonly=True)

    @property
    def is_public(self) -> bool:
        """Buyers may open it: a certificate of a storefront they can see shows it, and its producer made it public."""
        return any(c.document_public and c.producer.is_public for c in self.certificates)


class Product(TimestampMixin, Base):
    """A listing: what a producer offers, in what volume, at what price."""

    __tablename__ = "product"
    __table_args__ = (
        Index("ix_product_status_category", "status", "category_id"),
        # Covering: the catalog pages its ids from the index alone (see migration 0007).
        Index("ix_product_status_capacity_cover", "status", "monthly_capacity", "id", "producer_id"),
        Index("ix_product_status_category_capacity", "status", "category_id", "monthly_capacity", "id", "producer_id"),
        Index("ix_product_producer_status", "producer_id", "status", "category_id"),
        # "Cheapest per kg": the catalog's price-per-kg order read from the index (see migration 0015).
        Index("ix_product_status_price_per_kg", "status", "price_per_kg", "id", "producer_id"),
        # The catalog's specification filters (migration 0014), covering: few listings have a value, found by it.
        Index("ix_product_rice_class", "rice_class", "status", "monthly_capacity", "id", "producer_id"),
        Index("ix_product_meat_state", "meat_state", "status", "monthly_capacity", "id", "producer_id"),
        # The review queue, oldest first (covering: it reads these columns only), and a storefront's listings the
        # most recently changed first (the producer's dashboard), both paged by the database (migration 0018).
        Index("ix_product_status_submitted", "status", "submitted_at", "id", "producer_id", "category_id"),
        Index("ix_product_producer_updated", "producer_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    slug: Mapped[str] = mapped_column(String(160), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # English text for English pages; empty: the Indonesian text is shown there (fields.listing_text).
    name_en: Mapped[str] = mapped_column(String(160), default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(12))
    # What one piece of a countable unit weighs (50 kg per karung): the only way such a listing's amounts convert
    # to mass units (core/units.py). None for mass units, and for pieces sold only by the piece.
    kg_per_unit: Mapped[float | None] = mapped_column(Float)
    price_on_request: Mapped[bool] = mapped_column(default=False)
    # Lowest tier price in whole Rupiah, kept in step with the tiers for sorting and cards.
    price_min: Mapped[int | None] = mapped_column(BigInteger)
    # What the price holds for (vocab.PRICE_BASIS): loco Metro, or franco Jakarta with or without the freight.
    price_basis: Mapped[str] = mapped_column(String(12), default="loco")
    # The price at the minimum order (what a card shows) and that price per kilogram (None without a weight),
    # kept in step with the tiers, the unit, the MOQ and the weight per unit (listings/editing.set_price_tiers).
    price_moq: Mapped[int | None] = mapped_column(BigInteger)
    price_per_kg: Mapped[float | None] = mapped_column(Float)
    min_order_qty: Mapped[float] = mapped_column(Float, default=1)
    monthly_capacity: Mapped[float] = mapped_column(Float, default=0)
    lead_time_days: Mapped[int | None]
    grade: Mapped[str] = mapped_column(String(40), default="")
    shelf_life_days: Mapped[int | None]
    packaging: Mapped[str] = mapped_column(String(200), default="")
    storage: Mapped[str] = mapped_column(String(12), default="ambient")
    available_months: Mapped[int] = mapped_column(default=MONTHS_ALL_YEAR)
    delivery_terms: Mapped[str] = mapped_column(Text, default="")
    # Specifications of the listing's commodity, by name (listings/specs.py); None or {} when none are given.
    specs: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # Two of them, copied for the catalog's filters (kept in step by listings/editing.py).
    rice_class: Mapped[str | None] = mapped_column(String(12))
    meat_state: Mapped[str | None] = mapped_column(String(12))
    featured: Mapped[bool] = mapped_column(default=False)
    curation_grade: Mapped[str | None] = mapped_column(String(1))
    status: Mapped[PublicationStatus] = mapped_column(String(12), default=PublicationStatus.DRAFT)
    published_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]

    producer: Mapped[Producer] = relationship(back_populates="products")
    category: Mapped[Category] = relationship()
    price_tiers: Mapped[list[PriceTier]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="PriceTier.min_qty"
    )
    certificates: Mapped[list[Certificate]] = relationship(secondary=product_certificate, order_by="Certificate.kind")
    photos: Mapped[list[Photo]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Photo.position"
    )

    @property
    def live_photos(self) -> list[Photo]:
        return [p for p in self.photos if p.live]

    @property
    def cover(self) -> Photo | None:
        live = self.live_photos
        return live[0] if live else None

    def months(self) -> list[int]:
        return [m for m in range(1, 13) if self.available_months & (1 << (m - 1))]


class PriceTier(Base):
    """From `min_qty` units upward the price per unit is `price` Rupiah."""

    __tablename__ = "price_tier"
    __table_args__ = (UniqueConstraint("product_id", "min_qty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    min_qty: Mapped[float] = mapped_column(Float)
    price: Mapped[int] = mapped_column(BigInteger)

    product: Mapped[Product] = relationship(back_populates="price_tiers")


class Photo(Base):
    """An uploaded picture, re-encoded; files are `<key>-<size>.webp` in UPLOAD_DIR."""

    __tablename__ = "photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    alt: Mapped[str] = mapped_column(String(200), default="")
    # Shown to buyers only once a moderator approved it; a new upload waits for review.
    live: Mapped[bool] = mapped_column(default=False)

    product: Mapped[Product | None] = relationship(back_populates="photos")
