"""The reports' slips, each encoded as the claim the report made and caught by machine.

Every :class:`Slip` carries the report and question, the claim in words and in
LaTeX, the correct statement, and a ``check`` that runs the claim through the
gradient checker (or the counting helpers) and returns a
:class:`~backprop_book.symbolic.checker.Verdict`.  A slip is caught when its
verdict says *wrong*; the correct statement, run through the same check, must
come back *correct* (:meth:`Slip.check_correct`).

The slips in code rather than derivations (C's ``parameters()`` that misses a layer,
the first fully connected layer's input size, softmax before cross-entropy) belong
to later parts of the book; Part V (:mod:`backprop_book.reports`) judges every
claim of the reports, these included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from backprop_book.symbolic.activations import sigmoid
from backprop_book.symbolic.checker import (
    Verdict,
    check_backward_rule,
    check_equal,
    check_gradient,
    matrix_symbols,
)
from backprop_book.symbolic.counting import conv_params, lenet5_table
from backprop_book.symbolic.rules import (
    G,
    X,
    Y,
    divide_rule,
    expand_rule,
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
    claim_id
        The id of the report's claim in Part V (:mod:`backprop_book.reports`), where the
        report's own words are typed once (Part V reads this module, never the other
        way round: ``backprop_book.reports.claim(slip.claim_id).quote``).
    claim
        What the check encodes, in words.
    claim_latex
        The claim as a formula.
    correct_latex
        The correct statement.
    check
        Runs the claim through the checker; returns its verdict.
    check_correct
        Runs the correct statement through the same check.

    Examples
    --------
    >>> slip = SLIPS[-1]
    >>> slip.key, slip.check().correct, slip.check_correct().correct
    ('lenet-c3', False, True)
    >>> slip.claim_id
    'D.q4.c3'

    """

    key: str
    report: str
    claim_id: str
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


def _division_x(correct: bool) -> Verdict:
    rule = divide_rule()
    claim = rule.gradients["X"] if correct else G[_i, _j] / X[_i, _j]
    return rule.check(_SIZES, {"X": claim})["X"]


def _matmul_transposed(correct: bool) -> Verdict:
    Wm, Xm, Gm = (sp.MatrixSymbol(name, 2, 2) for name in ("W", "X", "G"))
    S = Wm * Xm.T  # C's forward, W . X^T
    return check_backward_rule(S, Xm, Gm.T * Wm if correct else Gm * Wm, Gm)


def _expand(correct: bool) -> Verdict:
    rule = expand_rule()
    sizes = {m: 2, n: 3}
    # E's X_grad = C_grad, read in components: x's gradient is one copy's, G_ij, unsummed
    claim = rule.gradients["x"] if correct else G[_i, _j]
    return rule.check(sizes, {"x": claim})["x"]


def _normalize_forward(correct: bool) -> Verdict:
    xs = sp.symbols("x0:3", positive=True)
    total = sum(xs)
    # C's "Y_ij = sum x / Y_ij" forces Y_ij^2 = sum x: Y_ij = sqrt(sum x)
    claim = xs[0] / total if correct else sp.sqrt(total)
    return check_equal(claim, xs[0] / total, label="Y_0 of the row normalisation")


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
    """The Part I slips of the reports, each with the report's own words.

    >>> [s.key for s in slips()][:3]
    ['division-sign', 'division-x', 'matmul-transpose']
    >>> slips()[0].check().correct
    False
    """
    return [
        Slip(
            key="division-sign",
            claim_id="C.q2.y_grad",
            report="C, Q1 and Q2",
            claim=(
                "for C = X / Y, Y_grad = C_grad * X / Y**2: the minus sign of C's own first Q1 "
                "bullet is dropped in its Q1 summary and its Q2"
            ),
            claim_latex=r"\bar Y_{ij} = \frac{G_{ij} X_{ij}}{Y_{ij}^2}",
            correct_latex=r"\bar Y_{ij} = -\frac{G_{ij} X_{ij}}{Y_{ij}^2}",
            check=lambda: _division_sign(False),
            check_correct=lambda: _division_sign(True),
        ),
        Slip(
            key="division-x",
            claim_id="C.q2.x_grad",
            report="C, Q2",
            claim="for C = X / Y, X_grad = C_grad / X (X where Y belongs)",
            claim_latex=r"\bar X_{ij} = \frac{G_{ij}}{X_{ij}}",
            correct_latex=r"\bar X_{ij} = \frac{G_{ij}}{Y_{ij}}",
            check=lambda: _division_x(False),
            check_correct=lambda: _division_x(True),
        ),
        Slip(
            key="matmul-transpose",
            claim_id="C.q3.x_grad",
            report="C, Q3",
            claim="for C's forward S = W X^T, X_grad = S_grad W (a transpose missing)",
            claim_latex=r"\bar X = \bar S\, W",
            correct_latex=r"\bar X = \bar S^{\top} W",
            check=lambda: _matmul_transposed(False),
            check_correct=lambda: _matmul_transposed(True),
        ),
        Slip(
            key="expand-rule",
            claim_id="E.q4.expand",
            report="E, Q4",
            claim=(
                "for Y = x repeated as 16 columns, E differentiates the identity: x's gradient "
                "is C's gradient, one copy's G_ij, with no sum over the copies (C's Q4, "
                "'S_grad [1,...1] = [S_1,..,S_16]', is a sum in one reading and a list of "
                "copies in the other; Part V runs both)"
            ),
            claim_latex=r"\bar x_i = G_{ij}",
            correct_latex=r"\bar x_i = \sum_j G_{ij}",
            check=lambda: _expand(False),
            check_correct=lambda: _expand(True),
        ),
        Slip(
            key="normalize-forward",
            claim_id="C.q8.normalize_formula",
            report="C, Q8",
            claim=(
                "the row normalisation is Y = (sum x) / Y, i.e. Y = sqrt(sum x) (C's code, "
                "x / sumd, is right; its formula is not)"
            ),
            claim_latex=r"Y_{ij} = \frac{\sum_k x_{ik}}{Y_{ij}}",
            correct_latex=r"Y_{ij} = \frac{x_{ij}}{\sum_k x_{ik}}",
            check=lambda: _normalize_forward(False),
            check_correct=lambda: _normalize_forward(True),
        ),
        Slip(
            key="depends-on-inputs",
            claim_id="D.q5.inputs",
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
            claim_id="D.q6b.logistic",
            report="D, Q6",
            claim="(1 - e^-x) / (1 + e^-x) is the logistic function",
            claim_latex=r"\sigma(x) = \frac{1 - e^{-x}}{1 + e^{-x}}",
            correct_latex=r"\frac{1 - e^{-x}}{1 + e^{-x}} = 2\sigma(x) - 1 = \tanh(x/2)",
            check=lambda: _logistic_label(False),
            check_correct=lambda: _logistic_label(True),
        ),
        Slip(
            key="lenet-c3",
            claim_id="D.q4.c3",
            report="D, Q4",
            claim=(
                "LeNet-5's C3 (6 -> 16 maps, 5x5) has a bias per input-output map pair, "
                "and the total is counted with it"
            ),
            claim_latex=r"16 \cdot 6\,(5^2 + 1)",
            correct_latex=r"16\,(6 \cdot 5^2 + 1)",
            check=lambda: _lenet_c3(False),
            check_correct=lambda: _lenet_c3(True),
        ),
    ]


#: The slips, built once at import (cheap: checks run only when called).
SLIPS: tuple[Slip, ...] = tuple(slips())
