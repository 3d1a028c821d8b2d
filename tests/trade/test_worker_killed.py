"""A gunicorn worker killed (SIGKILL) while buyers send inquiries: every inquiry is whole or absent, none doubled.

QUALITY.md: "A worker killed mid-request → no half-written state." bench/fault.py runs this for minutes under
mixed load; here the same visitors (its `Visitor`, cookies kept by hand) send one burst of inquiries against 3
workers, one of which is killed while the burst is being answered. A request cut off by the kill is sent again
once with the same form, as a browser would. Then, in the database (SQLite, or PostgreSQL with TEST_DATABASE_URL):
each form token stored at most once, every inquiry with its item, its "new" event and its confirmation in the
outbox and its final reference, and every inquiry a buyer was told about is there.
"""
from __future__ import annotations

import os
import random
import re
import secrets
import signal
import threading
import time

from itsdangerous import URLSafeSerializer
from sqlalchemy import create_engine, text

from bench.fault import CUT, Visitor, field
from marketplace.extensions import db
from tests.gunicorn_server import gunicorn, migrated_database

BUYERS = 24


def _send(port: int, product_id: int, number: int, barrier: threading.Barrier, outcomes: dict) -> None:
    visitor = Visitor(port)
    url = f"/inquiries/new?product={product_id}"
    _status, _location, page = visitor.request("GET", url)
    form = {"csrf_token": field(page, "csrf_token"), "form_token": field(page, "form_token"),
            "started": field(page, "started"), "acknowledged": "1", "company": f"Hotel Nomor {number}",
            "buyer_type": "hotel", "contact_name": "Pembeli", "email": f"pembeli{number}@contoh.id",
            "phone": "081234567890", "quantity": "1.000", "unit": "kg", "frequency": "monthly",
            "delivery_city": "jakarta-pusat"}
    outcome = "cut"
    barrier.wait()
    for attempt in range(2):  # cut off by the kill: sent again once, with the same form
        try:
            status, location, _ = visitor.request("POST", url, form)
        except CUT:
            continue
        outcome = "stored" if status == 302 and "/inquiries/track/" in location else f"status {status}"
        if attempt:
            outcome += " when sent again"
        break
    outcomes[number] = (form["form_token"], form["email"], outcome)


def test_a_worker_killed_during_a_burst_of_inquiries_leaves_each_whole_or_absent_and_none_doubled(tmp_path):
    secret = secrets.token_hex(32)
    with migrated_database(tmp_path) as (url, app):
        with app.app_context():
            from tests.factories import ProductFactory

            product_id = ProductFactory(name="Beras Medium", unit="kg", min_order_qty=1).id
            db.session.remove()
        outcomes: dict[int, tuple[str, str, str]] = {}
        with gunicorn(url, tmp_path, workers=3, SECRET_KEY=secret, RATELIMIT_PER_PROCESS="1",
                      INQUIRY_LIMIT="100000 per minute", INQUIRY_MIN_FILL_SECONDS="0") as server:
            barrier = threading.Barrier(BUYERS + 1)
            threads = [threading.Thread(target=_send, args=(server.port, product_id, n, barrier, outcomes))
                       for n in range(BUYERS)]
            [t.start() for t in threads]
            barrier.wait(timeout=60)
            time.sleep(0.05)  # the burst is being answered
            os.kill(random.choice(server.workers()), signal.SIGKILL)
            [t.join(timeout=60) for t in threads]
            log = server.log_text()

        engine = create_engine(url)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT id, form_token, email, reference FROM inquiry")).all()
            items = dict(conn.execute(text("SELECT inquiry_id, COUNT(*) FROM inquiry_item GROUP BY inquiry_id")).all())
            events = dict(conn.execute(text(
                "SELECT inquiry_id, COUNT(*) FROM inquiry_event WHERE to_status = 'new' GROUP BY inquiry_id")).all())
            mails = dict(conn.execute(text(
                "SELECT to_address, COUNT(*) FROM outbound_message GROUP BY to_address")).all())
        engine.dispose()

    assert len(outcomes) == BUYERS
    nonce = URLSafeSerializer(secret, salt="inquiry-form-token").loads
    sent = {nonce(token): (email, outcome) for token, email, outcome in outcomes.values()}
    stored_tokens = [row.form_token for row in stored]
    assert len(stored_tokens) == len(set(stored_tokens))  # no form stored twice
    assert set(stored_tokens) <= set(sent)  # nothing but the burst's forms
    assert all(items.get(row.id) == 1 and events.get(row.id) == 1 for row in stored)  # whole: item and event
    assert all(mails.get(row.email) == 1 for row in stored)  # and its one confirmation queued with it
    assert all(re.fullmatch(r"INQ-\d{4}-\d{6}", row.reference) for row in stored)  # no half-numbered row
    assert sum(mails.values()) == len(stored)  # no confirmation without its inquiry
    told_stored = {n for n, (_email, outcome) in sent.items() if outcome.startswith("stored")}
    assert told_stored <= set(stored_tokens)  # every buyer told "sent" has the inquiry
    assert {outcome for _email, outcome in sent.values()} <= {"stored", "stored when sent again", "cut"}, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
