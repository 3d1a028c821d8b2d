"""Health check and uploaded media."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, jsonify, render_template, send_from_directory
from flask_login import current_user
from sqlalchemy import select, text

from marketplace.core import policies
from marketplace.extensions import db, limiter
from marketplace.listings import certificates as documents
from marketplace.listings import photos as images
from marketplace.models import CertificateDocument

bp = Blueprint("main", __name__)

_MEDIA_NAME = re.compile(r"^[0-9a-f]{32}-(sm|md|lg)\.webp$")


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 — any database failure means "not healthy"
        current_app.logger.exception("health check: database unreachable")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/media/<name>")
def media(name: str):
    """Photos are only ever served from generated names, with a fixed content type."""
    match = _MEDIA_NAME.match(name)
    if not match:
        abort(404)
    if not images.ensure_variant(name[:32], match.group(1)):  # photos stored before the "md" size get it now
        abort(404)
    response = send_from_directory(images.upload_dir(), name, mimetype="image/webp", max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


_DOCUMENT_KEY = re.compile(r"^[0-9a-f]{32}$")


@bp.get("/media/certificates/<document_key>")
def certificate_document(document_key: str):
    """A certificate's scanned document, for whom core/policies.can_view_certificate_document allows: anyone else
    gets the same 404 as for a key that does not exist."""
    document = db.session.scalar(select(CertificateDocument).where(CertificateDocument.key == document_key)) \
        if _DOCUMENT_KEY.match(document_key) else None
    if document is None or not policies.can_view_certificate_document(current_user, document):
        abort(404)
    path = documents.path_for(document.key, document.media_type)
    if not path.exists():
        abort(404)
    public = document.is_public
    response = send_from_directory(path.parent, path.name, mimetype=document.media_type,
                                   download_name=f"sertifikat-{document.key[:8]}.{path.suffix[1:]}",
                                   max_age=300 if public else 0)
    response.headers["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/_bench/ceiling")
def ceiling():
    """The benchmark's ceiling: base template + 24 product cards from memory, no database.
    Exists only when the server runs with BENCH_CEILING=1 (bench/run.py); a 404 otherwise."""
    if not current_app.config.get("BENCH_CEILING"):
        abort(404)
    from marketplace.seed.scale import ceiling_products

    return render_template("main/ceiling.html", products=ceiling_products())
