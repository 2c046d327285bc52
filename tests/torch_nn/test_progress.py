"""A long study's progress: record and checkpoints joined run by run."""

from __future__ import annotations

import pytest

from backprop_book.torch_nn.experiments import alexnet_runs
from backprop_book.torch_nn.progress import (
    checkpoint_histories,
    format_progress,
    study_progress,
)
from backprop_book.torch_nn.trainer import TrainConfig, Trainer

pytestmark = pytest.mark.part4


def _checkpoint(folder, name, epochs):
    cfg = TrainConfig(model="mlp", model_args={"hidden_sizes": [4]}, data="fake", max_train=16,
                      max_test=8, batch_size=8, epochs=3, device="cpu", track_test=True)  # fmt: skip
    t = Trainer(cfg)
    t.fit(checkpoint=folder / f"{name}.pt", stop_after=epochs)
    return t.history


def test_checkpoints_give_their_histories_and_junk_is_skipped(tmp_path):
    hist = _checkpoint(tmp_path, "base", 2)
    (tmp_path / "half.pt").write_bytes(b"not a checkpoint")
    got = checkpoint_histories(tmp_path)
    assert list(got) == ["base"]
    assert [h["test_acc"] for h in got["base"]] == [h["test_acc"] for h in hist]
    assert len(got["base"]) == 2


def test_progress_takes_the_source_with_more_epochs():
    rec = {"runs": [{"name": "a", "history": [{"epoch": 1}] * 3},
                    {"name": "b", "history": [{"epoch": 1}]}]}  # fmt: skip
    ck = {"a": [{"epoch": 1}] * 2, "b": [{"epoch": 1}] * 2, "d": [{"epoch": 1}] * 3}
    rows = study_progress(["a", "b", "c", "d"], 3, rec, ck)
    assert [(r.name, r.epochs_done, r.source, r.done) for r in rows] == [
        ("a", 3, "record", True), ("b", 2, "checkpoint", False),
        ("c", 0, "not started", False), ("d", 3, "checkpoint", True),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="positive number of epochs"):
        study_progress(["a"], 0)


def test_format_progress_shows_each_run_and_its_last_accuracy():
    rows = study_progress(["x", "y"], 10, {"runs": [{"name": "x", "history": [{"test_acc": 0.7}]}]})
    text = format_progress(rows).splitlines()
    assert text[1].split() == ["x", "1/10", "record", "0.7000"]
    assert text[2].split() == ["y", "0/10", "not", "started", "-"]


def test_alexnet_runs_are_e_s_settings_one_change_each():
    runs = dict(alexnet_runs())
    base = runs["adam_lr1e-3_b100"]
    assert (base["optimizer"], base["lr"], base["batch_size"]) == ("adam", 1e-3, 100)
    changed = {name: {k for k in set(kw) | set(base) if kw.get(k) != base.get(k)}
               for name, kw in runs.items()}  # fmt: skip
    assert changed == {"adam_lr1e-3_b100": set(), "batch_norm": {"model_args"},
                       "sgd": {"optimizer", "momentum"}, "lr1e-4": {"lr"}, "lr1e-5": {"lr"},
                       "batch500": {"batch_size"}, "batch10": {"batch_size"},
                       "sgd_momentum0.9": {"optimizer", "momentum"}}  # fmt: skip
    assert runs["sgd"]["lr"] == 1e-3 and runs["sgd"]["momentum"] == 0.0
