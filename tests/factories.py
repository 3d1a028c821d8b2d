"""factory_boy factories for the domain; rows are committed so requests can see them."""
from __future__ import annotations

import itertools

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Category, Certificate, CertificateDocument, Photo, Producer, Product, PublicationStatus, Role, User, utcnow
from marketplace.catalog import search
from marketplace.listings.editing import set_price_tiers
from marketplace.listings.specs import columns_for

_nib = itertools.count(1000000000000)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


def category(slug: str = "beras-serealia") -> Category:
    return db.session.scalar(select(Category).where(Category.slug == slug))


class ProducerFactory(Base):
    class Meta:
        model = Producer

    name = factory.Sequence(lambda n: f"Gapoktan Contoh {n}")
    slug = factory.Sequence(lambda n: f"gapoktan-contoh-{n}")
    owner_name = "Sri Rahayu"
    nib = factory.LazyFunction(lambda: str(next(_nib)))
    kecamatan = "metro-pusat"
    kelurahan = "Imopuro"
    address = "Jl. Imam Bonjol No. 1"
    phone = "+6281234567890"
    email = "kontak@contoh.id"
    status = PublicationStatus.PUBLISHED
    published_at = factory.LazyFunction(utcnow)


class ProductFactory(Base):
    class Meta:
        model = Product

    producer = factory.SubFactory(ProducerFactory)
    category = factory.LazyFunction(category)
    name = factory.Sequence(lambda n: f"Produk Contoh {n}")
    slug = factory.Sequence(lambda n: f"produk-contoh-{n}")
    description = "Deskripsi produk."
    unit = "kg"
    min_order_qty = 100
    monthly_capacity = 5000
    status = PublicationStatus.PUBLISHED
    published_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def price(obj, create, extracted, **kwargs):
        tiers = extracted if extracted is not None else [(100, 12000)]
        set_price_tiers(obj, tiers)
        if obj.specs:  # the filters' copies of the specifications, as the editor keeps them
            for column, value in columns_for(obj.specs).items():
                setattr(obj, column, value)
        if create:
            db.session.commit()
            search.reindex([obj.id])
            db.session.commit()


class CertificateFactory(Base):
    class Meta:
        model = Certificate

    producer = factory.SubFactory(ProducerFactory)
    kind = "halal"
    number = factory.Sequence(lambda n: f"ID181100000{n:05d}")
    issuer = "BPJPH"
    valid_until = None


class CertificateDocumentFactory(Base):
    """A stored document (a small checked PNG, re-encoded), owned by its producer."""

    class Meta:
        model = CertificateDocument

    producer = factory.SubFactory(ProducerFactory)
    media_type = "image/webp"
    size = 0

    @factory.lazy_attribute
    def key(self):
        import io

        from PIL import Image

        from marketplace.listings import certificates

        buffer = io.BytesIO()
        Image.new("RGB", (40, 56), (250, 250, 240)).save(buffer, "PNG")
        return certificates.write(certificates.check(buffer.getvalue()))


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@contoh.id")
    name = "Pengguna Contoh"
    role = Role.FACILITATOR
    email_confirmed_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or "kata-sandi-yang-panjang")
        if create:
            db.session.commit()


class PhotoFactory(Base):
    class Meta:
        model = Photo

    key = factory.Sequence(lambda n: f"{n:032x}")
    product = factory.SubFactory(ProductFactory)
    producer_id = factory.LazyAttribute(lambda o: o.product.producer_id)
    live = True
    width = 480
    height = 360
