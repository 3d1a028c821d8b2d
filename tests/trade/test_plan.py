"""The pooling plan (trade/plan.py): hand-checked splits of a request's volume over producers."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import InquiryItem
from marketplace.trade import plan, service
from marketplace.trade.plan import Candidate, propose
from tests.factories import CertificateFactory, ProducerFactory, ProductFactory, category
from tests.trade.contract_rows import contract, request


def test_an_exact_cover_asks_each_producer_the_same_part_of_its_capacity():
    result = propose(20, [Candidate(1, capacity=15), Candidate(2, capacity=10)])
    assert result.shares == [(1, 12), (2, 8)]  # 80 % of each
    assert (result.total, result.coverage, result.missing, result.covers) == (20, 1, 0, True)


def test_when_nothing_covers_the_need_it_covers_the_most_and_says_what_is_missing():
    result = propose(20, [Candidate(1, capacity=6), Candidate(2, capacity=5.5), Candidate(3, capacity=3, excluded=["certificate"])])
    assert dict(result.shares) == {1: 6, 2: 5.5}
    assert not result.covers
    assert result.missing == pytest.approx(8.5)
    assert result.coverage == pytest.approx(11.5 / 20)


def test_a_minimum_order_forbids_a_small_share():
    # 2 t are missing after A's 8 t; B's minimum is 5 t, so B would over-supply by 3 t: C (minimum 1 t) takes it.
    result = propose(10, [Candidate(1, capacity=8), Candidate(2, capacity=10, min_order=5, curated=True),
                          Candidate(3, capacity=2.5, min_order=1)])
    assert result.covers and result.total == pytest.approx(10)
    assert 2 not in dict(result.shares) or dict(result.shares)[2] >= 5
    assert all(q >= 1 for _, q in result.shares)
    # Only B left: it is asked its minimum of 5 t for 3 t wanted (the least over-supply), never 3 t.
    assert propose(3, [Candidate(2, capacity=10, min_order=5)]).shares == [(2, 5)]


def greedy(need, candidates):
    """Largest capacity first, each filled up, a share below a minimum order skipped."""
    shares, left = [], need
    for c in sorted(candidates, key=lambda c: -c.capacity):
        take = min(c.capacity, left)
        if left > 0 and take >= c.min_order:
            shares.append((c.key, take))
            left -= take
    return shares


def test_the_solver_covers_where_the_largest_first_choice_cannot():
    candidates = [Candidate(1, capacity=15, min_order=1), Candidate(2, capacity=10, min_order=10),
                  Candidate(3, capacity=10, min_order=10)]
    assert greedy(20, candidates) == [(1, 15)]  # 5 t short: B and C each need at least 10 t
    result = propose(20, candidates)
    assert result.covers and result.total == 20 and len(result.shares) == 2
    for key, quantity in result.shares:
        c = next(c for c in candidates if c.key == key)
        assert c.min_order <= quantity <= c.capacity


def test_the_requested_grade_then_fewer_producers_then_curation():
    one_big = propose(20, [Candidate(1, capacity=12, curated=True), Candidate(2, capacity=12, curated=True),
                           Candidate(3, capacity=25)])
    assert one_big.shares == [(3, 20)]
    graded = propose(10, [Candidate(1, capacity=20, grade_match=False, curated=True),
                          Candidate(2, capacity=20, grade_match=True, curated=False)])
    assert graded.shares == [(2, 10)]
    # Two premium listings rather than one medium listing that could take it all …
    pooled = propose(20, [Candidate(1, capacity=30, grade_match=False), Candidate(2, capacity=15),
                          Candidate(3, capacity=15)])
    assert dict(pooled.shares) == {2: 10, 3: 10}
    # … and another grade only fills what the requested grade cannot.
    topped_up = propose(20, [Candidate(1, capacity=30, grade_match=False), Candidate(2, capacity=15)])
    assert dict(topped_up.shares) == {2: 15, 1: 5}
    responsive = propose(10, [Candidate(1, capacity=20, responsiveness=0.2), Candidate(2, capacity=20, responsiveness=0.9)])
    assert responsive.shares == [(2, 10)]


def test_shares_are_written_to_the_precision_of_the_unit_and_still_add_up():
    result = propose(20, [Candidate(1, capacity=7.777), Candidate(2, capacity=7.777), Candidate(3, capacity=7.777)])
    assert result.total == pytest.approx(20)
    assert all(round(q, 2) == q for _, q in result.shares)
    in_kg = propose(1000, [Candidate(1, capacity=333.3), Candidate(2, capacity=700.5)], step=plan.step_for("kg"))
    assert in_kg.total == 1000 and all(float(q).is_integer() for _, q in in_kg.shares)


@pytest.fixture
def premium_request(ctx):
    """20 t of premium rice a month for 12 months from January 2027, asked about A's halal listing."""
    rice = category("beras-serealia")
    a = ProductFactory(producer=ProducerFactory(name="A"), unit="kg", monthly_capacity=15_000, min_order_qty=1_000,
                       grade="Premium", category=rice)
    b = ProductFactory(producer=ProducerFactory(name="B"), unit="ton", monthly_capacity=15, min_order_qty=1,
                       grade="premium", category=rice)
    medium = ProductFactory(producer=ProducerFactory(name="Medium", curated=True), unit="ton", monthly_capacity=30,
                            min_order_qty=1, grade="Medium", category=rice)
    certificates = [CertificateFactory(producer=p.producer, kind="halal") for p in (a, b, medium)]
    for product, certificate in zip((a, b, medium), certificates):
        product.certificates.append(certificate)
    inquiry = request(20, "ton", date(2027, 1, 1), 12, rice.id)
    inquiry.items.append(InquiryItem(product_id=a.id, producer_id=a.producer_id))
    db.session.commit()
    return inquiry, a, b, medium


def test_the_premium_request_ranks_premium_above_a_curated_medium_listing(premium_request):
    inquiry, a, b, medium = premium_request
    names = [s.producer.name for s in service.suggestions(inquiry)]
    assert names.index("Medium") == 2
    by_name = {s.producer.name: s for s in service.suggestions(inquiry)}
    assert by_name["A"].price == pytest.approx(12_000_000)  # Rp 12.000 per kg is Rp 12 juta per ton


def test_committed_capacity_reduces_what_a_producer_is_given(premium_request):
    inquiry, a, b, medium = premium_request
    result, _ = plan.plan_for(inquiry, service.suggestions(inquiry))
    assert dict(result.shares) == {a.producer_id: 10, b.producer_id: 10}  # 15 t each, two thirds of each
    contract(a, 10_000, "kg", date(2026, 12, 1), periods=6)  # 10 t of A's 15 t taken January–May
    contract(b, 5, "ton", date(2027, 3, 1), periods=1, status="cancelled")
    result, candidates = plan.plan_for(inquiry, service.suggestions(inquiry))
    assert dict(result.shares) == {a.producer_id: 5, b.producer_id: 15}
    assert result.covers


def test_listings_without_the_certificate_spare_capacity_or_lead_time_are_left_out_with_a_reason(premium_request):
    inquiry, a, b, medium = premium_request
    b.certificates[0].valid_until = date(2026, 12, 31)  # expires before the first delivery
    medium.lead_time_days = 30
    inquiry.needed_by = clock.today() + timedelta(days=10)
    contract(a, 15, "ton", date(2027, 6, 1), periods=1)  # A is full in June
    db.session.commit()
    result, candidates = plan.plan_for(inquiry, service.suggestions(inquiry))
    reasons = {c.key: c.excluded for c in candidates}
    assert reasons == {a.producer_id: ["no_spare"], b.producer_id: ["certificate"], medium.producer_id: ["lead_time"]}
    assert result.shares == [] and result.missing == 20


def test_the_suggestions_are_ranked_once_per_catalog_and_trade_version(app, premium_request):
    """A facilitator's second look reads the kept ranking and the shown listings, not every listing of the
    commodity; a committed trade write (here a contract) ranks them again (test above)."""
    from tests.test_query_budget import counting

    inquiry, a, b, medium = premium_request
    first = [(s.producer.name, s.spare) for s in service.suggestions(inquiry)]
    with counting() as statements:
        again = [(s.producer.name, s.spare) for s in service.suggestions(inquiry)]
    assert again == first
    assert not [s for s in statements if "row_number" in s.lower() or "allocation" in s.lower()], statements


def test_another_buyers_request_leaves_the_ranking_kept_and_a_contract_ranks_again(app, premium_request):
    """Trade writes that change no listing and commit nothing (another buyer's request) re-read only the answering
    rates; a contract changes the spare capacity, and the listings are ranked again."""
    from tests.test_query_budget import counting

    inquiry, a, b, medium = premium_request
    first = [(s.producer.name, s.spare) for s in service.suggestions(inquiry)]
    request(5, "ton", date(2027, 2, 1), 1, category("telur").id)  # someone else's request: a trade write
    db.session.commit()
    with counting() as statements:
        again = [(s.producer.name, s.spare) for s in service.suggestions(inquiry)]
    assert again == first
    assert not [s for s in statements if "row_number" in s.lower()], "the ranking was read again"
    assert [s for s in statements if "allocation" in s.lower()], "the answering rates were not read again"
    contract(b, 5, "ton", date(2027, 1, 1), periods=12)
    db.session.commit()
    with counting() as statements:
        spare = {s.producer.name: s.spare for s in service.suggestions(inquiry)}
    assert [s for s in statements if "row_number" in s.lower()]
    assert spare["B"] == pytest.approx(10)
