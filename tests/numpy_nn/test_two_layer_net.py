from __future__ import annotations

import numpy as np
import pytest

from backprop_book.numpy_nn import (
    TOY_REFERENCE,
    TwoLayerNet,
    check_gradients,
    toy_data,
    toy_model,
)

pytestmark = pytest.mark.part2


def test_toy_scores_and_probabilities_match_the_reference():
    net = toy_model()
    X, _ = toy_data()
    # the reference is printed to 8 decimals: agreement to rounding
    np.testing.assert_allclose(net.scores(X), TOY_REFERENCE["scores"], rtol=0, atol=5e-9)
    probs = net.loss(X)
    np.testing.assert_allclose(probs[0], TOY_REFERENCE["first_prob_row"], atol=5e-9)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_toy_loss_matches_the_reference():
    net = toy_model()
    X, y = toy_data()
    loss, _ = net.loss(X, y, reg=TOY_REFERENCE["loss_reg"])
    assert abs(loss - TOY_REFERENCE["loss"]) < 1e-12


def test_toy_gradients_pass_the_check_below_1e8():
    X, y = toy_data()
    res = check_gradients(toy_model(), X, y, reg=0.05)
    assert set(res.rel_errors) == {"W1", "b1", "W2", "b2"}
    assert res.max_error < 1e-8, res.rel_errors


def test_toy_gradients_pinned_values():
    X, y = toy_data()
    _, g = toy_model().loss(X, y, reg=0.05)
    # pinned from a run checked against finite differences (test above)
    np.testing.assert_allclose(g["b2"], [0.2099691, -0.1431905, -0.0667786], atol=1e-7)
    np.testing.assert_allclose(g["W2"][0], [-0.51376469, 0.16723293, 0.30478335], atol=1e-8)
    assert float(np.abs(g["W1"]).sum()) == pytest.approx(5.517917058279147, rel=1e-12)
    assert g["W2"].shape == (10, 3) and g["W1"].shape == (4, 10)


def test_errors_name_expected_and_received():
    net = TwoLayerNet(4, 3, 2, rng=0)
    with pytest.raises(
        ValueError, match=r"expected X with 4 features \(shape \(N, 4\)\), got shape \(5, 3\)"
    ):
        net.loss(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"expected y of shape \(2,\)"):
        net.loss(np.ones((2, 4)), np.array([0]))
    with pytest.raises(ValueError, match="expected a positive integer hidden_size"):
        TwoLayerNet(4, 0, 2)
    with pytest.raises(TypeError, match="expected rng"):
        TwoLayerNet(4, 3, 2, rng="seed")  # type: ignore[arg-type]


def test_seed_reproduces_and_generator_differs_from_legacy():
    a = TwoLayerNet(5, 4, 3, rng=7).params["W1"]
    b = TwoLayerNet(5, 4, 3, rng=7).params["W1"]
    c = TwoLayerNet(5, 4, 3, rng=np.random.RandomState(7)).params["W1"]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
