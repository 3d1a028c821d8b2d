"""Rate limits hold exactly with 3 gunicorn workers sharing Redis, whichever worker answers each request.

Runs against the Redis on 127.0.0.1:6379 (REDIS_TEST_URL overrides it) under a key prefix of its own that is
deleted afterwards. Skipped when no Redis answers, except under CI=true.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from marketplace.extensions import db
from tests.gunicorn_server import ROOT, Browser, gunicorn, hidden_fields, migrated_database

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "Kata-Sandi-Benar-2026"


@pytest.fixture
def redis_prefix():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Redis at {REDIS_URL}: {error}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"etalase-limits-{uuid.uuid4().hex[:12]}:"
    yield client, prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def served(tmp_path, redis_prefix):
    """A database with one producer account and one product, 3 workers counting in Redis under our prefix."""
    _client, prefix = redis_prefix
    with migrated_database(tmp_path) as (url, app):
        with app.app_context():
            from tests.factories import ProductFactory, UserFactory

            product_id = ProductFactory(name="Beras Medium", unit="kg").id
            email = UserFactory(email="produsen@contoh.id", password=PASSWORD).email
            db.session.commit()
            db.session.remove()
        with gunicorn(url, tmp_path, workers=3, REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix,
                      INQUIRY_MIN_FILL_SECONDS="0") as server:
            browser = Browser(server, workers=3)
            yield browser, email, product_id
            browser.close()


def test_five_failed_sign_ins_on_one_account_then_429_whichever_worker_answers(served, redis_prefix):
    browser, email, _product = served
    statuses, answered_by = [], set()
    for attempt in range(12):
        _, _, page = browser.request("GET", "/auth/login", worker=attempt)
        token = hidden_fields(page)["csrf_token"]
        status, _, _ = browser.request("POST", "/auth/login", {"email": email, "password": "salah-salah-salah",
                                                               "csrf_token": token}, worker=attempt)
        statuses.append(status)
        answered_by.add(browser.pids[attempt % len(browser.pids)])
    assert statuses == [200] * 5 + [429] * 7
    assert len(answered_by) >= 2
    client, prefix = redis_prefix
    assert any(True for _ in client.scan_iter(match=f"*{prefix}*"))  # counted in Redis, under our prefix


def test_five_inquiries_per_minute_from_one_address_whichever_worker_answers(served):
    browser, _email, product_id = served
    url = f"/inquiries/new?product={product_id}"
    statuses = []
    for number in range(8):
        _, _, page = browser.request("GET", url, worker=number)
        status, location, _ = browser.request("POST", url, {
            **hidden_fields(page), "company": f"Hotel Nomor {number}", "buyer_type": "hotel",
            "contact_name": "Pembeli", "email": f"pembeli{number}@contoh.id", "phone": "081234567890",
            "quantity": "1.000", "unit": "kg", "frequency": "monthly", "delivery_city": "jakarta-pusat",
            "acknowledged": "1"}, worker=number + 1)  # the form from one worker, sent to the next
        statuses.append(status if status != 302 or "/inquiries/track/" in location else location)
    assert statuses == [302] * 5 + [429] * 3


_DOWN = r"""
import re, sys
from marketplace import create_app
app = create_app("testing", SQLALCHEMY_DATABASE_URI=sys.argv[1], RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
client = app.test_client()
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/auth/login").get_data(as_text=True))[1]
print(client.post("/auth/login", data={"email": "a@contoh.id", "password": "salah-salah", "csrf_token": token}).status_code)
"""


def test_falling_back_to_per_process_limits_while_redis_is_down_is_logged(app, tmp_path):
    done = subprocess.run([sys.executable, "-c", _DOWN, app.config["SQLALCHEMY_DATABASE_URI"]], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "INSTANCE_PATH": str(tmp_path)})
    assert done.stdout.strip().splitlines()[-1] == "200", done.stderr[-2000:]  # sign-in still answers
    assert "falling back to in-memory storage" in done.stderr
