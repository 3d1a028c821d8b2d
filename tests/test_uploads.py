"""Photos: only real JPEG/PNG/WebP, re-encoded without EXIF, under generated names; the rest is refused."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Photo
from tests.conftest import csrf_from, login
from tests.factories import ProductFactory


def _image(fmt: str, size=(64, 48), exif: bool = False) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 60))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "KameraRahasia"  # Make
        data[0x8825] = {2: (6.0, 7.0, 8.0)}  # GPS
        kwargs["exif"] = data.tobytes()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def _bomb_png(width=50000, height=50000) -> bytes:
    """A tiny PNG whose header declares an enormous picture."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b"")


@pytest.fixture
def editor(app, accounts):
    product = ProductFactory(producer=accounts.producer_a_store, status="draft")
    client = app.test_client()
    login(client, accounts.producer_a)
    return client, product


def _upload(client, product, files):
    token = csrf_from(client.get(f"/dashboard/products/{product.id}/edit"))
    return client.post(f"/dashboard/products/{product.id}/photos", data={"csrf_token": token, "photos": files},
                       content_type="multipart/form-data", follow_redirects=True)


def _files(app) -> list[Path]:
    return sorted(Path(app.config["UPLOAD_DIR"]).glob("*.webp"))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_real_photos_are_stored_as_webp_in_two_sizes(app, editor, fmt):
    client, product = editor
    before = set(_files(app))
    response = _upload(client, product, [(io.BytesIO(_image(fmt)), f"foto.{fmt.lower()}")])
    assert "1 foto ditambahkan." in response.get_data(as_text=True)
    new = set(_files(app)) - before
    assert len(new) == 2 and {p.name.rsplit("-", 1)[1] for p in new} == {"sm.webp", "lg.webp"}


def test_exif_and_gps_are_removed(app, editor):
    client, product = editor
    before = set(_files(app))
    _upload(client, product, [(io.BytesIO(_image("JPEG", exif=True)), "kamera.jpg")])
    for path in set(_files(app)) - before:
        with Image.open(path) as image:
            assert not image.getexif()
            assert b"KameraRahasia" not in path.read_bytes()


@pytest.mark.parametrize("name, data, message", [
    ("gambar.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "bukan foto"),
    ("halaman.png", b"<html><script>alert(1)</script></html>", "bukan foto"),
    ("animasi.gif", None, "bukan foto"),
    ("bom.png", _bomb_png(), "terlalu besar"),
    ("rusak.jpg", None, "bukan foto"),
    ("../../etc/passwd.png", None, None),
])
def test_hostile_uploads_are_refused_and_leave_nothing(app, editor, name, data, message):
    client, product = editor
    if name == "animasi.gif":
        data = _image("GIF")
    elif name == "rusak.jpg":
        data = _image("JPEG")[:200]
    elif data is None:
        data = _image("PNG")  # a real picture with a hostile file name: stored under a generated name
    before = set(_files(app))
    response = _upload(client, product, [(io.BytesIO(data), name)])
    page = response.get_data(as_text=True)
    new = set(_files(app)) - before
    if message:
        assert message in page
        assert new == set()
        assert db.session.scalar(select(func.count(Photo.id))) == 0
    else:
        assert all(".." not in p.name and "passwd" not in p.name for p in new) and len(new) == 2


def test_a_photo_over_eight_megabytes_is_refused(app, editor):
    client, product = editor
    response = _upload(client, product, [(io.BytesIO(b"\xff\xd8" + b"0" * (8 * 1024 * 1024 + 10)), "besar.jpg")])
    assert "lebih dari 8 MB" in response.get_data(as_text=True)


def test_a_body_over_the_limit_gets_413(app, editor):
    client, product = editor
    token = csrf_from(client.get(f"/dashboard/products/{product.id}/edit"))
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post(f"/dashboard/products/{product.id}/photos", content_type="multipart/form-data",
                               data={"csrf_token": token, "photos": [(io.BytesIO(b"x" * 5000), "a.jpg")]})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert "Berkas terlalu besar" in response.get_data(as_text=True)


def test_media_serves_only_generated_names_as_webp(app, editor):
    client, product = editor
    _upload(client, product, [(io.BytesIO(_image("PNG")), "a.png")])
    name = _files(app)[0].name
    response = client.get(f"/media/{name}")
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for bad in ("../config.py", "..%2F..%2Fetc%2Fpasswd", "x.webp", name.replace(".webp", ".html")):
        assert client.get(f"/media/{bad}").status_code == 404
