"""With REDIS_URL set, app processes share their rate limits: what one process counted, the next one refuses.

Runs against the Redis on 127.0.0.1:6379 (REDIS_TEST_URL overrides it), under a key prefix of its
own that is deleted afterwards. Skipped when no Redis answers, except under CI=true.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from marketplace import create_app

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")

# One app process: sign in with a wrong password N times, print the status codes.
ATTEMPTS = r"""
import json, re, sys
from marketplace import create_app
url, storage, prefix, email, count = sys.argv[1:6]
app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, REDIS_URL=storage or None, RATELIMIT_STORAGE_URI=None,
                 RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix}, LOGIN_LIMIT_ACCOUNT="3 per 10 minutes")
client = app.test_client()
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/auth/login").get_data(as_text=True))[1]
statuses = [client.post("/auth/login", data={"email": email, "password": "salah-salah-salah", "csrf_token": token}).status_code
            for _ in range(int(count))]
print(json.dumps({"statuses": statuses, "storage": app.config["RATELIMIT_STORAGE_URI"]}))
"""


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
    prefix = f"etalase-test-{uuid.uuid4().hex[:12]}"
    yield client, prefix
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def process(database_url, tmp_path):
    """process(storage, prefix, email, count): a new app process on the test database makes `count` failed sign-ins."""
    def run(storage: str, prefix: str, email: str, count: int) -> dict:
        done = subprocess.run([sys.executable, "-c", ATTEMPTS, database_url, storage, prefix, email, str(count)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "INSTANCE_PATH": str(tmp_path)})
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])
    return run


def test_two_app_processes_share_the_sign_in_limit_through_redis(app, process, redis_prefix):
    client, prefix = redis_prefix
    first = process(REDIS_URL, prefix, "tebakan@contoh.id", 3)
    assert first == {"statuses": [200, 200, 200], "storage": REDIS_URL}
    assert any(True for _ in client.scan_iter(match=f"{prefix}*"))  # the counts live in Redis
    second = process(REDIS_URL, prefix, "tebakan@contoh.id", 1)
    assert second["statuses"] == [429]  # counted by the other process
    other = process(REDIS_URL, prefix, "lain@contoh.id", 1)
    assert other["statuses"] == [200]  # another account is not blocked


def test_without_redis_each_process_counts_on_its_own(app, process, redis_prefix):
    _client, prefix = redis_prefix
    assert process("", prefix, "tebakan@contoh.id", 3)["statuses"] == [200, 200, 200]
    second = process("", prefix, "tebakan@contoh.id", 1)
    assert second == {"statuses": [200], "storage": "memory://"}


def test_redis_url_is_the_one_setting_and_an_explicit_limiter_storage_wins():
    assert create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", REDIS_URL=REDIS_URL,
                      RATELIMIT_STORAGE_URI=None).config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    assert create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", REDIS_URL=REDIS_URL,
                      RATELIMIT_STORAGE_URI="memory://").config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://").config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_while_redis_is_down_sign_in_still_works_and_limits_are_counted_in_memory(app, process):
    result = process("redis://127.0.0.1:1/0", "etalase-test-down", "tebakan@contoh.id", 4)
    assert result["statuses"] == [200, 200, 200, 429]
