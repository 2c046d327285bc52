from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_book.numpy_nn import layers
from backprop_book.numpy_nn.gradcheck import numerical_gradient, rel_error
from tests.numpy_nn.strategies import dims, seeds

pytestmark = pytest.mark.part2


def _close(analytic, numeric):
    """Relative 1e-6 or absolute 1e-8: for tiny entries, the relative error of a finite
    difference is dominated by round-off (about 1e-16 * |f| / h), not by a bug."""
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def _upstream_check(forward, backward, x, seed=0):
    """Check backward(dout) against the numerical gradient of sum(forward(x) * dout)."""
    out, cache = forward(x)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    dx = backward(dout, cache)
    num = numerical_gradient(lambda v: float(np.sum(forward(v)[0] * dout)), x)
    _close(dx, num)


@settings(max_examples=25, deadline=None)
@given(N=dims, D=dims, H=dims, seed=seeds)
def test_affine_backward_matches_finite_differences(N, D, H, seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((N, D)), rng.standard_normal((D, H)), rng.standard_normal(H)
    out, cache = layers.affine_forward(x, W, b)
    dout = rng.standard_normal(out.shape)
    dx, dW, db = layers.affine_backward(dout, cache)

    def f(_):
        return float(np.sum(layers.affine_forward(x, W, b)[0] * dout))

    _close(dx, numerical_gradient(f, x))
    _close(dW, numerical_gradient(f, W))
    _close(db, numerical_gradient(f, b))


def test_affine_flattens_and_rejects_bad_shapes():
    x = np.arange(12.0).reshape(2, 2, 3)
    W = np.ones((6, 2))
    out, cache = layers.affine_forward(x, W, np.zeros(2))
    np.testing.assert_allclose(out, [[15.0, 15.0], [51.0, 51.0]])
    dx, _, _ = layers.affine_backward(np.ones((2, 2)), cache)
    assert dx.shape == (2, 2, 3)
    with pytest.raises(ValueError, match="expected h_prev with 6 features"):
        layers.affine_forward(np.ones((2, 5)), W, np.zeros(2))


@settings(max_examples=25, deadline=None)
@given(N=dims, D=dims, seed=seeds, which=st.sampled_from(["relu", "sigmoid", "tanh"]))
def test_activation_backward_matches_finite_differences(N, D, seed, which):
    x = np.random.default_rng(seed).standard_normal((N, D))
    if which == "relu":  # keep away from the kink, where the derivative does not exist
        x = np.where(np.abs(x) < 1e-3, 0.5, x)
    fwd = getattr(layers, f"{which}_forward")
    bwd = getattr(layers, f"{which}_backward")
    _upstream_check(fwd, bwd, x, seed=seed)


@settings(max_examples=25, deadline=None)
@given(N=dims, C=st.integers(2, 6), seed=seeds)
def test_softmax_cross_entropy_gradient_and_value(N, C, seed):
    rng = np.random.default_rng(seed)
    s = 3 * rng.standard_normal((N, C))
    y = rng.integers(0, C, N)
    loss, ds = layers.softmax_cross_entropy(s, y)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(N), y])), rel=1e-12)
    num = numerical_gradient(lambda v: layers.softmax_cross_entropy(v, y)[0], s)
    _close(ds, num)
    np.testing.assert_allclose(ds.sum(axis=1), 0.0, atol=1e-15)


def test_softmax_cross_entropy_is_stable_and_validates():
    loss, ds = layers.softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))
    assert loss == pytest.approx(1000.0)
    np.testing.assert_allclose(ds, [[1.0, -1.0]])
    with pytest.raises(ValueError, match=r"expected labels in 0\.\.1"):
        layers.softmax_cross_entropy(np.zeros((1, 2)), np.array([2]))
    with pytest.raises(ValueError, match=r"expected y of shape \(1,\)"):
        layers.softmax_cross_entropy(np.zeros((1, 2)), np.array([0, 1]))


def test_l2_penalty_gradient():
    W = np.random.default_rng(0).standard_normal((3, 4))
    r, dW = layers.l2_penalty(W, 0.3)
    assert r == pytest.approx(0.3 * np.sum(W**2))
    assert rel_error(dW, numerical_gradient(lambda v: layers.l2_penalty(v, 0.3)[0], W)) < 1e-9


def test_dropout_mask_scale_backward_and_seed():
    h = np.random.default_rng(1).standard_normal((200, 50))
    out, mask = layers.dropout_forward(h, 0.3, rng=0)
    kept = mask != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(out[kept], h[kept] / 0.7)
    out2, _ = layers.dropout_forward(h, 0.3, rng=0)
    np.testing.assert_array_equal(out, out2)  # same seed, same mask
    # with the mask fixed the layer is linear: its backward is the same mask
    dout = np.random.default_rng(2).standard_normal(h.shape)
    m, d = mask[:3, :4], dout[:3, :4]
    num = numerical_gradient(
        lambda v: float(np.sum(layers.dropout_backward(v, m) * d)), h[:3, :4].copy()
    )
    np.testing.assert_allclose(layers.dropout_backward(dout, mask)[:3, :4], num, atol=1e-8)
    assert layers.dropout_forward(h, 0.3, train=False)[0] is h
    with pytest.raises(ValueError, match=r"dropout probability p in \[0, 1\)"):
        layers.dropout_forward(h, 1.0)
