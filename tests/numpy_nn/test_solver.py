from __future__ import annotations

import numpy as np
import pytest

from backprop_book.numpy_nn import MLP, TwoLayerNet, toy_data, toy_model, train

pytestmark = pytest.mark.part2


def _blobs(n=300, d=8, c=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = 3 * rng.standard_normal((c, d))
    y = rng.integers(0, c, n)
    return centres[y] + rng.standard_normal((n, d)), y


def test_toy_training_reaches_loss_below_002():
    X, y = toy_data()
    net = toy_model()
    hist = net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100, rng=0)
    assert hist.loss[-1] < 0.02  # report B: 0.017
    assert hist.loss[0] == pytest.approx(1.2439, abs=1e-4)
    assert hist.iterations == 100 and len(hist.val_acc) == 100  # N=5 < batch: an epoch per step


def test_same_seed_same_history_and_parameters():
    X, y = _blobs()
    runs = []
    for _ in range(2):
        net = TwoLayerNet(8, 16, 3, std=0.1, rng=1)
        h = train(net, X, y, learning_rate=0.1, num_iters=30, batch_size=32, rng=5)
        runs.append((h.loss, net.params["W1"].copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_momentum_learns_faster_than_plain_sgd_on_blobs():
    X, y = _blobs()
    final = {}
    for mu in (0.0, 0.9):
        net = TwoLayerNet(8, 16, 3, std=0.01, rng=1)
        h = train(
            net,
            X,
            y,
            learning_rate=0.01,
            learning_rate_decay=1.0,
            reg=0.0,
            num_iters=60,
            batch_size=50,
            momentum=mu,
            rng=0,
        )
        final[mu] = np.mean(h.loss[-10:])
    assert final[0.9] < final[0.0]


def test_learning_rate_decays_each_epoch():
    X, y = _blobs(n=100)
    h = train(
        TwoLayerNet(8, 4, 3, rng=0),
        X,
        y,
        X,
        y,
        learning_rate=1.0,
        learning_rate_decay=0.5,
        num_iters=12,
        batch_size=25,
    )
    assert h.epoch_end == [4, 8, 12]
    assert h.learning_rate == [1.0, 0.5, 0.25]


def test_early_stopping_stops_and_restores_the_best_parameters():
    X, y = _blobs(n=200)
    Xv, yv = _blobs(n=100, seed=1)
    net = MLP(8, [16], 3, std=0.1, rng=0)
    # a huge learning rate makes validation accuracy collapse after the first epochs
    h = train(
        net,
        X,
        y,
        Xv,
        yv,
        learning_rate=50.0,
        learning_rate_decay=1.0,
        num_iters=400,
        batch_size=50,
        patience=3,
        rng=0,
    )
    assert h.stopped_early
    assert h.iterations < 400 and len(h.val_acc) == h.best_epoch + 3
    assert float(np.mean(net.predict(Xv) == yv)) == pytest.approx(h.best_val_acc)


def test_augment_hook_sees_every_batch():
    X, y = _blobs(n=50)
    seen = []

    def aug(xb, rng):
        seen.append(xb.shape)
        return xb

    train(TwoLayerNet(8, 4, 3, rng=0), X, y, num_iters=5, batch_size=10, augment=aug, rng=0)
    assert seen == [(10, 8)] * 5


def test_bad_arguments():
    X, y = _blobs(n=20)
    net = TwoLayerNet(8, 4, 3, rng=0)
    with pytest.raises(ValueError, match="early stopping needs a validation set"):
        train(net, X, y, patience=2)
    with pytest.raises(ValueError, match="both X_val and y_val"):
        train(net, X, y, X, None)
    with pytest.raises(ValueError, match="expected X of shape"):
        train(net, X, y[:5])
    with pytest.raises(ValueError, match="positive learning_rate"):
        train(net, X, y, learning_rate=0.0)


def test_history_as_dict_subsamples_loss():
    X, y = _blobs(n=40)
    h = train(TwoLayerNet(8, 4, 3, rng=0), X, y, num_iters=25, batch_size=10, rng=0)
    d = h.as_dict(loss_every=10)
    assert d["loss_iteration"] == [0, 10, 20, 24]
    assert d["loss"][-1] == h.loss[-1]
