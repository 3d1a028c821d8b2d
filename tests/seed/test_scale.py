"""`seed scale` and the catalog on its shape: exact counts, skew, pages that stay right, query budgets that hold,
the benchmark's ceiling page, and facet counts that follow a publish (the per-version count cache)."""
from __future__ import annotations

import re
import statistics
import threading
import time

import pytest
from sqlalchemy import func, select

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import Inquiry, InquiryStatus, Producer, Product, PublicationStatus, Role, User
from marketplace.catalog import queries as catalog, cache as catalog_cache
from marketplace.listings import editing as listings, review as moderation
from marketplace.seed.scale import (FACILITATOR_EMAIL, FACILITATOR_PASSWORD, MODERATOR_EMAIL, PRODUCER_EMAIL,
                                    DatabaseNotEmpty, seed_scale)
from marketplace.trade.workflow import OPEN
from tests.catalog_changes import as_on_a_large_catalog
from tests.conftest import csrf_from
from tests.factories import PhotoFactory, ProducerFactory, ProductFactory, UserFactory, category
from tests.waiting import until
from tests.readonly import ReadOnly, wipe
from tests.test_query_budget import PAGES, counting

SIZES = dict(producers=50, products=2000, inquiries=3000)


def _public_count() -> int:
    return db.session.scalar(catalog.public_products().with_only_columns(func.count(Product.id)))


def _total_on_page(html: str) -> int:
    match = re.search(r'id="results-count"[^>]*>([\d.,]+) produk', html)
    assert match, "no result count on the page"
    return int(match.group(1).replace(".", "").replace(",", ""))


def _card_links(html: str) -> list[str]:
    return re.findall(r'<a class="stretched-link" href="(/products/\d+[^"]*)"', html)


@pytest.fixture(scope="class")
def scale(app):
    with app.app_context():
        rows = seed_scale(**SIZES, log=lambda _line: None)
        public = _public_count()
        per_producer = [n for (n,) in db.session.execute(
            select(func.count(Product.id)).group_by(Product.producer_id))]
        product = db.session.scalar(catalog.public_products().order_by(Product.id))
        product_url, product_name = f"/products/{product.id}", product.name
        big = db.session.execute(
            catalog.public_products().with_only_columns(Producer.slug, func.count(Product.id))
            .group_by(Producer.slug).order_by(func.count(Product.id).desc()).limit(1)).one()
    yield {"rows": rows, "public": public, "per_producer": per_producer, "product_url": product_url,
           "product_name": product_name, "big_slug": big[0], "big_count": big[1]}
    wipe(app)


class TestSeedScale(ReadOnly):
    def test_the_requested_counts_exactly(self, ctx, scale):
        assert db.session.scalar(select(func.count(Producer.id))) == SIZES["producers"]
        assert db.session.scalar(select(func.count(Product.id))) == SIZES["products"]
        assert db.session.scalar(select(func.count(Inquiry.id))) == SIZES["inquiries"]
        assert scale["rows"]["inquiry"] == SIZES["inquiries"]

    def test_a_few_producers_have_many_listings_most_have_few(self, scale):
        counts = sorted(scale["per_producer"])
        assert min(counts) >= 1
        assert max(counts) >= 5 * statistics.median(counts)

    def test_most_inquiries_are_finished_and_some_wait_in_the_queue(self, ctx, scale):
        open_count = db.session.scalar(select(func.count(Inquiry.id)).where(Inquiry.status.in_([str(s) for s in OPEN])))
        closed = db.session.scalar(select(func.count(Inquiry.id)).where(Inquiry.status == InquiryStatus.CLOSED))
        assert 0 < open_count < SIZES["inquiries"] * 0.2
        assert closed > SIZES["inquiries"] / 2

    def test_the_catalog_shows_every_public_listing_24_at_a_time(self, client, scale):
        html = client.get("/products").get_data(as_text=True)
        assert _total_on_page(html) == scale["public"]
        assert len(_card_links(html)) == 24

    def test_a_deep_page_continues_exactly_where_the_one_before_ended(self, client, ctx, scale):
        """Page 40 and 41 show the next 24 listings by capacity: nothing repeated, nothing skipped."""
        expected = db.session.scalars(
            catalog.public_products().with_only_columns(Product.id)
            .order_by(Product.monthly_capacity.desc(), Product.id.desc()).limit(48).offset(39 * 24)).all()
        shown = []
        for page in (40, 41):
            html = client.get(f"/products?page={page}").get_data(as_text=True)
            shown += [int(re.match(r"/products/(\d+)", link).group(1)) for link in _card_links(html)]
        assert shown == list(expected)

    @pytest.mark.parametrize("query", ["", "category=olahan-pangan"])
    def test_every_deep_page_shows_exactly_its_share_of_the_order(self, client, ctx, scale, query):
        """From page 11 on the pages start from a remembered key (every 240th): none may repeat or skip a row."""
        stmt = catalog.public_products().with_only_columns(Product.id)
        if query:
            stmt = stmt.where(Product.category_id.in_(catalog._category_ids(query.split("=")[1])))
        expected = list(db.session.scalars(stmt.order_by(Product.monthly_capacity.desc(), Product.id.desc())))
        last = -(-len(expected) // 24)
        assert last > 12
        for page in sorted({10, 11, 12, 20, 21, last - 1, last} - set(range(last + 1, 99))):
            html = client.get(f"/products?{query}&page={page}").get_data(as_text=True)
            shown = [int(re.match(r"/products/(\d+)", link).group(1)) for link in _card_links(html)]
            assert shown == expected[(page - 1) * 24:page * 24], f"page {page}"
        api = client.get(f"/api/v1/products?{query}&page=13").get_json()  # 20 a page: rows 240–259
        assert [item["id"] for item in api["items"]] == expected[240:260]

    def test_a_common_word_matches_many_listings_and_a_rare_one_few(self, client, scale):
        common = _total_on_page(client.get("/products?q=beras").get_data(as_text=True))
        assert common >= scale["public"] * 0.05
        rare = client.get("/products?q=kecombrang")
        assert rare.status_code == 200 and _total_on_page(rare.get_data(as_text=True)) < scale["public"] * 0.01

    def test_search_with_a_filter_and_the_product_and_storefront_pages_render(self, client, scale):
        assert client.get("/products?q=keripik&kecamatan=metro-barat").status_code == 200
        product = client.get(scale["product_url"])
        assert product.status_code == 200 and scale["product_name"] in product.get_data(as_text=True)

    def test_a_storefront_with_hundreds_of_listings_shows_them_a_page_at_a_time(self, client, scale):
        slug, count = scale["big_slug"], scale["big_count"]
        assert count > 48
        seen = []
        for page in range(1, -(-count // 24) + 1):
            html = client.get(f"/producers/{slug}?page={page}").get_data(as_text=True)
            assert f"({count:,})".replace(",", ".") in html
            seen += _card_links(html)
        assert len(seen) == count == len(set(seen))
        past_the_end = client.get(f"/producers/{slug}?page=999").get_data(as_text=True)
        assert _card_links(past_the_end) == _card_links(html)  # the last page

    def test_the_facilitator_queue_shows_open_inquiries_newest_first(self, client, ctx, scale):
        page = client.get("/auth/login")
        response = client.post("/auth/login", data={"csrf_token": csrf_from(page), "email": FACILITATOR_EMAIL,
                                                    "password": FACILITATOR_PASSWORD})
        assert response.status_code == 302
        html = client.get("/facilitator/inquiries").get_data(as_text=True)
        newest_open = db.session.scalar(select(Inquiry.reference).where(Inquiry.status.in_([str(s) for s in OPEN]))
                                        .order_by(Inquiry.id.desc()).limit(1))
        refs = re.findall(r">(INQ-\d{4}-\d+)<", html)
        assert refs and refs[0] == newest_open and len(refs) == 50

    def test_the_moderator_and_the_largest_producer_sign_in_to_their_pages(self, client, ctx, scale):
        """bench/run.py measures the moderation queue and the dashboard of the producer with the most listings."""
        for email, path in ((MODERATOR_EMAIL, "/moderation/"), (PRODUCER_EMAIL, "/dashboard/")):
            page = client.get("/auth/login")
            response = client.post("/auth/login", data={"csrf_token": csrf_from(page), "email": email,
                                                        "password": FACILITATOR_PASSWORD})
            assert response.status_code == 302, email
            assert client.get(path).status_code == 200, path
            client.post("/auth/logout", data={"csrf_token": csrf_from(client.get(path))})
        owner = db.session.scalar(select(User.producer_id).where(User.email == PRODUCER_EMAIL))
        listings_of = (select(func.count(Product.id)).join(Producer)
                       .where(Producer.status == PublicationStatus.PUBLISHED).group_by(Producer.id))
        owned = db.session.scalar(select(func.count(Product.id)).where(Product.producer_id == owner))
        assert owned == max(db.session.scalars(listings_of)) > 1

    @pytest.mark.parametrize("name", ["catalog", "catalog search and filters", "catalog page 2", "storefront",
                                      "product", "home", "directory"])
    def test_query_budgets_hold_on_the_large_shape(self, app, client, ctx, scale, name):
        url, budget = PAGES[name]
        producer = db.session.get(Producer, db.session.scalar(
            select(Product.producer_id).where(Product.id == int(scale["product_url"].rsplit("/", 1)[1]))))
        url = url.format(product=scale["product_url"].rsplit("/", 1)[1], producer=producer.slug)
        client.get(url)  # warm: the counts are computed once per catalog version
        with counting() as statements:
            assert client.get(url).status_code == 200
        assert len(statements) <= budget, "\n\n".join(statements)

    def test_the_largest_storefront_needs_no_more_queries_than_a_small_one(self, app, client, ctx, scale):
        small = db.session.scalar(
            catalog.public_products().with_only_columns(Producer.slug).group_by(Producer.slug)
            .order_by(func.count(Product.id), Producer.slug).limit(1))
        counts = []
        for slug in (small, scale["big_slug"]):
            catalog_cache.clear()  # both pages cold: their cards are read from the database
            with counting() as statements:
                assert client.get(f"/producers/{slug}").status_code == 200
            counts.append(len(statements))
        assert counts[0] == counts[1]


def test_seed_scale_refuses_a_database_that_already_holds_data(ctx):
    ProductFactory(name="Beras Demo")
    with pytest.raises(DatabaseNotEmpty, match="--append"):
        seed_scale(producers=3, products=10, inquiries=5, log=lambda _line: None)
    assert db.session.scalar(select(func.count(Product.id))) == 1


def test_the_seed_scale_command_says_what_to_do_with_a_database_that_holds_data(app, ctx):
    ProductFactory(name="Beras Demo")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["seed", "scale", "--producers", "2", "--products", "3",
                                                "--inquiries", "0"])
    assert result.exit_code == 1
    assert "already holds 1 producers, 1 products" in result.output and "--append" in result.output
    assert db.session.scalar(select(func.count(Product.id))) == 1


def test_seed_scale_adds_after_what_is_there_when_asked(ctx):
    ProductFactory(name="Beras Demo")
    seed_scale(producers=3, products=10, inquiries=5, log=lambda _line: None, append=True)
    assert db.session.scalar(select(func.count(Product.id))) == 11
    assert db.session.scalar(select(func.count(Inquiry.id))) == 5
    # Ids continue: a new inquiry after the seed gets a fresh id and reference.
    assert len(set(db.session.scalars(select(Inquiry.reference)))) == 5


def test_the_ceiling_page_is_404_unless_the_benchmark_enables_it(app, client, database_url):
    assert client.get("/_bench/ceiling").status_code == 404
    bench = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, BENCH_CEILING=True,
                       UPLOAD_DIR=app.config["UPLOAD_DIR"])
    response = bench.test_client().get("/_bench/ceiling")
    assert response.status_code == 200
    assert len(_card_links(response.get_data(as_text=True))) == 24


def _category_count(client, slug: str) -> int:
    html = client.get("/products").get_data(as_text=True)
    match = re.search(rf'<option value="{slug}"[^>]*>[^<(]*\((\d+)\)</option>', html)
    assert match, f"no facet for {slug}"
    return int(match.group(1))


def test_facet_counts_follow_an_approval_and_a_suspension(client, ctx):
    producer = ProducerFactory()
    for n in range(3):
        ProductFactory(producer=producer, name=f"Beras {n}", category=category("beras-serealia"))
    waiting = ProductFactory(producer=producer, name="Beras Menunggu", category=category("beras-serealia"),
                             status=PublicationStatus.PENDING)
    moderator = UserFactory(role=Role.MODERATOR)
    assert _category_count(client, "beras-serealia") == 3
    assert _category_count(client, "beras-serealia") == 3  # served from the cached counts

    moderation.approve(waiting, moderator)
    db.session.commit()
    assert _category_count(client, "beras-serealia") == 4
    assert _total_on_page(client.get("/products").get_data(as_text=True)) == 4

    moderation.suspend(waiting, moderator, "Sertifikat halal kedaluwarsa")
    db.session.commit()
    assert _category_count(client, "beras-serealia") == 3


def test_the_curated_filter_count_follows_the_badge(client, ctx):
    producer = ProducerFactory(curated=False)
    ProductFactory(producer=producer, name="Kain Tapis")
    moderator = UserFactory(role=Role.MODERATOR)
    assert _total_on_page(client.get("/products?curated=1").get_data(as_text=True)) == 0
    moderation.set_curated(producer, True, moderator)
    db.session.commit()
    assert _total_on_page(client.get("/products?curated=1").get_data(as_text=True)) == 1


def test_an_approved_change_shows_on_the_catalog_and_storefront_cards_at_once(client, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, name="Beras Pandan Wangi", monthly_capacity=5000)
    storefront = f"/producers/{product.producer.slug}"
    assert "5 ton" in client.get("/products").get_data(as_text=True)  # this worker now keeps the card
    assert "5 ton" in client.get(storefront).get_data(as_text=True)
    values = listings.product_values(product)
    values.update(name="Beras Pandan Wangi Istimewa", monthly_capacity=7777)
    listings.save_product(product.producer, product, values, accounts.producer_a)
    listings.submit(product, accounts.producer_a)
    db.session.commit()
    waiting = client.get("/products").get_data(as_text=True)
    assert "5 ton" in waiting and "Istimewa" not in waiting  # nothing changes for buyers before review

    moderation.approve(product, accounts.moderator)
    db.session.commit()
    live = client.get("/products").get_data(as_text=True)
    assert "Beras Pandan Wangi Istimewa" in live and "7,8 ton" in live and "5 ton" not in live
    assert "Beras Pandan Wangi Istimewa" in client.get(storefront).get_data(as_text=True)


def test_a_warm_catalog_page_reads_which_listings_it_shows_not_their_cards(app, client, ctx):
    for n in range(30):
        PhotoFactory(product=ProductFactory(name=f"Kopi Robusta {n}"))
    first = client.get("/products").get_data(as_text=True)
    with counting() as statements:
        again = client.get("/products").get_data(as_text=True)
    assert _card_links(again) == _card_links(first) and len(_card_links(again)) == 24
    assert "-sm.webp" in again  # the cover photos are still there, from memory
    card_tables = re.compile(r"\b(FROM|JOIN)\s+\"?(price_tier|photo|certificate)\b", re.I)
    assert [s for s in statements if card_tables.search(s)] == []


def test_threads_asking_for_the_same_counts_at_once_compute_them_once():
    calls = []
    started = threading.Event()

    def slow_counts():
        calls.append(1)
        started.set()
        time.sleep(0.2)  # the catalog's counts over 100,000 listings take about this long on PostgreSQL
        return 42

    results = []
    threads = [threading.Thread(target=lambda: results.append(catalog_cache.cached("counts-once", slow_counts, 7)))
               for _ in range(6)]
    threads[0].start()
    started.wait(5)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(5)
    catalog_cache.clear()
    assert results == [42] * 6 and len(calls) == 1


@pytest.mark.parametrize("large", [False, True], ids=["small catalog", "keys read behind the requests"])
def test_a_deep_page_follows_a_publish_at_once(app, client, ctx, monkeypatch, large):
    """With `large`, as on a catalog of a million listings, the remembered keys of the version before are not used
    after a change: the page is found by OFFSET while the new keys are read behind the requests."""
    seed_scale(producers=5, products=700, inquiries=1, log=lambda _line: None)

    def order():
        return list(db.session.scalars(catalog.public_products().with_only_columns(Product.id)
                                       .order_by(Product.monthly_capacity.desc(), Product.id.desc())))

    def page_12():
        html = client.get("/products?page=12").get_data(as_text=True)
        return [int(re.match(r"/products/(\d+)", link).group(1)) for link in _card_links(html)]

    before = order()
    assert page_12() == before[264:288]  # the keys of this catalog version are now remembered
    if large:
        as_on_a_large_catalog(app, monkeypatch)
    capacity = db.session.get(Product, before[270]).monthly_capacity
    new = ProductFactory(name="Beras Baru Terbit", monthly_capacity=capacity + 0.5)  # lands inside page 12
    earlier = db.session.get(Product, before[100]).monthly_capacity
    ProductFactory(name="Beras Lebih Awal", monthly_capacity=earlier + 0.5)  # moves every later row on by one
    after = order()
    assert new.id in after[264:288]
    assert page_12() == after[264:288]
    if large:
        until(lambda: not catalog_cache._behind, "reading the keys behind the requests")
        assert page_12() == after[264:288]
