"""Errors, in one place: the error pages (the 500 handler rolls the session back), and what a refused
transition says to the person who asked for it.

A view that catches `TransitionNotAllowed` (a `TransitionConflict` is one, with code "conflict") calls
`flash_refusal(error, page)` or `refuse(error, page, location)`; the sentence depends on the page the user was on
and on the error's code, looked up in `REFUSALS`.
"""
from __future__ import annotations

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from marketplace.core.workflow import TransitionNotAllowed
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


# page → {error code: message}; the None entry is said for any other code.
REFUSALS = {
    # The producer's dashboard: sending for review, withdrawing, archiving a storefront or listing.
    "dashboard": {
        "state": _l("Status data ini sudah berubah. Muat ulang halaman."),
        "actor": _l("Anda tidak dapat melakukan tindakan ini."),
        "email_unconfirmed": _l("Konfirmasi email Anda dulu sebelum mengirim untuk ditinjau."),
        "conflict": _l("Data ini baru saja diubah orang lain. Muat ulang halaman."),
        None: _l("Tindakan ini tidak dapat dilakukan sekarang."),
    },
    # A producer answering a forwarded inquiry.
    "answer": {
        "quoted": _l("Penawaran ini sudah dimasukkan fasilitator ke penawaran harga untuk pembeli, jadi tidak dapat "
                     "diubah atau ditarik lagi. Hubungi fasilitator BUMD bila ada perubahan."),
        None: _l("Permintaan ini sudah Anda jawab."),
    },
    # A producer revising or withdrawing a sent offer.
    "offer": {
        "quoted": _l("Penawaran ini sudah dimasukkan fasilitator ke penawaran harga untuk pembeli, jadi tidak dapat "
                     "diubah atau ditarik lagi. Hubungi fasilitator BUMD bila ada perubahan."),
        None: _l("Penawaran ini tidak dapat diubah lagi. Muat ulang halaman."),
    },
    # A moderator's decision on a storefront or listing.
    "moderation": {
        "conflict": _l("Item ini sudah diputuskan oleh kurator lain atau statusnya berubah. Tidak ada yang diubah."),
        "state": _l("Item ini sudah diputuskan oleh kurator lain atau statusnya berubah. Tidak ada yang diubah."),
        "reason_required": _l("Tulis atau pilih alasan agar produsen tahu apa yang harus diperbaiki."),
        None: _l("Tindakan ini tidak dapat dilakukan."),
    },
    # A moderator verifying a certificate, or taking a verification back.
    "certificate": {
        "number_required": _l("Sertifikat tanpa nomor tidak dapat diverifikasi. Minta produsen melengkapi nomornya."),
        "expired": _l("Sertifikat ini sudah kedaluwarsa; tidak ada yang diverifikasi sampai produsen "
                      "memperbaruinya."),
        "state": _l("Status verifikasi sertifikat ini sudah berubah. Muat ulang halaman."),
        "conflict": _l("Status verifikasi sertifikat ini sudah berubah. Muat ulang halaman."),
        "actor": _l("Sertifikat ini di luar kategori kurasi Anda."),
        "reason_required": _l("Tulis alasannya; alasan dicatat di riwayat dan dibaca produsen."),
        None: _l("Tindakan ini tidak dapat dilakukan."),
    },
    # A facilitator claiming an inquiry.
    "claim": {
        "conflict": _l("Permintaan ini sudah diambil fasilitator lain."),
        None: _l("Permintaan ini tidak dapat diambil."),
    },
    # A facilitator moving an inquiry on (decline, spam, forward, negotiate, agree, close).
    "inquiry": {
        "contract_required": _l("Sepakat berarti pembeli menerima penawaran harga: kirim penawaran dulu."),
        None: _l("Status permintaan ini sudah berubah. Muat ulang halaman."),
    },
    # The buyer (or the facilitator for them) answering a quotation.
    "quotation": {
        "expired": _l("Penawaran ini sudah lewat masa berlakunya. Minta fasilitator mengirim versi baru."),
        "conflict": _l("Penawaran ini baru saja dijawab. Tidak ada yang diubah."),
        "state": _l("Penawaran ini sudah dijawab atau diganti versi baru."),
        "reason_required": _l("Tulis alasannya agar fasilitator tahu apa yang perlu diubah."),
        None: _l("Penawaran ini tidak dapat dijawab sekarang."),
    },
    # A facilitator (or a producer, for its own line) working a contract and its deliveries.
    "contract": {
        "reason_required": _l("Tulis alasannya; alasan dicatat di riwayat."),
        "conflict": _l("Kontrak ini baru saja diubah orang lain. Muat ulang halaman."),
        None: _l("Status kontrak ini sudah berubah. Muat ulang halaman."),
    },
    # The buyer cancelling from the tracking page.
    "cancel": {None: _l("Permintaan ini tidak dapat dibatalkan lagi.")},
}


def refusal_message(error: TransitionNotAllowed, page: str) -> str:
    """What the user on `page` reads when the transition they asked for was refused."""
    messages = REFUSALS[page]
    return str(messages.get(error.code, messages[None]))


def flash_refusal(error: TransitionNotAllowed, page: str) -> None:
    flash(refusal_message(error, page), "error")


def refuse(error: TransitionNotAllowed, page: str, location: str):
    """Nothing was applied: roll the request's changes back, say why, and send the user back to `location`."""
    db.session.rollback()
    flash_refusal(error, page)
    return redirect(location)
