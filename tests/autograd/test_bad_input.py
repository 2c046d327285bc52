"""Bad input to Part III's engine and its gradient checks."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop_book.autograd import TensorNode
from backprop_book.autograd.experiments import TrainConfig
from backprop_book.autograd.gradcheck import engine_gradients, numerical_gradients
from backprop_book.autograd.nn import Activation, Linear, Sequential, cross_entropy, mlp
from backprop_book.autograd.optim import SGD, Adam

pytestmark = pytest.mark.part3


@pytest.mark.parametrize(
    "value", [np.array(["a"]), np.array([None]), np.array([1j]), "text", {"a": 1}]
)
def test_nodes_hold_real_numbers(value: object) -> None:
    with pytest.raises(TypeError, match="expected a value of real numbers"):
        TensorNode(value)


def test_integer_and_bool_values_are_accepted() -> None:
    assert TensorNode([1, 2]).value.dtype.kind == "i"
    assert TensorNode(np.array([True])).value.dtype.kind == "b"


def test_integer_inputs_are_checked_in_float64() -> None:
    # the engine's checks copy their inputs to float64: an integer array is not truncated
    x = np.array([1, 2, 3])
    (num,) = numerical_gradients(lambda t: t * t, [x])
    np.testing.assert_allclose(num, [2.0, 4.0, 6.0], rtol=1e-7)
    _, (g,) = engine_gradients(lambda t: t * t, [x])
    np.testing.assert_array_equal(g, [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(x, [1, 2, 3])


@pytest.mark.parametrize("h", [0, -1e-6, math.nan, math.inf, True])
def test_bad_step(h: float) -> None:
    with pytest.raises(ValueError, match="finite positive step h"):
        numerical_gradients(lambda t: t * t, [np.ones(2)], h=h)


def test_seed_of_the_wrong_shape_or_type() -> None:
    for check in (engine_gradients, numerical_gradients):
        with pytest.raises(
            ValueError, match=r"seed gradient of the output's shape \(2,\), got \(3,\)"
        ):
            check(lambda t: t * t, [np.ones(2)], np.ones(3))
        with pytest.raises(TypeError, match="seed gradient of real numbers"):
            check(lambda t: t * t, [np.ones(2)], np.array(["a", "b"]))


def test_inputs_must_be_a_list_of_real_arrays() -> None:
    for check in (engine_gradients, numerical_gradients):
        with pytest.raises(TypeError, match=r"list of input arrays.*\[x\]"):
            check(lambda t: t * t, np.ones(2))
        with pytest.raises(TypeError, match="input 1 to hold real numbers"):
            check(lambda a, b: a * b, [np.ones(1), np.array(["a"])])


def test_fn_must_return_a_node() -> None:
    with pytest.raises(TypeError, match="expected fn to return a TensorNode, got int"):
        engine_gradients(lambda t: 3, [np.ones(2)])  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="got ndarray"):
        numerical_gradients(lambda t: t.value, [np.ones(2)])  # type: ignore[arg-type,return-value]


def test_shape_errors_name_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(3,\) and \(4,\)"):
        TensorNode(np.ones(3)) + TensorNode(np.ones(4))
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2, 3\)"):
        TensorNode(np.ones((2, 3))) @ TensorNode(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"seed gradient must have shape \(3,\)"):
        (TensorNode(np.ones(3)) * 2).backward(np.ones(4))


# ----------------------------------------------------------------------------- gradients of their own


def test_an_add_gives_each_input_its_own_gradient() -> None:
    a, b = TensorNode([1.0, 2.0]), TensorNode([3.0, 4.0])
    c = a + b
    c.backward(np.ones(2))
    assert a.grad is not b.grad and a.grad is not c.grad
    a.grad *= 0.5  # clipping one gradient in place, as the course library's clip does
    np.testing.assert_array_equal(a.grad, [0.5, 0.5])
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    np.testing.assert_array_equal(c.grad, [1.0, 1.0])


def test_a_gradient_broadcast_from_a_sum_is_writable() -> None:
    x = TensorNode(np.ones((2, 3)))
    x.sum().backward()
    x.grad += 1  # was "assignment destination is read-only": a broadcast view
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))


def test_the_seed_and_an_assigned_gradient_stay_the_callers() -> None:
    x = TensorNode([1.0, 2.0])
    y = x * 3.0
    seed = np.ones(2)
    y.backward(seed)
    y.grad *= 10
    np.testing.assert_array_equal(seed, [1.0, 1.0])
    g = np.zeros(2)
    x.grad = g
    x.grad += 5
    np.testing.assert_array_equal(g, [0.0, 0.0])


def test_backward_through_a_freed_graph_is_an_error() -> None:
    x = TensorNode([1.0, 2.0])
    h = x * x
    y = h.sum()
    y.backward(free=True)
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    with pytest.raises(RuntimeError, match=r"graph that backward\(free=True\).*already freed"):
        y.backward()
    with pytest.raises(RuntimeError, match="run the forward pass again"):
        h.backward(np.ones(2))
    with pytest.raises(
        RuntimeError, match=r"reaches a node \(shape \(2,\)\) whose graph was freed"
    ):
        (h * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])  # nothing was added silently
    x.sum().backward()  # a leaf has no graph to free: still fine
    np.testing.assert_array_equal(x.grad, [3.0, 5.0])


_UNARY = {
    "tanh": (lambda t: t.tanh(), torch.tanh),
    "sigmoid": (lambda t: t.sigmoid(), torch.sigmoid),
    "neg": (lambda t: -t, torch.neg),
    "square": (lambda t: t * t, lambda t: t * t),
}
_BINARY = {
    "add": (lambda a, b: a + b, torch.add),
    "sub": (lambda a, b: a - b, torch.sub),
    "mul": (lambda a, b: a * b, torch.mul),
    # a column sum broadcast back: its gradient reaches ``a`` as a broadcast view
    "add_colsum": (
        lambda a, b: a + b.sum(axis=0, keepdims=True),
        lambda a, b: a + b.sum(dim=0, keepdim=True),
    ),
}


@st.composite
def _random_graphs(draw: st.DrawFn) -> tuple[list[np.ndarray], list[tuple[str, int, int]]]:
    """Leaves of shape (2, 3) and a list of ops, each on earlier nodes (reuse included)."""
    n_leaves = draw(st.integers(1, 3))
    leaves = [
        draw(hnp.arrays(np.float64, (2, 3), elements=st.floats(-2, 2, width=64)))
        for _ in range(n_leaves)
    ]
    steps = []
    for k in range(draw(st.integers(1, 8))):
        n = n_leaves + k
        name = draw(st.sampled_from(sorted(_UNARY) + sorted(_BINARY)))
        steps.append((name, draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))))
    return leaves, steps


def _build(leaves: list[Any], steps: list[tuple[str, int, int]], torch_side: bool) -> list[Any]:
    nodes = list(leaves)
    for name, i, j in steps:
        if name in _UNARY:
            nodes.append(_UNARY[name][torch_side](nodes[i]))
        else:
            nodes.append(_BINARY[name][torch_side](nodes[i], nodes[j]))
        if torch_side:
            nodes[-1].retain_grad()
    return nodes


@settings(max_examples=60, deadline=None, derandomize=True)
@given(_random_graphs())
def test_every_gradient_is_its_own_and_still_equals_torch(graph: Any) -> None:
    values, steps = graph
    ours = _build([TensorNode(v.copy()) for v in values], steps, torch_side=False)
    theirs = _build(
        [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values], steps, True
    )
    ours[-1].sum().backward()
    theirs[-1].sum().backward()
    for k, (o, t) in enumerate(zip(ours, theirs, strict=True)):
        want = np.zeros(o.shape) if t.grad is None else t.grad.numpy()
        np.testing.assert_allclose(o.grad, want, rtol=1e-10, atol=1e-12, err_msg=f"node {k}")
    # the nodes the loss reached (an unused leaf has no gradient, as in torch)
    reached = [o for o, t in zip(ours, theirs, strict=True) if t.grad is not None]
    before = [o.grad.copy() for o in reached]
    for k, node in enumerate(reached):
        g = node.grad
        g += 1.0  # in place; every other node's gradient must not move
        g *= 2.0
        for m, (o, b) in enumerate(zip(reached, before, strict=True)):
            expected = (b + 1.0) * 2.0 if m <= k else b
            np.testing.assert_array_equal(o.grad, expected, err_msg=f"node {m} after {k}")


# ----------------------------------------------------------------------------- hyper-parameters


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda p: SGD(p, lr=math.nan), ValueError, r"expected lr in \(0, inf\), got nan"),
        (lambda p: SGD(p, lr=math.inf), ValueError, "expected lr in"),
        (lambda p: SGD(p, lr=-0.1), ValueError, "expected lr in"),
        (lambda p: SGD(p, lr="0.1"), TypeError, "expected lr to be a number, got '0.1'"),
        (lambda p: SGD(p, lr=0.1, momentum=math.nan), ValueError, "expected momentum in"),
        (lambda p: Adam(p, betas=(2, 2)), ValueError, r"expected beta1 in \[0, 1\), got 2"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), ValueError, "expected beta2 in"),
        (lambda p: Adam(p, betas=0.9), TypeError, r"expected betas to be a pair"),
        (lambda p: Adam(p, eps=-1), ValueError, r"expected eps in \[0, inf\), got -1"),
        (lambda p: SGD(mlp([2, 2], rng=0), lr=0.1), TypeError, r"pass model.parameters\(\)"),
        (lambda p: SGD(p[0], lr=0.1), TypeError, "expected a list of parameters"),
        (lambda p: SGD([{"params": p}], lr=0.1), TypeError, "got dict at position 0"),
    ],
)
def test_optimizer_hyper_parameters_are_checked(make: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make([TensorNode(np.zeros(2))])


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((0, 2), ValueError, "expected in_features >= 1, got 0"),
        ((2, -1), ValueError, "expected out_features >= 1, got -1"),
        ((2.5, 2), TypeError, "expected in_features to be an integer, got 2.5"),
    ],
)
def test_linear_sizes_are_checked(args: tuple[Any, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Linear(*args)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": math.nan}, r"TrainConfig.lr: expected a number in \(0, inf\), got nan"),
        ({"momentum": 1.0}, "TrainConfig.momentum"),
        ({"sizes": (2, 0, 2)}, r"TrainConfig.sizes\[1\]: expected an integer >= 1, got 0"),
        ({"sizes": (2,), "activations": ()}, "at least two layer sizes"),
        ({"activations": ("elu",)}, "TrainConfig.activations: expected names from"),
        ({"init": "xavier"}, "TrainConfig.init: expected one of"),
        ({"reduction": "avg"}, "TrainConfig.reduction"),
        ({"epochs": 0}, "TrainConfig.epochs: expected an integer >= 1, got 0"),
        ({"seed": 2**70}, r"TrainConfig.seed: expected an integer >= 0 and <= 9223372036854775807"),
        ({"lr_gamma": -1.0}, "TrainConfig.lr_gamma"),
    ],
)
def test_part3_train_config_is_checked(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)
    with pytest.raises(TypeError, match=r"TrainConfig.epochs: expected an integer, got 2\.5"):
        TrainConfig(epochs=2.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: cross_entropy(np.ones((2, 3)), [0, 1]), TypeError,
         r"cross_entropy: expected scores as a TensorNode .* got ndarray"),
        (lambda: cross_entropy(TensorNode(np.ones(3)), [0]), ValueError,
         r"expected scores \(n, k\) and n integer targets, got scores \(3,\)"),
        (lambda: Sequential(Linear(2, 2, rng=0)), TypeError,
         r"Sequential: expected a list of modules, got Linear"),
        (lambda: Sequential([Linear(2, 2, rng=0), "relu"]), TypeError,
         "expected modules, got str at position 1"),
        (lambda: Activation(["relu"]), ValueError, "unknown activation"),
        (lambda: mlp(None), TypeError, "mlp: expected a list of layer sizes"),
        (lambda: TensorNode(np.ones(6)).reshape("2,3"), TypeError,
         "reshape: expected a shape of integers"),
        (lambda: numerical_gradients(np.ones(2), [np.ones(2)]), TypeError,
         "expected fn to be a function of the input nodes"),
        (lambda: engine_gradients("f", [np.ones(2)]), TypeError, "expected fn to be a function"),
    ],
)  # fmt: skip
def test_engine_mistakes_get_messages_a_student_understands(
    make: Any, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    ("g", "shape", "words"),
    [
        (
            np.ones((2, 3)),
            (4,),
            r"gradient of shape \(2, 3\) cannot come from broadcasting shape \(4,\)",
        ),
        (
            np.ones(3),
            (2, 3),
            r"gradient of shape \(3,\) cannot come from broadcasting shape \(2, 3\)",
        ),
    ],
)
def test_unbroadcast_refuses_a_gradient_no_broadcast_could_make(g, shape, words):
    from backprop_book.autograd.ops import unbroadcast

    with pytest.raises(ValueError, match=words):
        unbroadcast(g, shape)
    with pytest.raises(TypeError, match="expected a gradient array, got str"):
        unbroadcast("x", shape)
