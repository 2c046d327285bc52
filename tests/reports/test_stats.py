"""The verdict statistic of Part V (backprop_book.reports.stats)."""

from __future__ import annotations

import math

import pytest

from backprop_book.reports.stats import (
    Spread,
    between,
    pooled_spread,
    simulate_calibration,
    student_t_cdf,
    student_t_quantile,
    tolerance,
)

pytestmark = [pytest.mark.core]


@pytest.mark.parametrize(
    ("df", "q975"),
    [(1, 12.7062), (2, 4.3027), (3, 3.1824), (5, 2.5706), (16, 2.1199), (54, 2.0049)],
)
def test_student_t_quantile_matches_the_tables(df: int, q975: float) -> None:
    assert student_t_quantile(0.975, df) == pytest.approx(q975, abs=2e-4)
    assert student_t_cdf(q975, df) == pytest.approx(0.975, abs=1e-5)
    assert student_t_quantile(0.025, df) == pytest.approx(-q975, abs=2e-4)


def test_tolerance_combines_its_parts() -> None:
    p, n = 0.6, 10_000
    b = math.sqrt(p * (1 - p) / n)
    base = tolerance(p, n, [p], n)
    assert base.total == pytest.approx(1.959964 * math.sqrt(2) * b, rel=1e-5)
    # the seed spread counts once for the report's run and 1/k for our mean, scaled by t
    t = tolerance(p, n, [0.59, 0.60, 0.61], n)
    assert t.seed_sd == pytest.approx(0.01) and t.seed_df == 2
    expect = math.sqrt(1.959964**2 * 2 * b**2 + 4.302653**2 * 0.01**2 * (1 + 1 / 3))
    assert t.total == pytest.approx(expect, rel=1e-4)
    # the copy's shift and the rounding widen it
    shifted = tolerance(p, n, [p], n, shift=0.01, rounding=0.005)
    assert shifted.total == pytest.approx(1.959964 * math.sqrt(2 * b**2 + 1e-4) + 0.005, rel=1e-5)
    parts = shifted.parts()
    assert parts["data_shift"] == 0.01 and parts["seeds"] == 1 and parts["rounding"] == 0.005
    with pytest.raises(ValueError, match="non-negative"):
        tolerance(p, n, [p], n, shift=-0.1)


def test_two_of_our_runs_use_the_same_statistic_with_the_shift_zero() -> None:
    """Ours against ours: s^2 (1/k_a + 1/k_b), t at the pooled df, no shift, no rounding."""
    p, n = 0.62, 10_000
    a, b = [0.60, 0.62, 0.64], [0.58, 0.60, 0.62]
    t = between(a, n, b, n)
    assert t.report_seeds == 3 and t.seeds == 3 and t.shift == 0 and t.rounding == 0
    assert t.seed_sd == pytest.approx(0.02) and t.seed_df == 4  # pooled over both runs
    binom = p * (1 - p) / n
    expect = math.sqrt(1.959964**2 * 2 * binom + 2.776445**2 * 0.02**2 * (1 / 3 + 1 / 3))
    assert t.total == pytest.approx(expect, rel=1e-4)
    # one run against a mean of k is the report's case exactly
    one = between([0.61], n, b, n)
    assert one.total == pytest.approx(tolerance(0.61, n, b, n).total, rel=1e-12)
    assert between([0.6, 0.62], n, b, n, spread=Spread(0.01, 16, 8)).seed_df == 16
    with pytest.raises(TypeError, match="sequence"):
        between(0.6, n, b, n)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="each side"):
        between([], n, b, n)


def test_claims_compare_our_runs_through_the_one_statistic() -> None:
    from backprop_book.reports.claims import accuracy_tolerance

    a, b = [0.70, 0.72], [0.66, 0.69, 0.70]
    assert accuracy_tolerance(a, 10_000, b, 10_000) == between(a, 10_000, b, 10_000).total
    with pytest.raises(TypeError):
        accuracy_tolerance(0.7, 10_000, b, 10_000)  # type: ignore[arg-type]


def test_calibration_of_our_runs_against_each_other() -> None:
    """Two of the book's runs of three seeds each, judged by :func:`between`."""
    same = simulate_calibration(seed_sd=0.01, runs=1, seeds=3, report_seeds=3, studies=1500, rng=5)
    assert same >= 0.95, same
    far = simulate_calibration(
        seed_sd=0.002, runs=1, seeds=3, report_seeds=3, shift_sds=4, studies=1500, rng=6
    )
    assert 1 - far >= 0.95, far


def test_pooled_spread_pools_the_runs_with_seeds() -> None:
    sp = pooled_spread([[0.1, 0.3], [0.5, 0.5, 0.8], [0.9]])
    # (0.02 * 1 + 0.03 * 2) / 3
    assert sp.sd == pytest.approx(math.sqrt((0.02 + 0.06) / 3)) and sp.df == 3 and sp.runs == 2
    t = tolerance(0.5, 10_000, [0.5], 10_000, spread=Spread(0.02, 16, 8))
    assert t.seed_df == 16 and t.t == pytest.approx(2.1199, abs=1e-4)


def test_calibration_reproduced_when_drawn_from_our_distribution() -> None:
    """The report's figure drawn from the book's own distribution: reproduced >= 95%."""
    for seed_sd in (0.002, 0.01, 0.02):
        share = simulate_calibration(seed_sd=seed_sd, runs=8, seeds=3, studies=1500, rng=1)
        assert share >= 0.95, (seed_sd, share)
    # a single run of three seeds: the spread has 2 df and t = 4.30 keeps the level
    assert simulate_calibration(seed_sd=0.01, runs=1, seeds=3, studies=1500, rng=2) >= 0.95


def test_calibration_differs_when_shifted_by_four_sd() -> None:
    """Shifted by four standard deviations of the difference: differs >= 95%."""
    for seed_sd in (0.002, 0.01, 0.02):
        share = simulate_calibration(
            seed_sd=seed_sd, runs=8, seeds=3, shift_sds=4, studies=1500, rng=3
        )
        assert 1 - share >= 0.95, (seed_sd, share)
    # and in the other direction
    assert 1 - simulate_calibration(runs=8, seeds=3, shift_sds=-4, studies=1500, rng=4) >= 0.95
