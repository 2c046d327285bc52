"""The engine: graph links, iterative backward, accumulation, reuse, zero_grad, comparisons,
hashing, the attached methods, freeing the graph."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
import torch

import backprop_book.autograd as ag
from backprop_book.autograd import Op, TensorNode, free_graph, topological_order

pytestmark = pytest.mark.part3


def test_question5_links_and_zero_grad_before_backward() -> None:
    a = TensorNode(np.array([[1.0, 2.0]]))
    b = TensorNode(np.array([[10.0, 20.0]]))
    c = a + b
    np.testing.assert_array_equal(c.value, [[11.0, 22.0]])
    assert c.source.op is ag.ops.Add
    assert c.source.inputs[0] is a and c.source.inputs[1] is b
    np.testing.assert_array_equal(c.source.inputs[0].value, [[1.0, 2.0]])
    np.testing.assert_array_equal(a.grad, [[0.0, 0.0]])
    c.backward(np.array([[1.0, 5.0]]))
    np.testing.assert_array_equal(a.grad, [[1.0, 5.0]])
    np.testing.assert_array_equal(b.grad, [[1.0, 5.0]])


def test_deep_chain_beyond_the_recursion_limit() -> None:
    depth = max(10_500, sys.getrecursionlimit() * 2)
    x = TensorNode(np.array([0.5]))
    y = x
    for _ in range(depth):
        y = y * 1.0001
    assert len(topological_order(y)) == depth
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**depth], rtol=1e-9)


def test_reused_node_gets_the_summed_gradient() -> None:
    x = TensorNode(np.array([1.0, -2.0, 3.0]))
    y = (x * x + ag.exp(x) * x + x).sum()  # x used five times
    y.backward()
    xv = x.value
    np.testing.assert_allclose(x.grad, 2 * xv + np.exp(xv) * (xv + 1) + 1)
    t = torch.tensor(xv, requires_grad=True)
    (t * t + torch.exp(t) * t + t).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)


def test_diamond_graph_matches_torch() -> None:
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal((3, 4)), rng.standard_normal((4, 4))
    x, w = TensorNode(xv), TensorNode(wv)
    h = ag.tanh(x @ w)
    y = (ag.softmax(h @ w) * h).sum() + ag.mean(h)
    y.backward()
    xt, wt = (torch.tensor(v, requires_grad=True) for v in (xv, wv))
    ht = torch.tanh(xt @ wt)
    yt = (torch.softmax(ht @ wt, -1) * ht).sum() + ht.mean()
    yt.backward()
    np.testing.assert_allclose(y.value, yt.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(w.grad, wt.grad.numpy(), rtol=1e-10)


def test_repeated_backward_adds_one_gradient_each_time_and_zero_grad_resets() -> None:
    x = TensorNode(np.array([2.0]))
    h = x * x  # an intermediate node on the path
    y = (h * 3.0).sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad, [2 * 12.0])  # twice dy/dx = 12, not more
    np.testing.assert_allclose(h.grad, [6.0])
    x.zero_grad()
    np.testing.assert_array_equal(x.grad, [0.0])
    y.backward()
    np.testing.assert_allclose(x.grad, [12.0])


def test_backward_on_non_scalar_without_seed_is_an_error() -> None:
    x = TensorNode(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"scalar node.*shape \(2, 3\)"):
        (x * 2).backward()
    with pytest.raises(
        ValueError, match=r"seed gradient must have shape \(2, 3\), got shape \(3,\)"
    ):
        (x * 2).backward(np.ones(3))


def test_free_graph_drops_links_but_keeps_gradients() -> None:
    x = TensorNode(np.array([1.0, 2.0]))
    h = ag.exp(x)
    y = h.sum()
    y.backward(free=True)
    np.testing.assert_allclose(x.grad, np.exp([1.0, 2.0]))
    assert y.source is None and h.source is None
    free_graph(TensorNode(1.0))  # a leaf: nothing to free


def test_constants_get_no_gradient_and_ops_skip_unneeded_work() -> None:
    calls: list[tuple[bool, ...]] = []

    class Spy(Op):
        @staticmethod
        def forward(context: dict[str, Any], a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return a * b

        @staticmethod
        def backward(context: dict[str, Any], goutput: np.ndarray) -> tuple[Any, Any]:
            calls.append(context["needs_input_grad"])
            return goutput, None

    x = TensorNode(np.ones(2))
    Spy.do_forward(x, np.ones(2)).sum().backward()
    assert calls == [(True, False)]
    const = TensorNode(np.ones(2), requires_grad=False)
    out = ag.exp(const)
    assert not out.requires_grad


def test_zero_grad_clears_one_node_by_default_and_the_whole_graph_on_request() -> None:
    x, w = TensorNode(np.array([1.0, 2.0])), TensorNode(np.array([3.0, -1.0]))
    h = x * w
    y = h.sum()
    y.backward()
    y.zero_grad()  # the default: this node only
    np.testing.assert_array_equal(y.grad, 0.0)
    np.testing.assert_array_equal(x.grad, [3.0, -1.0])
    np.testing.assert_array_equal(h.grad, [1.0, 1.0])
    y.zero_grad(graph=True)  # the course library's: every node y depends on
    for node in (x, w, h, y):
        assert node._grad is None
    y.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 2.0])  # one gradient again, not two


class Scripted(Op):
    """The identity, whose backward returns whatever the test put in ``context["answer"]``."""

    @staticmethod
    def forward(context: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return x.copy()

    @staticmethod
    def backward(context: dict[str, Any], goutput: np.ndarray) -> Any:
        return context["answer"]


def test_a_backward_returning_no_gradient_stops_there() -> None:
    x = TensorNode(np.array([1.0, 2.0]))
    h = ag.exp(x)
    stopped = Scripted.do_forward(h)
    stopped.source.context["answer"] = None
    y = (stopped + x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])  # only the direct path
    assert h._grad is None


def test_op_backward_with_wrong_count_or_shape_is_named() -> None:
    x = TensorNode(np.ones(3))
    y = Scripted.do_forward(x)
    y.source.context["answer"] = (np.ones(3), np.ones(3))
    with pytest.raises(RuntimeError, match=r"Scripted\.backward returned 2 gradients for 1 inputs"):
        y.backward(np.ones(3))
    y.source.context["answer"] = np.ones(2)
    with pytest.raises(
        RuntimeError, match=r"gradient of shape \(2,\) for an input of shape \(3,\)"
    ):
        y.backward(np.ones(3))


def test_op_node_holds_its_one_output_weakly() -> None:
    x = TensorNode(np.ones(2))
    y = ag.exp(x)
    assert y.source.output is y
    opnode = y.source
    del y
    assert opnode.output is None


def test_nodes_hash_by_identity_and_compare_by_value() -> None:
    a, b = TensorNode(np.array([1.0, 2.0])), TensorNode(np.array([1.0, 3.0]))
    eq = a == b
    assert isinstance(eq, TensorNode) and not eq.requires_grad and eq.source is None
    np.testing.assert_array_equal(eq.value, [True, False])
    np.testing.assert_array_equal((a != b).value, [False, True])
    same = TensorNode(a.value.copy())
    assert len({a, b, same}) == 3  # equal values, distinct nodes
    assert {a: 1, same: 2}[same] == 2
    assert hash(a) == object.__hash__(a)


def test_truth_of_a_node_is_that_of_its_one_value() -> None:
    x = TensorNode(np.array([0.5, -1.0]))
    assert bool(x.max() > 0.4) and not bool(x.max() > 0.6)
    assert bool(TensorNode([1.0]) == TensorNode([1.0]))
    assert not bool(TensorNode([1.0]) == TensorNode([2.0]))
    with pytest.raises(ValueError, match=r"truth value of a node of shape \(2,\) is ambiguous"):
        bool(x > 0)


def test_every_declared_method_is_attached_once_from_ops() -> None:
    declared = {
        k for k, v in TensorNode.__annotations__.items() if "Callable" in str(v) or k == "T"
    }
    assert declared == set(ag.ops.TENSOR_METHODS)
    for name, fn in ag.ops.TENSOR_METHODS.items():
        assert TensorNode.__dict__[name] is fn, name


def test_deep_chain_of_method_forms_and_graph_zero_grad() -> None:
    depth = sys.getrecursionlimit() * 2
    x = TensorNode(np.array([[0.3, -0.2]]))
    y = x
    for _ in range(depth // 2):
        y = (y.tanh() * 1.5).max(axis=0, keepdims=True)  # max over one row: the identity
    y.sum().backward()
    t = torch.tensor(x.value, requires_grad=True)
    u = t
    for _ in range(depth // 2):
        u = torch.amax(torch.tanh(u) * 1.5, dim=0, keepdim=True)
    u.sum().backward()
    assert np.all(x.grad != 0)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10)
    y.zero_grad(graph=True)
    assert x._grad is None


def test_graph_has_no_reference_cycle() -> None:
    import gc
    import weakref

    gc.disable()
    try:
        x = TensorNode(np.ones(3))
        y = ag.exp(x * 2).sum()
        ref = weakref.ref(y.source)
        del y
        assert ref() is None  # freed by reference counting alone
    finally:
        gc.enable()
