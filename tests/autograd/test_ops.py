"""Every op's forward and backward against torch.autograd (float64) and central differences."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_book.autograd as ag
from backprop_book.autograd import TensorNode
from backprop_book.autograd.gradcheck import numerical_gradients

from .strategies import (
    FLOATS,
    POSITIVE,
    arrays,
    broadcast_pair,
    matmul_pair,
    matrix_shapes,
    small_shapes,
)

pytestmark = pytest.mark.part3


@dataclass(frozen=True)
class Case:
    """One op: the engine function, the torch function, and how to draw its inputs."""

    name: str
    ours: Callable[..., TensorNode]
    theirs: Callable[..., torch.Tensor]
    inputs: st.SearchStrategy[tuple[np.ndarray, ...]]


def unary(elements: st.SearchStrategy[float] = FLOATS, shapes: Any = small_shapes):
    return shapes.flatmap(lambda s: arrays(s, elements)).map(lambda a: (a,))


def _expand_inputs():
    @st.composite
    def draw(d: st.DrawFn):
        shape = list(d(small_shapes))
        axis = d(st.integers(0, len(shape) - 1))
        shape[axis] = 1
        return (d(arrays(tuple(shape))), axis, d(st.integers(1, 4)))

    return draw()


def _select_inputs():
    @st.composite
    def draw(d: st.DrawFn):
        n, k = d(st.integers(1, 5)), d(st.integers(1, 5))
        return (
            d(arrays((n, k))),
            np.array(d(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))),
        )

    return draw()


def _axis_inputs():
    @st.composite
    def draw(d: st.DrawFn):
        x = d(small_shapes.flatmap(arrays))
        axis = d(st.none() | st.integers(-x.ndim, x.ndim - 1))
        return (x, axis, d(st.booleans()))

    return draw()


CASES = [
    Case("add", ag.add, torch.add, broadcast_pair()),
    Case("sub", ag.sub, torch.sub, broadcast_pair()),
    Case("mul", ag.mul, torch.mul, broadcast_pair()),
    Case("div", ag.div, torch.div, broadcast_pair(POSITIVE)),
    Case(
        "pow",
        ag.pow,
        torch.pow,
        broadcast_pair(POSITIVE).map(lambda p: (np.asarray(np.abs(p[0]) + 0.2), p[1])),
    ),
    Case("matmul", ag.matmul, torch.matmul, matmul_pair()),
    Case("neg", ag.neg, torch.neg, unary()),
    Case("exp", ag.exp, torch.exp, unary()),
    Case("log", ag.log, torch.log, unary(POSITIVE)),
    Case("sigmoid", ag.sigmoid, torch.sigmoid, unary(st.floats(-40, 40))),
    Case("tanh", ag.tanh, torch.tanh, unary()),
    Case(
        "relu",
        ag.relu,
        torch.relu,
        unary(FLOATS.filter(lambda v: abs(v) > 1e-3)),  # the kink has no derivative
    ),
    Case("softmax", ag.softmax, lambda x: torch.softmax(x, dim=-1), unary()),
    Case("log_softmax", ag.log_softmax, lambda x: torch.log_softmax(x, dim=-1), unary()),
    Case(
        "softmax_axis0", lambda x: ag.softmax(x, axis=0), lambda x: torch.softmax(x, dim=0), unary()
    ),
    Case(
        "normalize",
        ag.normalize,
        lambda x: x / x.sum(dim=1, keepdim=True),
        unary(POSITIVE, matrix_shapes),
    ),
    Case("transpose", ag.transpose, lambda x: x.permute(*reversed(range(x.ndim))), unary()),
    Case("reshape", lambda x: ag.reshape(x, (-1,)), lambda x: x.reshape(-1), unary()),
    Case("T", lambda x: x.T, lambda x: x.T, unary(shapes=matrix_shapes)),
]


def _as_torch(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def _check(
    ours: Callable[..., TensorNode],
    theirs: Callable[..., torch.Tensor],
    xs: tuple[np.ndarray, ...],
    extra_ours: dict[str, Any] | None = None,
    extra_theirs: tuple[Any, ...] = (),
) -> None:
    nodes = [TensorNode(x.copy()) for x in xs]
    out = ours(*nodes, **(extra_ours or {}))
    ts = [_as_torch(x) for x in xs]
    ref = theirs(*ts, *extra_theirs)
    np.testing.assert_allclose(out.value, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(seed)
    ref.backward(torch.tensor(seed))
    for i, (n, t) in enumerate(zip(nodes, ts, strict=True)):
        assert n.grad.shape == n.shape, f"input {i}: gradient shape {n.grad.shape} != {n.shape}"
        np.testing.assert_allclose(
            n.grad, t.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=f"gradient of input {i}"
        )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op_matches_torch(case: Case) -> None:
    @settings(max_examples=40, deadline=None)
    @given(case.inputs)
    def run(xs: tuple[np.ndarray, ...]) -> None:
        _check(case.ours, case.theirs, xs)

    run()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op_matches_finite_differences(case: Case) -> None:
    @settings(max_examples=10, deadline=None)
    @given(case.inputs)
    def run(xs: tuple[np.ndarray, ...]) -> None:
        nodes = [TensorNode(x.copy()) for x in xs]
        out = case.ours(*nodes)
        seed = np.random.default_rng(1).standard_normal(out.shape)
        out.backward(seed)
        num = numerical_gradients(case.ours, list(xs), seed)
        for i, (n, g) in enumerate(zip(nodes, num, strict=True)):
            np.testing.assert_allclose(n.grad, g, rtol=1e-5, atol=1e-6, err_msg=f"input {i}")

    run()


@settings(max_examples=40, deadline=None)
@given(_axis_inputs())
def test_sum_and_mean_match_torch(args: tuple[np.ndarray, int | None, bool]) -> None:
    x, axis, keepdims = args
    for ours, theirs in ((ag.sum, torch.sum), (ag.mean, torch.mean)):
        if axis is None:
            _check(lambda t, o=ours: o(t), lambda t, th=theirs: th(t), (x,))
        else:
            _check(
                lambda t, o=ours: o(t, axis=axis, keepdims=keepdims),
                lambda t, th=theirs: th(t, dim=axis, keepdim=keepdims),
                (x,),
            )


@settings(max_examples=40, deadline=None)
@given(_expand_inputs())
def test_expand_matches_torch_and_sums_over_the_copies(args: tuple[np.ndarray, int, int]) -> None:
    x, axis, size = args
    shape = list(x.shape)
    shape[axis] = size
    _check(lambda t: ag.expand(t, axis=axis, size=size), lambda t: t.expand(*shape), (x,))
    node = TensorNode(x)
    ag.expand(node, axis=axis, size=size).backward(np.ones(shape))
    np.testing.assert_allclose(node.grad, np.full(x.shape, float(size)))


@settings(max_examples=40, deadline=None)
@given(_select_inputs())
def test_select_matches_torch(args: tuple[np.ndarray, np.ndarray]) -> None:
    x, index = args
    _check(
        lambda t: ag.select(t, index),
        lambda t: t[torch.arange(len(index)), torch.as_tensor(index)],
        (x,),
    )


@settings(max_examples=30, deadline=None)
@given(broadcast_pair(), st.floats(-2, 2), st.sampled_from(["+", "-", "*", "/"]))
def test_python_operators_with_numbers_on_either_side(
    pair: tuple[np.ndarray, np.ndarray], c: float, symbol: str
) -> None:
    a, _ = pair
    if symbol == "/" and abs(c) < 0.1:
        c = 0.5
    for reflected in (False, True):
        node = TensorNode(a + (3.5 if symbol == "/" and reflected else 0.0))
        t = _as_torch(node.value.copy())
        expr = f"c {symbol} x" if reflected else f"x {symbol} c"
        ours = eval(expr, {"c": c, "x": node})
        theirs = eval(expr, {"c": c, "x": t})
        np.testing.assert_allclose(ours.value, theirs.detach().numpy(), rtol=1e-12)
        ours.sum().backward()
        theirs.sum().backward()
        np.testing.assert_allclose(node.grad, t.grad.numpy(), rtol=1e-10)


def test_power_and_unary_minus_operators() -> None:
    x = TensorNode([1.0, 2.0, 3.0])
    y = (-(x**3) + 2**x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad, -3 * x.value**2 + np.log(2) * 2**x.value)


def test_float32_stays_float32_with_python_numbers() -> None:
    x = TensorNode(np.ones((2, 2), np.float32))
    y = ag.sigmoid(2.0 * x - 1 + x / 3.0)
    assert y.value.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (
            lambda: ag.add(TensorNode(np.ones((2, 3))), TensorNode(np.ones((4,)))),
            r"add: shapes \(2, 3\) and \(4,\)",
        ),
        (
            lambda: ag.mul(TensorNode(np.ones((2, 3))), TensorNode(np.ones((3, 2)))),
            r"mul: shapes \(2, 3\) and \(3, 2\)",
        ),
        (
            lambda: ag.matmul(TensorNode(np.ones((2, 3))), TensorNode(np.ones((2, 3)))),
            r"matmul: .*\(2, 3\) and \(2, 3\)",
        ),
        (
            lambda: ag.expand(TensorNode(np.ones((2, 3))), axis=0, size=4),
            r"expand: axis 0 must have length 1.*\(2, 3\)",
        ),
        (
            lambda: ag.reshape(TensorNode(np.ones(6)), (4, 2)),
            r"reshape: .*\(6,\) into shape \(4, 2\)",
        ),
        (
            lambda: ag.select(TensorNode(np.ones((2, 3))), [0, 3]),
            r"select: indices must lie in \[0, 3\)",
        ),
        (lambda: ag.sum(TensorNode(np.ones((2, 3))), axis=2), r"sum: axis 2 is out of range"),
    ],
)
def test_shape_errors_name_the_op_and_both_shapes(fn: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fn()
