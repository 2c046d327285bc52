"""Every op's forward and backward against torch.autograd (float64) and central differences."""

from __future__ import annotations

import operator
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
    distinct_arrays,
    matmul_pair,
    matrix_shapes,
    small_shapes,
    tied_arrays,
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


@st.composite
def _batched_matmul_pair(draw: st.DrawFn):
    """Arrays that torch.matmul multiplies: batched, broadcast batch axes, 1-D on either side."""
    n, k, m, b = (draw(st.integers(1, 4)) for _ in range(4))
    left = draw(st.sampled_from([(k,), (n, k), (b, n, k), (1, n, k), (2, b, n, k)]))
    right = draw(st.sampled_from([(k,), (k, m), (b, k, m), (1, k, m)]))
    if len(left) == 4 and len(right) == 3:
        right = right[1:] if right[0] == 1 else right  # (2, b, n, k) @ (b, k, m) broadcasts
    return draw(arrays(left)), draw(arrays(right))


@st.composite
def _tied_pair(draw: st.DrawFn):
    """Two arrays of one shape drawn from three values, so that they are often equal."""
    shape = draw(small_shapes)
    values = st.sampled_from([-1.0, 0.5, 2.0])
    return draw(arrays(shape, values)), draw(arrays(shape, values))


@st.composite
def _zeros_and_axis(draw: st.DrawFn):
    """Arrays with zeros among their entries (prod's hard case) and an axis to reduce."""
    x = draw(small_shapes.flatmap(lambda s: arrays(s, st.sampled_from([0.0, -1.5, 0.5, 2.0]))))
    return (x, draw(st.integers(-x.ndim, x.ndim - 1)))


def _axis_inputs():
    @st.composite
    def draw(d: st.DrawFn):
        x = d(small_shapes.flatmap(arrays))
        axis = d(st.none() | st.integers(-x.ndim, x.ndim - 1))
        return (x, axis, d(st.booleans()))

    return draw()


_NOT_TINY = FLOATS.filter(lambda v: abs(v) > 1e-3)

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
    Case("matmul_batched", ag.matmul, torch.matmul, _batched_matmul_pair()),
    Case(
        "maximum",
        ag.maximum,
        torch.maximum,
        broadcast_pair().filter(lambda p: np.all(np.abs(np.subtract(*p)) > 1e-3)),  # no kink
    ),
    Case("maximum_ties", ag.maximum, torch.maximum, _tied_pair()),
    # products that underflow to a denormal take another path in torch; zeros: see below
    Case("prod", ag.prod, torch.prod, unary(_NOT_TINY)),
    Case(
        "prod_rows",
        lambda x: ag.prod(x, axis=1),
        lambda x: torch.prod(x, dim=1),
        unary(_NOT_TINY, shapes=matrix_shapes),
    ),
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
    Case("max", ag.max, torch.amax, distinct_arrays().map(lambda a: (a,))),
    Case(
        "max_rows",
        lambda x: ag.max(x, axis=1),
        lambda x: torch.amax(x, dim=1),
        distinct_arrays(matrix_shapes).map(lambda a: (a,)),
    ),
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


#: at a tie maximum has no derivative (torch and the engine split the gradient equally)
_DIFFERENTIABLE = [c for c in CASES if c.name != "maximum_ties"]


@pytest.mark.parametrize("case", _DIFFERENTIABLE, ids=lambda c: c.name)
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


@settings(max_examples=60, deadline=None)
@given(_zeros_and_axis(), st.booleans())
def test_prod_with_zero_factors_matches_torch(args: tuple[np.ndarray, int], keepdims: bool) -> None:
    # the gradient is the product of the other factors, exact where a factor is zero
    x, axis = args
    _check(
        lambda t: ag.prod(t, axis=axis, keepdims=keepdims),
        lambda t: torch.prod(t, dim=axis, keepdim=keepdims),
        (x,),
    )
    _check(ag.prod, torch.prod, (x,))


def test_matmul_and_maximum_name_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"matmul: expected .* same k, got shapes \(4, 2, 3\)"):
        ag.matmul(TensorNode(np.ones((4, 2, 3))), TensorNode(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"batch axes of shapes \(4, 2, 3\) and \(5, 3, 2\)"):
        ag.matmul(TensorNode(np.ones((4, 2, 3))), TensorNode(np.ones((5, 3, 2))))
    with pytest.raises(ValueError, match=r"maximum: shapes \(2, 3\) and \(4,\)"):
        ag.maximum(TensorNode(np.ones((2, 3))), TensorNode(np.ones(4)))


@settings(max_examples=60, deadline=None)
@given(_axis_inputs(), st.booleans())
def test_max_matches_torch_with_and_without_ties(
    args: tuple[np.ndarray, int | None, bool], tied: bool
) -> None:
    x, axis, keepdims = args
    if tied:  # three values only: most maxima are shared by several elements
        x = np.asarray([-1.0, 0.5, 2.0])[(np.abs(x) * 7).astype(int) % 3]
    dims = tuple(range(x.ndim)) if axis is None else axis
    _check(
        lambda t: ag.max(t, axis=axis, keepdims=keepdims),
        lambda t: torch.amax(t, dim=dims, keepdim=keepdims),
        (x,),
    )


@settings(max_examples=30, deadline=None)
@given(tied_arrays(matrix_shapes))
def test_tied_maxima_share_the_gradient_equally(x: np.ndarray) -> None:
    node = TensorNode(x)
    node.max(axis=1).sum().backward()
    is_max = x == x.max(axis=1, keepdims=True)
    np.testing.assert_allclose(node.grad, is_max / is_max.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(node.grad.sum(axis=1), 1.0)


def test_max_of_an_empty_axis_and_a_bad_axis_are_errors() -> None:
    with pytest.raises(ValueError, match=r"max: cannot reduce an empty axis, got shape \(2, 0\)"):
        ag.max(TensorNode(np.ones((2, 0))), axis=1)
    with pytest.raises(ValueError, match="max: axis 2 is out of range"):
        ag.max(TensorNode(np.ones((2, 3))), axis=2)


METHODS = [
    ("neg", (), {}),
    ("exp", (), {}),
    ("log", (), {}),
    ("sigmoid", (), {}),
    ("tanh", (), {}),
    ("relu", (), {}),
    ("softmax", (), {"axis": 0}),
    ("log_softmax", (), {}),
    ("normalize", (), {}),
    ("sum", (), {"axis": 1}),
    ("mean", (), {"keepdims": True}),
    ("max", (), {"axis": 0}),
    ("prod", (), {"axis": 1}),
    ("transpose", (), {}),
    ("expand", (), {}),
    ("select", ([1, 0, 2],), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), METHODS, ids=[m[0] for m in METHODS])
def test_method_forms_match_the_functions_and_torch(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    xv = np.random.default_rng(2).uniform(0.2, 2.0, (3, 4))
    if name == "expand":
        xv, kwargs = xv[:, :1], {"axis": 1, "size": 4}
    x, y = TensorNode(xv.copy()), TensorNode(xv.copy())
    by_method = getattr(x, name)(*args, **kwargs)
    by_function = getattr(ag.ops, name)(y, *args, **kwargs)
    np.testing.assert_array_equal(by_method.value, by_function.value)
    seed = np.random.default_rng(3).standard_normal(by_method.shape)
    by_method.backward(seed)
    by_function.backward(seed)
    np.testing.assert_array_equal(x.grad, y.grad)
    torch_forms = {
        "softmax": lambda t: t.softmax(dim=0),
        "log_softmax": lambda t: t.log_softmax(dim=-1),
        "sum": lambda t: t.sum(dim=1),
        "mean": lambda t: t.mean(dim=(0, 1), keepdim=True),
        "max": lambda t: t.amax(dim=0),
        "prod": lambda t: t.prod(dim=1),
        "transpose": lambda t: t.T,
        "normalize": lambda t: t / t.sum(dim=1, keepdim=True),
        "expand": lambda t: t.expand(3, 4),
        "select": lambda t: t[torch.arange(3), torch.tensor([1, 0, 2])],
    }
    _check(
        lambda t: getattr(t, name)(*args, **kwargs),
        torch_forms.get(name, lambda t: getattr(t, name)()),
        (xv,),
    )


def test_reshape_method_takes_sizes_or_a_tuple() -> None:
    x = TensorNode(np.arange(6.0))
    assert x.reshape(2, 3).shape == (2, 3) and x.reshape((3, 2)).shape == (3, 2)
    assert x.reshape([6, 1]).shape == (6, 1)


COMPARISONS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@settings(max_examples=30, deadline=None)
@given(broadcast_pair(), st.sampled_from(sorted(COMPARISONS)))
def test_comparisons_match_torch_and_carry_no_gradient(
    pair: tuple[np.ndarray, np.ndarray], symbol: str
) -> None:
    a, b = pair
    b = np.where(np.random.default_rng(0).random(b.shape) < 0.3, 0.0, b)  # some equal pairs
    a = np.where(a > 0, 0.0, a) if symbol in ("==", "!=") else a
    compare = COMPARISONS[symbol]
    x, y = TensorNode(a), TensorNode(b)
    ta, tb = torch.tensor(a), torch.tensor(b)
    for ours, theirs in (
        (compare(x, y), compare(ta, tb)),
        (compare(x, 0.0), compare(ta, 0.0)),
        (compare(0.0, y), compare(0.0, tb)),
        (compare(a, y), compare(ta, tb)),  # a NumPy array on the left defers to the node
    ):
        assert isinstance(ours, TensorNode) and ours.value.dtype == np.bool_
        assert not ours.requires_grad and ours.source is None
        np.testing.assert_array_equal(ours.value, theirs.numpy())


def test_comparison_as_a_mask_passes_the_gradient_of_the_kept_entries() -> None:
    x = TensorNode(np.array([-1.0, 0.5, 2.0]))
    (x * (x > 0)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"gt: shapes \(3,\) and \(2,\)"):
        ag.gt(x, TensorNode(np.ones(2)))


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
