"""Backpropagation against finite differences: same gradient, measured costs."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_book.foundations.cost import (
    cache_bytes,
    finite_difference_gradients,
    init_mlp,
    measure_cost,
    mlp_gradients,
    mlp_loss,
)
from backprop_book.grading import check_backward

pytestmark = pytest.mark.foundations


def _problem(widths=(5, 4, 4, 3), n=6, seed=0):
    rng = np.random.default_rng(seed)
    params = init_mlp(widths, rng)
    X = rng.normal(size=(n, widths[0]))
    y = rng.integers(0, widths[-1], size=n)
    return params, X, y


def test_backprop_matches_finite_differences_for_every_parameter() -> None:
    params, X, y = _problem()
    loss, bp = mlp_gradients(params, X, y)
    fd = finite_difference_gradients(params, X, y)
    assert loss == mlp_loss(params, X, y, keep=False)[0]
    for (dW, db), (fW, fb) in zip(bp, fd, strict=True):
        assert np.allclose(dW, fW, atol=1e-7) and np.allclose(db, fb, atol=1e-7)
    assert any(np.abs(db).max() > 1e-3 for _, db in bp)  # the biases' gradients are not 0


def test_one_layer_gradient_through_the_grader() -> None:
    params, X, y = _problem(widths=(3, 4, 2))
    (W1, b1), (W2, b2) = params

    def loss(W1, b1, W2, b2):
        return mlp_loss([(W1, b1), (W2, b2)], X, y, keep=False)[0]

    def backward(G, W1, b1, W2, b2):
        (dW1, db1), (dW2, db2) = mlp_gradients([(W1, b1), (W2, b2)], X, y)[1]
        return G * dW1, G * db1, G * dW2, G * db2

    assert check_backward(loss, backward, {"W1": W1, "b1": b1, "W2": W2, "b2": b2})


def test_finite_differences_restore_the_parameters() -> None:
    params, X, y = _problem()
    before = [(W.copy(), b.copy()) for W, b in params]
    finite_difference_gradients(params, X, y)
    for (W, b), (W0, b0) in zip(params, before, strict=True):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)


def test_the_forward_keeps_caches_only_when_asked() -> None:
    params, X, y = _problem()
    _, caches = mlp_loss(params, X, y)
    assert len(caches) == 3 and mlp_loss(params, X, y, keep=False)[1] == []
    # the first affine cache holds X itself, the first tanh cache its output
    (h_prev, W), h = caches[0]
    assert h_prev is X and W is params[0][0] and h.shape == (6, 4)


def test_cache_bytes_counts_each_array_once() -> None:
    a = np.zeros((3, 4))
    assert cache_bytes([(a, a), [a, (np.ones(5, dtype=np.float32), None)], 7]) == 96 + 20
    assert cache_bytes([]) == 0


def test_measure_cost_orders_the_costs() -> None:
    r = measure_cost([6, 5, 3], batch=64, rng=0, repeat=2)
    assert r.n_params == 6 * 5 + 5 + 5 * 3 + 3
    assert r.max_abs_diff < 1e-7
    assert r.finite_diff_s > 10 * r.backprop_s  # 2P = 106 forward passes against one
    assert r.peak_backprop_bytes > r.peak_forward_bytes
    # training keeps X (64 x 6), the hidden values (64 x 5) and the scores' gradient
    assert r.cache_bytes >= 8 * 64 * (6 + 5 + 3)
    deep = measure_cost([32] * 6 + [4], batch=64, rng=0, repeat=1, finite_differences=False)
    shallow = measure_cost([32] * 2 + [4], batch=64, rng=0, repeat=1, finite_differences=False)
    assert np.isnan(deep.finite_diff_s) and np.isnan(deep.max_abs_diff)
    assert deep.cache_bytes > 3 * shallow.cache_bytes - 8 * 64 * 32


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"at least two positive widths, got \[4\]"):
        init_mlp([4])
    with pytest.raises(ValueError, match="batch of at least 1 example, got 0"):
        measure_cost([3, 2], batch=0)
    with pytest.raises(ValueError, match="repeat >= 1"):
        measure_cost([3, 2], repeat=0)
    with pytest.raises(ValueError, match="positive eps"):
        finite_difference_gradients(init_mlp([2, 2], rng=0), np.ones((1, 2)), np.array([0]), 0)
