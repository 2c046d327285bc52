"""Layers as forward/backward pairs, fully vectorized over the batch.

Every layer ``x`` has ``x_forward(...) -> (out, cache)`` and
``x_backward(dout, cache) -> gradients``: the forward pass keeps in ``cache``
exactly what the backward pass needs, and the backward pass maps the upstream
gradient ``dout`` = :math:`\\partial L / \\partial \\text{out}` to the gradients of the
layer's inputs. Rows are examples: ``h_prev`` has shape ``(N, D)``, and the
affine layer computes ``s = h_prev @ W + b`` (the exercise's convention, ``W`` of
shape ``(D, H)``). No function loops over examples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "affine_backward",
    "affine_forward",
    "dropout_backward",
    "dropout_forward",
    "l2_penalty",
    "relu_backward",
    "relu_forward",
    "sigmoid_backward",
    "sigmoid_forward",
    "softmax",
    "softmax_cross_entropy",
    "tanh_backward",
    "tanh_forward",
]

Cache = Any


def _array(name: str, value: Any, shape: str | None = None, ndim: int | None = None) -> np.ndarray:
    """``value`` if it is a NumPy array of real numbers (of ``ndim`` dimensions), else raise.

    ``shape`` describes the expected shape in the message (``"(N, C)"``).
    """
    if not isinstance(value, np.ndarray):
        want = f" of shape {shape}" if shape else ""
        raise TypeError(f"expected {name} to be a NumPy array{want}, got {type(value).__name__}")
    if value.dtype.kind not in "biuf":
        raise TypeError(f"expected {name} to hold real numbers, got dtype {value.dtype}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(
            f"expected {name} of shape {shape} ({ndim}-D), got shape {value.shape}"
            + ("; a single example x is x[None, :]" if value.ndim == ndim - 1 else "")
        )
    return value


def _like(name: str, value: Any, other_name: str, other: np.ndarray) -> np.ndarray:
    """``value`` if it is an array of ``other``'s shape (a gradient and its cache), else raise."""
    _array(name, value, str(other.shape))
    if value.shape != other.shape:
        raise ValueError(
            f"expected {name} of the shape of {other_name} {other.shape}, got shape {value.shape}"
        )
    return value


def _check_affine_inputs(h_prev: Any, W: Any, b: Any) -> None:
    """Refuse inputs of :func:`affine_forward` that NumPy would reject in its own words."""
    _array("W", W, "(D, H)", ndim=2)
    _array("b", b, f"({W.shape[1]},)", ndim=1)
    if b.shape != (W.shape[1],):
        raise ValueError(
            f"expected b of shape ({W.shape[1]},) for W of shape {W.shape}, got {b.shape}"
        )
    _array("h_prev", h_prev, "(N, D)")
    if h_prev.ndim < 2:
        raise ValueError(
            f"expected h_prev of shape (N, {W.shape[0]}), a batch of rows, got shape "
            f"{h_prev.shape}; a single example x is x[None, :]"
        )


def _check_affine_grad(ds: Any, cache: Any) -> tuple[np.ndarray, np.ndarray]:
    """The cache ``(h_prev, W)`` of :func:`affine_forward`, after checking it and ``ds``."""
    if not (isinstance(cache, tuple) and len(cache) == 2):
        raise TypeError(
            f"expected the cache (h_prev, W) that affine_forward returned, got {type(cache).__name__}"
        )
    h_prev, W = cache
    _array("cache's h_prev", h_prev)
    _array("cache's W", W, "(D, H)", ndim=2)
    expected = (h_prev.shape[0], W.shape[1])
    _array("ds", ds, str(expected), ndim=2)
    if ds.shape != expected:
        raise ValueError(
            f"expected ds of shape {expected} (the forward's output: N = {expected[0]} rows, "
            f"H = {expected[1]} units), got shape {ds.shape}"
        )
    return h_prev, W


def affine_forward(
    h_prev: np.ndarray, W: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Affine layer :math:`s = h_{prev} W + b` for a batch of row vectors.

    Parameters
    ----------
    h_prev
        Inputs of shape ``(N, D)``; other shapes ``(N, d1, ..., dk)`` are flattened.
    W, b
        Weights ``(D, H)`` and bias ``(H,)``.

    Returns
    -------
    s, cache
        ``s`` of shape ``(N, H)`` and the cache ``(h_prev, W)``.

    Examples
    --------
    >>> s, _ = affine_forward(np.ones((2, 3)), np.eye(3)[:, :2], np.array([1.0, -1.0]))
    >>> s
    array([[2., 0.],
           [2., 0.]])
    """
    _check_affine_inputs(h_prev, W, b)
    h2 = h_prev.reshape(h_prev.shape[0], -1)
    if h2.shape[1] != W.shape[0]:
        raise ValueError(
            f"expected h_prev with {W.shape[0]} features for W of shape {W.shape}, "
            f"got shape {h_prev.shape}"
        )
    return h2 @ W + b, (h_prev, W)


def affine_backward(
    ds: np.ndarray, cache: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`affine_forward`.

    :math:`\\partial L/\\partial h_{prev} = (\\partial L/\\partial s) W^T`,
    :math:`\\partial L/\\partial W = h_{prev}^T (\\partial L/\\partial s)`,
    :math:`\\partial L/\\partial b = \\sum_n (\\partial L/\\partial s)_n`.

    Examples
    --------
    >>> x, W = np.arange(6.0).reshape(2, 3), np.ones((3, 2))
    >>> dx, dW, db = affine_backward(np.ones((2, 2)), (x, W))
    >>> dW[:, 0], db
    (array([3., 5., 7.]), array([2., 2.]))
    """
    h_prev, W = _check_affine_grad(ds, cache)
    h2 = h_prev.reshape(h_prev.shape[0], -1)
    dh_prev = (ds @ W.T).reshape(h_prev.shape)
    return dh_prev, h2.T @ ds, ds.sum(axis=0)


def relu_forward(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ReLU :math:`h = \\max(0, s)`; the cache is the mask :math:`s > 0`.

    >>> relu_forward(np.array([-1.0, 0.0, 2.0]))[0]
    array([0., 0., 2.])
    """
    _array("s", s)
    mask = s > 0
    return np.maximum(s, 0.0), mask


def relu_backward(dh: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """:math:`\\partial L/\\partial s = \\partial L/\\partial h \\odot [s > 0]` (0 at the kink).

    >>> relu_backward(np.ones(3), np.array([False, False, True]))
    array([0., 0., 1.])
    """
    _array("cache", cache)
    _like("dh", dh, "the cache", cache)
    return dh * cache


def sigmoid_forward(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logistic sigmoid :math:`h = 1 / (1 + e^{-s})`, computed without overflow.

    >>> sigmoid_forward(np.array([0.0, 1000.0, -1000.0]))[0]
    array([0.5, 1. , 0. ])
    """
    _array("s", s)
    e = np.exp(-np.abs(s))
    h = np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return h, h


def sigmoid_backward(dh: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """:math:`\\partial L/\\partial s = \\partial L/\\partial h \\odot h (1 - h)`.

    >>> sigmoid_backward(np.ones(1), np.array([0.5]))
    array([0.25])
    """
    h = _array("cache", cache)
    _like("dh", dh, "the cache", h)
    return dh * h * (1.0 - h)


def tanh_forward(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:math:`h = \\tanh(s)`.

    >>> tanh_forward(np.array([0.0]))[0]
    array([0.])
    """
    _array("s", s)
    h = np.tanh(s)
    return h, h


def tanh_backward(dh: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """:math:`\\partial L/\\partial s = \\partial L/\\partial h \\odot (1 - h^2)`.

    >>> tanh_backward(np.ones(1), np.array([0.0]))
    array([1.])
    """
    h = _array("cache", cache)
    _like("dh", dh, "the cache", h)
    return dh * (1.0 - h * h)


def softmax(s: np.ndarray) -> np.ndarray:
    """Row-wise softmax :math:`p_{nk} = e^{s_{nk} - m_n} / \\sum_j e^{s_{nj} - m_n}`.

    Here :math:`m_n = \\max_j s_{nj}`.

    Subtracting the row maximum changes nothing mathematically and avoids overflow.

    >>> softmax(np.array([[0.0, 0.0], [1000.0, 0.0]])).round(6)
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    _array("scores s", s, "(N, C)", ndim=2)
    z = s - s.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(s: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient with respect to the scores.

    :math:`L = -\\frac{1}{N} \\sum_n \\log p_{n, y_n}`, with :math:`p = \\mathrm{softmax}(s)`;
    :math:`\\partial L/\\partial s = (p - \\Delta) / N`, :math:`\\Delta` the one-hot targets.

    Parameters
    ----------
    s
        Scores of shape ``(N, C)``.
    y
        Integer labels of shape ``(N,)`` in ``0..C-1``.

    Examples
    --------
    >>> loss, ds = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    >>> round(loss, 6) == round(float(np.log(4)), 6), ds[0]
    (True, array([-0.375,  0.125,  0.125,  0.125]))
    """
    _array("scores s", s, "(N, C)", ndim=2)
    N = s.shape[0]
    y = np.asarray(y)
    if y.shape != (N,):
        raise ValueError(f"expected y of shape ({N},) for scores {s.shape}, got shape {y.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"expected integer class labels y, got dtype {y.dtype}")
    if N and (y.min() < 0 or y.max() >= s.shape[1]):
        raise ValueError(f"expected labels in 0..{s.shape[1] - 1}, got range {y.min()}..{y.max()}")
    z = s - s.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(z).sum(axis=1, keepdims=True))
    log_p = z - log_z
    rows = np.arange(N)
    loss = -float(log_p[rows, y].mean())
    ds = np.exp(log_p)
    ds[rows, y] -= 1.0
    ds /= N
    return loss, ds


def l2_penalty(W: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """L2 penalty :math:`R = \\lambda \\lVert W \\rVert_F^2` and its gradient :math:`2 \\lambda W`.

    The exercise (and report B) writes the penalty without a factor 1/2, so the
    gradient carries a 2.

    >>> l2_penalty(np.array([[1.0, 2.0]]), 0.5)
    (2.5, array([[1., 2.]]))
    """
    _array("W", W)
    if isinstance(reg, bool) or not isinstance(reg, int | float | np.integer | np.floating):
        raise TypeError(f"expected reg to be a number, got {reg!r}")
    if not (np.isfinite(reg) and reg >= 0):
        raise ValueError(f"expected a finite reg >= 0, got {reg!r}")
    return float(reg * np.sum(W * W)), (2.0 * reg) * W


def dropout_forward(
    h: np.ndarray, p: float, rng: np.random.Generator | int | None = None, train: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """Inverted dropout :math:`\\tilde h = h \\odot m / (1 - p)`, :math:`m_i \\sim B(1 - p)`.

    Units are dropped with probability ``p`` during training; the survivors are
    scaled by :math:`1/(1-p)` so that at test time (``train=False``) the layer is
    the identity.

    >>> out, mask = dropout_forward(np.ones((2, 4)), 0.5, rng=0)
    >>> sorted(set(out.ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
    True
    >>> dropout_forward(np.ones(3), 0.5, train=False)[0]
    array([1., 1., 1.])
    """
    _array("h", h)
    if isinstance(p, bool) or not isinstance(p, int | float | np.integer | np.floating):
        raise TypeError(f"expected dropout probability p to be a number, got {p!r}")
    if not 0.0 <= p < 1.0:
        raise ValueError(f"expected dropout probability p in [0, 1), got {p!r}")
    if not train or p == 0.0:
        return h, None
    gen = np.random.default_rng(rng)
    mask = (gen.random(h.shape) >= p) / (1.0 - p)
    return h * mask, mask


def dropout_backward(dout: np.ndarray, cache: np.ndarray | None) -> np.ndarray:
    """:math:`\\partial L/\\partial h = \\partial L/\\partial \\tilde h \\odot m / (1 - p)`.

    ``cache`` is the scaled mask :math:`m / (1 - p)` (``None``: identity).

    >>> dropout_backward(np.ones(2), np.array([0.0, 2.0]))
    array([0., 2.])
    """
    _array("dout", dout)
    if cache is not None:
        _like("dout", dout, "the mask cache", _array("cache", cache))
    return dout if cache is None else dout * cache
