"""The reports' slips, each encoded as the claim the report made and caught by machine.

Every :class:`Slip` carries the report and question, the claim in words and in
LaTeX, the correct statement, and a ``check`` that runs the claim through the
gradient checker (or the counting helpers) and returns a
:class:`~backprop_book.symbolic.checker.Verdict`.  A slip is caught when its
verdict says *wrong*; the correct statement, run through the same check, must
come back *correct* (:meth:`Slip.check_correct`).

The slips about the fc layer's input size, the fan-out "He" initialisation and
softmax before cross-entropy belong to later parts of the book.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from backprop_book.symbolic.activations import sigmoid
from backprop_book.symbolic.checker import Verdict, check_equal, check_gradient, matrix_symbols
from backprop_book.symbolic.counting import conv_params, lenet5_table
from backprop_book.symbolic.rules import (
    G,
    X,
    Y,
    divide_rule,
    elementwise_rule,
    expand_rule,
    k,
    m,
    n,
)
from backprop_book.symbolic.rules import i as _i
from backprop_book.symbolic.rules import j as _j

__all__ = ["SLIPS", "Slip", "slips"]


@dataclass(frozen=True)
class Slip:
    """One slip of a report.

    Attributes
    ----------
    key
        Short identifier.
    report
        Report and question, e.g. ``"C, Q1"``.
    claim
        What the report says, in words.
    claim_latex
        The claim as a formula.
    correct_latex
        The correct statement.
    check
        Runs the claim through the checker; returns its verdict.
    check_correct
        Runs the correct statement through the same check.

    >>> slip = SLIPS[-1]
    >>> slip.key, slip.check().correct, slip.check_correct().correct
    ('lenet-c3', False, True)
    """

    key: str
    report: str
    claim: str
    claim_latex: str
    correct_latex: str
    check: Callable[[], Verdict]
    check_correct: Callable[[], Verdict]


_SIZES = {m: 2, n: 2}


def _division_sign(correct: bool) -> Verdict:
    rule = divide_rule()
    claim = rule.gradients["Y"] if correct else G[_i, _j] * X[_i, _j] / Y[_i, _j] ** 2
    return rule.check(_SIZES, {"Y": claim})["Y"]


def _elementwise(correct: bool) -> Verdict:
    rule = elementwise_rule(sp.tanh)
    claim = rule.gradients["X"] if correct else 1 - sp.tanh(X[_i, _j]) ** 2
    return rule.check(_SIZES, {"X": claim})["X"]


def _expand(correct: bool) -> Verdict:
    rule = expand_rule()
    sizes = {m: 2, n: 3}
    if correct:
        claim = rule.gradients["x"]
    else:
        claim = sp.Sum(G[_i, k], (k, 0, n - 1)) / n
    return rule.check(sizes, {"x": claim})["x"]


def _depends_on_inputs(correct: bool) -> Verdict:
    size = 3
    w, x = matrix_symbols("w", size, 1), matrix_symbols("x", size, 1)
    b = sp.Symbol("b")
    g = sigmoid((w.T * x)[0, 0] + b)
    grad = sp.ImmutableMatrix(size, 1, lambda r, _: sp.diff(g, x[r]))
    if correct:
        gg = sp.Symbol("g")
        claim = sp.ImmutableMatrix(
            size, size, lambda r, c: (w[r] * w[c] * gg * (1 - gg) * (1 - 2 * gg)).subs(gg, g)
        )
    else:
        claim = sp.zeros(size, size)
    # "does not depend on the inputs": the Jacobian of the gradient w.r.t. x would be zero
    return check_gradient(grad, x, sp.ImmutableMatrix(claim), simplify=False)


def _logistic_label(correct: bool) -> Verdict:
    t = sp.Symbol("x", real=True)
    ratio = (1 - sp.exp(-t)) / (1 + sp.exp(-t))
    lhs = 2 * sigmoid(t) - 1 if correct else sigmoid(t)
    return check_equal(
        lhs,
        ratio,
        label="(1 - e^-x)/(1 + e^-x) as " + ("2 sigma(x) - 1" if correct else "sigma(x)"),
    )


def _lenet_c3(correct: bool) -> Verdict:
    standard = conv_params(6, 16, 5)
    reported = next(layer.params for layer in lenet5_table("report") if layer.name == "C3")
    claimed = standard if correct else reported
    # the claim: C3 is a fully connected 5x5 conv from 6 to 16 maps with claimed parameters
    return check_equal(
        sp.Integer(standard), sp.Integer(claimed), label="C3 parameters, 16 * (6 * 5 * 5 + 1)"
    )


def slips() -> list[Slip]:
    """The Part I slips of the reports, in the order of the brief.

    >>> [s.key for s in slips()][:3]
    ['division-sign', 'elementwise-rule', 'expand-rule']
    >>> slips()[0].check().correct
    False
    """
    return [
        Slip(
            key="division-sign",
            report="C, Q1",
            claim="for C = X / Y, Y_grad = C_grad * X / Y**2 (the minus sign dropped)",
            claim_latex=r"\bar Y_{ij} = \frac{G_{ij} X_{ij}}{Y_{ij}^2}",
            correct_latex=r"\bar Y_{ij} = -\frac{G_{ij} X_{ij}}{Y_{ij}^2}",
            check=lambda: _division_sign(False),
            check_correct=lambda: _division_sign(True),
        ),
        Slip(
            key="elementwise-rule",
            report="C, Q2",
            claim=(
                "for C = f(X), X_grad = f'(X), the local derivative without the upstream "
                "gradient (the brief says only that C writes a wrong form; this is a "
                "representative one, shown for f = tanh)"
            ),
            claim_latex=r"\bar X_{ij} = f'(X_{ij})",
            correct_latex=r"\bar X_{ij} = G_{ij}\, f'(X_{ij})",
            check=lambda: _elementwise(False),
            check_correct=lambda: _elementwise(True),
        ),
        Slip(
            key="expand-rule",
            report="C and E, Q4",
            claim=(
                "for Y = x repeated as columns, x_grad is the mean of Y_grad over the columns "
                "(a vague 'combine the copies' made concrete)"
            ),
            claim_latex=r"\bar x_i = \frac1n \sum_j G_{ij}",
            correct_latex=r"\bar x_i = \sum_j G_{ij}",
            check=lambda: _expand(False),
            check_correct=lambda: _expand(True),
        ),
        Slip(
            key="depends-on-inputs",
            report="D, Q5",
            claim=(
                "the gradient w_i g (1 - g) of g = sigma(w^T x + b) 'does not depend on the "
                "inputs': its derivative with respect to x would be zero"
            ),
            claim_latex=r"\frac{\partial}{\partial x_j}\, w_i g (1 - g) = 0",
            correct_latex=r"\frac{\partial}{\partial x_j}\, w_i g (1 - g) = w_i w_j g(1-g)(1-2g)",
            check=lambda: _depends_on_inputs(False),
            check_correct=lambda: _depends_on_inputs(True),
        ),
        Slip(
            key="logistic-label",
            report="D, Q6",
            claim="(1 - e^-x) / (1 + e^-x) is the logistic function",
            claim_latex=r"\sigma(x) = \frac{1 - e^{-x}}{1 + e^{-x}}",
            correct_latex=r"\frac{1 - e^{-x}}{1 + e^{-x}} = 2\sigma(x) - 1 = \tanh(x/2)",
            check=lambda: _logistic_label(False),
            check_correct=lambda: _logistic_label(True),
        ),
        Slip(
            key="lenet-c3",
            report="D, Q4",
            claim=(
                "LeNet-5's C3 (6 -> 16 maps, 5x5) has 2,496 parameters, a bias per input-output "
                "map pair; total 61,786"
            ),
            claim_latex=r"16 \cdot 6\,(5^2 + 1) = 2496",
            correct_latex=r"16\,(6 \cdot 5^2 + 1) = 2416 \text{ (total 61,706)}",
            check=lambda: _lenet_c3(False),
            check_correct=lambda: _lenet_c3(True),
        ),
    ]


#: The slips, built once at import (cheap: checks run only when called).
SLIPS: tuple[Slip, ...] = tuple(slips())
