"""Bad input to Part III's engine and its gradient checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_book.autograd import TensorNode
from backprop_book.autograd.gradcheck import engine_gradients, numerical_gradients

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
