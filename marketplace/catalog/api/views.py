"""Read-only open data: published products and producers, as JSON."""
from __future__ import annotations

from flask import Blueprint, current_app, url_for
from jinja2.utils import htmlsafe_json_dumps

from marketplace.catalog.api import schemas
from marketplace.core.forms import QueryForm, WholeNumber
from marketplace.catalog import forms, page_cache, queries as catalog

bp = Blueprint("api", __name__)


class PageSizeArgs(QueryForm):
    """?per_page=: 20 unless said, never below 1 nor above API_MAX_PER_PAGE."""

    per_page = WholeNumber(minimum=1, maximum=lambda: current_app.config["API_MAX_PER_PAGE"], clamp=True, default=20)


def _per_page() -> int:
    return PageSizeArgs().value("per_page") or 20


def _with_page_size(query: dict) -> dict:
    per_page = _per_page()
    return {**query, "per_page": per_page} if per_page != 20 else query


def _json(payload: dict):
    """JSON whose text holds no '<', '>', '&' or "'" (written as \\u003c …): producers' text stays inert data even
    where the response is taken for HTML. It decodes to exactly the same values."""
    body = htmlsafe_json_dumps(payload, dumps=current_app.json.dumps)
    return current_app.response_class(f"{body}\n", mimetype="application/json")


@bp.after_request
def _cors_and_cache(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


@bp.get("/products")
@page_cache.cacheable(lambda: _with_page_size(forms.catalog_query()))
def products():
    slugs = {c.slug for c in catalog.categories()}
    filters = forms.ProductListArgs(choices={"category": slugs}).filters()
    per_page = _per_page()
    result = catalog.search_products(filters, per_page=per_page, with_facets=False)
    return _json({
        "items": [schemas.product(p) for p in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": per_page,
    })


@bp.get("/producers")
@page_cache.cacheable(lambda: _with_page_size(forms.directory_query()))
def producers():
    slugs = {c.slug for c in catalog.categories()}
    filters = forms.ProducerListArgs(choices={"category": slugs}).filters()
    per_page = _per_page()
    cards, total, page = catalog.list_producers(filters, per_page=per_page)
    return _json({
        "items": [schemas.producer(card) for card in cards],
        "total": total,
        "page": page,
        "per_page": per_page,
    })


@bp.get("/openapi.json")
def openapi():
    return _json(schemas.openapi_document(url_for("api.products", _external=False).rsplit("/", 1)[0]))
