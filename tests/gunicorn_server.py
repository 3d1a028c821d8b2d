"""The app served by real gunicorn workers for tests: a migrated database of its own, the server, and a browser
whose requests go to chosen workers (one kept-alive connection per worker, found through the access log)."""
from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import _postgres_database

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextmanager
def migrated_database(tmp_path: Path):
    """A new database (SQLite file, or one on TEST_DATABASE_URL's server, dropped afterwards); yields (url, app)."""
    from flask_migrate import upgrade

    base = os.environ.get("TEST_DATABASE_URL")
    urls = _postgres_database(base) if base else iter(["sqlite:///" + str(tmp_path / "served.db")])
    url = next(urls)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "uploads"))
    try:
        with app.app_context():
            upgrade()
            db.session.remove()
        yield url, app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        for _ in urls:  # the PostgreSQL database is dropped
            pass


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@contextmanager
def gunicorn(database_url: str, tmp_path: Path, workers: int = 3, **settings: str):
    """gunicorn (gunicorn.conf.py, production settings) on loopback; the access log names the worker of each request."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "RATELIMIT_", "FLASK_"))}
    env.pop("REDIS_URL", None)
    env.update({"APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": database_url,
                "INSTANCE_PATH": str(tmp_path), "UPLOAD_DIR": str(tmp_path / "uploads"), "MAIL_PORT": "1",
                "SERVER_NAME": f"{HOST}:{port}",  # the site's address: requests for another host are refused
                # Kept-alive connections stay open however slow a loaded machine is between two requests.
                "GUNICORN_KEEPALIVE": "300", "PYTHONUNBUFFERED": "1", **settings})
    log = tmp_path / f"gunicorn-{port}.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", str(workers), "--bind", f"{HOST}:{port}",
             "--access-logfile", "-", "--access-logformat", "worker=%(p)s %(m)s %(U)s?%(q)s %(s)s",
             "--graceful-timeout", "5", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, server.log_text()[-3000:]
            try:
                connection = http.client.HTTPConnection(HOST, port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200 and len(server.workers()) >= workers:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz:\n" + server.log_text()[-3000:]
            time.sleep(0.2)
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown: the test is over, nothing to finish gracefully
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Browser:
    """One visitor (one cookie jar; kept by hand, so the Secure session cookie goes back over loopback HTTP) with a
    kept-alive connection to each of several gunicorn workers: `request(..., worker=n)` is answered by worker n."""

    def __init__(self, server: Server, workers: int, tries: int = 60):
        self.server = server
        self.cookies: dict[str, str] = {}
        self.connections: dict[int, http.client.HTTPConnection] = {}
        for probe in range(tries):
            connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
            marker = f"probe={secrets.token_hex(6)}"
            connection.request("GET", f"/healthz?{marker}")
            connection.getresponse().read()
            pid = self._worker_of(marker)
            if pid in self.connections:
                connection.close()
            else:
                self.connections[pid] = connection
            if len(self.connections) == workers:
                break
        assert len(self.connections) >= 2, "every connection went to one worker"
        self.pids = list(self.connections)

    def _worker_of(self, marker: str) -> int:
        for _ in range(100):
            found = re.search(rf"worker=<?(\d+)>? GET /healthz\?{marker} ", self.server.log_text())
            if found:
                return int(found[1])
            time.sleep(0.05)
        raise AssertionError(f"no access-log line for {marker}:\n" + self.server.log_text()[-2000:])

    def request(self, method: str, path: str, body: dict | None = None, worker: int = 0):
        connection = self.connections[self.pids[worker % len(self.pids)]]
        headers = {"Accept-Language": "id", "Accept-Encoding": "identity"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        page = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response.status, response.headers.get("Location", ""), page

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()


def hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(csrf_token|form_token|started)" type="hidden" value="([^"]*)"', page))
