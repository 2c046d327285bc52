"""A minimal scalar autograd engine: the seed that Part III grows into the real one.

One class, :class:`Value`, holds a number (``data``), its gradient (``grad``), the
values it was computed from and a small function that sends its gradient back to
them. Each op builds its output and attaches that local backward, which *adds*
into the inputs' gradients (a value used twice receives two contributions). Only
addition, multiplication, powers by a number, :math:`e^x`, :math:`\\log x` and
ReLU have derivatives written by hand; negation, subtraction and division are
built from them. :meth:`Value.backward` visits the values in an order found
without recursion (:func:`backward_order`), so a chain of any depth works.

The design follows micrograd's ``Value``; the real engine
(:mod:`backprop_book.autograd.core`) keeps the same idea for arrays, with the
ops as classes instead of closures. :func:`elementwise` turns a function of
values into NumPy functions on arrays, so that a scalar op can be graded by
:func:`backprop_book.grading.check_backward`.

>>> a, b, c = Value(2.0), Value(-3.0), Value(10.0)
>>> y = a * b + c
>>> y.backward()
>>> y.data, a.grad, b.grad, c.grad
(4.0, -3.0, 2.0, 1.0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Value", "backward_order", "elementwise"]


def _no_backward() -> None:
    """The local backward of a leaf: nothing to send further."""


def _values(prev: Any) -> tuple[Value, ...]:
    """``prev`` as a tuple of values, or a TypeError naming what arrived."""
    prev = tuple(prev)
    for p in prev:
        if not isinstance(p, Value):
            raise TypeError(f"expected prev to hold Values, got {type(p).__name__}")
    return prev


def _real(x: Any, what: str) -> float:
    """``x`` as a float, or a TypeError naming what arrived."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"expected {what} to be a real number, got {type(x).__name__} {x!r}")
    return float(x)


class Value:
    """A scalar in the computation graph, with its gradient.

    Parameters
    ----------
    data
        The number (an ``int`` or ``float``; stored as ``float``).
    prev, op
        The values this one was computed from, and the op's name; an op sets
        them, and sets ``_backward``, the function that sends ``grad`` back to
        ``prev``. A leaf has neither.
    label
        An optional name, shown by ``repr``.

    Notes
    -----
    After ``y.backward()``, ``x.grad`` holds :math:`\\partial y / \\partial x` for
    every value :math:`x` that :math:`y` depends on. Leaves (values that no op
    produced) *accumulate* their gradient over backward calls, as torch's leaves
    do; set ``x.grad = 0.0`` to start again.

    Examples
    --------
    >>> x = Value(3.0, label="x")
    >>> y = x * x + x
    >>> y.backward(); x.grad
    7.0
    """

    __slots__ = ("_backward", "_prev", "data", "grad", "label", "op")

    def __init__(
        self, data: float, prev: tuple[Value, ...] = (), op: str = "", label: str = ""
    ) -> None:
        self.data = _real(data, "data")
        self.grad = 0.0
        self._prev = _values(prev)  # the values this one was computed from
        self.op = op  # the op that computed it ("" for a leaf)
        self._backward: Callable[[], None] = _no_backward  # set by that op
        self.label = label

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:g}, grad={self.grad:g}{label})"

    # -- the ops whose derivatives are written by hand ---------------------------------
    def __add__(self, other: Value | float) -> Value:
        """:math:`c = a + b`: :math:`\\bar a \\mathrel{+}= \\bar c`, :math:`\\bar b \\mathrel{+}= \\bar c`.

        >>> (Value(1.0) + 2).data
        3.0
        """
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        """:math:`c = a b`: :math:`\\bar a \\mathrel{+}= b \\bar c`, :math:`\\bar b \\mathrel{+}= a \\bar c`.

        >>> (Value(3.0) * 2).data
        6.0
        """
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k: float) -> Value:
        """:math:`c = a^k` for a number :math:`k`: :math:`\\bar a \\mathrel{+}= k a^{k-1} \\bar c`.

        >>> (Value(3.0) ** 2).data
        9.0
        """
        k = _real(k, "the exponent")
        out = Value(self.data**k, (self,), f"**{k:g}")

        def _backward() -> None:
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        """:math:`c = e^a`: :math:`\\bar a \\mathrel{+}= e^a \\bar c = c\\, \\bar c`.

        >>> Value(0.0).exp().data
        1.0
        """
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        """:math:`c = \\log a` for :math:`a > 0`: :math:`\\bar a \\mathrel{+}= \\bar c / a`.

        >>> Value(1.0).log().data
        0.0
        """
        if self.data <= 0:
            raise ValueError(f"log: expected a positive value, got {self.data!r}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """:math:`c = \\max(a, 0)`: :math:`\\bar a \\mathrel{+}= [a > 0]\\, \\bar c`.

        >>> Value(-2.0).relu().data, Value(2.0).relu().data
        (0.0, 2.0)
        """
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward() -> None:
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    # -- the ops built from the ones above --------------------------------------------
    def __neg__(self) -> Value:  # -a
        return self * -1

    def __sub__(self, other: Value | float) -> Value:  # a - b
        return self + (-other)

    def __truediv__(self, other: Value | float) -> Value:  # a / b
        return self * _as_value(other) ** -1

    def __radd__(self, other: float) -> Value:  # 2 + a
        return self + other

    def __rsub__(self, other: float) -> Value:  # 2 - a
        return _as_value(other) + (-self)

    def __rmul__(self, other: float) -> Value:  # 2 * a
        return self * other

    def __rtruediv__(self, other: float) -> Value:  # 2 / a
        return _as_value(other) * self**-1

    # -- the backward pass -----------------------------------------------------------
    def backward(self) -> None:
        """Set ``v.grad`` to :math:`\\partial y / \\partial v` for every value ``v`` below ``y = self``.

        Computed values start from 0 and ``y`` from 1; each value's local backward
        runs after those of all values computed from it. Leaves add to the gradient
        they already hold.

        >>> x = Value(2.0); y = x * x; y.backward(); x.grad
        4.0
        >>> y.backward(); x.grad  # a leaf accumulates
        8.0
        """
        order = backward_order(self)
        for v in order:
            if v._prev:
                v.grad = 0.0
        self.grad = 1.0
        for v in order:
            v._backward()


def _as_value(x: Value | float) -> Value:
    """``x`` if it is a :class:`Value`, else a new leaf holding the number ``x``."""
    return x if isinstance(x, Value) else Value(_real(x, "the other operand"))


def backward_order(root: Value) -> list[Value]:
    """Every value that ``root`` depends on, ``root`` first, each after all values made from it.

    Kahn's algorithm, run backwards from ``root``, with no recursion (so any depth
    works): count how many times each value is used, then hand a value out only
    when every use of it has been handed out.

    >>> a = Value(1.0); b = a * 2; c = b + a
    >>> [v.op or "leaf" for v in backward_order(c)]
    ['+', '*', 'leaf', 'leaf']
    """
    uses: dict[Value, int] = {}  # how many times each value is an input below root
    stack, seen = [root], {root}
    while stack:
        for child in stack.pop()._prev:
            uses[child] = uses.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    order, ready = [], [root]
    while ready:
        v = ready.pop()
        order.append(v)
        for child in v._prev:
            uses[child] -= 1
            if uses[child] == 0:  # every value made from it has been handed out
                ready.append(child)
    return order


def elementwise(
    fn: Callable[..., Value],
) -> tuple[Callable[..., np.ndarray], Callable[..., tuple[np.ndarray, ...] | np.ndarray]]:
    """NumPy ``forward`` and ``backward`` functions that apply ``fn`` element by element.

    ``fn`` takes :class:`Value` keyword arguments and returns a :class:`Value`.
    ``forward(**arrays)`` evaluates it at each index of the (equally shaped)
    arrays; ``backward(upstream, **arrays)`` returns, for each argument in order,
    :math:`\\bar x_k = \\bar y_k\\, \\partial f / \\partial x \\,(\\text{index } k)`,
    one array per argument (a single array when there is one). This is the form
    :func:`backprop_book.grading.check_backward` grades.

    >>> forward, backward = elementwise(lambda x, y: x * y + x)
    >>> forward(x=np.array([1.0, 2.0]), y=np.array([3.0, 4.0]))
    array([ 4., 10.])
    >>> backward(np.ones(2), x=np.array([1.0, 2.0]), y=np.array([3.0, 4.0]))
    (array([4., 5.]), array([1., 2.]))
    """
    if not callable(fn):
        raise TypeError(f"expected a function of Values, got {type(fn).__name__}")

    def arrays(inputs: dict[str, Any]) -> dict[str, np.ndarray]:
        out = {name: np.asarray(a, dtype=np.float64) for name, a in inputs.items()}
        shapes = {a.shape for a in out.values()}
        if len(shapes) > 1:
            got = ", ".join(f"{n} {a.shape}" for n, a in out.items())
            raise ValueError(f"expected arrays of one shape, got {got}")
        return out

    def run(inputs: dict[str, np.ndarray], idx: tuple[int, ...]) -> tuple[Value, dict]:
        values = {name: Value(float(a[idx])) for name, a in inputs.items()}
        out = fn(**values)
        if not isinstance(out, Value):
            raise TypeError(f"expected fn to return a Value, got {type(out).__name__}")
        return out, values

    def forward(**inputs: Any) -> np.ndarray:
        xs = arrays(inputs)
        shape = next(iter(xs.values())).shape if xs else ()
        y = np.empty(shape)
        for idx in np.ndindex(shape):
            y[idx] = run(xs, idx)[0].data
        return y

    def backward(upstream: Any, **inputs: Any) -> tuple[np.ndarray, ...] | np.ndarray:
        xs = arrays(inputs)
        shape = next(iter(xs.values())).shape if xs else ()
        g = np.broadcast_to(np.asarray(upstream, dtype=np.float64), shape)
        grads = {name: np.zeros(shape) for name in xs}
        for idx in np.ndindex(shape):
            out, values = run(xs, idx)
            out.backward()
            for name, v in values.items():
                grads[name][idx] = g[idx] * v.grad
        result = tuple(grads.values())
        return result[0] if len(result) == 1 else result

    return forward, backward
