"""`seed scale`: a large, realistically skewed data set for benchmarks and scale tests.

What it builds (sizes are options; the default is the benchmark's "M" data set):

- producers spread over the five kecamatan; how many listings each has follows a Zipf-like law
  (a few producers with hundreds of listings, most with one to five), each with a main commodity;
- products whose titles come from a small vocabulary of common words ("beras", "keripik",
  "organik"…), so a common term matches thousands of listings, and a handful of rare words;
  1–3 price tiers, certificates (some expired), one live photo for most, a few drafts/pending;
- inquiries spread over three years, most of them closed, declined or agreed (with a contract),
  some still open in the facilitator queue, with their items, a timeline event and buyer companies.

Rows are written with the driver's bulk paths — `executemany` in large batches on SQLite,
`COPY … FROM STDIN` on PostgreSQL — and the search index is rebuilt once at the end.
Ids continue after what the tables already hold, so it can run on top of `seed demo`.
"""
from __future__ import annotations

import itertools
import json
import random
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from marketplace.extensions import db
from marketplace.trade import contracts as schedule
from marketplace.listings import fields, pricing
from marketplace.listings.specs import columns_for
from marketplace.models import Category, Inquiry, Producer, Product, Role
from marketplace.catalog import search
from marketplace.core.vocab import BUYER_TYPES, DELIVERY_CITIES, KECAMATAN, KELURAHAN, MONTHS_ALL_YEAR

SCALE_DOMAIN = "scale.etalasemetro.id"
FACILITATOR_EMAIL = f"fasilitator@{SCALE_DOMAIN}"
FACILITATOR_PASSWORD = "Fasilitator-Skala-2026"
# The benchmark's other signed-in pages (bench/run.py): the moderation queue, and the dashboard of the producer
# with the most listings. Same password as the facilitator.
MODERATOR_EMAIL = f"moderator@{SCALE_DOMAIN}"
PRODUCER_EMAIL = f"produsen@{SCALE_DOMAIN}"
RARE_WORDS = ("kecombrang", "andaliman", "rambutan-binjai", "tiwul")  # the benchmark's rare term: kecombrang
BATCH = 20_000
# A few specification sets for the commodities the catalog filters on, as JSON text made once (both bulk paths take
# text for a JSON column) with their filter columns; seven listings in ten of those commodities get one, by id.
_SPEC_SETS = {
    "beras-serealia": [
        {"variety": "Ciherang", "rice_class": "premium", "broken_pct": 12.0, "moisture_pct": 13.5, "pack_kg": 25.0},
        {"variety": "IR64", "rice_class": "medium", "broken_pct": 22.0, "moisture_pct": 14.0, "pack_kg": 50.0},
        {"variety": "Mentik Wangi", "rice_class": "premium", "broken_pct": 9.5, "moisture_pct": 13.0, "pack_kg": 5.0},
    ],
    "daging-unggas": [{"cut": "Karkas utuh", "meat_state": "fresh"}, {"cut": "Has dalam", "meat_state": "frozen"}],
}
SCALE_SPECS = {slug: [(json.dumps(values), columns_for(values)) for values in sets] for slug, sets in _SPEC_SETS.items()}
NO_SPECS = {"specs": None, **columns_for(None)}
CONTRACT_MONTHS = 6  # each agreed inquiry's contract: its volume every month for half a year

# Commodity: share of listings, unit, price range (Rupiah per unit), capacity range, title words.
VOCAB: dict[str, dict] = {
    "beras-serealia": dict(
        share=20, unit="kg", price=(9_000, 18_000), capacity=(500, 60_000),
        items=["Beras Pandan Wangi", "Beras Merah", "Beras Putih", "Beras Organik", "Beras Ketan", "Beras Hitam",
               "Beras Premium", "Beras Medium", "Jagung Pipil", "Tepung Beras", "Beras Rojolele", "Gabah Kering"],
    ),
    "daging-unggas": dict(
        share=9, unit="kg", price=(32_000, 140_000), capacity=(100, 8_000),
        items=["Daging Sapi", "Ayam Potong", "Ayam Kampung", "Daging Kambing", "Bebek Potong", "Ayam Broiler Hidup",
               "Daging Giling", "Ati Ampela"],
    ),
    "telur": dict(
        share=7, unit="kg", price=(24_000, 38_000), capacity=(200, 20_000),
        items=["Telur Ayam Ras", "Telur Ayam Kampung", "Telur Bebek", "Telur Asin", "Telur Puyuh", "Telur Omega"],
    ),
    "sayur-buah": dict(
        share=16, unit="kg", price=(4_000, 45_000), capacity=(200, 30_000),
        items=["Cabai Merah Keriting", "Cabai Rawit", "Bawang Merah", "Tomat", "Pisang Kepok", "Pisang Raja",
               "Sayur Bayam", "Kangkung", "Nanas Madu", "Jeruk Siam", "Semangka", "Terong Ungu", "Singkong"],
    ),
    "pupuk-sarana-tani": dict(
        share=8, unit="karung", kg_per_unit=40.0, price=(25_000, 250_000), capacity=(50, 5_000),
        items=["Pupuk Organik Cair", "Pupuk Kompos", "Pupuk Kandang", "Bibit Padi", "Pestisida Nabati",
               "Media Tanam", "Pupuk Bokashi"],
    ),
    "olahan-pangan": dict(
        share=30, unit="pak", price=(8_000, 90_000), capacity=(100, 20_000),
        items=["Keripik Pisang", "Keripik Singkong", "Keripik Tempe", "Keripik Pisang Coklat", "Kopi Robusta",
               "Kopi Bubuk", "Sambal Lampung", "Kerupuk Kemplang", "Lempok Durian", "Dodol", "Madu Hutan",
               "Gula Aren", "Tapai Singkong", "Rempeyek Kacang", "Abon Sapi", "Beras Kencur"],
    ),
    "kerajinan-wastra": dict(
        share=10, unit="pcs", price=(50_000, 2_500_000), capacity=(5, 800),
        items=["Kain Tapis", "Tas Tapis", "Sulam Usus", "Anyaman Bambu", "Batik Lampung", "Kopiah Tapis",
               "Tas Anyaman Pandan", "Miniatur Rumah Adat"],
    ),
}
PRICE_BASES = ("loco", "franco_incl", "franco_excl")
MODIFIERS = ["Premium", "Super", "Organik", "Grade A", "Kualitas Ekspor", "Kemasan 5 kg", "Curah", "Asli Metro",
             "Segar", "Pilihan", "Spesial", "Khas Lampung", "", "", "", ""]
PRODUCER_KINDS = ["KWT", "Gapoktan", "UD", "CV", "Kelompok Tani", "UMKM", "Koperasi", "Poktan", "Rumah Produksi"]
PRODUCER_WORDS = ["Mawar", "Melati", "Sumber", "Rejeki", "Makmur", "Sejahtera", "Tani", "Jaya", "Barokah", "Lestari",
                  "Mandiri", "Sentosa", "Subur", "Abadi", "Bersama", "Sari", "Mulya", "Agung", "Berkah", "Harapan"]
FIRST_NAMES = ["Sri", "Siti", "Budi", "Agus", "Dewi", "Wahyu", "Rina", "Joko", "Yuni", "Eko", "Ani", "Heri", "Lestari",
               "Slamet", "Nur", "Tri", "Endang", "Bambang", "Suparmi", "Sugeng"]
LAST_NAMES = ["Nugroho", "Wulandari", "Santoso", "Rahayu", "Saputra", "Hidayat", "Purnomo", "Susanti", "Pratama",
              "Setiawan", "Handayani", "Kurniawan", "Maryani", "Wibowo"]
CERT_KINDS = {
    "beras-serealia": ["halal", "prima3", "organik", "sni"],
    "daging-unggas": ["halal", "nkv", "skkh"],
    "telur": ["nkv", "halal"],
    "sayur-buah": ["prima3", "organik"],
    "pupuk-sarana-tani": ["sni", "organik"],
    "olahan-pangan": ["halal", "pirt", "bpom_md"],
    "kerajinan-wastra": ["hki"],
}
COMPANY_WORDS = ["Hotel", "Resto", "Katering", "PT", "CV", "Toko", "Swalayan", "Warung", "Dapur"]
COMPANY_NAMES = ["Nusantara", "Sentosa", "Kencana", "Mutiara", "Citra", "Sinar", "Bintang", "Kemang", "Menteng",
                 "Kelapa Gading", "Cempaka", "Senayan", "Tebet", "Cikini", "Kuningan", "Pluit", "Sunter", "Grogol"]

# Inquiry statuses in the data set: most are finished; a small share is still in the queue.
INQUIRY_STATUSES = [("closed", 62), ("agreed", 10), ("declined", 10), ("cancelled", 6), ("spam", 3.5),
                    ("new", 3.5), ("in_review", 1.5), ("forwarded", 1.5), ("responded", 1), ("negotiating", 1)]


@dataclass
class Sizes:
    producers: int
    products: int
    inquiries: int


@dataclass
class Timer:
    log: Callable[[str], None]
    rows: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def done(self, table: str, count: int, since: float) -> None:
        self.rows[table] = self.rows.get(table, 0) + count
        seconds = max(time.perf_counter() - since, 1e-6)
        self.log(f"  {table:<20} {count:>10,} rows  {seconds:6.1f} s  {count / seconds:>10,.0f} rows/s")


def _to_sqlite(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _convert(row: tuple, columns: list[int]) -> tuple:
    values = list(row)
    for i in columns:
        values[i] = _to_sqlite(values[i])
    return tuple(values)


class BulkWriter:
    """Writes many rows into one table through the fastest path the driver has."""

    def __init__(self, connection):
        self.connection = connection
        self.dialect = connection.dialect.name
        self.raw = connection.connection.driver_connection

    def next_id(self, table: str) -> int:
        return (self.connection.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0) + 1

    def write(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        count = 0
        if self.dialect == "postgresql":
            cursor = self.raw.cursor()
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            cursor.close()
            return count
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        cursor = self.raw.cursor()
        iterator = iter(rows)
        dated: list[int] | None = None
        while batch := list(itertools.islice(iterator, BATCH)):
            if dated is None:  # the columns holding dates, found once: only those are converted
                dated = sorted({i for row in batch for i, v in enumerate(row) if isinstance(v, date)})
            if dated:
                batch = [_convert(row, dated) for row in batch]
            cursor.executemany(sql, batch)
            # Commit each batch: in one transaction SQLite's write-ahead log grew to the whole data set (2 GB at
            # 1M listings), and every page read walks its index from the newest frames back, so each batch was
            # slower than the last (inquiry_item: 108,000 rows/s at 100k listings, 36,000 at 1M). Committed,
            # the log is checkpointed and restarts, and the load stays linear. A failed load leaves a partial
            # database; seed scale wants an empty one of its own anyway.
            self.raw.commit()
            count += len(batch)
        cursor.close()
        return count

    def fix_sequences(self, tables: Iterable[str]) -> None:
        if self.dialect != "postgresql":
            return
        for table in tables:
            self.connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce((SELECT max(id) FROM {table}), 1))"
            ))


def declared_rows(entity: fields.Entity, model, rows: Iterable[dict]) -> tuple[str, tuple[str, ...], Iterator[tuple]]:
    """(table, columns, rows as tuples) for `BulkWriter.write`: the columns are the entity's declared and system
    columns (marketplace/listings/fields.py); a column a row leaves out gets the model's default (or NULL), so a
    newly declared column with a default needs no change here, and one without a default fails at the first row."""
    columns = entity.table_columns
    table = model.__table__
    defaults = {}
    for name in columns:
        column = table.columns[name]
        if column.default is not None and column.default.is_scalar:
            defaults[name] = column.default.arg
        elif column.nullable:
            defaults[name] = None
    known = set(columns)

    def tuples() -> Iterator[tuple]:
        for index, values in enumerate(rows):
            if index == 0:
                if unknown := set(values) - known:
                    raise ValueError(f"{entity.table}: not a declared or system column: {sorted(unknown)}")
                if missing := known - set(values) - set(defaults):
                    raise ValueError(f"{entity.table}: no value and no default for {sorted(missing)}")
            yield tuple(values[c] if c in values else defaults[c] for c in columns)

    return entity.table, columns, tuples()


def part_columns(part: fields.Part) -> tuple[str, ...]:
    """A part's columns in the order the seeder writes its tuples: id, the owner, then the declared fields."""
    return (*fields.SYSTEM_COLUMNS[part.table], *(f.name for f in part.fields))


def zipf_counts(total: int, bins: int, rng: random.Random, exponent: float = 0.6) -> list[int]:
    """`total` items over `bins` owners, every owner at least one, the rest Zipf-like (a long tail)."""
    if bins <= 0:
        return []
    base = min(total, bins)
    counts = [1] * base + [0] * (bins - base)
    rest = total - base
    if rest > 0:
        weights = list(itertools.accumulate(1.0 / (rank + 1) ** exponent for rank in range(bins)))
        order = list(range(bins))
        rng.shuffle(order)  # the big producers are anywhere in the id range
        top = weights[-1]
        for _ in range(rest):
            counts[order[bisect_left(weights, rng.random() * top)]] += 1
    return counts


def _weighted(pairs, rng: random.Random, k: int) -> list:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=k)


class DatabaseNotEmpty(RuntimeError):
    """The database already holds producers, listings or inquiries, and adding to them was not asked for."""


def _specs_for(slug: str, pid: int) -> dict:
    sets = SCALE_SPECS.get(slug)
    if not sets or pid % 10 >= 7:
        return NO_SPECS
    text_, columns = sets[pid % len(sets)]
    return {"specs": text_, **columns}


def seed_scale(producers: int, products: int, inquiries: int, seed: int = 2026,
               log: Callable[[str], None] = print, append: bool = False) -> dict[str, int]:
    """Bulk-load the data set into the current database; returns rows written per table.

    Refuses a database that already holds data (the demo database, a second run) unless `append`:
    3 million synthetic rows belong in a database of their own.
    """
    sizes = Sizes(producers, products, inquiries)
    if products and not producers:
        raise ValueError("products need producers")
    if not append:
        held = {name: db.session.scalar(select(func.count()).select_from(model))
                for name, model in (("producers", Producer), ("products", Product), ("inquiries", Inquiry))}
        if any(held.values()):
            raise DatabaseNotEmpty(
                "this database already holds " + ", ".join(f"{n:,} {name}" for name, n in held.items() if n)
                + ". Point DATABASE_URL at an empty database of its own (then `flask --app wsgi db upgrade`), "
                "or pass --append to add to what is there.")
    rng = random.Random(seed)
    categories = {c.slug: c.id for c in db.session.scalars(select(Category))}
    if not categories:
        raise RuntimeError("no categories: run `flask --app wsgi db upgrade` first")
    db.session.commit()
    connection = db.session.connection()
    writer = BulkWriter(connection)
    if writer.dialect == "sqlite":
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
        connection.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MB while loading
    timer = Timer(log)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()

    ids = {t: writer.next_id(t) for t in ("producer", "certificate", "product", "price_tier", "photo",
                                          "user_account", "inquiry", "inquiry_item", "inquiry_event",
                                          "allocation", "contract", "contract_line", "contract_month",
                                          "buyer_company")}

    # ---- producers and their certificates
    slugs = list(categories)
    shares = [VOCAB[s]["share"] for s in slugs]
    kecamatan = list(KECAMATAN)
    producer_rows, cert_rows = [], []
    producer_main: list[str] = []
    producer_certs: list[list[tuple[int, str]]] = []
    producer_published: list[bool] = []
    cert_id = ids["certificate"]
    first_producer = ids["producer"]
    nib_base = 9_100_000_000_000 + first_producer
    for n in range(sizes.producers):
        pid = first_producer + n
        main = rng.choices(slugs, weights=shares)[0]
        kec = kecamatan[n % len(kecamatan)] if rng.random() < 0.6 else rng.choice(kecamatan)
        kel = rng.choice(KELURAHAN[kec])
        name = f"{rng.choice(PRODUCER_KINDS)} {rng.choice(PRODUCER_WORDS)} {rng.choice(PRODUCER_WORDS)} {pid}"
        owner = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        published = rng.random() < 0.96
        created = now - timedelta(days=rng.randint(30, 1500))
        producer_rows.append(dict(
            id=pid, slug=f"skala-{pid}", name=name, owner_name=owner, nib=str(nib_base + n), kecamatan=kec,
            kelurahan=kel, address=f"Jl. {rng.choice(PRODUCER_WORDS)} No. {rng.randint(1, 200)}",
            description=f"{name} adalah pelaku UMKM di Kelurahan {kel}, Kota Metro, dipimpin oleh {owner}.",
            founded_year=rng.randint(1995, 2023), workforce=rng.randint(2, 80), phone=f"+62812{pid % 100_000_000:08d}",
            curated=rng.random() < 0.08, status="published" if published else rng.choice(["pending", "draft"]),
            published_at=created if published else None, submitted_at=created, created_at=created, updated_at=created,
        ))
        producer_main.append(main)
        producer_published.append(published)
        certs = []
        for kind in rng.sample(CERT_KINDS[main], k=rng.randint(0, len(CERT_KINDS[main]))):
            expired = rng.random() < 0.1
            valid = today + timedelta(days=rng.randint(-400, -1) if expired else rng.randint(30, 1200))
            # (id, producer, verification status, verified at, by; kind, number, issuer, valid until, document,
            # public): as part_columns(fields.CERTIFICATE) orders them; as stated, no document
            cert_rows.append((cert_id, pid, "stated", None, None, kind, f"{kind.upper()}-{cert_id:08d}", "", valid,
                              None, False))
            certs.append((cert_id, kind))
            cert_id += 1
        producer_certs.append(certs)
    t = time.perf_counter()
    timer.done("producer", writer.write(*declared_rows(fields.PRODUCER, Producer, producer_rows)), t)
    t = time.perf_counter()
    timer.done("certificate", writer.write("certificate", part_columns(fields.CERTIFICATE), cert_rows), t)
    del producer_rows, cert_rows

    # ---- products, tiers, photos, certificate links
    per_producer = zipf_counts(sizes.products, sizes.producers, rng)
    product_ids: list[int] = []
    product_owner: list[int] = []
    product_category: list[int] = []
    product_unit: list[str] = []
    public_products: list[int] = []
    counters = {"tier": ids["price_tier"], "photo": ids["photo"]}
    tiers, photos, links = [], [], []

    def product_rows() -> Iterator[tuple]:
        pid = ids["product"]
        for index, count in enumerate(per_producer):
            producer_id = first_producer + index
            main = producer_main[index]
            for _ in range(count):
                slug = main if rng.random() < 0.8 else rng.choices(slugs, weights=shares)[0]
                vocab = VOCAB[slug]
                title = rng.choice(vocab["items"])
                modifier = rng.choice(MODIFIERS)
                if rng.random() < 0.0008:
                    modifier = f"{modifier} {rng.choice(RARE_WORDS).replace('-', ' ')}".strip()
                name = f"{title} {modifier}".strip()
                low, high = vocab["price"]
                on_request = rng.random() < 0.08
                price = None if on_request else int(rng.randint(low, high) // 100 * 100)
                moq = float(rng.choice([1, 5, 10, 25, 50, 100]))
                capacity = float(rng.randint(*vocab["capacity"]))
                roll = rng.random()
                status = ("published" if roll < 0.9 else "pending" if roll < 0.95 else "draft" if roll < 0.98
                          else "archived")
                created = now - timedelta(days=rng.randint(1, 1400), seconds=rng.randint(0, 86_400))
                published_at = created if status == "published" else None
                lowest = price
                if not on_request:
                    for step, factor in ((1, 1.0), (5, 0.96), (20, 0.92))[:rng.randint(1, 3)]:
                        if step > 1 and moq * step > capacity:  # no deeper tier than a month's capacity
                            break
                        tiers.append((counters["tier"], pid, moq * step, int(price * factor)))
                        lowest = int(price * factor)
                        counters["tier"] += 1
                kg_per_unit = vocab.get("kg_per_unit")
                if rng.random() < 0.7:
                    photos.append((counters["photo"], f"skala{counters['photo']:09d}", producer_id, pid, 0,
                                   800, 600, name, True))
                    counters["photo"] += 1
                for cid, kind in producer_certs[index]:
                    if kind in CERT_KINDS[slug] and rng.random() < 0.8:
                        links.append((pid, cid))
                product_ids.append(pid)
                product_owner.append(producer_id)
                product_category.append(categories[slug])
                product_unit.append(vocab["unit"])
                if status == "published" and producer_published[index]:
                    public_products.append(pid)
                values = dict(
                    id=pid, producer_id=producer_id, category_id=categories[slug], name=name, slug=f"{slug}-{pid}",
                    description=f"{name} dari Kota Metro, Lampung. Dipanen dan dikemas oleh "
                    f"{rng.choice(PRODUCER_KINDS)} setempat; cocok untuk hotel, restoran, katering dan distributor "
                    f"di Jakarta.",
                    unit=vocab["unit"], kg_per_unit=kg_per_unit, price_on_request=on_request, price_min=lowest,
                    # The first tier starts at the MOQ: its price is the MOQ's (pricing.stored_prices).
                    price_moq=price, price_per_kg=pricing.per_kg(price, vocab["unit"], kg_per_unit),
                    price_basis=PRICE_BASES[pid % len(PRICE_BASES)], min_order_qty=moq,
                    monthly_capacity=capacity, lead_time_days=rng.randint(1, 21),
                    grade=rng.choice(["", "A", "B", "Super"]), shelf_life_days=rng.choice([None, 7, 30, 180, 365]),
                    packaging="Karung / dus sesuai permintaan", storage="ambient", available_months=MONTHS_ALL_YEAR,
                    delivery_terms="Dikirim ke Jakarta dengan ekspedisi darat", featured=rng.random() < 0.01,
                    status=status, published_at=published_at, submitted_at=created, created_at=created,
                    updated_at=created,
                )
                values.update(_specs_for(slug, pid))
                yield values
                pid += 1

    t = time.perf_counter()
    timer.done("product", writer.write(*declared_rows(fields.PRODUCT, Product, product_rows())), t)
    t = time.perf_counter()
    timer.done("price_tier", writer.write("price_tier", part_columns(fields.PRICE_TIER), tiers), t)
    t = time.perf_counter()
    timer.done("photo", writer.write("photo", (
        "id", "key", "producer_id", "product_id", "position", "width", "height", "alt", "live"), photos), t)
    t = time.perf_counter()
    timer.done("product_certificate", writer.write("product_certificate", ("product_id", "certificate_id"), links), t)
    del tiers, photos, links

    # ---- accounts: a few facilitators who own the open inquiries...
    password_hash = generate_password_hash(FACILITATOR_PASSWORD, method="scrypt")
    facilitators = []
    account_rows = []
    existing = set(connection.execute(text("SELECT email FROM user_account")).scalars())
    uid = ids["user_account"]
    for n in range(5):
        email = FACILITATOR_EMAIL if n == 0 else f"fasilitator{n + 1}@{SCALE_DOMAIN}"
        if email in existing:
            facilitators.append(connection.execute(
                text("SELECT id FROM user_account WHERE email = :e"), {"e": email}).scalar())
            continue
        account_rows.append((uid, email, f"Fasilitator Skala {n + 1}", password_hash, str(Role.FACILITATOR), None,
                             True, 1, None, now, "id", now, now))
        facilitators.append(uid)
        uid += 1
    # ...a moderator of every category, and the account of the published producer with the most listings
    published_counts = [(count, index) for index, count in enumerate(per_producer) if producer_published[index]]
    largest = first_producer + max(published_counts)[1] if published_counts else None
    for email, name, role, producer_id in ((MODERATOR_EMAIL, "Moderator Skala", Role.MODERATOR, None),
                                           (PRODUCER_EMAIL, "Produsen Skala", Role.PRODUCER, largest)):
        if email in existing or (role == Role.PRODUCER and producer_id is None):
            continue
        account_rows.append((uid, email, name, password_hash, str(role), producer_id, True, 1, None, now, "id",
                             now, now))
        uid += 1
    t = time.perf_counter()
    timer.done("user_account", writer.write("user_account", (
        "id", "email", "name", "password_hash", "role", "producer_id", "active", "session_version",
        "last_login_at", "email_confirmed_at", "locale", "created_at", "updated_at"), account_rows), t)

    # ---- buyer companies
    company_count = max(1, sizes.inquiries // 200) if sizes.inquiries else 0
    companies = []
    first_company = ids["buyer_company"]
    for n in range(company_count):
        name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_NAMES)} {first_company + n}"
        companies.append((first_company + n, f"name:{name.lower()}", name, "",
                          now if rng.random() < 0.3 else None, None, now, now))
    t = time.perf_counter()
    timer.done("buyer_company", writer.write("buyer_company", (
        "id", "key", "name", "id_number", "verified_at", "verified_by_id", "created_at", "updated_at"), companies), t)

    # ---- inquiries, items, events, allocations, contracts (a line each, six months)
    statuses = _weighted(INQUIRY_STATUSES, rng, sizes.inquiries) if sizes.inquiries else []
    buyer_types = list(BUYER_TYPES)
    cities = list(DELIVERY_CITIES)
    items, events, allocations, contracts, contract_lines, contract_months = [], [], [], [], [], []
    counters.update(item=ids["inquiry_item"], event=ids["inquiry_event"], allocation=ids["allocation"],
                    contract=ids["contract"], contract_line=ids["contract_line"], contract_month=ids["contract_month"])
    span = timedelta(days=3 * 365).total_seconds()
    popular = public_products or product_ids
    # Buyers ask about popular listings more often: a Zipf pick over the public listings.
    popular_weights = list(itertools.accumulate(1.0 / (r + 1) ** 0.8 for r in range(len(popular)))) if popular else []
    owner_of = dict(zip(product_ids, product_owner, strict=True))
    category_of = dict(zip(product_ids, product_category, strict=True))
    unit_of = dict(zip(product_ids, product_unit, strict=True))

    count = len(statuses)
    picks = rng.choices(popular, cum_weights=popular_weights, k=count) if popular else [None] * count
    company_picks = rng.choices(companies, k=count) if companies else [None] * count
    contacts = [f"{a} {b}" for a, b in zip(rng.choices(FIRST_NAMES, k=count), rng.choices(LAST_NAMES, k=count),
                                           strict=True)]
    buyer_picks = rng.choices(buyer_types, k=count)
    city_picks = rng.choices(cities, k=count)
    frequency_picks = rng.choices(["once", "weekly", "monthly"], k=count)
    quantity_picks = rng.choices([50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0], k=count)

    def inquiry_rows() -> Iterator[tuple]:
        first = ids["inquiry"]
        for n, status in enumerate(statuses):
            iid = first + n
            # Ids grow with time, as they do in production: the newest inquiries are the highest ids.
            created = now - timedelta(seconds=span * (1 - (n + 1) / (count + 1)))
            product_id = picks[n]
            producer_id = owner_of.get(product_id)
            company = company_picks[n]
            open_ = status in ("new", "in_review", "forwarded", "responded", "negotiating")
            assigned = None if status == "new" else facilitators[iid % len(facilitators)]
            qty = quantity_picks[n]
            items.append((counters["item"], iid, product_id, producer_id))
            counters["item"] += 1
            if open_ or status == "agreed":
                events.append((counters["event"], iid, created, "status", "buyer", None, "new", "", None, True))
                counters["event"] += 1
            if status in ("forwarded", "responded", "negotiating", "agreed") and producer_id:
                allocations.append((counters["allocation"], iid, producer_id, qty, status != "forwarded",
                                    "accepted" if status != "forwarded" else "forwarded", qty, None, None, "",
                                    None, created, created))
                counters["allocation"] += 1
            if status == "agreed" and producer_id:
                price = rng.randint(10, 200) * 1000
                cid, lid = counters["contract"], counters["contract_line"]
                start = (created + timedelta(days=14)).date().replace(day=1)
                contracts.append((cid, f"KTR-{created.year}-{cid:06d}", iid, None, "active", None, False, "monthly",
                                  CONTRACT_MONTHS, start, schedule.ends_on("monthly", CONTRACT_MONTHS, start), "",
                                  assigned, created, created))
                contract_lines.append((lid, cid, producer_id, product_id, qty, "kg", price, None, "loco"))
                for k in range(CONTRACT_MONTHS):
                    contract_months.append((counters["contract_month"], cid, lid, product_id,
                                            schedule.add_months(start, k), qty, "kg",
                                            qty if unit_of.get(product_id) == "kg" else None, int(qty * price)))
                    counters["contract_month"] += 1
                counters["contract"] += 1
                counters["contract_line"] += 1
            yield (
                iid, f"INQ-{created.year}-{iid:06d}", f"s{iid:x}{rng.getrandbits(96):024x}",
                f"f{iid:x}{rng.getrandbits(96):024x}", status, assigned,
                company[2] if company else "Pembeli", buyer_picks[n], contacts[n],
                f"pembeli{iid}@contoh.id", None, "", qty, "kg", frequency_picks[n],
                None, city_picks[n], None, "Mohon penawaran harga dan jadwal pengiriman.",
                category_of.get(product_id), "id", None if status == "new" else created + timedelta(hours=rng.randint(1, 30)),
                company[0] if company else None, None, created, created,
            )

    t = time.perf_counter()
    timer.done("inquiry", writer.write("inquiry", (
        "id", "reference", "tracking_token", "form_token", "status", "assigned_to_id", "company", "buyer_type",
        "contact_name", "email", "phone", "company_id_number", "quantity", "unit", "frequency", "target_price",
        "delivery_city", "needed_by", "message", "category_id", "locale", "first_response_at", "buyer_company_id",
        "agreement_id", "created_at", "updated_at"), inquiry_rows()), t)
    t = time.perf_counter()
    timer.done("inquiry_item", writer.write("inquiry_item", ("id", "inquiry_id", "product_id", "producer_id"), items), t)
    t = time.perf_counter()
    timer.done("inquiry_event", writer.write("inquiry_event", (
        "id", "inquiry_id", "created_at", "kind", "visibility", "from_status", "to_status", "body", "author_id",
        "by_buyer"), events), t)
    t = time.perf_counter()
    timer.done("allocation", writer.write("allocation", (
        "id", "inquiry_id", "producer_id", "requested_qty", "contact_released", "status", "offered_qty",
        "offered_price", "lead_time_days", "note", "responded_at", "created_at", "updated_at"), allocations), t)
    t = time.perf_counter()
    timer.done("contract", writer.write("contract", (
        "id", "reference", "inquiry_id", "quotation_id", "status", "agreement_id", "agreement_chosen", "frequency",
        "periods", "starts_on", "ends_on", "note", "created_by_id", "created_at", "updated_at"), contracts), t)
    t = time.perf_counter()
    timer.done("contract_line", writer.write("contract_line", (
        "id", "contract_id", "producer_id", "product_id", "quantity", "unit", "price", "lead_time_days", "terms"),
        contract_lines), t)
    t = time.perf_counter()
    timer.done("contract_month", writer.write("contract_month", (
        "id", "contract_id", "line_id", "product_id", "month", "quantity", "unit", "listing_quantity", "value"),
        contract_months), t)
    del items, events, allocations, contracts, contract_lines, contract_months

    writer.fix_sequences(ids)
    t = time.perf_counter()
    search.reindex()
    timer.done("search index", len(public_products), t)
    db.session.commit()
    t = time.perf_counter()
    if writer.dialect == "postgresql":
        # VACUUM (outside a transaction) also sets the visibility map, so index-only scans stay index-only.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
            autocommit.exec_driver_sql("VACUUM ANALYZE")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    log(f"  analyze {time.perf_counter() - t:.1f} s")
    return timer.rows


_ceiling: list | None = None


def ceiling_products(count: int = 24) -> list:
    """Product cards built once in memory (transient model objects, never in a session): the benchmark's
    ceiling renders these with the catalog's own card macro, so it differs from the catalog only by the database."""
    global _ceiling
    if _ceiling is None:
        from marketplace.models import Certificate, Photo, PriceTier, Producer, Product

        rng = random.Random(24)
        today = datetime.now(UTC).date()
        cards = []
        for n in range(count):
            slug = list(VOCAB)[n % len(VOCAB)]
            vocab = VOCAB[slug]
            producer = Producer(id=n + 1, slug=f"skala-{n + 1}", name=f"KWT Sumber Rejeki {n + 1}",
                                kecamatan=list(KECAMATAN)[n % 5], curated=n % 4 == 0)
            price = rng.randint(*vocab["price"]) // 100 * 100
            product = Product(
                id=n + 1, slug=f"{slug}-{n + 1}", name=f"{rng.choice(vocab['items'])} {rng.choice(MODIFIERS)}".strip(),
                unit=vocab["unit"], price_on_request=False, price_min=int(price * 0.96), price_moq=price,
                price_per_kg=pricing.per_kg(price, vocab["unit"], vocab.get("kg_per_unit")), price_basis="loco",
                min_order_qty=10.0,
                monthly_capacity=float(rng.randint(*vocab["capacity"])), producer=producer,
                price_tiers=[PriceTier(min_qty=10.0, price=price), PriceTier(min_qty=50.0, price=int(price * 0.96))],
                certificates=[Certificate(kind=kind, valid_until=today + timedelta(days=365))
                              for kind in CERT_KINDS[slug][: n % 3]],
                photos=[Photo(key=f"{n:032x}", position=0, width=800, height=600, alt="", live=True)] if n % 3 else [],
            )
            cards.append(product)
        _ceiling = cards
    return _ceiling
