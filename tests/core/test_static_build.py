"""The front-end build (static/build.sh): every stylesheet, script, font and icon a page names is there,
the purged Bootstrap still has every class the templates use, and the icon sprite every icon."""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from PIL import Image

from marketplace.extensions import db
from marketplace.models import Category
from marketplace.listings import photos as images
from tests.conftest import login
from tests.factories import PhotoFactory, ProductFactory

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
TEMPLATES = ROOT / "templates"
SPRITE = STATIC / "img/icons.svg"
PURGED = STATIC / "vendor/bootstrap/bootstrap.purged.min.css"
FULL = STATIC / "vendor/bootstrap/bootstrap.min.css"

PUBLIC = ["/", "/products", "/products?q=beras", "/producers", "/auth/login", "/auth/register"]
SIGNED_IN = [("producer_a", "/dashboard/"), ("producer_a", "/dashboard/products"), ("moderator", "/moderation/"),
             ("facilitator", "/facilitator/inquiries"), ("facilitator", "/facilitator/dashboard"),
             ("admin", "/admin/"), ("admin", "/admin/users"), ("admin", "/admin/reports/print?period=6m")]


class _Assets(HTMLParser):
    """The URLs of a page's stylesheets, scripts, images and icon references."""

    def __init__(self):
        super().__init__()
        self.stylesheets, self.scripts, self.images, self.icons = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(a["href"])
        elif tag == "link" and a.get("rel") in ("icon", "preload", "modulepreload"):
            self.images.append(a["href"])
        elif tag == "script":
            assert a.get("src"), "an inline script (the CSP refuses it)"
            self.scripts.append(a["src"])
        elif tag == "img" and a.get("src", "").startswith("/static/"):
            self.images.append(a["src"])
        elif tag == "use":
            self.icons.append(a["href"])


def _assets(html: str) -> _Assets:
    parser = _Assets()
    parser.feed(html)
    return parser


def _pages(app, client, accounts) -> dict[str, str]:
    product = ProductFactory()
    PhotoFactory(product=product)
    pages = {}
    for path in [*PUBLIC, f"/products/{product.id}", f"/producers/{product.producer.slug}"]:
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = response.get_data(as_text=True)
    clients = {}
    for name, path in SIGNED_IN:
        if name not in clients:
            clients[name] = app.test_client()
            login(clients[name], accounts.by_name(name))
        response = clients[name].get(path)
        assert response.status_code == 200, path
        pages[path] = response.get_data(as_text=True)
    return pages


def _symbols() -> set[str]:
    return set(re.findall(r'<symbol id="([a-z0-9-]+)"', SPRITE.read_text()))


def _classes(css: str) -> set[str]:
    """Classes that a rule selects on their own (`.btn`, `.btn:hover`), not only inside another (`.icon-link>.bi`)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    selectors = re.findall(r"([^{}@;]+)\{", css)
    return {m.group(1) for group in selectors for one in group.split(",")
            if (m := re.fullmatch(r"\s*\.(-?[_a-zA-Z][\w-]*)(?::[\w-]+)*\s*", one))}


def test_every_stylesheet_script_font_and_icon_a_page_names_is_served(app, client, ctx, accounts):
    checked: set[str] = set()
    for path, html in _pages(app, client, accounts).items():
        found = _assets(html)
        assert found.stylesheets, path
        for url in found.stylesheets + found.scripts + found.images + [u.split("#")[0] for u in found.icons]:
            assert url.startswith("/static/"), (path, url)  # everything vendored, nothing from elsewhere
            if url in checked:
                continue
            response = client.get(url)
            assert response.status_code == 200 and response.get_data(), (path, url)
            checked.add(url)
            if url.split("?")[0].endswith(".css"):
                for target in re.findall(r"""url\(\s*['"]?([^'")\s]+)""", response.get_data(as_text=True)):
                    if target.startswith(("data:", "#")):
                        continue
                    resolved = urlsplit(urljoin(url, target)).path
                    assert client.get(resolved).status_code == 200, (url, target)
        for url in found.icons:
            assert url.split("#")[1] in _symbols(), (path, url)
    assert not [u for u in checked if "bootstrap-icons" in u or u.endswith("bootstrap.min.css")]


def test_every_icon_the_templates_and_the_categories_name_is_in_the_sprite(ctx):
    named = set()
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert '<i class="bi' not in text, template  # the icon font is gone: icon('name') instead
        named.update(re.findall(r"""\bicon\(\s*'([a-z0-9-]+)'""", text))
    named.update(db.session.scalars(db.select(Category.icon)))
    named.add(Category.icon.default.arg)
    for action in re.findall(r"\('(?:first|up|down|delete)', '([a-z0-9-]+)'", (TEMPLATES / "producer/product_form.html").read_text()):
        named.add(action)
    assert len(named) > 40
    assert named - _symbols() == set()


def test_the_purged_bootstrap_keeps_every_class_the_templates_and_bootstraps_scripts_use():
    full, purged = _classes(FULL.read_text()), _classes(PURGED.read_text())
    used = {"show", "collapsing", "collapse", "dropdown-menu-end", "navbar-expand-lg", "navbar-expand-xl",
            "alert-success", "alert-warning", "alert-danger", "alert-info"}
    for template in TEMPLATES.rglob("*.html"):
        used.update(re.findall(r"[A-Za-z][\w-]*", " ".join(re.findall(r'class="([^"]*)"', template.read_text()))))
    missing = sorted((used & full) - purged)
    assert missing == [], f"run `bash static/build.sh` again: {missing}"
    assert len(purged) < len(full) / 3  # and it is purged


@pytest.mark.parametrize("size", ["sm", "md", "lg"])
def test_the_product_page_offers_every_stored_size_of_its_main_photo_and_loads_it_first(client, ctx, size):
    product = ProductFactory()
    photo = PhotoFactory(product=product, width=1600, height=1200)
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    main = re.search(r'<div class="gallery-main"><img ([^>]*)>', html).group(1)
    assert 'fetchpriority="high"' in main and 'loading="lazy"' not in main
    widths = {"sm": 480, "md": 800, "lg": 1280}
    assert f"/media/{photo.key}-{size}.webp {widths[size]}w" in main
    assert 'sizes="' in main


def test_the_first_card_of_the_catalog_is_loaded_first_and_the_others_lazily(client, ctx):
    for _ in range(3):
        PhotoFactory(product=ProductFactory())
    html = client.get("/products").get_data(as_text=True)
    cards = re.findall(r'<img ([^>]*class="card-img-top"[^>]*)>', html)
    assert len(cards) == 3
    assert 'fetchpriority="high"' in cards[0] and 'loading="lazy"' not in cards[0]
    assert all('loading="lazy"' in card and "fetchpriority" not in card for card in cards[1:])


def test_the_chart_code_loads_deferred_and_only_on_the_dashboard(app, client, ctx, accounts):
    pages = _pages(app, client, accounts)
    for path, html in pages.items():
        charts = re.findall(r'<script src="[^"]*chart\.umd[^"]*"[^>]*>', html)
        if path == "/facilitator/dashboard":
            assert len(charts) == 1 and " defer" in charts[0]
        else:
            assert charts == [], path


# --- photo sizes ----------------------------------------------------------------------------------

def _photo_bytes(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 160, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_stored_photo_is_kept_in_three_sizes_for_the_srcset(app, ctx):
    stored = images.store(_photo_bytes(1600, 1200))
    try:
        sizes = {size: Image.open(images.path_for(stored.key, size)).size for size in ("sm", "md", "lg")}
        assert sizes == {"sm": (480, 360), "md": (800, 600), "lg": (1280, 960)}
    finally:
        images.delete(stored.key)
    assert not list(Path(app.config["UPLOAD_DIR"]).glob(f"{stored.key}-*"))


def test_a_photo_stored_before_the_middle_size_existed_gets_it_when_first_asked_for(app, client, ctx):
    stored = images.store(_photo_bytes(1600, 1200))
    images.path_for(stored.key, "md").unlink()  # as for every photo uploaded before this size was added
    try:
        response = client.get(f"/media/{stored.key}-md.webp")
        assert response.status_code == 200 and response.mimetype == "image/webp"
        assert Image.open(io.BytesIO(response.get_data())).size == (800, 600)
        assert images.path_for(stored.key, "md").exists()  # made once, then served as a file
        assert client.get(f"/media/{'0' * 32}-md.webp").status_code == 404  # no photo, nothing to make it from
        assert client.get(f"/media/{stored.key}-xl.webp").status_code == 404
    finally:
        images.delete(stored.key)
