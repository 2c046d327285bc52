"""Part I: why the gradient checker lambdifies with common-subexpression elimination.

The checker evaluates sympy's derivative of a loss at random points. For a symbolic
network the derivative of every parameter repeats the same forward-pass
subexpressions many times, and printing them into a Python function dominates the
cost. ``sympy.lambdify(..., cse=True)`` prints each shared subexpression once.
This benchmark times "build the function and evaluate it at one point" for the
gradients of a small symbolic MLP (softmax cross-entropy on top), both ways.
"""

from __future__ import annotations

import sympy as sp

from backprop_book.symbolic.checker import matrix_symbols
from backprop_book.symbolic.mlp import cross_entropy, mlp_forward
from benchmarks.common import Comparison, compare


def _gradients(
    sizes: tuple[int, ...], acts: tuple[str, ...]
) -> tuple[list[sp.Symbol], list[sp.Expr]]:
    x = matrix_symbols("x", sizes[0], 1)
    Ws = [matrix_symbols(f"W{l}", sizes[l], sizes[l - 1]) for l in range(1, len(sizes))]
    bs = [matrix_symbols(f"b{l}", sizes[l], 1) for l in range(1, len(sizes))]
    hs, _ = mlp_forward(x, Ws, bs, acts)
    loss = cross_entropy(hs[-1], 0)
    params = [v for W in Ws for v in W] + [v for b in bs for v in b]
    symbols = sorted(loss.free_symbols, key=lambda s: s.name)
    return symbols, [sp.diff(loss, p) for p in params]


def run(quick: bool) -> list[Comparison]:
    sizes, acts = (
        ((2, 2, 2), ("tanh", "identity")) if quick else ((3, 3, 3, 3), ("tanh", "relu", "identity"))
    )
    symbols, grads = _gradients(sizes, acts)
    point = [0.1 * (k + 1) for k in range(len(symbols))]

    def plain() -> object:
        return sp.lambdify(symbols, grads, modules="mpmath", docstring_limit=0)(*point)

    def with_cse() -> object:
        return sp.lambdify(symbols, grads, modules="mpmath", cse=True, docstring_limit=0)(*point)

    return [
        compare(
            f"lambdify the gradients of a {'-'.join(map(str, sizes))} symbolic MLP",
            ("lambdify", plain),
            ("lambdify(cse=True)", with_cse),
            repeats=1 if quick else 3,
            warmup=0,
            target=1 / 1.5,
            note="the checker's numeric path; target: cse at least 1.5x faster",
        )
    ]
