"""Read-only open data: published products and producers, as JSON."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for

from marketplace.api import schemas
from marketplace.services import catalog

bp = Blueprint("api", __name__)


def _per_page() -> int:
    try:
        value = int(request.args.get("per_page", 20))
    except ValueError:
        value = 20
    return min(max(value, 1), current_app.config["API_MAX_PER_PAGE"])


@bp.after_request
def _cors_and_cache(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


@bp.get("/products")
def products():
    slugs = {c.slug for c in catalog.categories()}
    filters = catalog.CatalogFilters.from_args(request.args, slugs)
    per_page = _per_page()
    result = catalog.search_products(filters, per_page=per_page, with_facets=False)
    return jsonify(
        items=[schemas.product(p) for p in result.items],
        total=result.total,
        page=result.page,
        per_page=per_page,
    )


@bp.get("/producers")
def producers():
    slugs = {c.slug for c in catalog.categories()}
    filters = catalog.ProducerFilters.from_args(request.args, slugs)
    per_page = _per_page()
    cards, total, page = catalog.list_producers(filters, per_page=per_page)
    return jsonify(
        items=[schemas.producer(card) for card in cards],
        total=total,
        page=page,
        per_page=per_page,
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(schemas.openapi_document(url_for("api.products", _external=False).rsplit("/", 1)[0]))
