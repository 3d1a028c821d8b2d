"""E-mail through an outbox: a message is a row first, written in the same transaction as the
change that caused it, and delivered from there. A mail-server outage loses nothing.

Delivery claims each row with a conditional UPDATE before sending, so several senders
(cron on two machines, the after-request hook) never deliver one message twice.
"""
from __future__ import annotations

import smtplib
import socket
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import Flask, current_app, g, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy import or_, select, update

from marketplace.extensions import db
from marketplace.models import OutboundMessage, OutboxStatus, utcnow

STUCK_AFTER = timedelta(minutes=10)  # a sender that crashed mid-send leaves 'sending' behind
CONNECT_ERRORS = (ConnectionError, socket.timeout, socket.gaierror, OSError)


def queue_email(to: str, template: str, *, locale: str = "id", **context) -> OutboundMessage:
    """Render templates/email/<template>.{subject.txt,txt,html} in the recipient's language and queue it.

    Never commits: the message commits (or rolls back) with the caller's transaction.
    """
    with force_locale(locale or "id"):
        subject = " ".join(render_template(f"email/{template}.subject.txt", **context).split())
        body_text = render_template(f"email/{template}.txt", **context)
        body_html = render_template(f"email/{template}.html", lang=locale or "id", **context)
    message = OutboundMessage(to_address=to, subject=subject, body_text=body_text, body_html=body_html,
                              template=template, status=OutboxStatus.QUEUED)
    db.session.add(message)
    db.session.flush()
    if has_request_context():
        g.setdefault("outbox_ids", []).append(message.id)
    return message


def _claim(message_id: int) -> bool:
    stale = utcnow() - STUCK_AFTER
    result = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id,
               or_(OutboundMessage.status == str(OutboxStatus.QUEUED),
                   (OutboundMessage.status == str(OutboxStatus.SENDING)) & (OutboundMessage.claimed_at < stale)))
        .values(status=str(OutboxStatus.SENDING), claimed_at=utcnow(), attempts=OutboundMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _email(message: OutboundMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="etalasemetro.id")
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _connect() -> smtplib.SMTP:
    return smtplib.SMTP(current_app.config["MAIL_SERVER"], current_app.config["MAIL_PORT"], timeout=10)


def send_pending(limit: int = 100, ids: list[int] | None = None) -> tuple[int, int]:
    """Deliver queued messages (or just `ids`); returns (sent, failed). Failures stay queued with the error."""
    stale = utcnow() - STUCK_AFTER
    query = select(OutboundMessage.id).where(or_(
        OutboundMessage.status == str(OutboxStatus.QUEUED),
        (OutboundMessage.status == str(OutboxStatus.SENDING)) & (OutboundMessage.claimed_at < stale),
    )).order_by(OutboundMessage.id).limit(limit)
    if ids is not None:
        query = query.where(OutboundMessage.id.in_(ids))
    candidates = list(db.session.scalars(query))
    db.session.commit()
    if not candidates:
        return 0, 0
    sent = failed = 0
    connection = None
    try:
        for message_id in candidates:
            if not _claim(message_id):
                continue  # another sender has it
            message = db.session.get(OutboundMessage, message_id)
            try:
                if connection is None:
                    connection = _connect()
                connection.send_message(_email(message))
            except (smtplib.SMTPException, *CONNECT_ERRORS) as error:
                message.status = OutboxStatus.QUEUED
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                db.session.commit()
                failed += 1
                if connection is None or isinstance(error, CONNECT_ERRORS):
                    # The server is not there: leave the rest queued rather than wait on each.
                    failed += _release_unsent(candidates[candidates.index(message_id) + 1:], message.last_error)
                    break
                continue
            message.status = OutboxStatus.SENT
            message.sent_at = utcnow()
            message.last_error = ""
            db.session.commit()
            sent += 1
    finally:
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, *CONNECT_ERRORS):
                pass
    return sent, failed


def _release_unsent(ids: list[int], error: str) -> int:
    """Record the outage on messages not tried in this run; they stay queued."""
    if not ids:
        return 0
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(ids), OutboundMessage.status == str(OutboxStatus.QUEUED))
        .values(last_error=error)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return len(ids)


def _send_after_response(response):
    """Best effort: try the messages this request queued once the response has gone out."""
    ids = g.pop("outbox_ids", None)
    if not ids or response.status_code >= 400 or not current_app.config.get("OUTBOX_SEND_AFTER_REQUEST", True):
        return response
    app = current_app._get_current_object()

    def deliver():
        with app.app_context():
            try:
                send_pending(ids=ids)
            except Exception:  # noqa: BLE001 — never let mail trouble reach the user
                app.logger.exception("outbox: sending after the request failed; the messages stay queued")
            finally:
                db.session.remove()

    response.call_on_close(deliver)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_send_after_response)
