"""Activations and report D's derivations (questions 1, 2, 5 and 6).

* Q1 :func:`linear_collapse`: with :math:`f(z) = a z + c`, a ``K``-layer net (``depth``) is
  one affine map, :math:`h_K = a^K W_K \\cdots W_1 x + b'`; :func:`linear_collapse_step`
  is the induction step that makes it true for every depth.
* Q2 :func:`report_d_q2`: the worked numeric backward pass,
  :math:`\\partial L/\\partial w_3 = 6.2158 \\times 10^{-4}`.
* Q5 :func:`sigmoid_unit_gradient`: :math:`\\partial g/\\partial x_i = w_i g (1 - g)`
  for :math:`g = \\sigma(w^T x + b)`.
* Q6 :func:`tanh_identities`: :math:`\\tanh x = 2\\sigma(2x) - 1` and
  :math:`\\tanh' x = 4 \\sigma'(2x)`; :func:`plot_tanh_sigmoid` draws both
  functions and their derivatives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy as sp

from backprop_book.symbolic.checker import Verdict, check_equal, check_gradient, matrix_symbols

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "LinearCollapse",
    "WorkedPass",
    "linear_collapse",
    "linear_collapse_jacobian",
    "linear_collapse_step",
    "plot_tanh_sigmoid",
    "report_d_q2",
    "report_d_q2_forward",
    "report_d_q2_full_inputs",
    "sigmoid",
    "sigmoid_unit_gradient",
    "tanh_identities",
]


def sigmoid(z: Any) -> sp.Expr:
    """The logistic function :math:`\\sigma(z) = 1 / (1 + e^{-z})`.

    >>> sigmoid(sp.Integer(0))
    1/2
    """
    return 1 / (1 + sp.exp(-z))


# ----------------------------------------------------------------------------- Q1


@dataclass(frozen=True)
class LinearCollapse:
    """An ``L``-layer net with linear activations, written as one affine map.

    Attributes
    ----------
    output
        :math:`h_K` as a matrix expression in ``x``, the ``W_l``, ``b_l``, ``a`` and ``c``.
    A
        The linear part :math:`a^L W_L \\cdots W_1`.
    b_eff
        The offset :math:`b'` (free of ``x``).
    """

    output: sp.MatrixExpr
    A: sp.MatrixExpr
    b_eff: sp.MatrixExpr

    def latex(self) -> str:
        """:math:`h_K = A x + b'` in LaTeX.

        >>> print(linear_collapse(2).latex())
        h_{2} = a^{2} W_{2} W_{1} x + b'
        """
        depth = len([w for w in self.A.atoms(sp.MatrixSymbol) if w.name.startswith("W_")])
        return f"h_{{{depth}}} = {sp.latex(self.A * sp.MatrixSymbol('x', self.A.shape[1], 1))} + b'"


def linear_collapse(depth: int) -> LinearCollapse:
    """Q1: with :math:`f(z) = a z + c`, :math:`h_K = a^K W_K \\cdots W_1 x + b'`, ``K = depth``.

    Layers :math:`s_l = W_l h_{l-1} + b_l`, :math:`h_l = a s_l + c \\mathbf 1`, with
    matrix symbols of symbolic sizes :math:`n_0, \\dots, n_K`.  The output is
    expanded, the terms containing ``x`` are collected into ``A x``, and the rest,
    free of ``x``, is :math:`b'`.

    Raises
    ------
    ValueError
        If the terms in ``x`` do not collapse to :math:`a^L W_L \\cdots W_1 x`.

    >>> lc = linear_collapse(2)
    >>> lc.A
    a**2*W_2*W_1
    >>> lc.b_eff.has(sp.MatrixSymbol("x", sp.Symbol("n_0", integer=True, positive=True), 1))
    False
    """
    if depth < 1:
        raise ValueError(f"expected a depth of at least 1, got {depth}")
    a, c = sp.symbols("a c")
    dims = [sp.Symbol(f"n_{l}", integer=True, positive=True) for l in range(depth + 1)]
    x = sp.MatrixSymbol("x", dims[0], 1)
    h: sp.MatrixExpr = x
    Ws = []
    for l in range(1, depth + 1):
        W = sp.MatrixSymbol(f"W_{l}", dims[l], dims[l - 1])
        b = sp.MatrixSymbol(f"b_{l}", dims[l], 1)
        Ws.append(W)
        h = a * (W * h + b) + c * sp.OneMatrix(dims[l], 1)
    expanded = h.expand()
    terms = expanded.args if isinstance(expanded, sp.MatAdd) else (expanded,)
    with_x = [t for t in terms if t.has(x)]
    rest = [t for t in terms if not t.has(x)]
    product = sp.MatMul(*reversed(Ws))
    expected = a**depth * product * x
    if len(with_x) != 1 or sp.simplify((with_x[0] - expected).expand()) not in (
        0,
        sp.ZeroMatrix(dims[-1], 1),
    ):
        raise ValueError(f"the terms in x did not collapse: {with_x}")
    return LinearCollapse(output=h, A=a**depth * product, b_eff=sp.MatAdd(*rest))


def linear_collapse_step() -> bool:
    """The induction step of Q1, for any depth.

    If :math:`h_{l-1} = A x + B`, then
    :math:`h_l = a(W_l h_{l-1} + b_l) + c\\mathbf 1
    = (a W_l A) x + (a W_l B + a b_l + c\\mathbf 1)`: an affine map again.
    Returns whether sympy confirms the identity (matrix symbols of symbolic sizes).

    >>> linear_collapse_step()
    True
    """
    a, c = sp.symbols("a c")
    n0, n1, n2 = sp.symbols("n_0 n_{l-1} n_l", integer=True, positive=True)
    x = sp.MatrixSymbol("x", n0, 1)
    A, B = sp.MatrixSymbol("A", n1, n0), sp.MatrixSymbol("B", n1, 1)
    W, b = sp.MatrixSymbol("W_l", n2, n1), sp.MatrixSymbol("b_l", n2, 1)
    one = sp.OneMatrix(n2, 1)
    h = a * (W * (A * x + B) + b) + c * one
    claim = (a * W * A) * x + (a * W * B + a * b + c * one)
    diff = (h - claim).expand()
    return bool(diff == sp.ZeroMatrix(n2, 1) or diff == 0)


def linear_collapse_jacobian(sizes: tuple[int, ...] = (2, 3, 2)) -> Verdict:
    """Q1 on concrete sizes: the Jacobian of :math:`h_K` with respect to ``x`` is the
    constant :math:`a^L W_L \\cdots W_1` (so the whole net is one linear map plus offset).

    >>> linear_collapse_jacobian().correct
    True
    """
    a, c = sp.symbols("a c")
    x = matrix_symbols("x", sizes[0], 1)
    h: sp.MatrixBase = x
    product = sp.eye(sizes[0])
    for l in range(1, len(sizes)):
        W = matrix_symbols(f"W{l}", sizes[l], sizes[l - 1])
        b = matrix_symbols(f"b{l}", sizes[l], 1)
        h = (W * h + b).applyfunc(lambda v: a * v + c)
        product = W * product
    depth = len(sizes) - 1
    return check_gradient(sp.ImmutableMatrix(h), x, sp.ImmutableMatrix(a**depth * product))


# ----------------------------------------------------------------------------- Q2


@dataclass(frozen=True)
class WorkedPass:
    """Report D's worked backward pass for :math:`\\partial L/\\partial w_3`.

    Attributes
    ----------
    formula
        The chain-rule product in ``yhat, w6, s_2, x3, y`` (with
        :math:`s_2 = \\sigma(z_2)`), checked against sympy's derivative of the
        whole network.
    factors
        Name -> numeric value of each chain-rule factor.
    value
        :math:`\\partial L/\\partial w_3` at the stated values.
    implied
        Quantities the report leaves implicit, with the values its numbers imply.

    >>> sorted(report_d_q2().factors)[:2]
    ['dL/dy_hat', 'ds2/dz2']
    """

    formula: sp.Expr
    factors: dict[str, float]
    value: float
    implied: dict[str, float]


def _q2_network() -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    names = "w1 w2 w3 w4 w5 w6 x1 x2 x3 x4 y"
    syms = dict(zip(names.split(), sp.symbols(names), strict=True))
    S = syms
    z1 = S["w1"] * S["x1"] + S["w2"] * S["x2"]
    z2 = S["w3"] * S["x3"] + S["w4"] * S["x4"]
    z3 = S["w5"] * sigmoid(z1) + S["w6"] * sigmoid(z2)
    loss = (S["y"] - sigmoid(z3)) ** 2
    return loss, syms


def report_d_q2(
    y_hat: float = 0.64545, z2: float = 1.432, w6: float = -0.2, x3: float = -0.3, y: float = 0.5
) -> WorkedPass:
    """Q2: :math:`L = (y - \\hat y)^2`, :math:`\\hat y = \\sigma(z_3)`,
    :math:`z_3 = w_5 s_1 + w_6 s_2`, :math:`s_i = \\sigma(z_i)`, :math:`z_2 = w_3 x_3 + w_4 x_4`.

    .. math:: \\frac{\\partial L}{\\partial w_3} = -2(y - \\hat y)\\,\\hat y(1-\\hat y)\\, w_6\\,
              \\sigma(z_2)(1 - \\sigma(z_2))\\, x_3

    The chain-rule product is checked against sympy's derivative of the whole
    network (at random points) before it is evaluated.  The report states
    :math:`\\hat y`, :math:`z_3`, :math:`z_2`, :math:`w_6`, :math:`x_3` and the target 0.5;
    everything else (``w1, w2, x1, x2``: through :math:`s_1`; ``w5``;
    ``w3, w4, x4``: through :math:`z_2`) is implicit and enters only through
    :math:`w_5 s_1 = z_3 - w_6 s_2` and :math:`w_3 x_3 + w_4 x_4 = z_2`,
    whose implied values are returned.

    >>> q2 = report_d_q2()
    >>> round(q2.value, 8)
    0.00062159
    >>> round(q2.implied["w5*s1"], 5)
    0.76054
    """
    loss, S = _q2_network()
    yh, Z2 = sp.symbols("yhat z_2")
    chain = -2 * (S["y"] - yh) * yh * (1 - yh) * S["w6"] * sigmoid(Z2) * (1 - sigmoid(Z2)) * S["x3"]
    # the chain-rule product, with y_hat and z2 written out, is sympy's derivative
    z2_expr = S["w3"] * S["x3"] + S["w4"] * S["x4"]
    z3_expr = S["w5"] * sigmoid(S["w1"] * S["x1"] + S["w2"] * S["x2"]) + S["w6"] * sigmoid(z2_expr)
    verdict = check_equal(
        sp.diff(loss, S["w3"]), chain.subs({yh: sigmoid(z3_expr), Z2: z2_expr}), simplify=False
    )
    if not verdict.correct:
        raise ValueError(f"the chain-rule product is not sympy's derivative: {verdict}")
    formula = chain.subs(sigmoid(Z2), sp.Symbol("s_2"))
    values = {yh: y_hat, Z2: z2, S["w6"]: w6, S["x3"]: x3, S["y"]: y}
    s2 = float(sigmoid(sp.Float(z2)))
    factors = {
        "dL/dy_hat": -2 * (y - y_hat),
        "dy_hat/dz3": y_hat * (1 - y_hat),
        "dz3/ds2": w6,
        "ds2/dz2": s2 * (1 - s2),
        "dz2/dw3": x3,
    }
    value = float(chain.subs(values))
    z3 = float(sp.log(y_hat / (1 - y_hat)))
    implied = {"z3 = logit(y_hat)": z3, "s2 = sigma(z2)": s2, "w5*s1": z3 - w6 * s2}
    return WorkedPass(formula=formula, factors=factors, value=value, implied=implied)


def report_d_q2_full_inputs(w3: float = 0.1, w4: float = 1.0, w5: float = 1.0) -> dict[str, float]:
    """One complete set of inputs consistent with report D's Q2 numbers.

    With ``w1 = w2 = 1`` and ``x1 = x2``, choose ``x4`` so that
    :math:`w_3 x_3 + w_4 x_4 = 1.432` and ``x1`` so that :math:`w_5 \\sigma(z_1) = 0.76054`.

    >>> v = report_d_q2_full_inputs()
    >>> round(v["x4"], 4)
    1.462
    """
    q2 = report_d_q2()
    x3, w6, z2 = -0.3, -0.2, 1.432
    x4 = (z2 - w3 * x3) / w4
    s1 = q2.implied["w5*s1"] / w5
    if not 0 < s1 < 1:
        raise ValueError(f"w5={w5} needs sigma(z1)={s1:.4f}, outside (0, 1)")
    z1 = float(sp.log(s1 / (1 - s1)))
    return {
        "w1": 1.0,
        "w2": 1.0,
        "x1": z1 / 2,
        "x2": z1 / 2,
        "w3": w3,
        "w4": w4,
        "x3": x3,
        "x4": x4,
        "w5": w5,
        "w6": w6,
        "y": 0.5,
    }


def report_d_q2_forward(values: dict[str, float]) -> tuple[float, float]:
    """Run report D's Q2 network forward and differentiate it with sympy.

    Returns :math:`(\\hat y, \\partial L / \\partial w_3)` at ``values`` (names
    ``w1..w6, x1..x4, y``).

    >>> y_hat, grad = report_d_q2_forward(report_d_q2_full_inputs())
    >>> round(y_hat, 5), round(grad * 1e4, 4)
    (0.64545, 6.2159)
    """
    loss, S = _q2_network()
    sub = {S[k]: v for k, v in values.items()}
    z1 = S["w1"] * S["x1"] + S["w2"] * S["x2"]
    z2 = S["w3"] * S["x3"] + S["w4"] * S["x4"]
    y_hat = sigmoid(S["w5"] * sigmoid(z1) + S["w6"] * sigmoid(z2))
    return float(y_hat.subs(sub)), float(sp.diff(loss, S["w3"]).subs(sub))


# ----------------------------------------------------------------------------- Q5, Q6


def sigmoid_unit_gradient(n: int = 3) -> tuple[sp.ImmutableMatrix, Verdict]:
    """Q5: for :math:`g = \\sigma(w^T x + b)`, :math:`\\partial g / \\partial x_i = w_i g (1 - g)`.

    Returns the claimed gradient written with the symbol ``g`` and the verdict on
    it (with :math:`g` replaced by :math:`\\sigma(w^T x + b)`).

    >>> grad, verdict = sigmoid_unit_gradient(2)
    >>> grad.T, verdict.correct
    (Matrix([[g*w_00*(1 - g), g*w_10*(1 - g)]]), True)
    """
    w, x = matrix_symbols("w", n, 1), matrix_symbols("x", n, 1)
    b = sp.Symbol("b", real=True)
    g_sym = sp.Symbol("g", real=True)
    g = sigmoid((w.T * x)[0, 0] + b)
    claim = sp.ImmutableMatrix(w * g_sym * (1 - g_sym))
    return claim, check_gradient(g, x, claim.subs(g_sym, g))


def tanh_identities() -> dict[str, Verdict]:
    """Q6: :math:`\\tanh x = 2\\sigma(2x) - 1` and :math:`\\tanh' x = 4\\sigma'(2x)`,
    with :math:`\\sigma'(u) = \\sigma(u)(1 - \\sigma(u))`; also
    :math:`(1 - e^{-x})/(1 + e^{-x}) = \\tanh(x/2) = 2\\sigma(x) - 1`.

    >>> [v.correct for v in tanh_identities().values()]
    [True, True, True]
    """
    x = sp.Symbol("x", real=True)
    sig2 = sigmoid(2 * x)
    ratio = (1 - sp.exp(-x)) / (1 + sp.exp(-x))
    return {
        "tanh = 2 sigma(2x) - 1": check_equal(sp.tanh(x), 2 * sig2 - 1),
        "tanh' = 4 sigma'(2x)": check_gradient(sp.tanh(x), x, 4 * sig2 * (1 - sig2)),
        "(1-e^-x)/(1+e^-x) = tanh(x/2)": check_equal(sp.tanh(x / 2), ratio),
    }


def plot_tanh_sigmoid(ax: Axes | None = None, x_range: tuple[float, float] = (-5.0, 5.0)) -> Figure:
    """Plot :math:`\\sigma`, :math:`\\tanh` and their derivatives (sympy's, lambdified).

    Returns the figure; the derivatives are :func:`sympy.diff` of the same
    expressions, so the curves are the checked formulas.

    >>> fig = plot_tanh_sigmoid()
    >>> len(fig.axes[0].get_legend().get_texts())
    4
    """
    import matplotlib.pyplot as plt
    import numpy as np

    x = sp.Symbol("x", real=True)
    curves = {
        r"$\sigma(x)$": sigmoid(x),
        r"$\tanh(x)$": sp.tanh(x),
    }
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
    else:
        fig = ax.figure  # type: ignore[assignment]
    grid = np.linspace(*x_range, 401)
    for (label, expr), color in zip(curves.items(), ("tab:blue", "tab:orange"), strict=True):
        f = sp.lambdify(x, expr, "numpy")
        df = sp.lambdify(x, sp.diff(expr, x), "numpy")
        ax.plot(grid, f(grid), color=color, label=label)
        dlabel = label.replace("(x)", "'(x)")
        ax.plot(grid, df(grid), color=color, linestyle="--", label=dlabel)
    ax.axhline(0, color="0.7", linewidth=0.8)
    ax.axvline(0, color="0.7", linewidth=0.8)
    ax.set_xlabel("x")
    ax.legend(loc="upper left", fontsize="small")
    ax.set_title(r"$\tanh(x) = 2\sigma(2x) - 1$; slopes at 0: $\sigma'(0)=1/4$, $\tanh'(0)=1$")
    return fig  # type: ignore[return-value]
