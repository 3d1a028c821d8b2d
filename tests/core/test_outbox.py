"""The e-mail outbox: written with the change that caused it, delivered exactly once, nothing lost.

Delivery goes to a real SMTP server (tests/smtp.py) on loopback.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy import func, select

from marketplace.extensions import babel, db
from marketplace.models import OutboundMessage, OutboxStatus, Producer, utcnow
from marketplace.core import outbox
from marketplace.core.outbox import queue_email, send_pending
from tests.factories import ProducerFactory

SRI = SimpleNamespace(name="Sri Rahayu", email="sri@contoh.id")
RESET_URL = "https://etalase.test/auth/reset/token-123"


def queue_reset(to: str = "sri@contoh.id", **kwargs) -> OutboundMessage:
    return queue_email(to, "reset_password", user=SRI, url=RESET_URL, **kwargs)


def queue_many(count: int, prefix: str = "pembeli") -> list[str]:
    addresses = [f"{prefix}{i}@contoh.id" for i in range(count)]
    for address in addresses:
        queue_reset(address)
    db.session.commit()
    return addresses


def rows() -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def outbox_count(connection=None) -> int:
    query = select(func.count()).select_from(OutboundMessage)
    return (connection or db.session).scalar(query)


# --- what arrives ----------------------------------------------------------------------------

def test_queued_message_arrives_with_recipient_subject_and_both_parts_in_indonesian(ctx, smtp_server):
    message = queue_reset()
    db.session.commit()

    assert send_pending() == (1, 0)

    [received] = smtp_server.messages
    assert received.rcpt_tos == ["sri@contoh.id"]
    email = received.message
    assert email["To"] == "sri@contoh.id"
    assert email["From"] == ctx.config["MAIL_DEFAULT_SENDER"]
    assert email["Subject"] == "Atur ulang kata sandi Etalase Metro"
    assert email["Message-ID"] and f"outbox-{message.id}" in email["Message-ID"]
    assert email["Date"]
    assert email.get_content_type() == "multipart/alternative"
    text, html = received.part("plain"), received.part("html")
    assert RESET_URL in text and "berlaku 2 jam" in text and "<" not in text.split(RESET_URL)[0]
    assert '<html lang="id">' in html
    assert f'href="{RESET_URL}"' in html
    assert "Halo Sri Rahayu," in html and "Halo Sri Rahayu," in text

    [row] = rows()
    assert row.status == OutboxStatus.SENT
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""


# Just enough of an English catalogue to see the recipient's language win; the real one is
# compiled from marketplace/translations.
ENGLISH = {
    "Atur ulang kata sandi Etalase Metro": "Reset your Etalase Metro password",
    "Halo %(name)s,": "Hello %(name)s,",
}


@pytest.fixture
def english_catalogue(app, tmp_path):
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale="en")
    for msgid, msgstr in ENGLISH.items():
        catalog.add(msgid, msgstr)
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)
    config = app.extensions["babel"]
    saved = config.translation_directories
    config.translation_directories = [str(tmp_path)]
    babel.domain_instance.cache.clear()
    try:
        yield
    finally:
        config.translation_directories = saved
        babel.domain_instance.cache.clear()


def test_message_is_written_in_the_recipients_language(ctx, smtp_server, english_catalogue):
    queue_reset(locale="en")
    db.session.commit()

    assert send_pending() == (1, 0)

    [received] = smtp_server.messages
    assert received.message["Subject"] == "Reset your Etalase Metro password"
    assert "Hello Sri Rahayu," in received.part("plain")
    html = received.part("html")
    assert '<html lang="en">' in html and "Hello Sri Rahayu," in html


def test_recipients_language_wins_over_the_language_of_the_page(app, english_catalogue):
    with app.test_request_context("/?lang=en"):
        message = queue_reset(locale="id")  # an English-speaking moderator acts; the producer reads Indonesian
        assert message.subject == "Atur ulang kata sandi Etalase Metro"
        assert '<html lang="id">' in message.body_html
        db.session.rollback()


def test_an_unknown_locale_falls_back_to_indonesian(ctx):
    message = queue_reset(locale="xx")
    assert message.subject == "Atur ulang kata sandi Etalase Metro"
    assert '<html lang="id">' in message.body_html


# --- written with the change that caused it --------------------------------------------------

def test_queue_email_does_not_commit_and_a_rollback_loses_it_with_the_change(ctx):
    producer = ProducerFactory.build(name="Usaha Baru", slug="usaha-baru")
    db.session.add(producer)
    queue_email("sri@contoh.id", "invitation", user=SRI, producer=producer, url="https://etalase.test/auth/invite/t")

    with db.engine.connect() as other:  # another connection sees nothing yet
        assert outbox_count(other) == 0
    db.session.rollback()

    assert outbox_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Producer).where(Producer.slug == "usaha-baru")) == 0


def test_queue_email_remembers_the_new_id_in_the_request(app):
    with app.test_request_context("/"):
        first, second = queue_reset(), queue_reset("lain@contoh.id")
        assert g.outbox_ids == [first.id, second.id]
        db.session.rollback()


@pytest.mark.parametrize("address", ["", "bukan-alamat", "sri@contoh.id\r\nBcc: semua@contoh.id"])
def test_queue_email_refuses_what_is_not_one_address(ctx, address):
    with pytest.raises(ValueError):
        queue_reset(address)
    assert outbox_count() == 0


# --- nothing lost ----------------------------------------------------------------------------

def test_server_down_leaves_every_message_queued_with_the_error(ctx, smtp_server):
    addresses = queue_many(3)
    smtp_server.stop()

    assert send_pending() == (0, 3)

    messages = rows()
    assert [m.status for m in messages] == [OutboxStatus.QUEUED] * 3
    assert all("Connection" in m.last_error or "refused" in m.last_error for m in messages)
    # The first failure stops the run: nobody waits on a dead server once per message.
    assert [m.attempts for m in messages] == [1, 0, 0]

    smtp_server.start()
    assert send_pending() == (3, 0)
    assert send_pending() == (0, 0)
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == sorted(addresses)
    assert all(m.status == OutboxStatus.SENT and m.last_error == "" for m in rows())


def test_a_refused_recipient_stays_queued_without_holding_up_the_others(ctx, smtp_server):
    smtp_server.refuse("pembeli0@contoh.id")
    queue_many(3)

    assert send_pending() == (2, 1)
    refused, *delivered = rows()
    assert refused.status == OutboxStatus.QUEUED and "550" in refused.last_error
    assert all(m.status == OutboxStatus.SENT for m in delivered)

    assert send_pending() == (0, 1)  # retried, still refused; the others are not sent again
    assert len(smtp_server.messages) == 2
    assert rows()[0].attempts == 2


def test_a_message_that_cannot_be_written_stays_queued_without_holding_up_the_others(ctx, smtp_server):
    broken = queue_reset()
    broken.to_address = "sri@contoh.id\nBcc: semua@contoh.id"  # slipped past queue_email somehow
    queue_reset("baik@contoh.id")
    db.session.commit()

    assert send_pending() == (1, 1)

    broken, good = rows()
    assert broken.status == OutboxStatus.QUEUED and "ValueError" in broken.last_error
    assert good.status == OutboxStatus.SENT
    assert [m.rcpt_tos for m in smtp_server.messages] == [["baik@contoh.id"]]


def test_a_message_refused_again_and_again_goes_behind_fresh_ones(ctx, smtp_server):
    smtp_server.refuse("pembeli0@contoh.id")
    queue_many(1)
    send_pending()
    queue_reset("baru@contoh.id")
    db.session.commit()

    assert send_pending(limit=1) == (1, 0)
    assert smtp_server.to("baru@contoh.id")


# --- nothing doubled -------------------------------------------------------------------------

def _send_in_own_context(app, barrier: threading.Barrier) -> tuple[int, int]:
    with app.app_context():
        try:
            barrier.wait(timeout=10)
            return send_pending()
        finally:
            db.session.remove()


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_senders_deliver_each_message_exactly_once(app, ctx, smtp_server, round_):
    addresses = queue_many(15)
    senders = 3
    barrier = threading.Barrier(senders)

    with ThreadPoolExecutor(senders) as pool:
        results = [f.result() for f in [pool.submit(_send_in_own_context, app, barrier) for _ in range(senders)]]

    assert sum(sent for sent, _ in results) == 15
    assert sum(failed for _, failed in results) == 0
    received = sorted(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert received == sorted(addresses)  # each once
    assert all(m.status == OutboxStatus.SENT and m.attempts == 1 for m in rows())


def test_only_one_of_two_simultaneous_claims_wins(app, ctx):
    message_id = queue_reset().id
    db.session.commit()

    def claim(barrier):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                return outbox._claim(message_id)
            finally:
                db.session.remove()

    for _ in range(10):
        db.session.execute(OutboundMessage.__table__.update().values(status=OutboxStatus.QUEUED.value))
        db.session.commit()
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            outcomes = [f.result() for f in [pool.submit(claim, barrier) for _ in range(2)]]
        assert sorted(outcomes) == [False, True]


def test_a_message_stuck_in_sending_is_retried_after_ten_minutes(ctx, smtp_server):
    queue_many(2)
    crashed, busy = rows()
    crashed.status, crashed.claimed_at, crashed.attempts = OutboxStatus.SENDING, utcnow() - timedelta(minutes=11), 1
    busy.status, busy.claimed_at, busy.attempts = OutboxStatus.SENDING, utcnow() - timedelta(minutes=5), 1
    db.session.commit()

    assert send_pending() == (1, 0)

    assert [m.rcpt_tos for m in smtp_server.messages] == [["pembeli0@contoh.id"]]
    crashed, busy = rows()
    assert crashed.status == OutboxStatus.SENT and crashed.attempts == 2
    assert busy.status == OutboxStatus.SENDING and busy.attempts == 1  # its sender may still be at work


# --- sending right after the request ---------------------------------------------------------

def test_a_request_sends_what_it_queued_after_the_response_is_closed(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_SEND_AFTER_REQUEST", True)
    with app.test_request_context("/auth/reset", method="POST"):
        queue_reset()
        db.session.commit()
        response = app.process_response(app.response_class("ok"))
        assert smtp_server.messages == []  # not while the user waits for the page
        response.close()

    assert smtp_server.to("sri@contoh.id")
    with app.app_context():
        assert rows()[0].status == OutboxStatus.SENT


def test_mail_trouble_after_the_request_never_reaches_the_user(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_SEND_AFTER_REQUEST", True)
    smtp_server.stop()
    with app.test_request_context("/auth/reset", method="POST"):
        queue_reset()
        db.session.commit()
        response = app.process_response(app.response_class("ok"))
        response.close()  # raises nothing

    with app.app_context():
        [row] = rows()
        assert row.status == OutboxStatus.QUEUED and row.last_error


def _request_that_queues(app, to: str) -> None:
    with app.test_request_context("/auth/reset", method="POST"):
        queue_reset(to)
        db.session.commit()
        app.process_response(app.response_class("ok")).close()


def test_after_the_mail_server_was_found_down_requests_leave_mail_to_the_sender_for_a_while(
        app, smtp_server, monkeypatch):
    """A down (or silent) mail server is tried once, not by every request after it: each try can hold a
    worker thread for up to MAIL_TIMEOUT. For OUTBOX_PAUSE_SECONDS requests only queue, and `outbox send`
    (the minutely timer) delivers; then requests try again."""
    monkeypatch.setitem(app.config, "OUTBOX_SEND_AFTER_REQUEST", True)
    clock = [1000.0]
    monkeypatch.setattr(outbox, "monotonic", lambda: clock[0])
    smtp_server.stop()
    _request_that_queues(app, "satu@contoh.id")
    smtp_server.start()
    _request_that_queues(app, "dua@contoh.id")  # within the pause: not tried, although the server is back
    with app.app_context():
        tried = {m.to_address: m.attempts for m in rows()}
    assert tried == {"satu@contoh.id": 1, "dua@contoh.id": 0} and smtp_server.messages == []

    clock[0] += app.config["OUTBOX_PAUSE_SECONDS"] + 1
    _request_that_queues(app, "tiga@contoh.id")  # the pause is over: sent right after its request
    assert [m.rcpt_tos for m in smtp_server.messages] == [["tiga@contoh.id"]]
    with app.app_context():
        assert send_pending() == (2, 0)
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == [
        "dua@contoh.id", "satu@contoh.id", "tiga@contoh.id"]


def test_a_failed_request_sends_nothing(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_SEND_AFTER_REQUEST", True)
    with app.test_request_context("/auth/reset", method="POST"):
        queue_reset()
        db.session.commit()
        response = app.process_response(app.response_class("oops", status=500))
        response.close()

    assert smtp_server.messages == []


# --- escaping --------------------------------------------------------------------------------

def context_for(template: str, text: str) -> dict:
    """What the account code passes to each message, with `text` in every user-supplied field."""
    user = SimpleNamespace(name=text, email="sri@contoh.id")
    return {
        "confirm_email": {"user": user, "url": RESET_URL},
        "reset_password": {"user": user, "url": RESET_URL},
        "invitation": {"user": user, "producer": SimpleNamespace(name=text), "url": RESET_URL},
        "revision_rejected": {"user": user, "object_name": text, "reason": text, "url": RESET_URL},
    }[template]


@pytest.mark.parametrize("template", [
    "confirm_email",
    "invitation",
    "reset_password",
    "revision_rejected",
])
def test_every_message_has_its_english_version_in_the_catalogue(ctx, template):
    indonesian = queue_email("sri@contoh.id", template, locale="id", **context_for(template, "Sri"))
    english = queue_email("sri@contoh.id", template, locale="en", **context_for(template, "Sri"))

    assert '<html lang="en">' in english.body_html
    assert "Halo Sri" not in english.body_text and "Halo Sri" not in english.body_html
    assert english.subject != indonesian.subject


def test_revision_rejected_tells_what_and_why(ctx):
    message = queue_email("sri@contoh.id", "revision_rejected", user=SRI, object_name="Beras Pandan Wangi",
                          reason="Foto buram", url="https://etalase.test/dashboard/")
    assert "Beras Pandan Wangi" in message.subject
    for body in (message.body_text, message.body_html):
        assert "Foto buram" in body and "https://etalase.test/dashboard/" in body


# --- the command -----------------------------------------------------------------------------

def test_outbox_send_command_reports_counts(app, ctx, smtp_server):
    queue_many(2)

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert "sent 2, failed 0" in result.output
    assert len(smtp_server.messages) == 2


def test_outbox_send_command_fails_when_messages_stay_queued(app, ctx, smtp_server):
    queue_many(2)
    smtp_server.stop()

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 1
    assert "sent 0, failed 2" in result.output
    assert all(m.status == OutboxStatus.QUEUED for m in rows())


def test_a_message_sent_again_after_a_crash_keeps_its_message_id(ctx, smtp_server):
    """A sender killed after the mail server took the message but before the row said 'sent' makes the
    retry deliver it a second time; the same Message-ID lets the buyer's mail service show it once."""
    queue_many(1)
    assert send_pending() == (1, 0)
    (message,) = rows()
    message.status, message.claimed_at = OutboxStatus.SENDING, utcnow() - timedelta(minutes=11)
    db.session.commit()  # as if the sender had died before marking it sent

    assert send_pending() == (1, 0)

    first, again = (received.message["Message-ID"] for received in smtp_server.messages)
    assert first == again and f"outbox-{message.id}" in first
