"""Public pages: home, catalog, product, producer directory and storefront."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user

from marketplace.core import policies
from marketplace.catalog import forms, page_cache, queries as catalog
from marketplace.core.vocab import CERTIFICATES, KECAMATAN
from marketplace.listings import specs

bp = Blueprint("catalog", __name__)

SORT_LABELS_ORDER = ("relevance", "capacity", "newest", "price_asc", "price_desc", "price_per_kg", "moq")


def _category_context():
    """All categories, their slugs, and their names in the current language by slug."""
    categories = catalog.categories()
    locale = str(get_locale())
    return categories, {c.slug for c in categories}, {c.slug: c.name(locale) for c in categories}


@bp.get("/")
@page_cache.cacheable()
def home():
    categories, _, _ = _category_context()
    figures = catalog.home_figures()
    return render_template(
        "catalog/home.html",
        categories=categories,
        category_counts=figures.category_counts,
        capacities=figures.capacities(categories),
        producers=figures.producers,
        products=figures.products(),
    )


@bp.get("/products")
@page_cache.cacheable(forms.catalog_query)
def products():
    categories, slugs, names = _category_context()
    filters = forms.ProductListArgs(choices={"category": slugs}).filters()
    result = catalog.search_products(filters, per_page=current_app.config["CATALOG_PER_PAGE"], cards=True)
    return render_template(
        "catalog/products.html",
        result=result,
        filters=filters,
        categories=categories,
        category_names=names,
        kecamatan=KECAMATAN,
        certificates=CERTIFICATES,
        rice_classes=specs.RICE_CLASSES,
        meat_states=specs.MEAT_STATES,
        sorts=SORT_LABELS_ORDER,
    )


@bp.get("/products/compare")
def compare():
    """Up to four listings side by side (catalog/compare.py), from the ticks of the catalog's cards."""
    from marketplace.catalog import compare as comparing
    from marketplace.core import clock
    from marketplace.core.vocab import UNITS

    args = forms.CompareArgs()
    comparison = comparing.compare(args.id.data or [], args.asked(), clock.today(), dropped=args.id.dropped)
    return render_template("catalog/compare.html", comparison=comparison, args=args, units=UNITS,
                           max_compared=comparing.MAX_COMPARED)


@bp.get("/products/<int:product_id>")
@bp.get("/products/<int:product_id>-<slug>")
@page_cache.cacheable()
def product(product_id: int, slug: str | None = None):
    item = catalog.get_product(product_id)
    if item is None or not policies.can_view_product(current_user, item):
        abort(404)
    return render_template(
        "catalog/product.html",
        product=item,
        more=catalog.more_from_producer(item),
        canonical=url_for("catalog.product", product_id=item.id, slug=item.slug or None, _external=True),
    )


@bp.get("/producers")
@page_cache.cacheable(forms.directory_query)
def producers():
    categories, slugs, names = _category_context()
    filters = forms.ProducerListArgs(choices={"category": slugs}).filters()
    per_page = current_app.config["CATALOG_PER_PAGE"]
    cards, total, page = catalog.list_producers(filters, per_page=per_page)
    return render_template(
        "catalog/producers.html",
        cards=cards,
        total=total,
        page=page,
        pages=max(1, -(-total // per_page)),
        filters=filters,
        categories=categories,
        category_names_by_id={c.id: names[c.slug] for c in categories},
        kecamatan=KECAMATAN,
    )


@bp.get("/producers/<slug>")
@page_cache.cacheable(forms.page_query)
def producer(slug: str):
    item = catalog.get_producer(slug)
    if item is None or not policies.can_view_producer(current_user, item):
        abort(404)
    per_page = current_app.config["CATALOG_PER_PAGE"]
    products, total, page = catalog.producer_products(item, forms.PageArgs().page_number(), per_page)
    return render_template("catalog/producer.html", producer=item, products=products, total=total, page=page,
                           pages=max(1, -(-total // per_page)))
