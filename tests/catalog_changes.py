"""A small public catalog and the changes buyers must see at once (publish, approve, price change, photo approval,
suspend), made through the app's own services: shared by the page cache's tests in one process and across servers.
Each change returns (the page that shows it, a text it now holds — None when the listing is gone)."""
from __future__ import annotations

from types import SimpleNamespace

from marketplace.catalog import cache as catalog_cache
from marketplace.extensions import db
from marketplace.listings import editing as listings, review as moderation
from marketplace.models import PublicationStatus, Revision
from tests.factories import PhotoFactory, ProductFactory, category

PAGES = {
    "home": "/",
    "catalog": "/products",
    "search and filter": "/products?q=beras&category=beras-serealia",
    "catalog page 2": "/products?page=2",
    "product": "/products/{product}",
    "storefront": "/producers/{producer}",
    "directory": "/producers",
    "api products": "/api/v1/products?per_page=50",
    "api producers": "/api/v1/producers",
}


def build_shop(accounts) -> SimpleNamespace:
    """Thirty listings of producer A (beras), one of them with a photo; what the tests change is `shop.product`."""
    for n in range(30):
        ProductFactory(producer=accounts.producer_a_store, name=f"Beras Merah {n}", monthly_capacity=1000 + n,
                       category=category("beras-serealia"))
    product = ProductFactory(producer=accounts.producer_a_store, name="Beras Pandan Wangi", monthly_capacity=90_000,
                             category=category("beras-serealia"), price=[(100, 12_000)])
    PhotoFactory(product=product)
    db.session.commit()
    urls = {name: url.format(product=product.id, producer=product.producer.slug) for name, url in PAGES.items()}
    return SimpleNamespace(product=product, accounts=accounts, urls=urls)


# ---------------------------------------------------------------- the changes buyers see at once

def publish(shop) -> tuple[str, str]:
    """A new listing approved: it shows in the catalog."""
    waiting = ProductFactory(producer=shop.accounts.producer_a_store, name="Beras Hitam Baru Terbit",
                             monthly_capacity=95_000, category=category("beras-serealia"),
                             status=PublicationStatus.PENDING, published_at=None)
    moderation.approve(waiting, shop.accounts.moderator)
    db.session.commit()
    return "/products", "Beras Hitam Baru Terbit"


def revise(shop, **values) -> None:
    """The producer edits the published listing, sends the change, and a moderator approves it."""
    product = shop.product
    edited = listings.product_values(product) | values
    listings.save_product(product.producer, product, edited, shop.accounts.producer_a)
    listings.submit(product, shop.accounts.producer_a)
    moderation.approve(product, shop.accounts.moderator)
    db.session.commit()


def approve(shop) -> tuple[str, str]:
    """An edit of a published listing approved: its page shows the new name."""
    revise(shop, name="Beras Pandan Wangi Premium")
    return f"/products/{shop.product.id}", "Beras Pandan Wangi Premium"


def price_change(shop) -> tuple[str, str]:
    revise(shop, tiers=[[100, 9_750]])
    return f"/products/{shop.product.id}", "Rp 9.750"


def photo_approval(shop) -> tuple[str, str]:
    """A photo added to a published listing shows once its revision is approved."""
    product = shop.product
    photo = PhotoFactory(product=product, live=False, position=1)
    keys = [p.key for p in product.live_photos] + [photo.key]
    db.session.add(Revision(object_type="product", object_id=product.id, producer_id=product.producer_id,
                            data=listings.product_values_live(product) | {"photo_keys": keys}, status="pending",
                            author_id=shop.accounts.producer_a.id))
    db.session.commit()
    moderation.approve(product, shop.accounts.moderator)
    db.session.commit()
    return f"/products/{product.id}", f"{photo.key}-"


def suspend(shop) -> tuple[str, str | None]:
    """A suspended listing leaves the catalog (and its page answers 404)."""
    moderation.suspend(shop.product, shop.accounts.moderator, "Sertifikat halal kedaluwarsa")
    db.session.commit()
    return "/products", None


CHANGES = {"publish": publish, "approve": approve, "price change": price_change, "photo approval": photo_approval,
           "suspend": suspend}


def as_on_a_large_catalog(app, monkeypatch) -> None:
    """As on a catalog of a million listings: production's threshold, and every value computed so far "took two
    seconds", so after the next change it is recomputed behind the requests (catalog/cache.py `cached_behind`)."""
    monkeypatch.setitem(app.config, "FIGURES_BEHIND_AFTER_MS", 100)
    with catalog_cache._lock:
        for key, (version, value, _seconds) in list(catalog_cache._latest.items()):
            catalog_cache._latest[key] = (version, value, 2.0)

