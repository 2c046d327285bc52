"""The foundations part's circuit, gate rules and nudges, against nudges and the engine."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_book.autograd import TensorNode, relu
from backprop_book.foundations import (
    add_backward,
    circuit,
    circuit_backward,
    copy_backward,
    max_backward,
    mul_backward,
    nudge,
)
from backprop_book.grading import check_backward

pytestmark = pytest.mark.foundations

reals = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


def test_the_worked_circuit_has_the_hand_computed_numbers() -> None:
    assert circuit(-2.0, 5.0, -4.0) == -12.0
    assert circuit_backward(1.0, -2.0, 5.0, -4.0) == (-4.0, -4.0, 3.0)
    assert circuit_backward(0.5, -2.0, 5.0, -4.0) == (-2.0, -2.0, 1.5)  # scales with G


@settings(max_examples=30, deadline=None)
@given(reals, reals, reals, reals)
def test_circuit_backward_matches_nudges_and_the_engine(x, y, z, G) -> None:
    assert check_backward(circuit, circuit_backward, {"x": x, "y": y, "z": z}, upstream=G)
    xs = [TensorNode(v) for v in (x, y, z)]
    out = circuit(*xs)
    out.backward(np.asarray(G))
    assert np.allclose([float(n.grad) for n in xs], circuit_backward(G, x, y, z))


@pytest.mark.parametrize(
    ("forward", "backward"),
    [
        (lambda a, b: a + b, add_backward),
        (lambda a, b: a * b, mul_backward),
        (lambda a, b: np.maximum(a, b), max_backward),
    ],
    ids=["add", "mul", "max"],
)
def test_gate_rules_match_finite_differences_on_arrays(forward, backward) -> None:
    rng = np.random.default_rng(0)
    point = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=(3, 4))}
    assert check_backward(forward, backward, point)


def test_gate_patterns() -> None:
    assert add_backward(2.5, 7.0, -1.0) == (2.5, 2.5)  # routes, whatever the values
    assert mul_backward(2.0, 3.0, -4.0) == (-8.0, 6.0)  # swaps
    assert max_backward(5.0, 2.0, -1.0) == (5.0, 0.0)  # selects the larger
    assert max_backward(5.0, -3.0, 1.0) == (0.0, 5.0)
    assert max_backward(5.0, 1.0, 1.0) == (2.5, 2.5)  # a tie shares, as the engine's max
    ga, gb = max_backward(np.ones(3), np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0]))
    assert ga.tolist() == [0.0, 0.5, 1.0] and gb.tolist() == [1.0, 0.5, 0.0]
    assert copy_backward(4.0, -6.0) == -2.0  # sums
    assert copy_backward(1.0, 2.0, 3.0) == 6.0
    with pytest.raises(ValueError, match="at least one use"):
        copy_backward()


def test_gate_rules_compose_to_the_engines_gradient() -> None:
    # f = relu(a*b + c) * a: every pattern once, a reused
    a, b, c = 2.0, -3.0, 10.0
    d = a * b + c
    de, da_last = mul_backward(1.0, max(d, 0.0), a)
    dd, _ = max_backward(de, d, 0.0)
    dab, dc = add_backward(dd, a * b, c)
    da_first, db = mul_backward(dab, a, b)
    da = copy_backward(da_first, da_last)
    na, nb, nc = TensorNode(a), TensorNode(b), TensorNode(c)
    (relu(na * nb + nc) * na).backward()
    assert (da, db, dc) == (float(na.grad), float(nb.grad), float(nc.grad)) == (-2.0, 4.0, 2.0)


def test_nudge_measures_the_slope() -> None:
    n = nudge(lambda a, b, c: a * b + c, {"a": 2.0, "b": -3.0, "c": 10.0}, "b", h=1e-3)
    assert n.name == "b" and n.before == 4.0
    assert n.after == pytest.approx(4.002)
    assert n.slope == pytest.approx(2.0)  # the value of a
    assert nudge(lambda x: x**2, {"x": 3.0}, "x", h=-1e-6).slope == pytest.approx(6.0, 1e-5)


def test_nudge_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"one of the inputs \['a'\], got 'b'"):
        nudge(lambda a: a, {"a": 1.0}, "b")
    with pytest.raises(ValueError, match="finite nonzero nudge h, got 0"):
        nudge(lambda a: a, {"a": 1.0}, "a", h=0)
    with pytest.raises(TypeError, match="expected a function f, got int"):
        nudge(3, {"a": 1.0}, "a")  # type: ignore[arg-type]
