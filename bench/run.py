#!/usr/bin/env python3
"""One-command benchmark: seed the data set, serve it with gunicorn on loopback, measure with wrk.

    .venv/bin/python bench/run.py                      # SQLite and PostgreSQL, the "M" data set
    .venv/bin/python bench/run.py --db sqlite --duration 10
    .venv/bin/python bench/run.py --producers 1000 --products 10000 --inquiries 100000   # a quick "S" run

For each database it (1) seeds `seed scale` once and keeps it (SQLite: a file under bench/.cache/,
PostgreSQL: a template database `etalase_bench_cache_<hash>`; each run works on a copy, because
the mixed load writes inquiries); (2) starts gunicorn with gunicorn.conf.py and BENCH_CEILING=1;
(3) runs wrk against the ceiling (/_bench/ceiling: the base template and 24 cards from memory) and
every page, in the same run; (4) writes bench/results-<db>.json and bench/RESULTS.md with each
page's ratio to the ceiling next to its goal. wrk comes from Debian (`apt-get install -y wrk`; the
script does it when it runs as root). Nothing here is part of the unit tests.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CACHE = BENCH / ".cache"
REPORT_LUA = BENCH / "report.lua"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
FACILITATOR = ("fasilitator@scale.etalasemetro.id", "Fasilitator-Skala-2026")

# name → (goal as a ratio of the ceiling's requests/s, or None: reported without a goal)
GOALS = {
    "catalog": 0.5, "catalog, 2 filters": 0.5, "catalog, page 200": 0.5,
    "search, rare term": None, "search, common term": 0.3, "search, term + filter": None,
    "product": 0.6, "storefront": 0.6, "facilitator queue": 0.4, "mix (10% inquiry posts)": None,
}
RSS_GOAL_MB = 120


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


def base_env(database_url: str, workdir: Path) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN_"))},
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
    log(f"copying the cached data set {cached.name}")
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
        conn.execute(text(f'CREATE DATABASE "{run_name}" TEMPLATE "{cache_name}"'))

    def drop():
        with admin.connect() as c:
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": run_name})
            c.execute(text(f'DROP DATABASE IF EXISTS "{run_name}"'))
        admin.dispose()

    return (url.set(database=run_name).render_as_string(hide_password=False),
            seed_log.read_text() if seed_log.exists() else "", drop)


def sample_ids(database_url: str) -> dict:
    """A typical product and storefront (a producer with about the mean number of listings)."""
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
        biggest = conn.execute(text(
            "SELECT pr.slug, count(*) AS n FROM producer pr JOIN product p ON p.producer_id = pr.id "
            "WHERE pr.status = 'published' AND p.status = 'published' GROUP BY pr.slug ORDER BY n DESC LIMIT 1")).first()
    engine.dispose()
    return {"product": product, "producer": producer[0], "producer_n": producer[1],
            "biggest": biggest[0], "biggest_n": biggest[1]}


# ------------------------------------------------------------------ server and client


class Server:
    def __init__(self, env: dict, port: int):
        self.port = port
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log_file = open(Path(self.env["INSTANCE_PATH"]).parent / "gunicorn.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"], cwd=ROOT,
                                     env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                sys.exit(f"gunicorn exited: see {self.log_file.name}")
            time.sleep(0.2)
        sys.exit("gunicorn did not answer /healthz")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log_file.close()

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return sizes

    def get(self, path: str, cookie: str = "", method: str = "GET", body: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        cookies = [c.split(";", 1)[0] for k, c in response.getheaders() if k.lower() == "set-cookie"]
        conn.close()
        return response.status, data, cookies


def _field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page)
    if not match:
        sys.exit(f"no {name} on the page")
    return match.group(1).replace("&amp;", "&")


def sign_in(server: Server) -> str:
    """Sign the facilitator in once; the session cookie is reused for every queue request."""
    status, page, cookies = server.get("/auth/login")
    cookie = "; ".join(cookies)
    body = urllib.parse.urlencode({"csrf_token": _field(page, "csrf_token"), "email": FACILITATOR[0],
                                   "password": FACILITATOR[1]})
    status, _page, cookies = server.get("/auth/login", cookie=cookie, method="POST", body=body)
    if status != 302 or not cookies:
        sys.exit(f"facilitator sign-in failed ({status})")
    return "; ".join(cookies)


def inquiry_form(server: Server, product: int) -> tuple[str, str, str]:
    status, page, cookies = server.get(f"/inquiries/new?product={product}")
    return "; ".join(cookies), _field(page, "csrf_token"), _field(page, "started")


def wrk(url: str, duration: int, connections: int, threads: int, cookie: str = "", lua_args: list[str] = ()) -> dict:
    # A new connection per request, as nginx proxies by default. With keep-alive, wrk's 16 connections are
    # accepted by whichever worker wakes first and often all land in one of the two: throughput then halves
    # for that run (the ceiling measured 330 or 160 req/s at random), which made ratios meaningless.
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(REPORT_LUA),
           "-H", "Connection: close"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd += [url]
    if lua_args:
        cmd += ["--", *lua_args]
    out = subprocess.run(cmd, check=True, text=True, capture_output=True).stdout
    data = json.loads(out.split("JSON ", 1)[1].splitlines()[0])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["errors"] = data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"]
    return data


# ------------------------------------------------------------------ one database


def run_database(kind: str, args, sizes) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"etalase-bench-{kind}-"))
    (workdir / "instance").mkdir()
    (workdir / "uploads").mkdir()
    drop = None
    try:
        if kind == "sqlite":
            url, seed_out = prepare_sqlite(sizes, workdir)
        else:
            url, seed_out, drop = prepare_postgres(sizes, workdir, args.pg_url)
        ids = sample_ids(url)
        env = base_env(url, workdir)
        if args.workers:
            env["GUNICORN_WORKERS"] = str(args.workers)
        if args.threads:
            env["GUNICORN_THREADS"] = str(args.threads)
        with Server(env, args.port) as server:
            cookie = sign_in(server)
            form_cookie, csrf, started = inquiry_form(server, ids["product"])
            pages = {
                "ceiling": "/_bench/ceiling",
                "catalog": "/products",
                "catalog, 2 filters": "/products?category=olahan-pangan&kecamatan=metro-timur",
                "catalog, page 200": "/products?page=200",
                "search, rare term": "/products?q=kecombrang",
                "search, common term": "/products?q=beras",
                "search, term + filter": "/products?q=keripik&kecamatan=metro-barat",
                "product": f"/products/{ids['product']}",
                "storefront": f"/producers/{ids['producer']}",
                "storefront, largest": f"/producers/{ids['biggest']}",
                "facilitator queue": "/facilitator/inquiries",
            }
            base = f"http://127.0.0.1:{args.port}"
            results = {}
            for name, path in pages.items():
                page_cookie = cookie if name == "facilitator queue" else ""
                for _ in range(3 * (args.workers or 2)):  # warm every worker (caches, prepared statements)
                    status, _body, _c = server.get(path, cookie=page_cookie)
                    if status != 200:
                        sys.exit(f"{path} answered {status}")
                log(f"{kind}: {name} ({path})")
                results[name] = {**wrk(base + path, args.duration, args.connections, args.wrk_threads, page_cookie),
                                 "path": path, "rss_mb": server.rss_mb()}
                if name != "ceiling":  # the ceiling right after each page: the machine's load drifts (shared)
                    results[name]["ceiling"] = wrk(base + pages["ceiling"], args.ceiling_duration, args.connections,
                                                   args.wrk_threads)
            # Page 200 against page 1 with one client, alternating, so queueing and the drifting load cancel out.
            sequential: dict[str, list[float]] = {"catalog": [], "catalog, page 200": []}
            for _ in range(args.sequential):
                for name in sequential:
                    t0 = time.perf_counter()
                    server.get(pages[name])
                    sequential[name].append((time.perf_counter() - t0) * 1e6)
            single = {name: sorted(values)[len(values) // 2] for name, values in sequential.items()}
            mix_paths = [pages[n] for n in ("catalog", "catalog, 2 filters", "search, common term",
                                            "search, rare term", "product", "storefront", "catalog, page 200")]
            before = count_inquiries(url)
            log(f"{kind}: mix")
            results["mix (10% inquiry posts)"] = {
                **wrk(base + "/products", args.duration, args.connections, args.wrk_threads, form_cookie,
                      ["mix", csrf, started, str(ids["product"]), *mix_paths]),
                "path": "7 pages + POST /inquiries/new", "rss_mb": server.rss_mb(),
                "ceiling": wrk(base + pages["ceiling"], args.ceiling_duration, args.connections, args.wrk_threads)}
            results["mix (10% inquiry posts)"]["inquiries_created"] = count_inquiries(url) - before
            log(f"{kind}: ceiling again")
            results["ceiling, after"] = {**wrk(base + pages["ceiling"], args.duration, args.connections,
                                               args.wrk_threads), "path": pages["ceiling"], "rss_mb": server.rss_mb()}
        return {"database": kind, "sizes": sizes, "ids": ids, "seed": seed_out, "results": results, "single": single,
                "versions": versions(url), "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "workers": int(env.get("GUNICORN_WORKERS", os.cpu_count() or 2)),
                "threads": int(env.get("GUNICORN_THREADS", 4)),
                "connections": args.connections, "duration": args.duration, "loadavg": os.getloadavg()}
    finally:
        if drop:
            drop()
        shutil.rmtree(workdir, ignore_errors=True)


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
    return (f"{os.cpu_count()} cores ({cpu}), {mem}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, {' '.join(wrk_version)}")


def ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def table(data: dict) -> list[str]:
    res = data["results"]
    ceiling = res["ceiling"]
    after = res.get("ceiling, after", ceiling)
    runs = [r for r in (ceiling, after) if r["requests"]]  # a run starved by the load on the machine is left out
    ceiling_rps = sum(r["rps"] for r in runs) / len(runs)
    # The mix's goal is against the ceiling's usual p99: the median over every ceiling measurement of the run
    # (one stall of a few seconds on a shared machine would otherwise set the bar).
    p99s = [r["p99_us"] for r in runs] + [r["ceiling"]["p99_us"] for r in res.values()
                                          if r.get("ceiling", {}).get("requests")]
    ceiling_p99 = statistics.median(p99s)
    lines = [
        f"Data set: {data['sizes'][0]:,} producers, {data['sizes'][1]:,} products, {data['sizes'][2]:,} inquiries. "
        f"{data['versions']}. gunicorn {data['workers']} workers × {data['threads']} threads; wrk "
        f"{data['connections']} connections (a new one per request), {data['duration']} s per page. Run at {data['date']}, "
        f"load average at the end {', '.join(f'{x:.2f}' for x in data['loadavg'])}.",
        "",
        "Each page's ratio is to the ceiling measured right after it (its req/s in the third column), so a drift "
        "in the machine's load during the run does not count for or against a page.",
        "",
        "| page | req/s | ceiling req/s | ratio to ceiling | goal | p50 ms | p95 ms | p99 ms | errors | RSS/worker MB | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in res.items():
        near = r.get("ceiling") if r.get("ceiling", {}).get("requests") else None
        base_rps = near["rps"] if near else ceiling_rps
        ratio = r["rps"] / base_rps if base_rps else 0
        goal = GOALS.get(name)
        verdict = ""
        if goal is not None:
            verdict = "pass" if ratio >= goal else "miss"
        if name == "mix (10% inquiry posts)":
            goal_text = f"p99 ≤ 2× ceiling p99 ({ms(2 * ceiling_p99)} ms)"
            verdict = "pass" if r["p99_us"] <= 2 * ceiling_p99 else "miss"
        elif goal is not None:
            goal_text = f"≥ {goal}"
        else:
            goal_text = "—"
        rss = max(r["rss_mb"]) if r["rss_mb"] else 0
        lines.append(f"| {name} | {r['rps']:.0f} | {base_rps:.0f} | {ratio:.2f} | {goal_text} | {ms(r['p50_us'])} | {ms(r['p95_us'])} | "
                     f"{ms(r['p99_us'])} | {r['errors']} | {rss:.0f} | {verdict} |")
    p1, p200 = res["catalog"], res["catalog, page 200"]
    slower = p200["p50_us"] / p1["p50_us"] if p1["p50_us"] else 0
    rss_all = max(max(r["rss_mb"] or [0]) for r in res.values())
    mix = res["mix (10% inquiry posts)"]
    lines += [
        "",
        f"- Page 200 vs page 1 under load (p50 of the wrk runs above): {slower:.2f}×.",
        *([f"- Page 200 vs page 1 with one client, alternating ({data['single']['catalog, page 200'] / 1000:.1f} ms "
           f"vs {data['single']['catalog'] / 1000:.1f} ms median): "
           f"{data['single']['catalog, page 200'] / data['single']['catalog']:.2f}× — goal ≤ 1.2×: "
           f"{'pass' if data['single']['catalog, page 200'] <= 1.2 * data['single']['catalog'] else 'miss'}."]
          if data.get("single") else []),
        f"- Memory: largest worker {rss_all:.0f} MB — goal ≤ {RSS_GOAL_MB} MB: {'pass' if rss_all <= RSS_GOAL_MB else 'miss'}.",
        f"- Mix: {mix.get('inquiries_created', 0)} inquiries stored during the mix; mix p99 {ms(mix['p99_us'])} ms; "
        f"ceiling p99 {ms(ceiling_p99)} ms (median of the run's {len(p99s)} ceiling measurements, "
        f"{ms(min(p99s))}–{ms(max(p99s))} ms).",
        f"- Ceiling: {ceiling['rps']:.0f} req/s at the start, {after['rps']:.0f} at the end of the run.",
        f"- Pages: product {data['ids']['product']}, storefront `{data['ids']['producer']}` "
        f"({data['ids']['producer_n']} listings), largest storefront `{data['ids']['biggest']}` "
        f"({data['ids']['biggest_n']} listings).",
    ]
    seed_line = next((line for line in data["seed"].splitlines() if line.startswith("Loaded")), "")
    if seed_line:
        lines.append(f"- Seeding (`seed scale`, when the cache was built): {seed_line}")
    return lines


def write_report(path: Path, command: str) -> None:
    sections = []
    for kind, title in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        result = BENCH / f"results-{kind}.json"
        if result.exists():
            sections += [f"## {title}", "", *table(json.loads(result.read_text())), ""]
    notes = (BENCH / "NOTES.md").read_text() if (BENCH / "NOTES.md").exists() else ""
    path.write_text("\n".join([
        "# Benchmark results",
        "",
        "Written by `bench/run.py` (do not edit by hand; the notes at the end come from bench/NOTES.md).",
        "",
        f"Machine: {machine()}.",
        "",
        "Ratios to the ceiling, measured in the same run, are the comparable figures; absolute requests/s depend "
        "on the machine and on what else runs on it (each section gives the load average at its end).",
        "",
        "Reproduce (both databases, ≈ 10 minutes once the data sets are cached; the first run seeds them): "
        "`make install && .venv/bin/python bench/run.py` — or `--db sqlite` / `--db postgres` "
        f"for one (PostgreSQL server: `--pg-url`, default {PG_DEFAULT}). This file was last written by: `{command}`.",
        "",
        "Ceiling (QUALITY.md): `/_bench/ceiling`, the same base template and 24 product cards rendered from memory by "
        "the same gunicorn, no database; enabled only with `BENCH_CEILING=1`.",
        "",
        *sections,
        notes,
    ]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--producers", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--inquiries", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=12, help="seconds of wrk per page")
    parser.add_argument("--ceiling-duration", type=int, default=6,
                        help="seconds of the ceiling measured right after each page (its ratio's denominator)")
    parser.add_argument("--sequential", type=int, default=100,
                        help="requests of page 1 and page 200 each, one client, alternating (median compared)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=0, help="threads per worker (default: gunicorn.conf.py)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL", PG_DEFAULT))
    parser.add_argument("--out", default=str(BENCH / "RESULTS.md"))
    args = parser.parse_args()
    ensure_wrk()
    sizes = (args.producers, args.products, args.inquiries)
    for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
        if kind not in ("sqlite", "postgres"):
            sys.exit(f"unknown database {kind}")
        data = run_database(kind, args, sizes)
        (BENCH / f"results-{kind}.json").write_text(json.dumps(data, indent=1))
        print("\n".join(table(data)), flush=True)
    write_report(Path(args.out), "python bench/run.py " + " ".join(sys.argv[1:]))
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
