"""The gradient checker: correct claims, wrong claims, domains, malformed claims."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from backprop_book.symbolic.checker import (
    Verdict,
    check_backward_rule,
    check_equal,
    check_gradient,
    matrix_symbols,
    upstream_like,
)

pytestmark = pytest.mark.part1

x, y, z = sp.symbols("x y z")


# ----------------------------------------------------------------------------- correct claims


def test_scalar_correct_is_symbolic() -> None:
    v = check_gradient(sp.sin(x) * sp.exp(x), x, sp.exp(x) * (sp.sin(x) + sp.cos(x)))
    assert v.correct and v.method == "symbolic" and v.counterexample is None
    assert bool(v) is True
    assert "simplifies to zero" in v.reason


def test_matrix_gradient_of_scalar() -> None:
    W = matrix_symbols("W", 2, 3)
    f = sum(v**2 for v in W)
    assert check_gradient(f, W, 2 * W).correct
    assert not check_gradient(f, W, W).correct


def test_matrix_symbol_trace_form() -> None:
    A = sp.MatrixSymbol("A", 2, 2)
    B = sp.MatrixSymbol("B", 2, 2)
    assert check_gradient(sp.Trace(A * B), A, B.T).correct
    v = check_gradient(sp.Trace(A * B), A, B)
    assert not v.correct
    cex = v.counterexample
    assert cex is not None and cex.entry in {(0, 1), (1, 0)}


def test_elementwise_function_of_scalar() -> None:
    f = sp.Matrix([[sp.sin(x), x**2], [sp.exp(2 * x), 1]])
    claim = sp.Matrix([[sp.cos(x), 2 * x], [2 * sp.exp(2 * x), 0]])
    assert check_gradient(f, x, claim).correct


def test_jacobian_of_vector_function() -> None:
    v = sp.Matrix([x, y])
    f = sp.Matrix([x * y, x + y, sp.exp(x)])
    J = sp.Matrix([[y, x], [1, 1], [sp.exp(x), 0]])
    assert check_gradient(f, v, J).correct
    assert not check_gradient(f, v, J.T.T + sp.Matrix([[0, 0], [0, 0], [0, 1]])).correct


def test_numeric_path_when_simplification_skipped() -> None:
    v = check_gradient(sp.tanh(x), x, 1 - sp.tanh(x) ** 2, simplify=False, n_points=4)
    # 4 random points, then the scale points 1e-3, -1e-3, 1e3, -1e3 (no other constants)
    assert v.correct and v.method == "numeric" and v.points_checked == 4 + 4


def test_numeric_path_when_simplification_is_inconclusive() -> None:
    # an abs/Heaviside claim that simplify cannot reduce, but which holds numerically
    v = check_gradient(sp.Abs(x) * x, x, 2 * x * (2 * sp.Heaviside(x) - 1))
    assert v.correct
    assert v.method == "numeric"


# ----------------------------------------------------------------------------- wrong claims


def test_wrong_claim_has_counterexample_with_both_values() -> None:
    v = check_gradient(x**3, x, 2 * x**2, rng=1)
    assert not v.correct
    cex = v.counterexample
    assert cex is not None
    xv = cex.point["x"]
    assert cex.expected == pytest.approx(3 * xv**2, rel=1e-12)
    assert cex.claimed == pytest.approx(2 * xv**2, rel=1e-12)
    assert "claim / truth = 0.666667" in v.reason
    assert "WRONG" in str(v) and "claimed" in str(v)


def test_constant_offset_is_decided_symbolically() -> None:
    v = check_gradient(x**2, x, 2 * x + 1)
    assert not v.correct and v.method == "symbolic"
    assert v.counterexample is not None
    assert v.counterexample.claimed == pytest.approx(v.counterexample.expected + 1)


def test_sign_hint() -> None:
    v = check_gradient(1 / x, x, 1 / x**2, simplify=False)
    assert not v.correct and "opposite sign" in v.reason


# ----------------------------------------------------------------------------- domains


def test_log_samples_inside_domain() -> None:
    v = check_gradient(sp.log(x), x, 1 / x + x * 0 + sp.Rational(1, 1000), rng=3)
    assert not v.correct
    assert v.counterexample is not None and v.counterexample.point["x"] > 0
    assert check_gradient(sp.log(x) * sp.log(y), x, sp.log(y) / x).correct


def test_sqrt_and_division_domains() -> None:
    f = sp.sqrt(x - 1) / (y - 2)
    ok = check_gradient(f, x, 1 / (2 * sp.sqrt(x - 1) * (y - 2)), simplify=False, rng=5)
    assert ok.correct and ok.method == "numeric"
    bad = check_gradient(f, x, 1 / (sp.sqrt(x - 1) * (y - 2)), simplify=False, rng=5)
    assert not bad.correct
    assert bad.counterexample is not None and bad.counterexample.point["x"] > 1


def test_domain_far_from_the_default_range_is_found() -> None:
    v = check_gradient(sp.log(x - 4), x, 1 / (x - 4), simplify=False)
    assert v.correct and v.method == "numeric"


def test_explicit_domain() -> None:
    v = check_gradient(
        sp.asin(x), x, 1 / sp.sqrt(1 - x**2), domain={x: (-0.9, 0.9)}, simplify=False
    )
    assert v.correct
    with pytest.raises(ValueError, match="low < high"):
        check_gradient(x, x, 1, domain={"x": (1, 0)})
    with pytest.raises(ValueError, match="do not occur"):
        check_gradient(x, x, 1, domain={"q": (0, 1)}, simplify=False)


def test_empty_domain_is_reported() -> None:
    with pytest.raises(ValueError, match="no point inside the function's domain"):
        check_gradient(sp.sqrt(-(x**2) - 1), x, 0, simplify=False)


def test_positive_symbols_are_sampled_positive() -> None:
    p = sp.Symbol("p", positive=True)
    v = check_gradient(sp.sqrt(p), p, 1 / sp.sqrt(p), rng=2)
    assert not v.correct and v.counterexample is not None
    assert v.counterexample.point["p"] > 0


# ----------------------------------------------------------------------------- malformed claims


def test_wrong_shape_claim() -> None:
    W = matrix_symbols("W", 2, 3)
    with pytest.raises(ValueError, match=r"expected a claim of shape \(2, 3\).*got shape \(3, 2\)"):
        check_gradient(sum(W), W, sp.ones(3, 2))
    with pytest.raises(ValueError, match="got a scalar"):
        check_gradient(sum(W), W, sp.Integer(1))
    with pytest.raises(ValueError, match="expected a claim of a scalar"):
        check_gradient(x**2, x, sp.Matrix([2 * x]))


def test_claim_with_foreign_symbols() -> None:
    with pytest.raises(ValueError, match=r"symbols \['z'\] that the function does not contain"):
        check_gradient(x * y, x, y + z)


def test_four_index_jacobian_is_refused() -> None:
    X = matrix_symbols("X", 2, 2)
    with pytest.raises(TypeError, match="check_backward_rule"):
        check_gradient(X * X, X, X)


def test_bad_variable() -> None:
    with pytest.raises(TypeError, match="symbol"):
        check_gradient(x**2, x**2, 1)
    with pytest.raises(TypeError, match="expected a sympy expression"):
        check_gradient("x", x, 1)


def test_symbolic_shape_matrix_symbol_is_refused() -> None:
    n = sp.Symbol("n", integer=True)
    A = sp.MatrixSymbol("A", n, n)
    with pytest.raises(ValueError, match="concrete sizes"):
        check_gradient(sp.Trace(A), A, sp.Identity(n))


# ----------------------------------------------------------------------------- backward rules


def test_backward_rule_matmul_and_mistakes() -> None:
    X, W = matrix_symbols("X", 2, 3), matrix_symbols("W", 3, 2)
    C = X * W
    G = upstream_like(C)
    assert check_backward_rule(C, X, G * W.T, G).correct
    assert check_backward_rule(C, W, X.T * G, G).correct
    assert not check_backward_rule(C, W, X.T * G.T.T + X.T * G, G).correct
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        check_backward_rule(C, X, W * G, G)  # (3, 2): wrong shape
    with pytest.raises(ValueError, match="upstream gradient"):
        check_backward_rule(C, X, G * W.T, matrix_symbols("G", 3, 3))


def test_backward_rule_wrong_transpose_rejected() -> None:
    X, W = matrix_symbols("X", 2, 2), matrix_symbols("W", 2, 2)
    C = X * W
    G = upstream_like(C)
    v = check_backward_rule(C, X, G * W, G)
    assert not v.correct and v.counterexample is not None


def test_backward_rule_with_output_symbol() -> None:
    X = matrix_symbols("X", 1, 3)
    C = X.applyfunc(lambda v: 1 / (1 + sp.exp(-v)))
    G = upstream_like(C)
    Csym = matrix_symbols("C", 1, 3)
    claim = G.multiply_elementwise(Csym).multiply_elementwise(Csym.applyfunc(lambda c: 1 - c))
    assert check_backward_rule(C, X, claim, G, output_symbol=Csym).correct
    with pytest.raises(ValueError, match="output_symbol"):
        check_backward_rule(C, X, claim, G, output_symbol=matrix_symbols("C", 3, 1))
    # without substituting C, the claim uses symbols the op does not have
    with pytest.raises(ValueError, match="does not contain"):
        check_backward_rule(C, X, claim, G)


def test_backward_rule_scalar_output() -> None:
    X = matrix_symbols("X", 2, 2)
    C = sum(X)
    G = sp.Symbol("G")
    assert check_backward_rule(C, X, G * sp.ones(2, 2), G).correct
    assert not check_backward_rule(C, X, G * sp.eye(2), G).correct


# ----------------------------------------------------------------------------- identities


def test_check_equal() -> None:
    assert check_equal(sp.cosh(x) ** 2 - sp.sinh(x) ** 2, sp.Integer(1)).correct
    v = check_equal(sp.Integer(2416), sp.Integer(2496), label="C3")
    assert not v.correct and v.method == "symbolic" and v.reason.startswith("C3")
    assert v.counterexample is not None and v.counterexample.point == {}
    assert (v.counterexample.expected, v.counterexample.claimed) == (2416, 2496)
    with pytest.raises(ValueError, match="shape"):
        check_equal(sp.Matrix([x]), x)


def test_verdict_is_a_frozen_dataclass() -> None:
    v = Verdict(True, "symbolic", "r")
    with pytest.raises(AttributeError):
        v.correct = False  # type: ignore[misc]
    assert not Verdict(False, "numeric", "r")


def test_matrix_symbols_names_and_validation() -> None:
    M = matrix_symbols("A", 11, 1)
    assert M[10, 0].name == "A_10_0"
    with pytest.raises(ValueError, match="positive number of rows"):
        matrix_symbols("A", 0, 2)


def test_counterexample_values_are_recomputable() -> None:
    v = check_gradient(sp.exp(x) * y, y, sp.exp(y), rng=7)
    cex = v.counterexample
    assert cex is not None
    assert cex.expected == pytest.approx(math.exp(cex.point["x"]))
    assert cex.claimed == pytest.approx(math.exp(cex.point["y"]))


def test_undefined_function_symbolic_ok_numeric_refused() -> None:
    f = sp.Function("f")
    assert check_gradient(f(x) ** 2, x, 2 * f(x) * sp.Derivative(f(x), x)).correct
    # an undefined function cannot be evaluated at points: undecided, never an error
    v = check_gradient(f(x) ** 2, x, f(x) * sp.Derivative(f(x), x), simplify=False)
    assert v.outcome == "undecided" and v.undecided == "unsupported"
    assert "undefined" in v.reason and not v
