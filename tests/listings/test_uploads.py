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
def test_real_photos_are_stored_as_webp_in_three_sizes(app, editor, fmt):
    client, product = editor
    before = set(_files(app))
    response = _upload(client, product, [(io.BytesIO(_image(fmt)), f"foto.{fmt.lower()}")])
    assert "1 foto ditambahkan." in response.get_data(as_text=True)
    new = set(_files(app)) - before
    assert len(new) == 3 and {p.name.rsplit("-", 1)[1] for p in new} == {"sm.webp", "md.webp", "lg.webp"}


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
        assert all(".." not in p.name and "passwd" not in p.name for p in new) and len(new) == 3


def test_stored_files_are_webp_in_the_three_sizes_and_the_row_keeps_the_size(app, editor):
    client, product = editor
    _upload(client, product, [(io.BytesIO(_image("JPEG", size=(1600, 1200))), "sawah.jpg")])
    photo = db.session.scalar(select(Photo))
    assert (photo.width, photo.height, photo.live, photo.product_id) == (1600, 1200, False, product.id)
    assert len(photo.key) == 32 and int(photo.key, 16) >= 0
    for size, edge in (("sm", 480), ("md", 800), ("lg", 1280)):
        with Image.open(Path(app.config["UPLOAD_DIR"]) / f"{photo.key}-{size}.webp") as stored:
            assert stored.format == "WEBP" and max(stored.size) == edge


def test_the_content_decides_not_the_name(app, editor):
    """A PNG named .jpg is a photo; a JPEG with a script glued to its end is re-encoded without it."""
    client, product = editor
    before = set(_files(app))
    response = _upload(client, product, [(io.BytesIO(_image("PNG")), "foto.jpg"),
                                         (io.BytesIO(_image("JPEG") + b"<script>alert(1)</script>"), "poliglot.jpg")])
    assert "2 foto ditambahkan." in response.get_data(as_text=True)
    new = set(_files(app)) - before
    assert len(new) == 6 and all(b"<script>" not in p.read_bytes() for p in new)


def test_a_batch_with_one_bad_file_stores_none_of_it(app, editor):
    client, product = editor
    before = set(_files(app))
    response = _upload(client, product, [(io.BytesIO(_image("JPEG")), "bagus.jpg"),
                                         (io.BytesIO(_image("PNG")), "bagus.png"),
                                         (io.BytesIO(b"<svg><script>alert(1)</script></svg>"), "jahat.svg")])
    assert "bukan foto" in response.get_data(as_text=True)
    assert set(_files(app)) == before
    assert db.session.scalar(select(func.count(Photo.id))) == 0


@pytest.mark.parametrize("existing, sent", [(12, 1), (11, 2)])
def test_more_than_twelve_photos_are_refused(app, editor, existing, sent):
    from tests.factories import PhotoFactory

    client, product = editor
    for position in range(existing):
        PhotoFactory(product=product, position=position, live=False)
    before = set(_files(app))
    response = _upload(client, product, [(io.BytesIO(_image("PNG")), f"{i}.png") for i in range(sent)])
    assert "Paling banyak 12 foto per produk." in response.get_data(as_text=True)
    assert set(_files(app)) == before
    assert db.session.scalar(select(func.count(Photo.id))) == existing


def test_twelve_photos_are_accepted(app, editor):
    from tests.factories import PhotoFactory

    client, product = editor
    for position in range(11):
        PhotoFactory(product=product, position=position, live=False)
    response = _upload(client, product, [(io.BytesIO(_image("PNG")), "ke-12.png")])
    assert "1 foto ditambahkan." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Photo.id))) == 12


def test_a_photo_over_eight_megabytes_is_refused(app, editor):
    client, product = editor
    before = set(_files(app))
    response = _upload(client, product, [(io.BytesIO(b"\xff\xd8" + b"0" * (8 * 1024 * 1024 + 10)), "besar.jpg")])
    assert "lebih dari 8 MB" in response.get_data(as_text=True)
    assert set(_files(app)) == before
    assert db.session.scalar(select(func.count(Photo.id))) == 0


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
    for bad in ("../config.py", "..%2F..%2Fetc%2Fpasswd", "x.webp", name.replace(".webp", ".html"),
                "0" * 32 + "-sm.webp", name.upper(), name[:32] + "-xl.webp", "..%2F" + name):
        assert client.get(f"/media/{bad}").status_code == 404


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
def test_files_of_an_upload_whose_transaction_rolls_back_are_removed(app, accounts, editor, outcome):
    """The files and the Photo rows arrive together or not at all."""
    from marketplace.listings import editing as listings

    _, product = editor
    before = set(_files(app))
    listings.add_photos(product, [_image("PNG")], accounts.producer_a)
    written = set(_files(app)) - before
    assert len(written) == 3
    getattr(db.session, outcome)()
    db.session.commit()  # a later commit in the same session changes nothing more
    if outcome == "commit":
        assert written <= set(_files(app)) and db.session.scalar(select(func.count(Photo.id))) == 1
    else:
        assert not written & set(_files(app)) and db.session.scalar(select(func.count(Photo.id))) == 0
