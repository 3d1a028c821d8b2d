"""bench/benchstats.py, the benchmark's arithmetic: no server, no wrk (the benchmark itself is never run here)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "benchstats", Path(__file__).resolve().parent.parent / "bench" / "benchstats.py")
bs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bs)

WRK_OUT = """Running 8s test @ http://127.0.0.1:8765/
  2 threads and 16 connections
JSON {"requests": 8000, "duration_us": 8000000, "p50_us": 9000, "p95_us": 30000, "p99_us": 60000, "max_us": 90000, \
"connect": 0, "read": 1, "write": 0, "status": 2, "timeout": 0, "workers": {"101": 5000, "102": 3000}, \
"statuses": {"200": 7998, "500": 2}}
"""


def test_the_report_line_gives_requests_per_second_errors_and_the_workers():
    data = bs.parse_wrk(WRK_OUT)
    assert data["rps"] == 1000 and data["errors"] == 3 and data["workers"] == {"101": 5000, "102": 3000}


def test_output_without_a_report_line_is_an_error_that_shows_it():
    with pytest.raises(ValueError, match="unable to connect"):
        bs.parse_wrk("unable to connect to 127.0.0.1:8765")


def test_the_spread_shows_each_workers_share_and_a_worker_that_answered_nothing():
    assert bs.spread_text({"101": 5000, "102": 3000}, 2) == "62/38 %"
    assert bs.spread_text({"101": 800}, 2) == "100/0 %"
    assert bs.spread_text({}, 2) == "—"


def test_a_page_is_compared_with_the_ceilings_just_before_and_after_its_group():
    blocks = [{"bare": {"requests": 1, "rps": 1000.0, "p50_us": 1, "p95_us": 1, "p99_us": 40_000}},
              {"bare": {"requests": 1, "rps": 2000.0, "p50_us": 1, "p95_us": 1, "p99_us": 60_000}},
              {"bare": {"requests": 0, "rps": 0.0, "p50_us": 0, "p95_us": 0, "p99_us": 0}}]  # a starved run
    assert bs.nearest(blocks, 0, "bare")["rps"] == 1500
    assert bs.nearest(blocks, 1, "bare")["rps"] == 2000  # the starved measurement after it is left out
    assert bs.ratio({"rps": 750.0}, bs.nearest(blocks, 0, "bare")) == 0.5


@pytest.mark.parametrize("kind, ratio, p99, expected", [
    ("anon", 0.5, 150_000, "pass"), ("anon", 0.49, 150_000, "miss (req/s)"),
    ("anon", 0.6, 151_000, "miss (p99)"), ("signed", 0.2, 900_000, "pass"), ("signed", 0.19, 1, "miss (req/s)"),
    ("mix", 0.01, 150_000, "pass"), ("mix", 0.9, 150_001, "miss (p99)"),
])
def test_each_kind_of_page_is_held_to_its_goal(kind, ratio, p99, expected):
    assert bs.verdict(kind, ratio, p99, bare_p99_us=50_000)[1] == expected


def test_a_ratio_more_than_ten_percent_below_at_the_larger_data_set_is_flagged():
    assert bs.scale_flag(0.60, 0.55) == "ok"
    assert bs.scale_flag(0.60, 0.50) == "**-17 %**"


def _lighthouse(performance: float, seo: float = 1.0, weight: int = 100_000) -> dict:
    return {"scores": {"performance": performance, "accessibility": 1.0, "best-practices": 1.0, "seo": seo},
            "bytes": weight}


def test_a_page_meets_the_lighthouse_goals_by_its_median_performance_and_every_runs_other_scores():
    assert bs.lighthouse_verdict("catalog", [_lighthouse(0.97), _lighthouse(0.99), _lighthouse(1.0)]) == (0.99, [])
    assert bs.lighthouse_verdict("catalog", [_lighthouse(0.97), _lighthouse(0.96), _lighthouse(1.0)]) == \
        (0.97, ["performance 0.97"])
    assert bs.lighthouse_verdict("catalog", [_lighthouse(1.0), _lighthouse(1.0, seo=0.92)])[1] == ["seo"]


def test_only_the_home_page_is_held_to_the_first_visit_weight():
    heavy = [_lighthouse(1.0, weight=158_000)] * 3
    assert bs.lighthouse_verdict("home", heavy)[1] == ["bytes"]
    assert bs.lighthouse_verdict("catalog", heavy)[1] == []
    assert bs.lighthouse_verdict("home", [_lighthouse(1.0, weight=111_000)] * 3)[1] == []
