"""Hostile text in producer and product fields is shown as text, never run, on every public page and in the API."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from markupsafe import escape

from marketplace.extensions import db
from marketplace.core.formatting import nl2br
from tests.factories import CertificateFactory, ProducerFactory, ProductFactory
from tests.readonly import ReadOnly, wipe

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "javascript": "javascript:alert(1)",
    "template": "{{7*7}}",
}

# Every field gets its own one-letter marker, so a page can be checked field by field.
PRODUCER_FIELDS = {"name": "P", "description": "S", "owner_name": "O", "kelurahan": "L", "address": "A"}
PRODUCT_FIELDS = {"name": "N", "description": "D", "grade": "G", "packaging": "K", "delivery_terms": "T"}
CERTIFICATE_FIELDS = {"number": "C", "issuer": "I"}

# Which fields each page shows (the address only to staff, see the last test).
SHOWN = {
    "home": ["P", "L", "N"],
    "catalog": ["P", "N"],
    "search": ["P", "N"],
    "product": ["P", "L", "N", "D", "G", "K", "T", "C", "I"],
    "directory": ["P", "L"],
    "storefront": ["P", "S", "O", "L", "N", "C"],
}

JAVASCRIPT_URL = re.compile(r"""(?:href|src|action|formaction|srcset)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def valued(marker: str, payload: str) -> str:
    return f"{marker}{payload}"


@pytest.fixture(scope="class")
def hostile(app):
    """One storefront per payload, with the payload in every text field of the producer, a product and a certificate."""
    made = {}
    with app.app_context():
        for key, payload in PAYLOADS.items():
            producer = ProducerFactory(slug=f"usaha-{key}",
                                       **{f: valued(m, payload) for f, m in PRODUCER_FIELDS.items()})
            certificate = CertificateFactory(producer=producer,
                                             **{f: valued(m, payload) for f, m in CERTIFICATE_FIELDS.items()})
            product = ProductFactory(producer=producer, **{f: valued(m, payload) for f, m in PRODUCT_FIELDS.items()})
            product.certificates.append(certificate)
            db.session.commit()
            made[key] = SimpleNamespace(product=product.id, producer=producer.slug)
    yield made
    wipe(app)


def page_url(where: str, key: str, made: dict) -> str:
    return {
        "home": "/",
        "catalog": "/products",
        "search": "/products?q=metro+pusat",  # where every hostile storefront is
        "product": f"/products/{made[key].product}",
        "directory": "/producers",
        "storefront": f"/producers/{made[key].producer}",
    }[where]


class TestHostileText(ReadOnly):
    """Read-only: the hostile catalog is built once for the class and wiped afterwards."""

    @pytest.mark.parametrize("where", list(SHOWN))
    @pytest.mark.parametrize("payload", ["script", "attribute"])
    def test_markup_is_shown_escaped_in_every_field(self, client, hostile, where, payload):
        html = client.get(page_url(where, payload, hostile)).get_data(as_text=True)
        raw = PAYLOADS[payload]
        assert raw not in html
        missing = [m for m in SHOWN[where] if str(escape(valued(m, raw))) not in html]
        assert missing == [], f"fields {missing} not shown escaped on {where}"

    @pytest.mark.parametrize("where", list(SHOWN))
    def test_a_javascript_url_is_text_never_a_link(self, client, hostile, where):
        html = client.get(page_url(where, "javascript", hostile)).get_data(as_text=True)
        assert not JAVASCRIPT_URL.search(html)
        assert [m for m in SHOWN[where] if valued(m, PAYLOADS["javascript"]) not in html] == []

    @pytest.mark.parametrize("where", list(SHOWN))
    def test_template_syntax_is_text_never_evaluated(self, client, hostile, where):
        html = client.get(page_url(where, "template", hostile)).get_data(as_text=True)
        assert [m for m in SHOWN[where] if valued(m, "{{7*7}}") not in html] == []
        assert [m for m in SHOWN[where] if valued(m, "49") in html] == []

    @pytest.mark.parametrize("path", ["/api/v1/products", "/api/v1/producers"])
    def test_the_api_returns_the_exact_text_as_data(self, client, hostile, path):
        body = client.get(path).get_json()
        shown = {item["name"] for item in body["items"]}
        marker = "N" if path.endswith("products") else "P"
        assert shown == {valued(marker, payload) for payload in PAYLOADS.values()}

    @pytest.mark.parametrize("path", ["/api/v1/products", "/api/v1/producers"])
    def test_the_api_text_holds_no_markup_characters(self, client, hostile, path):
        """'<', '>', '&' and "'" are written as \\u escapes: the JSON stays inert even where it is taken for HTML."""
        response = client.get(path)
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        text = response.get_data(as_text=True)
        assert [ch for ch in "<>&'" if ch in text] == []

    def test_hostile_search_words_are_shown_escaped(self, client, hostile):
        raw = PAYLOADS["attribute"]
        html = client.get("/products", query_string={"q": raw}).get_data(as_text=True)
        assert raw not in html
        assert f'value="{escape(raw)}"' in html  # kept in the search box, as text

    def test_hostile_directory_search_is_shown_escaped(self, client, hostile):
        raw = PAYLOADS["script"]
        html = client.get("/producers", query_string={"q": raw}).get_data(as_text=True)
        assert raw not in html and str(escape(raw)) in html


@pytest.mark.parametrize("payload", ["script", "attribute"])
def test_contact_details_shown_to_staff_are_escaped(client, accounts, login_as, payload):
    raw = PAYLOADS[payload]
    store = accounts.producer_a_store
    store.address = valued("A", raw)
    store.email = valued("E", raw)
    db.session.commit()
    ProductFactory(producer=store)
    login_as("facilitator")
    html = client.get(f"/producers/{store.slug}").get_data(as_text=True)
    assert raw not in html
    assert str(escape(valued("A", raw))) in html and str(escape(valued("E", raw))) in html


def test_no_template_marks_data_as_safe():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"\|\s*safe\b|autoescape\s+false|Markup\(", text):
            offenders.append(str(template.relative_to(TEMPLATES)))
    assert offenders == []


def test_line_breaks_in_descriptions_keep_the_text_escaped():
    assert str(nl2br('<b>satu</b>\n"dua"')) == "&lt;b&gt;satu&lt;/b&gt;<br>&#34;dua&#34;"
