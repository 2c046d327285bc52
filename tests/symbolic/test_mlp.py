"""Report A's MLP backward pass, softmax cross-entropy, SGD, and report B's gradients."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from backprop_book.symbolic.checker import check_gradient, matrix_symbols
from backprop_book.symbolic.mlp import (
    cross_entropy,
    mean_cross_entropy,
    mlp_backward,
    mlp_backward_formulas,
    mlp_forward,
    one_hot,
    relu,
    sgd_first_order_decrease,
    sgd_update,
    softmax,
    softmax_ce_gradient,
    two_layer_gradients,
    two_layer_loss,
    verify_mlp_backward,
    verify_softmax_ce,
    verify_two_layer,
)

pytestmark = pytest.mark.part1


@pytest.mark.parametrize(
    ("sizes", "acts"),
    [
        ((3, 2, 2), ("tanh", "identity")),
        ((2, 2, 2, 3), ("sigmoid", "relu", "identity")),
    ],
)
def test_report_a_formulas_match_sympy(sizes, acts) -> None:  # type: ignore[no-untyped-def]
    verdicts = verify_mlp_backward(sizes, acts, y=1, rng=3)
    expected = {f"{k}{l}" for l in range(1, len(sizes)) for k in "Wb"} | {"x"}
    assert set(verdicts) == expected
    for name, v in verdicts.items():
        assert v.correct, (name, str(v))


def test_dropping_f_prime_is_caught() -> None:
    # backward with the identity's derivative while the forward used tanh: F'_l left out
    x = matrix_symbols("x", 2, 1)
    W = [matrix_symbols("W1", 2, 2), matrix_symbols("W2", 2, 2)]
    b = [matrix_symbols("b1", 2, 1), matrix_symbols("b2", 2, 1)]
    hs, ss = mlp_forward(x, W, b, ["tanh", "identity"])
    loss = cross_entropy(hs[-1], 0)
    dWs, _, _ = mlp_backward(hs, ss, W, ["identity", "identity"], softmax_ce_gradient(hs[-1], 0))
    v = check_gradient(loss, W[0], dWs[0], simplify=False)
    assert not v.correct and v.counterexample is not None
    dWs_ok, _, _ = mlp_backward(hs, ss, W, ["tanh", "identity"], softmax_ce_gradient(hs[-1], 0))
    assert check_gradient(loss, W[0], dWs_ok[0], simplify=False).correct


def test_formulas_render() -> None:
    f = mlp_backward_formulas()
    tex = f.latex()
    assert r"F'_{l}" in tex["matrix:W"] and r"h_{l-1}^{T}" in tex["matrix:W"]
    assert r"\sum_{i=1}^{n_{l}}" in tex["component:h_prev"]
    # the component form prints the layer and the unit side by side, as the prose does
    assert tex["component:W"] == (
        r"\frac{\partial L}{\partial W_{l,ij}} = f_l'\left(s_{l,i}\right) \bar h_{l,i} h_{l-1,j}"
    )
    assert r"\bar h_{l-1,j} = " in tex["component:h_prev"]
    assert r"W_{l,ij} \bar h_{l,i}" in tex["component:h_prev"]
    assert r"{s_{l}}_{i}" not in " ".join(tex.values())
    assert f.matrix["h_prev"].lhs.shape == (1, sp.Symbol("n_{l-1}", integer=True, positive=True))


def test_mlp_forward_validates_shapes() -> None:
    with pytest.raises(ValueError, match="layer 1: expected W_1 with 2 columns"):
        mlp_forward(sp.Matrix([1, 2]), [sp.ones(2, 3)], [sp.zeros(2, 1)], ["tanh"])
    with pytest.raises(ValueError, match="as many"):
        mlp_forward(sp.Matrix([1]), [sp.ones(1, 1)], [], ["tanh"])
    with pytest.raises(ValueError, match="activation"):
        mlp_forward(sp.Matrix([1]), [sp.ones(1, 1)], [sp.zeros(1, 1)], ["swish"])
    with pytest.raises(ValueError, match="one activation per layer"):
        verify_mlp_backward((2, 2, 2), ("tanh",))


def test_softmax_ce() -> None:
    assert verify_softmax_ce(3, 2).correct
    assert verify_softmax_ce(3, 1, batch=3).correct
    z = sp.Matrix([1, 2, 3])
    p = np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()
    assert np.allclose([float(v) for v in softmax(z)], p)
    assert float(cross_entropy(z, 2)) == pytest.approx(-np.log(p[2]))
    assert list(softmax_ce_gradient(z, 0) - softmax(z)) == [-1, 0, 0]
    # report B's division by N: without it the batch gradient is wrong
    Z = matrix_symbols("z", 2, 2)
    P = sp.Matrix.vstack(softmax(Z[0, :]), softmax(Z[1, :]))
    D = sp.Matrix([[1, 0], [0, 1]])
    assert not check_gradient(mean_cross_entropy(Z, [0, 1]), Z, P - D).correct
    with pytest.raises(ValueError, match="label"):
        one_hot(3, 3)
    with pytest.raises(ValueError, match="label"):
        cross_entropy(z, 5)
    with pytest.raises(ValueError, match="2 labels"):
        mean_cross_entropy(Z, [0])


def test_sgd() -> None:
    t, g, eta = sp.symbols("theta g eta")
    assert sgd_update(t, g, eta) == t - eta * g
    assert sgd_first_order_decrease((2, 3), y=2).correct


def test_report_b_gradients() -> None:
    verdicts = verify_two_layer(2, 2, 2, 3, rng=1)
    assert set(verdicts) == {"W1", "b1", "W2", "b2"}
    assert all(v.correct for v in verdicts.values()), {k: str(v) for k, v in verdicts.items()}


def test_report_b_without_factor_two_is_caught() -> None:
    X = matrix_symbols("X", 1, 2)
    W1, b1 = matrix_symbols("W1", 2, 2), matrix_symbols("b1", 1, 2)
    W2, b2 = matrix_symbols("W2", 2, 2), matrix_symbols("b2", 1, 2)
    lam = sp.Symbol("lambda", positive=True)
    J, mid = two_layer_loss(X, [1], W1, b1, W2, b2, lam)
    grads = two_layer_gradients(X, [1], W1, W2, lam, mid)
    wrong = grads["W2"] - lam * W2  # lambda W2 instead of 2 lambda W2
    v = check_gradient(J, W2, wrong, simplify=False)
    assert not v.correct
    assert v.counterexample is not None
    lam_v = v.counterexample.point["lambda"]
    assert lam_v > 0
    with pytest.raises(ValueError, match="expected W1"):
        two_layer_loss(X, [1], W1, b1, W2, sp.zeros(1, 3), lam)


def test_report_b_numbers_against_numpy() -> None:
    rng = np.random.default_rng(0)
    Xv, W1v, W2v = rng.normal(size=(3, 2)), rng.normal(size=(2, 4)), rng.normal(size=(4, 3))
    b1v, b2v = rng.normal(size=(1, 4)), rng.normal(size=(1, 3))
    y = [0, 2, 1]
    lam = 0.1
    J, _ = two_layer_loss(
        sp.Matrix(Xv), y, sp.Matrix(W1v), sp.Matrix(b1v), sp.Matrix(W2v), sp.Matrix(b2v), lam
    )
    z2 = Xv @ W1v + b1v
    z3 = np.maximum(z2, 0) @ W2v + b2v
    p = np.exp(z3 - z3.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    ref = -np.log(p[np.arange(3), y]).mean() + lam * ((W1v**2).sum() + (W2v**2).sum())
    assert float(J) == pytest.approx(ref, rel=1e-12)


def test_relu() -> None:
    z = sp.Symbol("z", real=True)
    assert sp.diff(relu(z), z) == sp.Heaviside(z)
