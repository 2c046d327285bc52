"""The catalogue, the study registry and the one runner."""

from __future__ import annotations

import ast
import json
import os
import time
from pathlib import Path

import pytest

from backprop_book import experiments
from backprop_book import studies as registry
from backprop_book.experiments import runner
from backprop_book.reports import index
from backprop_book.results import (
    DirtyTreeError,
    list_results,
    load_result,
    missing_provenance,
    record_result,
)
from backprop_book.runtime import GitState
from backprop_book.studies import Registry, UnknownStudyError

pytestmark = pytest.mark.core

ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------- registry


def test_a_study_registered_twice_is_an_error() -> None:
    reg = Registry()

    @reg.study("part9/demo")
    def demo(profile: object) -> dict[str, str]:
        """A demo study."""
        return {"device": "cpu", "data_source": "synthetic"}

    assert reg.get("part9/demo").description == "A demo study."

    def other(profile: object) -> dict[str, str]:
        return {}

    with pytest.raises(
        ValueError, match=r"'part9/demo' is registered twice: by .*demo and by .*other"
    ):
        reg.register("part9/demo", other)
    assert reg.get("part9/demo").func is demo  # the first stays
    for bad in ("demo", "part9/", "part9/a b", "Part9/x"):
        with pytest.raises(ValueError, match="a study id is 'partN/name'"):
            reg.register(bad, other)
    with pytest.raises(TypeError, match="expected a callable"):
        reg.register("part9/x", 3)  # type: ignore[arg-type]


def test_unknown_id_is_one_line_naming_near_matches() -> None:
    experiments.load_studies()
    with pytest.raises(UnknownStudyError) as info:
        experiments.resolve_study("part4/a_cnn_studys")
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith("unknown study 'part4/a_cnn_studys'; did you mean part4/a_cnn_studies")
    assert msg.count(", ") <= 2  # at most three suggestions
    with pytest.raises(UnknownStudyError, match=r"did you mean part3/relu3, part3/relu2"):
        experiments.resolve_study("part3/relu")
    with pytest.raises(
        UnknownStudyError, match=r"'qqqq'; \d+ known \(backprop-book reproduce --list"
    ):
        experiments.resolve_study("qqqq")
    # a bare name is accepted when one part has it
    assert experiments.resolve_study("a_fc_depth").id == "part4/a_fc_depth"


def test_every_catalogued_study_is_registered_under_its_recorded_name() -> None:
    studies = {s.id: s for s in experiments.load_studies()}
    catalogued = {s for e in index.CATALOGUE for s in e.studies}
    assert catalogued <= set(studies)
    # the registered names are the recorded files' names
    recorded = set(list_results(ROOT / "docs" / "results"))  # files and study folders
    assert {"part2/best", "part3/relu2", "part4/a_cnn_studies", "part4/lenet5"} <= recorded & set(
        studies
    )
    assert {e.report for e in index.CATALOGUE} == {"A", "B", "C", "D", "E"}
    assert index.find(report="b")[0].studies == ("part2/default",)
    assert studies["part4/a_cnn_studies"].takes_checkpoints
    assert studies["part2/best"].takes_seed and not studies["part2/best"].takes_checkpoints
    assert not studies["part4/jpeg_shift"].takes_seed  # it runs its own seeds inside
    assert studies["part4/d_preprocessing"].takes_seed


def test_registry_imports_no_part_and_parts_do_not_parse_arguments() -> None:
    tree = ast.parse((ROOT / "backprop_book/studies.py").read_text())
    imported = {
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in (n.names if isinstance(n, ast.Import) else [n])  # type: ignore[list-item]
    }
    assert not {m for m in imported if m and m.startswith("backprop_book")}
    for part in ("numpy_nn", "autograd", "torch_nn"):
        text = (ROOT / "backprop_book" / part / "experiments.py").read_text()
        assert "argparse" not in text and "def main(" not in text, part


# ----------------------------------------------------------------------------- runner


@pytest.fixture
def demo_study(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, int, object]]:
    """A tiny registered study ``part9/demo`` whose calls are logged."""
    calls: list[tuple[object, int, object]] = []
    reg = Registry()

    @reg.study("part9/demo", description="demo")
    def demo(profile: object, seed: int = 0, checkpoint_dir: Path | None = None) -> dict:
        calls.append((profile, seed, checkpoint_dir))
        if checkpoint_dir is not None:
            checkpoint_dir.mkdir(parents=True, exist_ok=True)
            (checkpoint_dir / "r.pt").write_bytes(b"x")
            os.utime(checkpoint_dir / "r.pt", (1_700_000_000, 1_700_000_000))
        hist = [{"epoch": 1, "git_commit": "feedbeef" * 5, "time_s": 1.5 + seed}]
        return {"device": "cpu", "data_source": "synthetic (demo)", "acc": 0.5 + seed / 10,
                "runs": [{"name": "r", "history": hist, "train_time_s": 1.5 + seed,
                          "test_acc": 0.5 + seed / 10}]}  # fmt: skip

    monkeypatch.setattr(runner, "REGISTRY", reg)
    monkeypatch.setattr(runner, "PART_MODULES", {**runner.PART_MODULES, "part9": "json"})
    return calls


def test_runner_passes_the_profile_seeds_and_checkpoints_and_records(
    demo_study: list, tmp_path: Path, clean_git: str
) -> None:
    run = experiments.run_study(
        "part9/demo", profile="full", seeds=3, record=True, results_dir=tmp_path / "res",
        runs_dir=tmp_path / "runs",
    )  # fmt: skip
    profiles = [c[0] for c in demo_study]
    assert [str(p) for p in profiles] == ["full"] * 3 and [c[1] for c in demo_study] == [0, 1, 2]
    assert [c[2] for c in demo_study] == [
        tmp_path / "runs/part9/demo", tmp_path / "runs/part9/demo/seed1",
        tmp_path / "runs/part9/demo/seed2",
    ]  # fmt: skip
    assert [(s, o["acc"]) for s, o in runner.seed_outputs(run.data)] == [
        (0, 0.5),
        (1, 0.6),
        (2, 0.7),
    ]
    rec = load_result("part9/demo", results_dir=tmp_path / "res")
    p = rec.provenance
    assert p.command == "backprop-book reproduce part9/demo --profile full --seeds 3 --record"
    assert p.seeds == [0, 1, 2] and p.profile == "full"
    # the training's commit, time and wall time come from the epochs and checkpoints
    assert p.trained_commit == "feedbeef" * 5 != p.recorded_commit == clean_git
    assert p.train_wall_time_s == pytest.approx(1.5 + 2.5 + 3.5)
    assert p.trained_at == "2023-11-14T22:13:20+00:00"
    assert p.data_sha256 == "synthetic" and missing_provenance(p) == []


def test_runner_refuses_a_dirty_tree_before_running(
    demo_study: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backprop_book import results

    dirty = GitState("ab" * 20, True, "cd" * 32, ("M backprop_book/cli.py",))
    monkeypatch.setattr(runner, "git_state", lambda: dirty)
    monkeypatch.setattr(results, "git_state", lambda: dirty)
    with pytest.raises(
        DirtyTreeError, match=r"uncommitted changes \(M backprop_book/cli.py\).*--allow-dirty"
    ):
        experiments.run_study("part9/demo", record=True, results_dir=tmp_path, runs_dir=tmp_path)
    assert demo_study == []  # nothing ran
    experiments.run_study("part9/demo", record=False, runs_dir=tmp_path)  # a plain run is fine
    run = experiments.run_study(
        "part9/demo", record=True, allow_dirty=True, results_dir=tmp_path, runs_dir=tmp_path
    )
    p = load_result("part9/demo", results_dir=tmp_path).provenance
    assert p.dirty and p.diff_sha256 == "cd" * 32 and p.recorded_commit == "ab" * 20
    assert run.command.endswith("--record --allow-dirty") and p.command == run.command


def test_runner_rejects_bad_seeds() -> None:
    with pytest.raises(ValueError, match="seeds must be an integer >= 1, got 0"):
        experiments.run_study("part3/relu2", seeds=0)
    with pytest.raises(ValueError, match="takes no seed"):
        experiments.run_study("part4/jpeg_shift", seeds=2)


def test_training_of_a_run_resumed_across_commits_names_every_commit(tmp_path: Path) -> None:
    hist = [{"git_commit": "b"}, {"git_commit": "a"}, {"git_commit": "b"}]
    t = runner.training_of([{"runs": [{"history": hist}]}], [tmp_path], 4.0, "c", ended=time.time())
    assert t.commit == "a, b" and t.wall_time_s == 4.0


def test_default_runs_dir_follows_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BACKPROP_BOOK_CACHE", str(tmp_path))
    assert runner.default_runs_dir() == tmp_path / "runs"
    s = registry.Study("part4/x", dict, "")
    assert runner.checkpoint_dir(s, 0) == tmp_path / "runs/part4/x"


def test_a_real_part3_study_runs_through_the_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_git: str
) -> None:
    from backprop_book.autograd import experiments as A

    monkeypatch.setattr(
        A, "profile_sizes", lambda profile=None: {"n_train": 400, "n_val": 100, "epochs": 1}
    )
    run = experiments.run_study("part3/relu2", seeds=2, record=True, results_dir=tmp_path)
    saved = json.loads((tmp_path / "part3" / "relu2.json").read_text())
    assert saved["provenance"]["command"] == (
        "backprop-book reproduce part3/relu2 --profile quick --seeds 2 --record"
    )
    assert (
        saved["data"]["config"]["seed"] == 0
        and saved["data"]["by_seed"]["1"]["config"]["seed"] == 1
    )
    a, b = (o["val_accuracy"] for _, o in runner.seed_outputs(saved["data"]))
    assert a != b and len(a) == 2  # another seed, another run
    assert saved["provenance"]["trained_commit"] == clean_git  # trained by this command
    assert run.path == tmp_path / "part3" / "relu2.json"


# ----------------------------------------------------------------------------- catalogue


def test_recorded_status_reads_the_results_folder(tmp_path: Path) -> None:
    assert not any(index.recorded_status(tmp_path).values())
    record_result(
        "part2/default", {"val_acc": 0.3}, device="cpu", data_source="synthetic", seed=0,
        wall_time_s=1.0, results_dir=tmp_path, allow_dirty=True,
    )  # fmt: skip
    status = index.recorded_status(tmp_path)
    assert status["part2/default"] is True
    assert sum(status.values()) == 1
    assert index.CATALOGUE[2].command() == (
        "backprop-book reproduce part2/default --profile full --record"
    )


def test_no_reader_facing_text_mentions_the_brief() -> None:
    for rel in ("backprop_book/experiments/__init__.py", "backprop_book/studies.py", "backprop_book/reports/index.py",
                "backprop_book/experiments/runner.py", "backprop_book/cli.py",
                "backprop_book/results.py", "backprop_book/runtime.py"):  # fmt: skip
        assert "brief" not in (ROOT / rel).read_text().lower(), rel
