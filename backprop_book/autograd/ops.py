"""The ops: each a forward and its vector-Jacobian product, plus torch-like functions.

Every op is an :class:`~backprop_book.autograd.core.Op` subclass with a static
``forward(context, *inputs, **kwargs)`` on NumPy arrays and a static
``backward(context, goutput)`` returning the gradient of each input. The binary
elementwise ops broadcast like NumPy; their backward sums the output gradient
back down to each input's shape (:func:`unbroadcast`).

The lower-case functions (``add``, ``relu``, ``softmax``, ``sum``, ``max``, ...) are
the public interface, named like torch's; each calls ``Op.do_forward``. The same
functions are attached to :class:`~backprop_book.autograd.core.TensorNode` as its
Python operators and methods (:data:`TENSOR_METHODS`: ``x + y``, ``x.relu()``,
``x.max(axis=1)``). The comparisons (``lt``, ``le``, ``gt``, ``ge``, ``eq``, ``ne``,
and ``<``, ``==``, ...) return constant nodes of booleans, without a gradient.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from backprop_book.autograd.core import Op, TensorNode, as_node

__all__ = [
    "TENSOR_METHODS",
    "Add",
    "Div",
    "Exp",
    "Expand",
    "Log",
    "LogSoftmax",
    "MatMul",
    "Max",
    "Maximum",
    "Mean",
    "Mul",
    "Neg",
    "Normalize",
    "Pow",
    "Prod",
    "ReLU",
    "Reshape",
    "Select",
    "Sigmoid",
    "Softmax",
    "Sub",
    "Sum",
    "Tanh",
    "Transpose",
    "add",
    "div",
    "eq",
    "exp",
    "expand",
    "ge",
    "gt",
    "le",
    "log",
    "log_softmax",
    "lt",
    "matmul",
    "max",
    "maximum",
    "mean",
    "mul",
    "ne",
    "neg",
    "normalize",
    "pow",
    "prod",
    "relu",
    "reshape",
    "select",
    "sigmoid",
    "softmax",
    "sub",
    "sum",
    "tanh",
    "transpose",
    "unbroadcast",
]

Array = np.ndarray
Axis = int | tuple[int, ...] | None


def unbroadcast(g: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``g`` down to ``shape``, undoing NumPy broadcasting.

    If :math:`y = f(\\operatorname{broadcast}(x))`, each element of :math:`x`
    was used once per copy, so :math:`\\bar x` sums :math:`\\bar y` over the
    broadcast axes: the leading axes that ``shape`` lacks and the axes where
    ``shape`` has size 1.

    >>> unbroadcast(np.ones((4, 2, 3)), (2, 1))
    array([[12.],
           [12.]])
    """
    _check_unbroadcast(g, shape)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _check_unbroadcast(g: Array, shape: tuple[int, ...]) -> None:
    """Refuse a gradient that no broadcast of ``shape`` could have produced."""
    shape_g = getattr(g, "shape", None)
    if shape_g is None:
        raise TypeError(f"unbroadcast: expected a gradient array, got {type(g).__name__}")
    try:
        fits = np.broadcast_shapes(tuple(shape), shape_g) == shape_g
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"unbroadcast: a gradient of shape {shape_g} cannot come from broadcasting "
            f"shape {tuple(shape)}"
        )


def _broadcast_shape(op: str, a: Array, b: Array) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together "
            "(NumPy rules: trailing dimensions must be equal or 1)"
        ) from None


def _float(x: Array) -> Array:
    """Integer inputs of float ops compute in float64."""
    return x if np.issubdtype(x.dtype, np.inexact) else x.astype(np.float64)


# --------------------------------------------------------------------------- binary ops
class Add(Op):
    """:math:`C = A + B` (broadcasting).

    :math:`\\bar A = \\bar C`, :math:`\\bar B = \\bar C` (summed to shape).

    >>> add(TensorNode([1.0, 2.0]), 3.0).value
    array([4., 5.])
    """

    @staticmethod
    def forward(context: dict[str, Any], a: Array, b: Array) -> Array:
        _broadcast_shape("add", a, b)
        context["shapes"] = (a.shape, b.shape)
        return a + b

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> tuple[Array, Array]:
        sa, sb = context["shapes"]
        return unbroadcast(goutput, sa), unbroadcast(goutput, sb)


class Sub(Op):
    """:math:`C = A - B`; :math:`\\bar A = \\bar C`, :math:`\\bar B = -\\bar C`.

    >>> sub(1.0, TensorNode([1.0, 2.0])).value
    array([ 0., -1.])
    """

    @staticmethod
    def forward(context: dict[str, Any], a: Array, b: Array) -> Array:
        _broadcast_shape("sub", a, b)
        context["shapes"] = (a.shape, b.shape)
        return a - b

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> tuple[Array, Array | None]:
        sa, sb = context["shapes"]
        need_b = context["needs_input_grad"][1]
        return unbroadcast(goutput, sa), (unbroadcast(-goutput, sb) if need_b else None)


class Mul(Op):
    """:math:`C = A \\odot B`.

    :math:`\\bar A = \\bar C \\odot B`, :math:`\\bar B = \\bar C \\odot A`.

    >>> mul(TensorNode([1.0, 2.0]), TensorNode([[3.0], [4.0]])).value
    array([[3., 6.],
           [4., 8.]])
    """

    @staticmethod
    def forward(context: dict[str, Any], a: Array, b: Array) -> Array:
        _broadcast_shape("mul", a, b)
        context["a"], context["b"] = a, b
        return a * b

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> tuple[Array | None, Array | None]:
        a, b = context["a"], context["b"]
        need_a, need_b = context["needs_input_grad"]
        ga = unbroadcast(goutput * b, a.shape) if need_a else None
        gb = unbroadcast(goutput * a, b.shape) if need_b else None
        return ga, gb


class Div(Op):
    """:math:`C = X / Y`.

    :math:`\\bar X = \\bar C / Y`, :math:`\\bar Y = -\\bar C \\odot X / Y^2` (question 1).

    >>> x, y = TensorNode([1.0, 2.0]), TensorNode([4.0, 8.0])
    >>> c = div(x, y); c.backward(np.ones(2)); x.grad, y.grad
    (array([0.25 , 0.125]), array([-0.0625 , -0.03125]))
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array, y: Array) -> Array:
        _broadcast_shape("div", x, y)
        context["x"], context["y"] = x, y
        return x / y

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> tuple[Array | None, Array | None]:
        x, y = context["x"], context["y"]
        need_x, need_y = context["needs_input_grad"]
        gx = unbroadcast(goutput / y, x.shape) if need_x else None
        gy = unbroadcast(-goutput * x / (y * y), y.shape) if need_y else None
        return gx, gy


class Pow(Op):
    """:math:`C = X^Y`.

    :math:`\\bar X = \\bar C\\, Y X^{Y-1}`, :math:`\\bar Y = \\bar C\\, X^Y \\log X`.

    The exponent's gradient is computed only when the exponent needs one (then
    :math:`X` must be positive).

    >>> x = TensorNode([2.0, 3.0]); c = (x ** 2).sum(); c.backward(); x.grad
    array([4., 6.])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array, y: Array) -> Array:
        _broadcast_shape("pow", x, y)
        x = _float(x)
        out = np.power(x, y)
        context["x"], context["y"], context["out"] = x, y, out
        return out

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> tuple[Array | None, Array | None]:
        x, y, out = context["x"], context["y"], context["out"]
        need_x, need_y = context["needs_input_grad"]
        gx = unbroadcast(goutput * y * np.power(x, y - 1), x.shape) if need_x else None
        gy = unbroadcast(goutput * out * np.log(x), y.shape) if need_y else None
        return gx, gy


class MatMul(Op):
    """:math:`C = X W`: a matrix product, batched over leading axes like ``torch.matmul``.

    :math:`\\bar X = \\bar C W^T`, :math:`\\bar W = X^T \\bar C` (question 3); with
    leading (batch) axes the products are taken per batch entry and each gradient
    is summed over the batch axes its input was broadcast along.  A 1-D ``X`` is a
    row vector and a 1-D ``W`` a column vector, their added axis dropped again.

    >>> x = TensorNode(np.ones((2, 3))); w = TensorNode(np.arange(6.0).reshape(3, 2))
    >>> c = matmul(x, w); c.value
    array([[6., 9.],
           [6., 9.]])
    >>> matmul(TensorNode(np.ones((4, 2, 3))), w).shape
    (4, 2, 2)
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array, w: Array) -> Array:
        k_x = x.shape[-1] if x.ndim else None
        k_w = (w.shape[-2] if w.ndim >= 2 else w.shape[0]) if w.ndim else None
        if x.ndim == 0 or w.ndim == 0 or k_x != k_w:
            raise ValueError(
                f"matmul: expected (..., n, k) @ (..., k, m) with the same k, got shapes "
                f"{x.shape} and {w.shape}"
            )
        try:
            out = np.matmul(x, w)
        except ValueError:
            raise ValueError(
                f"matmul: the batch axes of shapes {x.shape} and {w.shape} cannot be broadcast "
                "together"
            ) from None
        context["x"], context["w"] = x, w
        return out

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> tuple[Array | None, Array | None]:
        x, w = context["x"], context["w"]
        need_x, need_w = context["needs_input_grad"]
        if x.ndim == 2 and w.ndim == 2:
            gx = goutput @ w.T if need_x else None
            gw = None
            if need_w:
                # W^T of a Linear layer arrives as an F-ordered view; computing (C^T X)^T gives
                # its gradient in the same layout, so after Transpose.backward the parameter's
                # gradient is C-ordered like the parameter (faster optimizer updates).
                gw = (
                    (goutput.T @ x).T
                    if w.flags.f_contiguous and not w.flags.c_contiguous
                    else x.T @ goutput
                )
            return gx, gw
        x2 = x[None, :] if x.ndim == 1 else x
        w2 = w[:, None] if w.ndim == 1 else w
        batch = np.broadcast_shapes(x2.shape[:-2], w2.shape[:-2])
        g2 = goutput.reshape((*batch, x2.shape[-2], w2.shape[-1]))  # the 1-D axes put back
        gx = (
            unbroadcast(g2 @ np.swapaxes(w2, -1, -2), x2.shape).reshape(x.shape) if need_x else None
        )
        gw = (
            unbroadcast(np.swapaxes(x2, -1, -2) @ g2, w2.shape).reshape(w.shape) if need_w else None
        )
        return gx, gw


class Maximum(Op):
    """:math:`C = \\max(A, B)` elementwise (broadcasting), torch's ``maximum``.

    The gradient goes to the larger input; where they are equal each gets half,
    as in torch: :math:`\\bar A = \\bar C\\,([A > B] + \\tfrac12 [A = B])` and
    :math:`\\bar B = \\bar C\\,([B > A] + \\tfrac12 [A = B])` (summed to shape).

    >>> a, b = TensorNode([1.0, 5.0, 2.0]), TensorNode([3.0, 4.0, 2.0])
    >>> c = maximum(a, b); c.value
    array([3., 5., 2.])
    >>> c.backward(np.ones(3)); a.grad, b.grad
    (array([0. , 1. , 0.5]), array([1. , 0. , 0.5]))
    """

    @staticmethod
    def forward(context: dict[str, Any], a: Array, b: Array) -> Array:
        _broadcast_shape("maximum", a, b)
        context["a"], context["b"] = a, b
        return np.maximum(a, b)

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> tuple[Array | None, Array | None]:
        a, b = context["a"], context["b"]
        need_a, need_b = context["needs_input_grad"]
        half = 0.5 * (a == b)
        ga = unbroadcast(goutput * ((a > b) + half), a.shape) if need_a else None
        gb = unbroadcast(goutput * ((b > a) + half), b.shape) if need_b else None
        return ga, gb


# --------------------------------------------------------------------------- unary ops
class Neg(Op):
    """:math:`C = -X`; :math:`\\bar X = -\\bar C`.

    >>> neg(TensorNode([1.0, -2.0])).value
    array([-1.,  2.])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array) -> Array:
        return -x

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        return -goutput


class Exp(Op):
    """:math:`C = e^X`; :math:`\\bar X = \\bar C \\odot e^X` (question 2 with :math:`f = \\exp`).

    >>> exp(TensorNode([0.0])).value
    array([1.])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array) -> Array:
        out = np.exp(_float(x))
        context["out"] = out
        return out

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        return goutput * context["out"]


class Log(Op):
    """:math:`C = \\log X`; :math:`\\bar X = \\bar C / X`.

    >>> log(TensorNode([1.0])).value
    array([0.])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array) -> Array:
        x = _float(x)
        context["x"] = x
        return np.log(x)

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        return goutput / context["x"]


class Sigmoid(Op):
    """:math:`C = \\sigma(X) = 1/(1+e^{-X})`; :math:`\\bar X = \\bar C \\odot C (1 - C)`.

    Computed stably: :math:`e^{x}/(1+e^{x})` for negative :math:`x`.

    >>> sigmoid(TensorNode([0.0, -1000.0])).value
    array([0.5, 0. ])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array) -> Array:
        x = _float(x)
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        context["out"] = out
        return out

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        s = context["out"]
        return goutput * s * (1 - s)


class Tanh(Op):
    """:math:`C = \\tanh X`; :math:`\\bar X = \\bar C \\odot (1 - C^2)`.

    >>> tanh(TensorNode([0.0])).value
    array([0.])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array) -> Array:
        out = np.tanh(_float(x))
        context["out"] = out
        return out

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        t = context["out"]
        return goutput * (1 - t * t)


class ReLU(Op):
    """:math:`C = \\max(X, 0)`; :math:`\\bar X = \\bar C \\odot [X > 0]`.

    >>> relu(TensorNode([-1.0, 2.0])).value
    array([0., 2.])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array) -> Array:
        mask = x > 0
        context["mask"] = mask
        return np.maximum(x, 0)

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        return goutput * context["mask"]


class Softmax(Op):
    """:math:`C_i = e^{X_i} / \\sum_j e^{X_j}` along ``axis``.

    :math:`\\bar X = C \\odot (\\bar C - \\sum_j \\bar C_j C_j)`.

    >>> softmax(TensorNode([[0.0, 0.0]])).value
    array([[0.5, 0.5]])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array, axis: int = -1) -> Array:
        x = _float(x)
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
        context["out"], context["axis"] = out, axis
        return out

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        s, axis = context["out"], context["axis"]
        return s * (goutput - (goutput * s).sum(axis=axis, keepdims=True))


class LogSoftmax(Op):
    """:math:`C = X - \\log\\sum_j e^{X_j}` along ``axis``.

    :math:`\\bar X = \\bar C - \\operatorname{softmax}(X) \\sum_j \\bar C_j`.

    >>> np.round(log_softmax(TensorNode([[0.0, 0.0]])).value, 4)
    array([[-0.6931, -0.6931]])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array, axis: int = -1) -> Array:
        x = _float(x)
        z = x - x.max(axis=axis, keepdims=True)
        out = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
        context["out"], context["axis"] = out, axis
        return out

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        out, axis = context["out"], context["axis"]
        return goutput - np.exp(out) * goutput.sum(axis=axis, keepdims=True)


# --------------------------------------------------------------------------- reductions
def _norm_axis(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for an array with {ndim} dimensions")
        out.append(int(a) % builtins.max(ndim, 1))
    return tuple(out)


class Sum(Op):
    """:math:`C = \\sum X` (all, or along ``axis``).

    :math:`\\bar X = \\bar C` broadcast back: ones times :math:`\\bar C` (question 8).

    >>> x = TensorNode(np.ones((2, 3))); s = sum(x); s.backward(); s.value, x.grad
    (array(6.), array([[1., 1., 1.],
           [1., 1., 1.]]))
    """

    @staticmethod
    def forward(
        context: dict[str, Any], x: Array, axis: Axis = None, keepdims: bool = False
    ) -> Array:
        axes = _norm_axis(axis, x.ndim, "sum")
        context["shape"], context["axes"], context["keepdims"] = x.shape, axes, keepdims
        return np.asarray(x.sum(axis=axes, keepdims=keepdims))

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        shape, axes, keepdims = context["shape"], context["axes"], context["keepdims"]
        if not keepdims:
            goutput = np.expand_dims(goutput, axes)
        return np.broadcast_to(goutput, shape)


class Mean(Op):
    """:math:`C = \\frac1m \\sum X` over the ``m`` reduced elements.

    :math:`\\bar X = \\bar C / m` broadcast back.

    >>> mean(TensorNode([[1.0, 2.0], [3.0, 6.0]]), axis=1).value
    array([1.5, 4.5])
    """

    @staticmethod
    def forward(
        context: dict[str, Any], x: Array, axis: Axis = None, keepdims: bool = False
    ) -> Array:
        axes = _norm_axis(axis, x.ndim, "mean")
        m = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        context["shape"], context["axes"], context["keepdims"], context["m"] = (
            x.shape,
            axes,
            keepdims,
            m,
        )
        return np.asarray(_float(x).mean(axis=axes, keepdims=keepdims))

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        shape, axes, keepdims, m = (context[k] for k in ("shape", "axes", "keepdims", "m"))
        if not keepdims:
            goutput = np.expand_dims(goutput, axes)
        return np.broadcast_to(goutput / m, shape)


class Max(Op):
    """:math:`C = \\max X` (all, or along ``axis``), e.g. the largest score of each row.

    :math:`\\bar X_i = \\bar C\\, [X_i = C] / k`, where :math:`k` is the number of
    elements that attain the maximum: a unique maximum receives the whole
    gradient, and :math:`k` tied maxima share it equally (torch's ``amax`` does the
    same; the derivative is not defined at a tie, and the equal split is the
    average of the one-sided choices).

    >>> x = TensorNode([[1.0, 3.0, 3.0], [4.0, 0.0, 2.0]]); m = max(x, axis=1); m.value
    array([3., 4.])
    >>> m.backward(np.ones(2)); x.grad
    array([[0. , 0.5, 0.5],
           [1. , 0. , 0. ]])
    """

    @staticmethod
    def forward(
        context: dict[str, Any], x: Array, axis: Axis = None, keepdims: bool = False
    ) -> Array:
        axes = _norm_axis(axis, x.ndim, "max")
        if any(x.shape[a] == 0 for a in axes):
            raise ValueError(f"max: cannot reduce an empty axis, got shape {x.shape}")
        out = np.asarray(x.max(axis=axes, keepdims=True))
        mask = x == out
        context["mask"], context["count"] = mask, mask.sum(axis=axes, keepdims=True)
        context["axes"], context["keepdims"] = axes, keepdims
        return out if keepdims else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        mask, count, axes = context["mask"], context["count"], context["axes"]
        if not context["keepdims"]:
            goutput = np.expand_dims(goutput, axes)
        return mask * goutput / count.astype(goutput.dtype, copy=False)


class Prod(Op):
    """:math:`C = \\prod_i X_i` (all, or along ``axis``).

    :math:`\\bar X_i = \\bar C \\prod_{j \\ne i} X_j`: the product of the *other*
    factors, computed from running products from both ends, so a zero factor
    gives the exact gradient (dividing :math:`C` by :math:`X_i` would give ``nan``).

    >>> x = TensorNode([2.0, 0.0, 3.0]); c = prod(x); c.value
    array(0.)
    >>> c.backward(); x.grad
    array([0., 6., 0.])
    """

    @staticmethod
    def forward(
        context: dict[str, Any], x: Array, axis: Axis = None, keepdims: bool = False
    ) -> Array:
        x = _float(x)
        axes = _norm_axis(axis, x.ndim, "prod")
        context["x"], context["axes"], context["keepdims"] = x, axes, keepdims
        return np.asarray(np.prod(x, axis=axes, keepdims=keepdims))

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        x, axes = context["x"], context["axes"]
        if not context["keepdims"]:
            goutput = np.expand_dims(goutput, axes)
        kept = [i for i in range(x.ndim) if i not in axes]
        order = kept + list(axes)
        moved = np.transpose(x, order)
        flat = moved.reshape(*moved.shape[: len(kept)], -1)
        ones = np.ones_like(flat[..., :1])
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = np.transpose((left * right).reshape(moved.shape), np.argsort(order))
        return goutput * others


class Expand(Op):
    """Repeat ``x`` ``size`` times along ``axis`` (where ``x`` has length 1).

    :math:`\\bar x = \\sum_{\\text{axis}} \\bar Y` (question 4).

    This is how the course adds the bias: a ``(1, out)`` row expanded to ``(n, out)``.

    >>> x = TensorNode([[1.0], [2.0]]); y = expand(x, axis=1, size=3); y.value
    array([[1., 1., 1.],
           [2., 2., 2.]])
    >>> y.backward(np.ones((2, 3))); x.grad
    array([[3.],
           [3.]])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array, axis: int = 0, size: int = 1) -> Array:
        (ax,) = _norm_axis(axis, x.ndim, "expand")
        if x.shape[ax] != 1:
            raise ValueError(
                f"expand: axis {axis} must have length 1 to be repeated, got shape {x.shape}"
            )
        if size < 0:
            raise ValueError(f"expand: size must be >= 0, got {size}")
        context["axis"] = ax
        return np.repeat(x, size, axis=ax)

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        return goutput.sum(axis=context["axis"], keepdims=True)


class Normalize(Op):
    """Divide each row by its sum: :math:`Y = X / s`, :math:`s_i = \\sum_j X_{ij}` (question 8).

    :math:`\\bar X_{ij} = \\bar Y_{ij}/s_i - \\sum_k \\bar Y_{ik} X_{ik} / s_i^2`.

    >>> normalize(TensorNode([[1.0, 3.0]])).value
    array([[0.25, 0.75]])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array) -> Array:
        if x.ndim != 2:
            raise ValueError(f"normalize: expected a 2-D array (rows), got shape {x.shape}")
        x = _float(x)
        s = x.sum(axis=1, keepdims=True)
        context["x"], context["s"] = x, s
        return x / s

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        x, s = context["x"], context["s"]
        return goutput / s - (goutput * x).sum(axis=1, keepdims=True) / (s * s)


# --------------------------------------------------------------------------- shape ops
class Reshape(Op):
    """View ``x`` with a new shape; :math:`\\bar X` is :math:`\\bar Y` reshaped back.

    >>> reshape(TensorNode(np.arange(6.0)), (2, 3)).shape
    (2, 3)
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array, shape: tuple[int, ...] = ()) -> Array:
        try:
            out = x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape an array of shape {x.shape} into shape {tuple(shape)}"
            ) from None
        context["shape"] = x.shape
        return out

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        return goutput.reshape(context["shape"])


class Transpose(Op):
    """Permute axes (reverse them by default); :math:`\\bar X` is :math:`\\bar Y` permuted back.

    >>> transpose(TensorNode(np.zeros((2, 3)))).shape
    (3, 2)
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array, axes: tuple[int, ...] | None = None) -> Array:
        if axes is not None and sorted(a % builtins.max(x.ndim, 1) for a in axes) != list(
            range(x.ndim)
        ):
            raise ValueError(f"transpose: axes {axes} are not a permutation for shape {x.shape}")
        context["axes"] = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        axes = context["axes"]
        return np.transpose(goutput, None if axes is None else np.argsort(axes))


class Select(Op):
    """Pick one entry per row: :math:`y_i = X_{i, t_i}`.

    :math:`\\bar X_{i,t_i} = \\bar y_i`, zero elsewhere.

    >>> x = TensorNode([[1.0, 2.0], [3.0, 4.0]]); y = select(x, [1, 0]); y.value
    array([2., 3.])
    >>> y.backward(np.ones(2)); x.grad
    array([[0., 1.],
           [1., 0.]])
    """

    @staticmethod
    def forward(context: dict[str, Any], x: Array, index: Array) -> Array:
        index = np.asarray(index)
        if x.ndim != 2 or index.shape != (x.shape[0],):
            raise ValueError(
                f"select: expected x of shape (n, k) and one index per row, shape (n,); "
                f"got x {x.shape} and index {index.shape}"
            )
        if not np.issubdtype(index.dtype, np.integer):
            raise TypeError(f"select: indices must be integers, got dtype {index.dtype}")
        if index.size and (index.min() < 0 or index.max() >= x.shape[1]):
            raise ValueError(
                f"select: indices must lie in [0, {x.shape[1]}), got range "
                f"[{index.min()}, {index.max()}]"
            )
        rows = np.arange(x.shape[0])
        context["shape"], context["rows"], context["index"] = x.shape, rows, index
        return x[rows, index]

    @staticmethod
    def backward(context: dict[str, Any], goutput: Array) -> Array:
        g = np.zeros(context["shape"], dtype=goutput.dtype)
        g[context["rows"], context["index"]] = goutput
        return g


# --------------------------------------------------------------------------- functions
# The public interface, named like torch's: one alias per op (the op's class holds the
# equations and the example).


def add(a: Any, b: Any) -> TensorNode:
    """:math:`a + b` with broadcasting (:class:`Add`)."""
    return Add.do_forward(a, b)


def sub(a: Any, b: Any) -> TensorNode:
    """:math:`a - b` with broadcasting (:class:`Sub`)."""
    return Sub.do_forward(a, b)


def mul(a: Any, b: Any) -> TensorNode:
    """:math:`a \\odot b` with broadcasting (:class:`Mul`)."""
    return Mul.do_forward(a, b)


def div(a: Any, b: Any) -> TensorNode:
    """:math:`a / b` elementwise with broadcasting (:class:`Div`)."""
    return Div.do_forward(a, b)


def pow(a: Any, b: Any) -> TensorNode:
    """:math:`a^b` elementwise with broadcasting (:class:`Pow`)."""
    return Pow.do_forward(a, b)


def matmul(a: Any, b: Any) -> TensorNode:
    """Matrix product, batched over leading axes like ``torch.matmul`` (:class:`MatMul`)."""
    return MatMul.do_forward(a, b)


def maximum(a: Any, b: Any) -> TensorNode:
    """Elementwise :math:`\\max(a, b)` with broadcasting; ties split the gradient (:class:`Maximum`).

    ``max(x)`` reduces one node; ``maximum(a, b)`` compares two, as in torch.
    """
    return Maximum.do_forward(a, b)


def neg(x: Any) -> TensorNode:
    """:math:`-x` (:class:`Neg`)."""
    return Neg.do_forward(x)


def exp(x: Any) -> TensorNode:
    """:math:`e^x` (:class:`Exp`)."""
    return Exp.do_forward(x)


def log(x: Any) -> TensorNode:
    """Natural logarithm (:class:`Log`)."""
    return Log.do_forward(x)


def sigmoid(x: Any) -> TensorNode:
    """Logistic sigmoid :math:`1/(1+e^{-x})` (:class:`Sigmoid`)."""
    return Sigmoid.do_forward(x)


def tanh(x: Any) -> TensorNode:
    """Hyperbolic tangent (:class:`Tanh`)."""
    return Tanh.do_forward(x)


def relu(x: Any) -> TensorNode:
    """:math:`\\max(x, 0)` (:class:`ReLU`)."""
    return ReLU.do_forward(x)


def softmax(x: Any, axis: int = -1) -> TensorNode:
    """Softmax along ``axis`` (:class:`Softmax`); torch's ``dim`` is ``axis`` here."""
    return Softmax.do_forward(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> TensorNode:
    """Log of the softmax along ``axis``, computed stably (:class:`LogSoftmax`)."""
    return LogSoftmax.do_forward(x, axis=axis)


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> TensorNode:
    """Sum of all elements, or along ``axis`` (:class:`Sum`)."""
    return Sum.do_forward(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> TensorNode:
    """Mean of all elements, or along ``axis`` (:class:`Mean`)."""
    return Mean.do_forward(x, axis=axis, keepdims=keepdims)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> TensorNode:
    """Largest element, or largest along ``axis``; ties share the gradient (:class:`Max`)."""
    return Max.do_forward(x, axis=axis, keepdims=keepdims)


def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> TensorNode:
    """Product of all elements, or along ``axis`` (:class:`Prod`)."""
    return Prod.do_forward(x, axis=axis, keepdims=keepdims)


def expand(x: Any, axis: int, size: int) -> TensorNode:
    """Repeat ``x`` ``size`` times along ``axis``, where it has length 1 (:class:`Expand`)."""
    return Expand.do_forward(x, axis=axis, size=size)


def normalize(x: Any) -> TensorNode:
    """Divide each row of a 2-D node by the row's sum (:class:`Normalize`)."""
    return Normalize.do_forward(x)


def reshape(x: Any, shape: tuple[int, ...]) -> TensorNode:
    """Reshape (:class:`Reshape`)."""
    if isinstance(shape, int | np.integer) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, tuple | list) or not all(
        isinstance(n, int | np.integer) and not isinstance(n, bool) for n in shape
    ):
        raise TypeError(f"reshape: expected a shape of integers such as (2, 3), got {shape!r}")
    return Reshape.do_forward(x, shape=tuple(int(n) for n in shape))


def transpose(x: Any, axes: tuple[int, ...] | None = None) -> TensorNode:
    """Permute axes, reversing them by default (:class:`Transpose`)."""
    return Transpose.do_forward(x, axes=None if axes is None else tuple(axes))


def select(x: Any, index: Any) -> TensorNode:
    """Pick entry ``index[i]`` of row ``i`` (:class:`Select`); ``index`` is data, not a node."""
    return Select.do_forward(x, index=np.asarray(index))


# --------------------------------------------------------------------------- comparisons
def _comparison(name: str, ufunc: np.ufunc, symbol: str) -> Callable[[Any, Any], TensorNode]:
    """The comparison ``name``: ``ufunc`` on the values, as a constant node (no gradient).

    >>> x = TensorNode([1.0, 2.0, 3.0])
    >>> lt(x, 2.0).value, le(x, 2.0).value, gt(x, 2.0).value
    (array([ True, False, False]), array([ True,  True, False]), array([False, False,  True]))
    >>> ge(x, 2.0).value, eq(x, 2.0).value, ne(x, 2.0).value
    (array([False,  True,  True]), array([False,  True, False]), array([ True, False,  True]))
    >>> (x > 2.0).requires_grad, (x == x).source
    (False, None)
    """

    def compare(a: Any, b: Any) -> TensorNode:
        a, b = as_node(a), as_node(b)
        _broadcast_shape(name, a.value, b.value)
        return TensorNode(ufunc(a.value, b.value), requires_grad=False)

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = (
        f":math:`a {symbol} b` elementwise with broadcasting, as a constant node of booleans.\n\n"
        "A comparison is piecewise constant, so it has no gradient: the result is a new\n"
        "leaf that does not require one, usable as a mask (``x * (x > 0)``)."
    )
    return compare


lt = _comparison("lt", np.less, "<")
le = _comparison("le", np.less_equal, "\\le")
gt = _comparison("gt", np.greater, ">")
ge = _comparison("ge", np.greater_equal, "\\ge")
eq = _comparison("eq", np.equal, "=")
ne = _comparison("ne", np.not_equal, "\\ne")


# --------------------------------------------------------------------------- methods
def _reflected(fn: Callable[[Any, Any], TensorNode]) -> Callable[[Any, Any], TensorNode]:
    """``fn`` with its arguments swapped: the reflected operator (``2 - x`` is ``sub(2, x)``)."""

    def method(self: TensorNode, other: Any) -> TensorNode:
        return fn(other, self)

    method.__name__ = method.__qualname__ = f"r{fn.__name__}"
    method.__doc__ = f"``{fn.__name__}(other, self)``, for a plain number or array on the left."
    return method


def _reshape(self: TensorNode, *shape: Any) -> TensorNode:
    """Reshape, as ``x.reshape(2, 3)`` or ``x.reshape((2, 3))`` (:class:`Reshape`)."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    return reshape(self, shape)


#: The Python operators and method forms of :class:`TensorNode`: each is one of the
#: functions above, attached to the class once, here.
TENSOR_METHODS: dict[str, Any] = {
    "__neg__": neg,
    "__add__": add,
    "__radd__": _reflected(add),
    "__sub__": sub,
    "__rsub__": _reflected(sub),
    "__mul__": mul,
    "__rmul__": _reflected(mul),
    "__truediv__": div,
    "__rtruediv__": _reflected(div),
    "__pow__": pow,
    "__rpow__": _reflected(pow),
    "__matmul__": matmul,
    "__rmatmul__": _reflected(matmul),
    "__lt__": lt,
    "__le__": le,
    "__gt__": gt,
    "__ge__": ge,
    "__eq__": eq,
    "__ne__": ne,
    "T": property(transpose, doc="The transpose (an op, so gradients flow through it)."),
    "neg": neg,
    "exp": exp,
    "log": log,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "normalize": normalize,
    "sum": sum,
    "mean": mean,
    "max": max,
    "maximum": maximum,
    "prod": prod,
    "matmul": matmul,
    "expand": expand,
    "select": select,
    "reshape": _reshape,
    "transpose": transpose,
}

for _name, _method in TENSOR_METHODS.items():
    setattr(TensorNode, _name, _method)
