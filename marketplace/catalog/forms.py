"""The public lists' query strings, read through GET forms (ARCHITECTURE: query strings through GET forms).

The filter fields are generated, once at import, from the filters declared in marketplace/listings/fields.py
(`Filter`, `filters_for`), the same declarations the OpenAPI document lists (catalog/api/schemas.py) and the
queries apply (catalog/queries.py): a new filterable field is declared there, not here. The parameters that narrow
on no field — the search words, the page, the order, "as typed" — are declared fields of the bases below.

A value a form cannot take is left out (the list shows what it would show without it) or, for the page, clamped:
never an error. The fields have empty labels: the templates write their own, and a default label would be
translated for every field on every request of the busiest page.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping

from marketplace.catalog import queries, search
from marketplace.core.forms import (MAX_NUMBER, Choice, Flag, IdList, NumberText, PlainNumber, QueryForm, SearchText,
                                    WholeNumber)
from marketplace.core.vocab import UNITS
from marketplace.listings import fields


class PageArgs(QueryForm):
    """?page=: 1 unless said, clamped to 1 … MAX_PAGE."""

    page = WholeNumber("", minimum=1, maximum=queries.MAX_PAGE, clamp=True, default=1)

    def page_number(self) -> int:
        return self.value("page") or 1


class ListArgs(PageArgs):
    """A public list's query string: the search words, the page, and (in the subclasses `list_form` makes) one field
    per declared filter. `choices` gives the values of the filters only the database knows (the category slugs)."""

    q = SearchText("", default="")
    declared: tuple[fields.Filter, ...] = ()
    filters_class: type[queries.ListQuery] = queries.ListBase
    filters_base: type[queries.ListQuery] = queries.ListBase

    def __init__(self, formdata=None, *, choices: Mapping[str, Collection[str]] | None = None, **kwargs):
        self._choices = choices or {}
        super().__init__(formdata, **kwargs)

    def validate(self, extra_validators=None):
        for name, values in self._choices.items():
            if name in self:  # a list without that filter has no field for it
                self[name].choices = values
        return super().validate(extra_validators)

    def _filter_value(self, name: str):
        field = self[name]
        if field.errors:
            return field.default
        return field.number if isinstance(field, NumberText) else field.data

    def _values(self) -> dict:
        return {"q": self.value("q") or "", "page": self.page_number()}

    def filters(self) -> queries.ListQuery:
        """The values read, as the list's queries take them (queries.CatalogFilters, queries.ProducerFilters)."""
        return self.filters_class(**self._values(), **{f.param: self._filter_value(f.param) for f in self.declared})


class CatalogArgs(ListArgs):
    """The catalog's own parameters: the order (a search is ordered by relevance unless told) and "as typed"."""

    sort = Choice("", choices=queries.SORTS)
    exact = Flag("")
    filters_base = queries.CatalogBase

    def _values(self) -> dict:
        values = super()._values()
        q = values["q"]
        sort = "capacity" if self.sort.errors else self.sort.data or ("relevance" if q else "capacity")
        if sort == "relevance" and not search.tokens(q):
            sort = "capacity"
        return {**values, "sort": sort, "exact": bool(q) and self.exact.data}


def filter_field(f: fields.Filter):
    """The form field of a declared filter, by its schema: a switch, a bounded number, or one of some values."""
    schema, kind = f.schema, f.schema["type"]
    if kind == "boolean":
        return Flag("", default=False)
    if kind == "number":
        return PlainNumber("", minimum=schema.get("minimum", -MAX_NUMBER),
                           maximum=min(schema.get("maximum", MAX_NUMBER), MAX_NUMBER))
    if kind == "integer":
        return WholeNumber("", minimum=schema.get("minimum", 0), maximum=schema.get("maximum"))
    if kind == "string":
        return Choice("", choices=schema.get("enum"))
    raise TypeError(f"{f.param}: no query field for a {kind!r} filter")


def list_form(name: str, base: type[ListArgs], declared: list[fields.Filter], filters_class=None,
              module: str = __name__) -> type[ListArgs]:
    """`base` with one field per declared filter; made once, at import (a form is then built per request)."""
    declared = tuple(declared)
    filters_class = filters_class or queries.with_filters(f"{name}Filters", base.filters_base, list(declared), module)
    attributes = {f.param: filter_field(f) for f in declared}
    return type(name, (base,), {**attributes, "declared": declared, "filters_class": filters_class,
                                "__module__": module, "__doc__": base.__doc__})


ProductListArgs = list_form("ProductListArgs", CatalogArgs, queries.CatalogFilters.declared, queries.CatalogFilters)
ProducerListArgs = list_form("ProducerListArgs", ListArgs, queries.ProducerFilters.declared, queries.ProducerFilters)


class CompareArgs(QueryForm):
    """The compare view's query string: the listings (`?id=3&id=7`, in the order ticked) and the quantity the buyer
    typed with its unit. A quantity is typed, so it reads the Indonesian way ('1.500' is fifteen hundred)."""

    id = IdList("")
    qty = NumberText("", allow_zero=False)
    unit = Choice("", choices=tuple(UNITS))

    def asked(self):
        from marketplace.catalog.compare import Asked

        quantity = None if self.qty.errors else self.qty.number
        unit = self.value("unit")
        return Asked(quantity, unit) if quantity is not None and unit else Asked()


# What each public list's page depends on in its query string, as its form reads it (values it cannot take left
# out, defaults dropped): the page cache's key (catalog/page_cache.py), and the query the page is rendered from.

def catalog_query() -> dict:
    filters = ProductListArgs(choices={"category": queries.category_slugs()}).filters()
    query = filters.to_args()
    if query["sort"] == ("relevance" if search.tokens(filters.q) else "capacity"):  # the order it takes unasked
        del query["sort"]
    return query


def directory_query() -> dict:
    return ProducerListArgs(choices={"category": queries.category_slugs()}).filters().to_args()


def page_query() -> dict:
    page = PageArgs().page_number()
    return {"page": page} if page > 1 else {}
