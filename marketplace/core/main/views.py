"""Health check and uploaded media."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, jsonify, render_template, send_from_directory
from sqlalchemy import text

from marketplace.extensions import db, limiter
from marketplace.listings import photos as images

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


@bp.get("/_bench/ceiling")
def ceiling():
    """The benchmark's ceiling: base template + 24 product cards from memory, no database.
    Exists only when the server runs with BENCH_CEILING=1 (bench/run.py); a 404 otherwise."""
    if not current_app.config.get("BENCH_CEILING"):
        abort(404)
    from marketplace.seed.scale import ceiling_products

    return render_template("main/ceiling.html", products=ceiling_products())
