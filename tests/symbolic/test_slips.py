"""The reports' slips: each claim is rejected, each correction accepted, with a reason."""

from __future__ import annotations

import pytest

from backprop_book.symbolic.slips import SLIPS, slips

pytestmark = pytest.mark.part1

EXPECTED_HINT = {
    "division-sign": "opposite sign",
    "division-x": "claim / truth",
    "matmul-transpose": "claim / truth",
    "expand-rule": "claim / truth",
    "normalize-forward": "claim / truth",
    "depends-on-inputs": "zero where the truth is not",
    "logistic-label": "claim / truth",
    "lenet-c3": "non-zero constant",
}


def test_the_gallery_has_the_reports_part1_slips() -> None:
    assert [s.key for s in SLIPS] == list(EXPECTED_HINT)
    assert [s.key for s in slips()] == [s.key for s in SLIPS]
    assert {s.report for s in SLIPS} >= {
        "C, Q1 and Q2",
        "C, Q3",
        "E, Q4",
        "D, Q4",
        "D, Q5",
        "D, Q6",
    }


@pytest.mark.parametrize("slip", SLIPS, ids=lambda s: s.key)
def test_slip_quotes_the_report_and_its_claim_is_judged_wrong(slip) -> None:  # type: ignore[no-untyped-def]
    from backprop_book.reports import claim

    c = claim(slip.claim_id)
    assert c.quote and c.report == slip.report[0]
    v = c.verdict()
    # wrong; or, where the report's sentence allows a reading under which it holds
    # (D Q5: "does not depend on" read as "is written without"), ambiguous with the
    # slip's own reading among those that fail
    assert v.kind == "report_wrong" or (
        v.kind == "ambiguous" and any(r.reproduces is False for r in v.readings)
    ), v


@pytest.mark.parametrize("slip", SLIPS, ids=lambda s: s.key)
def test_slip_is_caught_with_a_reason(slip) -> None:  # type: ignore[no-untyped-def]
    verdict = slip.check()
    assert not verdict.correct
    assert EXPECTED_HINT[slip.key] in verdict.reason
    assert verdict.counterexample is not None
    cex = verdict.counterexample
    assert cex.claimed != cex.expected
    assert "WRONG" in str(verdict)


@pytest.mark.parametrize("slip", SLIPS, ids=lambda s: s.key)
def test_correction_passes_the_same_check(slip) -> None:  # type: ignore[no-untyped-def]
    assert slip.check_correct().correct


def test_lenet_numbers_in_the_counterexample() -> None:
    slip = next(s for s in SLIPS if s.key == "lenet-c3")
    cex = slip.check().counterexample
    assert cex is not None and (cex.expected, cex.claimed) == (2416, 2496)


def test_division_counterexample_is_the_negative() -> None:
    slip = next(s for s in SLIPS if s.key == "division-sign")
    cex = slip.check().counterexample
    assert cex is not None and cex.claimed == pytest.approx(-cex.expected)
