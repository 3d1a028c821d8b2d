#!/usr/bin/env python3
"""One-command benchmark: seed the data sets, serve them with gunicorn on loopback, measure with wrk.

    .venv/bin/python bench/run.py                                   # both databases, 100k and 1M listings
    .venv/bin/python bench/run.py --db sqlite --sizes 100k           # one database, one size
    .venv/bin/python bench/run.py --producers 200 --products 2000 --inquiries 5000 --duration 2 \\
        --ceiling-duration 2 --out-dir /tmp/bench-small             # a quick check of the script itself

For each database and data set it (1) seeds `seed scale` once and keeps it (SQLite: a file under
bench/.cache/, PostgreSQL: a template database `etalase_bench_cache_<hash>`; each run works on a copy,
because the mix writes inquiries); (2) serves it with gunicorn.conf.py and BENCH_CEILING=1, beside the bare
Flask reference (bench/bare.py: 24 plain cards from memory) served by the same gunicorn.conf.py;
(3) measures with wrk every page twice — with keep-alive (wrk's default; the headline) and with a new
connection per request (`Connection: close`) — and the four ceilings (bare and in-app, both connection
modes) at the start, between the page groups and at the end; (4) writes results-<db>-<size>.json and
RESULTS.md: each page's req/s, p50/p95/p99, its ratio to both ceilings measured around its group, the
requests each worker answered (the `X-Worker` header, GUNICORN_WORKER_HEADER=1) and the workers' RSS,
next to the goals of issue 18. wrk comes from Debian (`apt-get install -y wrk`; the script does it when
it runs as root). Nothing here is part of the unit tests.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import re
import runpy
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchstats as bs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CACHE = BENCH / ".cache"
REPORT_LUA = BENCH / "report.lua"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "Fasilitator-Skala-2026"  # marketplace/seed/scale.py: every scale account has it
ACCOUNTS = {"facilitator": "fasilitator@scale.etalasemetro.id", "moderator": "moderator@scale.etalasemetro.id",
            "producer": "produsen@scale.etalasemetro.id"}
# name → (producers, products, inquiries); `--sizes` picks among them
SIZES = {"100k": (10_000, 100_000, 1_000_000), "1m": (10_000, 1_000_000, 1_000_000)}
# Rough seeding times on this machine's two cores, for the estimate printed up front (SQLite, PostgreSQL)
SEED_MINUTES = {"100k": (1.5, 2.0), "1m": (5.0, 8.0)}
MIX = "mix (browse + 10 % inquiry posts)"
# Every browser asks for compressed pages (and nginx passes the header on): the app then sends brotli, which it keeps
# with each kept page; the bare reference ignores it and sends its page as it is.
ACCEPT_ENCODING = "gzip, deflate, br, zstd"


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def flask(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            check=True, text=True, stdout=subprocess.PIPE if capture else None)
    return result.stdout or ""


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0:
        log("installing wrk from Debian")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return shutil.which("wrk") or sys.exit("wrk did not install")
    sys.exit("wrk is missing: sudo apt-get install -y wrk")


def schema_hash(sizes: tuple[int, int, int]) -> str:
    """The cached data set is valid for these sizes, these migrations and this seeder."""
    digest = hashlib.sha256(repr(sizes).encode())
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")) + [ROOT / "marketplace/seed/scale.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def gunicorn_env(args) -> dict:
    """The gunicorn settings both servers share (the app and the bare reference)."""
    env = {"GUNICORN_WORKER_HEADER": "1", "GUNICORN_REUSE_PORT": "1" if args.reuse_port else "0",
           "PYTHONUNBUFFERED": "1"}
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    return env


def gunicorn_setting(env: dict, name: str):
    """What gunicorn.conf.py sets `name` to under `env` (its defaults live there only). Read without its malloc arena
    limit, which would apply to this process."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update({**env, "GUNICORN_MALLOC_ARENAS": "0"})
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))[name]
    finally:
        os.environ.clear()
        os.environ.update(saved)


def clean_environ() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN_"))}


def base_env(database_url: str, workdir: Path) -> dict:
    return {
        **clean_environ(),
        "APP_ENV": "production", "SECRET_KEY": "bench-only-not-secret", "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(workdir / "instance"), "UPLOAD_DIR": str(workdir / "uploads"),
        "BENCH_CEILING": "1", "INQUIRY_LIMIT": "1000000 per minute", "INQUIRY_MIN_FILL_SECONDS": "0",
        "RATELIMIT_PER_PROCESS": "1",  # the limits are set out of reach anyway; no Redis needed
        "MAIL_PORT": "1",  # nothing listens: mail stays queued in the outbox, as when the SMTP server is down
        "PYTHONUNBUFFERED": "1",
        "SERVER_NAME": "127.0.0.1",  # production needs the site's host: the loopback address it is served on
    }


def seed(env: dict, sizes: tuple[int, int, int]) -> str:
    flask(env, "db", "upgrade")
    out = flask(env, "seed", "scale", "--producers", str(sizes[0]), "--products", str(sizes[1]),
                "--inquiries", str(sizes[2]), capture=True)
    print(out, flush=True)
    return out


def is_cached(kind: str, sizes, pg_url: str) -> bool:
    if kind == "sqlite":
        return (CACHE / f"sqlite-{schema_hash(sizes)}.db").exists()
    try:
        from sqlalchemy import text

        admin = _pg_admin(pg_url)
        with admin.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                 {"n": f"etalase_bench_cache_{schema_hash(sizes)}"}).scalar()
        admin.dispose()
        return bool(found)
    except Exception:  # noqa: BLE001 — only for the estimate; the run itself reports a PostgreSQL that is down
        return False


# ------------------------------------------------------------------ databases


def prepare_sqlite(sizes, workdir: Path) -> tuple[str, str]:
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"sqlite-{schema_hash(sizes)}.db"
    seed_log = cached.with_suffix(".log")
    if not cached.exists():
        building = cached.with_suffix(".building")
        for leftover in CACHE.glob(building.name + "*"):
            leftover.unlink()
        log(f"seeding SQLite {sizes} into {building}")
        out = seed(base_env(f"sqlite:///{building}", workdir), sizes)
        with sqlite3.connect(building) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        building.rename(cached)
        seed_log.write_text(out)
    log(f"copying the cached data set {cached.name} ({cached.stat().st_size / 1e9:.1f} GB)")
    target = workdir / "bench.db"
    shutil.copyfile(cached, target)
    return f"sqlite:///{target}", seed_log.read_text() if seed_log.exists() else ""


def _pg_admin(base_url: str):
    from sqlalchemy import create_engine, make_url

    return create_engine(make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def prepare_postgres(sizes, workdir: Path, base_url: str) -> tuple[str, str, callable]:
    from sqlalchemy import make_url, text

    admin = _pg_admin(base_url)
    cache_name = f"etalase_bench_cache_{schema_hash(sizes)}"
    run_name = f"etalase_bench_{os.getpid()}"
    url = make_url(base_url)
    seed_log = CACHE / f"{cache_name}.log"
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": cache_name}).scalar()
        if not exists:
            building = cache_name + "_building"
            conn.execute(text(f'DROP DATABASE IF EXISTS "{building}"'))
            conn.execute(text(f'CREATE DATABASE "{building}"'))
            log(f"seeding PostgreSQL {sizes} into {building}")
            out = seed(base_env(url.set(database=building).render_as_string(hide_password=False), workdir), sizes)
            conn.execute(text(f'ALTER DATABASE "{building}" RENAME TO "{cache_name}"'))
            CACHE.mkdir(parents=True, exist_ok=True)
            seed_log.write_text(out)
        log(f"creating {run_name} from the template {cache_name}")
        conn.execute(text(f'DROP DATABASE IF EXISTS "{run_name}"'))
        conn.execute(text(f'CREATE DATABASE "{run_name}" TEMPLATE "{cache_name}"'))

    def drop():
        with admin.connect() as c:
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": run_name})
            c.execute(text(f'DROP DATABASE IF EXISTS "{run_name}"'))
        admin.dispose()

    return (url.set(database=run_name).render_as_string(hide_password=False),
            seed_log.read_text() if seed_log.exists() else "", drop)


def sample_ids(database_url: str) -> dict:
    """A typical product and storefront (a producer with about the mean number of listings), the largest
    storefront, and an open inquiry of the facilitator's with a forward (its page shows the most), for rice (the
    commodity asked for most): the same kind of page at every size, as the scale comparison needs."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        product = conn.execute(text(
            "SELECT p.id FROM product p JOIN producer pr ON pr.id = p.producer_id "
            "WHERE p.status = 'published' AND pr.status = 'published' AND p.price_min IS NOT NULL "
            "AND EXISTS (SELECT 1 FROM photo WHERE photo.product_id = p.id) ORDER BY p.id LIMIT 1 OFFSET 500")).scalar()
        producer = conn.execute(text(
            "SELECT pr.slug, count(*) AS n FROM producer pr JOIN product p ON p.producer_id = pr.id "
            "WHERE pr.status = 'published' AND p.status = 'published' GROUP BY pr.slug HAVING count(*) BETWEEN 8 AND 12 "
            "ORDER BY pr.slug LIMIT 1")).first()
        if producer is None:  # a small data set: whichever storefront has a few listings
            producer = conn.execute(text(
                "SELECT pr.slug, count(*) AS n FROM producer pr JOIN product p ON p.producer_id = pr.id "
                "WHERE pr.status = 'published' AND p.status = 'published' GROUP BY pr.slug "
                "ORDER BY abs(count(*) - 10), pr.slug LIMIT 1")).first()
        biggest = conn.execute(text(
            "SELECT pr.slug, count(*) AS n FROM producer pr JOIN product p ON p.producer_id = pr.id "
            "WHERE pr.status = 'published' AND p.status = 'published' GROUP BY pr.slug ORDER BY n DESC LIMIT 1")).first()
        inquiry = conn.execute(text(
            "SELECT i.id FROM inquiry i JOIN user_account u ON u.id = i.assigned_to_id WHERE u.email = :e "
            "AND i.status IN ('negotiating', 'responded', 'forwarded', 'in_review') "
            "AND i.category_id = (SELECT id FROM category WHERE slug = 'beras-serealia') "
            "ORDER BY i.status = 'negotiating' DESC, i.id DESC LIMIT 1"), {"e": ACCOUNTS["facilitator"]}).scalar()
        dashboard = conn.execute(text(
            "SELECT pr.slug, (SELECT count(*) FROM product p WHERE p.producer_id = pr.id) FROM user_account u "
            "JOIN producer pr ON pr.id = u.producer_id WHERE u.email = :e"), {"e": ACCOUNTS["producer"]}).first()
    engine.dispose()
    if not (product and producer and biggest and inquiry and dashboard):
        sys.exit(f"the data set lacks a page to measure: product {product}, storefront {producer}, "
                 f"largest {biggest}, inquiry {inquiry}, producer account {dashboard} (seed scale too old?)")
    return {"product": product, "producer": producer[0], "producer_n": producer[1],
            "biggest": biggest[0], "biggest_n": biggest[1], "inquiry": inquiry,
            "dashboard": dashboard[0], "dashboard_n": dashboard[1]}


def pages_for(ids: dict) -> list[list[dict]]:
    """The measured pages in groups; the four ceilings are measured before the first group, between two groups
    and after the last, and each page's ratios are to the ceilings just before and after its group."""
    def page(name, path, kind="anon", who=None):
        return {"name": name, "path": path, "kind": kind, "who": who}

    return [
        [page("home", "/"),
         page("catalog", "/products"),
         page("catalog, 2 filters", "/products?category=olahan-pangan&kecamatan=metro-timur"),
         page("catalog, page 200", "/products?page=200"),
         page("producer directory", "/producers")],
        [page("search, rare term", "/products?q=kecombrang"),
         page("search, common term", "/products?q=beras"),
         page("search, term + filter", "/products?q=keripik&kecamatan=metro-barat"),
         page("product", f"/products/{ids['product']}"),
         page(f"storefront ({ids['producer_n']} listings)", f"/producers/{ids['producer']}"),
         page(f"storefront, largest ({ids['biggest_n']:,} listings)", f"/producers/{ids['biggest']}")],
        [page("API products", "/api/v1/products"),
         page("API producers", "/api/v1/producers"),
         page(f"producer dashboard ({ids['dashboard_n']:,} listings)", "/dashboard/", "signed", "producer"),
         page("moderation queue", "/moderation/", "signed", "moderator"),
         page("facilitator queue", "/facilitator/inquiries", "signed", "facilitator"),
         page("inquiry page", f"/facilitator/inquiries/{ids['inquiry']}", "signed", "facilitator"),
         page("monitoring dashboard", "/facilitator/dashboard", "signed", "facilitator")],
        [page(MIX, "/products", "mix")],
    ]


PAGE_COUNT = sum(len(g) for g in pages_for({"product": 1, "producer": "x", "producer_n": 1, "biggest": "y",
                                            "biggest_n": 1, "inquiry": 1, "dashboard": "z", "dashboard_n": 1}))
GROUP_COUNT = 4


# ------------------------------------------------------------------ server and client


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class Server:
    """gunicorn with gunicorn.conf.py serving `app` (the marketplace or the bare reference) on loopback."""

    def __init__(self, env: dict, port: int, app: str, log_path: Path):
        self.port = port
        self.app = app
        self.log_path = log_path
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        # With SO_REUSEPORT a second server on a busy port would share it instead of failing: check first.
        if not port_free(self.port):
            sys.exit(f"port {self.port} is in use (a server left over?): choose another with --port")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log_file = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"), self.app], cwd=ROOT,
                                     env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                # Every worker forked, not only the first: a ceiling measured before the second worker is up is
                # one worker's (about half), and every ratio to it looks better than it is.
                if self.get("/healthz")[0] == 200 and len(self.workers()) >= self.expected_workers:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                sys.exit(f"gunicorn exited: see {self.log_path}")
            time.sleep(0.2)
        sys.exit(f"gunicorn did not answer /healthz with {self.expected_workers} workers")

    @property
    def expected_workers(self) -> int:
        return gunicorn_setting(self.env, "workers")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def memory_mb(self, field: str = "Rss") -> dict[str, float]:
        """Each worker's resident memory (`Rss`), or its proportional share (`Pss`: the pages it shares with
        the master and the other workers after preload counted once, split between them)."""
        sizes = {}
        for pid in self.workers():
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            match = re.search(rf"^{field}:\s+(\d+) kB", rollup, re.M)
            if match:
                sizes[str(pid)] = round(int(match.group(1)) / 1024, 1)
        return sizes

    def rss_mb(self) -> dict[str, float]:
        return self.memory_mb("Rss")

    def get(self, path: str, cookie: str = "", method: str = "GET", body: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        cookies = [c.split(";", 1)[0] for k, c in response.getheaders() if k.lower() == "set-cookie"]
        worker = response.getheader("X-Worker", "")
        conn.close()
        return response.status, data, cookies, worker

    def warm(self, path: str, cookie: str = "", per_worker: int = 3) -> None:
        """Until every worker has answered the page `per_worker` times (its caches filled); a new connection per
        request, so the kernel picks the worker (SO_REUSEPORT)."""
        expected = self.expected_workers
        seen: dict[str, int] = {}
        for _ in range(20 * expected * per_worker):
            status, _body, _c, worker = self.get(path, cookie=cookie)
            if status != 200:
                sys.exit(f"{path} answered {status}")
            seen[worker] = seen.get(worker, 0) + 1
            if len(seen) >= expected and min(seen.values()) >= per_worker:
                return


def _field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page)
    if not match:
        sys.exit(f"no {name} on the page")
    return match.group(1).replace("&amp;", "&")


def sign_in(server: Server, email: str, password: str = PASSWORD) -> str:
    """Sign in through the real login form (with its CSRF token); the session cookie is reused by wrk."""
    status, page, cookies, _w = server.get("/auth/login")
    cookie = "; ".join(cookies)
    body = urllib.parse.urlencode({"csrf_token": _field(page, "csrf_token"), "email": email, "password": password})
    status, _page, cookies, _w = server.get("/auth/login", cookie=cookie, method="POST", body=body)
    if status != 302 or not cookies:
        sys.exit(f"sign-in of {email} failed ({status})")
    cookie = "; ".join(cookies)
    # The page a browser lands on makes the session's CSRF token, and the browser keeps the cookie that carries it
    # (wrk sends one cookie throughout; without the token each request would make one afresh).
    status, _page, cookies, _w = server.get("/", cookie=cookie)
    return "; ".join(cookies) if cookies else cookie


def inquiry_forms(server: Server, product: int, count: int, path: Path) -> None:
    """`count` inquiry forms as a browser gets them, each in a session of its own, one a line of `path`
    (cookie, CSRF token, form token, start stamp): each one posted stores one inquiry (bench/report.lua)."""
    lines = []
    for _ in range(count):
        status, page, cookies, _w = server.get(f"/inquiries/new?product={product}")
        if status != 200:
            sys.exit(f"the inquiry form answered {status}")
        lines.append("\t".join(("; ".join(cookies), _field(page, "csrf_token"), _field(page, "form_token"),
                                _field(page, "started"))))
    path.write_text("\n".join(lines) + "\n")


def wrk(url: str, args, duration: float, close: bool, cookie: str = "", lua_args: list[str] = ()) -> dict:
    """Keep-alive is wrk's default (the headline figure); `close` sends `Connection: close`, a new TCP
    connection per request. SO_REUSEPORT (gunicorn.conf.py) spreads kept-alive connections over the workers:
    with the master's one socket they often all landed on one worker (see the per-worker counts)."""
    cmd = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{duration}s", "--timeout", "10s",
           "-s", str(REPORT_LUA)]
    if close:
        cmd += ["-H", "Connection: close"]
    if args.accept_encoding:
        cmd += ["-H", f"Accept-Encoding: {args.accept_encoding}"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd += [url]
    if lua_args:
        cmd += ["--", *lua_args]
    out = subprocess.run(cmd, check=True, text=True, capture_output=True).stdout
    return bs.parse_wrk(out)


# ------------------------------------------------------------------ one database and size


def run_one(kind: str, label: str, sizes, args, bare: Server) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"etalase-bench-{kind}-{label}-"))
    (workdir / "instance").mkdir()
    (workdir / "uploads").mkdir()
    drop = None
    try:
        if kind == "sqlite":
            url, seed_out = prepare_sqlite(sizes, workdir)
        else:
            url, seed_out, drop = prepare_postgres(sizes, workdir, args.pg_url)
        ids = sample_ids(url)
        env = {**base_env(url, workdir), **gunicorn_env(args)}
        groups = pages_for(ids)
        with Server(env, args.port, "wsgi:app", workdir / "gunicorn.log") as app:
            cookies = {who: sign_in(app, email) for who, email in ACCOUNTS.items()}
            app_base, bare_base = f"http://127.0.0.1:{app.port}", f"http://127.0.0.1:{bare.port}"
            app.warm("/_bench/ceiling")
            bare.warm("/")
            blocks: list[dict] = []

            def ceilings(where: str) -> None:
                log(f"{kind} {label}: ceilings ({where})")
                block = {"where": where}
                for series, base, path in (("bare", bare_base, "/"), ("app", app_base, "/_bench/ceiling")):
                    block[series] = wrk(base + path, args, args.ceiling_duration, close=False)
                    block[series + "_close"] = wrk(base + path, args, args.ceiling_duration, close=True)
                block["rss_mb"], block["pss_mb"] = app.rss_mb(), app.memory_mb("Pss")
                blocks.append(block)

            mix_paths = [p["path"] for p in groups[0] + groups[1] if p["kind"] == "anon"]
            results = []
            ceilings("start")
            for number, group in enumerate(groups):
                for page in group:
                    cookie = cookies.get(page["who"], "")
                    lua_args: list[str] = []
                    forms: dict[str, Path] = {}
                    if page["kind"] == "mix":
                        # Browsing is anonymous (no cookie); each post carries a form of its own and its session.
                        log(f"{kind} {label}: fetching 2 × {args.mix_forms} inquiry forms for the mix")
                        forms = {mode: workdir / f"forms-{mode}.tsv" for mode in ("keepalive", "close")}
                        for path in forms.values():  # each wrk run starts its Lua state afresh: a file each
                            inquiry_forms(app, ids["product"], args.mix_forms, path)
                        before = count_inquiries(url)
                    else:
                        app.warm(page["path"], cookie)
                    log(f"{kind} {label}: {page['name']} ({page['path']})")
                    entry = {**page, "group": number}
                    for mode in ("keepalive", "close"):
                        if page["kind"] == "mix":
                            lua_args = ["mix", str(forms[mode]), str(args.wrk_threads), str(ids["product"]),
                                        *mix_paths]
                        entry[mode] = wrk(app_base + page["path"], args, args.duration, mode == "close", cookie,
                                          lua_args)
                    entry["rss_mb"], entry["pss_mb"] = app.rss_mb(), app.memory_mb("Pss")
                    if page["kind"] == "mix":
                        entry["inquiries_created"] = count_inquiries(url) - before
                    results.append(entry)
                ceilings("end" if number == len(groups) - 1 else f"after group {number + 1}")
            # Page 200 against page 1 with one client, alternating, so queueing and the drifting load cancel out.
            sequential: dict[str, list[float]] = {"/products": [], "/products?page=200": []}
            for _ in range(args.sequential):
                for path in sequential:
                    t0 = time.perf_counter()
                    app.get(path)
                    sequential[path].append((time.perf_counter() - t0) * 1e6)
            single = {path: statistics.median(v) for path, v in sequential.items() if v}
            measured = [p for group in groups for p in group]
            after_change = first_after_change(app, url, [p for p in measured if p["kind"] == "anon"])
            signed = [p for p in measured if p["kind"] == "signed"]
            for page in signed:  # their figures again under the catalog versions the changes above made
                app.warm(page["path"], cookies[page["who"]])
            # The data version (marketplace/trade/version.py): every write through the app bumps it, and the
            # signed-in pages are kept per session under it.
            from marketplace.trade.version import DATA_BUMP_SQL

            after_write = first_after_change(app, url, signed, bump=DATA_BUMP_SQL, cookies=cookies)
            workers = len(app.workers())
        return {"database": kind, "size": label, "sizes": sizes, "ids": ids, "seed": seed_out, "pages": results,
                "ceilings": blocks, "single": single, "after_change": after_change,
                "after_write": after_write, "versions": versions(url),
                "date": datetime.now(UTC).isoformat(timespec="seconds"), "workers": workers,
                "threads": gunicorn_setting(env, "threads"), "reuse_port": args.reuse_port,
                "connections": args.connections, "accept_encoding": args.accept_encoding, "duration": args.duration,
                "mix_forms": args.mix_forms,
                "ceiling_duration": args.ceiling_duration, "loadavg": os.getloadavg()}
    finally:
        if drop:
            drop()
        shutil.rmtree(workdir, ignore_errors=True)


CATALOG_BUMP = "UPDATE catalog_state SET version = version + 1 WHERE id = 1"


def first_after_change(app: Server, url: str, pages: list[dict], rounds: int = 3, bump: str = CATALOG_BUMP,
                       cookies: dict[str, str] | None = None) -> dict[str, float]:
    """Each page's first request after a change (ms, the median of `rounds`): the version is bumped as a change
    bumps it, then the page is asked for once, on a new connection (the worker it lands on has kept the page and
    its figures under the version before). Anonymous pages after a change buyers can see (the catalog version:
    what a visitor meets right after a moderator's approval; the issue's freshness bar is 150 ms); signed-in pages
    (`cookies` by who) after any write (the data version): what the page costs whenever it is rendered."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    found: dict[str, list[float]] = {p["name"]: [] for p in pages}
    try:
        for _ in range(rounds):
            for page in pages:
                with engine.begin() as conn:
                    conn.execute(text(bump))
                t0 = time.perf_counter()
                app.get(page["path"], cookie=(cookies or {}).get(page["who"], ""))
                found[page["name"]].append((time.perf_counter() - t0) * 1000)
                time.sleep(0.5)  # the figures recomputed behind the request, as between two visitors
    finally:
        engine.dispose()
    return {name: statistics.median(v) for name, v in found.items()}


def count_inquiries(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM inquiry")).scalar()
    engine.dispose()
    return n


def versions(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            version = "SQLite " + conn.execute(text("SELECT sqlite_version()")).scalar()
        else:
            version = conn.execute(text("SELECT version()")).scalar().split(" on ")[0]
    engine.dispose()
    return version


# ------------------------------------------------------------------ report


def machine() -> str:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        mem = f"{int(open('/proc/meminfo').readline().split()[1]) / 1024 / 1024:.0f} GB RAM"
    except OSError:
        pass
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0:1]
    gunicorn = subprocess.run([str(Path(sys.executable).with_name("gunicorn")), "--version"], capture_output=True,
                              text=True).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}), {mem}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, {gunicorn}, {' '.join(wrk_version)}")


def ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def page_ratios(data: dict) -> dict[str, dict]:
    """Per page: its figures in both modes and the ratios to the ceilings around its group."""
    blocks = data["ceilings"]
    bare_p99 = statistics.median(b["bare"]["p99_us"] for b in blocks if b["bare"]["requests"]) if blocks else 0
    out = {}
    for page in data["pages"]:
        ka, close = page["keepalive"], page["close"]
        near = {s: bs.nearest(blocks, page["group"], s) for s in bs.SERIES}
        goal, verdict = bs.verdict(page["kind"], bs.ratio(ka, near["bare"]), ka["p99_us"], bare_p99)
        out[page["name"]] = {
            "ka": ka, "close": close, "near": near, "goal": goal, "verdict": verdict,
            "bare": bs.ratio(ka, near["bare"]), "app": bs.ratio(ka, near["app"]),
            "bare_close": bs.ratio(close, near["bare_close"]), "app_close": bs.ratio(close, near["app_close"]),
            "rss": max(page["rss_mb"].values() or [0]), "kind": page["kind"],
        }
    return out


def table(data: dict) -> list[str]:
    rows = page_ratios(data)
    blocks = data["ceilings"]
    workers = data["workers"]
    bare_p99s = [b["bare"]["p99_us"] for b in blocks if b["bare"]["requests"]]
    bare_p99 = statistics.median(bare_p99s) if bare_p99s else 0
    p = data["sizes"]
    lines = [
        f"Data set: {p[0]:,} producers, {p[1]:,} listings, {p[2]:,} inquiries. {data['versions']}. gunicorn "
        f"{workers} workers × {data['threads']} threads, SO_REUSEPORT {'on' if data.get('reuse_port') else 'off'}; "
        f"wrk {data['connections']} connections, {data['duration']} s per page and mode, "
        f"Accept-Encoding: {data.get('accept_encoding') or 'none'}, "
        f"{data['ceiling_duration']} s per ceiling. Run at {data['date']}, load average at the end "
        f"{', '.join(f'{x:.2f}' for x in data['loadavg'])}.",
        "",
        "Goals are checked with keep-alive against the bare reference measured around the page's group; "
        f"the p99 bar is {bs.P99_FACTOR:g} × the bare reference's median p99 of this run ({ms(bare_p99)} ms). "
        "\"Per worker\" is the share of the keep-alive requests each worker answered.",
        "",
        "| page | goal | req/s | p50 ms | p95 ms | p99 ms | × bare | × in-app | | new conn. req/s | p99 ms "
        "| × bare | × in-app | per worker | RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|",
    ]
    for name, r in rows.items():
        ka, close = r["ka"], r["close"]
        errors = ka["errors"] + close["errors"]
        flag = f" ({errors} errors)" if errors else ""
        lines.append(
            f"| {name}{flag} | {r['goal']} | {ka['rps']:.0f} | {ms(ka['p50_us'])} | {ms(ka['p95_us'])} | "
            f"{ms(ka['p99_us'])} | {r['bare']:.2f} | {r['app']:.2f} | {r['verdict']} | {close['rps']:.0f} | "
            f"{ms(close['p99_us'])} | {r['bare_close']:.2f} | {r['app_close']:.2f} | "
            f"{bs.spread_text(ka['workers'], workers)} | {r['rss']:.0f} |")
    lines += [
        "",
        "Ceilings, measured at the start, between the groups and at the end (req/s, p99 ms; per worker with "
        "keep-alive):",
        "",
        "| when | bare | p99 | per worker | bare, new conn. | in-app | p99 | per worker | in-app, new conn. |",
        "|---|---:|---:|---|---:|---:|---:|---|---:|",
    ]
    for b in blocks:
        lines.append(
            f"| {b['where']} | {b['bare']['rps']:.0f} | {ms(b['bare']['p99_us'])} | "
            f"{bs.spread_text(b['bare']['workers'], workers)} | {b['bare_close']['rps']:.0f} | {b['app']['rps']:.0f} | "
            f"{ms(b['app']['p99_us'])} | {bs.spread_text(b['app']['workers'], workers)} | "
            f"{b['app_close']['rps']:.0f} |")
    rss_all = max([r["rss"] for r in rows.values()] + [max(b["rss_mb"].values() or [0]) for b in blocks])
    per_worker = max((p["rss_mb"] for p in data["pages"]), key=lambda d: max(d.values() or [0]), default={})
    pss_all = max([max(p.get("pss_mb", {}).values() or [0]) for p in data["pages"]] or [0])
    passed = sum(r["verdict"] == "pass" for r in rows.values())
    goals = sum(bool(r["verdict"]) for r in rows.values())
    lines += [
        "",
        f"- Goals met: {passed} of {goals} pages; memory: largest worker {rss_all:.0f} MB "
        f"({', '.join(f'{v:.0f}' for v in per_worker.values())} MB per worker at that point) — goal ≤ "
        f"{bs.RSS_GOAL_MB} MB: {'pass' if rss_all <= bs.RSS_GOAL_MB else 'miss'}. Proportional (PSS, the pages "
        f"shared with the preloading master split between the processes): at most {pss_all:.0f} MB a worker.",
    ]
    single = data.get("single") or {}
    if len(single) == 2:
        p1, p200 = single["/products"], single["/products?page=200"]
        lines.append(f"- Page 200 vs page 1 with one client, alternating: {ms(p200)} ms vs {ms(p1)} ms median "
                     f"({p200 / p1:.2f}×).")
    after = data.get("after_change") or {}
    if after:
        slow = [name for name, v in after.items() if v > bs.FRESH_MS]
        lines.append(f"- First request after a change (catalog version bumped, median of 3, one client; goal ≤ "
                     f"{bs.FRESH_MS} ms): " + "; ".join(f"{name} {v:,.0f} ms" for name, v in after.items())
                     + f" — {'pass' if not slow else 'miss: ' + ', '.join(slow)}.")
    after_write = data.get("after_write") or {}
    if after_write:
        lines.append("- Signed-in pages, first request after a write (data version bumped: the page rendered, not "
                     "kept; median of 3, one client; no goal): "
                     + "; ".join(f"{name} {v:,.0f} ms" for name, v in after_write.items()) + ".")
    mix = next((p for p in data["pages"] if p["kind"] == "mix"), None)
    if mix:
        posts = sum(mix[m]["statuses"].get("302", 0) for m in ("keepalive", "close"))
        codes = ", ".join(f"{code}: {n:,}" for code, n in sorted(mix["keepalive"]["statuses"].items()))
        lines.append(f"- Mix: browsing is anonymous, one request in ten posts an inquiry with a form issued to it "
                     f"({data.get('mix_forms', 0):,} forms per run, then posted again); {posts:,} posts answered "
                     f"with a redirect within the runs, {mix.get('inquiries_created', 0):,} inquiries stored (keep-alive run's "
                     f"statuses: {codes}).")
    i = data["ids"]
    lines.append(f"- Pages: product {i['product']}, storefront `{i['producer']}` ({i['producer_n']} listings), "
                 f"largest storefront `{i['biggest']}` ({i['biggest_n']:,}), producer dashboard of `{i['dashboard']}` "
                 f"({i['dashboard_n']:,} listings), inquiry {i['inquiry']}.")
    seed_line = next((line for line in data["seed"].splitlines() if line.startswith("Loaded")), "")
    if seed_line:
        lines.append(f"- Seeding (`seed scale`, when the cache was built): {seed_line}")
    return lines


def scale_table(small: dict, large: dict) -> list[str]:
    a, b = page_ratios(small), page_ratios(large)

    def key(name: str) -> str:  # storefront names carry their listing counts, which differ between sizes
        return re.sub(r" \([\d,]+ listings\)", "", name)

    b_by = {key(n): r for n, r in b.items()}
    lines = [
        f"Each page's ratio to the bare reference (keep-alive) at {small['size']} and {large['size']}; flagged when "
        f"the larger data set's is more than {bs.SCALE_DROP:.0%} below.",
        "",
        f"| page | × bare {small['size']} | × bare {large['size']} | × in-app {small['size']} | "
        f"× in-app {large['size']} | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, r in a.items():
        other = b_by.get(key(name))
        if other:
            lines.append(f"| {key(name)} | {r['bare']:.2f} | {other['bare']:.2f} | {r['app']:.2f} | "
                         f"{other['app']:.2f} | {bs.scale_flag(r['bare'], other['bare'])} |")
    return lines


def write_report(path: Path, runs: list[dict], command: str) -> None:
    sections = []
    titles = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    for kind in ("sqlite", "postgres"):
        mine = [d for d in runs if d["database"] == kind]
        for data in mine:
            sections += [f"## {titles[kind]}, {data['size']}", "", *table(data), ""]
        if len(mine) > 1:
            sections += [f"## {titles[kind]}: {mine[0]['size']} against {mine[-1]['size']}", "",
                         *scale_table(mine[0], mine[-1]), ""]
    notes = (BENCH / "NOTES.md").read_text() if (BENCH / "NOTES.md").exists() else ""
    path.write_text("\n".join([
        "# Benchmark results",
        "",
        "Written by `bench/run.py` from one run (do not edit by hand; the notes at the end come from bench/NOTES.md).",
        "",
        f"Machine: {machine()}.",
        "",
        "Ratios to the ceilings, measured in the same run, are the comparable figures; absolute requests/s depend "
        "on the machine and on what else runs on it (each section gives the load average at its end).",
        "",
        "- **Bare reference** (`bench/bare.py`): a minimal Flask app rendering 24 plain cards from memory with a "
        "plain Jinja template, served by the same gunicorn.conf.py and measured by the same wrk settings.",
        "- **In-app ceiling** (`/_bench/ceiling`, only with `BENCH_CEILING=1`): the app's base template and 24 "
        "real product cards from memory, no database.",
        "- **Keep-alive** (wrk's default) is the headline; **new conn.** sends `Connection: close`, a TCP set-up per "
        "request. gunicorn binds one socket per worker (SO_REUSEPORT), which spreads kept-alive connections.",
        "- **Accept-Encoding**: wrk sends what Chromium sends, so the app answers with the brotli copy it keeps with "
        "each kept page (and compresses the pages it renders); the bare reference sends its page uncompressed.",
        f"- **Goals** (issue 18): anonymous pages ≥ {bs.ANON_RATIO} × the bare reference's req/s and p99 ≤ "
        f"{bs.P99_FACTOR:g} × its p99; signed-in pages ≥ {bs.SIGNED_RATIO} ×; the mix p99 ≤ {bs.P99_FACTOR:g} × "
        f"its p99; ≤ {bs.RSS_GOAL_MB} MB per worker; at 1M listings no ratio more than {bs.SCALE_DROP:.0%} below "
        "its 100k figure.",
        "",
        f"Reproduce: `make install && .venv/bin/python bench/run.py` (see bench/README.md). This file was written "
        f"by: `{command}`.",
        "",
        *sections,
        notes,
    ]))


def size_label(products: int) -> str:
    if products and products % 1_000_000 == 0:
        return f"{products // 1_000_000}m"
    return f"{products // 1000}k" if products and products % 1000 == 0 else str(products)


def parse_sizes(args) -> list[tuple[str, tuple[int, int, int]]]:
    """`--sizes 100k,1m` (presets) or `producers/products/inquiries` triples; --producers/--products/--inquiries
    make one data set of their own (the 100k preset for what they leave out)."""
    if args.products is not None or args.producers is not None or args.inquiries is not None:
        base = SIZES["100k"]
        sizes = (args.producers if args.producers is not None else base[0],
                 args.products if args.products is not None else base[1],
                 args.inquiries if args.inquiries is not None else base[2])
        return [(size_label(sizes[1]), sizes)]
    out = []
    for name in [s.strip().lower() for s in args.sizes.split(",") if s.strip()]:
        if re.fullmatch(r"\d+/\d+/\d+", name):
            triple = tuple(int(x) for x in name.split("/"))
            out.append((size_label(triple[1]), triple))
        elif name in SIZES:
            out.append((name, SIZES[name]))
        else:
            sys.exit(f"unknown size {name}: {', '.join(SIZES)} or producers/products/inquiries, e.g. 200/2000/5000")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--sizes", default="100k,1m", help=f"data sets, comma-separated: {', '.join(SIZES)}, or producers/products/inquiries triples")
    parser.add_argument("--producers", type=int, help="a data set of its own instead of --sizes")
    parser.add_argument("--products", type=int, help="a data set of its own instead of --sizes")
    parser.add_argument("--inquiries", type=int, help="a data set of its own instead of --sizes")
    parser.add_argument("--duration", type=int, default=8, help="seconds of wrk per page and connection mode")
    parser.add_argument("--ceiling-duration", type=int, default=5, help="seconds of wrk per ceiling measurement")
    parser.add_argument("--sequential", type=int, default=60,
                        help="requests of page 1 and page 200 each, one client, alternating (median compared)")
    parser.add_argument("--mix-forms", type=int, default=400,
                        help="inquiry forms fetched per mix run: each stores one inquiry, then they are posted again")
    parser.add_argument("--accept-encoding", default=ACCEPT_ENCODING,
                        help="the Accept-Encoding header wrk sends (\"\" for none); default: what Chromium sends")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=0, help="threads per worker (default: gunicorn.conf.py)")
    parser.add_argument("--no-reuse-port", dest="reuse_port", action="store_false",
                        help="one listening socket in the master (GUNICORN_REUSE_PORT=0), to compare the spread")
    parser.add_argument("--port", type=int, default=8765, help="the app's port; the bare reference uses the next")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL", PG_DEFAULT))
    parser.add_argument("--skip", default="",
                        help="database:size pairs left out of --db × --sizes, comma-separated (e.g. postgres:1m)")
    parser.add_argument("--estimate", action="store_true", help="print the estimated duration and stop")
    parser.add_argument("--out-dir", default=str(BENCH), help="where results-<db>-<size>.json and RESULTS.md go")
    args = parser.parse_args()
    ensure_wrk()
    kinds = [k.strip() for k in args.db.split(",") if k.strip()]
    for kind in kinds:
        if kind not in ("sqlite", "postgres"):
            sys.exit(f"unknown database {kind}")
    sizes = parse_sizes(args)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    skipped = {pair.strip() for pair in args.skip.split(",") if pair.strip()}
    combos = [(kind, label, s) for kind in kinds for label, s in sizes if f"{kind}:{label}" not in skipped]
    measuring = bs.estimate_seconds(PAGE_COUNT, GROUP_COUNT + 1, args.duration, args.ceiling_duration, len(combos))
    seeding = sum(SEED_MINUTES.get(label, (0.5, 0.5))[kind == "postgres"] * 60
                  for kind, label, s in combos if not is_cached(kind, s, args.pg_url))
    copying = sum(60 if label == "1m" else 10 for _k, label, _s in combos)
    total = measuring + seeding + copying
    log(f"{len(combos)} runs ({', '.join(f'{k} {l}' for k, l, _ in combos)}): {PAGE_COUNT} pages × 2 connection "
        f"modes × {args.duration:g} s and {GROUP_COUNT + 1} × 4 ceilings × {args.ceiling_duration:g} s each. "
        f"Estimated duration ≈ {total / 60:.0f} min (measuring {measuring / 60:.0f}, seeding what is not cached "
        f"{seeding / 60:.0f}, copying the data sets {copying / 60:.0f}); finishes ≈ "
        f"{datetime.fromtimestamp(time.time() + total):%H:%M}.")
    if args.estimate:
        return
    if out_dir.resolve() == BENCH:  # the one-file-per-database results of the benchmark before issue 18
        for legacy in ("results-sqlite.json", "results-postgres.json"):
            (BENCH / legacy).unlink(missing_ok=True)
    started = time.time()
    runs = []
    bare_log = Path(tempfile.mkstemp(prefix="etalase-bench-bare-", suffix=".log")[1])
    with Server({**clean_environ(), **gunicorn_env(args)}, args.port + 1, "bench.bare:app", bare_log) as bare:
        for kind, label, s in combos:
            data = run_one(kind, label, s, args, bare)
            (out_dir / f"results-{kind}-{label}.json").write_text(json.dumps(data, indent=1))
            print("\n".join(table(data)), flush=True)
            runs.append(data)
            write_report(out_dir / "RESULTS.md", runs, "python bench/run.py " + " ".join(sys.argv[1:]))
    bare_log.unlink(missing_ok=True)
    for kind in kinds:
        mine = [d for d in runs if d["database"] == kind]
        if len(mine) > 1:
            print("\n".join(scale_table(mine[0], mine[-1])), flush=True)
    log(f"wrote {out_dir / 'RESULTS.md'} in {(time.time() - started) / 60:.1f} min (estimated {total / 60:.0f})")


if __name__ == "__main__":
    main()
