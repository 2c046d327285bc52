"""Backward rules of the autograd ops (reports C and E, questions 1-4 and 8).

Each rule is a :class:`BackwardRule`: the op's output and the gradient of each
input written *in components* with :class:`sympy.Indexed` symbols (``X[i, j]``,
``G[i, j]`` for the upstream gradient, sums over a dummy index ``k``).  The same
objects are rendered in the book (:meth:`BackwardRule.latex`) and instantiated on
concrete small sizes (:func:`instantiate`) to be verified by
:func:`~backprop_book.symbolic.checker.check_backward_rule`.

Index and size symbols: rows ``i`` (``m`` of them), columns ``j`` (``n``), a dummy
``k``; the matrix product's inner size is ``n`` and its output has ``p`` columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from backprop_book.symbolic.checker import (
    Verdict,
    check_backward_rule,
    matrix_symbols,
    upstream_like,
)

__all__ = [
    "RULES",
    "BackwardRule",
    "divide_rule",
    "elementwise_rule",
    "expand_rule",
    "instantiate",
    "matmul_matrix_form",
    "matmul_rule",
    "normalize_rule",
    "sum_rule",
]

i, j, k = sp.symbols("i j k", integer=True)
m, n, p = sp.symbols("m n p", integer=True, positive=True)
X, Y, W, G, x = (sp.IndexedBase(name) for name in ("X", "Y", "W", "G", "x"))
s = sp.IndexedBase("s")
#: The upstream gradient of an op with a scalar output (the sum).
G_scalar = sp.Symbol("G")


def instantiate(
    component: sp.Expr,
    shape: tuple[int, ...],
    arrays: Mapping[sp.IndexedBase, sp.MatrixBase],
    sizes: Mapping[sp.Symbol, int],
    definitions: Mapping[sp.Basic, sp.Expr] | None = None,
) -> Any:
    """Turn a component formula into an explicit matrix (or scalar) on concrete sizes.

    Entry :math:`(a, b)` is ``component`` with :math:`i = a, j = b`, the sizes
    substituted, sums expanded, and every ``A[r, c]`` replaced by entry ``(r, c)``
    of ``arrays[A]``; ``definitions`` (e.g. the row sums :math:`s_i`) are substituted
    first.

    >>> A = matrix_symbols("A", 2, 2)
    >>> instantiate(sp.Sum(X[i, k], (k, 0, n - 1)), (2, 1), {X: A}, {n: 2})
    Matrix([
    [A_00 + A_01],
    [A_10 + A_11]])
    """
    expr = component
    for _ in range(2):  # definitions may refer to one another once
        if definitions:
            expr = expr.subs(dict(definitions))

    def entry(a: int | None, b: int | None) -> sp.Expr:
        reps: dict[sp.Basic, Any] = dict(sizes)
        if a is not None:
            reps[i] = a
        if b is not None:
            reps[j] = b
        e = expr.subs(reps).doit()
        e = e.replace(
            lambda t: isinstance(t, sp.Indexed),
            lambda t: _lookup(arrays, t),
        )
        return e.doit()

    if len(shape) != 2:
        return entry(None, None)
    rows, cols = shape[0], shape[1]
    return sp.ImmutableMatrix(rows, cols, lambda a, b: entry(a, b))


def _lookup(arrays: Mapping[sp.IndexedBase, sp.MatrixBase], t: sp.Indexed) -> sp.Expr:
    if t.base not in arrays:
        raise ValueError(f"no explicit matrix given for {t.base}; got {sorted(map(str, arrays))}")
    idx = tuple(int(v) for v in t.indices)
    if len(idx) != 2:
        raise ValueError(f"expected two indices on {t}, got {len(idx)}")
    return arrays[t.base][idx]


@dataclass(frozen=True)
class BackwardRule:
    """An op, its output in components, and the correct backward rule of each input.

    Attributes
    ----------
    name
        Short name of the op.
    question
        Where the reports ask for it.
    inputs
        Input name -> (IndexedBase, shape in terms of ``m, n, p``).
    output
        The output's component formula :math:`C_{ij}` (or the scalar for a sum).
    output_shape
        Shape in terms of the size symbols (``()`` for a scalar output).
    gradients
        Input name -> component formula of its gradient (entry ``i, j``).
    definitions
        Auxiliary definitions substituted before instantiation (the row sums).
    domain_positive
        Sample positive inputs (used for the row normalisation).
    """

    name: str
    question: str
    inputs: dict[str, tuple[sp.IndexedBase, tuple[sp.Expr, sp.Expr]]]
    output: sp.Expr
    output_shape: tuple[sp.Expr, sp.Expr] | tuple[()]
    gradients: dict[str, sp.Expr]
    definitions: dict[sp.Basic, sp.Expr] = field(default_factory=dict)
    domain_positive: bool = False

    def latex(self, input_name: str | None = None) -> str:
        """LaTeX of the forward op (``input_name=None``) or of one input's gradient.

        >>> divide_rule().latex("Y")
        '\\\\bar{Y}_{i,j} = - \\\\frac{{G}_{i,j} {X}_{i,j}}{{Y}_{i,j}^{2}}'
        """
        if input_name is None:
            lhs = "C" if self.output_shape == () else "C_{i,j}"
            return f"{lhs} = {sp.latex(self.output)}"
        if input_name not in self.gradients:
            raise ValueError(
                f"expected one of the inputs {list(self.gradients)}, got {input_name!r}"
            )
        index = "i" if self.inputs[input_name][1][1] == 1 else "i,j"
        return f"\\bar{{{input_name}}}_{{{index}}} = {sp.latex(self.gradients[input_name])}"

    def instantiate_ops(
        self, sizes: Mapping[sp.Symbol, int]
    ) -> tuple[dict[str, sp.ImmutableMatrix], Any, Any, dict[sp.IndexedBase, Any]]:
        """Explicit inputs, output and upstream gradient on concrete sizes.

        Returns ``(inputs, output, upstream, arrays)`` where ``arrays`` maps each
        IndexedBase (inputs and ``G``) to its explicit matrix.
        """
        missing = {m, n, p} & self._size_symbols() - set(sizes)
        if missing:
            raise ValueError(f"expected sizes for {sorted(map(str, missing))}, got {dict(sizes)}")
        explicit: dict[str, sp.ImmutableMatrix] = {}
        arrays: dict[sp.IndexedBase, Any] = {}
        for name, (base, shape) in self.inputs.items():
            rows, cols = (int(sp.sympify(d).subs(sizes)) for d in shape)
            assume = {"positive": True} if self.domain_positive else {}
            mat = matrix_symbols(name, rows, cols, **assume)
            explicit[name] = mat
            arrays[base] = mat
        out_shape = tuple(int(sp.sympify(d).subs(sizes)) for d in self.output_shape)
        out = instantiate(self.output, out_shape, arrays, sizes, self.definitions)  # type: ignore[arg-type]
        up = upstream_like(out) if out_shape else G_scalar
        if out_shape:
            arrays[G] = up
        return explicit, out, up, arrays

    def _size_symbols(self) -> set[sp.Symbol]:
        syms: set[sp.Symbol] = set()
        for _, shape in self.inputs.values():
            for d in shape:
                syms |= sp.sympify(d).free_symbols
        return syms

    def check(
        self,
        sizes: Mapping[sp.Symbol, int],
        claims: Mapping[str, sp.Expr] | None = None,
        *,
        rng: np.random.Generator | int | None = 0,
        n_points: int = 3,
    ) -> dict[str, Verdict]:
        """Check component-form claims (default: the rule's own) on concrete sizes.

        >>> verdicts = matmul_rule().check({m: 2, n: 2, p: 2})
        >>> {name: v.correct for name, v in verdicts.items()}
        {'X': True, 'W': True}
        """
        claims = dict(self.gradients if claims is None else claims)
        explicit, out, up, arrays = self.instantiate_ops(sizes)
        verdicts = {}
        for name, component in claims.items():
            if name not in self.inputs:
                raise ValueError(f"expected claims for inputs {list(self.inputs)}, got {name!r}")
            shape = explicit[name].shape
            claim = instantiate(component, shape, arrays, sizes, self.definitions)
            verdicts[name] = check_backward_rule(
                out, explicit[name], claim, up, rng=rng, n_points=n_points
            )
        return verdicts


def divide_rule() -> BackwardRule:
    """:math:`C = X / Y` elementwise: :math:`\\bar X = G / Y`, :math:`\\bar Y = -G X / Y^2`.

    >>> all(v.correct for v in divide_rule().check({m: 1, n: 2}).values())
    True
    """
    return BackwardRule(
        name="divide",
        question="C/E Q1",
        inputs={"X": (X, (m, n)), "Y": (Y, (m, n))},
        output=X[i, j] / Y[i, j],
        output_shape=(m, n),
        gradients={"X": G[i, j] / Y[i, j], "Y": -G[i, j] * X[i, j] / Y[i, j] ** 2},
    )


def elementwise_rule(f: Callable[[sp.Expr], sp.Expr] | None = None) -> BackwardRule:
    """:math:`C = f(X)` elementwise: :math:`\\bar X_{ij} = G_{ij} f'(X_{ij})`.

    ``f`` defaults to an undefined function ``f`` (the rule is checked
    symbolically); pass e.g. ``sp.tanh`` for a concrete one.

    >>> elementwise_rule(sp.exp).check({m: 1, n: 2})["X"].correct
    True
    """
    u = sp.Dummy("u")
    fn = sp.Function("f") if f is None else f
    fprime = sp.Lambda(u, sp.diff(fn(u), u))
    return BackwardRule(
        name="elementwise",
        question="C/E Q2",
        inputs={"X": (X, (m, n))},
        output=fn(X[i, j]),
        output_shape=(m, n),
        gradients={"X": G[i, j] * fprime(X[i, j])},
    )


def matmul_rule() -> BackwardRule:
    """:math:`C = X W`: :math:`\\bar X = G W^T`, :math:`\\bar W = X^T G`, in components.

    .. math:: \\bar X_{ij} = \\sum_k G_{ik} W_{jk}, \\qquad \\bar W_{ij} = \\sum_k X_{ki} G_{kj}

    >>> matmul_rule().latex("X")
    '\\\\bar{X}_{i,j} = \\\\sum_{k=0}^{p - 1} {G}_{i,k} {W}_{j,k}'
    """
    return BackwardRule(
        name="matmul",
        question="C/E Q3",
        inputs={"X": (X, (m, n)), "W": (W, (n, p))},
        output=sp.Sum(X[i, k] * W[k, j], (k, 0, n - 1)),
        output_shape=(m, p),
        gradients={
            "X": sp.Sum(G[i, k] * W[j, k], (k, 0, p - 1)),
            "W": sp.Sum(X[k, i] * G[k, j], (k, 0, m - 1)),
        },
    )


def matmul_matrix_form(rows: int = 2, inner: int = 3, cols: int = 2) -> dict[str, Verdict]:
    """Check the matrix forms :math:`\\bar X = G W^T` and :math:`\\bar W = X^T G` directly.

    Uses :class:`sympy.MatrixSymbol` objects of the given sizes.

    >>> {name: v.correct for name, v in matmul_matrix_form().items()}
    {'X': True, 'W': True}
    """
    Xm = sp.MatrixSymbol("X", rows, inner)
    Wm = sp.MatrixSymbol("W", inner, cols)
    Gm = sp.MatrixSymbol("G", rows, cols)
    C = Xm * Wm
    return {
        "X": check_backward_rule(C, Xm, Gm * Wm.T, Gm),
        "W": check_backward_rule(C, Wm, Xm.T * Gm, Gm),
    }


def expand_rule() -> BackwardRule:
    """:math:`Y_{ij} = x_i` (a column repeated ``n`` times): :math:`\\bar x_i = \\sum_j G_{ij}`.

    >>> expand_rule().check({m: 2, n: 3})["x"].correct
    True
    """
    return BackwardRule(
        name="expand",
        question="C/E Q4",
        inputs={"x": (x, (m, 1))},
        output=x[i, 0],
        output_shape=(m, n),
        gradients={"x": sp.Sum(G[i, k], (k, 0, n - 1))},
    )


def normalize_rule() -> BackwardRule:
    """Row normalisation :math:`C_{ij} = X_{ij} / s_i`, :math:`s_i = \\sum_k X_{ik}`.

    .. math:: \\bar X_{ij} = \\frac{G_{ij}}{s_i} - \\sum_k \\frac{G_{ik} X_{ik}}{s_i^2}

    >>> normalize_rule().check({m: 1, n: 3})["X"].correct
    True
    """
    return BackwardRule(
        name="normalize",
        question="C/E Q8",
        inputs={"X": (X, (m, n))},
        output=X[i, j] / s[i],
        output_shape=(m, n),
        gradients={"X": G[i, j] / s[i] - sp.Sum(G[i, k] * X[i, k], (k, 0, n - 1)) / s[i] ** 2},
        definitions={s[i]: sp.Sum(X[i, k], (k, 0, n - 1))},
        domain_positive=True,
    )


def sum_rule() -> BackwardRule:
    """Sum of all elements :math:`C = \\sum_{ij} X_{ij}`: :math:`\\bar X_{ij} = G` (G times ones).

    >>> sum_rule().check({m: 2, n: 2})["X"].correct
    True
    """
    return BackwardRule(
        name="sum",
        question="C/E Q8",
        inputs={"X": (X, (m, n))},
        output=sp.Sum(X[k, j], (k, 0, m - 1), (j, 0, n - 1)),
        output_shape=(),
        gradients={"X": G_scalar},
    )


#: Every rule, by name, built with its default arguments.
RULES: dict[str, Callable[[], BackwardRule]] = {
    "divide": divide_rule,
    "elementwise": elementwise_rule,
    "matmul": matmul_rule,
    "expand": expand_rule,
    "normalize": normalize_rule,
    "sum": sum_rule,
}
