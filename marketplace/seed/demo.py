"""`seed demo`: the sample inventory of Kota Metro as published demo data, plus one account per role.

Idempotent: producers are found again by NIB, products by name within their producer,
accounts by e-mail; running it twice leaves the same rows.
"""
from __future__ import annotations

import io
import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import (
    Agreement,
    AgreementTarget,
    Category,
    Certificate,
    Photo,
    Producer,
    Product,
    PublicationStatus,
    Role,
    User,
    utcnow,
)
from marketplace.listings import photos as images
from marketplace.catalog import search
from marketplace.city.importer import InventoryRow, RowRejected, parse_row, read_rows
from marketplace.listings.editing import set_price_tiers
from marketplace.listings.specs import columns_for
from marketplace.core.text import slugify
from marketplace.core.vocab import MONTHS_ALL_YEAR

INVENTORY = Path(__file__).resolve().parent.parent / "demo" / "inventaris-umkm-metro.csv"
DEMO_DOMAIN = "demo.etalasemetro.id"
DEMO_PRODUCER_NIB = "3883685957489"  # KWT Mawar Melati: two products, crafts and meat


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    email: str
    password: str
    name: str


DEMO_ACCOUNTS = (
    DemoAccount(Role.PRODUCER, f"produsen@{DEMO_DOMAIN}", "Produsen-Metro-2026", "Sri Nugroho"),
    DemoAccount(Role.FIELD_OFFICER, f"pendamping@{DEMO_DOMAIN}", "Pendamping-UMKM-2026", "Pendamping Lapangan"),
    DemoAccount(Role.MODERATOR, f"kurator@{DEMO_DOMAIN}", "Kurator-Dekranasda-2026", "Kurator Dekranasda"),
    DemoAccount(Role.FACILITATOR, f"fasilitator@{DEMO_DOMAIN}", "Fasilitator-BUMD-2026", "Fasilitator BUMD"),
    DemoAccount(Role.ADMIN, f"admin@{DEMO_DOMAIN}", "Admin-Pemkot-2026", "Operator Diskominfo"),
)

# What a buyer needs to know per commodity, where the inventory is silent.
PROFILES = {
    "beras-serealia": dict(
        storage="ambient", lead=5, shelf=180, color=(196, 164, 92),
        packaging="Karung 25 kg dan 50 kg; kemasan 5 kg atas permintaan",
        delivery="Diantar ke gudang di Jakarta dengan truk, ± 2 hari dari Metro",
        months=MONTHS_ALL_YEAR, tiers=((1, 1.0), (5, 0.97), (20, 0.94)), basis="franco_incl",
        text="{product} hasil panen petani {kelurahan}, digiling dan disortir di Kota Metro. "
             "Kadar air terjaga, butir utuh, cocok untuk hotel, katering, dan distributor.",
    ),
    "daging-unggas": dict(
        storage="frozen", lead=3, shelf=90, color=(176, 72, 64),
        packaging="Vakum per 1 kg, dus berpendingin",
        delivery="Truk berpendingin ke Jakarta; sertifikat kesehatan disertakan",
        months=MONTHS_ALL_YEAR, tiers=((1, 1.0), (3, 0.98), (10, 0.95)), basis="franco_incl",
        text="{product} dari peternak {kelurahan}, dipotong di RPH bersertifikat dan dikemas higienis.",
    ),
    "telur": dict(
        storage="ambient", lead=2, shelf=21, color=(222, 186, 120),
        packaging="Tray isi 30, peti kayu isi 10 tray",
        delivery="Diantar ke Jakarta dua kali seminggu",
        months=MONTHS_ALL_YEAR, tiers=((1, 1.0), (4, 0.97)), basis="franco_incl",
        text="{product} segar dari peternakan di {kelurahan}, disortir per ukuran dan dibersihkan sebelum dikemas.",
    ),
    "sayur-buah": dict(
        storage="chilled", lead=2, shelf=5, color=(92, 150, 80),
        packaging="Keranjang plastik 10–20 kg",
        delivery="Dipanen pagi, dikirim malam hari ke pasar induk atau gudang pembeli",
        months=0b111111100011, tiers=((1, 1.0), (5, 0.96)), basis="franco_excl",
        text="{product} dari kelompok tani di {kelurahan}. Dipanen sesuai pesanan agar tiba segar di Jakarta.",
    ),
    "pupuk-sarana-tani": dict(
        storage="ambient", lead=7, shelf=365, color=(110, 96, 70),
        packaging="Karung 40 kg / jeriken 5 liter",
        delivery="Franco gudang Metro; pengiriman ke Jakarta dapat diatur",
        months=MONTHS_ALL_YEAR, tiers=((1, 1.0), (10, 0.93)), basis="loco",
        text="{product} buatan {producer} dari limbah ternak dan pertanian setempat, difermentasi dan diuji kandungannya.",
    ),
    "olahan-pangan": dict(
        storage="ambient", lead=7, shelf=180, color=(200, 110, 50),
        packaging="Kemasan ritel berlabel, dus isi 24",
        delivery="Ekspedisi darat ke Jakarta, 2–3 hari",
        months=MONTHS_ALL_YEAR, tiers=((1, 1.0), (3, 0.95), (10, 0.9)), basis="franco_excl",
        text="{product} khas Lampung buatan {producer}. Resep turun-temurun, diproduksi di dapur bersertifikat.",
    ),
    "kerajinan-wastra": dict(
        storage="ambient", lead=21, shelf=None, color=(120, 40, 70),
        packaging="Dilipat dengan kertas bebas asam, kotak eksklusif",
        delivery="Dikirim per paket asuransi ke alamat di Jakarta",
        months=MONTHS_ALL_YEAR, tiers=((1, 1.0), (10, 0.92)), basis="franco_excl",
        text="{product} ditenun tangan oleh perajin {producer} di {kelurahan} dengan motif khas Lampung. "
             "Cocok untuk suvenir korporat, hotel, dan butik.",
    ),
}

# English text for a few listings and a storefront, by (NIB, product), so the English pages show both cases:
# the producer's own English, and the Indonesian text marked as such where there is none.
ENGLISH_PRODUCTS = {
    ("9285878682663", "Beras Premium"): (
        "Siger Emas Premium Rice",
        "Premium-grade rice (SNI 6128) grown by the farmers of Banjarsari and milled and sorted in Metro: whole "
        "grains, low moisture, for hotels, caterers and distributors in Jakarta. Delivered to Jakarta by truck."),
    ("7034081485898", "Sambal Lampung Botolan"): (
        "Lampung Chilli Sambal in Bottles",
        "Bottled Lampung chilli sambal from an old family recipe, made by Harapan Baru in Metro Pusat. Shipped to "
        "Jakarta by road in cartons of 24."),
    ("8799887997972", "Batik Metro"): (
        "Metro Batik Cloth",
        "Hand-drawn batik cloth with Lampung motifs, made by the Barokah artisans of Sumbersari Bantul: for "
        "corporate gifts, hotels and boutiques."),
}
ENGLISH_STOREFRONTS = {
    "9285878682663": "A farmers' group in Banjarsari, Metro Utara, growing and milling premium rice for buyers in "
                     "Jakarta, with an SNI certificate and a monthly capacity of about 35 tonnes.",
}


def demo_specs(product: str, nib: str, rng: random.Random) -> dict:
    """Realistic specifications (listings/specs.py) for a demo listing, by its product name; the story's premium
    rice (Poktan Siger Emas Banjarsari) has fixed figures, so its product page and the compare view read the same."""
    if (nib, product) == STORY_PRODUCT:
        return {"variety": "Ciherang", "rice_class": "premium", "broken_pct": 12.5, "moisture_pct": 13.5,
                "pack_kg": 25.0}
    name = product.lower()
    if name.startswith("beras"):
        premium = "medium" not in name
        return {"variety": rng.choice(["Ciherang", "IR64", "Inpari 32", "Mentik Wangi"]),
                "rice_class": "premium" if premium else "medium",
                "broken_pct": round(rng.uniform(8, 14) if premium else rng.uniform(16, 24), 1),
                "moisture_pct": round(rng.uniform(12.5, 14), 1), "pack_kg": rng.choice([5.0, 25.0, 50.0])}
    if name.startswith("daging sapi"):
        return {"cut": rng.choice(["Has dalam", "Paha belakang", "Sandung lamur"]),
                "meat_state": "frozen" if "beku" in name else "fresh", "slaughterhouse": "RPH Kota Metro",
                "nkv_number": f"RPH-1872-{rng.randint(1, 40):03d}"}
    if name.startswith("ayam") and "karkas" in name:
        return {"cut": "Karkas utuh", "meat_state": rng.choice(["fresh", "frozen"]),
                "slaughterhouse": "RPHU Metro Selatan"}
    if name.startswith("telur"):
        if "ras" in name:
            return {"egg_class": rng.choice(["medium", "large"]), "egg_grams": float(rng.randint(55, 62))}
        return {"egg_class": "small", "egg_grams": float(rng.randint(38, 45))}
    if name in ("tomat", "cabai merah keriting", "pisang kepok", "kangkung", "sayur bayam"):
        months = {"tomat": [5, 6, 7, 8, 9], "cabai merah keriting": [3, 4, 5, 9, 10, 11],
                  "pisang kepok": list(range(1, 13))}.get(name, [1, 2, 3, 4, 10, 11, 12])
        return {"produce_grade": rng.choice(["A", "A", "B"]), "harvest_months": months}
    if name.startswith("pupuk"):
        liquid = "cair" in name
        return {"fertiliser_form": "liquid" if liquid else "granule",
                "c_organic_pct": round(rng.uniform(10, 12) if liquid else rng.uniform(15, 20), 1),
                "registration_number": f"{rng.randint(1, 999):02d}.01.2024.{rng.randint(1, 99):02d}"}
    if name.startswith(("keripik", "sambal")):
        return {"net_weight_g": 250.0 if name.startswith("keripik") else 190.0,
                "food_permit": f"P-IRT 2061872{rng.randint(10000, 99999)}-2{rng.randint(6, 9)}"}
    if name.startswith("kain tapis"):
        return {"motif": rng.choice(["Pucuk rebung", "Kapal", "Sasab"]), "size": "200 × 110 cm",
                "material": "Benang katun dan benang emas", "technique": "sulam"}
    if name.startswith("batik"):
        return {"motif": rng.choice(["Siger", "Gajah Lampung", "Kopi Metro"]), "size": "200 × 115 cm",
                "material": "Katun primisima", "technique": rng.choice(["batik_tulis", "batik_cap"])}
    return {}


CERT_ISSUERS = {
    "halal": "BPJPH", "pirt": "Dinas Kesehatan Kota Metro", "bpom_md": "Badan POM", "sni": "BSN",
    "nkv": "Dinas Pertanian Provinsi Lampung", "organik": "LSO Lampung", "prima3": "OKKPD Lampung",
    "hki": "DJKI Kemenkumham",
}


def load_inventory(path: Path = INVENTORY) -> list[InventoryRow]:
    rows = []
    for number, cells, _original in read_rows(path):
        try:
            rows.append(parse_row(number, cells))
        except RowRejected:
            continue
    return rows


def _cert_number(kind: str, rng: random.Random) -> str:
    digits = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    return {
        "halal": f"ID18110000{digits(8)}", "pirt": f"P-IRT {digits(15)}", "bpom_md": f"MD {digits(12)}",
        "sni": f"SNI-{digits(6)}", "nkv": f"NKV 18.72.{digits(4)}", "organik": f"LSO-{digits(3)}-IDN",
        "prima3": f"P3-1872-{digits(4)}", "hki": f"IDM000{digits(6)}",
    }.get(kind, digits(10))


def _unique_slug(base: str, taken: set[str]) -> str:
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):
        return ImageFont.load_default()


def render_photo(title: str, subtitle: str, color: tuple[int, int, int], variant: int = 0) -> bytes:
    """A clean placeholder picture: the commodity's colour, a motif and the product name."""
    width, height = 1200, 900
    image = Image.new("RGB", (width, height), color)
    draw = ImageDraw.Draw(image)
    for y in range(height):  # soft vertical gradient
        shade = int(40 * y / height)
        draw.line([(0, y), (width, y)], fill=tuple(max(0, c - shade) for c in color))
    rng = random.Random(title + str(variant))
    for _ in range(7):
        r = rng.randint(80, 220)
        x, y = rng.randint(0, width), rng.randint(0, height)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=(255, 255, 255), width=6)
    draw.rectangle([0, height - 260, width, height], fill=(20, 40, 30))
    draw.text((60, height - 220), title, font=_font(72), fill=(255, 255, 255))
    draw.text((60, height - 120), subtitle, font=_font(40), fill=(230, 214, 160))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _born_published(obj) -> None:
    """A new demo storefront or listing is born published (the city vetted the sample inventory), through the
    one declared place for rows born in a status (`Workflow.place`). One made by an earlier run keeps its
    status: a second run changes nothing, and what someone did with the demo stands."""
    from marketplace.listings.workflow import publication

    publication.place(obj, PublicationStatus.PUBLISHED)


def seed_demo(log=print) -> dict:
    """Create or update the demo catalog and accounts. Returns counts."""
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    if not categories:
        raise RuntimeError("no categories: run `flask --app wsgi db upgrade` first")
    rows = load_inventory()
    taken = set(db.session.scalars(select(Producer.slug)))
    today = clock.today()
    producers: dict[str, Producer] = {}
    counts = {"producers": 0, "products": 0, "photos": 0}

    expired_made = False
    for index, row in enumerate(rows):
        rng = random.Random(row.nib + row.product)
        producer = producers.get(row.nib) or db.session.scalar(select(Producer).where(Producer.nib == row.nib))
        if producer is None:
            producer = Producer(nib=row.nib, slug=_unique_slug(slugify(row.business_name), taken))
            _born_published(producer)
            db.session.add(producer)
            counts["producers"] += 1
        if row.nib not in producers:
            prng = random.Random(row.nib)
            producer.name = row.business_name
            producer.owner_name = row.owner_name
            producer.kecamatan = row.kecamatan
            producer.kelurahan = row.kelurahan
            producer.address = row.address
            producer.phone = row.phone
            producer.email = row.email
            producer.founded_year = producer.founded_year or prng.randint(1998, 2021)
            producer.workforce = producer.workforce or prng.randint(3, 60)
            producer.curated = row.grade in ("A", "Super") and prng.random() < 0.6
            producer.description = producer.description or (
                f"{row.business_name} adalah pelaku UMKM di Kelurahan {row.kelurahan}, Kota Metro, "
                f"dipimpin oleh {row.owner_name}. Terdaftar dengan NIB {row.nib}."
            )
            producer.description_en = producer.description_en or ENGLISH_STOREFRONTS.get(row.nib, "")
            producer.published_at = producer.published_at or utcnow()
            producers[row.nib] = producer
            db.session.flush()

        category = categories[row.category or "olahan-pangan"]
        profile = PROFILES[category.slug]
        product = db.session.scalar(
            select(Product).where(Product.producer_id == producer.id, Product.name == row.product)
        )
        if product is None:
            product = Product(producer=producer, name=row.product)
            _born_published(product)
            db.session.add(product)
            counts["products"] += 1
        product.slug = slugify(row.product)
        product.category = category
        product.unit = row.unit
        product.description = profile["text"].format(
            product=row.product, producer=row.business_name, kelurahan=row.kelurahan
        )
        product.monthly_capacity = row.capacity
        product.min_order_qty = row.moq
        product.grade = row.grade
        product.lead_time_days = profile["lead"]
        product.shelf_life_days = profile["shelf"]
        product.packaging = profile["packaging"]
        product.storage = "live" if "hidup" in row.product.lower() else profile["storage"]
        product.delivery_terms = profile["delivery"]
        product.available_months = profile["months"]
        name_en, description_en = ENGLISH_PRODUCTS.get((row.nib, row.product), ("", ""))
        product.name_en = product.name_en or name_en
        product.description_en = product.description_en or description_en
        product.price_basis = profile["basis"]
        product.featured = index % 7 == 0
        product.specs = demo_specs(row.product, row.nib, random.Random("specs" + row.nib + row.product)) or None
        for column, value in columns_for(product.specs).items():
            setattr(product, column, value)
        # Deeper tiers only up to what the producer can supply in a month (a tier at 20 × the MOQ of a rice
        # producer once started at 30,6 t for 16,6 t a month: listings/pricing.tier_problems).
        tiers = [] if row.price is None else [
            (row.moq * step, int(round(row.price * factor / 100.0)) * 100 or row.price)
            for step, factor in profile["tiers"] if row.moq * step <= row.capacity
        ]
        product.price_on_request = not tiers
        set_price_tiers(product, tiers)
        product.published_at = product.published_at or utcnow()

        existing = {c.kind: c for c in producer.certificates}
        for kind in row.certificates:
            certificate = existing.get(kind)
            if certificate is None:
                # One certificate in the demo is out of date (the first NKV), so the expired state can be seen.
                expired = kind == "nkv" and not expired_made
                expired_made = expired_made or expired
                days = -30 if expired else rng.randint(90, 1000)
                certificate = Certificate(
                    kind=kind, number=_cert_number(kind, rng), issuer=CERT_ISSUERS.get(kind, ""),
                    valid_until=today + timedelta(days=days),
                )
                producer.certificates.append(certificate)
                existing[kind] = certificate
        product.certificates = [existing[k] for k in row.certificates]

        if not product.photos:
            db.session.flush()
            variants = 2 if row.nib == DEMO_PRODUCER_NIB else 1
            for variant in range(variants):
                data = render_photo(row.product, f"{row.business_name} · {row.kelurahan}", profile["color"], variant)
                stored = images.store(data)
                product.photos.append(Photo(
                    key=stored.key, producer_id=producer.id, position=variant, width=stored.width,
                    height=stored.height, alt=row.product, live=True,
                ))
                counts["photos"] += 1

    db.session.flush()
    for account in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == account.email))
        if user is None:
            user = User(email=account.email, role=account.role)
            db.session.add(user)
        user.name = account.name
        user.role = account.role
        user.active = True
        user.email_confirmed_at = user.email_confirmed_at or utcnow()
        if account.role == Role.PRODUCER:
            user.producer = producers[DEMO_PRODUCER_NIB]
        if account.role == Role.FIELD_OFFICER and not user.assigned_producers:
            # The officer assists the first three storefronts of Metro Selatan.
            user.assigned_producers = [p for p in producers.values() if p.kecamatan == "metro-selatan"][:3]
        if not user.check_password(account.password):
            user.set_password(account.password)
    if db.session.scalar(select(Agreement).where(Agreement.code == "MOU-METRO-DKI-2026")) is None:
        db.session.add(Agreement(
            code="MOU-METRO-DKI-2026", kind="MoU", title="Kerja sama pemasaran produk UMKM Kota Metro di DKI Jakarta",
            parties="Pemerintah Kota Metro; Pemerintah Provinsi DKI Jakarta", starts_on=date(2026, 1, 1),
            ends_on=date(2028, 12, 31),
        ))
    db.session.flush()
    agreement = db.session.scalar(select(Agreement).where(Agreement.code == "MOU-METRO-DKI-2026"))
    if not agreement.targets:
        for slug, volume, unit in DEMO_TARGETS:
            agreement.targets.append(AgreementTarget(category_id=categories[slug].id, volume_per_month=volume, unit=unit))
    counts["inquiries"] = seed_history(agreement) + seed_story(agreement)
    counts["certificates_verified"] = seed_certificate_checks()
    db.session.flush()
    search.reindex()
    return counts


# ---------------------------------------------------------------- documents behind the certificates, some checked

def render_certificate(cert: Certificate, holder: str) -> bytes:
    """A plainly fake scan of a certificate (A5 portrait, PNG): its kind, number, issuer and dates, and the words
    CONTOH / DEMO so nobody takes it for a real one."""
    from marketplace.core.formatting import certificate_label

    width, height = 700, 990
    image = Image.new("RGB", (width, height), (252, 250, 242))
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, width - 20, height - 20], outline=(20, 83, 45), width=8)
    draw.rectangle([40, 40, width - 40, height - 40], outline=(190, 160, 80), width=3)
    draw.text((70, 100), "SERTIFIKAT", font=_font(56), fill=(20, 83, 45))
    draw.text((70, 180), str(certificate_label(cert.kind)).upper(), font=_font(36), fill=(20, 40, 30))
    lines = [f"Nomor: {cert.number}", f"Penerbit: {cert.issuer or '-'}", f"Diberikan kepada: {holder}",
             f"Berlaku sampai: {cert.valid_until.isoformat() if cert.valid_until else '-'}"]
    for n, line in enumerate(lines):
        draw.text((70, 300 + n * 60), line, font=_font(26), fill=(30, 30, 30))
    draw.text((70, height - 160), "CONTOH / DEMO - BUKAN DOKUMEN ASLI", font=_font(28), fill=(160, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def seed_certificate_checks() -> int:
    """Of the demo's certificates (in the order they were made), every third keeps only what its producer states;
    the others get a generated document (every sixth a PDF), and half of those a moderator's verification with the
    document made public. The expired one stays expired and unchecked. Returns how many are verified.
    Idempotent: a certificate that has a document or a verification is left as it is."""
    from marketplace.listings import certificates as documents
    from marketplace.listings.workflow import verification
    from marketplace.models import CertificateDocument, CertificateStatus

    moderator = db.session.scalar(select(User).where(User.role == Role.MODERATOR, User.email.like(f"%@{DEMO_DOMAIN}")))
    today = clock.today()
    certificates = db.session.scalars(select(Certificate).join(Producer).where(Producer.nib.is_not(None))
                                      .order_by(Certificate.id)).all()
    for index, cert in enumerate(certificates):
        if index % 3 == 0 or cert.document_key or cert.status != CertificateStatus.STATED \
                or not cert.is_valid_on(today) or not cert.number:
            continue
        scan = render_certificate(cert, cert.producer.name)
        if index % 6 == 5:
            pdf = io.BytesIO()
            Image.open(io.BytesIO(scan)).convert("RGB").save(pdf, "PDF", resolution=150)
            scan = pdf.getvalue()
        checked = documents.check(scan)
        key = documents.write(checked)
        db.session.add(CertificateDocument(key=key, producer_id=cert.producer_id, media_type=checked.media_type,
                                           size=len(checked.data)))
        db.session.flush()
        cert.document_key = key
        if index % 3 == 1 and moderator is not None:
            cert.document_public = True
            verification.place(cert, CertificateStatus.VERIFIED)  # checked by the demo's curator
            cert.verified_at, cert.verified_by_id = utcnow(), moderator.id
    return sum(1 for c in certificates if c.status == CertificateStatus.VERIFIED)


# ---------------------------------------------------------------- a history of inquiries and contracts for the dashboard

DEMO_TARGETS = (("beras-serealia", 30, "ton"), ("telur", 3000, "butir"), ("daging-unggas", 500, "kg"))
HISTORY_SIZE = 140
HISTORY_DAYS = 180
BUYERS = (
    ("PT Hotel Nusantara Jaya", "hotel"), ("Restoran Padang Sederhana Group", "restaurant"),
    ("PT Ritel Segar Abadi", "retailer"), ("CV Distribusi Pangan Jaya", "distributor"),
    ("Katering Berkah Ibu", "caterer"), ("Perumda Food Station Tjipinang Jaya", "bumd"),
    ("Perumda Dharma Jaya", "bumd"), ("PT Hotel Menteng Raya", "hotel"), ("Kafe Kopi Lampung Jakarta", "restaurant"),
    ("PT Swalayan Keluarga", "retailer"),
)
CITIES = ("jakarta-pusat", "jakarta-selatan", "jakarta-barat", "jakarta-timur", "jakarta-utara")


def seed_history(agreement) -> int:
    """About six months of inquiries (some forwarded, answered, agreed), so the monitoring dashboard has
    something to show. Deterministic (one seeded random generator, products in id order) and idempotent:
    an inquiry whose reference (INQ-DEMO-0001 …) exists is left alone. Returns how many were created."""
    from datetime import UTC, datetime

    from marketplace.models import Allocation, AllocationStatus, EventVisibility, Inquiry, InquiryEvent, InquiryItem
    from marketplace.trade.workflow import allocation as allocation_workflow
    from marketplace.trade.workflow import inquiry as inquiry_workflow

    facilitator = db.session.scalar(select(User).where(User.role == Role.FACILITATOR).order_by(User.id))
    products = list(db.session.scalars(
        select(Product).join(Product.producer)
        .where(Product.status == PublicationStatus.PUBLISHED, Producer.status == PublicationStatus.PUBLISHED)
        .order_by(Product.id)
    ))
    existing = set(db.session.scalars(select(Inquiry.reference).where(Inquiry.reference.like("INQ-DEMO-%"))))
    if not products or len(existing) >= HISTORY_SIZE:
        return 0
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rng = random.Random("etalase-metro-history")
    created = 0
    for n in range(1, HISTORY_SIZE + 1):
        # Every draw happens whether or not the row exists, so a re-run sees the same sequence.
        product = rng.choice(products)
        company, buyer_type = rng.choice(BUYERS)
        age = timedelta(days=HISTORY_DAYS * (1 - (n - 1) / HISTORY_SIZE), hours=rng.randint(0, 23))
        arrived = now - age
        quantity = max(product.min_order_qty, 1) * rng.choice((1, 1, 2, 3, 5))
        frequency = rng.choice(("once", "weekly", "monthly", "monthly"))
        fate = rng.random()
        hours = [rng.uniform(0.5, 30), rng.uniform(2, 48), rng.uniform(3, 120), rng.uniform(24, 240)]
        share = rng.choice((0.6, 0.8, 1.0, 1.0))
        under_agreement = rng.random() < 0.7
        periods = {"once": 1, "weekly": rng.choice((4, 8, 12)), "monthly": rng.choice((3, 6, 12))}[frequency]
        reference = f"INQ-DEMO-{n:04d}"
        if reference in existing:
            continue
        inquiry = Inquiry(
            # Random like a real inquiry's: a tracking link is a secret, demo data or not (found again by reference).
            reference=reference, tracking_token=secrets.token_urlsafe(32),
            form_token=secrets.token_urlsafe(24), company=company, buyer_type=buyer_type, contact_name="Bagian Pembelian",
            email=f"pembelian{n % 10}@contoh-pembeli.id", quantity=quantity, unit=product.unit, frequency=frequency,
            periods=periods,
            delivery_city=CITIES[n % len(CITIES)], category_id=product.category_id, message="",
            created_at=arrived, updated_at=arrived,
        )
        inquiry_workflow.place(inquiry, inquiry_workflow.initial)
        inquiry.items.append(InquiryItem(product_id=product.id, producer_id=product.producer_id))
        db.session.add(inquiry)
        created += 1
        moment = arrived
        if n > HISTORY_SIZE - 4:
            continue  # the newest few still wait in the queue

        def step(status: str, after_hours: float, *, _inquiry=inquiry) -> bool:
            nonlocal moment
            if moment + timedelta(hours=after_hours) > now:
                return False
            moment += timedelta(hours=after_hours)
            last = str(_inquiry.status)
            inquiry_workflow.place(_inquiry, status)  # only along a transition of the table
            _inquiry.updated_at = moment
            _inquiry.events.append(InquiryEvent(
                kind="status", visibility=EventVisibility.BUYER, from_status=last, to_status=status,
                created_at=moment, author_id=facilitator.id if facilitator else None,
            ))
            return True

        if fate < 0.08:
            step("spam", hours[0])
            continue
        if not step("in_review", hours[0]):
            continue
        inquiry.first_response_at = moment
        inquiry.assigned_to_id = facilitator.id if facilitator else None
        if fate < 0.18:
            step("declined", hours[1])
            continue
        if not step("forwarded", hours[1]):
            continue
        allocation = Allocation(producer_id=product.producer_id, product_id=product.id, requested_qty=quantity,
                                unit=product.unit, contact_released=True, created_at=moment, updated_at=moment)
        allocation_workflow.place(allocation, allocation_workflow.initial)
        inquiry.allocations.append(allocation)
        if fate < 0.30 or not step("responded", hours[2]):
            continue  # the producer has not answered yet
        allocation_workflow.place(allocation, AllocationStatus.ACCEPTED)  # the producer's offer
        allocation.responded_at = moment
        allocation.offered_qty, allocation.offered_price = quantity * share, product.price_min
        allocation.offered_unit, allocation.terms = product.unit, "loco"
        if fate < 0.45:
            step("negotiating", 24)
        if fate > 0.85:
            continue  # still talking
        price = product.price_min or 10000
        if moment + timedelta(hours=hours[3]) > now:
            continue
        agreed_at = moment + timedelta(hours=hours[3])
        inquiry.agreement_id = agreement.id if under_agreement else None
        inquiry.starts_on = (agreed_at + timedelta(days=7)).date()
        _contract_from(inquiry, [(allocation, product, quantity * share, price)], f"KTR-DEMO-{n:04d}", agreed_at,
                       facilitator)
        moment = agreed_at
        step("agreed", 1)
    return created


def _contract_from(inquiry, lines, reference: str, moment, facilitator):
    """History: the quotation the buyer accepted and the contract it became, placed (no e-mail, no audit row:
    the seeder's past), with the contract's month rows written as a real acceptance writes them."""
    from marketplace.models import Contract, ContractLine, Quotation, QuotationLine
    from marketplace.trade import contracts
    from marketplace.trade import workflow

    quotation = Quotation(version=1, valid_until=moment.date() + timedelta(days=14), names_producers=True,
                          created_by_id=facilitator.id if facilitator else None, created_at=moment, updated_at=moment,
                          decided_at=moment)
    workflow.quotation.place(quotation, "accepted")
    contract = Contract(reference=reference, agreement_id=inquiry.agreement_id, agreement_chosen=True,
                        frequency=inquiry.frequency, periods=inquiry.periods if inquiry.frequency != "once" else 1,
                        starts_on=inquiry.starts_on, created_by_id=facilitator.id if facilitator else None,
                        created_at=moment, updated_at=moment)
    contract.ends_on = contracts.ends_on(contract.frequency, contract.periods, contract.starts_on)
    workflow.contract.place(contract, "active")
    for allocation, product, quantity, price in lines:
        quotation.lines.append(QuotationLine(allocation=allocation, producer_id=product.producer_id, product=product,
                                             quantity=quantity, unit=product.unit, price=price,
                                             lead_time_days=product.lead_time_days, terms="loco"))
        contract.lines.append(ContractLine(producer_id=product.producer_id, product=product, quantity=quantity,
                                           unit=product.unit, price=price, lead_time_days=product.lead_time_days,
                                           terms="loco"))
    inquiry.quotations.append(quotation)
    inquiry.contracts.append(contract)
    contract.quotation = quotation
    contracts.schedule_lines(contract)
    return contract


# ---------------------------------------------------------------- the trade desk's story

STORY_PRODUCT = ("9285878682663", "Beras Premium")  # Poktan Siger Emas Banjarsari: 35,46 t a month
LINES_PRODUCT = ("7490052211693", "Beras Premium")  # Poktan Cahaya Tani: the second line of a request with two


def seed_story(agreement) -> int:
    """The trade desk's story, ready to be walked:
    - a retailer's 12-month contract already takes 20 t a month of Poktan Siger Emas's premium rice, so no single
      premium-rice producer has 20 t a month to spare;
    - Perumda Food Station Tjipinang Jaya asks for 20 ton of premium rice a month for 12 months from January:
      a new inquiry in the queue, which the facilitator pools over several producers.
    Idempotent by the inquiries' references. Returns how many inquiries were created."""
    from datetime import UTC, datetime

    from marketplace.models import Allocation, EventVisibility, Inquiry, InquiryEvent, InquiryItem
    from marketplace.trade.workflow import allocation as allocation_workflow
    from marketplace.trade.workflow import inquiry as inquiry_workflow

    product = db.session.scalar(select(Product).join(Product.producer)
                                .where(Producer.nib == STORY_PRODUCT[0], Product.name == STORY_PRODUCT[1]))
    if product is None:
        return 0
    facilitator = db.session.scalar(select(User).where(User.role == Role.FACILITATOR).order_by(User.id))
    existing = set(db.session.scalars(select(Inquiry.reference).where(Inquiry.reference.like("INQ-CERITA-%"))))
    today = clock.today()
    created = 0
    if "INQ-CERITA-01" not in existing:
        moment = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=75)
        start = date(today.year, today.month, 1) - timedelta(days=40)
        start = date(start.year, start.month, 1)
        retailer = Inquiry(
            reference="INQ-CERITA-01", tracking_token=secrets.token_urlsafe(32), form_token=secrets.token_urlsafe(24),
            company="PT Ritel Segar Abadi", buyer_type="retailer", contact_name="Bagian Pembelian",
            email="pembelian@ritel-segar.contoh.id", quantity=20, unit="ton", frequency="monthly", periods=12,
            starts_on=start, delivery_city="jakarta-barat", category_id=product.category_id,
            agreement_id=agreement.id, assigned_to_id=facilitator.id if facilitator else None,
            first_response_at=moment, created_at=moment, updated_at=moment,
        )
        inquiry_workflow.place(retailer, "agreed")
        retailer.items.append(InquiryItem(product_id=product.id, producer_id=product.producer_id))
        share = Allocation(producer_id=product.producer_id, product_id=product.id, requested_qty=20_000, unit="kg",
                           offered_qty=20_000, offered_unit="kg", offered_price=product.price_min or 15_000,
                           lead_time_days=product.lead_time_days, terms="loco", contact_released=True,
                           created_at=moment, updated_at=moment, responded_at=moment)
        allocation_workflow.place(share, "accepted")
        retailer.allocations.append(share)
        retailer.events.append(InquiryEvent(kind="status", visibility=EventVisibility.BUYER, to_status="agreed",
                                            created_at=moment))
        db.session.add(retailer)
        _contract_from(retailer, [(share, product, 20_000, product.price_min or 15_000)], "KTR-CERITA-01", moment,
                       facilitator)
        created += 1
    if "INQ-CERITA-02" not in existing:
        next_year = date(today.year + 1, 1, 1) if today.month >= 10 else date(today.year, today.month + 2, 1)
        food_station = Inquiry(
            reference="INQ-CERITA-02", tracking_token=secrets.token_urlsafe(32), form_token=secrets.token_urlsafe(24),
            company="Perumda Food Station Tjipinang Jaya", buyer_type="bumd", contact_name="Andi Saputra",
            email="pengadaan@foodstation.contoh.id", phone="+6281311112222", quantity=20, unit="ton",
            frequency="monthly", periods=12, starts_on=next_year, delivery_city="jakarta-timur",
            category_id=product.category_id, agreement_id=agreement.id, target_price=14_500_000,
            message="Beras premium kemasan 25 kg untuk Pasar Induk Beras Cipinang, dikirim setiap awal bulan.",
        )
        inquiry_workflow.place(food_station, inquiry_workflow.initial)
        food_station.items.append(InquiryItem(product_id=product.id, producer_id=product.producer_id))
        food_station.events.append(InquiryEvent(kind="status", visibility=EventVisibility.BUYER, to_status="new",
                                                by_buyer=True))
        db.session.add(food_station)
        created += 1
    second = db.session.scalar(select(Product).join(Product.producer)
                               .where(Producer.nib == LINES_PRODUCT[0], Product.name == LINES_PRODUCT[1]))
    if "INQ-CERITA-03" not in existing and second is not None:
        # A request for two listings at once, from the compare view: a line each, the total in kilograms.
        hotel = Inquiry(
            reference="INQ-CERITA-03", tracking_token=secrets.token_urlsafe(32), form_token=secrets.token_urlsafe(24),
            company="Hotel Borobudur Jakarta", buyer_type="hotel", contact_name="Maya Lestari",
            email="purchasing@borobudur.contoh.id", phone="+6281277778888", quantity=5_000, unit="kg",
            frequency="monthly", periods=6, starts_on=date(today.year + today.month // 12, today.month % 12 + 1, 1),
            delivery_city="jakarta-pusat", category_id=product.category_id,
            message="Dua beras premium untuk dapur hotel; kemasan 25 kg.",
        )
        inquiry_workflow.place(hotel, inquiry_workflow.initial)
        hotel.items.append(InquiryItem(product_id=product.id, producer_id=product.producer_id, quantity=3, unit="ton"))
        hotel.items.append(InquiryItem(product_id=second.id, producer_id=second.producer_id, quantity=2_000,
                                       unit="kg"))
        hotel.events.append(InquiryEvent(kind="status", visibility=EventVisibility.BUYER, to_status="new",
                                         by_buyer=True))
        db.session.add(hotel)
        created += 1
    db.session.flush()
    return created
