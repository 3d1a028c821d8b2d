"""JSON shapes of the open-data API and its OpenAPI description, both derived from the one declaration of the
listing's and storefront's fields (marketplace/listings/fields.py); the document is built by apispec."""
from __future__ import annotations

from apispec import APISpec
from flask import current_app

from marketplace.listings import fields
from marketplace.models import Product
from marketplace.catalog.queries import SORTS, ProducerCard

DESCRIPTION = ("Published products and producers of Kota Metro (Lampung). Read-only; only records approved by the "
               "curators appear.")

# The query parameters that narrow on no field: the search words, the order, the paging.
SEARCH = {
    "products": {"name": "q", "in": "query", "description": "full-text search", "schema": {"type": "string"}},
    "producers": {"name": "q", "in": "query", "description": "business name contains", "schema": {"type": "string"}},
}


def product(p: Product) -> dict:
    return fields.to_json(fields.PRODUCT, p)


def producer(card: ProducerCard) -> dict:
    return fields.to_json(fields.PRODUCER, card.producer, card)


def _page_params() -> list[dict]:
    return [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                       "maximum": current_app.config["API_MAX_PER_PAGE"],
                                                       "default": 20}},
    ]


def filter_params(list_name: str) -> list[dict]:
    """The list's filters, as OpenAPI query parameters, from the declared filterable fields."""
    params = []
    for f in fields.filters_for(list_name):
        param = {"name": f.param, "in": "query", "schema": f.schema}
        if f.description:
            param["description"] = f.description
        params.append(param)
    return params


def _list_of(component: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "total", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{component}"}},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
        "additionalProperties": False,
    }


def _list_path(spec: APISpec, list_name: str, component: str, summary: str, extra: list[dict]) -> None:
    spec.path(path=f"/{list_name}", operations={"get": {
        "summary": summary,
        "parameters": [SEARCH[list_name], *filter_params(list_name), *extra, *_page_params()],
        "responses": {"200": {"description": f"A page of {list_name}",
                              "content": {"application/json": {"schema": _list_of(component)}}}},
    }})


def openapi_document(base_path: str) -> dict:
    spec = APISpec(title="Etalase Metro open data", version="1.0.0", openapi_version="3.1.0",
                   info={"description": DESCRIPTION}, servers=[{"url": base_path}])
    spec.components.schema("Product", fields.json_schema(fields.PRODUCT))
    spec.components.schema("Producer", fields.json_schema(fields.PRODUCER))
    sort = {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(SORTS)}}
    exact = {"name": "exact", "in": "query", "schema": {"type": "boolean"},
             "description": "with q: search the words as typed, without typo correction (1 or true)"}
    _list_path(spec, "products", "Product", "Published products", [sort, exact])
    _list_path(spec, "producers", "Producer", "Published producers", [])
    return spec.to_dict()
