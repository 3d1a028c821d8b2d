"""Load-and-fault run: browse and send inquiries against gunicorn while a worker is killed and the mail server is down.

    .venv/bin/python bench/fault.py                       # 3 minutes, SQLite, 3 workers
    .venv/bin/python bench/fault.py --duration 60 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres

What it does, in order:
1. a fresh database (SQLite file in a temporary folder, or a new database on the PostgreSQL server given
   with --postgres, dropped afterwards), `flask db upgrade` and `flask seed demo`;
2. a local SMTP server (aiosmtpd) that records every message, and gunicorn with --workers (≥ 3) on loopback
   (`-c gunicorn.conf.py` when that file exists, with the bind and worker count given here);
3. --threads simulated visitors for --duration seconds: catalog, search, product and storefront pages,
   and inquiries sent through the real form (CSRF, one-time form token), each carrying a unique marker;
   a request cut off by the kill is sent again once with the same form, as a browser would;
4. at 30 % of the run one worker gets SIGKILL; from 45 % to 70 % the SMTP server is stopped;
5. at the end `flask outbox send`, then the checks: every inquiry the load got a success for exists exactly
   once (by its marker), no marker is stored twice, no 5xx (requests cut by the kill are counted apart),
   and every buyer confirmation of a stored inquiry was delivered exactly once.

Prints a summary and appends it to bench/FAULT-RESULTS.md. Exit status 1 when a check fails.
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import collections
import http.client
import os
import platform
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "FAULT-RESULTS.md"
HOST = "127.0.0.1"
CUT = (ConnectionError, http.client.RemoteDisconnected, http.client.IncompleteRead, socket.timeout, TimeoutError)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- mail -----------------------------------------------------------------------------------------

class Mailbox:
    """An SMTP server on a fixed port that can be stopped and started again; counts messages per recipient."""

    def __init__(self, port: int):
        self.port = port
        self.received: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for address in envelope.rcpt_tos:
                self.received[address.lower()] += 1
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname=HOST, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# --- HTTP -----------------------------------------------------------------------------------------

class Visitor:
    """One browser: its own cookies (kept by hand, so a Secure cookie still goes back over loopback HTTP)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {"Accept-Encoding": "identity", "Accept-Language": "id"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
            return response.status, response.headers.get("Location", ""), payload
        finally:
            connection.close()


def field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(rf'value="([^"]*)"[^>]*name="{name}"', page)
    return match.group(1) if match else ""


def selected(page: str, name: str) -> str:
    block = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    if not block:
        return ""
    option = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"', block.group(0)) or \
        re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', block.group(0)) or \
        re.search(r'<option[^>]*value="([^"]+)"', block.group(0))
    return option.group(1) if option else ""


class Load:
    def __init__(self, port: int, products: list[int], producers: list[str], stop_at: float, inquiry_share: float):
        self.port, self.products, self.producers = port, products, producers
        self.stop_at, self.inquiry_share = stop_at, inquiry_share
        self.lock = threading.Lock()
        self.statuses: collections.Counter[tuple[str, int]] = collections.Counter()
        self.cut: collections.Counter[str] = collections.Counter()
        self.server_errors: list[tuple[float, str, int]] = []
        self.inquiries: dict[str, dict] = {}  # marker → {"email", "outcome"}
        self.retried = 0

    def note(self, kind: str, status: int, path: str) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1
            if status >= 500:
                self.server_errors.append((time.time(), path, status))

    def browse(self, visitor: Visitor, rng: random.Random) -> None:
        kind, path = rng.choice([
            ("home", "/"), ("catalog", "/products"), ("catalog page 2", "/products?page=2"),
            ("search", "/products?q=beras"), ("search", "/products?q=kopi&sort=price_asc"),
            ("product", f"/products/{rng.choice(self.products)}"),
            ("storefront", f"/producers/{rng.choice(self.producers)}"), ("producers", "/producers"),
        ])
        try:
            status, _, _ = visitor.request("GET", path)
        except CUT:
            with self.lock:
                self.cut[kind] += 1
            return
        self.note(kind, status, path)

    def inquire(self, visitor: Visitor, rng: random.Random) -> None:
        product = rng.choice(self.products)
        try:
            status, _, page = visitor.request("GET", f"/inquiries/new?product={product}")
        except CUT:
            with self.lock:
                self.cut["inquiry form"] += 1
            return
        self.note("inquiry form", status, "/inquiries/new")
        if status != 200:
            return
        marker = f"FAULT-{secrets.token_hex(8)}"
        email = f"pembeli-{marker.lower()}@uji-beban.id"
        form = {
            "csrf_token": field(page, "csrf_token"), "form_token": field(page, "form_token"),
            "started": field(page, "started"), "acknowledged": "1", "website": "",
            "company": f"PT Uji Beban {marker[-4:]}", "buyer_type": "hotel", "contact_name": "Uji Beban",
            "email": email, "phone": "+6281234567890", "company_id_number": "",
            "quantity": str(rng.choice([100, 250, 500, 1000])), "unit": selected(page, "unit") or "kg",
            "frequency": "monthly", "target_price": "", "delivery_city": "jakarta-pusat", "needed_by": "",
            "message": f"Permintaan uji beban {marker}",
        }
        with self.lock:
            self.inquiries[marker] = {"email": email, "outcome": "pending"}
        outcome = "error"
        for attempt in range(2):  # a request cut by the kill is sent again, once, with the same form
            try:
                status, location, _ = visitor.request("POST", f"/inquiries/new?product={product}", form)
            except CUT:
                with self.lock:
                    self.cut["inquiry send"] += 1
                    self.retried += attempt == 0
                outcome = "cut"
                continue
            self.note("inquiry send", status, "/inquiries/new")
            outcome = "success" if status in (302, 303) and "/inquiries/track/" in location else f"status {status}"
            break
        with self.lock:
            self.inquiries[marker]["outcome"] = outcome

    def run(self, seed: int) -> None:
        rng = random.Random(seed)
        visitor = Visitor(self.port)
        while time.time() < self.stop_at:
            if rng.random() < self.inquiry_share:
                self.inquire(visitor, rng)
            else:
                self.browse(visitor, rng)


# --- the run --------------------------------------------------------------------------------------

def flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            status, _, _ = Visitor(port).request("GET", "/healthz")
            if status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.3)
    sys.exit("gunicorn did not answer /healthz")


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=180, help="seconds of load (default 180)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (at least 3)")
    parser.add_argument("--threads", type=int, default=8, help="simulated visitors")
    parser.add_argument("--inquiry-share", type=float, default=0.25, help="share of visits that send an inquiry")
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server URL (postgresql+psycopg://user@host/db) to create a fresh database on")
    parser.add_argument("--no-record", action="store_true", help=f"do not append to {RESULTS.name}")
    args = parser.parse_args()
    if args.workers < 3:
        parser.error("--workers must be at least 3")

    work = Path(tempfile.mkdtemp(prefix="etalase-fault-"))
    pg_admin = pg_name = None
    if args.postgres:
        base = make_url(args.postgres)
        pg_name = f"etalase_fault_{secrets.token_hex(4)}"
        pg_admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with pg_admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
        database_url = base.set(database=pg_name).render_as_string(hide_password=False)
    else:
        database_url = f"sqlite:///{work / 'fault.db'}"

    mail_port, port = free_port(), free_port()
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": database_url,
           "INSTANCE_PATH": str(work), "UPLOAD_DIR": str(work / "uploads"), "MAIL_SERVER": HOST,
           "MAIL_PORT": str(mail_port), "INQUIRY_LIMIT": "100000 per minute",
           "INQUIRY_MIN_FILL_SECONDS": "0", "RATELIMIT_PER_PROCESS": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("REDIS_URL", None)
    env.pop("RATELIMIT_STORAGE_URI", None)
    env["SERVER_NAME"] = f"{HOST}:{port}"  # production needs the site's address: the one gunicorn serves here
    print(f"database {'PostgreSQL ' + pg_name if pg_name else database_url}; migrating and seeding …", flush=True)
    flask(env, "db", "upgrade")
    flask(env, "seed", "demo")
    engine = create_engine(database_url)
    with engine.connect() as conn:
        products = list(conn.scalars(text("SELECT id FROM product WHERE status = 'published'")))
        producers = list(conn.scalars(text("SELECT slug FROM producer WHERE status = 'published'")))
        before = conn.scalar(text("SELECT count(*) FROM inquiry"))

    mailbox = Mailbox(mail_port)
    mailbox.start()
    command = [str(BIN / "gunicorn")]
    if (ROOT / "gunicorn.conf.py").exists():
        command += ["-c", "gunicorn.conf.py"]
    else:
        command += ["--worker-class", "gthread", "--threads", "4"]
    command += ["--workers", str(args.workers), "--bind", f"{HOST}:{port}", "--graceful-timeout", "5", "wsgi:app"]
    log = open(work / "gunicorn.log", "w")
    gunicorn = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    events: list[str] = []
    killed: list[int] = []
    try:
        wait_for(port)
        started = time.time()
        load = Load(port, products, producers, started + args.duration, args.inquiry_share)
        threads = [threading.Thread(target=load.run, args=(n,), daemon=True) for n in range(args.threads)]
        for thread in threads:
            thread.start()
        print(f"load: {args.threads} visitors for {args.duration:.0f} s against {len(workers_of(gunicorn.pid))} "
              f"workers ({' '.join(command[1:])})", flush=True)

        def at(share: float, what: str, action) -> None:
            time.sleep(max(0.0, started + args.duration * share - time.time()))
            action()
            events.append(f"{time.time() - started:6.1f} s  {what}")
            print(events[-1], flush=True)

        def kill() -> None:
            victim = random.choice(workers_of(gunicorn.pid))
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

        at(0.30, "SIGKILL one gunicorn worker", kill)
        at(0.45, "SMTP server stopped", mailbox.stop)
        at(0.70, "SMTP server started again", mailbox.start)
        for thread in threads:
            thread.join(timeout=args.duration + 120)
        elapsed = time.time() - started
        respawned = [pid for pid in workers_of(gunicorn.pid) if pid not in killed]
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
        log.close()

    sent = flask(env, "outbox", "send")
    time.sleep(0.5)
    mailbox.stop()

    # --- checks ---------------------------------------------------------------------------------
    with engine.connect() as conn:
        stored = collections.Counter()
        for message in conn.scalars(text("SELECT message FROM inquiry WHERE message LIKE '%FAULT-%'")):
            for marker in re.findall(r"FAULT-[0-9a-f]{16}", message):
                stored[marker] += 1
        total_after = conn.scalar(text("SELECT count(*) FROM inquiry"))
        outbox = dict(conn.execute(text("SELECT status, count(*) FROM outbound_message GROUP BY status")).all())
        stuck = list(conn.scalars(text("SELECT lower(to_address) FROM outbound_message WHERE status = 'sending'")))
    engine.dispose()
    if pg_admin is not None:
        with pg_admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": pg_name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}"'))
        pg_admin.dispose()

    outcomes = collections.Counter(i["outcome"] for i in load.inquiries.values())
    successes = {m: i for m, i in load.inquiries.items() if i["outcome"] == "success"}
    lost = sorted(m for m in successes if stored[m] == 0)
    doubled = sorted(m for m, n in stored.items() if n > 1)
    cut_stored = sum(1 for m, i in load.inquiries.items() if i["outcome"] == "cut" and stored[m] == 1)
    expected_mail = {load.inquiries[m]["email"] for m in stored if m in load.inquiries}
    mail_once = sum(1 for e in expected_mail if mailbox.received[e] == 1)
    mail_missing = sorted(e for e in expected_mail if mailbox.received[e] == 0 and e not in stuck)
    mail_twice = sorted(e for e in expected_mail if mailbox.received[e] > 1)
    stuck_delivered = sorted(e for e in stuck if mailbox.received[e] > 0)
    log_text = (work / "gunicorn.log").read_text(errors="replace")
    tracebacks = log_text.count("Traceback (most recent call last)")
    requests = sum(load.statuses.values())
    server_errors = len(load.server_errors)

    checks = [
        ("the load got inquiries through", len(successes) > 0, f"{len(successes)} of {len(load.inquiries)} sent"),
        ("every inquiry answered with success is stored", not lost, f"{len(successes)} succeeded, {len(lost)} missing"),
        ("no inquiry stored twice", not doubled, f"{len(doubled)} markers stored more than once"),
        ("only the load's inquiries were added", total_after - before == sum(stored.values()),
         f"{total_after - before} new rows, {sum(stored.values())} carry a marker"),
        ("no 5xx", server_errors == 0, f"{server_errors} responses ≥ 500"),
        ("every stored inquiry's confirmation delivered exactly once", not mail_missing and not mail_twice,
         f"{mail_once} of {len(expected_mail)} once, {len(mail_missing)} missing, {len(mail_twice)} twice, "
         f"{len(stuck)} left 'sending' by the killed worker ({len(stuck_delivered)} of them had reached the SMTP "
         f"server before the kill)"),
        ("no traceback in the gunicorn log", tracebacks == 0, f"{tracebacks} tracebacks"),
        ("gunicorn replaced the killed worker", len(respawned) >= args.workers,
         f"{len(respawned)} live workers after the kill"),
    ]
    by_kind = collections.defaultdict(collections.Counter)
    for (kind, status), n in load.statuses.items():
        by_kind[kind][status] += n
    lines = [
        f"## {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {'PostgreSQL' if pg_name else 'SQLite'}, "
        f"{args.workers} workers, {args.threads} visitors, {elapsed:.0f} s",
        "",
        f"Command: `.venv/bin/python bench/fault.py --duration {args.duration:g} --workers {args.workers} "
        f"--threads {args.threads}{' --postgres URL' if pg_name else ''}` on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores); gunicorn `{' '.join(command[1:])}`.",
        "",
        "Faults:",
        *[f"- {e}" for e in events],
        "",
        f"Requests answered: {requests} ({requests / elapsed:.0f}/s); cut off by the kill (connection closed, "
        f"no answer): {sum(load.cut.values())} ({', '.join(f'{k} {v}' for k, v in sorted(load.cut.items())) or 'none'}); "
        f"POSTs sent again after a cut: {load.retried}.",
        "",
        "| page | answers by status |",
        "|---|---|",
        *[f"| {kind} | {', '.join(f'{s}: {n}' for s, n in sorted(c.items()))} |" for kind, c in sorted(by_kind.items())],
        "",
        f"Inquiries: {len(load.inquiries)} sent — {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}; "
        f"of the cut ones, {cut_stored} were stored (once). Outbox after `flask outbox send` "
        f"({sent.stdout.strip() or sent.stderr.strip()}): {outbox}.",
        "",
        "| check | result | detail |",
        "|---|---|---|",
        *[f"| {name} | {'ok' if ok else '**FAILED**'} | {detail} |" for name, ok, detail in checks],
        "",
    ]
    if stuck_delivered:
        lines += [f"Note: {len(stuck_delivered)} confirmation(s) were accepted by the SMTP server but the worker was "
                  "killed before marking them sent; the outbox claims a 'sending' row again after STUCK_AFTER "
                  "(10 minutes), so that buyer would get a second copy (at-least-once delivery; the Message-ID "
                  "is the same, outbox-<id>, so a receiving server or client can drop the repeat).", ""]
    if load.server_errors:
        lines += ["5xx responses:", *[f"- {path}: {status}" for _, path, status in load.server_errors[:20]], ""]
    summary = "\n".join(lines)
    print("\n" + summary)
    if not args.no_record:
        new = not RESULTS.exists()
        with RESULTS.open("a", encoding="utf-8") as out:
            if new:
                out.write("# Load-and-fault runs\n\nAppended by `bench/fault.py` (see bench/README.md).\n\n")
            out.write(summary + "\n")
    print(f"gunicorn log: {work / 'gunicorn.log'}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
