"""Bad input to Part I's checker: claims that must fail, settings that must be refused.

The checker is a grader: a wrong claim that it calls correct costs a student marks,
so these tests try claims that are wrong only at points a random sample misses,
and settings (``n_points=0``, ``tol=nan``) under which no claim could fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings

from backprop_book.symbolic.checker import check_backward_rule, check_equal, check_gradient
from tests.symbolic.strategies import equivalent_forms, smooth_functions, tiny_perturbations

pytestmark = pytest.mark.part1

x, y = sp.symbols("x y")
_PROPERTY = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


# ----------------------------------------------------------------------------- claims wrong far out


def test_bump_far_from_the_samples_is_wrong() -> None:
    """The issue's example: a bump at 10**6, invisible at ordinary points."""
    v = check_gradient(x**2, x, 2 * x + sp.exp(-((x - 10**6) ** 2)))
    assert not v.correct and v.method == "symbolic"
    cex = v.counterexample
    assert cex is not None
    assert cex.claimed is not None and cex.claimed - cex.expected == pytest.approx(1.0)


def test_bump_is_found_by_the_numeric_test_alone() -> None:
    v = check_gradient(x**2, x, 2 * x + sp.exp(-((x - 10**6) ** 2)), simplify=False)
    assert not v.correct and v.method == "numeric"
    assert v.counterexample is not None and v.counterexample.point["x"] == 10**6


def test_exact_tiny_term_is_wrong_with_its_exact_difference() -> None:
    v = check_gradient(x**2, x, 2 * x + sp.Rational(1, 10**12) * x)
    assert not v.correct and v.method == "symbolic"
    cex = v.counterexample
    assert cex is not None and cex.difference is not None
    assert float(cex.difference) == pytest.approx(cex.point["x"] / 10**12, rel=1e-3)
    assert "exact difference" in str(v)


def test_difference_below_the_float_range_is_still_wrong() -> None:
    # exp(-10**12 - x^2): never zero, far below the smallest double everywhere
    v = check_gradient(x, x, 1 + sp.exp(-(10**12) - x**2))
    assert not v.correct and v.method == "symbolic"


def test_a_bump_in_a_second_variable() -> None:
    v = check_gradient(x * y, x, y + sp.exp(-((y - 50) ** 2)))
    assert not v.correct
    assert v.counterexample is not None and v.counterexample.point["y"] == 50


def test_nonzero_constant_below_tol_is_still_wrong() -> None:
    assert not check_gradient(x**2, x, 2 * x + sp.Rational(1, 10**20))
    assert not check_equal(sp.Integer(1), 1 + sp.Rational(1, 10**30))


def test_float_claims_are_judged_at_the_tolerance() -> None:
    assert check_gradient(x**2 / 20, x, 0.1 * x).correct
    assert check_gradient(x**2, x, 2.0 * x).correct
    assert not check_gradient(x**2, x, 2.001 * x).correct


def test_matrix_entry_wrong_far_out() -> None:
    W = sp.Matrix([[x, y]])
    f = x**2 + y**2
    claim = sp.Matrix([[2 * x, 2 * y + sp.exp(-((y - 1000) ** 2))]])
    v = check_gradient(f, W, claim)
    assert not v.correct and v.counterexample is not None and v.counterexample.entry == (0, 1)


def test_backward_rule_with_a_tiny_extra_term() -> None:
    X = sp.Matrix([[x, y]])
    G = sp.Matrix([[sp.Symbol("g0"), sp.Symbol("g1")]])
    C = X.applyfunc(sp.exp)
    good = G.multiply_elementwise(C)
    assert check_backward_rule(C, X, good, G).correct
    bad = good + sp.Matrix([[sp.Rational(1, 10**14) * x, 0]])
    assert not check_backward_rule(C, X, bad, G).correct


# ----------------------------------------------------------------------------- properties


@_PROPERTY
@given(f=smooth_functions(), form=equivalent_forms())
def test_correct_claims_in_equivalent_forms_pass(f: sp.Expr, form) -> None:  # type: ignore[no-untyped-def]
    _, rewrite = form
    claim = rewrite(sp.diff(f, x))
    v = check_gradient(f, x, claim, rng=0)
    assert v.correct, str(v)


# Sized to what it catches, a tiny term added to a derivative written in any real form: the
# rewriting into complex exponentials is the correct-forms test's (above). One such claim with
# a bump at 10**5 added cost sympy 217 s of simplification on a 2-core machine (the other 11
# examples took 9 s together), and caught nothing the real forms do not.
_REAL_FORMS = equivalent_forms().filter(lambda form: form[0] != "rewritten with exp")


@settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(f=smooth_functions(), eps=tiny_perturbations(), form=_REAL_FORMS)
def test_claims_perturbed_by_a_tiny_term_fail(f: sp.Expr, eps: sp.Expr, form) -> None:  # type: ignore[no-untyped-def]
    _, rewrite = form
    claim = rewrite(sp.diff(f, x)) + eps
    v = check_gradient(f, x, claim, rng=0)
    assert not v.correct, f"{claim} accepted: {v}"
    assert v.counterexample is not None


@_PROPERTY
@given(f=smooth_functions(), eps=tiny_perturbations())
def test_perturbed_identities_fail(f: sp.Expr, eps: sp.Expr) -> None:
    assert check_equal(f, sp.expand(f)).correct
    assert not check_equal(f, f + eps).correct


# ----------------------------------------------------------------------------- settings refused


@pytest.mark.parametrize("n_points", [0, -1])
def test_no_points_is_refused(n_points: int) -> None:
    with pytest.raises(ValueError, match=r"expected n_points >= 1, got"):
        check_gradient(x**2, x, 2 * x, n_points=n_points)


@pytest.mark.parametrize("n_points", [2.5, "3", True, None])
def test_n_points_of_the_wrong_type(n_points: object) -> None:
    with pytest.raises(TypeError, match="expected n_points to be an integer"):
        check_gradient(x**2, x, 2 * x, n_points=n_points)  # type: ignore[arg-type]


@pytest.mark.parametrize("tol", [math.nan, math.inf, -math.inf, 0.0, -1e-8, 1.0, 5])
def test_tolerance_out_of_range_is_refused(tol: float) -> None:
    with pytest.raises(ValueError, match=r"expected tol to be a finite number in \(0, 1\)"):
        check_gradient(x**2, x, 2 * x + 1, tol=tol)
    with pytest.raises(ValueError, match="tol"):
        check_equal(x, x, tol=tol)


@pytest.mark.parametrize("tol", ["1e-8", None, True, np.array([1e-8])])
def test_tolerance_of_the_wrong_type(tol: object) -> None:
    with pytest.raises(TypeError, match="tol"):
        check_gradient(x**2, x, 2 * x, tol=tol)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("domain", "match"),
    [
        ({x: (0, math.inf)}, "finite domain interval"),
        ({x: (-math.inf, 0)}, "finite domain interval"),
        ({x: (math.nan, 1)}, "finite domain interval"),
        ({x: (1, 1)}, "low < high"),
        ({x: 3}, "two numbers"),
        ({x: (0, 1, 2)}, "two numbers"),
        ({x: ("a", "b")}, "two numbers"),
    ],
)
def test_bad_domains_are_refused(domain: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=match):
        check_gradient(x**2, x, 2 * x + 1, domain=domain)


def test_domain_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="mapping"):
        check_gradient(x**2, x, 2 * x, domain=[(0, 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="domain key"):
        check_gradient(x**2, x, 2 * x, domain={1: (0, 1)})  # type: ignore[dict-item]


def test_rng_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="rng"):
        check_gradient(x**2, x, 2 * x + 1, rng="seed")  # type: ignore[arg-type]


def test_settings_are_checked_even_when_sympy_decides() -> None:
    # a claim that simplifies to zero must not hide a meaningless setting
    with pytest.raises(ValueError, match="n_points"):
        check_gradient(x**2, x, 2 * x, n_points=0)
