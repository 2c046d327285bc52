"""The minimal scalar engine against the real engine (TensorNode) and float64 torch.

The same expressions are built three times, with the minimal engine's ``Value``, the
real engine's ``TensorNode`` and torch tensors; values and gradients must agree.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_book.autograd as ag
from backprop_book.autograd import TensorNode
from backprop_book.autograd.gradcheck import engine_gradients
from backprop_book.autograd.minimal import Value, backward_order, elementwise
from backprop_book.grading import check_backward

from .strategies import FLOATS, POSITIVE, programs, same_shape_arrays

pytestmark = pytest.mark.part3

# The unary functions of each engine, under one set of names.
MINIMAL = SimpleNamespace(exp=Value.exp, log=Value.log, relu=Value.relu)
ENGINE = SimpleNamespace(exp=ag.exp, log=ag.log, relu=ag.relu)
TORCH = SimpleNamespace(exp=torch.exp, log=torch.log, relu=torch.relu)


def micrograd_sanity(F: Any, x: Any) -> Any:
    z = 2 * x + 2 + x
    q = F.relu(z) + z * x
    h = F.relu(z * z)
    return h + q + q * x


def more_ops(F: Any, a: Any, b: Any) -> Any:
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + F.relu(b + a)
    d = d + 3 * d + F.relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    return g + 10.0 / f


def exp_log_div(F: Any, x: Any, y: Any) -> Any:
    return F.exp(x * y) / (1 + y) - F.log(y) * x


def powers(F: Any, x: Any, y: Any) -> Any:
    return (x**3 - 2 * x) / (y**2 + 1) - 1 / y


def reuse(F: Any, x: Any, y: Any) -> Any:
    return x * x * x + x / y - y + F.exp(x) * x + x


@dataclass(frozen=True)
class Expression:
    name: str
    fn: Callable[..., Any]
    inputs: tuple[st.SearchStrategy[float], ...]  # one strategy per argument


EXPRESSIONS = [
    Expression("micrograd_sanity", micrograd_sanity, (FLOATS,)),
    Expression("exp_log_div", exp_log_div, (FLOATS, POSITIVE)),
    Expression("powers", powers, (FLOATS, POSITIVE)),
    Expression("reuse", reuse, (FLOATS, POSITIVE)),
]


def three_ways(fn: Callable[..., Any], xs: tuple[float, ...]) -> dict[str, tuple[float, list]]:
    """Value and input gradients of ``fn`` under each engine."""
    values = [Value(x) for x in xs]
    y = fn(MINIMAL, *values)
    y.backward()
    nodes = [TensorNode(np.float64(x)) for x in xs]
    yn = fn(ENGINE, *nodes)
    yn.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    yt = fn(TORCH, *tensors)
    yt.backward()
    return {
        "minimal": (y.data, [v.grad for v in values]),
        "engine": (float(yn.value), [float(n.grad) for n in nodes]),
        "torch": (yt.item(), [t.grad.item() for t in tensors]),
    }


def assert_agree(results: dict[str, tuple[float, list]], rtol: float = 1e-10) -> None:
    value, grads = results["minimal"]
    for other in ("engine", "torch"):
        o_value, o_grads = results[other]
        np.testing.assert_allclose(value, o_value, rtol=rtol, atol=1e-12, err_msg=other)
        np.testing.assert_allclose(grads, o_grads, rtol=rtol, atol=1e-12, err_msg=other)


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=lambda e: e.name)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_expression_matches_engine_and_torch(expr: Expression, data: st.DataObject) -> None:
    xs = tuple(data.draw(s) for s in expr.inputs)
    assert_agree(three_ways(expr.fn, xs))


def test_micrograd_more_ops_at_its_own_point() -> None:
    # micrograd's test_more_ops, at a=-4, b=2: a deep expression with reuse and relu.
    results = three_ways(more_ops, (-4.0, 2.0))
    assert_agree(results)
    assert results["minimal"][0] == pytest.approx(24.70408163265306, rel=1e-12)
    assert results["minimal"][1] == pytest.approx([138.83381924198252, 645.5772594752186])


def test_reused_node_gets_the_sum_of_its_uses() -> None:
    x = Value(1.5)
    y = x * x + x * 3 + x.exp() * x  # x used five times
    y.backward()
    assert x.grad == pytest.approx(2 * 1.5 + 3 + np.exp(1.5) * (1.5 + 1), rel=1e-14)
    t = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    (t * t + t * 3 + t.exp() * t).backward()
    assert x.grad == pytest.approx(t.grad.item(), rel=1e-14)
    # the same value twice in one op: both slots add into one grad
    z = Value(-2.0)
    (z * z).backward()
    assert z.grad == -4.0


def test_chain_deeper_than_the_recursion_limit() -> None:
    depth = max(10_500, 2 * sys.getrecursionlimit())
    x = Value(0.5)
    y = x
    for _ in range(depth):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**depth, rel=1e-9)
    # a chain that reuses x at every step: d/dx of x + x + ... (depth + 1 times)
    s = x
    for _ in range(depth):
        s = s + x
    x.grad = 0.0
    s.backward()
    assert x.grad == depth + 1


def test_backward_order_puts_every_value_after_all_values_made_from_it() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b
    d = c + a
    e = d * c + b
    order = backward_order(e)
    assert order[0] is e
    assert len(order) == len({id(v) for v in order}) == 6  # e, d*c, d, c, a, b
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for child in v._prev:
            assert position[id(child)] > position[id(v)]


def test_backward_order_counts_each_value_once() -> None:
    a, b = Value(2.0), Value(3.0)
    e = (a * b) * (a + b) + a
    order = backward_order(e)
    assert {id(v) for v in order} >= {id(a), id(b)}
    assert len(order) == len({id(v) for v in order})


def test_leaves_accumulate_and_intermediates_are_not_counted_twice() -> None:
    x = Value(2.0)
    h = x * x
    y = h * 3.0
    y.backward()
    y.backward()
    # micrograd's backward would re-send h's old gradient on the second call (36, not 24)
    assert x.grad == 2 * 12.0
    assert h.grad == 3.0
    x.grad = 0.0
    y.backward()
    assert x.grad == 12.0


def test_derived_ops_are_built_from_add_mul_and_pow() -> None:
    a, b = Value(6.0), Value(3.0)
    assert (a - b).op == "+" and (a - b).data == 3.0
    assert (-a).op == "*" and (-a).data == -6.0
    assert (a / b).op == "*" and (a / b).data == 2.0
    assert (a / b)._prev[1].op == "**-1"
    assert (1 - a).data == -5.0 and (12 / a).data == 2.0 and (2 + a).data == 8.0
    assert (2 * a).data == 12.0


@settings(max_examples=30, deadline=None)
@given(inputs=same_shape_arrays(("x", "y"), POSITIVE))
def test_elementwise_matches_the_real_engine(inputs: dict[str, np.ndarray]) -> None:
    forward, backward = elementwise(lambda x, y: exp_log_div(MINIMAL, x, y))
    upstream = np.linspace(-1.0, 2.0, inputs["x"].size).reshape(inputs["x"].shape)
    value, grads = engine_gradients(
        lambda x, y: exp_log_div(ENGINE, x, y), [inputs["x"], inputs["y"]], upstream
    )
    np.testing.assert_allclose(forward(**inputs), value, rtol=1e-12)
    gx, gy = backward(upstream, **inputs)
    np.testing.assert_allclose(gx, grads[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gy, grads[1], rtol=1e-10, atol=1e-12)


def test_elementwise_with_one_input_returns_one_array() -> None:
    _, backward = elementwise(lambda x: x * x)
    g = backward(np.array([1.0, 2.0]), x=np.array([3.0, -1.0]))
    assert isinstance(g, np.ndarray)
    np.testing.assert_array_equal(g, [6.0, -4.0])


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Value("1.0"), TypeError, "expected data to be a real number, got str"),
        (lambda: Value(True), TypeError, "got bool"),
        (lambda: Value(2.0) ** Value(2.0), TypeError, "exponent"),
        (lambda: Value(2.0) + "a", TypeError, "the other operand"),
        (lambda: Value(-1.0).log(), ValueError, "positive"),
        (lambda: elementwise(3.0), TypeError, "a function of Values"),
        (
            lambda: elementwise(lambda x, y: x * y)[0](x=np.ones(2), y=np.ones(3)),
            ValueError,
            r"one shape, got x \(2,\), y \(3,\)",
        ),
        (lambda: elementwise(lambda x: 1.0)[0](x=np.ones(2)), TypeError, "return a Value"),
    ],
)
def test_bad_input_names_what_was_expected(
    make: Callable[[], Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        make()


# -- grading a scalar op through elementwise(): a right backward and planted slips ------
def _tanh_with(local: Callable[[Value, Value], float]) -> Callable[[Value], Value]:
    """tanh whose local backward adds ``local(x, out) * out.grad``."""

    def tanh(x: Value) -> Value:
        out = Value(np.tanh(x.data), (x,), "tanh")

        def _backward() -> None:
            x.grad += local(x, out) * out.grad

        out._backward = _backward
        return out

    return tanh


def test_grader_passes_a_right_tanh_and_names_a_wrong_one() -> None:
    x = np.array([-1.5, -0.2, 0.4, 1.1])
    right = check_backward(*elementwise(_tanh_with(lambda x, t: 1 - t.data**2)), {"x": x})
    assert right, str(right)
    # the planted slip: 1 - x^2 instead of 1 - tanh(x)^2
    wrong = check_backward(
        *elementwise(_tanh_with(lambda x, t: 1 - x.data**2)), {"x": x}, upstream=np.ones(4)
    )
    assert not wrong and wrong.input == "x" and wrong.index is not None
    k = wrong.index[0]
    assert wrong.expected == pytest.approx(1 - np.tanh(x[k]) ** 2, rel=1e-6)
    assert wrong.got == pytest.approx(1 - x[k] ** 2, rel=1e-12)
    assert str(wrong).startswith(f"wrong: the gradient of x at index ({k},)")


def _mul(accumulate: bool) -> Callable[[Value, Value], Value]:
    def mul(a: Value, b: Value) -> Value:
        out = Value(a.data * b.data, (a, b), "*")

        def _backward() -> None:
            if accumulate:
                a.grad += b.data * out.grad
                b.grad += a.data * out.grad
            else:  # the planted slip: the gradient is assigned, not added
                a.grad = b.data * out.grad
                b.grad = a.data * out.grad

        out._backward = _backward
        return out

    return mul


@pytest.mark.parametrize("accumulate", [True, False], ids=["+=", "="])
def test_grader_catches_an_overwritten_gradient_only_on_reuse(accumulate: bool) -> None:
    inputs = {"x": np.array([0.5, -1.2, 2.0]), "w": np.array([1.5, 0.3, -0.7])}
    mul = _mul(accumulate)
    once = check_backward(*elementwise(lambda x, w: mul(x, w)), inputs)
    reused = check_backward(*elementwise(lambda x, w: mul(mul(x, x), w) + x), inputs)
    assert once, str(once)  # a value used once cannot tell = from +=
    assert bool(reused) is accumulate, str(reused)
    if not accumulate:
        assert reused.input == "x"


def run_program(steps: list[tuple[str, int, int]], leaves: list[Any], relu: Any) -> Any:
    """The sum of every value of a straight-line program (so that each one matters)."""
    values = list(leaves)
    for op, i, j in steps:
        a, b = values[i], values[j]
        if op == "add":
            values.append(a + b)
        elif op == "sub":
            values.append(a - b)
        elif op == "mul":
            values.append(a * b)
        elif op == "div_smooth":
            values.append(a / (1 + b * b))
        else:
            values.append(relu(a) + b)
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


@settings(max_examples=60, deadline=None)
@given(program=programs())
def test_random_programs_match_torch(program: tuple[list[float], list]) -> None:
    inputs, steps = program
    values = [Value(x) for x in inputs]
    y = run_program(steps, values, Value.relu)
    y.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    yt = run_program(steps, tensors, torch.relu)
    yt.backward()
    grads = np.array([v.grad for v in values])
    t_grads = np.array([t.grad.item() for t in tensors])
    scale = max(1.0, np.abs(t_grads).max())
    np.testing.assert_allclose(y.data, yt.item(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads, t_grads, rtol=1e-9, atol=1e-12 * scale)
