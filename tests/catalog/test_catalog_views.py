"""The public pages as a buyer sees them: every route answers, facts read the Indonesian way, contacts stay hidden."""
from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest

from marketplace.core import clock
from marketplace.extensions import db
from tests.factories import CertificateFactory, PhotoFactory, ProducerFactory, ProductFactory, category
from tests.readonly import ReadOnly, wipe

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def html(response) -> str:
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def text_of(page: str) -> str:
    """The page as words, tags dropped and whitespace collapsed (what a reader sees, roughly)."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


@pytest.fixture
def product(ctx):
    producer = ProducerFactory(name="KWT Mawar Melati", slug="kwt-mawar-melati")
    return ProductFactory(producer=producer, name="Beras Organik Pandan Wangi", slug="beras-organik-pandan-wangi")


# ------------------------------------------------------------------ every route answers (more in the last class)

@pytest.mark.parametrize("url", ["/", "/products", "/producers"])
def test_public_pages_answer_on_an_empty_catalog(client, ctx, url):
    assert client.get(url).status_code == 200


# ------------------------------------------------------------------ 404

def test_the_404_page_is_a_friendly_page_of_the_site(client, ctx):
    response = client.get("/produk-yang-tidak-ada")
    assert response.status_code == 404
    page = html(response)
    assert '<html lang="id">' in page
    assert "Halaman tidak ditemukan" in page
    assert 'href="/products"' in page  # a way back into the catalog
    assert "Traceback" not in page and "Werkzeug" not in page


def test_the_404_page_speaks_english_when_asked(client, ctx):
    page = client.get("/tidak-ada?lang=en").get_data(as_text=True)
    assert "Page not found" in page


def test_an_unknown_api_path_is_404_json(client, ctx):
    response = client.get("/api/v1/tidak-ada")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not Found", "status": 404}


# ------------------------------------------------------------------ product page

@pytest.fixture(scope="class")
def meat(app):
    with app.app_context():
        certificate = CertificateFactory(kind="halal", number="ID18110000123456", issuer="BPJPH",
                                         valid_until=date(2026, 8, 17))
        item = ProductFactory(producer=certificate.producer, name="Daging Sapi Segar", unit="kg", min_order_qty=250,
                              monthly_capacity=5800, price=[(250, 12500), (1000, 12000)], packaging="Vakum 1 kg",
                              delivery_terms="Truk berpendingin", grade="Premium")
        item.certificates.append(certificate)
        db.session.commit()
        product_id = item.id
    yield product_id
    wipe(app)


class TestProductPage(ReadOnly):
    @pytest.mark.parametrize("fact", ["Rp 12.500", "Rp 12.000", "≥ 250 kg", "≥ 1 ton"])
    def test_it_shows_each_price_tier_in_rupiah(self, client, meat, fact):
        assert fact in text_of(html(client.get(f"/products/{meat}")))

    @pytest.mark.parametrize("fact", ["Minimal pemesanan 250 kg", "Kapasitas produksi per bulan 5,8 ton",
                                      "Kemasan Vakum 1 kg", "Pengiriman ke Jakarta Truk berpendingin",
                                      "Kualitas Premium"])
    def test_it_shows_the_order_facts(self, client, meat, fact):
        assert fact in text_of(html(client.get(f"/products/{meat}")))

    def test_it_shows_the_certificate_with_number_issuer_and_indonesian_date(self, client, meat):
        page = text_of(html(client.get(f"/products/{meat}")))
        assert "Halal · No. ID18110000123456 · BPJPH" in page
        assert "dinyatakan produsen masa berlaku s.d. 17 Agustus 2026" in page  # nobody checked it yet

    def test_it_links_to_the_inquiry_form_for_this_product(self, client, meat):
        page = html(client.get(f"/products/{meat}"))
        link = re.search(r'<a [^>]*href="([^"]*)"[^>]*>\s*<svg [^>]*>.*?</svg>\s*Minta penawaran', page)
        assert link and link.group(1) == f"/inquiries/new?product={meat}"

    def test_in_english_it_keeps_rupiah_the_indonesian_way(self, client, meat):
        page = text_of(html(client.get(f"/products/{meat}?lang=en")))
        assert "Request a quote" in page
        assert "Rp 12.500" in page and "valid until August 17, 2026" in page

    def test_its_title_names_product_and_producer(self, client, meat):
        page = html(client.get(f"/products/{meat}"))
        assert re.search(r"<title>Daging Sapi Segar — Gapoktan Contoh \d+ · Etalase Metro</title>", page)


def test_product_page_marks_an_expired_certificate(client, ctx):
    certificate = CertificateFactory(kind="pirt", valid_until=date(2026, 3, 1))
    item = ProductFactory(producer=certificate.producer)
    item.certificates.append(certificate)
    db.session.commit()
    page = text_of(html(client.get(f"/products/{item.id}")))
    assert "kedaluwarsa kedaluwarsa sejak 1 Maret 2026" in page  # the badge, then the date
    assert "berlaku s.d." not in page.lower()


def test_product_page_with_one_price_shows_it_per_unit(client, ctx):
    item = ProductFactory(unit="butir", price=[(1, 2500)])
    assert "Rp 2.500 / butir" in text_of(html(client.get(f"/products/{item.id}")))


def test_product_page_without_a_price_says_price_on_request(client, ctx):
    item = ProductFactory(price=[], price_on_request=True)
    page = text_of(html(client.get(f"/products/{item.id}")))
    assert "Harga sesuai permintaan" in page and "Rp " not in page


def test_product_page_shows_only_live_photos(client, ctx):
    item = ProductFactory()
    live = PhotoFactory(product=item, live=True)
    waiting = PhotoFactory(product=item, live=False)
    page = html(client.get(f"/products/{item.id}"))
    assert f"/media/{live.key}-lg.webp" in page
    assert waiting.key not in page


def test_product_page_suggests_other_published_products_of_the_producer(client, ctx):
    producer = ProducerFactory()
    item = ProductFactory(producer=producer, name="Beras Utama")
    ProductFactory(producer=producer, name="Beras Saudara")
    ProductFactory(producer=producer, name="Beras Draf", status="draft")
    page = html(client.get(f"/products/{item.id}"))
    assert "Beras Saudara" in page and "Beras Draf" not in page


# ------------------------------------------------------------------ contacts

def test_staff_see_the_contact_details_on_the_storefront(client, accounts, login_as):
    ProductFactory(producer=accounts.producer_a_store)
    login_as("facilitator")
    page = text_of(html(client.get(f"/producers/{accounts.producer_a_store.slug}")))
    assert "+62 812-3456-7890" in page and "kontak@contoh.id" in page and "Jl. Imam Bonjol No. 1" in page


def test_the_owner_sees_their_own_contact_details_but_not_another_producers(client, accounts, login_as):
    ProductFactory(producer=accounts.producer_a_store)
    ProductFactory(producer=accounts.producer_b_store)
    login_as("producer_a")
    own = client.get(f"/producers/{accounts.producer_a_store.slug}").get_data(as_text=True)
    other = client.get(f"/producers/{accounts.producer_b_store.slug}").get_data(as_text=True)
    assert "kontak@contoh.id" in own and "kontak@contoh.id" not in other


# ------------------------------------------------------------------ storefront

def test_storefront_lists_only_the_producers_published_products(client, ctx):
    producer = ProducerFactory(name="Gapoktan Sido Makmur")
    ProductFactory(producer=producer, name="Beras Tampil")
    ProductFactory(producer=producer, name="Beras Menunggu", status="pending")
    ProductFactory(name="Beras Tetangga")
    page = html(client.get(f"/producers/{producer.slug}"))
    assert "Beras Tampil" in page
    assert "Beras Menunggu" not in page and "Beras Tetangga" not in page


def test_storefront_links_to_the_inquiry_form_for_this_producer(client, product):
    page = html(client.get(f"/producers/{product.producer.slug}"))
    assert 'href="/inquiries/new?producer=kwt-mawar-melati"' in page


def test_storefront_shows_certificates_with_their_validity(client, ctx):
    certificate = CertificateFactory(kind="sni", number="SNI-123456", valid_until=date(2026, 8, 17))
    ProductFactory(producer=certificate.producer)
    page = text_of(html(client.get(f"/producers/{certificate.producer.slug}")))
    assert "SNI · No. SNI-123456" in page and "dinyatakan produsen masa berlaku s.d. 17 Agustus 2026" in page


# ------------------------------------------------------------------ catalog page

def test_catalog_says_how_many_products_were_found(client, ctx):
    for _ in range(3):
        ProductFactory()
    ProductFactory(status="draft")
    assert "3 produk ditemukan" in text_of(html(client.get("/products")))


def test_catalog_card_shows_price_moq_and_capacity(client, ctx):
    ProductFactory(name="Telur Ras", unit="butir", price=[(1, 2500), (1000, 2300)], min_order_qty=3000,
                   monthly_capacity=250_000, category=category("telur"))
    page = text_of(html(client.get("/products")))
    assert "Rp 2.300 / butir pada pesanan minimum 3.000 butir · loco Metro" in page  # the tier the MOQ reaches
    assert "Minimal pemesanan 3.000 butir" in page
    assert "Kapasitas per bulan 250.000 butir" in page


def test_catalog_shows_facet_counts_next_to_filter_values(client, ctx):
    ProductFactory(category=category("telur"))
    ProductFactory(category=category("telur"))
    ProductFactory()
    page = text_of(html(client.get("/products?kecamatan=metro-pusat")))
    assert "Telur (2)" in page and "Beras &amp; Serealia (1)" in page


def test_catalog_filter_shows_only_matching_cards(client, ctx):
    ProductFactory(name="Telur Ras", category=category("telur"))
    ProductFactory(name="Beras Putih")
    page = html(client.get("/products?category=telur"))
    assert "Telur Ras" in page and "Beras Putih" not in page


def test_a_page_beyond_the_last_shows_the_last_page(client, app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "CATALOG_PER_PAGE", 2)
    for n in range(3):
        ProductFactory(name=f"Produk Nomor {n}", monthly_capacity=100 - n)
    page = text_of(html(client.get("/products?page=40")))
    assert "Halaman 2 dari 2" in page
    assert "Produk Nomor 2" in page and "Produk Nomor 0" not in page


def test_page_links_keep_the_filters(client, app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "CATALOG_PER_PAGE", 1)
    ProductFactory(category=category("telur"))
    ProductFactory(category=category("telur"))
    page = html(client.get("/products?category=telur&sort=moq"))
    next_link = re.search(r'<a class="page-link" rel="next" href="([^"]+)"', page)
    assert next_link and "category=telur" in next_link.group(1) and "sort=moq" in next_link.group(1)
    assert "page=2" in next_link.group(1)


# ------------------------------------------------------------------ home and directory

def test_home_shows_each_category_with_its_product_count(client, ctx):
    ProductFactory(category=category("telur"))
    ProductFactory(category=category("telur"))
    page = text_of(html(client.get("/")))
    assert "Telur 2 produk" in page
    assert "Kerajinan &amp; Wastra 0 produk" in page


def test_home_shows_capacity_by_commodity_with_mass_in_tonnes(client, ctx):
    ProductFactory(unit="kg", monthly_capacity=150_000)
    ProductFactory(unit="ton", monthly_capacity=250)
    page = text_of(html(client.get("/")))
    assert "Beras &amp; Serealia ± 400 ton" in page


def test_home_shows_featured_producers_and_products(client, ctx):
    producer = ProducerFactory(name="Gapoktan Unggul", curated=True)
    ProductFactory(producer=producer, name="Beras Unggulan", featured=True)
    page = html(client.get("/"))
    assert "Gapoktan Unggul" in page and "Beras Unggulan" in page and "Terkurasi Dekranasda" in page


def test_directory_lists_published_producers_with_their_product_counts(client, ctx):
    producer = ProducerFactory(name="Gapoktan Sumber Tani", kelurahan="Yosodadi", kecamatan="metro-timur")
    ProductFactory(producer=producer)
    ProductFactory(producer=producer, category=category("telur"))
    ProducerFactory(name="Produsen Tersembunyi", status="pending")
    page = text_of(html(client.get("/producers")))
    assert "1 produsen" in page
    assert "Gapoktan Sumber Tani Yosodadi, Metro Timur 2 produk · Beras &amp; Serealia, Telur" in page
    assert "Produsen Tersembunyi" not in page


# ------------------------------------------------------------------ read-only requests on one shared catalog

STATUSES = ["draft", "pending", "rejected", "suspended", "archived"]
CONTACT_TRACES = ["+6281234567890", "+62 812-3456-7890", "6281234567890", "wa.me", "rahasia@contoh.id",
                  "Jl. Rahasia No. 7"]
JUNK = [{"page": "abc"}, {"page": "-3"}, {"page": "0"}, {"page": "1e9"}, {"page": "99999999999999999999999"},
        {"page": ""}, {"min_capacity": "x"}, {"min_capacity": "1e400"}, {"min_capacity": "-1"},
        {"min_capacity": "nan"}, {"min_capacity": "Infinity"}, {"min_capacity": "1.000.000"},
        {"sort": "drop table"}, {"sort": "price_asc'"}, {"sort": ""}, {"category": "<script>"},
        {"category": "beras-serealia' OR '1'='1"}, {"kecamatan": "'"}, {"cert": "\x00"}, {"cert": "halal\x00"},
        {"curated": "<b>"}, {"q": "\x00"}, {"q": "a\x00b"}, {"q": "%"}, {"q": "_"}, {"q": "\\"}, {"lang": "\x00"},
        {"page": ["1", "2"]}]


@pytest.fixture(scope="class")
def shop(app):
    """A published storefront with private contact details, and unpublished records in every state."""
    with app.app_context():
        producer = ProducerFactory(name="KWT Mawar Melati", slug="kwt-mawar-melati", phone="+6281234567890",
                                   email="rahasia@contoh.id", address="Jl. Rahasia No. 7")
        item = ProductFactory(producer=producer, name="Beras Organik Pandan Wangi", slug="beras-organik-pandan-wangi")
        data = SimpleNamespace(
            product=item.id, slug=item.slug, producer=producer.slug,
            hidden_products={s: ProductFactory(producer=producer, status=s).id for s in STATUSES},
            hidden_producers={},
            products_of_hidden_producers={},
        )
        for status in STATUSES:
            hidden = ProducerFactory(status=status)
            data.hidden_producers[status] = hidden.slug
            data.products_of_hidden_producers[status] = ProductFactory(producer=hidden).id
    yield data
    wipe(app)


class TestPublicRoutes(ReadOnly):
    """Nothing here writes: the catalog is built once for the class."""

    @pytest.mark.parametrize("url", ["/", "/products", "/products?q=beras", "/products/{id}", "/products/{id}-{slug}",
                                     "/producers", "/producers?q=mawar", "/producers/{producer}"])
    def test_public_pages_answer_200_with_html(self, client, shop, url):
        response = client.get(url.format(id=shop.product, slug=shop.slug, producer=shop.producer))
        assert response.status_code == 200
        assert "<html" in html(response)

    def test_healthz_answers_json(self, client, shop):
        response = client.get("/healthz")
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert response.get_json() == {"status": "ok", "database": "ok"}

    def test_a_wrong_slug_still_shows_the_product_with_the_right_canonical_link(self, client, shop):
        page = html(client.get(f"/products/{shop.product}-nama-lama"))
        assert "Beras Organik Pandan Wangi" in page
        assert f'rel="canonical" href="http://etalase.test/products/{shop.product}-beras-organik-pandan-wangi"' in page

    @pytest.mark.parametrize("status", STATUSES)
    def test_an_unpublished_product_is_404(self, client, shop, status):
        assert client.get(f"/products/{shop.hidden_products[status]}").status_code == 404
        assert client.get(f"/products/{shop.hidden_products[status]}-produk").status_code == 404

    @pytest.mark.parametrize("status", STATUSES)
    def test_a_published_product_of_an_unpublished_producer_is_404(self, client, shop, status):
        assert client.get(f"/products/{shop.products_of_hidden_producers[status]}").status_code == 404

    @pytest.mark.parametrize("status", STATUSES)
    def test_an_unpublished_producer_is_404(self, client, shop, status):
        assert client.get(f"/producers/{shop.hidden_producers[status]}").status_code == 404

    @pytest.mark.parametrize("url", [
        "/products/999999", "/products/0", "/products/999999-beras", "/products/abc", "/products/-1",
        "/products/2147483648", "/products/99999999999999999999", "/products/99999999999999999999-beras",
        "/producers/tidak-ada", "/producers/a%00b", "/producers/%00", "/tidak-ada", "/products/1/2",
    ])
    def test_unknown_pages_are_404(self, client, shop, url):
        assert client.get(url).status_code == 404

    @pytest.mark.parametrize("url", ["/producers/{producer}", "/products/{id}", "/", "/products", "/producers"])
    def test_contact_details_are_hidden_from_anonymous_visitors(self, client, shop, url):
        page = client.get(url.format(id=shop.product, producer=shop.producer)).get_data(as_text=True)
        assert "KWT Mawar Melati" in page
        assert [trace for trace in CONTACT_TRACES if trace in page] == []

    @pytest.mark.parametrize("args", JUNK)
    def test_junk_query_strings_never_break_the_catalog(self, client, shop, args):
        assert client.get("/products", query_string=args).status_code == 200

    @pytest.mark.parametrize("args", JUNK)
    def test_junk_query_strings_never_break_the_directory(self, client, shop, args):
        assert client.get("/producers", query_string=args).status_code == 200
