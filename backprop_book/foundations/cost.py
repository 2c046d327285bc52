"""What a gradient costs: backpropagation against finite differences, in time and memory.

A small multi-layer perceptron (affine layers with :math:`\\tanh` between them and a
softmax cross-entropy loss, built from :mod:`backprop_book.numpy_nn.layers`) has
its gradient computed two ways:

* by **backpropagation** (:func:`mlp_gradients`): one forward pass that keeps every
  layer's cache, then one backward pass;
* by **finite differences** (:func:`finite_difference_gradients`): two forward
  passes per parameter, :math:`(L(\\theta + \\epsilon e_i) - L(\\theta - \\epsilon
  e_i)) / 2\\epsilon`, none of which keeps anything.

:func:`measure_cost` times both and measures, with :mod:`tracemalloc`, the peak
memory of a forward pass that keeps its caches against one that drops them.
"""

from __future__ import annotations

import itertools
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backprop_book.numpy_nn.layers import (
    affine_backward,
    affine_forward,
    softmax_cross_entropy,
    tanh_backward,
    tanh_forward,
)

__all__ = [
    "CostRecord",
    "cache_bytes",
    "finite_difference_gradients",
    "init_mlp",
    "measure_cost",
    "mlp_gradients",
    "mlp_loss",
]

Params = list[tuple[np.ndarray, np.ndarray]]


def init_mlp(widths: Sequence[int], rng: np.random.Generator | int | None = None) -> Params:
    """Weights and biases ``[(W_1, b_1), ..., (W_K, b_K)]`` of a network of ``widths``.

    ``widths = [D, H_1, ..., C]`` gives :math:`K = ` ``len(widths) - 1`` layers;
    :math:`W_l` has shape ``(widths[l-1], widths[l])``, drawn with standard deviation
    :math:`1/\\sqrt{\\text{fan-in}}`; the biases start at zero.

    >>> [(W.shape, b.shape) for W, b in init_mlp([4, 3, 2], rng=0)]
    [((4, 3), (3,)), ((3, 2), (2,))]
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"expected at least two positive widths, got {widths}")
    gen = np.random.default_rng(rng)
    return [
        (gen.standard_normal((d, h)) / np.sqrt(d), np.zeros(h))
        for d, h in itertools.pairwise(widths)
    ]


def mlp_loss(
    params: Params, X: np.ndarray, y: np.ndarray, keep: bool = True
) -> tuple[float, list[tuple[Any, Any]]]:
    """Forward pass: the mean cross-entropy loss and, if ``keep``, every layer's cache.

    :math:`h_0 = X`, :math:`s_l = h_{l-1} W_l + b_l`, :math:`h_l = \\tanh(s_l)` for
    :math:`l < K`, and :math:`L = ` cross-entropy of :math:`\\operatorname{softmax}(s_K)`.
    With ``keep=False`` each cache is dropped as soon as the next layer has run, as
    a forward pass for prediction only may do.

    >>> params = init_mlp([4, 3, 2], rng=0)
    >>> loss, caches = mlp_loss(params, np.ones((5, 4)), np.array([0, 1, 0, 1, 1]))
    >>> round(loss, 4) > 0, len(caches)
    (True, 2)
    >>> len(mlp_loss(params, np.ones((5, 4)), np.array([0, 1, 0, 1, 1]), keep=False)[1])
    0
    """
    caches: list[tuple[Any, Any]] = []
    h = X
    for l, (W, b) in enumerate(params, start=1):
        s, affine_cache = affine_forward(h, W, b)
        if l == len(params):
            loss, ds = softmax_cross_entropy(s, y)
            if keep:
                caches.append((affine_cache, ds))
            return loss, caches
        h, tanh_cache = tanh_forward(s)
        if keep:
            caches.append((affine_cache, tanh_cache))
    raise ValueError("expected at least one layer, got none")


def mlp_gradients(params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """Backpropagation: the loss and ``[(dW_1, db_1), ...]`` from one forward and one backward.

    The backward pass walks the kept caches from the last layer to the first:
    :math:`\\bar s_K = (p - \\Delta)/N`, then for each layer the affine backward
    gives :math:`\\bar h_{l-1}`, :math:`\\partial L/\\partial W_l`,
    :math:`\\partial L/\\partial b_l`, and the tanh backward gives
    :math:`\\bar s_{l-1} = \\bar h_{l-1} \\odot (1 - h_{l-1}^2)`.

    >>> params = init_mlp([4, 3, 2], rng=0)
    >>> loss, grads = mlp_gradients(params, np.ones((5, 4)), np.array([0, 1, 0, 1, 1]))
    >>> [dW.shape for dW, db in grads]
    [(4, 3), (3, 2)]
    """
    loss, caches = mlp_loss(params, X, y, keep=True)
    grads: Params = []
    affine_cache, ds = caches[-1]
    for l in range(len(caches) - 1, -1, -1):
        dh_prev, dW, db = affine_backward(ds, affine_cache)
        grads.append((dW, db))
        if l > 0:
            affine_cache, tanh_cache = caches[l - 1]
            ds = tanh_backward(dh_prev, tanh_cache)
    return loss, grads[::-1]


def finite_difference_gradients(
    params: Params, X: np.ndarray, y: np.ndarray, eps: float = 1e-6
) -> Params:
    """Central differences of the loss, one parameter at a time (two forward passes each).

    :math:`\\partial L / \\partial \\theta_i \\approx (L(\\theta + \\epsilon e_i) -
    L(\\theta - \\epsilon e_i)) / 2 \\epsilon`.  The parameters are restored afterwards.

    >>> params = init_mlp([4, 3, 2], rng=0)
    >>> X, y = np.ones((5, 4)), np.array([0, 1, 0, 1, 1])
    >>> fd = finite_difference_gradients(params, X, y)
    >>> bp = mlp_gradients(params, X, y)[1]
    >>> bool(np.allclose(fd[0][0], bp[0][0], atol=1e-7))
    True
    """
    if not eps > 0:
        raise ValueError(f"expected a positive eps, got {eps!r}")
    grads: Params = []
    for W, b in params:
        pair = []
        for p in (W, b):
            g = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + eps
                up = mlp_loss(params, X, y, keep=False)[0]
                p[i] = old - eps
                down = mlp_loss(params, X, y, keep=False)[0]
                p[i] = old
                g[i] = (up - down) / (2 * eps)
            pair.append(g)
        grads.append((pair[0], pair[1]))
    return grads


@dataclass(frozen=True)
class CostRecord:
    """Time and memory of one gradient, by backpropagation and by finite differences.

    Attributes
    ----------
    widths, batch
        The network (``[D, H_1, ..., C]``) and the number of examples.
    n_params
        Number of parameters :math:`P`.
    forward_s, backprop_s, finite_diff_s
        Seconds for one forward pass (no caches), for one gradient by backpropagation
        (forward with caches + backward) and for one by finite differences
        (:math:`2P` forward passes).
    peak_forward_bytes, peak_backprop_bytes
        Peak memory allocated during a forward pass that drops its caches, and during
        a forward pass that keeps them followed by the backward pass.
    cache_bytes
        Bytes of the arrays the forward pass kept for the backward pass.
    max_abs_diff
        Largest difference between the two gradients (they agree to about
        :math:`10^{-8}`).
    """

    widths: tuple[int, ...]
    batch: int
    n_params: int
    forward_s: float
    backprop_s: float
    finite_diff_s: float
    peak_forward_bytes: int
    peak_backprop_bytes: int
    cache_bytes: int
    max_abs_diff: float


def cache_bytes(caches: object) -> int:
    """Bytes of the distinct NumPy arrays held in (nested tuples and lists of) ``caches``.

    An array reached twice is counted once.

    >>> a = np.zeros(10)
    >>> cache_bytes([(a, np.ones(2, dtype=np.float32)), (a, None)])
    88
    """
    seen: set[int] = set()
    total = 0
    stack: list[object] = [caches]
    while stack:
        obj = stack.pop()
        if isinstance(obj, tuple | list):
            stack.extend(obj)
        elif isinstance(obj, np.ndarray) and id(obj) not in seen:
            seen.add(id(obj))
            total += obj.nbytes
    return total


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def measure_cost(
    widths: Sequence[int],
    batch: int = 64,
    rng: np.random.Generator | int | None = 0,
    repeat: int = 3,
    finite_differences: bool = True,
) -> CostRecord:
    """Time and measure one gradient of a random network on random data, both ways.

    Times are the best of ``repeat`` runs (:func:`time.perf_counter`), except the
    finite differences', which are timed once (they take long enough); memory peaks
    come from :mod:`tracemalloc`, which sees NumPy's array allocations.  With
    ``finite_differences=False`` the slow way is skipped (its time is ``nan``).

    >>> r = measure_cost([8, 6, 3], batch=32, rng=0, repeat=1)
    >>> r.n_params, r.max_abs_diff < 1e-7, r.finite_diff_s > r.backprop_s
    (75, True, True)
    >>> r.peak_backprop_bytes > r.peak_forward_bytes, r.cache_bytes > 32 * 8 * 8
    (True, True)
    """
    if not isinstance(batch, int) or batch < 1:
        raise ValueError(f"expected a batch of at least 1 example, got {batch!r}")
    if not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"expected repeat >= 1, got {repeat!r}")
    gen = np.random.default_rng(rng)
    params = init_mlp(widths, gen)
    X = gen.standard_normal((batch, params[0][0].shape[0]))
    y = gen.integers(0, params[-1][0].shape[1], size=batch)
    n_params = sum(W.size + b.size for W, b in params)

    def best(fn: Callable[[], object]) -> float:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    forward_s = best(lambda: mlp_loss(params, X, y, keep=False))
    backprop_s = best(lambda: mlp_gradients(params, X, y))
    finite_s, diff = float("nan"), float("nan")
    if finite_differences:  # slow: timed once, its result kept for the comparison
        t0 = time.perf_counter()
        fd = finite_difference_gradients(params, X, y)
        finite_s = time.perf_counter() - t0
        bp = mlp_gradients(params, X, y)[1]
        diff = max(
            float(np.abs(a - b).max())
            for pa, pb in zip(fd, bp, strict=True)
            for a, b in zip(pa, pb, strict=True)
        )
    caches = mlp_loss(params, X, y, keep=True)[1]
    return CostRecord(
        widths=tuple(int(w) for w in widths),
        batch=batch,
        n_params=n_params,
        forward_s=forward_s,
        backprop_s=backprop_s,
        finite_diff_s=finite_s,
        peak_forward_bytes=_peak(lambda: mlp_loss(params, X, y, keep=False)),
        peak_backprop_bytes=_peak(lambda: mlp_gradients(params, X, y)),
        cache_bytes=cache_bytes(caches),
        max_abs_diff=diff,
    )
