"""The producer's overview puts first what needs them; a field officer chooses whom to act for."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import AuditEvent, Product
from marketplace.listings import editing as listings
from marketplace.listings.workflow import publication
from tests import htmlq
from tests.conftest import csrf_from, login
from tests.factories import CertificateFactory, ProducerFactory, ProductFactory, category


def _attention(client) -> list[str]:
    """The items of "Perlu perhatian Anda", in order, as text."""
    doc = htmlq.page(client.get("/dashboard/"))
    section = doc.by_id("perlu-perhatian").parent
    return [li.text() for li in section.find_all("li")]


@pytest.fixture
def producer(app, accounts):
    client = app.test_client()
    login(client, accounts.producer_a)
    return client


def test_what_needs_the_producer_comes_first_with_the_moderators_reason(producer, accounts):
    store = accounts.producer_a_store
    today = clock.today()
    ProductFactory(producer=store, name="Beras Tayang")
    rejected = ProductFactory(producer=store, name="Gula Aren", status="pending")
    publication.apply("reject", rejected, accounts.moderator, reason="Foto kemasan tidak jelas, unggah ulang.")
    db.session.commit()
    ProductFactory(producer=store, name="Keripik Pisang", status="draft")
    CertificateFactory(producer=store, kind="pirt", number="P-IRT 001", valid_until=today + timedelta(days=30))
    CertificateFactory(producer=store, kind="halal", number="ID-LAMA", valid_until=today - timedelta(days=3))
    CertificateFactory(producer=store, kind="sni", number="SNI-JAUH", valid_until=today + timedelta(days=90))
    CertificateFactory(producer=store, kind="bpom_md", number="MD-SELAMANYA", valid_until=None)

    items = _attention(producer)
    assert len(items) == 4, items
    assert "Gula Aren" in items[0] and "ditolak kurator" in items[0]
    assert "Alasan: Foto kemasan tidak jelas, unggah ulang." in items[0]
    assert "Keripik Pisang" in items[1] and "masih draf" in items[1]
    assert "Sertifikat Halal No. ID-LAMA sudah kedaluwarsa" in items[2]
    assert "PIRT berakhir dalam 30 hari" in items[3]
    page = producer.get("/dashboard/").get_data(as_text=True)
    assert page.index("Perlu perhatian Anda") < page.index("Produk Anda")
    assert "SNI-JAUH" not in " ".join(items) and "MD-SELAMANYA" not in " ".join(items)
    assert "Beras Tayang" not in " ".join(items)


@pytest.mark.parametrize("decision", ["reject", "request_changes"])
def test_a_listing_sent_back_by_the_moderator_shows_the_reason(producer, accounts, decision):
    product = ProductFactory(producer=accounts.producer_a_store, name="Gula Aren", status="pending")
    publication.apply(decision, product, accounts.moderator, reason="Lengkapi foto kemasan.")
    db.session.commit()
    items = _attention(producer)
    assert any("Gula Aren" in i and "Alasan: Lengkapi foto kemasan." in i for i in items), items
    assert "Lengkapi foto kemasan." in producer.get("/dashboard/products").get_data(as_text=True)


def test_a_suspended_listing_says_suspended_not_rejected(producer, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, name="Madu Hutan")
    publication.apply("suspend", product, accounts.moderator, reason="Izin PIRT sudah tidak berlaku.")
    db.session.commit()
    [item] = [i for i in _attention(producer) if "Madu Hutan" in i]
    assert "ditangguhkan kurator" in item and "ditolak" not in item
    assert "Alasan: Izin PIRT sudah tidak berlaku." in item


def test_a_rejected_change_to_a_live_listing_shows_its_reason(producer, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, name="Beras Tayang")
    values = listings.product_values(product) | {"monthly_capacity": 99999}
    listings.save_product(product.producer, product, values, accounts.producer_a)
    listings.submit(product, accounts.producer_a)
    db.session.commit()
    from marketplace.listings import review as moderation

    moderation.reject(product, accounts.moderator, "Kapasitas tidak realistis.")
    db.session.commit()
    items = _attention(producer)
    assert any("Beras Tayang" in i and "Kapasitas tidak realistis." in i for i in items), items


def test_certificates_are_listed_most_urgent_first(producer, accounts):
    today = clock.today()
    for kind, days in (("pirt", 45), ("halal", -1), ("sni", 5), ("bpom_md", -200)):
        CertificateFactory(producer=accounts.producer_a_store, kind=kind, valid_until=today + timedelta(days=days))
    items = _attention(producer)
    assert [next(k for k in ("BPOM MD", "Halal", "SNI", "PIRT") if k in item) for item in items] == \
        ["BPOM MD", "Halal", "SNI", "PIRT"]


def test_a_certificate_expiring_on_the_sixtieth_day_is_flagged_and_on_the_sixty_first_is_not(producer, accounts):
    today = clock.today()
    CertificateFactory(producer=accounts.producer_a_store, kind="pirt", valid_until=today + timedelta(days=60))
    CertificateFactory(producer=accounts.producer_a_store, kind="sni", valid_until=today + timedelta(days=61))
    items = " ".join(_attention(producer))
    assert "PIRT berakhir dalam 60 hari" in items and "SNI" not in items


def test_a_producer_with_nothing_to_do_is_told_so(producer, accounts):
    ProductFactory(producer=accounts.producer_a_store, name="Beras Tayang")
    page = producer.get("/dashboard/").get_data(as_text=True)
    assert "Tidak ada yang perlu ditindaklanjuti." in page
    assert "Beras Tayang" in page


def test_a_producer_without_products_is_invited_to_add_the_first(producer):
    doc = htmlq.page(producer.get("/dashboard/"))
    assert "Belum ada produk. Tambah produk pertama Anda." in doc.text()
    assert doc.find("a", href="/dashboard/products/new") is not None
    assert "Belum ada produk. Tambah produk pertama Anda." in producer.get("/dashboard/products").get_data(as_text=True)


def test_the_overview_shows_only_the_producers_own_products(producer, accounts):
    ProductFactory(producer=accounts.producer_b_store, name="Telur Ayam Kampung B", status="draft")
    page = producer.get("/dashboard/").get_data(as_text=True)
    assert "Telur Ayam Kampung B" not in page


# ---------------------------------------------------------------- field officers

@pytest.fixture
def officer(app, accounts):
    second = ProducerFactory(name="KWT Mawar Melati", slug="kwt-mawar-melati")
    accounts.officer.assigned_producers.append(second)
    db.session.commit()
    client = app.test_client()
    login(client, accounts.officer)
    return client


def _act_for(client, producer_id: int):
    token = csrf_from(client.get("/dashboard/"))
    return client.post(f"/dashboard/act-for/{producer_id}", data={"csrf_token": token}, follow_redirects=True)


def test_an_officer_first_chooses_among_the_assigned_producers(officer, accounts):
    doc = htmlq.page(officer.get("/dashboard/"))
    text = doc.text()
    assert "Pilih produsen dampingan" in text
    assert "Usaha A" in text and "KWT Mawar Melati" in text and "Usaha B" not in text
    actions = {form.attrs["action"] for form in doc.find_all("form") if "/act-for/" in form.attrs.get("action", "")}
    assert actions == {f"/dashboard/act-for/{p.id}" for p in accounts.officer.assigned_producers}


@pytest.mark.parametrize("path", ["/dashboard/products", "/dashboard/storefront", "/dashboard/products/new",
                                  "/dashboard/inquiries"])
def test_an_officer_who_has_not_chosen_yet_is_sent_to_the_chooser(officer, path):
    response = officer.get(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/")


def test_acting_for_a_producer_names_it_in_a_banner_on_every_page(officer, accounts):
    response = _act_for(officer, accounts.producer_a_store.id)
    banner = "Anda bertindak sebagai pendamping untuk Usaha A. Semua perubahan tercatat atas nama Anda."
    assert banner in htmlq.page(response).text()
    for path in ("/dashboard/products", "/dashboard/storefront", "/dashboard/products/new", "/dashboard/inquiries"):
        assert banner in htmlq.page(officer.get(path)).text(), path


def test_an_officer_can_switch_to_another_assigned_producer(officer, accounts):
    _act_for(officer, accounts.producer_a_store.id)
    token = csrf_from(officer.get("/dashboard/"))
    response = officer.post("/dashboard/act-for/clear", data={"csrf_token": token}, follow_redirects=True)
    assert "Pilih produsen dampingan" in response.get_data(as_text=True)
    second = accounts.officer.assigned_producers[-1]
    response = _act_for(officer, second.id)
    assert f"pendamping untuk {second.name}" in htmlq.page(response).text()


def test_a_change_made_by_an_officer_is_audited_under_the_officer_for_the_producer(officer, accounts):
    _act_for(officer, accounts.producer_a_store.id)
    token = csrf_from(officer.get("/dashboard/products/new"))
    response = officer.post("/dashboard/products/new", data={
        "csrf_token": token, "category_id": str(category("beras-serealia").id), "name": "Beras Titipan",
        "unit": "kg", "tiers-0-min_qty": "100", "tiers-0-price": "12.000", "min_order_qty": "100",
        "monthly_capacity": "2.000", "storage": "ambient", "action": "submit"})
    assert response.status_code == 302
    product = db.session.scalar(select(Product).where(Product.name == "Beras Titipan"))
    assert product.producer_id == accounts.producer_a_store.id and product.status == "pending"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "product",
                                                         AuditEvent.object_id == product.id)
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["product.created", "publication.submit"]
    assert {(e.actor_id, e.producer_id) for e in events} == {(accounts.officer.id, accounts.producer_a_store.id)}


def test_an_officer_does_not_see_the_producers_unconfirmed_email_reminder(officer, accounts):
    accounts.producer_a.email_confirmed_at = None
    db.session.commit()
    response = _act_for(officer, accounts.producer_a_store.id)
    assert "Konfirmasi email Anda" not in response.get_data(as_text=True)
