"""A numeric grader for a student's backward function, shared by every part's exercises.

Part I grades symbolic claims with sympy (:mod:`backprop_book.symbolic.checker`). Most
exercises of the other parts ask for NumPy code instead: a ``backward`` function that,
given the upstream gradient :math:`G = \\partial L / \\partial y` of a forward function
:math:`y = f(x_1, \\dots, x_n)`, returns :math:`\\partial L / \\partial x_k` for every
input.  :func:`check_backward` grades such a function against central finite
differences of the scalar :math:`\\phi(x_1, \\dots, x_n) = \\sum_j G_j\\, f(x)_j`,
whose gradient with respect to :math:`x_k` is exactly what ``backward`` must return.

The grader always answers: a wrong shape, a missing gradient, an exception or a NaN in
the student's code gives a :class:`Grade` that says *wrong* and why; only a mistake of
the caller (an argument that is not a function, inputs that are not numbers, an
upstream gradient of the wrong shape) raises an error.  A wrong gradient is reported
with the input, the index and both values, and nothing more: the grade never says what
the fix is.

The module imports NumPy only, so that every part may use it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backprop_book.metrics import rel_error

__all__ = ["MAX_ELEMENTS", "Grade", "check_backward", "numerical_gradient"]

#: The most input elements :func:`check_backward` differentiates numerically: each one
#: costs two calls of the forward function.
MAX_ELEMENTS = 20_000


@dataclass(frozen=True)
class Grade:
    """The grader's answer: right or wrong, and where a wrong gradient first differs.

    ``bool(grade)`` is :attr:`correct`; ``str(grade)`` is one line.

    Attributes
    ----------
    correct
        Whether every gradient matches finite differences.
    reason
        What was compared (right) or what is wrong (the shape, an exception, a value).
    input, index
        For a wrong gradient value: the input's name and the index of the element.
    expected, got
        For a wrong gradient value: the finite-difference value and the student's.
    max_rel_error
        For a right answer: the largest relative error over all gradients
        (:func:`backprop_book.metrics.rel_error`).
    """

    correct: bool
    reason: str
    input: str | None = None
    index: tuple[int, ...] | None = None
    expected: float | None = None
    got: float | None = None
    max_rel_error: float | None = None

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return ("right: " if self.correct else "wrong: ") + self.reason


def _as_array(value: Any, what: str) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)  # a copy: the caller's array is never touched
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"check_backward: expected {what} to be a number or an array of numbers, "
            f"got {type(value).__name__}"
        ) from err
    return arr


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray | float, eps: float = 1e-6
) -> np.ndarray:
    """Central finite differences of a scalar function of one array.

    :math:`\\partial f / \\partial x_i \\approx (f(x + \\epsilon e_i) - f(x - \\epsilon e_i))
    / 2\\epsilon`, element by element, in float64; ``x`` itself is not changed.

    Examples
    --------
    >>> g = numerical_gradient(lambda v: float((v**2).sum()), np.array([1.0, -2.0]))
    >>> np.round(g, 6).tolist()
    [2.0, -4.0]
    """
    if not callable(f):
        raise TypeError(f"numerical_gradient: expected a function, got {type(f).__name__}")
    if not (isinstance(eps, int | float) and math.isfinite(eps) and eps > 0):
        raise ValueError(f"numerical_gradient: expected a positive finite eps, got {eps!r}")
    x = np.array(x, dtype=np.float64)
    if x.size > MAX_ELEMENTS:
        raise ValueError(
            f"numerical_gradient: expected at most {MAX_ELEMENTS} elements "
            f"(two calls of f each), got {x.size}"
        )
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = float(f(x))
        x[i] = old - eps
        down = float(f(x))
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _where(name: str, index: tuple[int, ...]) -> str:
    return f"the gradient of {name}" + (f" at index {index}" if index else "")


def check_backward(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    inputs: Mapping[str, Any] | Sequence[Any],
    *,
    upstream: Any = None,
    seed: int = 0,
    eps: float = 1e-6,
    rtol: float = 1e-4,
    atol: float = 1e-7,
) -> Grade:
    """Grade ``backward`` against finite differences of ``forward``.

    With upstream gradient :math:`G` of the output's shape, ``backward(G, ...)`` must
    return, for every input :math:`x_k`,
    :math:`\\partial \\phi / \\partial x_k` where :math:`\\phi = \\sum_j G_j f(x)_j`;
    an element is wrong when :math:`|g - \\hat g| > \\mathrm{atol} + \\mathrm{rtol}
    \\max(|g|, |\\hat g|)` (:math:`\\hat g` the central difference with step ``eps``).

    Parameters
    ----------
    forward
        ``forward(**inputs)`` (or ``forward(*inputs)``) returns an array or a number.
    backward
        ``backward(upstream, **inputs)`` (or positional) returns one gradient per input,
        as a tuple, or a single array when there is one input.
    inputs
        A mapping from names to arrays (the functions are called with keywords), or a
        sequence of arrays (called positionally; named ``x0``, ``x1``, ... in grades).
        The functions receive float64 copies.
    upstream
        :math:`G`; by default 1 for a scalar output and a standard normal array drawn
        with ``seed`` for any other output (a random :math:`G` catches more slips than
        ones).
    seed
        Seed of the default upstream gradient.
    eps, rtol, atol
        Finite-difference step and tolerances.

    Returns
    -------
    Grade
        Right, or wrong with the reason; for a wrong value the input, the index and
        both values.

    Raises
    ------
    TypeError, ValueError
        For a mistake of the caller: functions that are not callable, inputs that are
        not numbers, an upstream gradient of another shape than the output, more than
        :data:`MAX_ELEMENTS` input elements.

    Examples
    --------
    >>> W, x = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, -1.0])
    >>> f = lambda W, x: W @ x
    >>> good = lambda G, W, x: (np.outer(G, x), W.T @ G)
    >>> print(check_backward(f, good, {"W": W, "x": x}))  # doctest: +ELLIPSIS
    right: the gradients of W, x match finite differences (largest relative error ...)
    >>> bad = lambda G, W, x: (np.outer(x, G), W.T @ G)
    >>> grade = check_backward(f, bad, {"W": W, "x": x})
    >>> bool(grade), grade.input, grade.index
    (False, 'W', (1, 0))
    """
    if not callable(forward):
        raise TypeError(f"check_backward: expected forward to be a function, got {forward!r}")
    if not callable(backward):
        raise TypeError(f"check_backward: expected backward to be a function, got {backward!r}")
    if isinstance(inputs, Mapping):
        names = [str(k) for k in inputs]
        arrays = [_as_array(v, f"input {k!r}") for k, v in inputs.items()]
        keywords = True
    elif isinstance(inputs, Sequence) and not isinstance(inputs, str | bytes):
        names = [f"x{i}" for i in range(len(inputs))]
        arrays = [_as_array(v, f"input {i}") for i, v in enumerate(inputs)]
        keywords = False
    else:
        raise TypeError(
            "check_backward: expected inputs as a mapping of names to arrays or a sequence "
            f"of arrays, got {type(inputs).__name__}"
        )
    if not arrays:
        raise ValueError("check_backward: expected at least one input, got none")
    total = sum(a.size for a in arrays)
    if total > MAX_ELEMENTS:
        raise ValueError(
            f"check_backward: expected inputs of at most {MAX_ELEMENTS} elements in all "
            f"(two forward calls each), got {total}: grade on smaller inputs"
        )
    for tol, label in ((eps, "eps"), (rtol, "rtol"), (atol, "atol")):
        if not (isinstance(tol, int | float) and math.isfinite(tol) and tol >= 0):
            raise ValueError(f"check_backward: expected a finite {label} >= 0, got {tol!r}")
    if eps == 0:
        raise ValueError("check_backward: expected eps > 0, got 0")

    def call(fn: Callable[..., Any], *lead: Any, values: list[np.ndarray]) -> Any:
        copies = [v.copy() for v in values]
        if keywords:
            return fn(*lead, **dict(zip(names, copies, strict=True)))
        return fn(*lead, *copies)

    try:
        out = np.asarray(call(forward, values=arrays), dtype=np.float64)
    except Exception as err:  # the forward may be the student's too: answer, don't raise
        return Grade(False, f"the forward function raised {type(err).__name__}: {err}")
    if not np.all(np.isfinite(out)):
        return Grade(False, "the forward function gives values that are not finite")
    if upstream is None:
        G = np.ones(()) if out.ndim == 0 else np.random.default_rng(seed).standard_normal(out.shape)
    else:
        G = _as_array(upstream, "upstream")
        if G.shape != out.shape:
            raise ValueError(
                f"check_backward: expected upstream of the output's shape {out.shape}, "
                f"got shape {G.shape}"
            )

    try:
        grads = call(backward, G.copy(), values=arrays)
    except Exception as err:
        return Grade(False, f"your backward raised {type(err).__name__}: {err}")
    if len(arrays) == 1 and not isinstance(grads, tuple | list):
        grads = (grads,)
    if not isinstance(grads, tuple | list) or len(grads) != len(arrays):
        count = len(grads) if isinstance(grads, tuple | list) else "one value"
        return Grade(
            False,
            f"expected {len(arrays)} gradients (one for each of {', '.join(names)}), got {count}",
        )
    student = []
    for name, arr, g in zip(names, arrays, grads, strict=True):
        try:
            g = np.asarray(g, dtype=np.float64)
        except (TypeError, ValueError):
            return Grade(False, f"the gradient of {name} is not an array of numbers", input=name)
        if g.shape != arr.shape:
            return Grade(
                False,
                f"expected the gradient of {name} with shape {arr.shape} (the shape of "
                f"{name}), got shape {g.shape}",
                input=name,
            )
        if not np.all(np.isfinite(g)):
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(g))[0])
            return Grade(
                False, f"{_where(name, index)} is not finite ({g[index]})", input=name, index=index
            )
        student.append(g)

    def phi(k: int, xk: np.ndarray) -> float:
        values = [xk if j == k else a for j, a in enumerate(arrays)]
        return float(np.sum(G * np.asarray(call(forward, values=values), dtype=np.float64)))

    worst = 0.0
    for k, (name, arr, g) in enumerate(zip(names, arrays, student, strict=True)):
        try:
            expected = numerical_gradient(functools.partial(phi, k), arr, eps)
        except Exception as err:
            return Grade(False, f"the forward function raised {type(err).__name__}: {err}")
        excess = np.abs(g - expected) - (atol + rtol * np.maximum(np.abs(g), np.abs(expected)))
        if np.any(excess > 0):
            index = tuple(int(i) for i in np.unravel_index(np.argmax(excess), arr.shape))
            return Grade(
                False,
                f"{_where(name, index)}: finite differences give {_fmt(expected[index])}, "
                f"your backward gives {_fmt(g[index])}",
                input=name,
                index=index,
                expected=float(expected[index]),
                got=float(g[index]),
            )
        worst = max(worst, rel_error(g, expected))
    return Grade(
        True,
        f"the gradients of {', '.join(names)} match finite differences "
        f"(largest relative error {worst:.1e})",
        max_rel_error=worst,
    )
