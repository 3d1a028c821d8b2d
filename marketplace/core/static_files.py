"""Fingerprinted static files: `url_for('static', filename='css/app.css')` gives `/static/css/app.<hash>.css`.

The manifest (original name → name with a content hash) is built once when the app starts.
A fingerprinted URL never changes content, so it is served with a year-long, immutable cache;
a plain `/static/...` URL (a bookmark, a source map, an old hash after a deploy) gets a short
public cache. Relative `url(...)` references inside CSS files (a font, an image) are
rewritten to the fingerprinted names, so those are cached for a year too; the rewritten
CSS is kept in memory and hashed after rewriting.

In development (`STATIC_RELOAD`) a file edited while the server runs gets a new hash at the
next page load.
"""
from __future__ import annotations

import hashlib
import mimetypes
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, current_app, has_request_context, request, send_from_directory, url_for
from flask.sessions import SecureCookieSessionInterface

IMMUTABLE_MAX_AGE = 365 * 24 * 3600
HASH_LENGTH = 12
_HASHED = re.compile(r"\.([0-9a-f]{%d})(?=\.[^./]+$|$)" % HASH_LENGTH)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)""")


@dataclass(frozen=True)
class Entry:
    source: str  # the file's name under the static folder
    digest: str
    body: bytes | None = None  # rewritten CSS, served from memory


def fingerprinted(name: str, digest: str) -> str:
    directory, _, base = name.rpartition("/")
    stem, dot, extension = base.rpartition(".")
    hashed = f"{stem}.{digest}.{extension}" if dot and stem else f"{base}.{digest}"
    return f"{directory}/{hashed}" if directory else hashed


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


class Manifest:
    def __init__(self, folder: str | Path, reload: bool = False) -> None:
        self.folder = Path(folder)
        self.reload = reload
        self.urls: dict[str, str] = {}  # original name → fingerprinted name
        self.entries: dict[str, Entry] = {}  # fingerprinted name → entry
        self._stamps: dict[str, tuple[int, int]] = {}
        self.build()

    def build(self) -> None:
        urls: dict[str, str] = {}
        entries: dict[str, Entry] = {}
        stamps: dict[str, tuple[int, int]] = {}
        files = sorted(p for p in self.folder.rglob("*") if p.is_file()) if self.folder.is_dir() else []
        # Everything but CSS first, so that a stylesheet can point at the fingerprinted names.
        for path in sorted(files, key=lambda p: p.suffix == ".css"):
            name = path.relative_to(self.folder).as_posix()
            stat = path.stat()
            stamps[name] = (stat.st_mtime_ns, stat.st_size)
            data = path.read_bytes()
            body = None
            if path.suffix == ".css":
                rewritten = self._rewrite_css(name, data, urls)
                if rewritten != data:
                    body = data = rewritten
            digest = _digest(data)
            hashed = fingerprinted(name, digest)
            urls[name] = hashed
            entries[hashed] = Entry(name, digest, body)
        self.urls, self.entries, self._stamps = urls, entries, stamps

    @staticmethod
    def _rewrite_css(name: str, data: bytes, urls: dict[str, str]) -> bytes:
        base = posixpath.dirname(name)
        text = data.decode("utf-8")

        def replace(match: re.Match) -> str:
            quote, target = match.group(1), match.group(2)
            if target.startswith(("/", "data:", "#")) or "://" in target:
                return match.group(0)
            path, suffix = re.match(r"([^?#]*)(.*)", target).groups()  # keep "?v=…" or "#iefix"
            resolved = posixpath.normpath(posixpath.join(base, path))
            if resolved not in urls:
                return match.group(0)
            relative = posixpath.relpath(urls[resolved], base or ".")
            return f"url({quote}{relative}{suffix}{quote})"

        return _CSS_URL.sub(replace, text).encode("utf-8")

    def _stale(self, name: str) -> bool:
        path = self.folder / name
        try:
            stat = path.stat()
        except OSError:
            return name in self._stamps
        return self._stamps.get(name) != (stat.st_mtime_ns, stat.st_size)

    def url_for(self, name: str) -> str:
        """The fingerprinted name of a static file (the name itself if there is no such file)."""
        if self.reload and self._stale(name):
            self.build()
        return self.urls.get(name, name)

    def entry(self, requested: str) -> Entry | None:
        if self.reload and requested not in self.entries:
            self.build()
        return self.entries.get(requested)


def _manifest() -> Manifest:
    return current_app.extensions["static_manifest"]


def _add_fingerprint(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values:
        values["filename"] = _manifest().url_for(values["filename"])


def _public(response: Response, max_age: int) -> Response:
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response


def serve(filename: str) -> Response:
    """The `static` endpoint: fingerprinted names for a year, anything else briefly."""
    entry = _manifest().entry(filename)
    folder = current_app.static_folder
    if entry is None:
        short = current_app.config["STATIC_MAX_AGE"]
        plain = _HASHED.sub("", filename)
        # An old fingerprint (a page cached from before a deploy) gets today's file, without the long cache.
        name = plain if plain != filename and plain in _manifest().urls else filename
        return _public(send_from_directory(folder, name, max_age=short), short)
    if entry.body is not None:
        mimetype = mimetypes.guess_type(entry.source)[0] or "application/octet-stream"
        response = Response(entry.body, mimetype=mimetype)
        response.set_etag(entry.digest)
        response.make_conditional(request)
    else:
        response = send_from_directory(folder, entry.source, max_age=IMMUTABLE_MAX_AGE)
    _public(response, IMMUTABLE_MAX_AGE)
    response.cache_control.immutable = True
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that a static file never says `Vary: Cookie`.

    Flask-Login reads the session after every request, and Flask then adds `Vary: Cookie`; on
    a static file that would make browsers and proxies keep one copy per session cookie.
    """

    def save_session(self, app, session, response) -> None:
        super().save_session(app, session, response)
        if request.endpoint == "static" and "cookie" in response.vary:
            response.headers["Vary"] = ", ".join(v for v in response.vary if v.lower() != "cookie")


def static_url(filename: str) -> str:
    """`url_for('static', filename=…)`, built once per file (a page writes the icon sprite's URL once per icon, and
    each build walks the URL map); in development (STATIC_RELOAD) built each time, so an edited file's new
    fingerprint shows."""
    app = current_app._get_current_object()
    if app.config.get("STATIC_RELOAD"):
        return url_for("static", filename=filename)
    urls = app.extensions["static_urls"]
    key = (request.script_root if has_request_context() else None, filename)
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for("static", filename=filename)
    return url


def init_app(app: Flask) -> None:
    app.extensions["static_urls"] = {}
    app.jinja_env.globals["static_url"] = static_url
    app.session_interface = SessionInterface()
    app.config.setdefault("STATIC_MAX_AGE", 600)
    app.extensions["static_manifest"] = Manifest(app.static_folder, reload=app.config.get("STATIC_RELOAD", False))
    app.url_defaults(_add_fingerprint)
    app.view_functions["static"] = serve
