#!/usr/bin/env python3
"""The browser's side of the benchmark pages: Lighthouse (mobile) on each, served as in production.

    .venv/bin/python bench/lighthouse.py                 # every page, 3 runs each; writes bench/LIGHTHOUSE.md
    .venv/bin/python bench/lighthouse.py --runs 1 --page home --page "inquiry page"

It seeds the demo data (`seed demo`: its listings have real photos, which the scale data set has not) into a
throwaway SQLite file, serves it with gunicorn.conf.py in production mode, signs the demo producer, moderator
and facilitator in through the login form, and runs Lighthouse (pinned below, installed with npm into a cache
folder, not the repository) in Debian's Chromium against every page of bench/run.py, the signed-in ones with
their session cookie. The goals (issue 18): performance ≥ 0.98 on every page (the median of the runs), 1.0 for
accessibility, best practices and SEO, and a first visit to the home page of at most 120 kB (Lighthouse's
total byte weight, which counts the lazy photos it loads near the first screen). Needs Node (npm).
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchstats as bs  # noqa: E402
import run  # noqa: E402

LIGHTHOUSE = "lighthouse@13.5.0"
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = bs.LIGHTHOUSE_CATEGORIES
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "etalase-lighthouse"


def ensure_lighthouse() -> Path:
    binary = CACHE / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / "package.json").write_text('{"private": true}')
        run.log(f"installing {LIGHTHOUSE} into {CACHE}")
        subprocess.run(["npm", "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "--silent", LIGHTHOUSE],
                       check=True)
    return binary


def demo_pages(database: Path) -> list[tuple[str, str, str | None]]:
    """(name, path, who) for the demo data: bench/run.py's pages, with the demo's own listings and storefronts."""
    with sqlite3.connect(database) as con:
        def one(sql: str):
            return con.execute(sql).fetchone()[0]

        public = "pr.status = 'published' AND p.status = 'published'"
        product = one(f"SELECT p.id FROM product p JOIN producer pr ON pr.id = p.producer_id JOIN photo ph "
                      f"ON ph.product_id = p.id WHERE {public} ORDER BY p.id LIMIT 1")
        stores = f"SELECT pr.slug FROM producer pr JOIN product p ON p.producer_id = pr.id WHERE {public} GROUP BY pr.slug"
        small, largest = one(stores + " ORDER BY count(*), pr.slug LIMIT 1"), one(stores + " ORDER BY count(*) DESC LIMIT 1")
        inquiry = one("SELECT id FROM inquiry WHERE status IN ('negotiating', 'responded', 'forwarded', 'in_review') "
                      "ORDER BY status = 'negotiating' DESC, id DESC LIMIT 1")
    return [
        ("home", "/", None), ("catalog", "/products", None),
        ("catalog, 2 filters", "/products?category=olahan-pangan&kecamatan=metro-timur", None),
        ("catalog, page 2", "/products?page=2", None),  # the demo has two pages of listings, not two hundred
        ("producer directory", "/producers", None),
        ("search, rare term", "/products?q=kecombrang", None), ("search, common term", "/products?q=beras", None),
        ("search, term + filter", "/products?q=keripik&kecamatan=metro-barat", None),
        ("product", f"/products/{product}", None),
        ("storefront, smallest", f"/producers/{small}", None), ("storefront, largest", f"/producers/{largest}", None),
        ("producer dashboard", "/dashboard/", "producer"), ("moderation queue", "/moderation/", "moderator"),
        ("facilitator queue", "/facilitator/inquiries", "facilitator"),
        ("inquiry page", f"/facilitator/inquiries/{inquiry}", "facilitator"),
        ("monitoring dashboard", "/facilitator/dashboard", "facilitator"),
    ]


def sign_in_all(server: run.Server) -> dict[str, str]:
    from marketplace.models import Role
    from marketplace.seed.demo import DEMO_ACCOUNTS

    roles = {Role.PRODUCER: "producer", Role.MODERATOR: "moderator", Role.FACILITATOR: "facilitator"}
    return {roles[a.role]: run.sign_in(server, a.email, a.password) for a in DEMO_ACCOUNTS if a.role in roles}


def audit(lighthouse: Path, url: str, cookie: str, out: Path) -> dict:
    cmd = [str(lighthouse), url, "--quiet", "--output=json", f"--output-path={out}", f"--chrome-path={CHROMIUM}",
           "--chrome-flags=--headless=new --no-sandbox", "--only-categories=" + ",".join(CATEGORIES)]
    if cookie:
        cmd.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    data = json.loads(out.read_text())
    audits = data["audits"]
    return {"scores": {c: data["categories"][c]["score"] for c in CATEGORIES},
            "bytes": audits["total-byte-weight"]["numericValue"],
            "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
            "tbt_ms": audits["total-blocking-time"]["numericValue"],
            "lighthouse": data.get("lighthouseVersion", "")}


def write_report(path: Path, results: list[tuple[str, str, list[dict]]], command: str) -> None:
    version = results[0][2][0]["lighthouse"] if results else ""
    lines = [
        "# Lighthouse on the benchmark pages (mobile)", "",
        f"Written by `{command}` on {datetime.now(UTC).isoformat(timespec='minutes')} — Lighthouse {version}, "
        "its default mobile emulation (Moto G Power, simulated slow 4G), Debian's Chromium headless; the demo data "
        "(with its photos) served by gunicorn.conf.py in production mode on this machine. Goals (issue 18): "
        f"performance ≥ {bs.LIGHTHOUSE_PERFORMANCE} (median of the runs), 1.0 for accessibility, best practices and "
        f"SEO, and the home page's first visit ≤ {bs.HOME_BYTES // 1000} kB.", "",
        "| page | performance (runs) | accessibility | best practices | SEO | bytes | LCP | TBT | goals |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, path_, runs in results:
        performance, misses = bs.lighthouse_verdict(name, runs)
        worst = {c: min(r["scores"][c] for r in runs) for c in CATEGORIES}
        each = " ".join(f"{r['scores']['performance']:.2f}" for r in runs)
        lines.append(
            f"| {name} (`{path_}`) | {performance:.2f} ({each}) "
            f"| {worst['accessibility']:.2f} | {worst['best-practices']:.2f} | {worst['seo']:.2f} "
            f"| {statistics.median(r['bytes'] for r in runs) / 1000:.0f} kB "
            f"| {statistics.median(r['lcp_ms'] for r in runs):,.0f} ms | {statistics.median(r['tbt_ms'] for r in runs):,.0f} ms "
            f"| {'met' if not misses else 'miss: ' + ', '.join(misses)} |")
    met = sum(1 for name, _p, runs in results if not bs.lighthouse_verdict(name, runs)[1])
    lines += ["", f"Goals met on {met} of {len(results)} pages. Bytes, LCP and TBT are medians; the other categories "
              "show the lowest score of the runs."]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (the median counts)")
    parser.add_argument("--page", action="append", default=[], help="only this page (by name; repeatable)")
    parser.add_argument("--port", type=int, default=8775)
    parser.add_argument("--out", default=str(run.BENCH / "LIGHTHOUSE.md"))
    args = parser.parse_args()
    lighthouse = ensure_lighthouse()
    workdir = Path(tempfile.mkdtemp(prefix="etalase-lighthouse-"))
    (workdir / "instance").mkdir()
    (workdir / "uploads").mkdir()
    database = workdir / "demo.db"
    env = {**run.base_env(f"sqlite:///{database}", workdir), **run.gunicorn_env(argparse.Namespace(
        reuse_port=True, workers=0, threads=0))}
    run.log("seeding the demo data")
    run.flask(env, "db", "upgrade")
    run.flask(env, "seed", "demo", capture=True)
    pages = [p for p in demo_pages(database) if not args.page or p[0] in args.page]
    results = []
    with run.Server(env, args.port, "wsgi:app", workdir / "gunicorn.log") as server:
        cookies = sign_in_all(server)
        for name, path, who in pages:
            url = f"http://127.0.0.1:{args.port}{path}"
            server.warm(path, cookies.get(who, ""), per_worker=1)
            runs = [audit(lighthouse, url, cookies.get(who, ""), workdir / "report.json") for _ in range(args.runs)]
            performance, misses = bs.lighthouse_verdict(name, runs)
            run.log(f"{name}: performance {performance:.2f}, {runs[0]['bytes'] / 1000:.0f} kB"
                    f"{' — miss: ' + ', '.join(misses) if misses else ''}")
            results.append((name, path, runs))
    write_report(Path(args.out), results, "bench/lighthouse.py" + "".join(f" {a}" for a in sys.argv[1:]))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
