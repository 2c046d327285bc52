"""Derivatives as sensitivities, a worked scalar circuit and the gates' backward rules.

The functions work on plain numbers and on NumPy arrays alike (elementwise), so that
:func:`backprop_book.grading.check_backward` can grade them and a student's versions
of them.  Each backward function takes the upstream gradient first,
``backward(G, *inputs)`` (the notation page's :math:`G = \\partial L / \\partial C`), and returns one gradient per input.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Nudge",
    "add_backward",
    "circuit",
    "circuit_backward",
    "copy_backward",
    "max_backward",
    "mul_backward",
    "nudge",
]


@dataclass(frozen=True)
class Nudge:
    """What a nudge of one input did to a function's output.

    Attributes
    ----------
    name
        The input that was nudged.
    h
        The size of the nudge.
    before, after
        The output at the inputs, and with ``name`` moved by ``h``.
    slope
        :math:`(f(\\dots, v + h, \\dots) - f(\\dots, v, \\dots)) / h`, which tends to
        the partial derivative :math:`\\partial f / \\partial v` as :math:`h \\to 0`.
    """

    name: str
    h: float
    before: float
    after: float
    slope: float


def nudge(f: Callable[..., Any], inputs: Mapping[str, float], name: str, h: float = 1e-4) -> Nudge:
    """Move the input ``name`` by ``h`` and measure how much ``f`` moves, per unit of nudge.

    :math:`\\text{slope} = (f(v + h) - f(v)) / h \\approx \\partial f / \\partial v`.

    Parameters
    ----------
    f
        A function of keyword arguments returning a number.
    inputs
        The point: a value for every argument of ``f``.
    name
        Which input to nudge.
    h
        The nudge (a small nonzero number).

    Examples
    --------
    >>> d = lambda a, b, c: a * b + c
    >>> n = nudge(d, {"a": 2.0, "b": -3.0, "c": 10.0}, "a")
    >>> n.before, round(n.after, 6), round(n.slope, 6)
    (4.0, 3.9997, -3.0)
    """
    if not callable(f):
        raise TypeError(f"expected a function f, got {type(f).__name__}")
    if name not in inputs:
        raise ValueError(f"expected name to be one of the inputs {sorted(inputs)}, got {name!r}")
    if not (isinstance(h, int | float) and math.isfinite(h) and h != 0):
        raise ValueError(f"expected a finite nonzero nudge h, got {h!r}")
    before = float(f(**inputs))
    moved = dict(inputs)
    moved[name] = moved[name] + h
    after = float(f(**moved))
    return Nudge(name, float(h), before, after, (after - before) / h)


def circuit(x: Any, y: Any, z: Any) -> Any:
    """The circuit :math:`f = (x + y)\\, z`: an add gate feeding a multiply gate.

    >>> circuit(-2.0, 5.0, -4.0)
    -12.0
    """
    q = x + y
    return q * z


def circuit_backward(G: Any, x: Any, y: Any, z: Any) -> tuple[Any, Any, Any]:
    """Backward pass of :func:`circuit`: the chain rule, one gate at a time.

    With :math:`q = x + y` and upstream gradient :math:`G = \\partial L / \\partial f`:
    :math:`\\bar q = G\\, z`, :math:`\\bar z = G\\, q` (multiply: each input gets the
    other's value), then :math:`\\bar x = \\bar y = \\bar q` (add: the gradient passes
    through unchanged).

    >>> circuit_backward(1.0, -2.0, 5.0, -4.0)
    (-4.0, -4.0, 3.0)
    """
    q = x + y  # the forward value that the multiply gate's backward needs
    dq, dz = mul_backward(G, q, z)
    dx, dy = add_backward(dq, x, y)
    return dx, dy, dz


def add_backward(G: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """Add gate :math:`c = a + b`: both inputs get the upstream gradient unchanged.

    :math:`\\partial c / \\partial a = \\partial c / \\partial b = 1`, so
    :math:`\\bar a = \\bar b = G`: the add gate *routes* (distributes) its gradient.

    >>> add_backward(2.0, 7.0, -1.0)
    (2.0, 2.0)
    """
    return G, G


def mul_backward(G: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """Multiply gate :math:`c = a b`: each input gets the *other* input times ``G``.

    :math:`\\bar a = G\\, b` and :math:`\\bar b = G\\, a`: the multiply gate *swaps*
    its inputs' values into the gradients.

    >>> mul_backward(2.0, 3.0, -4.0)
    (-8.0, 6.0)
    """
    return G * b, G * a


def max_backward(G: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """Max gate :math:`c = \\max(a, b)`: the gradient goes to the larger input only.

    :math:`\\bar a = G\\, [a > b]`, :math:`\\bar b = G\\, [b > a]`: the max gate
    *selects*.  At a tie the derivative is not defined; each input gets half, as the
    engine's ``max`` and torch's ``maximum`` do.

    >>> max_backward(5.0, 2.0, -1.0)
    (5.0, 0.0)
    >>> max_backward(5.0, 1.0, 1.0)
    (2.5, 2.5)
    """
    share = np.where(a > b, 1.0, np.where(a < b, 0.0, 0.5))
    ga, gb = G * share, G * (1.0 - share)
    if np.ndim(ga) == 0:
        return float(ga), float(gb)
    return ga, gb


def copy_backward(*gs: Any) -> Any:
    """Copy (a value used by several gates): its gradient is the *sum* of theirs.

    If :math:`v` feeds gates that hand back :math:`g_1, \\dots, g_k`, then
    :math:`\\bar v = g_1 + \\dots + g_k`: each use is a path from :math:`v` to the
    output, and the multivariable chain rule adds the paths.

    >>> copy_backward(4.0, -6.0)
    -2.0
    """
    if not gs:
        raise ValueError("expected the gradients of at least one use, got none")
    total = gs[0]
    for g in gs[1:]:
        total = total + g
    return total
