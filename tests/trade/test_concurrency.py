"""Several gunicorn workers, one database, 60 buyers pressing "send" at the same moment:
every inquiry is stored exactly once and nobody sees "database is locked"."""
from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import _postgres_database

BUYERS = 60
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """A migrated database with one published product, served by gunicorn with 3 workers."""
    from flask_migrate import upgrade

    base = os.environ.get("TEST_DATABASE_URL")
    urls = _postgres_database(base) if base else iter(["sqlite:///" + str(tmp_path / "served.db")])
    url = next(urls)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path))
    with app.app_context():
        upgrade()
        from tests.factories import ProductFactory

        product_id = ProductFactory(name="Beras Medium", unit="kg").id
        db.session.remove()
        db.engine.dispose()
    port = _free_port()
    env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": url, "UPLOAD_DIR": str(tmp_path),
           "INSTANCE_PATH": str(tmp_path), "INQUIRY_LIMIT": "10000 per minute", "INQUIRY_MIN_FILL_SECONDS": "0",
           "TEST_SERVER_NAME": f"127.0.0.1:{port}"}  # requests for another host than the site's are refused
    log = open(tmp_path / "gunicorn.log", "w+")
    server = subprocess.Popen(
        [shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn", "--workers", "3",
         "--threads", "4", "--bind", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base_url + "/healthz", timeout=2)
            break
        except OSError:  # refused or timed out while the workers boot
            time.sleep(0.2)
    yield base_url, product_id, url, log
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=20)
    log.close()
    for _ in urls:
        pass


def _buyer(base_url: str, product_id: int, number: int, barrier: threading.Barrier, results: list):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    form_url = f"{base_url}/inquiries/new?product={product_id}"
    page = opener.open(form_url, timeout=30).read().decode()
    hidden = dict(re.findall(r'name="(csrf_token|form_token|started)" type="hidden" value="([^"]*)"', page))
    data = urllib.parse.urlencode({
        **hidden, "company": f"Hotel Nomor {number}", "buyer_type": "hotel", "contact_name": "Pembeli",
        "email": f"pembeli{number}@contoh.id", "phone": "081234567890", "quantity": "1.000", "unit": "kg",
        "frequency": "monthly", "delivery_city": "jakarta-pusat",
    }).encode()
    barrier.wait()
    try:
        response = opener.open(urllib.request.Request(form_url, data=data), timeout=60)
        results.append(response.status)
    except urllib.error.HTTPError as error:
        results.append(error.code)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_sixty_simultaneous_inquiries_are_all_stored_once(served):
    base_url, product_id, url, log = served
    barrier, results = threading.Barrier(BUYERS), []
    threads = [threading.Thread(target=_buyer, args=(base_url, product_id, n, barrier, results)) for n in range(BUYERS)]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    assert sorted(results) == [302] * BUYERS
    engine = create_engine(url)
    with engine.connect() as conn:
        companies = conn.execute(text("SELECT company FROM inquiry")).scalars().all()
        references = conn.execute(text("SELECT COUNT(DISTINCT reference) FROM inquiry")).scalar()
    engine.dispose()
    assert sorted(companies) == sorted(f"Hotel Nomor {n}" for n in range(BUYERS))
    assert references == BUYERS
    log.seek(0)
    assert "database is locked" not in log.read()
