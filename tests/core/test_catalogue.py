from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from backprop_book import experiments
from backprop_book.cli import main
from backprop_book.results import record_result

pytestmark = pytest.mark.core


@pytest.mark.parametrize("entry", experiments.CATALOGUE, ids=lambda e: f"{e.report}:{e.runs[0]}")
def test_every_catalogued_run_is_known_to_its_runner(entry: experiments.Experiment) -> None:
    module = importlib.import_module(entry.runner)
    known = set(getattr(module, "CONFIGS", {})) | set(getattr(module, "EXPERIMENTS", {}))
    assert set(entry.runs) <= known
    assert callable(module.main)


def test_every_report_with_runs_is_catalogued() -> None:
    assert {e.report for e in experiments.CATALOGUE} == {"A", "B", "C", "D", "E"}
    assert experiments.find(report="b")[0].runs == ("default",)
    assert experiments.CATALOGUE[2].command() == (
        "python -m backprop_book.numpy_nn.experiments run default --profile full --record"
    )


def test_recorded_status_reads_the_results_folder(tmp_path: Path) -> None:
    assert not any(experiments.recorded_status(tmp_path).values())
    record_result(
        "part2/default",
        {"val_acc": 0.3},
        device="cpu",
        data_source="x",
        seed=0,
        wall_time_s=1.0,
        results_dir=tmp_path,
    )
    status = experiments.recorded_status(tmp_path)
    assert status[("part2", "default")] is True
    assert sum(status.values()) == 1


def test_run_rejects_unknown_parts_and_names() -> None:
    with pytest.raises(ValueError, match="part must be one of"):
        experiments.run("part9", ["x"])
    with pytest.raises(ValueError, match=r"unknown run\(s\) \['nope'\] for part3"):
        experiments.run("part3", ["nope"])


def test_cli_lists_the_catalogue(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BACKPROP_BOOK_RESULTS", str(tmp_path))
    assert main(["experiments", "list", "--report", "D"]) == 0
    out = capsys.readouterr().out
    assert "D | Q4: LeNet-5" in out and "part4: lenet5" in out and "(recorded)" not in out
