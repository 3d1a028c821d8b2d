"""Pure helpers of bench/run.py: reading wrk's report line, ceilings near a page, ratios, goals, spread.

Nothing here starts a process or reads a clock, so tests/test_bench_stats.py checks it without a benchmark.
"""
from __future__ import annotations

import json
import statistics

# Goals (issue 18), all against the bare Flask reference measured with keep-alive.
ANON_RATIO = 0.5  # anonymous page: ≥ half the bare reference's requests/s...
P99_FACTOR = 3.0  # ...and p99 ≤ 3× its p99 (the mix too)
SIGNED_RATIO = 0.2  # signed-in page: ≥ a fifth of its requests/s
SCALE_DROP = 0.10  # at 1M listings, no ratio more than 10 % below its 100k figure
RSS_GOAL_MB = 150  # per worker
FRESH_MS = 150  # an anonymous page's first request after a change
# The browser's side (bench/lighthouse.py): Lighthouse mobile scores and the home page's first-visit weight.
LIGHTHOUSE_CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
LIGHTHOUSE_PERFORMANCE = 0.98  # the median of the runs; the other categories 1.0 in every run
HOME_BYTES = 120_000

SERIES = ("bare", "bare_close", "app", "app_close")  # the four ceilings: reference and in-app, two connection modes


def parse_wrk(stdout: str) -> dict:
    """The `JSON {...}` line bench/report.lua writes, with req/s and the error total added."""
    try:
        data = json.loads(stdout.split("JSON ", 1)[1].splitlines()[0])
    except (IndexError, ValueError) as error:
        raise ValueError(f"no report line in wrk's output: {stdout[-500:]!r}") from error
    seconds = data["duration_us"] / 1e6
    data["rps"] = data["requests"] / seconds if seconds else 0.0
    data["errors"] = sum(data.get(k, 0) for k in ("connect", "read", "write", "status", "timeout"))
    data.setdefault("workers", {})
    return data


def shares(workers: dict[str, int]) -> list[float]:
    """Each worker's share of the requests it answered, largest first (sums to 1; empty without counts)."""
    counted = {pid: n for pid, n in workers.items() if pid != "none"}
    total = sum(counted.values())
    return sorted((n / total for n in counted.values()), reverse=True) if total else []


def spread_text(workers: dict[str, int], expected: int) -> str:
    """'52/48 %' — the share of each worker; a worker that answered nothing shows as 0."""
    values = shares(workers)
    if not values:
        return "—"
    values += [0.0] * max(0, expected - len(values))
    return "/".join(f"{v * 100:.0f}" for v in values) + " %"


def nearest(blocks: list[dict], group: int, series: str) -> dict:
    """The ceiling of one series next to a page of `group`: the mean of the measurements just before the
    group (block `group`) and just after it (block `group + 1`), for req/s and each percentile."""
    runs = [b[series] for b in blocks[group:group + 2] if b.get(series, {}).get("requests")]
    if not runs:
        return {"rps": 0.0, "p50_us": 0, "p95_us": 0, "p99_us": 0}
    return {key: statistics.fmean(r[key] for r in runs) for key in ("rps", "p50_us", "p95_us", "p99_us")}


def ratio(page: dict, ceiling: dict) -> float:
    return page["rps"] / ceiling["rps"] if ceiling.get("rps") else 0.0


def verdict(kind: str, page_ratio: float, p99_us: float, bare_p99_us: float) -> tuple[str, str]:
    """(goal text, 'pass'/'miss …') for a page measured with keep-alive; kind is anon, signed or mix."""
    bar = P99_FACTOR * bare_p99_us
    if kind == "anon":
        misses = [m for m, bad in (("req/s", page_ratio < ANON_RATIO), ("p99", p99_us > bar)) if bad]
        goal = f"≥ {ANON_RATIO} × bare, p99 ≤ {bar / 1000:.0f} ms"
    elif kind == "signed":
        misses = ["req/s"] if page_ratio < SIGNED_RATIO else []
        goal = f"≥ {SIGNED_RATIO} × bare"
    elif kind == "mix":
        misses = ["p99"] if p99_us > bar else []
        goal = f"p99 ≤ {bar / 1000:.0f} ms"
    else:
        return "—", ""
    return goal, "pass" if not misses else "miss (" + ", ".join(misses) + ")"


def scale_flag(small: float, large: float) -> str:
    """'ok' when the ratio at the larger data set is at most SCALE_DROP below the smaller one's."""
    if not small:
        return "—"
    return "ok" if large >= (1 - SCALE_DROP) * small else f"**{(large / small - 1) * 100:+.0f} %**"


def estimate_seconds(pages: int, blocks: int, duration: float, ceiling_duration: float, combos: int,
                     overhead_per_run: float = 0.5, overhead_per_page: float = 1.5,
                     overhead_per_combo: float = 45.0) -> float:
    """The run's length without seeding: every page twice (keep-alive, new connection), four ceilings a block."""
    runs = pages * 2 * (duration + overhead_per_run) + blocks * 4 * (ceiling_duration + overhead_per_run)
    return combos * (runs + pages * overhead_per_page + overhead_per_combo)


def lighthouse_verdict(page: str, runs: list[dict]) -> tuple[float, list[str]]:
    """A page's median performance score over Lighthouse `runs` ({"scores": {category: score}, "bytes": n}) and
    the goals it misses: performance below LIGHTHOUSE_PERFORMANCE, another category below 1 in any run, and for
    the home page a median weight above HOME_BYTES."""
    performance = statistics.median(r["scores"]["performance"] for r in runs)
    misses = [f"performance {performance:.2f}"] if performance < LIGHTHOUSE_PERFORMANCE else []
    misses += [c for c in LIGHTHOUSE_CATEGORIES[1:] if min(r["scores"][c] for r in runs) < 1]
    if page == "home" and statistics.median(r["bytes"] for r in runs) > HOME_BYTES:
        misses.append("bytes")
    return performance, misses
