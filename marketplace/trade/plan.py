"""A pooling plan: how to split a request's volume per period over the producers who can supply it.

The core, `propose(need, candidates)`, is a small mixed-integer programme solved by HiGHS (highspy, its own Python
binding: SciPy's `milp` runs the same solver, but importing scipy.optimize cost every worker 44 MB):

    y_i ∈ {0, 1}       producer i is asked
    n_i ∈ ℕ            its share, in steps of the request's unit (0,01 ton, 1 kg …): shares never need rounding
    min_order_i · y_i ≤ step · n_i ≤ capacity_i · y_i
    Σ step · n_i + short − over = need,   short, over ≥ 0

and the preferences apply in order, each solved with the ones before it held (lexicographic):
    1. cover the need (least `short`);
    2. do not over-supply (least `over`: exactly the need where the minimum orders allow);
    3. the requested grade or variety (least volume from listings of another grade): a premium request is pooled
       from premium listings, and another grade only fills what they cannot;
    4. fewer producers, then curated listings, then responsive producers;
    5. among the shares the chosen producers could take, each asked the same part of its spare capacity where
       the minimum orders allow (least largest part), so none is filled up while another is barely asked.

Candidates that cannot take part are excluded before the solver, each with a reason the forwarding page shows
(`EXCLUSIONS`). `plan_for(inquiry, suggestions)` builds the candidates from the facilitator's suggestions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import highspy
from flask_babel import lazy_gettext as _l

from marketplace.core import clock, units

# Why a listing is left out of the plan: the page shows the label.
EXCLUSIONS = {
    "certificate": _l("Tidak memiliki sertifikat yang diminta, berlaku pada tanggal mulai"),
    "no_spare": _l("Tidak ada kapasitas tersisa pada bulan yang diminta"),
    "lead_time": _l("Waktu penyiapan melewati tanggal dibutuhkan"),
}

TOLERANCE = 1e-6


@dataclass
class Candidate:
    """One producer's listing as the plan sees it; quantities in the request's unit, per period."""

    key: int  # the producer's id
    capacity: float  # spare capacity in every month asked
    min_order: float = 0.0
    grade_match: bool = True
    curated: bool = False
    responsiveness: float | None = None  # share of forwards answered; None when never asked
    excluded: list[str] = field(default_factory=list)  # EXCLUSIONS codes

    @property
    def eligible(self) -> bool:
        return not self.excluded and self.capacity > TOLERANCE

    def reasons(self) -> list[str]:
        return [str(EXCLUSIONS[code]) for code in self.excluded]


@dataclass
class Plan:
    need: float
    shares: list[tuple[int, float]]  # (producer id, quantity in the request's unit)

    @property
    def total(self) -> float:
        return sum(quantity for _, quantity in self.shares)

    @property
    def coverage(self) -> float:
        """The part of the need the shares cover, 0 … 1."""
        if self.need <= 0:
            return 1.0
        return min(1.0, self.total / self.need)

    @property
    def missing(self) -> float:
        return max(0.0, self.need - self.total)

    @property
    def covers(self) -> bool:
        return self.missing <= TOLERANCE * max(1.0, self.need)

    def share(self, key: int) -> float | None:
        return next((quantity for k, quantity in self.shares if k == key), None)


def step_for(unit: str) -> float:
    """The precision shares are written in: whole kilograms and pieces, hundredths of a ton or kuintal."""
    if units.is_mass(unit) and unit != units.KG:
        return 0.01
    return 1.0


INF = highspy.kHighsInf


def _solve(cost: list[float], rows: list[dict[int, float]], row_lower: list[float], row_upper: list[float],
           integer: list[bool], lower: list[float], upper: list[float]) -> list[float]:
    """The x that minimises cost · x within the rows' bounds (row · x) and the variables' own; `integer` marks the
    whole-number variables."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(cost), len(rows)
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.integrality_ = [highspy.HighsVarType.kInteger if whole else highspy.HighsVarType.kContinuous
                       for whole in integer]
    start, indices, values = [0], [], []
    for row in rows:
        for index, value in sorted(row.items()):
            if value:
                indices.append(index)
                values.append(value)
        start.append(len(indices))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = start, indices, values  # copies: set whole
    solver = highspy.Highs()
    solver.silent()
    for option, value in (("time_limit", 10.0), ("mip_rel_gap", 0.0), ("presolve", "on")):
        solver.setOptionValue(option, value)
    solver.passModel(lp)
    solver.run()
    # Infeasible cannot happen (short absorbs any gap); a time-out without a solution can.
    if solver.getInfo().primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        raise RuntimeError(f"no plan: {solver.modelStatusToString(solver.getModelStatus())}")
    return list(solver.getSolution().col_value)


def propose(need: float, candidates: list[Candidate], step: float = 0.01) -> Plan:
    """The split of `need` over the eligible candidates (see the module's docstring); shares are multiples of
    `step` (the request unit's precision), none below a candidate's minimum order or above its capacity.

    A pure function of what it is given, so its answers are remembered (the forwarding page asks again on every
    visit, and the four solves take about 20 ms)."""
    weighed = tuple((c.key, c.capacity, c.min_order, c.grade_match, c.curated, c.responsiveness) for c in candidates
                    if c.eligible)
    shares = _propose(need, weighed, step)
    return Plan(need=max(need, 0.0), shares=list(shares))


@lru_cache(maxsize=1024)
def _propose(need: float, weighed: tuple, step: float) -> tuple[tuple[int, float], ...]:
    pool = [Candidate(key, capacity, min_order, grade_match, curated, responsiveness)
            for key, capacity, min_order, grade_match, curated, responsiveness in weighed]
    # Bounds in steps: a minimum order rounds up, a capacity down; one that leaves no room cannot be asked.
    low = [math.ceil(c.min_order / step - TOLERANCE) for c in pool]
    high = [math.floor(c.capacity / step + TOLERANCE) for c in pool]
    pool = [(c, lo, hi) for c, lo, hi in zip(pool, low, high) if hi >= max(lo, 1)]
    if need <= 0 or not pool:
        return ()
    k = len(pool)
    # Variables: n_0 … n_{k-1}, y_0 … y_{k-1}, short, over, top (the largest part of a capacity asked).
    size = 2 * k + 3
    short, over, top = 2 * k, 2 * k + 1, 2 * k + 2
    lower = [0.0] * size
    upper = [float(hi) for _, _, hi in pool] + [1.0] * k + [need, INF, 1.0]
    integer = [True] * (2 * k) + [False] * 3

    rows, lo_b, hi_b = [], [], []

    def row(coefficients: dict[int, float], lo: float, hi: float) -> None:
        rows.append(coefficients)
        lo_b.append(lo)
        hi_b.append(hi)

    for i, (candidate, lo, hi) in enumerate(pool):
        row({i: 1, k + i: -max(lo, 1)}, 0, INF)    # n_i ≥ min_order · y_i (and a share is never 0 when asked)
        row({i: 1, k + i: -hi}, -INF, 0)            # n_i ≤ capacity · y_i
        row({i: step, top: -candidate.capacity}, -INF, 0)  # share ≤ top · capacity
    row({**{i: step for i in range(k)}, short: 1, over: -1}, need, need)  # Σ share + short − over = need

    def solve(cost: dict[int, float]) -> list[float]:
        return _solve([cost.get(i, 0.0) for i in range(size)], rows, lo_b, hi_b, integer, lower, upper)

    def fix(index: int, value: float) -> None:
        row({index: 1}, -INF, value + TOLERANCE * max(1.0, need))

    # 1. cover as much as possible; 2. then over-supply the least.
    for index in (short, over):
        fix(index, solve({index: 1})[index])
    # 3. the least volume of another grade than the one asked.
    off_grade = {i: step for i, (candidate, _, _) in enumerate(pool) if not candidate.grade_match}
    if off_grade:
        x = solve(off_grade)
        least = sum(value * x[i] for i, value in off_grade.items())
        row(off_grade, -INF, least + TOLERANCE * max(1.0, need))
    # 4. fewer producers, then curation, then responsiveness, by weights far enough apart that each counts only
    # among equals of the ones before it.
    base = k + 1
    weights = {}
    for i, (candidate, _, _) in enumerate(pool):
        answered = candidate.responsiveness if candidate.responsiveness is not None else 0.5
        weights[k + i] = base ** 2 + base * (not candidate.curated) + (1 - answered)
    chosen = solve(weights)
    picked = [i for i in range(k) if chosen[k + i] > 0.5]
    for i in range(k):  # keep that choice of producers
        upper[k + i] = lower[k + i] = 1.0 if i in picked else 0.0
    # 5. spread the volume: the least largest part of a capacity asked.
    spread = solve({top: 1})
    shares = [(pool[i][0].key, round(round(spread[i]) * step, 6)) for i in picked]
    shares.sort(key=lambda share: -share[1])
    return tuple(s for s in shares if s[1] > 0)


# ---------------------------------------------------------------- from a request and its suggestions

def requested_listing(inquiry):
    """The listing the buyer asked about (the first inquiry item naming a product), or None."""
    return next((item.product for item in inquiry.items if item.product is not None), None)


def requested_listings(inquiry) -> list:
    """Every listing the inquiry names (one, or one per line of a request for several)."""
    return [item.product for item in inquiry.items if item.product is not None]


def requested_grade(inquiry) -> str:
    """The grade (or variety) asked for: that of the listings the buyer asked about, when they share one; ""
    when none is named or they differ."""
    grades = {_plain(listing.grade) for listing in requested_listings(inquiry)}
    return grades.pop() if len(grades) == 1 else ""


def required_certificates(inquiry) -> set[str]:
    """The certificate kinds every listing the buyer asked about carries: what the buyer chose them with."""
    kinds = [{c.kind for c in listing.certificates} for listing in requested_listings(inquiry)]
    return set.intersection(*kinds) if kinds else set()


def line_plan(inquiry, suggestions) -> Plan | None:
    """For a request with lines, the shares the buyer asked for: each line's quantity, in the request's unit, for the
    producer of its listing (lines of one producer added up); None for a request without lines."""
    lines = inquiry.lines
    if not lines:
        return None
    by_listing = {s.product.id: s for s in suggestions}
    shares: dict[int, float] = {}
    for line in lines:
        suggestion = by_listing.get(line.product_id)
        if suggestion is None:  # unpublished since, or in a unit that no longer converts
            continue
        try:
            quantity = units.convert(line.quantity, line.unit or suggestion.product.unit, inquiry.unit,
                                     suggestion.product.kg_per_unit)
        except units.UnitMismatch:
            continue
        key = suggestion.producer.id
        shares[key] = round(shares.get(key, 0.0) + quantity, 6)
    return Plan(need=inquiry.quantity, shares=list(shares.items()))


def start_day(inquiry) -> date:
    return inquiry.starts_on or inquiry.needed_by or clock.today()


def grade_matches(product, grade: str) -> bool:
    return not grade or is_grade(product.grade, grade)


def is_grade(text: str | None, grade: str) -> bool:
    """Whether a listing's written grade is `grade` (requested_grade's plain form), case and spacing aside."""
    return _plain(text) == grade


def _plain(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def exclusions(inquiry, product, spare: float, required: set[str] | None = None) -> list[str]:
    """Why a listing cannot take part in the request's plan (EXCLUSIONS codes); [] when it can."""
    required = required_certificates(inquiry) if required is None else required
    start = start_day(inquiry)
    reasons = []
    held = {c.kind for c in product.certificates if c.is_valid_on(start)}
    if not required <= held:
        reasons.append("certificate")
    if spare <= TOLERANCE:
        reasons.append("no_spare")
    if inquiry.needed_by and product.lead_time_days is not None \
            and clock.today() + timedelta(days=product.lead_time_days) > inquiry.needed_by:
        reasons.append("lead_time")
    return reasons


def plan_for(inquiry, suggestions) -> tuple[Plan, list[Candidate]]:
    """The plan for a request over its suggestions (trade/service.suggestions), and the candidates it weighed."""
    from marketplace.trade import capacity

    missing = [s for s in suggestions if getattr(s, "spare", None) is None]
    if missing:
        spare = capacity.spare_over([s.product for s in missing], capacity.request_months(inquiry))
        for s in missing:
            s.spare = spare.get(s.product.id, 0.0) * s.to_request
    grade, required = requested_grade(inquiry), required_certificates(inquiry)
    candidates = [
        Candidate(key=s.producer.id, capacity=s.spare, min_order=s.min_order,
                  grade_match=grade_matches(s.product, grade), curated=bool(s.producer.curated),
                  responsiveness=s.responsiveness, excluded=exclusions(inquiry, s.product, s.spare, required))
        for s in suggestions
    ]
    return propose(inquiry.quantity, candidates, step_for(inquiry.unit)), candidates
