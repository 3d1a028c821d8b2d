"""Specifications per commodity: what a rice, meat, egg … buyer compares, declared once for every listing of that
commodity (a commodity is a top-level category's slug).

A listing keeps its specifications in one JSON column (`product.specs`), keyed by the names below; a name is valid
only for the listing's own commodity (`check_commodity`), and every name is unique across commodities, so a stored
key says which specification it is without the category. The listing's declaration (marketplace/listings/fields.py)
holds them as its `specs` field: the revision payload, the moderation diff (`show`), the API's JSON and schema
(`json_schema`) and the catalog's filters derive from there; the producer's form builds one sub-form per commodity
from `COMMODITIES` (listings/producer/forms.py), the product page and the compare table read `spec_rows`.

A specification a buyer filters on is copied into a plain, indexed column of its own (`Spec.column`), kept in step
by `columns_for`, so a catalog filter never reads JSON across 100,000 listings.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from marketplace.core.formatting import months_label, number


class SpecError(ValueError):
    """Specifications that do not fit the declaration (an unknown name, a wrong type, out of bounds)."""


@dataclass(frozen=True)
class Spec:
    name: str  # the key in product.specs, unique across commodities
    label: Any
    type: type  # str, float, int, or list (month numbers 1–12)
    unit: str = ""  # written after a number: "%", "kg", "g", "hari"
    minimum: float | None = None
    maximum: float | None = None
    above_zero: bool = False  # the minimum itself is not allowed (a pack of 0 kg)
    max_length: int | None = None
    choices: Mapping[str, Any] | None = None
    pattern: str | None = None  # a text must match it whole (a registration number's shape)
    pattern_message: Any = _l("Gunakan huruf, angka, spasi, titik, garis miring atau tanda hubung.")
    help: Any = None  # the hint under the form field
    column: str | None = None  # copied into this plain, indexed product column (a catalog filter reads it)

    def json_type(self) -> dict:
        if self.type is list:
            return {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 12}}
        schema: dict = {"type": {str: "string", float: "number", int: "integer"}[self.type]}
        if self.choices is not None:
            schema["enum"] = list(self.choices)
        if self.minimum is not None:
            schema["exclusiveMinimum" if self.above_zero else "minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.unit:
            schema["description"] = f"in {self.unit}" if self.unit != "%" else "percent"
        return schema

    def clean(self, value: Any) -> Any:
        """The value as stored (JSON types), or SpecError."""
        if self.type is str and isinstance(value, str):
            if self.max_length is not None and len(value) > self.max_length:
                raise SpecError(f"{self.name}: longer than {self.max_length}")
            if self.choices is not None and value not in self.choices:
                raise SpecError(f"{self.name}: {value!r} is not one of the choices")
            if self.pattern is not None and not re.fullmatch(self.pattern, value):
                raise SpecError(f"{self.name}: {value!r} does not have the expected form")
            return value
        if self.type in (float, int) and isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.type is int and value != int(value):
                raise SpecError(f"{self.name}: {value!r} is not a whole number")
            value = self.type(value)
            if value != value or value in (float("inf"), float("-inf")):
                raise SpecError(f"{self.name}: not a finite number")
            if self.minimum is not None and (value < self.minimum or (self.above_zero and value == self.minimum)):
                raise SpecError(f"{self.name}: below {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                raise SpecError(f"{self.name}: above {self.maximum}")
            return value
        if self.type is list and isinstance(value, (list, tuple)):
            if not all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in value):
                raise SpecError(f"{self.name}: months are 1 to 12")
            return sorted(set(value))
        raise SpecError(f"{self.name}: {value!r} is not a {self.type.__name__}")

    def format(self, value: Any) -> str:
        """The value in words, as the product page, the moderation diff and the compare table show it."""
        if self.choices is not None:
            return str(self.choices.get(value, value))
        if self.type is list:
            return months_label(sum(1 << (m - 1) for m in value))
        if self.type in (float, int):
            return f"{number(value)} {self.unit}".strip()
        return str(value)


RICE_CLASSES = {"premium": _l("Premium"), "medium": _l("Medium")}
# SNI 6128:2020: the most broken grains and moisture a class allows (the producer's claim is checked against it).
RICE_CLASS_LIMITS = {"premium": {"broken_pct": 14.5, "moisture_pct": 14.0},
                     "medium": {"broken_pct": 25.0, "moisture_pct": 14.0}}
MEAT_STATES = {"fresh": _l("Segar (dingin)"), "frozen": _l("Beku")}
EGG_CLASSES = {"small": _l("Kecil"), "medium": _l("Sedang"), "large": _l("Besar"), "jumbo": _l("Jumbo")}
PRODUCE_GRADES = {"A": _l("Grade A"), "B": _l("Grade B"), "C": _l("Grade C")}
FERTILISER_FORMS = {"granule": _l("Granul"), "powder": _l("Serbuk"), "liquid": _l("Cair")}
CRAFT_TECHNIQUES = {
    "batik_tulis": _l("Batik tulis"), "batik_cap": _l("Batik cap"), "batik_kombinasi": _l("Batik kombinasi"),
    "sulam": _l("Sulam (tapis)"), "tenun": _l("Tenun"), "anyam": _l("Anyaman"), "ukir": _l("Ukir"),
    "lainnya": _l("Lainnya"),
}

COMMODITIES: dict[str, tuple[Spec, ...]] = {
    "beras-serealia": (
        Spec("variety", _l("Varietas"), str, max_length=60, help=_l("Misalnya IR64, Ciherang, Mentik Wangi.")),
        Spec("rice_class", _l("Kelas mutu (SNI 6128:2020)"), str, choices=RICE_CLASSES, column="rice_class",
             help=_l("Premium: butir patah paling banyak 14,5 %; medium: paling banyak 25 %.")),
        Spec("broken_pct", _l("Butir patah"), float, unit="%", minimum=0, maximum=100),
        Spec("moisture_pct", _l("Kadar air"), float, unit="%", minimum=0, maximum=100,
             help=_l("SNI: paling tinggi 14 %.")),
        Spec("pack_kg", _l("Ukuran kemasan"), float, unit="kg", minimum=0, above_zero=True, maximum=1000,
             help=_l("Berat satu kemasan, misalnya 5, 25 atau 50 kg.")),
    ),
    "daging-unggas": (
        Spec("cut", _l("Potongan"), str, max_length=80, help=_l("Misalnya karkas utuh, paha, has dalam.")),
        Spec("meat_state", _l("Segar atau beku"), str, choices=MEAT_STATES, column="meat_state"),
        Spec("slaughterhouse", _l("Rumah potong (RPH) halal"), str, max_length=120),
        Spec("nkv_number", _l("Nomor NKV"), str, max_length=40, pattern=r"[A-Za-z0-9][A-Za-z0-9 .\-/]*",
             help=_l("Nomor Kontrol Veteriner unit usaha, misalnya RPH-1872-001.")),
    ),
    "telur": (
        Spec("egg_class", _l("Kelas berat"), str, choices=EGG_CLASSES),
        Spec("egg_grams", _l("Berat per butir"), float, unit="g", minimum=20, maximum=100,
             help=_l("Rata-rata, dalam gram.")),
    ),
    "sayur-buah": (
        Spec("produce_grade", _l("Grade"), str, choices=PRODUCE_GRADES),
        Spec("harvest_months", _l("Bulan panen"), list),
    ),
    "pupuk-sarana-tani": (
        Spec("fertiliser_form", _l("Bentuk"), str, choices=FERTILISER_FORMS),
        Spec("npk", _l("Kandungan N-P-K"), str, max_length=20,
             pattern=r"\d{1,2}(,\d{1,2})?-\d{1,2}(,\d{1,2})?-\d{1,2}(,\d{1,2})?",
             pattern_message=_l("Tulis tiga angka persen dengan tanda hubung, misalnya 15-15-15."),
             help=_l("Persen N, P₂O₅ dan K₂O, misalnya 15-15-15.")),
        Spec("c_organic_pct", _l("C-organik"), float, unit="%", minimum=0, maximum=100),
        Spec("registration_number", _l("Nomor pendaftaran pupuk"), str, max_length=60,
             pattern=r"[A-Za-z0-9][A-Za-z0-9 .\-/]*", help=_l("Nomor pendaftaran Kementerian Pertanian.")),
    ),
    "olahan-pangan": (
        Spec("net_weight_g", _l("Berat bersih"), float, unit="g", minimum=0, above_zero=True, maximum=100_000),
        Spec("food_permit", _l("Nomor PIRT / BPOM"), str, max_length=40, pattern=r"[A-Za-z0-9][A-Za-z0-9 .\-/]*",
             help=_l("Misalnya P-IRT 2061872010123-29 atau BPOM RI MD 123456789012.")),
    ),
    "kerajinan-wastra": (
        Spec("motif", _l("Motif"), str, max_length=80),
        Spec("size", _l("Ukuran"), str, max_length=60, help=_l("Misalnya 200 × 110 cm.")),
        Spec("material", _l("Bahan"), str, max_length=80),
        Spec("technique", _l("Teknik"), str, choices=CRAFT_TECHNIQUES),
    ),
}
# Shelf life is the listing's own field (every commodity has it): processed food shows it there.

BY_NAME: dict[str, Spec] = {s.name: s for specs in COMMODITIES.values() for s in specs}
COMMODITY_OF: dict[str, str] = {s.name: slug for slug, specs in COMMODITIES.items() for s in specs}
COLUMNS: dict[str, Spec] = {s.column: s for s in BY_NAME.values() if s.column}
assert len(BY_NAME) == sum(len(s) for s in COMMODITIES.values()), "a specification's name is used twice"


def clean(values: Any) -> dict:
    """Specifications as stored: known names only, each value checked; an empty value (None, '', []) is left out.
    Ordered as declared."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise SpecError(f"specs: {values!r} is not an object")
    unknown = set(values) - set(BY_NAME)
    if unknown:
        raise SpecError(f"specs: unknown {sorted(unknown)}")
    cleaned = {}
    for name, spec in BY_NAME.items():
        value = values.get(name)
        if value is None or value == "" or value == []:
            continue
        cleaned[name] = spec.clean(value)
    for problem in rice_class_problems(cleaned):
        raise SpecError(f"specs: {problem[0]} above what {cleaned['rice_class']} rice allows")
    return cleaned


def rice_class_problems(values: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(specification, limit) for each figure above what the claimed SNI class allows."""
    limits = RICE_CLASS_LIMITS.get(values.get("rice_class") or "", {})
    return [(name, limit) for name, limit in limits.items()
            if isinstance(values.get(name), (int, float)) and values[name] > limit]


def check_commodity(values: Mapping[str, Any], commodity: str | None) -> None:
    """SpecError when a specification is not one of the commodity's (a rice spec on an egg listing)."""
    wrong = sorted(name for name in values or {} if COMMODITY_OF.get(name) != commodity)
    if wrong:
        raise SpecError(f"specs: {wrong} not specifications of {commodity or 'this category'}")


def commodity_map(categories) -> dict[int, str]:
    """Category id → its commodity: its own slug, or for a sub-category its parent's (categories without one left
    out)."""
    by_id = {c.id: c for c in categories}
    found = {}
    for category in by_id.values():
        seen, node = set(), category
        while node is not None and node.slug not in COMMODITIES and node.id not in seen:
            seen.add(node.id)
            node = by_id.get(node.parent_id)
        if node is not None and node.slug in COMMODITIES:
            found[category.id] = node.slug
    return found


def commodity_of_category(category_id: int | None) -> str | None:
    from sqlalchemy import select

    from marketplace.extensions import db
    from marketplace.models import Category

    return commodity_map(db.session.scalars(select(Category))).get(category_id)


def columns_for(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """The plain columns kept in step with the specifications (None where the listing has none)."""
    values = values or {}
    return {column: values.get(spec.name) for column, spec in COLUMNS.items()}


def rows(values: Mapping[str, Any] | None) -> list[tuple[Any, str]]:
    """(label, value in words) for each specification given, in declaration order."""
    values = values or {}
    return [(spec.label, spec.format(values[name])) for name, spec in BY_NAME.items() if name in values]


def spec_rows(product) -> list[tuple[str, str]]:
    """The listing's specifications as (label, formatted value) rows: numbers the current language's way with their
    units, choices by their labels, months by name. For the product page and the compare table."""
    return [(str(label), text) for label, text in rows(getattr(product, "specs", None))]


def show(values: dict, ctx=None) -> str:
    """The moderation diff's cell: one line per specification."""
    return "\n".join(f"{label}: {text}" for label, text in rows(values.get("specs")))


def json_schema() -> dict:
    """The API's `specs` object: every declared specification, by name, with its commodity."""
    properties = {}
    for name, spec in BY_NAME.items():
        schema = spec.json_type()
        schema["description"] = f"{COMMODITY_OF[name]}" + (f"; {schema['description']}" if "description" in schema else "")
        properties[name] = schema
    return {"type": "object", "properties": properties, "additionalProperties": False,
            "description": "the listing's specifications, by name; only those of its category's commodity"}
