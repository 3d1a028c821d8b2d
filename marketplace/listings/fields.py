"""The one declaration of what a storefront (Producer) and a listing (Product) are made of.

Each field is declared once: its name, label, type and bounds, and where it goes — into a revision (what a
producer may change and a moderator approves), into the moderation diff, onto public pages, into the open-data
API, and into the list filters. The rest is derived from here:

- `clean(entity, values)` — the revision payload: a dict checked and coerced against the declaration
  (listings/editing.py writes and applies only cleaned payloads);
- `Entity.revisioned` / `diff_rows` — the moderator's side-by-side comparison (listings/review.py);
- `to_json` / `json_schema` / `filters_for` — the API's JSON and its OpenAPI document (api/schemas.py);
- `Entity.columns` — the seeders' column lists (seed/scale.py).
- the listing's `specs` field — its specifications per commodity, declared in listings/specs.py (`spec_rows`).

Columns that are not declared here are named in `SYSTEM_COLUMNS` with the reason; a test fails for a column that
is in neither, so a new column cannot skip the moderator or the API by being forgotten.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from marketplace.core.formatting import (delivery_terms, long_date, months_label, number, quantity, rupiah,
                                         storage_label, unit_label)
from marketplace.core.vocab import CERTIFICATES, KECAMATAN, MONTHS_ALL_YEAR, PRICE_BASIS, STORAGE, UNITS
from marketplace.listings import specs
from marketplace.listings.specs import spec_rows  # noqa: F401  (the product page's and compare table's rows)


class PayloadError(ValueError):
    """A revision payload that does not fit the declaration (an unknown key, a wrong type, out of bounds)."""


@dataclass(frozen=True)
class Api:
    """How a field appears in the open-data API: under `key` (default: the field's name), read by `get`
    (default: the attribute of that name), `nullable` there even when the column is not (e.g. '' → null)."""

    key: str | None = None
    get: Callable[[Any], Any] | None = None
    nullable: bool | None = None
    required: bool = False
    schema: dict | None = None  # only when the JSON type is not the field's own


@dataclass(frozen=True)
class Filter:
    """A query parameter of the public lists that narrows on this field. The lists' GET forms (catalog/forms.py),
    their filter values and conditions (catalog/queries.py) and the OpenAPI parameters (catalog/api/schemas.py) are
    derived from it: by `schema` a boolean is a switch (the field is true), a number a lower bound (the field is at
    least it), a string with an `enum` one of those values (the field equals it); a string without one takes the
    values the form is given when it is built (the category slugs)."""

    param: str
    schema: dict
    lists: tuple[str, ...] = ("products",)
    description: str = ""
    # What is compared: the column the filter is declared on, or "spare": the listing's spare capacity this month
    # (its monthly capacity minus what active contracts commit in this calendar month, in its own unit).
    measure: str = "column"
    # Where it is declared, as `filters_for` returns it: the table ("product", "producer", "certificate") and field.
    table: str = ""
    field_name: str = ""
    # The plain column compared when it is not the field's own: a specification copied into an indexed column.
    column: str = ""


@dataclass(frozen=True)
class DiffContext:
    """What the moderation diff needs to turn stored ids into words."""

    categories: Mapping[int, Any] = field(default_factory=dict)
    certificates: Mapping[int, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Field:
    name: str
    label: Any
    type: type  # str, int, float, bool, date, list, or dict (the specifications: listings/specs.py)
    nullable: bool = False
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: Mapping[str, Any] | None = None
    item: Part | type | None = None  # for a list: the part each entry is, or the type of each entry
    revisioned: bool = True  # a producer edits it; a change to a live record waits for review
    diff: bool | str = True  # its own row in the moderation diff; a field name: shown within that row;
    # False: not in the table (say why at the declaration)
    show: Callable[[dict, DiffContext], str] | None = None  # the diff cell, from the whole payload
    public: bool = True  # shown on the public pages
    api: Api | None = None  # in the open-data API
    filter: Filter | tuple[Filter, ...] | None = None  # one, or several narrowing on the field in different ways
    english: str | None = None  # the field that holds this text in English (listing_text shows it on English pages)

    @property
    def missing(self) -> Any:
        """What an entry of a part that leaves this field out holds (a payload written before the field existed)."""
        if self.nullable:
            return None
        return {str: "", bool: False}.get(self.type)

    @property
    def filters(self) -> tuple[Filter, ...]:
        if self.filter is None:
            return ()
        return self.filter if isinstance(self.filter, tuple) else (self.filter,)

    def json_type(self) -> dict:
        if self.type is list:
            if isinstance(self.item, Part):
                return {"type": "array", "items": self.item.json_item()}
            return {"type": "array", "items": Field("item", "", self.item).json_type()}
        if self.type is dict:
            return specs.json_schema()
        kind = {str: "string", int: "integer", float: "number", bool: "boolean", date: "string"}[self.type]
        schema: dict = {"type": kind}
        if self.type is date:
            schema["format"] = "date"
        if self.choices is not None:
            schema["enum"] = list(self.choices)
        return schema

    def clean(self, value: Any) -> Any:
        """The value as a revision stores it (JSON types), or PayloadError."""
        if value is None:
            if self.nullable:
                return None
            raise PayloadError(f"{self.name}: a value is required")
        if self.type is bool:
            if isinstance(value, bool) or value in (0, 1):
                return bool(value)
        elif self.type is int:
            if isinstance(value, (float, Decimal)) and value == int(value):
                value = int(value)
            if isinstance(value, int) and not isinstance(value, bool):
                return self._bounded(value)
        elif self.type is float:
            if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                return self._bounded(float(value))
        elif self.type is str:
            if isinstance(value, str):
                if self.max_length is not None and len(value) > self.max_length:
                    raise PayloadError(f"{self.name}: longer than {self.max_length}")
                if self.choices is not None and value not in self.choices:
                    raise PayloadError(f"{self.name}: {value!r} is not one of the choices")
                return value
        elif self.type is date:
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, str):
                try:
                    return date.fromisoformat(value).isoformat()
                except ValueError:
                    pass
        elif self.type is list:
            if isinstance(value, (list, tuple)):
                part = self.item if isinstance(self.item, Part) else Field(self.name, self.label, self.item)
                return [part.clean(entry) for entry in value]
        elif self.type is dict:
            try:
                return specs.clean(value)
            except specs.SpecError as error:
                raise PayloadError(str(error)) from None
        raise PayloadError(f"{self.name}: {value!r} is not a {self.type.__name__}")

    def _bounded(self, value):
        if self.minimum is not None and value < self.minimum:
            raise PayloadError(f"{self.name}: below {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise PayloadError(f"{self.name}: above {self.maximum}")
        return value


@dataclass(frozen=True)
class Part:
    """A repeated part of an entity (price tiers, certificates). `as_pair` parts are stored as [a, b] lists
    in a revision (the tiers' shape since the first revisions), the others as dicts; `key` is the id that ties
    an entry to its row (it may be missing for a new one)."""

    table: str
    fields: tuple[Field, ...]
    as_pair: bool = False
    key: str | None = None

    def json_item(self) -> dict:
        if self.as_pair:
            return {"type": "array", "prefixItems": [f.json_type() for f in self.fields]}
        return {"type": "object", "properties": {f.name: f.json_type() for f in self.fields}}

    def clean(self, entry: Any) -> Any:
        if self.as_pair:
            if not isinstance(entry, (list, tuple)) or len(entry) != len(self.fields):
                raise PayloadError(f"{self.table}: {entry!r} is not a pair")
            return [f.clean(v) for f, v in zip(self.fields, entry)]
        if not isinstance(entry, Mapping):
            raise PayloadError(f"{self.table}: {entry!r} is not an object")
        known = {f.name: f for f in self.fields}
        unknown = set(entry) - set(known) - {self.key}
        if unknown:
            raise PayloadError(f"{self.table}: unknown {sorted(unknown)}")
        cleaned = {self.key: entry.get(self.key)} if self.key else {}
        if self.key and cleaned[self.key] is not None and not isinstance(cleaned[self.key], int):
            raise PayloadError(f"{self.table}: {self.key} must be an integer")
        for f in self.fields:
            cleaned[f.name] = f.clean(entry.get(f.name, f.missing))
        return cleaned


@dataclass(frozen=True)
class Computed:
    """An API key that is no column of its own (an id, a link, a figure worked out from several fields)."""

    key: str
    schema: dict
    get: Callable[..., Any]
    required: bool = False


@dataclass(frozen=True)
class Entity:
    table: str
    fields: tuple[Field, ...]
    computed: tuple[Computed, ...] = ()  # the API's keys that are no declared field, in the API's order

    def __getitem__(self, name: str) -> Field:
        return self.by_name[name]

    @property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @property
    def revisioned(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.revisioned)

    @property
    def columns(self) -> tuple[str, ...]:
        """The declared fields that are columns of the entity's own table (not its parts)."""
        return tuple(f.name for f in self.fields if f.type is not list)

    @property
    def table_columns(self) -> tuple[str, ...]:
        """Every column of the entity's table: its system columns (SYSTEM_COLUMNS), then the declared ones."""
        return (*SYSTEM_COLUMNS[self.table], *self.columns)

    @property
    def editable_columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.revisioned if f.type is not list)

    @property
    def api_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.api is not None)


# ---------------------------------------------------------------- how the diff shows a value

def _text(name: str) -> Callable[[dict, DiffContext], str]:
    return lambda values, ctx: "" if values.get(name) is None else str(values[name])


def _qty(name: str) -> Callable[[dict, DiffContext], str]:
    return lambda values, ctx: quantity(values.get(name), values.get("unit") or "")


def _price(values: dict, ctx: DiffContext) -> str:
    if values.get("price_on_request"):
        return str(_l("Harga sesuai permintaan"))
    unit = values.get("unit") or ""
    return "; ".join(f"≥ {quantity(q, unit)}: {rupiah(p)}" for q, p in values.get("tiers") or [])


def _category(values: dict, ctx: DiffContext) -> str:
    category = ctx.categories.get(values.get("category_id"))
    return category.name(str(get_locale())) if category is not None else ""


def _product_certificates(values: dict, ctx: DiffContext) -> str:
    held = [ctx.certificates[i] for i in values.get("certificate_ids") or [] if i in ctx.certificates]
    return ", ".join(f"{CERTIFICATES.get(c.kind, c.kind)} {c.number}".strip() for c in held)


def _producer_certificates(values: dict, ctx: DiffContext) -> str:
    """One line per certificate: what a moderator compares (a change to any of it takes a verification back)."""
    lines = []
    for c in values.get("certificates") or []:
        parts = [str(CERTIFICATES.get(c["kind"], c["kind"]))]
        parts.append(str(_l("No. %(number)s", number=c["number"])) if c.get("number") else str(_l("tanpa nomor")))
        if c.get("issuer"):
            parts.append(c["issuer"])
        valid = c.get("valid_until")
        parts.append(str(_l("berlaku s.d. %(date)s", date=long_date(date.fromisoformat(valid)))) if valid
                     else str(_l("tanpa tanggal berakhir")))
        if c.get("document_key"):
            parts.append(str(_l("dokumen %(key)s…", key=c["document_key"][:6])) + " · " + (
                str(_l("terbuka untuk pembeli")) if c.get("document_public") else str(_l("hanya untuk staf"))))
        else:
            parts.append(str(_l("tanpa dokumen")))
        lines.append(" · ".join(parts))
    return "\n".join(lines)


def _valid_certificate_kinds(product) -> list[str]:
    from marketplace.core import clock

    today = clock.today()
    return sorted({c.kind for c in product.certificates if c.is_valid_on(today)})


def _certificate_details(product) -> list[dict]:
    """Every certificate the listing names, with the state a buyer reads (listings/certificates.py); the document's
    address only when its producer made it public."""
    from marketplace.core import clock
    from marketplace.listings.certificates import certificate_state

    today = clock.today()
    return [{
        "kind": c.kind, "state": certificate_state(c, today), "number": c.number or None, "issuer": c.issuer or None,
        "valid_until": c.valid_until.isoformat() if c.valid_until else None,
        "document_url": _url_for("main.certificate_document", document_key=c.document_key)
        if c.document_key and c.document_public else None,
    } for c in product.certificates]


CERTIFICATE_DETAILS_SCHEMA = {"type": "array", "items": {
    "type": "object", "additionalProperties": False,
    "required": ["kind", "state", "number", "issuer", "valid_until", "document_url"],
    "properties": {
        "kind": {"type": "string", "enum": list(CERTIFICATES)},
        "state": {"type": "string", "enum": ["verified", "stated", "expired"],
                  "description": "verified: checked by a moderator and valid today; stated: valid by its date as "
                                 "the producer states it, not checked; expired: past its date"},
        "number": {"type": ["string", "null"]},
        "issuer": {"type": ["string", "null"]},
        "valid_until": {"type": ["string", "null"], "format": "date"},
        "document_url": {"type": ["string", "null"], "format": "uri",
                         "description": "the scanned document, only when the producer made it public"},
    }}}


def _url_for(endpoint: str, **values) -> str:
    from flask import url_for

    return url_for(endpoint, _external=True, **values)


# ---------------------------------------------------------------- the parts

PRICE_TIER = Part("price_tier", as_pair=True, fields=(
    Field("min_qty", _l("Mulai dari jumlah"), float, minimum=0),
    Field("price", _l("Harga per satuan (Rp)"), int, minimum=0),
))

# A certificate's verification (its `status`, with who and when) is no field here: a moderator decides it on the
# live row (listings/workflow.py `verification`), and a change to the kind, number, issuer, expiry or document
# takes it back when the change is applied (listings/editing.apply_producer_values).
CERTIFICATE = Part("certificate", key="id", fields=(
    Field("kind", _l("Jenis"), str, choices=CERTIFICATES, filter=(
        Filter("cert", {"type": "string", "enum": list(CERTIFICATES)},
               description="holds a certificate of this kind, valid today (not expired; verified or not)"),
        # Narrows `cert` (or, alone, any kind) to certificates a moderator verified: catalog/queries.py.
        Filter("cert_verified", {"type": "boolean"},
               description="only certificates verified by a moderator, valid today (1 or true); with cert: of "
                           "that kind"),
    )),
    Field("number", _l("Nomor"), str, max_length=80),
    Field("issuer", _l("Penerbit"), str, max_length=120),
    Field("valid_until", _l("Berlaku sampai"), date, nullable=True),
    # The key of the uploaded document (models.CertificateDocument), and whether buyers may open it.
    Field("document_key", _l("Dokumen"), str, nullable=True, max_length=40),
    Field("document_public", _l("Dokumen terbuka untuk pembeli"), bool),
))

# ---------------------------------------------------------------- the storefront

PRODUCER = Entity("producer", fields=(
    Field("name", _l("Nama usaha"), str, max_length=160, api=Api(required=True)),
    Field("owner_name", _l("Nama pemilik"), str, max_length=120),
    Field("description", _l("Tentang usaha"), str, max_length=5000, english="description_en"),
    Field("description_en", _l("Tentang usaha (bahasa Inggris)"), str, max_length=5000,
          api=Api(get=lambda p: p.description_en or None, nullable=True)),
    # Set at registration (or by the import) from the address; not the producer's to change alone.
    Field("kecamatan", _l("Kecamatan"), str, choices=KECAMATAN, revisioned=False, diff=False,
          api=Api(required=True, schema={"type": "string"}),
          filter=Filter("kecamatan", {"type": "string", "enum": list(KECAMATAN)}, lists=("products", "producers"))),
    Field("kelurahan", _l("Kelurahan"), str, max_length=60, api=Api()),
    Field("address", _l("Alamat"), str, max_length=300),
    Field("phone", _l("Telepon"), str, nullable=True, max_length=30, public=False),
    Field("email", _l("Email"), str, nullable=True, max_length=254, public=False),
    Field("website", _l("Situs web"), str, nullable=True, max_length=255),
    Field("founded_year", _l("Tahun berdiri"), int, nullable=True, minimum=1900,  # the form bounds it by this year
          show=lambda v, ctx: str(v.get("founded_year") or ""), api=Api()),
    Field("workforce", _l("Tenaga kerja"), int, nullable=True, minimum=0, maximum=100_000,
          show=lambda v, ctx: str(v.get("workforce") or "")),
    # Awarded by a moderator (listings/review.set_curated), never proposed by the producer.
    Field("curated", _l("Terkurasi Dekranasda"), bool, revisioned=False, diff=False, api=Api(),
          filter=Filter("curated", {"type": "boolean"}, lists=("products", "producers"),
                        description="only producers curated by Dekranasda (1 or true)")),
    Field("certificates", _l("Sertifikat"), list, item=CERTIFICATE, show=_producer_certificates),
), computed=(
    Computed("slug", {"type": "string"}, lambda card: card.producer.slug, required=True),
    Computed("url", {"type": "string", "format": "uri"},
             lambda card: _url_for("catalog.producer", slug=card.producer.slug)),
    Computed("product_count", {"type": "integer"}, lambda card: card.product_count),
    Computed("category_ids", {"type": "array", "items": {"type": "integer"}}, lambda card: card.category_ids),
))

# ---------------------------------------------------------------- the listing

PRODUCT = Entity("product", fields=(
    Field("category_id", _l("Kategori"), int, minimum=1, show=_category, api=Api(),
          filter=Filter("category", {"type": "string"}, lists=("products", "producers"),
                        description="category slug (its sub-categories included)")),
    Field("name", _l("Nama produk"), str, max_length=160, api=Api(required=True), english="name_en"),
    Field("name_en", _l("Nama produk (bahasa Inggris)"), str, max_length=160,
          api=Api(get=lambda p: p.name_en or None, nullable=True)),
    Field("description", _l("Deskripsi"), str, max_length=5000, english="description_en"),
    Field("description_en", _l("Deskripsi (bahasa Inggris)"), str, max_length=5000,
          api=Api(get=lambda p: p.description_en or None, nullable=True)),
    Field("unit", _l("Satuan"), str, choices=UNITS, show=lambda v, ctx: unit_label(v.get("unit") or ""),
          api=Api(required=True, schema={"type": "string"})),
    # What one piece of a countable unit weighs (50 kg per karung): how it converts to kg, kuintal and ton.
    Field("kg_per_unit", _l("Berat per satuan (kg)"), float, nullable=True, minimum=0, maximum=100_000,
          show=lambda v, ctx: "" if v.get("kg_per_unit") is None else quantity(v["kg_per_unit"], "kg"), api=Api()),
    # Shown in the price row: "on request" instead of the tiers.
    Field("price_on_request", _l("Harga sesuai permintaan"), bool, diff="tiers",
          api=Api(get=lambda p: p.price_on_request or p.price_min is None)),
    Field("tiers", _l("Harga"), list, item=PRICE_TIER, show=_price),
    # What the price includes: collected in Metro, or delivered to Jakarta with or without the freight.
    Field("price_basis", _l("Dasar harga"), str, choices=PRICE_BASIS,
          show=lambda v, ctx: delivery_terms(v.get("price_basis")), api=Api(required=True)),
    Field("min_order_qty", _l("Minimal pemesanan"), float, minimum=0, show=_qty("min_order_qty"), api=Api()),
    Field("monthly_capacity", _l("Kapasitas produksi per bulan"), float, minimum=0, show=_qty("monthly_capacity"),
          api=Api(), filter=(
              Filter("min_capacity", {"type": "number", "minimum": 0},
                     description="monthly capacity at least this many units"),
              Filter("min_spare", {"type": "number", "minimum": 0}, measure="spare",
                     description="spare capacity this month at least this many units: the monthly capacity minus "
                                 "what active contracts commit in this calendar month"),
          )),
    Field("lead_time_days", _l("Waktu penyiapan"), int, nullable=True, minimum=0, maximum=365,
          show=_text("lead_time_days"), api=Api()),
    Field("grade", _l("Kualitas"), str, max_length=40, api=Api(get=lambda p: p.grade or None, nullable=True)),
    Field("shelf_life_days", _l("Masa simpan"), int, nullable=True, minimum=0, maximum=3650,
          show=_text("shelf_life_days")),
    Field("packaging", _l("Kemasan"), str, max_length=200),
    Field("storage", _l("Penyimpanan dan pengiriman"), str, choices=STORAGE,
          show=lambda v, ctx: storage_label(v.get("storage") or "")),
    Field("available_months", _l("Ketersediaan"), int, minimum=1, maximum=MONTHS_ALL_YEAR,
          show=lambda v, ctx: months_label(v.get("available_months") or 0)),
    Field("delivery_terms", _l("Pengiriman ke Jakarta"), str, max_length=2000),
    Field("certificate_ids", _l("Sertifikat"), list, item=int, show=_product_certificates),
    # The order of the photos; the review page shows them as pictures beside the table, not as a row.
    Field("photo_keys", _l("Foto"), list, item=str, diff=False),
    # Specifications per commodity (listings/specs.py), only those of the listing's category; the two a buyer
    # filters on are copied into indexed columns (rice_class, meat_state) for the catalog.
    Field("specs", _l("Spesifikasi"), dict, nullable=True, show=specs.show,
          api=Api(get=lambda p: p.specs or {}, nullable=False), filter=(
              Filter("rice_class", {"type": "string", "enum": list(specs.RICE_CLASSES)}, column="rice_class",
                     description="rice of this SNI 6128:2020 quality class"),
              Filter("meat", {"type": "string", "enum": list(specs.MEAT_STATES)}, column="meat_state",
                     description="meat sold fresh (chilled) or frozen"),
          )),
), computed=(
    Computed("id", {"type": "integer"}, lambda p: p.id, required=True),
    Computed("url", {"type": "string", "format": "uri"},
             lambda p: _url_for("catalog.product", product_id=p.id, slug=p.slug or None)),
    Computed("producer", {"type": "object", "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"}, "kecamatan": {"type": "string"},
        "curated": {"type": "boolean"}}},
        lambda p: {"slug": p.producer.slug, "name": p.producer.name, "kecamatan": p.producer.kecamatan,
                   "curated": p.producer.curated}, required=True),
    Computed("price_from_idr", {"type": ["integer", "null"]}, lambda p: None if p.price_on_request else p.price_min),
    # The price at the minimum order (what a card shows), and that price per kg where the unit has a weight.
    Computed("price_at_moq_idr", {"type": ["integer", "null"]}, lambda p: p.price_moq),
    Computed("price_per_kg_idr", {"type": ["number", "null"]},
             lambda p: None if p.price_per_kg is None else round(p.price_per_kg, 2)),
    Computed("certificates", {"type": "array", "items": {"type": "string", "enum": list(CERTIFICATES)},
                              "description": "the kinds of certificate valid today (verified or not)"},
             _valid_certificate_kinds),
    Computed("certificate_details", CERTIFICATE_DETAILS_SCHEMA, _certificate_details),
))

ENTITIES = {"product": PRODUCT, "producer": PRODUCER}

# Columns that are no declared field, and why: a new column must be declared above or named here.
SYSTEM_COLUMNS: dict[str, dict[str, str]] = {
    "product": {
        "id": "key", "producer_id": "the owner, never edited", "slug": "made from the name",
        "price_min": "kept in step with the tiers", "price_moq": "kept in step with the tiers and the MOQ",
        "price_per_kg": "kept in step with the tiers, the MOQ, the unit and the weight per unit", "featured": "set by the site's editors",
        "curation_grade": "the moderator's assessment", "status": "the workflow engine's",
        "rice_class": "kept in step with the specs (the catalog's filter)",
        "meat_state": "kept in step with the specs (the catalog's filter)",
        "published_at": "workflow", "submitted_at": "workflow", "created_at": "timestamp", "updated_at": "timestamp",
    },
    "producer": {
        "id": "key", "slug": "made at registration", "nib": "the business licence number, set at registration",
        "logo_key": "the uploaded logo", "status": "the workflow engine's", "published_at": "workflow",
        "submitted_at": "workflow", "created_at": "timestamp", "updated_at": "timestamp",
    },
    "price_tier": {"id": "key", "product_id": "the owner"},
    "certificate": {"id": "key", "producer_id": "the owner",
                    "status": "the verification workflow's (listings/workflow.py), a moderator's decision",
                    "verified_at": "written with the verification", "verified_by_id": "the moderator who verified it"},
}


# ---------------------------------------------------------------- text in the page's language

@dataclass(frozen=True)
class LocalText:
    """A listing's or storefront's text as a page shows it: the text, the language it is in, and the page's
    language. `lang_attr` marks an element whose text is not in the page's language (` lang="id"`)."""

    text: str
    lang: str
    page: str

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)

    @property
    def lang_attr(self) -> Markup:
        return Markup(' lang="{}"').format(self.lang) if self.lang != self.page else Markup("")


def listing_text(record: Any, name: str, locale: str | None = None) -> LocalText:
    """The one place that decides which text a page shows (the Jinja filter `listing_text`): on an English page the
    English text the producer wrote (the field declared as the text's `english`), else the Indonesian one, which
    then says it is Indonesian."""
    page = locale or str(get_locale())
    declared = ENTITIES[record.__tablename__][name]
    if page != "id" and declared.english:
        english = (getattr(record, declared.english, None) or "").strip()
        if english:
            return LocalText(english, "en", page)
    return LocalText(getattr(record, name) or "", "id", page)


# ---------------------------------------------------------------- derived: payload, diff, JSON

def clean(entity: Entity, values: Mapping[str, Any]) -> dict:
    """The revision payload: only declared, revisioned fields, each checked and coerced; PayloadError otherwise.
    A payload may leave fields out (what it leaves out stays as it is)."""
    fields = {f.name: f for f in entity.revisioned}
    unknown = set(values) - set(fields)
    if unknown:
        raise PayloadError(f"{entity.table}: not a revisioned field: {sorted(unknown)}")
    return {name: fields[name].clean(value) for name, value in values.items()}


def form_values(entity: Entity, form, **special: Any) -> dict:
    """A form's data as the entity's payload: each revisioned field the form has, read by its declared type (text
    stripped, an empty optional text None, a number field's parsed `.number`); `special` gives the fields the form
    holds in another shape (the tiers' rows, the month checkboxes, the certificate rows)."""
    values: dict[str, Any] = {}
    for f in entity.revisioned:
        if f.name in special:
            values[f.name] = special[f.name]
            continue
        if f.name not in form:
            continue
        data = form[f.name].data
        if f.type is float:
            data = getattr(form[f.name], "number", data)
        elif f.type is str:
            data = (data or "").strip() or (None if f.nullable else "")
        elif f.type is bool:
            data = bool(data)
        elif f.type is list:
            data = list(data or [])
        values[f.name] = data
    return clean(entity, values)


def fill_form(entity: Entity, form, values: Mapping[str, Any], skip: tuple[str, ...] = ()) -> None:
    """Show stored values in a form: each revisioned field the form has and `values` holds (numbers written the
    Indonesian way); the fields in `skip` the form fills itself."""
    for f in entity.revisioned:
        if f.name in skip or f.name not in form or f.name not in values:
            continue
        value = values[f.name]
        form[f.name].data = number(value) if f.type is float and value is not None else value


def diff_rows(entity: Entity, values: Mapping[str, Any], ctx: DiffContext) -> list[tuple[Field, str]]:
    """Each row of the moderation table: (the field it is labelled by, the text shown)."""
    rows = []
    for f in entity.revisioned:
        if f.diff is True:
            rows.append((f, f.show(values, ctx) if f.show else _text(f.name)(values, ctx)))
    return rows


def to_json(entity: Entity, record: Any, context: Any = None) -> dict:
    """The API's JSON for one record: the computed keys (read from `context`, or the record) and the declared
    API fields (read from the record), in declaration order within each group, computed first for `id`."""
    source = context if context is not None else record
    out: dict[str, Any] = {}
    for c in entity.computed:
        out[c.key] = c.get(source)
    for f in entity.api_fields:
        out[f.api.key or f.name] = f.api.get(record) if f.api.get else getattr(record, f.name)
    return out


def json_schema(entity: Entity) -> dict:
    """The JSON Schema of `to_json`'s output (the OpenAPI component)."""
    properties: dict[str, dict] = {}
    required: list[str] = []
    for c in entity.computed:
        properties[c.key] = c.schema
        if c.required:
            required.append(c.key)
    for f in entity.api_fields:
        key = f.api.key or f.name
        schema = dict(f.api.schema or f.json_type())
        nullable = f.nullable if f.api.nullable is None else f.api.nullable
        if nullable:
            schema["type"] = [schema["type"], "null"]
            schema.pop("enum", None)
        properties[key] = schema
        if f.api.required:
            required.append(key)
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


def filters_for(list_name: str) -> list[Filter]:
    """The declared filters of one public list ("products" or "producers"), in declaration order."""
    found = []
    for entity in (PRODUCT, PRODUCER):
        for f in entity.fields:
            parts = [(entity.table, f)] + ([(f.item.table, p) for p in f.item.fields] if isinstance(f.item, Part) else [])
            found += [replace(declared, table=table, field_name=p.name) for table, p in parts
                      for declared in p.filters if list_name in declared.lists]
    return found
