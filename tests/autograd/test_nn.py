"""Linear, MLP, inits and losses against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backprop_book.autograd import TensorNode
from backprop_book.autograd.nn import (
    ACTIVATIONS,
    INITS,
    Activation,
    Dropout,
    Linear,
    Module,
    Sequential,
    cross_entropy,
    init_std,
    mlp,
    report_e_model,
)

pytestmark = pytest.mark.part3


@pytest.mark.parametrize(
    ("init", "expected"),
    [("glorot", np.sqrt(2 / 10)), ("course", 0.2), ("he", np.sqrt(2 / 2)), ("he_fanout", 0.5)],
)
def test_init_std_for_the_2_8_layer(init: str, expected: float) -> None:
    assert init_std(init, 2, 8) == pytest.approx(expected)


@pytest.mark.parametrize("init", sorted(INITS))
def test_linear_draws_weights_with_that_std(init: str) -> None:
    lin = Linear(200, 300, init=init, rng=0)
    assert lin.W.shape == (300, 200) and lin.b.shape == (1, 300)
    assert lin.W.value.std() == pytest.approx(init_std(init, 200, 300), rel=0.01)
    assert not lin.b.value.any()


def test_unknown_init_and_bad_input_shape_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        Linear(2, 3, init="xavier")
    with pytest.raises(ValueError, match=r"expected h_prev with 2 features.*got shape \(4, 3\)"):
        Linear(2, 3, rng=0)(np.ones((4, 3)))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mlp_loss_and_gradients_match_torch(reduction: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 2))
    y = rng.integers(0, 2, 16)
    net = mlp([2, 8, 8, 2], ["relu", "sigmoid"], init="glorot", rng=1)
    loss = cross_entropy(net(x), y, reduction=reduction)
    loss.backward()
    ts = [torch.tensor(p.value, requires_grad=True) for p in net.parameters()]
    W1, b1, W2, b2, W3, b3 = ts
    h = torch.relu(torch.tensor(x) @ W1.T + b1)
    h = torch.sigmoid(h @ W2.T + b2)
    s = h @ W3.T + b3
    ref = torch.nn.functional.cross_entropy(s, torch.tensor(y), reduction=reduction)
    ref.backward()
    assert float(loss.value) == pytest.approx(ref.item(), rel=1e-12)
    for p, t in zip(net.parameters(), ts, strict=True):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_summed_loss_is_batch_size_times_mean() -> None:
    s = TensorNode(np.random.default_rng(0).standard_normal((128, 2)))
    y = np.arange(128) % 2
    assert float(cross_entropy(s, y, "sum").value) == pytest.approx(
        128 * float(cross_entropy(s, y, "mean").value)
    )


def test_parameters_and_counts() -> None:
    net = report_e_model(hidden=8, rng=0)
    assert [p.shape for p in net.parameters()] == [(8, 2), (1, 8), (8, 8), (1, 8), (2, 8), (1, 2)]
    assert net.n_parameters() == 24 + 72 + 18
    assert all(lin.init == "he_fanout" for lin in net.layers[::2])


def test_mlp_is_reproducible_from_its_seed() -> None:
    a, b = mlp([2, 8, 2], rng=5), mlp([2, 8, 2], rng=5)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.value, q.value)


def test_mlp_rejects_bad_activation_lists() -> None:
    with pytest.raises(ValueError, match="expected 2 activations"):
        mlp([2, 8, 8, 2], ["relu"])
    with pytest.raises(ValueError, match="unknown activation 'elu'"):
        mlp([2, 8, 2], "elu")


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_module_applies_its_op(name: str) -> None:
    x = np.linspace(-2.0, 2.0, 7)
    expected = {"sigmoid": 1 / (1 + np.exp(-x)), "relu": np.maximum(x, 0), "tanh": np.tanh(x)}
    np.testing.assert_allclose(Activation(name)(x).value, expected[name])
    assert repr(Activation(name)) == f"Activation({name!r})"
    assert Activation(name).parameters() == []


def test_unknown_activation_module_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"unknown activation 'elu'; expected one of \['relu'"):
        Activation("elu")


def test_layer_outputs_are_each_layers_h_and_forward_keeps_no_state() -> None:
    net = mlp([2, 4, 3, 2], ["tanh", "relu"], rng=0)
    x = np.random.default_rng(1).standard_normal((5, 2))
    outs = net.layer_outputs(x)
    h = TensorNode(x, requires_grad=False)
    for layer, out in zip(net.layers, outs, strict=True):
        h = layer(h)
        np.testing.assert_array_equal(out.value, h.value)
    np.testing.assert_array_equal(net(x).value, outs[-1].value)
    # forward sets nothing: no kept outputs, and the mode is only what train()/eval() set
    assert not hasattr(net, "outputs") and "training" not in vars(net) and net.training
    assert Sequential([]).layer_outputs(x) == []


# ----------------------------------------------------------------------------- the torch reader's API


def test_named_parameters_follow_torchs_paths_and_parameters_order() -> None:
    net = mlp([3, 4, 2], "relu", rng=0)
    named = list(net.named_parameters())
    assert [p for _, p in named] == net.parameters()
    assert [n for n, _ in named] == ["layers.0.W", "layers.0.b", "layers.2.W", "layers.2.b"]
    # the same layers in torch: the same number of tensors, the weights of the same shapes
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    theirs = list(ref.named_parameters())
    assert [n for n, _ in theirs] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for (_, ours), (_, t) in zip(named, theirs, strict=True):
        assert ours.value.size == t.numel() and ours.shape[-1] == t.shape[-1]

    class Two(Module):
        def __init__(self) -> None:
            self.encoder = Linear(2, 3, rng=0)
            self.heads = [Linear(3, 1, rng=1), Linear(3, 1, rng=2)]

    assert [n for n, _ in Two().named_parameters(prefix="m.")] == [
        "m.encoder.W",
        "m.encoder.b",
        "m.heads.0.W",
        "m.heads.0.b",
        "m.heads.1.W",
        "m.heads.1.b",
    ]


def test_train_and_eval_set_every_submodule_and_return_the_module() -> None:
    net = Sequential([Linear(2, 3, rng=0), Dropout(0.5, rng=0), Sequential([Dropout(0.2)])])
    assert net.training and all(m.training for m in net.layers)
    assert net.eval() is net
    assert not net.training and not any(m.training for m in net.layers)
    assert not net.layers[2].layers[0].training
    assert net.train() is net and net.layers[2].layers[0].training
    with pytest.raises(TypeError, match="expected mode to be True or False, got 'no'"):
        net.train("no")  # type: ignore[arg-type]


@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 0.9])
def test_dropout_matches_torch_in_training_and_evaluation(p: float) -> None:
    x = np.random.default_rng(0).standard_normal((400, 250))
    drop, ref = Dropout(p, rng=1), torch.nn.Dropout(p)
    torch.manual_seed(0)
    xt = torch.tensor(x, requires_grad=True)
    xn = TensorNode(x.copy())
    h, ht = drop(xn), ref(xt)
    # the same kind of output as torch's: zeros, and survivors scaled by 1 / (1 - p)
    kept = h.value != 0
    np.testing.assert_allclose(h.value[kept], x[kept] / (1 - p), rtol=1e-12)
    kept_t = (ht != 0).numpy()
    assert abs(kept.mean() - kept_t.mean()) < 0.01 and abs(kept.mean() - (1 - p)) < 0.01
    # the gradient flows through the mask, as through torch's with the same mask
    seed = np.random.default_rng(2).standard_normal(x.shape)
    h.backward(seed)
    xt2 = torch.tensor(x, requires_grad=True)
    (xt2 * torch.tensor(kept / (1 - p))).backward(torch.tensor(seed))
    np.testing.assert_allclose(xn.grad, xt2.grad.numpy(), rtol=1e-12)
    # evaluation: the identity, in both
    drop.eval()
    ref.eval()
    np.testing.assert_array_equal(drop(x).value, ref(torch.tensor(x)).numpy())
    assert drop(xn) is xn


def test_dropout_masks_are_seeded() -> None:
    a = Dropout(0.5, rng=3)(np.ones((4, 5))).value
    b = Dropout(0.5, rng=3)(np.ones((4, 5))).value
    np.testing.assert_array_equal(a, b)
