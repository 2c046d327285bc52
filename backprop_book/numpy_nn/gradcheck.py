"""Gradient checking by finite differences.

Three ways to compare an analytic gradient with numbers:

* every coordinate (:func:`numerical_gradient`): one pair of loss evaluations per
  parameter entry, fine for the toy net;
* sampled coordinates (``mode="sampled"`` in :func:`check_gradients`): a random subset
  of entries of each parameter, for nets too big to check entry by entry;
* random directions (``mode="direction"``): compare the directional derivative
  :math:`\\nabla J \\cdot v` with :math:`(J(\\theta + hv) - J(\\theta - hv)) / 2h`, which
  checks all entries at once with two loss evaluations per direction.

The relative error is the exercise's,
:math:`\\max_i |a_i - n_i| / \\max(10^{-8}, |a_i| + |n_i|)`
(:func:`backprop_book.metrics.rel_error`, re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

import numpy as np

from backprop_book.metrics import rel_error

__all__ = [
    "GradCheck",
    "check_gradients",
    "directional_check",
    "numerical_gradient",
    "rel_error",
]


class _Model(Protocol):
    params: dict[str, np.ndarray]

    def loss(self, X: np.ndarray, y: np.ndarray | None = None, reg: float = 0.0) -> Any: ...


def _check_callable(f: Any, name: str) -> None:
    if not callable(f):
        raise TypeError(
            f"expected {name} to be a function of the array (e.g. lambda v: model.loss(X, y)[0]), "
            f"got {type(f).__name__}"
        )


def _check_model(model: Any) -> None:
    """A model for :func:`check_gradients`: ``params`` (a dict of arrays) and ``loss``."""
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or not callable(getattr(model, "loss", None)):
        raise TypeError(
            "expected a model with .params (a dict of arrays) and .loss(X, y, reg) -> "
            f"(loss, grads), such as TwoLayerNet or MLP, got {type(model).__name__}"
            + ("; pass the model, not its params" if isinstance(model, dict) else "")
        )


def _check_array(x: Any, name: str) -> None:
    """Refuse what cannot be perturbed in place by a small step."""
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"expected {name} to be a NumPy array (perturbed in place), got {type(x).__name__}"
        )
    if x.dtype.kind != "f":
        raise TypeError(
            f"expected {name} to be a floating-point array, got dtype {x.dtype}: a step of "
            f"1e-5 added to integers is truncated; convert it first, e.g. "
            f"{name} = {name}.astype(np.float64), and let the function read the converted array"
        )
    if not x.flags.writeable:
        raise ValueError(f"expected {name} to be writeable (it is perturbed in place)")


def _check_step(h: Any, method: str) -> None:
    if method not in ("centred", "forward"):
        raise ValueError(f"expected method 'centred' or 'forward', got {method!r}")
    if isinstance(h, bool) or not isinstance(h, int | float | np.floating | np.integer):
        raise TypeError(f"expected the step h to be a number, got {h!r}")
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"expected a finite positive step h, got {h!r}")


def _check_count(n: Any, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"expected {name} to be an integer >= 1, got {n!r}")
    if n < 1:
        raise ValueError(
            f"expected {name} >= 1, got {n}: with no samples the check compares nothing"
        )
    return int(n)


def numerical_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    h: float = 1e-5,
    method: Literal["centred", "forward"] = "centred",
    index: np.ndarray | None = None,
) -> np.ndarray:
    """Finite-difference gradient of a scalar ``f`` at ``x`` (perturbed in place, then restored).

    Centred: :math:`(f(x + h e_i) - f(x - h e_i)) / 2h`, error :math:`O(h^2)`;
    forward (one-sided): :math:`(f(x + h e_i) - f(x)) / h`, error :math:`O(h)`.

    Parameters
    ----------
    f
        Function of ``x`` alone (close over the rest), returning a float.
    x
        The array to perturb; ``f`` must read it (e.g. ``x`` is ``net.params["W1"]``).
    h
        Step.
    method
        ``"centred"`` or ``"forward"``.
    index
        Flat indices to perturb; the other entries of the result are NaN. ``None``: all.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point NumPy array: an integer array would truncate
        the step (``[1, 2, 3]`` would give ``[50000, 150000, 250000]`` for the
        gradient of the sum of squares).
    ValueError
        If ``h`` is not finite and positive, or an index is out of range.

    Examples
    --------
    >>> x = np.array([1.0, 2.0])
    >>> numerical_gradient(lambda v: float(np.sum(v ** 3)), x).round(6)
    array([ 3., 12.])
    """
    _check_callable(f, "f")
    _check_array(x, "x")
    _check_step(h, method)
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("expected a contiguous array that can be perturbed in place")
    if index is None:
        idx = np.arange(flat.size)
    else:
        idx = np.asarray(index)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"expected integer flat indices, got dtype {idx.dtype}")
        idx = idx.reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= flat.size):
            raise ValueError(
                f"expected flat indices in 0..{flat.size - 1}, got range {idx.min()}..{idx.max()}"
            )
    grad = np.full(flat.size, np.nan)
    f0 = f(x) if method == "forward" else 0.0
    for i in idx:
        old = flat[i]
        try:
            flat[i] = old + h
            fp = f(x)
            if method == "centred":
                flat[i] = old - h
                fm = f(x)
                grad[i] = (fp - fm) / (2 * h)
            else:
                grad[i] = (fp - f0) / h
        finally:  # x is restored even when f raises
            flat[i] = old
    return grad.reshape(x.shape)


@dataclass
class GradCheck:
    """Result of :func:`check_gradients`: max relative error per parameter, values compared.

    >>> r = GradCheck("full", {"W": 1e-9, "b": 3e-8})
    >>> r.max_error, r.passed(1e-7), r.passed(1e-8)
    (3e-08, True, False)
    """

    mode: str
    rel_errors: dict[str, float]
    #: per parameter: the analytic and numerical values that were compared
    compared: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    @property
    def max_error(self) -> float:
        """The largest relative error over all parameters (0 if none).

        >>> GradCheck("full", {}).max_error
        0.0
        """
        return max(self.rel_errors.values(), default=0.0)

    def passed(self, tol: float = 1e-7) -> bool:
        """Whether every relative error is below ``tol``.

        >>> GradCheck("full", {"W": 2e-7}).passed()
        False
        """
        return self.max_error < tol


def check_gradients(
    model: _Model,
    X: np.ndarray,
    y: np.ndarray,
    reg: float = 0.0,
    mode: Literal["full", "sampled", "direction"] = "full",
    h: float = 1e-5,
    method: Literal["centred", "forward"] = "centred",
    num_samples: int = 10,
    rng: np.random.Generator | int | None = None,
) -> GradCheck:
    """Compare ``model.loss(X, y, reg)``'s analytic gradients with finite differences.

    Parameters
    ----------
    model
        Anything with ``params`` and ``loss(X, y, reg) -> (loss, grads)``; the model
        must be deterministic (no dropout) for the check to mean anything.
    mode
        ``"full"``: every entry; ``"sampled"``: ``num_samples`` random entries per
        parameter; ``"direction"``: ``num_samples`` random unit directions per parameter
        (``num_samples`` must be at least 1: none would compare nothing).
    h, method
        Finite-difference step and scheme (see :func:`numerical_gradient`).
    rng
        Seed or generator for the sampled entries and directions.

    Examples
    --------
    >>> from backprop_book.numpy_nn.two_layer_net import toy_data, toy_model
    >>> X, y = toy_data()
    >>> res = check_gradients(toy_model(), X, y, reg=0.05)
    >>> res.passed(1e-8), sorted(res.rel_errors)
    (True, ['W1', 'W2', 'b1', 'b2'])
    """
    if mode not in ("full", "sampled", "direction"):
        raise ValueError(f"expected mode 'full', 'sampled' or 'direction', got {mode!r}")
    _check_step(h, method)
    if mode != "full":
        _check_count(num_samples, "num_samples")
    if not (isinstance(reg, int | float | np.floating) and np.isfinite(reg) and reg >= 0):
        raise ValueError(f"expected a finite reg >= 0, got {reg!r}")
    _check_model(model)
    for name, p in model.params.items():
        _check_array(p, f"params[{name!r}]")
    gen = np.random.default_rng(rng)
    _, grads = cast(tuple[float, dict[str, np.ndarray]], model.loss(X, y, reg=reg))
    missing = sorted(set(model.params) - set(grads))
    if missing:
        raise ValueError(f"expected a gradient for every parameter; loss() gave none for {missing}")
    for name, p in model.params.items():
        if np.shape(grads[name]) != p.shape:
            raise ValueError(
                f"expected the gradient of {name} to have the parameter's shape {p.shape}, "
                f"got {np.shape(grads[name])}"
            )

    def f(_: np.ndarray) -> float:
        return float(cast(tuple[float, Any], model.loss(X, y, reg=reg))[0])

    out = GradCheck(mode=mode, rel_errors={})
    for name, p in model.params.items():
        g = grads[name]
        if mode == "direction":
            a, n = directional_check(
                f, p, g, num_directions=num_samples, h=h, method=method, rng=gen
            )
        else:
            index = (
                None
                if mode == "full"
                else gen.choice(p.size, size=min(num_samples, p.size), replace=False)
            )
            num = numerical_gradient(f, p, h=h, method=method, index=index)
            sel = np.arange(p.size) if index is None else index
            a, n = g.reshape(-1)[sel], num.reshape(-1)[sel]
        out.rel_errors[name] = rel_error(a, n)
        out.compared[name] = (np.asarray(a), np.asarray(n))
    return out


def directional_check(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    grad: np.ndarray,
    num_directions: int = 5,
    h: float = 1e-5,
    method: Literal["centred", "forward"] = "centred",
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Directional derivatives :math:`\\nabla f \\cdot v` versus finite differences along ``v``.

    Returns the analytic and numerical values, one per random direction;
    ``x`` is perturbed in place and restored.

    >>> x = np.array([1.0, -2.0, 0.5])
    >>> a, n = directional_check(lambda v: float(v @ v), x, 2 * x, num_directions=3, rng=0)
    >>> rel_error(a, n) < 1e-9
    True
    """
    _check_callable(f, "f")
    _check_array(x, "x")
    _check_step(h, method)
    num_directions = _check_count(num_directions, "num_directions")
    grad = np.asarray(grad)
    if grad.shape != x.shape:
        raise ValueError(f"expected grad of the shape of x {x.shape}, got {grad.shape}")
    gen = np.random.default_rng(rng)
    analytic = np.empty(num_directions)
    numeric = np.empty(num_directions)
    x0 = x.copy()
    try:
        for k in range(num_directions):
            v = gen.standard_normal(x.shape)
            v /= np.linalg.norm(v)
            analytic[k] = float(np.sum(grad * v))
            x[...] = x0 + h * v
            fp = f(x)
            if method == "centred":
                x[...] = x0 - h * v
                numeric[k] = (fp - f(x)) / (2 * h)
            else:
                x[...] = x0
                numeric[k] = (fp - f(x)) / h
    finally:  # x is restored even when f raises
        x[...] = x0
    return analytic, numeric
