from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backprop_book.numpy_nn.experiments import (
    CONFIGS,
    PCA,
    REPORT_B,
    CifarData,
    FlipScale,
    run_config,
    train_subset,
)

pytestmark = pytest.mark.part2


def _fake_data(n=400, seed=0):
    """Synthetic 32x32x3 'images' whose class sets the mean colour: learnable in a few steps."""
    rng = np.random.default_rng(seed)

    def make(m):
        y = rng.integers(0, 10, m)
        X = rng.normal(0, 20, (m, 3072)).astype(np.float32) + (y[:, None] * 10.0).astype(np.float32)
        return X, y

    Xt, yt = make(n)
    mean = Xt.mean(axis=0)
    Xv, yv = make(100)
    Xs, ys = make(100)
    return CifarData(Xt - mean, yt, Xv - mean, yv, Xs - mean, ys, mean, "synthetic (test)")


def test_configs_match_report_b():
    best = CONFIGS["best"]
    assert (best.hidden_size, best.num_iters, best.learning_rate, best.reg) == (
        80,
        4500,
        0.0015,
        0.29,
    )
    assert (best.batch_size, best.learning_rate_decay) == (1000, 0.8)
    d = CONFIGS["default"]
    assert (
        d.hidden_size,
        d.std,
        d.batch_size,
        d.learning_rate,
        d.learning_rate_decay,
        d.reg,
        d.num_iters,
    ) == (50, 1e-4, 200, 1e-4, 0.95, 0.25, 1000)
    from backprop_book.reports import b as report_b

    assert set(report_b.TABLE1) <= set(CONFIGS)  # every Table 1 row has its run
    assert set(REPORT_B) == set(CONFIGS)


def test_profiles_trim_iterations_only_under_quick():
    c = CONFIGS["best"]
    assert c.for_profile("full").num_iters == 4500
    assert c.for_profile("quick").num_iters == c.quick_iters < 4500


@pytest.mark.parametrize(
    "name", ["default", "best_early_stopping", "best_pca640", "best_flip_scale"]
)
def test_run_config_on_synthetic_data(name):
    data = _fake_data()
    cfg = dataclasses.replace(CONFIGS[name], quick_iters=8, batch_size=40)  # a smoke run
    if cfg.pca_dims:
        cfg = dataclasses.replace(cfg, pca_dims=50)
    res = run_config(cfg, data, profile="quick")
    assert res.history.iterations <= 8
    assert 0.0 <= res.val_acc <= 1.0 and res.data_source == "synthetic (test)"
    d = res.as_dict()
    assert d["config"]["name"] == name and d["profile"] == "quick"
    if name == "best_pca640":
        assert d["pca_explained_variance_ratio"] > 0.1


def test_run_config_learns_the_synthetic_task():
    cfg = dataclasses.replace(
        CONFIGS["t1_h80_it2000_lr0.0025"],
        quick_iters=40,
        batch_size=50,
        learning_rate=3e-4,
        std=1e-3,
        reg=0.0,
        learning_rate_decay=1.0,
    )
    res = run_config(cfg, _fake_data(), profile="quick")
    assert res.history.loss[-1] < 0.75 * res.history.loss[0]
    assert res.val_acc > 0.2  # chance is 0.1


def test_unknown_run_is_rejected():
    with pytest.raises(ValueError, match="unknown run 'nope'"):
        run_config("nope", _fake_data())


def test_flip_scale_restores_the_mean_and_flips():
    rng = np.random.default_rng(0)
    mean = rng.normal(100, 10, 3072).astype(np.float32)
    X = rng.normal(0, 30, (4, 3072)).astype(np.float32)
    out = FlipScale(mean, p_hflip=0.0, p_vflip=1.0, scale=(2.0, 2.0))(X.copy(), rng)
    expect = 2.0 * (X + mean).reshape(4, 32, 32, 3)[:, ::-1] - mean.reshape(32, 32, 3)
    np.testing.assert_allclose(out.reshape(4, 32, 32, 3), expect, rtol=1e-5, atol=1e-3)


def test_pca_components_are_orthonormal_and_match_svd_and_eigh_paths():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 20)) @ rng.standard_normal((20, 20))
    X -= X.mean(axis=0)
    a = PCA.fit(X, 5)  # eigh path (more rows than features)
    b = PCA.fit(X[:15], 5)  # Gram-matrix path
    np.testing.assert_allclose(a.components.T @ a.components, np.eye(5), atol=1e-10)
    np.testing.assert_allclose(b.components.T @ b.components, np.eye(5), atol=1e-10)
    # both paths agree on the same covariance (rows repeated: 30 > 20 features -> eigh)
    r = PCA.fit(np.repeat(X[:15], 2, axis=0), 5)
    assert r.explained_variance_ratio == pytest.approx(b.explained_variance_ratio)
    np.testing.assert_allclose(np.abs(r.components.T @ b.components), np.eye(5), atol=1e-8)
    with pytest.raises(ValueError, match="expected 0 < k <= 20"):
        PCA.fit(X, 21)
    with pytest.raises(ValueError, match="expected k <= the 15 rows"):
        PCA.fit(X[:15], 16)


def test_quick_profile_subset_is_random_and_batch_is_trimmed():
    c = CONFIGS["best_flip_scale"]
    q = c.for_profile("quick")
    assert (q.batch_size, q.num_iters) == (200, 100) and c.train_size("quick") == 5000
    assert c.train_size("full") is None and c.for_profile("full").batch_size == 1000
    # a class-sorted set (as in the image-folder copy): the subset must span all of it
    idx = train_subset(49_000, 5000, seed=0)
    assert len(np.unique(idx)) == 5000 and idx[0] < 100 and idx[-1] > 48_900
    labels = np.repeat(np.arange(10), 4900)
    assert np.bincount(labels[idx], minlength=10).min() > 400
    with pytest.raises(ValueError, match="expected 0 < n <= 10"):
        train_subset(10, 11, seed=0)
