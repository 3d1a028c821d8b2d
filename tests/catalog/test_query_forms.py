"""The public lists' query strings are read by GET forms generated from the one declaration of the filters
(marketplace/listings/fields.py: `Filter`, `filters_for`): every declared filter is a field of its list's form and a
parameter of the OpenAPI document, and nothing in catalog/ reads request arguments by hand."""
from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from marketplace.catalog import forms, queries
from marketplace.listings import fields

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "marketplace" / "catalog"
# The parameters of a list that narrow on no field (declared once on the form's base) and the API's page size.
UNDECLARED = {"products": {"q", "sort", "page", "exact"}, "producers": {"q", "page"}}
FORMS = {"products": forms.ProductListArgs, "producers": forms.ProducerListArgs}
API_PATHS = {"products": "/products", "producers": "/producers"}


def _field_names(form_class) -> set[str]:
    return {name for name in dir(form_class) if hasattr(getattr(form_class, name, None), "field_class")}


@pytest.mark.parametrize("list_name", ["products", "producers"])
def test_every_declared_filter_is_a_field_of_its_lists_form(list_name):
    declared = {f.param for f in fields.filters_for(list_name)}
    assert declared, "the lists have declared filters"
    assert _field_names(FORMS[list_name]) == declared | UNDECLARED[list_name]


@pytest.mark.parametrize("list_name", ["products", "producers"])
def test_every_field_of_a_lists_form_is_a_parameter_of_the_openapi_document(app, list_name):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    parameters = {p["name"] for p in document["paths"][API_PATHS[list_name]]["get"]["parameters"]}
    assert parameters - {"per_page"} == _field_names(FORMS[list_name])


@pytest.mark.parametrize("list_name", ["products", "producers"])
def test_the_filters_object_holds_every_declared_filter(list_name):
    filters = FORMS[list_name].filters_class()
    for f in fields.filters_for(list_name):
        assert getattr(filters, f.param) in (None, False)


def _read(form_class, args: dict, slugs=("telur", "beras-serealia")):
    return form_class(MultiDict(args), choices={"category": set(slugs)}).filters()


def test_a_filter_declared_in_a_test_becomes_a_field_of_a_generated_form(ctx):
    """What adding a filterable field amounts to: its declaration, and the form reads it."""
    organic = fields.Filter("organic", {"type": "boolean"})
    grade = fields.Filter("grade", {"type": "string", "enum": ["A", "B"]})
    stock = fields.Filter("min_stock", {"type": "number", "minimum": 0})
    form_class = forms.list_form("Trial", forms.ListArgs, [organic, grade, stock], module=__name__)
    assert {"organic", "grade", "min_stock"} <= _field_names(form_class)
    filters = _read(form_class, {"organic": "1", "grade": "A", "min_stock": "2,5"})
    assert (filters.organic, filters.grade, filters.min_stock) == (True, "A", 2.5)
    filters = _read(form_class, {"organic": "yes", "grade": "Z", "min_stock": "nan"})
    assert (filters.organic, filters.grade, filters.min_stock) == (False, None, None)
    assert filters.to_args() == {}
    assert _read(form_class, {"organic": "on", "page": "3"}).to_args() == {"organic": "1", "page": 3}


def test_the_form_classes_are_built_once_not_per_request(ctx):
    assert forms.ProductListArgs is forms.ProductListArgs  # module attributes, built at import
    first, second = (forms.ProductListArgs(MultiDict(), choices={"category": {"telur"}}) for _ in range(2))
    assert type(first) is type(second) is forms.ProductListArgs


def test_a_filter_whose_values_only_the_database_knows_must_be_given_them(ctx):
    with pytest.raises(TypeError, match="category"):
        forms.ProductListArgs(MultiDict())


# ---------------------------------------------------------------- the values read, as the hand parser read them

@pytest.mark.parametrize(("args", "expected"), [
    ({}, {"q": "", "sort": "capacity", "page": 1, "exact": False}),
    ({"q": "  beras \x00 organik  ", "exact": "1"}, {"q": "beras organik", "sort": "relevance", "exact": True}),
    ({"exact": "1"}, {"exact": False}),  # nothing typed: nothing to search as typed
    ({"q": "beras", "sort": "moq"}, {"sort": "moq"}),
    ({"sort": "relevance"}, {"sort": "capacity"}),  # no words, no relevance
    ({"q": "%", "sort": "relevance"}, {"sort": "capacity"}),
    ({"sort": "drop table"}, {"sort": "capacity"}),
    ({"sort": ""}, {"sort": "capacity"}),
    ({"page": "abc"}, {"page": 1}), ({"page": "-3"}, {"page": 1}), ({"page": "0"}, {"page": 1}),
    ({"page": ""}, {"page": 1}), ({"page": "1e9"}, {"page": 1}), ({"page": "7"}, {"page": 7}),
    ({"page": "9" * 30}, {"page": queries.MAX_PAGE}),
    ({"category": "telur"}, {"category": "telur"}), ({"category": "<script>"}, {"category": None}),
    ({"kecamatan": "metro-timur"}, {"kecamatan": "metro-timur"}), ({"kecamatan": "'"}, {"kecamatan": None}),
    ({"cert": "halal"}, {"cert": "halal"}), ({"cert": "halal\x00"}, {"cert": None}), ({"cert": "iso"}, {"cert": None}),
    ({"curated": "1"}, {"curated": True}), ({"curated": "true"}, {"curated": True}), ({"curated": "on"}, {"curated": True}),
    ({"curated": "True"}, {"curated": False}), ({"curated": "<b>"}, {"curated": False}), ({"curated": ""}, {"curated": False}),
    ({"min_capacity": "1000"}, {"min_capacity": 1000.0}), ({"min_capacity": "2,5"}, {"min_capacity": 2.5}),
    ({"min_capacity": "12.5"}, {"min_capacity": 12.5}), ({"min_capacity": "1e3"}, {"min_capacity": 1000.0}),
    ({"min_capacity": "x"}, {"min_capacity": None}), ({"min_capacity": "1e400"}, {"min_capacity": None}),
    ({"min_capacity": "-1"}, {"min_capacity": None}), ({"min_capacity": "nan"}, {"min_capacity": None}),
    ({"min_capacity": "Infinity"}, {"min_capacity": None}), ({"min_capacity": "1.000.000"}, {"min_capacity": None}),
])
def test_the_catalog_query_string_is_read_as_before(ctx, args, expected):
    filters = _read(forms.ProductListArgs, args)
    assert {name: getattr(filters, name) for name in expected} == expected


def test_the_first_of_repeated_values_counts(ctx):
    assert _read(forms.ProductListArgs, MultiDict([("page", "2"), ("page", "5")])).page == 2


def test_the_links_carry_the_filters_without_defaults(ctx):
    filters = _read(forms.ProductListArgs, {"q": "telur", "category": "telur", "min_capacity": "100", "curated": "on",
                                           "sort": "moq", "page": "3"})
    assert filters.to_args() == {"q": "telur", "category": "telur", "min_capacity": 100, "curated": "1",
                                 "sort": "moq", "page": 3}
    assert filters.to_args(page=1, category=None) == {"q": "telur", "min_capacity": 100, "curated": "1", "sort": "moq"}
    assert filters.narrowing() == {"category": "telur", "min_capacity": 100.0, "curated": True}
    assert filters.active() and not _read(forms.ProductListArgs, {"sort": "moq"}).active()


def test_the_producer_directory_query_string_is_read_as_before(ctx):
    filters = _read(forms.ProducerListArgs, {"q": " Gapoktan\x07 ", "kecamatan": "metro-utara", "category": "x",
                                            "curated": "true", "page": "-4", "sort": "moq", "cert": "halal"})
    assert (filters.q, filters.kecamatan, filters.category, filters.curated, filters.page) == (
        "Gapoktan", "metro-utara", None, True, 1)
    assert filters.to_args() == {"q": "Gapoktan", "kecamatan": "metro-utara", "curated": "1"}


def test_a_number_filter_is_always_finite(ctx):
    for text in ("inf", "-inf", "nan", "1e999", "9" * 400):
        value = _read(forms.ProductListArgs, {"min_capacity": text}).min_capacity
        assert value is None or math.isfinite(value)


# ---------------------------------------------------------------- one place: no hand parsing left in catalog/

def _hand_reads(source: str) -> list[tuple[int, str]]:
    """`<x>.args.get(…)`, `<x>.args[…]`, `args.get(…)` and `request.values` / `request.args` read anywhere."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("args", "values", "form") \
                and isinstance(node.value, ast.Name) and node.value.id == "request":
            found.append((node.lineno, f"request.{node.attr}"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "getlist"):
            owner = node.func.value
            if (isinstance(owner, ast.Name) and owner.id == "args") or \
                    (isinstance(owner, ast.Attribute) and owner.attr == "args"):
                found.append((node.lineno, "args.get(…)"))
    return found


def test_the_scan_finds_a_hand_parser():
    assert _hand_reads("page = request.args.get('page')")
    assert _hand_reads("def f(args):\n    return args.get('q')")
    assert _hand_reads("page = request.args['page']")
    assert _hand_reads("curated = self.args.getlist('curated')")
    assert not _hand_reads("form = ProductListArgs()\nvalue = form.value('page')")


def test_nothing_in_catalog_reads_the_query_string_by_hand():
    found = []
    for path in sorted(CATALOG.rglob("*.py")):
        found += [f"{path.relative_to(ROOT)}:{line}: {why}" for line, why in _hand_reads(path.read_text())]
    assert found == []


def test_the_hand_parsers_are_gone():
    for name in ("_to_float", "_to_page", "page_arg", "_query_text"):
        assert not hasattr(queries, name), name
    assert not hasattr(queries.CatalogFilters, "from_args") and not hasattr(queries.ProducerFilters, "from_args")
