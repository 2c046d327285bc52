"""Checking gradients: central finite differences, and the relative error
(:func:`backprop_book.metrics.rel_error`, re-exported here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from backprop_book.autograd.core import TensorNode
from backprop_book.metrics import rel_error

__all__ = ["engine_gradients", "numerical_gradients", "rel_error"]


def _inputs(arrays: Sequence[Any]) -> list[np.ndarray]:
    """The inputs as float64 copies; refuse what is not an array of real numbers."""
    if isinstance(arrays, np.ndarray | TensorNode) or not isinstance(arrays, Sequence):
        raise TypeError(
            f"expected a list of input arrays, got {type(arrays).__name__}; wrap one array as [x]"
        )
    out = []
    for i, a in enumerate(arrays):
        arr = np.asarray(a.value if isinstance(a, TensorNode) else a)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"expected input {i} to hold real numbers, got dtype {arr.dtype}")
        out.append(np.array(arr, dtype=np.float64))
    return out


def _output(fn: Callable[..., TensorNode], nodes: Sequence[TensorNode]) -> TensorNode:
    out = fn(*nodes)
    if not isinstance(out, TensorNode):
        raise TypeError(f"expected fn to return a TensorNode, got {type(out).__name__}")
    return out


def _seed(seed: Any, out: TensorNode) -> np.ndarray:
    if seed is None:
        return np.ones_like(out.value, dtype=np.float64)
    s = np.asarray(seed)
    if s.dtype.kind not in "biuf":
        raise TypeError(f"expected a seed gradient of real numbers, got dtype {s.dtype}")
    if s.shape != out.value.shape:
        raise ValueError(
            f"expected a seed gradient of the output's shape {out.value.shape}, got {s.shape}"
        )
    return s


def _check_fn(fn: Any) -> None:
    if not callable(fn):
        raise TypeError(
            f"expected fn to be a function of the input nodes (e.g. lambda x: (x * x).sum()), "
            f"got {type(fn).__name__}"
        )


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
    _check_fn(fn)
    nodes = [TensorNode(a) for a in _inputs(arrays)]
    out = _output(fn, nodes)
    out.backward(_seed(seed, out))
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
    if isinstance(h, bool) or not (isinstance(h, int | float | np.floating) and np.isfinite(h)):
        raise ValueError(f"expected a finite positive step h, got {h!r}")
    if h <= 0:
        raise ValueError(f"expected a finite positive step h, got {h!r}")
    _check_fn(fn)
    base = _inputs(arrays)
    seed = _seed(seed, _output(fn, [TensorNode(a) for a in base]))

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
