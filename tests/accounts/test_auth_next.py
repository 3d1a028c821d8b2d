"""`next=` after signing in only ever leads to a path on this site (QUALITY.md: authentication)."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from marketplace.core.security import safe_next
from tests.authflow import hidden_value, location_path, sign_in
from tests.conftest import PASSWORD, csrf_from

HOSTILE = [
    "https://evil.example",
    "http://evil.example/dashboard/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http:/evil.example",
    "https:evil.example",
    "evil.example",
    "dashboard/products",
    "",
]


@pytest.mark.parametrize("target", [
    "https://evil.example", "//evil.example", "/\\evil.example", "/\t/evil.example",
    "javascript:alert(1)", "http:/evil.example", "https:evil.example", "///evil.example",
])
def test_a_next_leading_off_the_site_lands_on_the_default_page(client, accounts, target):
    response = sign_in(client, accounts.producer_a.email, PASSWORD, next=target)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).netloc in ("", "etalase.test")
    assert location_path(response) == "/dashboard/"


def test_a_percent_encoded_tab_in_next_lands_on_the_default_page(client, accounts):
    # ?next=/%09/evil.example arrives as "/<TAB>/evil.example"; browsers drop the tab: "//evil.example".
    page = client.get("/auth/login?next=/%09/evil.example")
    assert hidden_value(page, "next") == "/\t/evil.example"
    response = client.post("/auth/login", data={"csrf_token": csrf_from(page), "email": accounts.producer_a.email,
                                                "password": PASSWORD, "next": hidden_value(page, "next")})
    assert location_path(response) == "/dashboard/"


def test_a_next_given_only_in_the_query_string_of_the_post_is_checked_too(client, accounts):
    token = csrf_from(client.get("/auth/login"))
    response = client.post("/auth/login?next=//evil.example",
                           data={"csrf_token": token, "email": accounts.producer_a.email, "password": PASSWORD})
    assert location_path(response) == "/dashboard/"


@pytest.mark.parametrize("target", ["/dashboard/products", "/dashboard/products?page=2", "/producers/usaha-a"])
def test_a_next_on_this_site_is_followed(client, accounts, target):
    response = sign_in(client, accounts.producer_a.email, PASSWORD, next=target)
    assert response.headers["Location"] in (target, "http://etalase.test" + target)


def test_the_login_page_a_protected_page_sends_you_to_comes_back_there(client, accounts):
    bounced = client.get("/dashboard/products")
    login_url = bounced.headers["Location"]
    page = client.get(login_url)
    response = client.post("/auth/login", data={"csrf_token": csrf_from(page), "email": accounts.producer_a.email,
                                                "password": PASSWORD, "next": hidden_value(page, "next")})
    assert location_path(response) == "/dashboard/products"


@pytest.mark.parametrize("lang, message", [("id", "Silakan masuk untuk membuka halaman ini."),
                                           ("en", "Please sign in to open this page.")])
def test_a_protected_page_asks_to_sign_in_in_the_visitors_language(client, ctx, lang, message):
    client.get(f"/?lang={lang}")
    page = client.get("/dashboard/products", follow_redirects=True).get_data(as_text=True)
    assert message in page


# --- safe_next on its own ----------------------------------------------------------------------

@pytest.mark.parametrize("target", HOSTILE)
def test_safe_next_refuses_anything_but_a_path_on_this_site(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", [None, "/" + "a" * 2001])
def test_safe_next_refuses_nothing_and_absurd_lengths(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", [
    "/", "/dashboard/", "/dashboard/products?page=2&q=beras", "/products/12-beras-organik#foto",
    "/producers/usaha-a?lang=en", "/products?q=kopi%20robusta",
])
def test_safe_next_keeps_a_path_on_this_site_as_it_is(target):
    assert safe_next(target) == target
