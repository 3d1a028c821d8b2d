"""Editing what buyers already see: the live version stays until a moderator approves.

A published listing or storefront is never changed by its producer directly. The edit waits
in a revision; the public page, the catalog search and the open-data API keep showing the
approved version. Photos follow the same rule: a new upload is not live, and reordering or
removing photos of a published listing changes only the revision's order. A draft is edited
in place, and a removed photo's files leave UPLOAD_DIR at once.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Certificate, Photo, Producer, Product, Revision
from marketplace.catalog import queries as catalog, search
from marketplace.listings import photos as images, review as moderation
from tests import htmlq
from tests.conftest import csrf_from, login
from tests.factories import CertificateFactory, PhotoFactory, ProductFactory, category


def _jpeg(colour=(200, 30, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def producer(app, accounts):
    client = app.test_client()
    login(client, accounts.producer_a)
    return client


@pytest.fixture
def buyer(app):
    return app.test_client()


@pytest.fixture
def published(accounts):
    """A live listing with two price tiers, a certificate and three live photos (real files)."""
    store = accounts.producer_a_store
    halal = CertificateFactory(producer=store, kind="halal", number="ID1811000001")
    product = ProductFactory(producer=store, name="Beras Pandan Wangi", monthly_capacity=5000,
                             price=[(100, 12000), (1000, 11000)])
    product.certificates.append(halal)
    for position in range(3):
        PhotoFactory(product=product, key=images.store(_jpeg((position * 80, 90, 40))).key, position=position, live=True)
    db.session.commit()
    return product


def _keys(product: Product) -> list[str]:
    return [p.key for p in sorted(product.photos, key=lambda p: p.position)]


def _form(product: Product | None = None, **changes) -> dict:
    data = {
        "category_id": str(category("beras-serealia").id), "name": "Beras Pandan Wangi", "unit": "kg",
        "tiers-0-min_qty": "100", "tiers-0-price": "12.000", "tiers-1-min_qty": "1.000", "tiers-1-price": "11.000",
        "min_order_qty": "100", "monthly_capacity": "5.000", "storage": "ambient", "action": "save",
        "description": "Deskripsi produk.",
    }
    if product is not None and product.certificates:
        data["certificate_ids"] = [str(c.id) for c in product.certificates]
    data.update(changes)
    return data


def _edit(client, product: Product, **changes):
    token = csrf_from(client.get(f"/dashboard/products/{product.id}/edit"))
    return client.post(f"/dashboard/products/{product.id}/edit",
                       data={**_form(product, **changes), "csrf_token": token}, follow_redirects=True)


def _action(client, product: Product, action: str):
    token = csrf_from(client.get(f"/dashboard/products/{product.id}/edit"))
    return client.post(f"/dashboard/products/{product.id}/{action}", data={"csrf_token": token},
                       follow_redirects=True)


def _photo(client, product: Product, key: str, action: str):
    photo = db.session.scalar(select(Photo).where(Photo.key == key))
    token = csrf_from(client.get(f"/dashboard/products/{product.id}/edit"))
    return client.post(f"/dashboard/products/{product.id}/photos/{photo.id}/{action}", data={"csrf_token": token},
                       follow_redirects=True)


def _upload(client, product: Product, data: bytes):
    token = csrf_from(client.get(f"/dashboard/products/{product.id}/edit"))
    return client.post(f"/dashboard/products/{product.id}/photos", content_type="multipart/form-data",
                       data={"csrf_token": token, "photos": [(io.BytesIO(data), "foto.jpg")]}, follow_redirects=True)


def _media_keys(doc: htmlq.Node, container: htmlq.Node | None) -> list[str]:
    if container is None:
        return []
    return [img.attrs["src"].rsplit("/", 1)[1].rsplit("-", 1)[0] for img in container.find_all("img")]


def _public_gallery(buyer, product: Product) -> list[str]:
    doc = htmlq.page(buyer.get(f"/products/{product.id}"))
    return _media_keys(doc, next((n for n in doc.iter() if "gallery-thumbs" in (n.attrs.get("class") or "")), None))


def _editor_photos(client, product: Product) -> list[str]:
    doc = htmlq.page(client.get(f"/dashboard/products/{product.id}/edit"))
    return _media_keys(doc, next((n for n in doc.iter() if "photo-grid" in (n.attrs.get("class") or "")), None))


def _fresh(product: Product) -> Product:
    db.session.expire_all()
    return db.session.get(Product, product.id)


def _approve(accounts, product: Product) -> None:
    moderation.approve(_fresh(product), accounts.moderator)
    db.session.commit()


def _files(app) -> set[str]:
    return {p.name for p in Path(app.config["UPLOAD_DIR"]).glob("*.webp")}


# ---------------------------------------------------------------- an edit of a live listing waits

def test_an_edit_of_a_published_product_leaves_the_public_page_search_and_api_as_they_were(
        producer, buyer, published):
    response = _edit(producer, published, name="Beras Pandan Super", **{"monthly_capacity": "7.500"})
    assert "Versi yang tampil untuk pembeli belum berubah" in response.get_data(as_text=True)

    product = _fresh(published)
    assert (product.status, product.name, product.monthly_capacity) == ("published", "Beras Pandan Wangi", 5000)
    page = buyer.get(f"/products/{published.id}").get_data(as_text=True)
    assert "Beras Pandan Wangi" in page and "5 ton" in page
    assert "Super" not in page and "7,5 ton" not in page

    assert [p.name for p in db.session.scalars(search.apply(select(Product), "super")[0])] == []
    assert [p.name for p in db.session.scalars(search.apply(select(Product), "wangi")[0])] == ["Beras Pandan Wangi"]
    found = catalog.search_products(catalog.CatalogFilters(q="pandan"), per_page=10, with_facets=False)
    assert [(p.name, p.monthly_capacity) for p in found.items] == [("Beras Pandan Wangi", 5000)]
    assert "Super" not in buyer.get("/products?q=pandan").get_data(as_text=True)

    api = buyer.get("/api/v1/products").get_json()
    assert [(i["name"], i["monthly_capacity"]) for i in api["items"]] == [("Beras Pandan Wangi", 5000)]


def test_the_editor_shows_the_edited_values_of_a_published_product(producer, published):
    _edit(producer, published, name="Beras Pandan Super", **{"monthly_capacity": "7.500", "tiers-1-price": "10.750"})
    doc = htmlq.page(producer.get(f"/dashboard/products/{published.id}/edit"))
    assert htmlq.value(doc, "name") == "Beras Pandan Super"
    assert htmlq.value(doc, "monthly_capacity") == "7.500"
    assert htmlq.value(doc, "tiers-1-price") == "10.750"
    assert "Perubahan baru tampil setelah disetujui kurator" in doc.text() or "tampil untuk pembeli" in doc.text()
    revision = db.session.scalar(select(Revision).where(Revision.object_id == published.id))
    assert revision.status == "draft" and revision.data["name"] == "Beras Pandan Super"


def test_the_revision_can_be_sent_withdrawn_and_sent_again_while_the_live_version_stays(
        producer, buyer, published):
    response = _edit(producer, published, name="Beras Pandan Super", action="submit")
    assert "Menunggu peninjauan" in response.get_data(as_text=True)
    revision = db.session.scalar(select(Revision).where(Revision.object_id == published.id))
    assert revision.status == "pending"
    assert "menunggu peninjauan" in producer.get(f"/dashboard/products/{published.id}/edit").get_data(as_text=True)

    response = _action(producer, published, "withdraw")
    assert "ditarik kembali menjadi draf" in response.get_data(as_text=True)
    db.session.refresh(revision)
    assert revision.status == "draft"
    assert htmlq.value(htmlq.page(producer.get(f"/dashboard/products/{published.id}/edit")), "name") == \
        "Beras Pandan Super"  # withdrawing keeps the edit

    _action(producer, published, "submit")
    db.session.refresh(revision)
    assert revision.status == "pending"
    assert _fresh(published).status == "published"
    assert "Beras Pandan Wangi" in buyer.get(f"/products/{published.id}").get_data(as_text=True)


def test_submitting_a_published_product_without_changes_says_so(producer, published):
    response = _action(producer, published, "submit")
    assert "Tidak ada perubahan untuk dikirim." in response.get_data(as_text=True)
    assert _fresh(published).status == "published"


def test_an_approved_revision_goes_live_everywhere(producer, buyer, accounts, published):
    _edit(producer, published, name="Beras Pandan Super", action="submit", **{"monthly_capacity": "7.500"})
    _approve(accounts, published)
    assert "7,5 ton" in buyer.get(f"/products/{published.id}").get_data(as_text=True)
    assert buyer.get("/api/v1/products?q=super").get_json()["items"][0]["monthly_capacity"] == 7500


# ---------------------------------------------------------------- photos of a live listing

def test_a_photo_uploaded_to_a_published_product_is_not_live(producer, buyer, published):
    before = _keys(published)
    response = _upload(producer, published, _jpeg((1, 2, 3)))
    assert "1 foto ditambahkan." in response.get_data(as_text=True)
    new = db.session.scalar(select(Photo).where(Photo.key.not_in(before)))
    assert new.live is False
    assert _public_gallery(buyer, published) == before
    assert new.key not in buyer.get(f"/products/{published.id}").get_data(as_text=True)
    assert _editor_photos(producer, published) == before + [new.key]


def test_reordering_photos_of_a_published_product_changes_only_the_revision(producer, buyer, published):
    k1, k2, k3 = _keys(published)
    _photo(producer, published, k3, "first")
    _photo(producer, published, k1, "down")
    assert _editor_photos(producer, published) == [k3, k2, k1]
    assert _public_gallery(buyer, published) == [k1, k2, k3]
    assert _keys(_fresh(published)) == [k1, k2, k3]


def test_deleting_a_photo_of_a_published_product_keeps_it_live_until_approval(app, producer, buyer, accounts,
                                                                               published):
    k1, k2, k3 = _keys(published)
    _photo(producer, published, k2, "delete")
    assert _editor_photos(producer, published) == [k1, k3]
    assert _public_gallery(buyer, published) == [k1, k2, k3]
    assert f"{k2}-sm.webp" in _files(app)

    _action(producer, published, "submit")
    _approve(accounts, published)
    assert _public_gallery(buyer, published) == [k1, k3]
    assert f"{k2}-sm.webp" not in _files(app) and f"{k2}-lg.webp" not in _files(app)


def test_a_photo_only_change_keeps_the_listing_as_it_was(producer, accounts, published):
    """Reordering photos before any other edit opens a revision; it must carry the listing's own values."""
    k1, k2, k3 = _keys(published)
    _photo(producer, published, k3, "first")
    doc = htmlq.page(producer.get(f"/dashboard/products/{published.id}/edit"))
    assert htmlq.value(doc, "name") == "Beras Pandan Wangi"
    assert htmlq.value(doc, "monthly_capacity") == "5.000"
    assert [htmlq.value(doc, f"tiers-{i}-price") for i in range(2)] == ["12.000", "11.000"]
    assert len(htmlq.checked(doc, "certificate_ids")) == 1

    _action(producer, published, "submit")
    _approve(accounts, published)
    product = _fresh(published)
    assert [(t.min_qty, t.price) for t in product.price_tiers] == [(100, 12000), (1000, 11000)]
    assert product.price_min == 11000
    assert [c.number for c in product.certificates] == ["ID1811000001"]
    assert (product.name, product.monthly_capacity) == ("Beras Pandan Wangi", 5000)
    assert [p.key for p in product.live_photos] == [k3, k1, k2]


def test_a_revision_holding_only_a_photo_order_shows_and_applies_the_live_values(producer, accounts, published):
    """Such revisions were written before a new revision started as a copy of the live version."""
    k1, k2, k3 = _keys(published)
    db.session.add(Revision(object_type="product", object_id=published.id, producer_id=published.producer_id,
                            data={"photo_keys": [k2, k1, k3]}, status="pending", author_id=accounts.producer_a.id))
    db.session.commit()
    doc = htmlq.page(producer.get(f"/dashboard/products/{published.id}/edit"))
    assert htmlq.value(doc, "name") == "Beras Pandan Wangi" and htmlq.value(doc, "tiers-1-price") == "11.000"
    _approve(accounts, published)
    product = _fresh(published)
    assert [(t.min_qty, t.price) for t in product.price_tiers] == [(100, 12000), (1000, 11000)]
    assert [c.number for c in product.certificates] == ["ID1811000001"]
    assert [p.key for p in product.live_photos] == [k2, k1, k3]


def test_a_photo_uploaded_before_any_other_edit_keeps_the_listing_as_it_was(producer, accounts, published):
    _upload(producer, published, _jpeg((9, 9, 9)))
    _action(producer, published, "submit")
    _approve(accounts, published)
    product = _fresh(published)
    assert [(t.min_qty, t.price) for t in product.price_tiers] == [(100, 12000), (1000, 11000)]
    assert [c.number for c in product.certificates] == ["ID1811000001"]
    assert len(product.live_photos) == 4


# ---------------------------------------------------------------- photos of a draft act at once

@pytest.fixture
def draft(accounts):
    product = ProductFactory(producer=accounts.producer_a_store, status="draft", published_at=None)
    for position in range(3):
        PhotoFactory(product=product, key=images.store(_jpeg((position * 80, 10, 10))).key, position=position,
                     live=False)
    db.session.commit()
    return product


def test_reorder_and_cover_on_a_draft_change_the_photos_directly(producer, draft):
    k1, k2, k3 = _keys(draft)
    _photo(producer, draft, k1, "down")
    assert _keys(_fresh(draft)) == [k2, k1, k3]
    _photo(producer, draft, k3, "first")
    assert _keys(_fresh(draft)) == [k3, k2, k1]
    _photo(producer, draft, k2, "up")
    assert _keys(_fresh(draft)) == [k2, k3, k1]
    assert _editor_photos(producer, draft) == [k2, k3, k1]
    assert db.session.scalar(select(Revision)) is None


def test_deleting_a_photo_of_a_draft_removes_the_row_and_the_files(app, producer, draft):
    k1, k2, k3 = _keys(draft)
    response = _photo(producer, draft, k2, "delete")
    assert "Foto dihapus." in response.get_data(as_text=True)
    assert _keys(_fresh(draft)) == [k1, k3]
    assert db.session.scalar(select(Photo).where(Photo.key == k2)) is None
    assert not {f"{k2}-sm.webp", f"{k2}-lg.webp"} & _files(app)
    assert {f"{k1}-sm.webp", f"{k3}-lg.webp"} <= _files(app)


def test_a_photo_removal_that_is_rolled_back_keeps_the_files(app, accounts, draft):
    """Files go only once the database agrees the photo is gone: no row ever points at missing files."""
    from marketplace.listings import editing as listings

    k1, k2, k3 = _keys(draft)
    product = _fresh(draft)
    listings.remove_photo(product, next(p for p in product.photos if p.key == k2), accounts.producer_a)
    db.session.rollback()
    assert {f"{k2}-sm.webp", f"{k2}-lg.webp"} <= _files(app)
    db.session.commit()  # a later commit in the same session does not remove them either
    assert {f"{k2}-sm.webp", f"{k2}-lg.webp"} <= _files(app)
    assert _keys(_fresh(draft)) == [k1, k2, k3]


# ---------------------------------------------------------------- the storefront

def _storefront(client, **changes):
    """Fill the storefront form as a browser would send it, with these fields changed."""
    doc = htmlq.page(client.get("/dashboard/storefront"))
    data = htmlq.form_data(doc.find("form", method="post", novalidate=True))
    data.update({"action": "save", **changes})
    return client.post("/dashboard/storefront", data=data, follow_redirects=True)


def test_a_storefront_edit_of_a_published_producer_waits_in_a_revision(producer, buyer, accounts):
    response = _storefront(producer, name="Usaha A Jaya", description="Sekarang juga menjual telur.")
    assert response.status_code == 200
    store = db.session.get(Producer, accounts.producer_a_store.id)
    db.session.refresh(store)
    assert (store.name, store.description) == ("Usaha A", "")
    page = buyer.get(f"/producers/{store.slug}").get_data(as_text=True)
    assert "Usaha A Jaya" not in page and "menjual telur" not in page
    doc = htmlq.page(producer.get("/dashboard/storefront"))
    assert htmlq.value(doc, "name") == "Usaha A Jaya"
    revision = db.session.scalar(select(Revision).where(Revision.object_type == "producer"))
    assert revision.status == "draft" and revision.data["name"] == "Usaha A Jaya"


def test_a_certificate_added_to_a_published_storefront_waits_too(producer, accounts):
    _storefront(producer, **{"certificates-0-kind": "pirt", "certificates-0-number": "P-IRT 2061872010123-25",
                             "certificates-0-valid_until": "2027-05-31"})
    assert db.session.scalars(select(Certificate)).all() == []
    revision = db.session.scalar(select(Revision).where(Revision.object_type == "producer"))
    assert revision.data["certificates"][0]["number"] == "P-IRT 2061872010123-25"


def test_certificates_added_on_a_draft_storefront_are_stored_with_number_and_expiry(producer, accounts):
    store = accounts.producer_a_store
    store.status = "draft"
    db.session.commit()
    doc = htmlq.page(_storefront(producer, action="add_certificate", **{"certificates-0-kind": "halal",
                                                                        "certificates-0-number": "ID18110000123"}))
    assert htmlq.value(doc, "certificates-1-number") == ""  # a second, empty certificate row
    assert htmlq.value(doc, "certificates-0-number") == "ID18110000123"
    assert db.session.scalars(select(Certificate)).all() == []  # adding a row saves nothing

    _storefront(producer, **{
        "certificates-0-kind": "halal", "certificates-0-number": "ID18110000123", "certificates-0-issuer": "BPJPH",
        "certificates-0-valid_until": "2028-01-15",
        "certificates-1-kind": "pirt", "certificates-1-number": "2061872010123-25",
        "certificates-1-valid_until": "",
    })
    db.session.expire_all()
    rows = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    assert [(c.producer_id, c.kind, c.number, c.issuer, str(c.valid_until)) for c in rows] == [
        (store.id, "halal", "ID18110000123", "BPJPH", "2028-01-15"),
        (store.id, "pirt", "2061872010123-25", "", "None"),
    ]
    doc = htmlq.page(producer.get("/dashboard/storefront"))
    assert htmlq.value(doc, "certificates-0-valid_until") == "2028-01-15"


def test_a_storefront_with_the_most_certificates_still_opens_and_adds_no_more_rows(producer, accounts):
    store = accounts.producer_a_store
    store.status = "draft"
    for n in range(20):
        CertificateFactory(producer=store, kind="lainnya", number=f"SERT-{n:02d}")
    doc = htmlq.page(producer.get("/dashboard/storefront"))
    assert htmlq.value(doc, "certificates-19-number") == "SERT-19"
    assert doc.find("button", value="add_certificate") is None
    response = _storefront(producer, action="add_certificate")
    assert response.status_code == 200
    assert htmlq.value(htmlq.page(response), "certificates-20-number") is None
