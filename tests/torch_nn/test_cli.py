from __future__ import annotations

import json

import pytest

from backprop_book import cli
from backprop_book.torch_nn.config import parse_model_args

pytestmark = pytest.mark.part4


def test_train_resume_evaluate_round_trip(tmp_path, capsys):
    out = tmp_path / "run"
    args = [
        "train", "--data", "fake", "--model", "fc", "--model-arg", "n_linear=3",
        "--max-train", "64", "--max-test", "32", "--batch-size", "16", "--epochs", "2",
        "--optimizer", "adam", "--out", str(out), "--device", "cpu",
    ]  # fmt: skip
    assert cli.main([*args, "--stop-after", "1"]) == 0
    first = capsys.readouterr().out
    assert "epoch 1:" in first and "epoch 2:" not in first and "test accuracy" in first
    resume = [a for a in args if a not in ("--epochs", "2")]  # the checkpoint knows: 2 epochs
    assert cli.main([*resume, "--resume"]) == 0
    text = capsys.readouterr().out
    assert "epoch 2:" in text and "test accuracy" in text and "device=cpu" in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["epochs_done"] == 2
    assert metrics["data"]["config"]["model_args"] == {"n_linear": 3}
    prov = metrics["provenance"]
    assert prov["device"] == "cpu" and prov["seed"] == 0 and prov["wall_time_s"] > 0
    assert prov["data_source"].startswith("synthetic")
    assert cli.main(["evaluate", str(out / "checkpoint.pt"), "--device", "cpu"]) == 0
    ev = capsys.readouterr().out
    assert "accuracy" in ev and "confusion matrix" in ev and "truck" in ev
    acc = float(text.split("test accuracy ")[1].split()[0])
    assert f"accuracy {acc:.4f} on 32 images" in ev


def test_errors_are_reported_not_raised(tmp_path, capsys):
    assert cli.main(["evaluate", str(tmp_path / "missing.pt")]) == 1
    assert "no checkpoint at" in capsys.readouterr().err
    assert cli.main(["train", "--data", "fake", "--batch-size", "0", "--out", str(tmp_path)]) == 2
    assert "TrainConfig.batch_size: expected a positive integer, got 0" in capsys.readouterr().err


def test_parse_model_args_rejects_missing_equals():
    assert parse_model_args(["hidden_sizes=[50,70]"]) == {"hidden_sizes": [50, 70]}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_model_args(["n_linear"])
