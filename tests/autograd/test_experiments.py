"""Question 9 machinery: training runs, init statistics and the recording runner."""

from __future__ import annotations

import json

import numpy as np
import pytest

from backprop_book.autograd.experiments import (
    EXPERIMENTS,
    TrainConfig,
    build_model,
    layer_statistics,
    profile_sizes,
    train,
)
from backprop_book.data.synthetic import load_synthetic

pytestmark = pytest.mark.part3


def test_profile_sizes_follow_the_course_in_full() -> None:
    assert profile_sizes("full") == {"n_train": 60_000, "n_val": 10_000, "epochs": 20}
    q = profile_sizes("quick")
    assert q["n_train"] < 60_000 and q["epochs"] <= 20


def test_training_relu_learns_and_is_reproducible() -> None:
    d = load_synthetic(3000, 1000, rng=0)
    a = train(EXPERIMENTS["relu2"], d, epochs=3)
    b = train(EXPERIMENTS["relu2"], d, epochs=3)
    assert a.val_accuracy == b.val_accuracy
    assert a.val_accuracy[-1] > 0.85 > a.val_accuracy[0]
    assert len(a.train_loss) == len(a.val_loss) == 4 and len(a.lr) == 3


def test_epoch_schedule_shrinks_the_learning_rate() -> None:
    d = load_synthetic(500, 100, rng=0)
    r = train(EXPERIMENTS["schedule_c"], d, epochs=3)
    np.testing.assert_allclose(r.lr, [0.001, 0.0008, 0.00064])


def test_course_init_gives_smaller_signals_than_glorot() -> None:
    d = load_synthetic(256, 10, rng=0)
    course = layer_statistics(build_model(EXPERIMENTS["init_course"]), d.x_train, d.y_train)
    glorot = layer_statistics(build_model(EXPERIMENTS["init_glorot"]), d.x_train, d.y_train)
    assert course[0].s_std < 0.5 * glorot[0].s_std
    assert course[0].grad_s_rms < 0.7 * glorot[0].grad_s_rms
    # the (8, 2) layer of std 0.2 on unit-variance inputs: s has std 0.2 * sqrt(2) in expectation
    assert course[0].s_std == pytest.approx(0.2 * np.sqrt(2), rel=0.35)


def test_bad_configs_are_rejected() -> None:
    with pytest.raises(ValueError, match="expected 1 activations"):
        TrainConfig(sizes=(2, 8, 2), activations=())
    with pytest.raises(ValueError, match="optimizer must be"):
        TrainConfig(optimizer="rmsprop")


def test_runner_records_with_provenance(tmp_path, monkeypatch, clean_git) -> None:
    from backprop_book.experiments import run_study

    monkeypatch.setattr(
        "backprop_book.autograd.experiments.profile_sizes",
        lambda profile=None: {"n_train": 600, "n_val": 200, "epochs": 1},
    )
    run = run_study("part3/relu2", record=True, results_dir=tmp_path)
    saved = json.loads((tmp_path / "part3" / "relu2.json").read_text())
    assert saved["data"]["val_accuracy"] == run.data["val_accuracy"]
    assert len(saved["data"]["val_accuracy"]) == 2 and "device" not in saved["data"]
    prov = saved["provenance"]
    assert prov["command"] == "backprop-book reproduce part3/relu2 --profile quick --record"
    assert prov["data_sha256"] == "synthetic" and prov["data_source"].startswith("synthetic")
    assert prov["device"] == run.device == "cpu"
    assert prov["trained_commit"] == prov["recorded_commit"] == clean_git


def test_plateau_epochs_counts_until_the_margin_is_passed():
    from backprop_book.autograd.experiments import plateau_epochs

    assert plateau_epochs([0.5, 0.51, 0.53, 0.9], majority=0.5) == 2
    assert plateau_epochs([0.5, 0.51, 0.53, 0.9], majority=0.5, margin=0.05) == 3
    assert plateau_epochs([0.5] * 4, majority=0.5) == 4
    with pytest.raises(ValueError, match=r"share in \[0, 1\]"):
        plateau_epochs([0.5], majority=1.5)
