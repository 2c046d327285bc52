from __future__ import annotations

import numpy as np
import pytest

from backprop_book.numpy_nn import (
    MLP,
    check_gradients,
    directional_check,
    numerical_gradient,
)
from backprop_book.numpy_nn.two_layer_net import TwoLayerNet, toy_data, toy_model

pytestmark = pytest.mark.part2


def test_centred_is_second_order_forward_is_first_order():
    x = np.array([0.7])

    def f(v):
        return float(np.sin(v[0]))

    exact = np.cos(0.7)
    ec = [abs(numerical_gradient(f, x, h=h)[0] - exact) for h in (1e-2, 1e-3)]
    ef = [abs(numerical_gradient(f, x, h=h, method="forward")[0] - exact) for h in (1e-2, 1e-3)]
    assert ec[0] / ec[1] == pytest.approx(100, rel=0.01)  # O(h^2)
    assert ef[0] / ef[1] == pytest.approx(10, rel=0.05)  # O(h)
    assert x[0] == 0.7  # restored


def test_sampled_and_direction_modes_pass_on_a_correct_net():
    X, y = toy_data()
    for mode in ("sampled", "direction"):
        res = check_gradients(toy_model(), X, y, reg=0.05, mode=mode, num_samples=5, rng=0)
        assert res.max_error < 1e-8, (mode, res.rel_errors)
        assert all(len(a) == 5 for a, _ in res.compared.values() if a.size > 3)


class _BuggyNet(TwoLayerNet):
    """Forgets the factor 2 of the L2 gradient on W1: a classic bug."""

    def loss(self, X, y=None, reg=0.0):
        out = super().loss(X, y, reg)
        if y is None:
            return out
        loss, g = out
        g["W1"] -= reg * self.params["W1"]
        return loss, g


@pytest.mark.parametrize("mode", ["full", "sampled", "direction"])
def test_every_mode_catches_a_bug_and_names_the_parameter(mode):
    X, y = toy_data()
    net = _BuggyNet(4, 10, 3, std=0.1, rng=np.random.RandomState(0))
    res = check_gradients(net, X, y, reg=0.5, mode=mode, num_samples=5, rng=0)
    assert res.rel_errors["W1"] > 1e-3
    assert max(res.rel_errors[k] for k in ("b1", "W2", "b2")) < 1e-8
    assert not res.passed()


def test_direction_mode_on_a_big_net_is_cheap_and_accurate():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 300)), rng.integers(0, 10, 20)
    net = MLP(300, [50, 40], 10, std=0.1, activation="tanh", rng=0)
    res = check_gradients(net, X, y, reg=0.01, mode="direction", num_samples=3, rng=1)
    assert res.max_error < 1e-7, res.rel_errors


def test_directional_check_restores_x():
    x = np.arange(4.0)
    before = x.copy()
    directional_check(lambda v: float(np.sum(v**2)), x, 2 * x, num_directions=2, rng=0)
    np.testing.assert_array_equal(x, before)


def test_bad_arguments():
    X, y = toy_data()
    with pytest.raises(ValueError, match="expected mode"):
        check_gradients(toy_model(), X, y, mode="exhaustive")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected method"):
        numerical_gradient(lambda v: 0.0, np.zeros(2), method="backward")  # type: ignore[arg-type]
