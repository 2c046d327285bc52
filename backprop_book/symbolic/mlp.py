"""Backpropagation through an MLP (report A) and the two-layer net (report B).

Report A's network of :math:`K` layers, for :math:`l = 1, \\dots, K`,

.. math:: s_l = W_l h_{l-1} + b_l, \\qquad h_l = f_l(s_l), \\qquad h_0 = x,

with column vectors, scores :math:`h_K` fed to a softmax and the loss
:math:`L = -\\log p(y \\mid x)`.  Writing :math:`\\bar h_l = \\partial L / \\partial h_l`
and :math:`F'_l = \\operatorname{diag}(f'_l(s_l))`, the chain rule gives

.. math::

   \\bar h_{l-1}^T = \\bar h_l^T F'_l W_l, \\qquad
   \\frac{\\partial L}{\\partial W_l} = F'_l \\bar h_l h_{l-1}^T, \\qquad
   \\frac{\\partial L}{\\partial b_l} = F'_l \\bar h_l .

:func:`mlp_backward_formulas` returns these (component and matrix form) as sympy
objects; :func:`verify_mlp_backward` builds a concrete small network with symbolic
parameters, applies the matrix formulas, and checks every gradient against
sympy's own differentiation of the loss.

Report B's net uses rows for examples (``X`` is ``N x D``):
``z2 = X W1 + b1``, ``a2 = relu(z2)``, ``z3 = a2 W2 + b2``, loss
:math:`J = -\\frac1N \\sum_n \\log \\operatorname{softmax}(z_3)_{n, y_n}
+ \\lambda (\\|W_1\\|^2 + \\|W_2\\|^2)`;
:func:`two_layer_gradients` gives its four parameter gradients.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from backprop_book.symbolic.activations import sigmoid
from backprop_book.symbolic.checker import Verdict, check_equal, check_gradient, matrix_symbols

__all__ = [
    "ACTIVATIONS",
    "MLPBackwardFormulas",
    "ReLU",
    "cross_entropy",
    "mean_cross_entropy",
    "mlp_backward",
    "mlp_backward_formulas",
    "mlp_forward",
    "one_hot",
    "relu",
    "sgd_first_order_decrease",
    "sgd_update",
    "softmax",
    "softmax_ce_gradient",
    "two_layer_gradients",
    "two_layer_loss",
    "verify_mlp_backward",
    "verify_softmax_ce",
    "verify_two_layer",
]


class ReLU(sp.Function):
    """The rectifier :math:`\\operatorname{ReLU}(z) = \\max(0, z)` as a sympy function.

    Its derivative is the Heaviside step :math:`H(z)`.  Unlike :class:`sympy.Max`
    it does not try to simplify its (large) argument when built, which keeps
    symbolic networks fast; numbers evaluate at once, and ``lambdify`` evaluates it
    with ``max(0, z)``.

    >>> z = sp.Symbol("z", real=True)
    >>> ReLU(sp.Integer(-2)), ReLU(sp.Integer(3)), sp.diff(ReLU(z), z)
    (0, 3, Heaviside(z))
    """

    nargs = 1
    _imp_ = staticmethod(lambda z: max(0, z))

    @classmethod
    def eval(cls, z: sp.Expr) -> sp.Expr | None:  # type: ignore[override]
        if z.is_number:
            return sp.Max(0, z)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Heaviside(self.args[0])

    def _eval_rewrite_as_Max(self, z: sp.Expr, **kwargs: Any) -> sp.Expr:
        return sp.Max(0, z)

    def _latex(self, printer: Any) -> str:
        return rf"\\operatorname{{ReLU}}\\left({printer._print(self.args[0])}\\right)"


def relu(z: sp.Expr) -> sp.Expr:
    """ReLU :math:`\\max(0, z)` (a :class:`ReLU`); sympy differentiates it to :math:`H(z)`.

    >>> relu(sp.Integer(-2)), relu(sp.Integer(3))
    (0, 3)
    """
    return ReLU(z)


#: Activations by name, as functions of one sympy expression.
ACTIVATIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "identity": lambda z: z,
    "tanh": sp.tanh,
    "sigmoid": sigmoid,
    "relu": relu,
}


def _activation(f: str | Callable[[sp.Expr], sp.Expr]) -> Callable[[sp.Expr], sp.Expr]:
    if callable(f):
        return f
    if f not in ACTIVATIONS:
        raise ValueError(f"expected an activation among {sorted(ACTIVATIONS)}, got {f!r}")
    return ACTIVATIONS[f]


# ----------------------------------------------------------------------------- the formulas


class _LayerEntry(sp.Indexed):
    """An entry of a layer's array, printed as the prose writes it: ``s_{l,i}``, ``W_{l,ij}``.

    sympy prints ``IndexedBase("s_l")[i]`` as ``{s_{l}}_{i}``, a subscript on a
    subscript; the book writes the layer and the unit side by side, :math:`s_{l,i}`.
    The base's ``_bb_tex`` is a format string with one ``{}`` for the indices.
    """

    def _latex(self, printer: Any) -> str:
        indices = "".join(printer._print(i) for i in self.indices)
        return self.base._bb_tex.format(indices)  # type: ignore[attr-defined, no-any-return]


class _LayerArray(sp.IndexedBase):
    """An :class:`sympy.IndexedBase` whose entries are :class:`_LayerEntry` objects."""

    _bb_tex: str

    def __new__(cls, name: str, tex: str) -> _LayerArray:
        obj = super().__new__(cls, name)
        obj._bb_tex = tex
        return obj  # type: ignore[no-any-return]

    def __getitem__(self, indices: Any, **kw_args: Any) -> sp.Indexed:
        if not isinstance(indices, tuple):
            indices = (indices,)
        return _LayerEntry(self, *indices)


class _FPrime(sp.Function):
    """:math:`f_l'`, the derivative of layer ``l``'s activation, printed as the prose writes it."""

    nargs = 1

    def _latex(self, printer: Any, exp: Any = None) -> str:
        return rf"f_l'\left({printer._print(self.args[0])}\right)"


@dataclass(frozen=True)
class MLPBackwardFormulas:
    """Report A's backward pass for layer ``l``, in components and in matrix form.

    Component entries use indices ``i`` (unit of layer ``l``) and ``j`` (unit of
    layer ``l - 1``); ``hbar`` is :math:`\\bar h = \\partial L / \\partial h`.
    Matrix entries are :class:`sympy.MatrixSymbol` expressions with
    ``Fp`` standing for :math:`F'_l = \\operatorname{diag}(f'_l(s_l))`.
    """

    component: dict[str, sp.Eq]
    matrix: dict[str, sp.Eq]

    def latex(self) -> dict[str, str]:
        """LaTeX of every formula, keyed ``"component:<name>"`` / ``"matrix:<name>"``.

        >>> sorted(mlp_backward_formulas().latex())[:2]
        ['component:W', 'component:b']
        """
        out = {f"component:{k}": sp.latex(v) for k, v in self.component.items()}
        out.update({f"matrix:{k}": sp.latex(v) for k, v in self.matrix.items()})
        return out


def mlp_backward_formulas() -> MLPBackwardFormulas:
    """The layer-``l`` backward formulas of report A as sympy equations.

    .. math::
       \\bar h_{l-1,j} = \\sum_i \\bar h_{l,i} f'_l(s_{l,i}) W_{l,ij}, \\quad
       \\frac{\\partial L}{\\partial W_{l,ij}} = f'_l(s_{l,i}) \\bar h_{l,i} h_{l-1,j}, \\quad
       \\frac{\\partial L}{\\partial b_{l,i}} = f'_l(s_{l,i}) \\bar h_{l,i}

    >>> f = mlp_backward_formulas()
    >>> sorted(f.component), sorted(f.matrix)
    (['W', 'b', 'h_prev'], ['W', 'b', 'h_prev'])
    """
    i, j = sp.symbols("i j", integer=True)
    n_l, n_prev = sp.symbols("n_l n_{l-1}", integer=True, positive=True)
    W = _LayerArray("W_l", "W_{{l,{}}}")
    s = _LayerArray("s_l", "s_{{l,{}}}")
    hbar = _LayerArray(r"\bar{h}_l", r"\bar h_{{l,{}}}")
    hbar_prev = _LayerArray(r"\bar{h}_{l-1}", r"\bar h_{{l-1,{}}}")
    h_prev = _LayerArray("h_{l-1}", "h_{{l-1,{}}}")
    fprime = _FPrime
    dW = _LayerArray("dL/dW_l", r"\frac{{\partial L}}{{\partial W_{{l,{}}}}}")
    db = _LayerArray("dL/db_l", r"\frac{{\partial L}}{{\partial b_{{l,{}}}}}")
    component = {
        "h_prev": sp.Eq(
            hbar_prev[j], sp.Sum(hbar[i] * fprime(s[i]) * W[i, j], (i, 1, n_l)), evaluate=False
        ),
        "W": sp.Eq(dW[i, j], fprime(s[i]) * hbar[i] * h_prev[j], evaluate=False),
        "b": sp.Eq(db[i], fprime(s[i]) * hbar[i], evaluate=False),
    }
    Wm = sp.MatrixSymbol("W_l", n_l, n_prev)
    Fp = sp.MatrixSymbol("F'_l", n_l, n_l)
    hbar_m = sp.MatrixSymbol(r"\bar{h}_l", n_l, 1)
    hbar_prev_m = sp.MatrixSymbol(r"\bar{h}_{l-1}", n_prev, 1)
    h_prev_m = sp.MatrixSymbol("h_{l-1}", n_prev, 1)
    dW_m = sp.MatrixSymbol(r"\frac{\partial L}{\partial W_l}", n_l, n_prev)
    db_m = sp.MatrixSymbol(r"\frac{\partial L}{\partial b_l}", n_l, 1)
    matrix = {
        "h_prev": sp.Eq(hbar_prev_m.T, hbar_m.T * Fp * Wm, evaluate=False),
        "W": sp.Eq(dW_m, Fp * hbar_m * h_prev_m.T, evaluate=False),
        "b": sp.Eq(db_m, Fp * hbar_m, evaluate=False),
    }
    return MLPBackwardFormulas(component, matrix)


# ----------------------------------------------------------------------------- softmax and CE


def softmax(z: sp.MatrixBase) -> sp.ImmutableMatrix:
    """Softmax of a column (or row) vector: :math:`p_k = e^{z_k} / \\sum_c e^{z_c}`.

    >>> softmax(sp.Matrix([0, 0]))
    Matrix([
    [1/2],
    [1/2]])
    """
    e = [sp.exp(v) for v in z]
    total = sp.Add(*e)
    return sp.ImmutableMatrix(z.rows, z.cols, [v / total for v in e])


def one_hot(y: int, n: int, *, column: bool = True) -> sp.ImmutableMatrix:
    """The one-hot vector :math:`\\Delta_k = [k = y]` of length ``n``.

    >>> one_hot(1, 3).T
    Matrix([[0, 1, 0]])
    """
    if not 0 <= y < n:
        raise ValueError(f"expected a label in 0..{n - 1}, got {y}")
    rows = [1 if k == y else 0 for k in range(n)]
    return sp.ImmutableMatrix(n, 1, rows) if column else sp.ImmutableMatrix(1, n, rows)


def cross_entropy(z: sp.MatrixBase, y: int) -> sp.Expr:
    """Softmax cross-entropy of scores ``z`` for label ``y``: :math:`-\\log p_y`.

    Written as :math:`\\log \\sum_c e^{z_c} - z_y`.

    >>> cross_entropy(sp.Matrix([0, 0]), 0)
    log(2)
    """
    if y < 0 or y >= len(z):
        raise ValueError(f"expected a label in 0..{len(z) - 1}, got {y}")
    return sp.log(sp.Add(*[sp.exp(v) for v in z])) - z[y]


def softmax_ce_gradient(z: sp.MatrixBase, y: int) -> sp.ImmutableMatrix:
    """The gradient of :func:`cross_entropy`: :math:`\\partial L/\\partial z = p - \\Delta`.

    >>> softmax_ce_gradient(sp.Matrix([0, 0]), 1)
    Matrix([
    [ 1/2],
    [-1/2]])
    """
    return sp.ImmutableMatrix(softmax(z) - one_hot(y, len(z), column=z.cols == 1))


def mean_cross_entropy(Z: sp.MatrixBase, y: Sequence[int]) -> sp.Expr:
    """Mean softmax cross-entropy over the rows of ``Z`` (``N x C``):
    :math:`J = -\\frac1N \\sum_n \\log \\operatorname{softmax}(Z_n)_{y_n}`.

    >>> mean_cross_entropy(sp.zeros(2, 2), [0, 1])
    log(2)
    """
    if len(y) != Z.rows:
        raise ValueError(f"expected {Z.rows} labels (one per row of Z), got {len(y)}")
    return sp.Add(*[cross_entropy(Z[r, :], int(y[r])) for r in range(Z.rows)]) / Z.rows


def verify_softmax_ce(n_classes: int = 3, y: int = 0, *, batch: int | None = None) -> Verdict:
    """Check :math:`\\partial L/\\partial z = p - \\Delta` (one example) or, with ``batch=N``,
    report B's :math:`\\partial J/\\partial Z = (\\operatorname{softmax}(Z) - \\Delta)/N`.

    >>> verify_softmax_ce().correct
    True
    >>> verify_softmax_ce(2, batch=2).correct
    True
    """
    if batch is None:
        z = matrix_symbols("z", n_classes, 1)
        return check_gradient(cross_entropy(z, y), z, softmax_ce_gradient(z, y))
    Z = matrix_symbols("z", batch, n_classes)
    labels = [(y + r) % n_classes for r in range(batch)]
    P = sp.ImmutableMatrix.vstack(*[softmax(Z[r, :]) for r in range(batch)])
    Delta = sp.ImmutableMatrix.vstack(*[one_hot(c, n_classes, column=False) for c in labels])
    return check_gradient(mean_cross_entropy(Z, labels), Z, (P - Delta) / batch)


# ----------------------------------------------------------------------------- report A, concrete


def mlp_forward(
    x: sp.MatrixBase,
    Ws: Sequence[sp.MatrixBase],
    bs: Sequence[sp.MatrixBase],
    activations: Sequence[str | Callable[[sp.Expr], sp.Expr]],
) -> tuple[list[sp.ImmutableMatrix], list[sp.ImmutableMatrix]]:
    """Forward pass :math:`s_l = W_l h_{l-1} + b_l`, :math:`h_l = f_l(s_l)`.

    Returns the lists ``hs = [h_0, ..., h_K]`` and ``ss = [s_1, ..., s_K]``.

    >>> x, W, b = sp.Matrix([1, 2]), sp.Matrix([[1, 1]]), sp.Matrix([1])
    >>> hs, ss = mlp_forward(x, [W], [b], ["identity"])
    >>> hs[-1]
    Matrix([[4]])
    """
    if not (len(Ws) == len(bs) == len(activations)):
        raise ValueError(
            f"expected as many weights, biases and activations, got {len(Ws)}, {len(bs)}, "
            f"{len(activations)}"
        )
    h = sp.ImmutableMatrix(x)
    hs, ss = [h], []
    for layer, (W, b, f) in enumerate(zip(Ws, bs, activations, strict=True), start=1):
        if W.cols != h.rows or b.shape != (W.rows, 1):
            raise ValueError(
                f"layer {layer}: expected W_{layer} with {h.rows} columns and b_{layer} of shape "
                f"({W.rows}, 1), got W {W.shape} and b {b.shape}"
            )
        s = sp.ImmutableMatrix(W * h + b)
        fn = _activation(f)
        h = s.applyfunc(fn)
        ss.append(s)
        hs.append(h)
    return hs, ss


def mlp_backward(
    hs: Sequence[sp.MatrixBase],
    ss: Sequence[sp.MatrixBase],
    Ws: Sequence[sp.MatrixBase],
    activations: Sequence[str | Callable[[sp.Expr], sp.Expr]],
    hbar_L: sp.MatrixBase,
) -> tuple[list[sp.ImmutableMatrix], list[sp.ImmutableMatrix], list[sp.ImmutableMatrix]]:
    """Report A's matrix-form backward pass, from :math:`\\bar h_K = \\partial L/\\partial h_K`.

    For :math:`l = L, \\dots, 1`: :math:`F'_l = \\operatorname{diag}(f'_l(s_l))`,
    :math:`\\partial L/\\partial W_l = F'_l \\bar h_l h_{l-1}^T`,
    :math:`\\partial L/\\partial b_l = F'_l \\bar h_l`,
    :math:`\\bar h_{l-1} = (\\bar h_l^T F'_l W_l)^T`.

    Returns ``(dWs, dbs, hbars)`` with ``hbars = [hbar_0, ..., hbar_L]``.

    >>> x, W, b = sp.Matrix([2]), sp.Matrix([[3]]), sp.Matrix([0])
    >>> hs, ss = mlp_forward(x, [W], [b], ["identity"])
    >>> dWs, dbs, hbars = mlp_backward(hs, ss, [W], ["identity"], sp.Matrix([1]))
    >>> dWs[0], hbars[0]
    (Matrix([[2]]), Matrix([[3]]))
    """
    u = sp.Symbol("u")
    hbar = sp.ImmutableMatrix(hbar_L)
    hbars = [hbar]
    dWs: list[sp.ImmutableMatrix] = []
    dbs: list[sp.ImmutableMatrix] = []
    for layer in range(len(Ws), 0, -1):
        fprime = sp.Lambda(u, sp.diff(_activation(activations[layer - 1])(u), u))
        s = ss[layer - 1]
        Fp = sp.diag(*[fprime(v) for v in s])
        dWs.insert(0, sp.ImmutableMatrix(Fp * hbar * hs[layer - 1].T))
        dbs.insert(0, sp.ImmutableMatrix(Fp * hbar))
        hbar = sp.ImmutableMatrix((hbar.T * Fp * Ws[layer - 1]).T)
        hbars.insert(0, hbar)
    return dWs, dbs, hbars


def verify_mlp_backward(
    sizes: Sequence[int] = (3, 2, 2),
    activations: Sequence[str] = ("tanh", "identity"),
    y: int = 0,
    *,
    rng: np.random.Generator | int | None = 0,
    n_points: int = 2,
) -> dict[str, Verdict]:
    """Check report A's formulas against sympy's differentiation on a concrete net.

    The net has layer sizes ``sizes = (n_0, ..., n_K)``, symbolic input ``x`` and
    parameters ``W_l``, ``b_l``, softmax cross-entropy of :math:`h_K` with label ``y``
    on top, and :math:`\\bar h_K = p - \\Delta`.  Each ``dL/dW_l``, ``dL/db_l`` from
    :func:`mlp_backward` and :math:`\\bar h_0` (the input gradient) is checked with
    :func:`~backprop_book.symbolic.checker.check_gradient` at random values.

    >>> v = verify_mlp_backward((2, 2), ("identity",))
    >>> sorted(v), all(v.values())
    (['W1', 'b1', 'x'], True)
    """
    if len(sizes) != len(activations) + 1:
        raise ValueError(
            f"expected one activation per layer ({len(sizes) - 1}), got {len(activations)}"
        )
    x = matrix_symbols("x", sizes[0], 1)
    Ws = [matrix_symbols(f"W{l}", sizes[l], sizes[l - 1]) for l in range(1, len(sizes))]
    bs = [matrix_symbols(f"b{l}", sizes[l], 1) for l in range(1, len(sizes))]
    hs, ss = mlp_forward(x, Ws, bs, activations)
    loss = cross_entropy(hs[-1], y)
    dWs, dbs, hbars = mlp_backward(hs, ss, Ws, activations, softmax_ce_gradient(hs[-1], y))
    gen = np.random.default_rng(rng)
    out: dict[str, Verdict] = {}
    kw: dict[str, Any] = {"rng": gen, "n_points": n_points, "simplify": False}
    for l, (W, b, dW, db) in enumerate(zip(Ws, bs, dWs, dbs, strict=True), start=1):
        out[f"W{l}"] = check_gradient(loss, W, dW, **kw)
        out[f"b{l}"] = check_gradient(loss, b, db, **kw)
    out["x"] = check_gradient(loss, x, hbars[0], **kw)
    return out


# ----------------------------------------------------------------------------- SGD


def sgd_update(theta: Any, grad: Any, eta: Any) -> Any:
    """One SGD step :math:`\\theta_{t+1} = \\theta_t - \\eta_t L_i'(\\theta_t)`.

    >>> t, g, eta = sp.symbols("theta g eta")
    >>> sgd_update(t, g, eta)
    -eta*g + theta
    """
    return theta - eta * grad


def sgd_first_order_decrease(sizes: tuple[int, int] = (2, 2), y: int = 0) -> Verdict:
    """Check that an SGD step lowers the loss to first order:
    :math:`\\frac{d}{d\\eta} L(\\theta - \\eta \\nabla L)\\big|_{\\eta=0} = -\\|\\nabla L\\|^2`.

    Done on a one-layer softmax classifier with symbolic ``W``, ``b`` and ``x``.

    >>> sgd_first_order_decrease().correct
    True
    """
    eta = sp.Symbol("eta")
    x = matrix_symbols("x", sizes[0], 1)
    W = matrix_symbols("W", sizes[1], sizes[0])
    b = matrix_symbols("b", sizes[1], 1)
    loss = cross_entropy(W * x + b, y)
    gW = sp.ImmutableMatrix(W.rows, W.cols, lambda r, c: sp.diff(loss, W[r, c]))
    gb = sp.ImmutableMatrix(b.rows, 1, lambda r, c: sp.diff(loss, b[r, c]))
    W1, b1 = sgd_update(W, gW, eta), sgd_update(b, gb, eta)
    stepped = cross_entropy(W1 * x + b1, y)
    slope = sp.diff(stepped, eta).subs(eta, 0)
    norm2 = sum(v**2 for v in gW) + sum(v**2 for v in gb)
    return check_equal(slope, -norm2, simplify=False)


# ----------------------------------------------------------------------------- report B


def two_layer_loss(
    X: sp.MatrixBase,
    y: Sequence[int],
    W1: sp.MatrixBase,
    b1: sp.MatrixBase,
    W2: sp.MatrixBase,
    b2: sp.MatrixBase,
    lam: sp.Expr,
) -> tuple[sp.Expr, dict[str, sp.ImmutableMatrix]]:
    """Report B's loss and forward intermediates.

    .. math::
       z_2 = X W_1 + b_1,\\; a_2 = \\max(0, z_2),\\; z_3 = a_2 W_2 + b_2,\\;
       J = -\\tfrac1N \\textstyle\\sum_n \\log \\operatorname{softmax}(z_3)_{n,y_n}
           + \\lambda(\\|W_1\\|^2 + \\|W_2\\|^2)

    Returns ``(J, {"z2": ..., "a2": ..., "z3": ...})``.

    >>> J, mid = two_layer_loss(sp.zeros(1, 1), [0], sp.zeros(1, 1), sp.zeros(1, 1),
    ...                         sp.zeros(1, 2), sp.zeros(1, 2), 0)
    >>> J
    log(2)
    """
    N = X.rows
    if (
        W1.rows != X.cols
        or b1.shape != (1, W1.cols)
        or W2.rows != W1.cols
        or b2.shape != (1, W2.cols)
    ):
        raise ValueError(
            f"expected W1 ({X.cols}, H), b1 (1, H), W2 (H, C), b2 (1, C); got W1 {W1.shape}, "
            f"b1 {b1.shape}, W2 {W2.shape}, b2 {b2.shape}"
        )
    ones = sp.ones(N, 1)
    z2 = sp.ImmutableMatrix(X * W1 + ones * b1)
    a2 = z2.applyfunc(relu)
    z3 = sp.ImmutableMatrix(a2 * W2 + ones * b2)
    reg = lam * (sum(v**2 for v in W1) + sum(v**2 for v in W2))
    return mean_cross_entropy(z3, y) + reg, {"z2": z2, "a2": a2, "z3": z3}


def two_layer_gradients(
    X: sp.MatrixBase,
    y: Sequence[int],
    W1: sp.MatrixBase,
    W2: sp.MatrixBase,
    lam: sp.Expr,
    mid: dict[str, sp.ImmutableMatrix],
) -> dict[str, sp.ImmutableMatrix]:
    """Report B's gradients, in the report's form.

    .. math::
       \\frac{\\partial J}{\\partial z_3} = \\frac{\\operatorname{softmax}(z_3) - \\Delta}{N},\\;
       \\frac{\\partial J}{\\partial W_2} = a_2^T \\frac{\\partial J}{\\partial z_3}
           + 2\\lambda W_2,\\;
       \\frac{\\partial J}{\\partial b_2} = \\mathbf 1^T \\frac{\\partial J}{\\partial z_3},

       \\frac{\\partial J}{\\partial z_2} = \\Big(\\frac{\\partial J}{\\partial z_3} W_2^T\\Big)
           \\circ [z_2 > 0],\\;
       \\frac{\\partial J}{\\partial W_1} = X^T \\frac{\\partial J}{\\partial z_2}
           + 2\\lambda W_1,\\;
       \\frac{\\partial J}{\\partial b_1} = \\mathbf 1^T \\frac{\\partial J}{\\partial z_2}

    >>> X = sp.Matrix([[1]]); W1 = sp.Matrix([[1]]); W2 = sp.Matrix([[0, 0]])
    >>> _, mid = two_layer_loss(X, [0], W1, sp.zeros(1, 1), W2, sp.zeros(1, 2), 0)
    >>> two_layer_gradients(X, [0], W1, W2, 0, mid)["b2"]
    Matrix([[-1/2, 1/2]])
    """
    N, C = X.rows, W2.cols
    z3, a2, z2 = mid["z3"], mid["a2"], mid["z2"]
    P = sp.ImmutableMatrix.vstack(*[softmax(z3[r, :]) for r in range(N)])
    Delta = sp.ImmutableMatrix.vstack(*[one_hot(int(c), C, column=False) for c in y])
    dz3 = (P - Delta) / N
    ones = sp.ones(1, N)
    mask = z2.applyfunc(sp.Heaviside)
    dz2 = (dz3 * W2.T).multiply_elementwise(mask)
    return {
        "z3": sp.ImmutableMatrix(dz3),
        "W2": sp.ImmutableMatrix(a2.T * dz3 + 2 * lam * W2),
        "b2": sp.ImmutableMatrix(ones * dz3),
        "W1": sp.ImmutableMatrix(X.T * dz2 + 2 * lam * W1),
        "b1": sp.ImmutableMatrix(ones * dz2),
    }


def verify_two_layer(
    N: int = 2,
    D: int = 2,
    H: int = 2,
    C: int = 2,
    *,
    rng: np.random.Generator | int | None = 0,
    n_points: int = 2,
) -> dict[str, Verdict]:
    """Check report B's four parameter gradients (with the :math:`2\\lambda W` terms).

    All of ``X``, ``W1``, ``b1``, ``W2``, ``b2`` and :math:`\\lambda` are symbols;
    labels are ``y_n = n mod C``.

    >>> all(verify_two_layer(1, 1, 2, 2).values())
    True
    """
    X = matrix_symbols("X", N, D)
    W1, b1 = matrix_symbols("W1", D, H), matrix_symbols("b1", 1, H)
    W2, b2 = matrix_symbols("W2", H, C), matrix_symbols("b2", 1, C)
    lam = sp.Symbol("lambda", positive=True)
    y = [n % C for n in range(N)]
    J, mid = two_layer_loss(X, y, W1, b1, W2, b2, lam)
    grads = two_layer_gradients(X, y, W1, W2, lam, mid)
    gen = np.random.default_rng(rng)
    kw: dict[str, Any] = {"rng": gen, "n_points": n_points, "simplify": False}
    return {
        name: check_gradient(J, param, grads[name], **kw)
        for name, param in (("W2", W2), ("b2", b2), ("W1", W1), ("b1", b1))
    }
