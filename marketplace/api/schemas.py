"""JSON shapes of the open-data API and its OpenAPI description (one place for both)."""
from __future__ import annotations

from flask import url_for

from marketplace import clock

from marketplace.models import Product
from marketplace.services.catalog import SORTS, ProducerCard
from marketplace.vocab import CERTIFICATES, KECAMATAN


def product(p: Product) -> dict:
    today = clock.today()
    return {
        "id": p.id,
        "name": p.name,
        "url": url_for("catalog.product", product_id=p.id, slug=p.slug or None, _external=True),
        "category_id": p.category_id,
        "producer": {"slug": p.producer.slug, "name": p.producer.name, "kecamatan": p.producer.kecamatan,
                     "curated": p.producer.curated},
        "unit": p.unit,
        "price_on_request": p.price_on_request or p.price_min is None,
        "price_from_idr": None if p.price_on_request else p.price_min,
        "min_order_qty": p.min_order_qty,
        "monthly_capacity": p.monthly_capacity,
        "lead_time_days": p.lead_time_days,
        "grade": p.grade or None,
        "certificates": sorted({c.kind for c in p.certificates if c.is_valid_on(today)}),
    }


def producer(card: ProducerCard) -> dict:
    p = card.producer
    return {
        "slug": p.slug,
        "name": p.name,
        "url": url_for("catalog.producer", slug=p.slug, _external=True),
        "kecamatan": p.kecamatan,
        "kelurahan": p.kelurahan,
        "curated": p.curated,
        "founded_year": p.founded_year,
        "product_count": card.product_count,
        "category_ids": card.category_ids,
    }


def _page_params() -> list[dict]:
    return [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
    ]


def _list_of(ref: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "total", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    }


def openapi_document(base_path: str) -> dict:
    kecamatan = {"name": "kecamatan", "in": "query", "schema": {"type": "string", "enum": list(KECAMATAN)}}
    category = {"name": "category", "in": "query", "description": "category slug", "schema": {"type": "string"}}
    nullable_int = {"type": ["integer", "null"]}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Etalase Metro open data",
            "version": "1.0.0",
            "description": "Published products and producers of Kota Metro (Lampung). Read-only; only "
                           "records approved by the curators appear.",
        },
        "servers": [{"url": base_path}],
        "paths": {
            "/products": {"get": {
                "summary": "Published products",
                "parameters": [
                    {"name": "q", "in": "query", "description": "full-text search", "schema": {"type": "string"}},
                    category, kecamatan,
                    {"name": "cert", "in": "query", "schema": {"type": "string", "enum": list(CERTIFICATES)}},
                    {"name": "min_capacity", "in": "query", "schema": {"type": "number", "minimum": 0}},
                    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(SORTS)}},
                    *_page_params(),
                ],
                "responses": {"200": {"description": "A page of products",
                                      "content": {"application/json": {"schema": _list_of("Product")}}}},
            }},
            "/producers": {"get": {
                "summary": "Published producers",
                "parameters": [
                    {"name": "q", "in": "query", "description": "business name contains", "schema": {"type": "string"}},
                    kecamatan, category, *_page_params(),
                ],
                "responses": {"200": {"description": "A page of producers",
                                      "content": {"application/json": {"schema": _list_of("Producer")}}}},
            }},
        },
        "components": {"schemas": {
            "Product": {"type": "object", "required": ["id", "name", "unit", "producer"], "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "url": {"type": "string", "format": "uri"},
                "category_id": {"type": "integer"},
                "producer": {"type": "object", "properties": {
                    "slug": {"type": "string"}, "name": {"type": "string"},
                    "kecamatan": {"type": "string"}, "curated": {"type": "boolean"}}},
                "unit": {"type": "string"},
                "price_on_request": {"type": "boolean"},
                "price_from_idr": nullable_int,
                "min_order_qty": {"type": "number"},
                "monthly_capacity": {"type": "number"},
                "lead_time_days": nullable_int,
                "grade": {"type": ["string", "null"]},
                "certificates": {"type": "array", "items": {"type": "string"}},
            }},
            "Producer": {"type": "object", "required": ["slug", "name", "kecamatan"], "properties": {
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "url": {"type": "string", "format": "uri"},
                "kecamatan": {"type": "string"},
                "kelurahan": {"type": "string"},
                "curated": {"type": "boolean"},
                "founded_year": nullable_int,
                "product_count": {"type": "integer"},
                "category_ids": {"type": "array", "items": {"type": "integer"}},
            }},
        }},
    }
