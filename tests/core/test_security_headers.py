"""Response headers on every kind of response, no inline script or style, the production secret, CSRF."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace import create_app
from tests.factories import ProductFactory
from tests.readonly import ReadOnly, wipe

ROOT = Path(__file__).resolve().parents[2]

RESPONSES = {
    "html page": "/products",
    "product page": "/products/{product}",
    "json": "/api/v1/products",
    "openapi": "/api/v1/openapi.json",
    "healthz": "/healthz",
    "html 404": "/tidak-ada",
    "json 404": "/api/v1/tidak-ada",
    "static css": "/static/css/app.css",
    "static js": "/static/vendor/bootstrap/bootstrap.bundle.min.js",
}

PUBLIC_PAGES = ["/", "/?lang=en", "/products", "/products?q=beras&category=beras-serealia&sort=price_asc",
                "/products/{product}", "/producers", "/producers?q=gapoktan", "/producers/{producer}",
                "/inquiries/new", "/inquiries/new?product={product}", "/inquiries/new?producer={producer}",
                "/auth/login", "/auth/register", "/auth/reset", "/tidak-ada"]


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed


@pytest.fixture(scope="class")
def shop(app):
    with app.app_context():
        product = ProductFactory(name="Beras Premium")
        ids = {"product": product.id, "producer": product.producer.slug}
    yield ids
    wipe(app)


class TestHeadersAndMarkup(ReadOnly):
    """Read-only requests on one small catalog, built once for the class."""

    def fetch(self, client, shop, url):
        response = client.get(url.format(**shop))
        assert response.status_code in (200, 404), url
        return response

    @pytest.mark.parametrize("kind", list(RESPONSES))
    def test_csp_allows_only_this_site_and_no_plugins_bases_or_framing(self, client, shop, kind):
        csp = directives(self.fetch(client, shop, RESPONSES[kind]).headers["Content-Security-Policy"])
        assert csp["default-src"] == ["'self'"]
        assert csp["object-src"] == ["'none'"]
        assert csp["base-uri"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'none'"]

    @pytest.mark.parametrize("kind", list(RESPONSES))
    def test_csp_allows_no_inline_or_foreign_script(self, client, shop, kind):
        csp = directives(self.fetch(client, shop, RESPONSES[kind]).headers["Content-Security-Policy"])
        scripts = csp.get("script-src", csp["default-src"])
        assert scripts == ["'self'"]
        assert all("unsafe" not in value for values in csp.values() for value in values)

    @pytest.mark.parametrize("kind", list(RESPONSES))
    def test_nosniff_referrer_policy_and_no_framing(self, client, shop, kind):
        headers = self.fetch(client, shop, RESPONSES[kind]).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "same-origin", "no-referrer",
                                              "strict-origin")
        assert headers["X-Frame-Options"] == "DENY"

    def test_no_hsts_on_the_plain_http_test_server(self, client, shop):
        assert "Strict-Transport-Security" not in client.get("/").headers

    @pytest.mark.parametrize("url", PUBLIC_PAGES)
    def test_no_inline_script(self, client, shop, url):
        html = self.fetch(client, shop, url).get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", html, re.IGNORECASE)
        assert scripts, "every page loads its scripts from files"
        assert [tag for tag in scripts if not re.search(r"\bsrc=", tag)] == []
        bodies = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.IGNORECASE | re.DOTALL)
        assert [body for body in bodies if body.strip()] == []

    @pytest.mark.parametrize("url", PUBLIC_PAGES)
    def test_no_inline_style(self, client, shop, url):
        html = self.fetch(client, shop, url).get_data(as_text=True)
        assert re.findall(r"<[^>]+\sstyle\s*=", html, re.IGNORECASE) == []
        assert "<style" not in html.lower()

    @pytest.mark.parametrize("url", PUBLIC_PAGES)
    def test_no_inline_event_handlers_or_javascript_urls(self, client, shop, url):
        html = self.fetch(client, shop, url).get_data(as_text=True)
        assert re.findall(r"<[^>]+\son[a-z]+\s*=", html, re.IGNORECASE) == []
        assert "javascript:" not in html.lower()


# ------------------------------------------------------------------ production settings

_PROBE = """
import json, os
from marketplace import create_app
results = {}
for env in ({"APP_ENV": "production"}, {}):
    os.environ.pop("APP_ENV", None)
    os.environ.update(env)
    try:
        create_app()
        results[env.get("APP_ENV", "unset")] = "started"
    except RuntimeError as exc:
        results[env.get("APP_ENV", "unset")] = str(exc)
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def started_without_secret(tmp_path_factory) -> dict:
    """create_app() in a fresh interpreter whose environment has no SECRET_KEY, as a server would start."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "APP_ENV", "DATABASE_URL")}
    env["INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    done = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_refuses_to_start_without_secret_key(started_without_secret):
    assert "SECRET_KEY" in started_without_secret["production"]


def test_without_app_env_the_app_is_production_and_refuses_too(started_without_secret):
    assert "SECRET_KEY" in started_without_secret["unset"]


@pytest.mark.parametrize("secret", [None, ""])
def test_production_refuses_an_empty_secret_key(secret, tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=secret, SQLALCHEMY_DATABASE_URI="sqlite://")


@pytest.fixture
def production(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    return create_app("production", SECRET_KEY="a-real-secret-from-the-environment",
                      SQLALCHEMY_DATABASE_URI="sqlite://", UPLOAD_DIR=str(tmp_path / "uploads"), SERVER_NAME="etalase.test",
                      RATELIMIT_PER_PROCESS=True)


def test_production_sends_hsts(production):
    response = production.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_cookies_are_secure_httponly_and_lax(production):
    config = production.config
    assert (config["SESSION_COOKIE_SECURE"], config["SESSION_COOKIE_HTTPONLY"], config["SESSION_COOKIE_SAMESITE"]) \
        == (True, True, "Lax")
    assert (config["REMEMBER_COOKIE_SECURE"], config["REMEMBER_COOKIE_HTTPONLY"]) == (True, True)


# ------------------------------------------------------------------ CSRF

def test_csrf_protection_is_on_in_production(production):
    assert "csrf" in production.extensions
    assert production.config.get("WTF_CSRF_ENABLED", True) is True


def test_csrf_protection_is_on_in_the_app_under_test(app):
    assert "csrf" in app.extensions and app.config["WTF_CSRF_ENABLED"] is True


@pytest.mark.parametrize("url, data", [
    ("/auth/login", {"email": "a@contoh.id", "password": "kata-sandi-yang-panjang"}),
    ("/inquiries/new", {"company": "PT Contoh", "email": "beli@contoh.id"}),
])
def test_a_form_post_without_a_csrf_token_is_refused(client, ctx, url, data):
    response = client.post(url, data=data)
    assert response.status_code == 400


def test_a_form_post_with_a_forged_csrf_token_is_refused(client, ctx):
    client.get("/auth/login")
    response = client.post("/auth/login", data={"email": "a@contoh.id", "password": "x" * 12,
                                                "csrf_token": "IjEyMzQ1Ig.forged.token"})
    assert response.status_code == 400


# ------------------------------------------------------------------ headers on error responses and photos

MEDIA_NAME = "0123456789abcdef0123456789abcdef-sm.webp"


@pytest.fixture
def production_app(app, tmp_path, monkeypatch):
    """A production app on the migrated test database: errors go through the error pages, not to the test."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    application = create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                             UPLOAD_DIR=str(tmp_path / "uploads"), RATELIMIT_PER_PROCESS=True, SERVER_NAME="etalase.test",
                             MAX_CONTENT_LENGTH=2000, LOGIN_LIMIT_ADDRESS="1 per hour")

    def broken():
        raise ZeroDivisionError("a bug")

    application.add_url_rule("/_test/broken", view_func=broken)
    (tmp_path / "uploads" / MEDIA_NAME).write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 ")
    yield application
    from marketplace.extensions import limiter

    with application.app_context():
        limiter.reset()


def _error_responses(application) -> dict:
    client = application.test_client()
    # The Secure session cookie comes back only over https, where Flask-WTF also wants a same-site Referer.
    https = {"base_url": "https://etalase.test", "headers": {"Referer": "https://etalase.test/auth/login"}}
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/auth/login", **https).get_data(as_text=True))[1]
    wrong = {"email": "siapa@contoh.id", "password": "salah-salah-salah", "csrf_token": token}
    counted = client.post("/auth/login", data=wrong, **https)
    assert counted.status_code == 200
    return {
        405: client.post("/healthz", **https),
        413: client.post("/auth/login", data={"email": "x" * 5000}, **https),
        429: client.post("/auth/login", data=wrong, **https),
        500: client.get("/_test/broken", **https),
        200: client.get(f"/media/{MEDIA_NAME}", **https),
    }


def test_error_responses_and_photos_carry_every_security_header_in_production(production_app):
    for status, response in _error_responses(production_app).items():
        assert response.status_code == status
        headers = response.headers
        csp = directives(headers["Content-Security-Policy"])
        assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"], status
        assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"], status
        assert headers["X-Content-Type-Options"] == "nosniff", status
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", status
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000"), status


def test_photos_keep_their_long_public_cache_for_signed_in_users(client, login_as, app):
    from pathlib import Path

    Path(app.config["UPLOAD_DIR"], MEDIA_NAME).write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 ")
    anonymous = client.get(f"/media/{MEDIA_NAME}")
    login_as("producer_a")
    signed_in = client.get(f"/media/{MEDIA_NAME}")
    page = client.get("/dashboard/")
    assert anonymous.headers["Cache-Control"] == signed_in.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert page.headers["Cache-Control"] == "private, no-store"  # signed-in pages stay private
