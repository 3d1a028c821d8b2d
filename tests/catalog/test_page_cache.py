"""Rendered public pages kept for anonymous visitors (catalog/page_cache.py): one statement for a kept page, a 304
for a page the browser holds, every kind of change shown at once, and nothing of anyone's session in what is kept."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from marketplace.catalog import cache as catalog_cache, page_cache
from marketplace.extensions import db
from tests.catalog_changes import CHANGES, PAGES, build_shop, publish
from tests.conftest import login
from tests.factories import ProducerFactory, ProductFactory, category
from tests.test_query_budget import counting



@pytest.fixture
def shop(ctx, accounts):
    return build_shop(accounts)


# ---------------------------------------------------------------- cost

@pytest.mark.parametrize("name", list(PAGES))
def test_a_kept_page_costs_one_statement_the_catalog_version(app, client, shop, name):
    url = shop.urls[name]
    first = client.get(url)
    assert first.status_code == 200
    with counting() as statements:
        again = client.get(url)
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert statements == ["SELECT version FROM catalog_state WHERE id = 1"], "\n\n".join(statements)


def test_query_strings_that_read_the_same_share_one_kept_page(app, client, shop):
    kept = client.get("/products?category=beras-serealia").get_data()
    for same in ("/products?category=beras-serealia&page=1", "/products?sort=capacity&category=beras-serealia",
                 "/products?utm_source=koran&category=beras-serealia&kecamatan=nowhere",
                 "/products?category=beras-serealia&page=0"):
        with counting() as statements:
            response = client.get(same)
        assert response.get_data() == kept, same
        assert len(statements) == 1, same


def test_a_signed_in_home_page_counts_nothing_over_the_listings(app, client, shop, login_as):
    login_as("facilitator")
    client.get("/")
    with counting() as statements:
        page = client.get("/").get_data(as_text=True)
    assert "Beras Pandan Wangi" in page
    assert [s for s in statements if "GROUP BY" in s.upper()] == [], "\n\n".join(statements)


# ---------------------------------------------------------------- HTTP

@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_kept_page_is_sent_compressed_as_it_was_kept(app, client, shop, encoding):
    """A browser gets the compressed bytes kept with the page (Flask-Compress does not compress them again), and
    they open to exactly the page a client that accepts no encoding gets."""
    import gzip

    import brotli

    plain = client.get("/products", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    client.get("/products", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})  # rendered and kept, or kept
    with counting() as statements:
        sent = client.get("/products", headers={"Accept-Encoding": encoding})
    assert len(statements) == 1
    assert sent.headers["Content-Encoding"] == encoding and "Accept-Encoding" in sent.headers["Vary"]
    opened = brotli.decompress(sent.get_data()) if encoding == "br" else gzip.decompress(sent.get_data())
    assert opened == plain.get_data()
    assert int(sent.headers["Content-Length"]) == len(sent.get_data()) < len(opened) / 3
    again = client.get("/products", headers={"Accept-Encoding": encoding, "If-None-Match": sent.headers["ETag"]})
    assert again.status_code == 304


def test_a_browser_that_prefers_gzip_gets_gzip(client, shop):
    client.get("/products")
    assert client.get("/products", headers={"Accept-Encoding": "br;q=0.5, gzip"}).headers["Content-Encoding"] == "gzip"


def test_a_page_the_browser_holds_gets_a_304(client, shop):
    first = client.get("/products")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in first.headers["Vary"]
    again = client.get("/products", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    other = client.get("/products", headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200 and other.get_data() == first.get_data()


def test_the_first_render_answers_a_304_too(client, shop):
    etag = client.get("/producers").headers["ETag"]
    page_cache._clear_all()
    assert client.get("/producers", headers={"If-None-Match": etag}).status_code == 304


def test_the_api_keeps_its_one_minute_public_cache(client, shop):
    response = client.get("/api/v1/products")
    assert response.headers["Cache-Control"] == "public, max-age=60" and response.headers["ETag"]


@pytest.mark.parametrize("kind", list(CHANGES))
def test_each_kind_of_change_shows_at_once_with_a_new_etag(client, shop, kind):
    before = {url: client.get(url) for url in ("/products", f"/products/{shop.product.id}", "/")}
    url, shown = CHANGES[kind](shop)
    after = client.get(url, headers={"If-None-Match": before[url].headers["ETag"]})
    if shown is None:  # suspended: gone from the catalog, its page 404
        assert after.status_code == 200 and "Beras Pandan Wangi" not in after.get_data(as_text=True)
        assert client.get(f"/products/{shop.product.id}").status_code == 404
    else:
        assert after.status_code == 200 and shown in after.get_data(as_text=True)
    assert after.headers["ETag"] != before[url].headers["ETag"]


def test_an_unchanged_page_keeps_its_etag_across_a_new_version(client, shop):
    other = ProducerFactory(name="Usaha Lain", slug="usaha-lain")
    ProductFactory(producer=other, name="Kopi Robusta", category=category("beras-serealia"))
    storefront = client.get("/producers/usaha-lain")
    publish(shop)  # another producer's listing: nothing on this storefront changes
    again = client.get("/producers/usaha-lain", headers={"If-None-Match": storefront.headers["ETag"]})
    assert again.status_code == 304


def test_the_version_check_survives_its_connection_dropped_by_the_server(app, client, shop):
    """On PostgreSQL the version is read on a connection of its own (catalog/cache.committed_version); one the server
    has dropped (a restart, an idle timeout) is replaced within the same request, and the change still shows."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads the version in-process, on the session's connection")
    assert client.get("/products").status_code == 200  # the reader's connection is open now
    with db.engine.connect() as conn:
        dropped = conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'idle' AND query = :sql"), {"sql": catalog_cache._VERSION_SQL})
        assert any(row[0] for row in dropped)
    url, shown = publish(shop)
    response = client.get(url)
    assert response.status_code == 200 and shown in response.get_data(as_text=True)


# ---------------------------------------------------------------- nothing personal kept

def _csrf_tokens(page: str) -> list[str]:
    return re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', page)


def test_a_kept_page_holds_nothing_of_a_signed_in_visitor(app, client, shop):
    producer = shop.accounts.producer_a
    producer.name = "Siti Rahmawati"
    db.session.commit()
    login(client, producer)
    seen = {}
    for name, url in shop.urls.items():
        page = client.get(url)
        assert page.headers["Cache-Control"] == "private, no-store"
        seen[name] = page.get_data(as_text=True)
    assert "Siti Rahmawati" in seen["catalog"]  # the signed-in menu, never from the kept copy
    tokens = _csrf_tokens(seen["catalog"])
    assert tokens
    client.post("/auth/logout", data={"csrf_token": tokens[0]})
    stranger = app.test_client()
    for name, url in shop.urls.items():
        for visitor in (client, stranger):
            response = visitor.get(url)
            page = response.get_data(as_text=True)
            assert "Siti Rahmawati" not in page and producer.email not in page, name
            assert "csrf_token" not in page and not any(t in page for t in tokens), name
            assert "Keluar" not in page, name


def test_a_page_kept_for_anonymous_visitors_is_not_served_to_a_signed_in_one(app, client, shop, login_as):
    anonymous = app.test_client().get("/products").get_data(as_text=True)
    assert "Masuk" in anonymous
    user = login_as("moderator")
    page = client.get("/products").get_data(as_text=True)
    assert user.email in page or (user.name and user.name in page)


def test_a_flash_message_is_shown_to_its_visitor_only_and_never_kept(app, client, shop):
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Pesan pribadi untuk Anda")]
    assert "Pesan pribadi untuk Anda" in client.get("/products").get_data(as_text=True)
    assert "Pesan pribadi untuk Anda" not in client.get("/products").get_data(as_text=True)  # shown once
    assert "Pesan pribadi untuk Anda" not in app.test_client().get("/products").get_data(as_text=True)


def test_a_kept_page_sets_no_cookie_and_the_language_choice_is_set_afresh(app, shop):
    visitor = app.test_client()
    first = visitor.get("/products")
    assert "Set-Cookie" not in first.headers  # no session is made for an anonymous visitor
    assert "Set-Cookie" not in visitor.get("/products").headers
    english = app.test_client()
    switched = english.get("/products?lang=en")
    assert "lang=en" in switched.headers["Set-Cookie"] and 'lang="en"' in switched.get_data(as_text=True)
    again = app.test_client().get("/products?lang=en")  # now served from what was kept
    assert "lang=en" in again.headers["Set-Cookie"] and again.get_data() == switched.get_data()
    assert "session=" not in again.headers["Set-Cookie"]
    assert english.get("/products").get_data() == switched.get_data()  # the cookie picks the same kept page
    assert 'lang="id"' in app.test_client().get("/products").get_data(as_text=True)


def test_a_page_that_makes_a_form_token_is_not_kept(app, client, shop):
    """The inquiry form stays dynamic; were a kept view to make a CSRF token, its page would not be kept."""
    page = client.get(f"/inquiries/new?product={shop.product.id}").get_data(as_text=True)
    token = _csrf_tokens(page)
    assert token and token != _csrf_tokens(app.test_client().get(f"/inquiries/new?product={shop.product.id}")
                                           .get_data(as_text=True))
    with app.test_request_context("/products"):
        from flask import g
        from flask_wtf.csrf import generate_csrf

        generate_csrf()
        response = app.response_class("<p>form</p>", mimetype="text/html")
        assert "csrf_token" in g and not page_cache._anyones(response)


# ---------------------------------------------------------------- the store itself

def test_the_memory_store_is_bounded_by_bytes_and_entries_least_recently_used_out_first():
    store = page_cache.BoundedMemoryCache(max_bytes=10_000, max_entries=3)
    page = ("etag", "text/html", b"x" * 2_000)
    for key in "abc":
        store.set(key, page)
    store.get("a")  # used: "b" is now the oldest
    store.set("d", page)
    assert [k for k in "abcd" if store.has(k)] == ["a", "c", "d"]
    store.set("e", ("etag", "text/html", b"x" * 6_000))
    entries, size = store.size
    assert size <= 10_000 and entries <= 3 and store.has("e")
    assert not store.set("huge", ("etag", "text/html", b"x" * 20_000))


def test_without_the_page_cache_every_request_renders(app, client, shop, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)
    client.get("/products")
    with counting() as statements:
        response = client.get("/products")
    assert len(statements) > 1 and "ETag" not in response.headers



def test_the_query_normal_forms_are_kept_per_app(app):
    """Two apps in one process (as in these tests) number their catalog versions alike; a query string read by
    one app's forms (its own category slugs) is not the other's."""
    from marketplace import create_app

    other = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    for each, slug in ((app, "beras-serealia"), (other, "lain")):
        with each.test_request_context("/products?category=x"):
            assert page_cache._normalised(lambda slug=slug: {"category": slug}, 1) == {"category": slug}
