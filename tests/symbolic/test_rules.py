"""Backward rules of the autograd ops (reports C/E, questions 1-4 and 8)."""

from __future__ import annotations

import pytest
import sympy as sp

from backprop_book.symbolic.checker import matrix_symbols
from backprop_book.symbolic.rules import (
    RULES,
    G,
    G_scalar,
    W,
    X,
    Y,
    divide_rule,
    elementwise_rule,
    expand_rule,
    i,
    instantiate,
    j,
    k,
    m,
    matmul_matrix_form,
    matmul_rule,
    n,
    normalize_rule,
    p,
    sum_rule,
    x,
)

pytestmark = pytest.mark.part1

SIZES = {
    "divide": [{m: 1, n: 2}, {m: 2, n: 2}],
    "elementwise": [{m: 2, n: 2}],
    "matmul": [{m: 1, n: 3, p: 2}, {m: 2, n: 2, p: 3}],
    "expand": [{m: 2, n: 3}, {m: 1, n: 16}],
    "normalize": [{m: 1, n: 3}, {m: 2, n: 2}],
    "sum": [{m: 2, n: 3}],
}


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_is_correct_on_concrete_sizes(name: str) -> None:
    rule = RULES[name]()
    for sizes in SIZES[name]:
        verdicts = rule.check(sizes)
        assert set(verdicts) == set(rule.inputs)
        for verdict in verdicts.values():
            assert verdict.correct, (name, sizes, str(verdict))


@pytest.mark.parametrize("f", [sp.tanh, sp.exp, sp.sin, lambda u: 1 / (1 + sp.exp(-u)), sp.log])
def test_elementwise_rule_for_concrete_functions(f) -> None:  # type: ignore[no-untyped-def]
    assert elementwise_rule(f).check({m: 1, n: 2})["X"].correct


def test_generic_elementwise_rule_is_symbolic() -> None:
    v = elementwise_rule().check({m: 1, n: 2})["X"]
    assert v.correct and v.method == "symbolic"


@pytest.mark.parametrize(
    ("rule", "name", "claim", "sizes"),
    [
        (divide_rule, "Y", G[i, j] * X[i, j] / Y[i, j] ** 2, {m: 1, n: 2}),
        (divide_rule, "X", G[i, j] * Y[i, j], {m: 1, n: 2}),
        (matmul_rule, "X", sp.Sum(G[i, k] * W[k, j], (k, 0, p - 1)), {m: 2, n: 2, p: 2}),
        (matmul_rule, "W", sp.Sum(X[i, k] * G[k, j], (k, 0, m - 1)), {m: 2, n: 2, p: 2}),
        (expand_rule, "x", G[i, 0], {m: 2, n: 3}),
        (normalize_rule, "X", G[i, j] / sp.Sum(X[i, k], (k, 0, n - 1)), {m: 1, n: 3}),
        (sum_rule, "X", sp.Integer(1), {m: 2, n: 2}),
    ],
)
def test_wrong_rules_are_rejected(rule, name, claim, sizes) -> None:  # type: ignore[no-untyped-def]
    v = rule().check(sizes, {name: claim})[name]
    assert not v.correct
    assert v.counterexample is not None


def test_matrix_forms_of_matmul() -> None:
    verdicts = matmul_matrix_form(2, 3, 2)
    assert all(v.correct for v in verdicts.values())


def test_latex_is_rendered_from_the_rule() -> None:
    assert divide_rule().latex("X") == r"\bar{X}_{i,j} = \frac{{G}_{i,j}}{{Y}_{i,j}}"
    assert "\\sum_{k=0}^{n - 1}" in normalize_rule().latex("X")
    assert normalize_rule().latex() == r"C_{i,j} = \frac{{X}_{i,j}}{{s}_{i}}"
    assert sum_rule().latex("X") == r"\bar{X}_{i,j} = G"
    with pytest.raises(ValueError, match="expected one of the inputs"):
        divide_rule().latex("Z")


def test_instantiate_and_errors() -> None:
    A = matrix_symbols("A", 2, 3)
    M = instantiate(sp.Sum(X[i, k], (k, 0, n - 1)), (2, 1), {X: A}, {n: 3})
    assert M == sp.Matrix([[sum(A[0, :])], [sum(A[1, :])]])
    assert instantiate(X[0, 1], (), {X: A}, {}) == A[0, 1]
    with pytest.raises(ValueError, match="no explicit matrix"):
        instantiate(Y[i, j], (1, 1), {X: A}, {})
    with pytest.raises(ValueError, match="expected sizes"):
        matmul_rule().check({m: 2})
    with pytest.raises(ValueError, match="expected claims for inputs"):
        divide_rule().check({m: 1, n: 1}, {"Z": G[i, j]})


def test_expand_rule_matches_the_report_size() -> None:
    rule = expand_rule()
    explicit, out, up, _ = rule.instantiate_ops({m: 2, n: 16})
    assert out.shape == (2, 16) and explicit["x"].shape == (2, 1)
    assert all(out[r, c] == explicit["x"][r, 0] for r in range(2) for c in range(16))
    assert up.shape == (2, 16)


def test_sum_rule_uses_scalar_upstream() -> None:
    explicit, out, up, _ = sum_rule().instantiate_ops({m: 2, n: 2})
    assert up == G_scalar
    assert out == sum(explicit["X"])
    _ = x
