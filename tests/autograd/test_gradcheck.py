"""The engine's gradient-check helpers: engine gradients and central differences."""

from __future__ import annotations

import numpy as np
import pytest

import backprop_book.autograd as ag
from backprop_book.autograd.gradcheck import engine_gradients, numerical_gradients

pytestmark = pytest.mark.part3


def _f(x: ag.TensorNode, w: ag.TensorNode) -> ag.TensorNode:
    return (x @ w).tanh() * x.sum(axis=1, keepdims=True)


def test_engine_gradients_are_the_hand_derived_ones() -> None:
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    seed = rng.standard_normal((2, 2))
    value, (gx, gw) = engine_gradients(_f, [x, w], seed)
    t = np.tanh(x @ w)
    r = x.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(value, t * r)
    gs = seed * r * (1 - t**2)  # through tanh
    np.testing.assert_allclose(gw, x.T @ gs)
    np.testing.assert_allclose(gx, gs @ w.T + (seed * t).sum(axis=1, keepdims=True))


def test_central_differences_agree_to_second_order() -> None:
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((2, 3)), rng.standard_normal((3, 2))]
    seed = rng.standard_normal((2, 2))
    _, grads = engine_gradients(_f, arrays, seed)
    errors = []
    for h in (1e-2, 1e-3):
        num = numerical_gradients(_f, arrays, seed, h=h)
        errors.append(max(np.abs(n - g).max() for n, g in zip(num, grads, strict=True)))
    assert errors[1] < 1e-6
    assert 50 < errors[0] / errors[1] < 200  # O(h^2): ten times smaller h, 100 times smaller error


def test_the_inputs_are_left_untouched() -> None:
    x = np.array([1.0, 2.0])
    numerical_gradients(lambda t: t * t, [x])
    np.testing.assert_array_equal(x, [1.0, 2.0])
