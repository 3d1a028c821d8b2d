"""Response headers every page carries, the cache rules for signed-in pages, and URL parts the database can take."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

# Ids are INTEGER columns: PostgreSQL stops at 2**31 - 1, and SQLite cannot even bind a number past 2**63 - 1.
MAX_ID = 2**31 - 1

CSP = "; ".join([
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


# Files that are the same whoever asks: they keep their long public cache even for a signed-in user.
SAME_FOR_EVERYONE = frozenset({"static", "main.media"})


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)")
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint not in SAME_FOR_EVERYONE:
        # Pages differ by language cookie and by who is signed in.
        response.vary.add("Cookie")
        if current_user and current_user.is_authenticated:
            headers["Cache-Control"] = "private, no-store"
    return response


class IdConverter(IntegerConverter):
    """`<int:…>` up to the largest id the database holds: a longer number is an unknown page (404), not a 500."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


class TextConverter(UnicodeConverter):
    """A path segment (`<slug>`, `<token>`) never holds a NUL character, which PostgreSQL refuses in text (404)."""

    def to_python(self, value: str) -> str:
        if "\x00" in value:
            raise ValidationError()
        return value


def init_app(app: Flask) -> None:
    # Before any blueprint is registered, so that every route is built with these converters.
    app.url_map.converters.update(default=TextConverter, string=TextConverter, int=IdConverter)
    app.after_request(set_security_headers)


def safe_next(target: str | None) -> str | None:
    """A `next=` value only ever leads to a path on this site; anything else gives None."""
    if not target or len(target) > 2000:
        return None
    decoded = unquote(target)  # "/%09/evil.example" hides a tab that browsers drop: "//evil.example"
    if any(ord(ch) < 0x20 or ch == "\\" for ch in target + decoded) or decoded.startswith("//"):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
