"""Static files: fingerprinted URLs in every page, cached for a year; plain URLs briefly; a change gives a new URL."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from marketplace.core.static_files import Manifest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
FINGERPRINT = r"\.[0-9a-f]{12}"


def _links(page: str) -> dict[str, str]:
    """Every /static/... URL in a page, keyed by the file name without its fingerprint."""
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    return {re.sub(FINGERPRINT + r"(?=\.[^./]+$)", "", url): url for url in urls}


def _immutable(response) -> bool:
    cache = response.headers["Cache-Control"]
    return "public" in cache and "max-age=31536000" in cache and "immutable" in cache


def test_pages_link_fingerprinted_static_files_served_for_a_year_with_their_content(client):
    links = _links(client.get("/products").get_data(as_text=True))
    for plain, name in [("/static/css/app.css", "css/app.css"),
                        ("/static/vendor/bootstrap/bootstrap.bundle.min.js", "vendor/bootstrap/bootstrap.bundle.min.js"),
                        ("/static/img/logo.svg", "img/logo.svg")]:
        url = links[plain]
        assert re.fullmatch(r"/static/.+" + FINGERPRINT + r"\.(css|js|svg)", url), url
        response = client.get(url)
        assert response.status_code == 200
        assert _immutable(response), response.headers["Cache-Control"]
        assert response.get_data() == (STATIC / name).read_bytes()


def test_a_plain_static_url_still_works_with_a_short_cache_and_revalidates(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "immutable" not in response.headers["Cache-Control"]
    assert "max-age=600" in response.headers["Cache-Control"]
    again = client.get("/static/css/app.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_fingerprinted_url_answers_a_conditional_request_with_304(client):
    url = _links(client.get("/products").get_data(as_text=True))["/static/css/app.css"]
    first = client.get(url)
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_an_old_fingerprint_gets_todays_file_without_the_long_cache(client):
    response = client.get("/static/css/app.0123456789ab.css")
    assert response.status_code == 200
    assert response.get_data() == (STATIC / "css/app.css").read_bytes()
    assert "immutable" not in response.headers["Cache-Control"]
    assert client.get("/static/css/tidak-ada.css").status_code == 404


def test_static_files_stay_public_for_a_signed_in_user_and_do_not_vary_by_cookie(client, login_as):
    login_as("moderator")
    page = client.get("/moderation/")
    assert page.headers["Cache-Control"] == "private, no-store"
    response = client.get(_links(page.get_data(as_text=True))["/static/css/app.css"])
    assert _immutable(response) and "private" not in response.headers["Cache-Control"]
    assert "cookie" not in response.headers.get("Vary", "").lower()


# --- the manifest, on a static folder of our own ------------------------------------------------

@pytest.fixture
def folder(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts/icons.woff2").write_bytes(b"font v1")
    (tmp_path / "css/site.css").write_text('.i{src:url("../fonts/icons.woff2?v=1") format("woff2")}'
                                           '.x{background:url(data:image/png;base64,AAAA)}')
    (tmp_path / "app.js").write_text("console.log(1)")
    return tmp_path


def test_a_changed_file_gets_a_new_url_and_the_others_keep_theirs(folder):
    before = Manifest(folder)
    (folder / "app.js").write_text("console.log(2)")
    after = Manifest(folder)
    assert re.fullmatch(r"app" + FINGERPRINT + r"\.js", before.url_for("app.js"))
    assert after.url_for("app.js") != before.url_for("app.js")
    assert after.url_for("css/site.css") == before.url_for("css/site.css")
    assert after.url_for("tidak-ada.png") == "tidak-ada.png"


def test_a_changed_font_changes_the_url_of_the_stylesheet_that_names_it(folder):
    before = Manifest(folder)
    (folder / "fonts/icons.woff2").write_bytes(b"font v2")
    after = Manifest(folder)
    assert after.url_for("css/site.css") != before.url_for("css/site.css")
    body = after.entries[after.url_for("css/site.css")].body.decode()
    assert f'url("../{after.url_for("fonts/icons.woff2")}?v=1")' in body
    assert "url(data:image/png;base64,AAAA)" in body  # data: URLs are left alone


def test_in_development_an_edited_file_gets_a_new_url_without_a_restart(folder):
    manifest = Manifest(folder, reload=True)
    first = manifest.url_for("app.js")
    (folder / "app.js").write_text("console.log('diubah')")
    os.utime(folder / "app.js", ns=(1, 1))
    assert manifest.url_for("app.js") != first
