"""Error pages, in one place. The 500 handler rolls the session back."""
from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException

from marketplace.extensions import db

PAGES = {403, 404, 405, 413, 429}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def handle_http(error: HTTPException):
    if request_ctx.url_adapter is None:
        # A host this site does not serve (TRUSTED_HOSTS, 400): the page's links go to the site itself.
        request_ctx.url_adapter = current_app.create_url_adapter(None)
        if request_ctx.url_adapter is None:  # no SERVER_NAME to build them from
            return error.get_response()
    if _wants_json():
        return jsonify(error=error.name, status=error.code), error.code
    template = f"errors/{error.code}.html" if error.code in PAGES else "errors/generic.html"
    return render_template(template, error=error), error.code


def handle_500(error):
    db.session.rollback()
    if _wants_json():
        return jsonify(error="Internal Server Error", status=500), 500
    return render_template("errors/500.html"), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(500, handle_500)
