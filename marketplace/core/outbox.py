"""E-mail through an outbox: a message is a row first, written in the same transaction as the
change that caused it, and delivered from there. A mail-server outage loses nothing.

Delivery claims each row with a conditional UPDATE (queued → sending) and checks the row count
before sending, so several senders (cron on two machines, the after-request hook) never
deliver one message twice. A sender that dies mid-send leaves a 'sending' row behind; after
STUCK_AFTER it may be claimed again (delivery is at least once; every attempt carries the same Message-ID).

The transport is smtplib: plain SMTP, STARTTLS (MAIL_USE_TLS) or SMTPS (MAIL_USE_SSL), the server's certificate
always verified (MAIL_TLS_CA_FILE for a private CA), and a login when MAIL_USERNAME is set (marketplace/config.py).
A refused login or a failed certificate check is the server's trouble, not one message's: the run stops and
every message stays queued with the error.
"""
from __future__ import annotations

import smtplib
import ssl
from datetime import timedelta
from time import monotonic
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask import Flask, current_app, g, has_request_context, url_for
from jinja2 import Environment
from flask_babel import force_locale
from sqlalchemy import or_, select, update

from marketplace.extensions import db
from marketplace.models import OutboundMessage, OutboxStatus, utcnow

STUCK_AFTER = timedelta(minutes=10)  # a sender that crashed mid-send leaves 'sending' behind
MAX_ERROR = 2000

# Until this moment (time.monotonic) requests leave their mail to `outbox send`: this process just found the
# mail server unreachable, and each further try could hold a worker thread for up to MAIL_TIMEOUT.
_paused_until = 0.0

__all__ = ["STUCK_AFTER", "queue_email", "send_pending", "site_url", "init_app"]


# --- writing ---------------------------------------------------------------------------------

def site_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail: the configured site (SERVER_NAME and PREFERRED_URL_SCHEME), never the
    host or scheme a request came in with; the same in a request, a command or the import."""
    return url_for(endpoint, _external=True, _scheme=current_app.config["PREFERRED_URL_SCHEME"], **values)


def queue_email(to: str, template: str, *, locale: str = "id", flush: bool = True, **context) -> OutboundMessage:
    """Render templates/email/<template>.{subject.txt,txt,html} in the recipient's language and queue it.

    `locale` is one of the app's LANGUAGES (anything else falls back to Indonesian). Adds and
    flushes, never commits: the message commits (or rolls back) with the caller's transaction.
    Inside a request the new id is remembered in `g.outbox_ids`, so the request can try to
    deliver it once the response has gone out (see `init_app`). With flush=False (many messages
    at once, as an import queues them) the caller flushes and then calls remember_for_sending.
    """
    to = (to or "").strip()
    if not to or "@" not in to or any(c in to for c in "\r\n"):
        raise ValueError(f"not an e-mail address: {to!r}")
    config = current_app.config
    if locale not in config["LANGUAGES"]:
        locale = config["BABEL_DEFAULT_LOCALE"]
    context.pop("lang", None)  # the layout's <html lang> is ours to set
    with force_locale(locale):
        subject = " ".join(_render(f"email/{template}.subject.txt", html=False, **context).split())
        body_text = _render(f"email/{template}.txt", html=False, **context)
        body_html = _render(f"email/{template}.html", html=True, lang=locale, **context)
    message = OutboundMessage(to_address=to, subject=subject[:255], body_text=body_text, body_html=body_html,
                              template=template, status=OutboxStatus.QUEUED)
    db.session.add(message)
    if flush:
        db.session.flush()
        remember_for_sending([message])
    return message


def _render(name: str, *, html: bool, **context) -> str:
    """One part of a message. The HTML part escapes everything it writes, including what it takes from an
    included .txt template (the app's own environment decides by file name, and leaves .txt unescaped); the
    text parts escape nothing. Each has an environment of its own, so a template compiled for one part (or
    for a page) is never reused for the other: escaping is decided when a template is compiled."""
    app = current_app._get_current_object()
    key = "email_jinja_html" if html else "email_jinja_text"
    environment: Environment | None = app.extensions.get(key)
    if environment is None:
        # Same loader, filters, globals and gettext as pages; an overlay starts with an empty cache of its own.
        environment = app.extensions[key] = app.jinja_env.overlay(autoescape=html)
    app.update_template_context(context)
    return environment.get_template(name).render(context)


def remember_for_sending(messages: list[OutboundMessage]) -> None:
    """Messages queued with flush=False, once the caller has flushed them: sent after this request too."""
    if has_request_context():
        g.setdefault("outbox_ids", []).extend(m.id for m in messages)


# --- delivering ------------------------------------------------------------------------------

def _claimable():
    """Queued, or 'sending' for so long that its sender must have died."""
    return or_(
        OutboundMessage.status == str(OutboxStatus.QUEUED),
        (OutboundMessage.status == str(OutboxStatus.SENDING)) & (OutboundMessage.claimed_at < utcnow() - STUCK_AFTER),
    )


def _claim(message_id: int) -> bool:
    """Take one message for this sender; False if another sender has it (or has sent it)."""
    result = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, _claimable())
        .values(status=str(OutboxStatus.SENDING), claimed_at=utcnow(), attempts=OutboundMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    claimed = result.rowcount == 1
    db.session.commit()
    return claimed


def _sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def _email(message: OutboundMessage) -> EmailMessage:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    # The same for every attempt at this row: a retry after a crashed sender is a duplicate the recipient's
    # mail service can recognise. The queued time keeps it unique if a database ever reuses ids.
    email["Message-ID"] = f"<outbox-{message.id}.{message.created_at:%Y%m%d%H%M%S}@{_sender_domain(sender)}>"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _tls_context() -> ssl.SSLContext:
    """Verifies the server's certificate and that it is for MAIL_SERVER: against MAIL_TLS_CA_FILE alone when it
    is set (a private CA; the tests' throwaway one), else against the system's CAs. Never without verification."""
    return ssl.create_default_context(cafile=current_app.config.get("MAIL_TLS_CA_FILE") or None)


def _connect() -> smtplib.SMTP:
    """A connection ready to send: TLS as configured (SMTPS, or STARTTLS), and logged in if a username is set."""
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config.get("MAIL_USE_SSL"):
        connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls_context())
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS"):
            connection.starttls(context=_tls_context())  # refuses (SMTPNotSupportedError) if the server cannot
        if config.get("MAIL_USERNAME"):
            connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except BaseException:
        _close(connection)
        raise
    return connection


def _server_trouble(error: Exception, connection: smtplib.SMTP | None) -> bool:
    """True when the server (not this one message) is the problem, so the batch should stop.

    smtplib's exceptions are OSErrors too, so the order matters: a refused recipient, sender or
    body concerns one message, and the connection stays usable for the next. Anything that is
    not an OSError (a header that cannot be written) is this message's own problem.
    """
    if not isinstance(error, OSError):
        return False
    if connection is None or connection.sock is None:
        return True  # never connected, or smtplib hung up (it does on a 421)
    if isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, smtplib.SMTPHeloError)):
        return True
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code == 530:
        return True  # "authentication (or STARTTLS) required": the settings, not this message
    if isinstance(error, smtplib.SMTPException):
        return False
    return True  # refused, reset, timed out


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR]


def send_pending(limit: int | None = 100, ids: list[int] | None = None,
                 pause_on_trouble: bool = False) -> tuple[int, int]:
    """Deliver queued messages (at most `limit`; only `ids` if given); returns (sent, failed).

    Each message is claimed and committed before it is sent, and marked sent (and committed)
    right after, so running this in several processes at once delivers each message once.
    A message the server refuses goes back to the queue with the error, for the next run. If
    the server cannot be reached the run stops at once and everything stays queued; the
    messages it did not try count as failed and carry the error too; with `pause_on_trouble` (the
    after-request sender) this process's requests then leave their mail to `outbox send` for a while.
    """
    query = select(OutboundMessage.id).where(_claimable())
    if ids is not None:
        query = query.where(OutboundMessage.id.in_(ids))
    # Fresh messages first: one that the server keeps refusing must not hold up the rest.
    query = query.order_by(OutboundMessage.attempts, OutboundMessage.id)
    if limit is not None:
        query = query.limit(limit)
    candidates = list(db.session.scalars(query))
    db.session.commit()  # end the read; each claim below is its own short transaction
    sent = failed = 0
    connection: smtplib.SMTP | None = None
    logger = current_app.logger
    try:
        for position, message_id in enumerate(candidates):
            if not _claim(message_id):
                continue  # another sender has it
            message = db.session.get(OutboundMessage, message_id)
            try:
                email = _email(message)
                if connection is None:
                    connection = _connect()
                connection.send_message(email)
            except Exception as error:  # noqa: BLE001 — whatever it is, the row must not stay 'sending'
                stop = _server_trouble(error, connection)
                message.status = OutboxStatus.QUEUED
                message.last_error = _describe(error)
                db.session.commit()
                failed += 1
                if not stop:
                    logger.warning("message %s to %s not sent: %s", message_id, message.to_address,
                                   message.last_error)
                    continue
                if pause_on_trouble:
                    _pause_after_request_sending()
                logger.warning("mail server %s:%s unreachable or refusing (%s); %d message(s) stay queued",
                               current_app.config["MAIL_SERVER"], current_app.config["MAIL_PORT"],
                               message.last_error, len(candidates) - position)
                failed += _note_untried(candidates[position + 1:], message.last_error)
                connection = _close(connection)
                break
            message.status = OutboxStatus.SENT
            message.sent_at = utcnow()
            message.last_error = ""
            db.session.commit()
            sent += 1
    finally:
        _close(connection)
    return sent, failed


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return None
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()
    return None


def _note_untried(ids: list[int], error: str) -> int:
    """Record the outage on messages this run did not get to; they stay queued. Returns how many."""
    if not ids:
        return 0
    result = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(ids), OutboundMessage.status == str(OutboxStatus.QUEUED))
        .values(last_error=error)
        .execution_options(synchronize_session=False)
    )
    count = result.rowcount
    db.session.commit()
    return count


# --- sending right after the request that queued ---------------------------------------------

def _pause_after_request_sending() -> None:
    global _paused_until
    _paused_until = monotonic() + current_app.config["OUTBOX_PAUSE_SECONDS"]


def _send_after_response(response):
    """Best effort: try the messages this request queued once the response has gone out — unless the mail
    server was found unreachable a moment ago; then they wait for `outbox send` like any queued mail."""
    ids = g.pop("outbox_ids", None)
    if not ids or response.status_code >= 400 or not current_app.config.get("OUTBOX_SEND_AFTER_REQUEST", True):
        return response
    if monotonic() < _paused_until:
        return response
    app = current_app._get_current_object()

    def deliver():
        with app.app_context():
            try:
                send_pending(ids=ids, pause_on_trouble=True)
            except Exception:  # noqa: BLE001 — never let mail trouble reach the user
                app.logger.exception("sending after the request failed; the messages stay queued")
            finally:
                db.session.remove()

    response.call_on_close(deliver)
    return response


def init_app(app: Flask) -> None:
    """After a request that queued e-mail, try to deliver it once the response is closed.

    Whatever is not delivered then stays queued for `flask outbox send`. Off when the config
    says OUTBOX_SEND_AFTER_REQUEST = False (the test settings do).
    """
    app.after_request(_send_after_response)
