"""Compression: HTML, CSS, JS and JSON go out as brotli or gzip when the browser asks; images and small bodies never."""
from __future__ import annotations

import gzip
import os
import re

import brotli
import pytest

from tests.factories import ProductFactory


@pytest.fixture
def catalog(ctx):
    for n in range(6):
        ProductFactory(name=f"Beras Organik Contoh {n}")


def _vary(response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}


@pytest.mark.parametrize("encoding, decompress", [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_a_page_is_compressed_and_decompresses_to_the_same_html(client, catalog, encoding, decompress):
    plain = client.get("/products")
    packed = client.get("/products", headers={"Accept-Encoding": encoding})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert int(packed.headers["Content-Length"]) == len(packed.get_data()) < len(plain.get_data()) / 3
    assert decompress(packed.get_data()) == plain.get_data()
    assert {"accept-encoding", "cookie"} <= _vary(packed) and "accept-encoding" in _vary(plain)


def test_brotli_is_preferred_when_the_browser_takes_both(client, catalog):
    response = client.get("/products", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.headers["Content-Encoding"] == "br"
    assert "Beras Organik Contoh" in brotli.decompress(response.get_data()).decode()


def test_json_is_compressed(client, catalog):
    plain = client.get("/api/v1/products")
    packed = client.get("/api/v1/products", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()


def test_a_small_response_is_sent_as_it_is(client):
    response = client.get("/healthz", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200 and len(response.get_data()) < 500
    assert "Content-Encoding" not in response.headers
    assert response.get_json()["status"] == "ok"


def test_a_photo_is_never_compressed(app, client):
    name = "ab" * 16 + "-sm.webp"
    body = b"RIFF\x00\x00\x00\x00WEBPVP8 " + os.urandom(4000) + b"\x00" * 4000
    path = os.path.join(app.config["UPLOAD_DIR"], name)
    with open(path, "wb") as file:
        file.write(body)
    try:
        response = client.get(f"/media/{name}", headers={"Accept-Encoding": "gzip, br"})
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers
        assert response.get_data() == body
    finally:
        os.remove(path)


def test_a_stylesheet_is_compressed_and_still_revalidates_with_its_etag(client):
    url = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', client.get("/products").get_data(as_text=True))[1]
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert packed.headers["ETag"] != plain.headers["ETag"]  # a compressed body is a different representation
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert "immutable" in again.headers["Cache-Control"]


def test_a_signed_in_page_is_compressed_and_stays_private(client, login_as):
    login_as("moderator")
    response = client.get("/moderation/", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert {"accept-encoding", "cookie"} <= _vary(response)
    assert "</html>" in gzip.decompress(response.get_data()).decode()
