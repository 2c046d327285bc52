"""Checking gradients: central finite differences, and the relative error
(:func:`backprop_book.metrics.rel_error`, re-exported here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from backprop_book.autograd.core import TensorNode
from backprop_book.metrics import rel_error

__all__ = ["engine_gradients", "numerical_gradients", "rel_error"]


def engine_gradients(
    fn: Callable[..., TensorNode], arrays: Sequence[np.ndarray], seed: np.ndarray | None = None
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run ``fn`` on fresh nodes and backpropagate ``seed``; return the value and input gradients.

    :math:`\\bar x_i = (\\partial f / \\partial x_i)^T \\bar y` for each input, with
    :math:`\\bar y` = ``seed`` (ones when omitted).

    >>> v, (g,) = engine_gradients(lambda x: x * x, [np.array([3.0])])
    >>> v, g
    (array([9.]), array([6.]))
    """
    nodes = [TensorNode(np.array(a, dtype=np.float64)) for a in arrays]
    out = fn(*nodes)
    seed = np.ones_like(out.value) if seed is None else np.asarray(seed)
    out.backward(seed)
    return out.value, [n.grad for n in nodes]


def numerical_gradients(
    fn: Callable[..., TensorNode],
    arrays: Sequence[np.ndarray],
    seed: np.ndarray | None = None,
    h: float = 1e-6,
) -> list[np.ndarray]:
    """Central differences of :math:`\\phi = \\sum \\bar y \\odot f(x_1, \\dots)`.

    :math:`\\partial \\phi / \\partial x_{i,k} \\approx
    (\\phi(x_{i,k} + h) - \\phi(x_{i,k} - h)) / 2h`
    for every element :math:`k` of every input :math:`i` (float64; error :math:`O(h^2)`).

    >>> numerical_gradients(lambda x: x * x, [np.array([3.0])])[0].round(6)
    array([6.])
    """
    base = [np.array(a, dtype=np.float64) for a in arrays]
    if seed is None:
        seed = np.ones_like(fn(*[TensorNode(a) for a in base]).value)

    def phi(xs: list[np.ndarray]) -> float:
        return float(np.sum(seed * fn(*[TensorNode(a) for a in xs]).value))

    grads = []
    for i, x in enumerate(base):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            plus = [a.copy() for a in base]
            minus = [a.copy() for a in base]
            plus[i][idx] += h
            minus[i][idx] -= h
            g[idx] = (phi(plus) - phi(minus)) / (2 * h)
        grads.append(g)
    return grads
