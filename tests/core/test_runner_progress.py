"""A study of several runs is recorded as it goes and resumed across sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backprop_book import experiments
from backprop_book.experiments import runner
from backprop_book.results import load_result
from backprop_book.studies import Registry, StudyHooks

pytestmark = pytest.mark.core


class CutOff(RuntimeError):
    """The session ends in the middle of a study."""


@pytest.fixture
def three_runs(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``part9/three``: runs a, b, c with logged training; ``state['stop_after']`` cuts it off."""
    state: dict[str, Any] = {"trained": [], "stop_after": None, "lr": 0.1}
    reg = Registry()

    @reg.study("part9/three", description="three runs")
    def three(profile: object, seed: int = 0, hooks: StudyHooks | None = None) -> dict:
        rows: list[dict] = []
        names = ["a", "b", "c"]
        for i, name in enumerate(names):
            cfg = {"lr": state["lr"], "seed": seed}
            row = hooks.take(name, lambda r, cfg=cfg: r["config"] == cfg) if hooks else None
            if row is None:
                if state["stop_after"] is not None and len(state["trained"]) == state["stop_after"]:
                    raise CutOff(name)
                state["trained"].append((name, seed))
                hist = [{"epoch": 1, "git_commit": "c0ffee" * 7, "session": f"s{len(state['trained'])}",
                         "time_s": 2.0}]  # fmt: skip
                row = {"name": name, "config": cfg, "history": hist, "train_time_s": 2.0,
                       "test_acc": 0.5 + i / 10 + seed / 100}  # fmt: skip
            rows.append(row)
            source = state.get("sources", {}).get(seed, "synthetic (demo)")
            data = {"device": "cpu", "data_source": source, "runs": list(rows),
                    "profile": state.get("profile", "full")}  # fmt: skip
            if hooks is not None:
                hooks.finished({**data, "pending_runs": names[i + 1 :]} if i < 2 else data)
        return {"device": "cpu", "data_source": "synthetic (demo)", "runs": rows}

    monkeypatch.setattr(runner, "REGISTRY", reg)
    monkeypatch.setattr(runner, "PART_MODULES", {**runner.PART_MODULES, "part9": "json"})
    return state


def run(tmp_path: Path, **kw: Any) -> experiments.runner.StudyRun:
    return experiments.run_study(
        "part9/three", profile="full", record=True, results_dir=tmp_path / "res",
        runs_dir=tmp_path / "runs", **kw,
    )  # fmt: skip


def test_a_cut_off_study_keeps_its_finished_runs_and_the_next_call_trains_the_rest(
    three_runs: dict, tmp_path: Path, clean_git: str
) -> None:
    three_runs["stop_after"] = 2
    with pytest.raises(CutOff):
        run(tmp_path)
    rec = load_result("part9/three", results_dir=tmp_path / "res")
    assert [r["name"] for r in rec.data["runs"]] == ["a", "b"]
    assert rec.data["pending_runs"] == ["c"]
    assert rec.provenance.notes.startswith("partial: 2 of 3 runs (pending: c)")
    assert rec.data["recording_log"][-1]["trained"] == ["a", "b"]

    three_runs["stop_after"] = None
    done = run(tmp_path)
    assert three_runs["trained"] == [("a", 0), ("b", 0), ("c", 0)]  # a and b not trained again
    rec = load_result("part9/three", results_dir=tmp_path / "res")
    assert [r["name"] for r in rec.data["runs"]] == ["a", "b", "c"]
    assert "pending_runs" not in rec.data and done.data["runs"][2]["test_acc"] == 0.7
    log = rec.data["recording_log"]
    assert [e["trained"] for e in log] == [["a", "b"], ["c"]]
    assert log[1]["taken"] == ["a", "b"] and log[1]["recorded_commit"] == clean_git
    assert rec.provenance.notes == "taken from the study's previous record: a, b."
    assert rec.provenance.train_wall_time_s == pytest.approx(6.0)


def test_a_record_with_other_settings_or_fresh_is_trained_again(
    three_runs: dict, tmp_path: Path, clean_git: str
) -> None:
    run(tmp_path)
    three_runs["lr"] = 0.01  # the study changed: nothing recorded matches
    run(tmp_path)
    assert [n for n, _ in three_runs["trained"]] == ["a", "b", "c"] * 2
    run(tmp_path, fresh=True)
    assert len(three_runs["trained"]) == 9
    rec = load_result("part9/three", results_dir=tmp_path / "res")
    assert len(rec.data["recording_log"]) == 1 and rec.provenance.notes == ""


def test_several_seeds_resume_seed_by_seed(
    three_runs: dict, tmp_path: Path, clean_git: str
) -> None:
    three_runs["stop_after"] = 4  # seed 0's three runs and seed 1's first
    with pytest.raises(CutOff):
        run(tmp_path, seeds=2)
    rec = load_result("part9/three", results_dir=tmp_path / "res")
    assert rec.provenance.seeds == [0, 1]
    assert [r["name"] for r in rec.data["by_seed"]["1"]["runs"]] == ["a"]
    three_runs["stop_after"] = None
    run(tmp_path, seeds=2)
    assert three_runs["trained"][4:] == [("b", 1), ("c", 1)]
    rec = load_result("part9/three", results_dir=tmp_path / "res")
    assert rec.data["recording_log"][-1]["taken"] == [
        "a (seed 0)",
        "b (seed 0)",
        "c (seed 0)",
        "a (seed 1)",
    ]
    assert [r["test_acc"] for r in rec.data["by_seed"]["1"]["runs"]] == [0.51, 0.61, 0.71]


def test_a_record_on_other_data_is_not_taken(
    three_runs: dict, tmp_path: Path, clean_git: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(tmp_path)
    monkeypatch.setattr(runner, "data_sha256", lambda source: "another archive")
    run(tmp_path)
    assert len(three_runs["trained"]) == 6


def test_the_record_keeps_the_profile_once_and_refuses_a_study_that_ran_another(
    three_runs: dict, tmp_path: Path, clean_git: str
) -> None:
    run(tmp_path)
    rec = load_result("part9/three", results_dir=tmp_path / "res")
    assert "profile" not in rec.data and rec.provenance.profile == "full"
    three_runs["profile"] = "quick"
    with pytest.raises(ValueError, match=r"reports profile 'quick', recorded as 'full'"):
        run(tmp_path, fresh=True)


def test_the_record_keeps_device_and_data_once_and_refuses_a_seed_on_other_data(
    three_runs: dict, tmp_path: Path, clean_git: str
) -> None:
    done = run(tmp_path)
    rec = load_result("part9/three", results_dir=tmp_path / "res")
    assert not {"device", "data_source"} & set(rec.data)
    assert (rec.provenance.device, rec.provenance.data_source) == ("cpu", "synthetic (demo)")
    assert (done.device, done.data_source) == ("cpu", "synthetic (demo)")
    three_runs["sources"] = {1: "synthetic (other)"}
    with pytest.raises(ValueError, match=r"reports data_source 'synthetic \(other\)', recorded"):
        run(tmp_path, fresh=True, seeds=2)


def test_a_damaged_record_is_refused_before_training_unless_fresh(
    three_runs: dict, tmp_path: Path, clean_git: str
) -> None:
    run(tmp_path)
    index = next((tmp_path / "res" / "part9" / "three" / "index").glob("*.json"))
    index.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match=rf"^{index} is not a valid recorded result: .*--fresh"):
        run(tmp_path)
    assert len(three_runs["trained"]) == 3  # nothing trained
    run(tmp_path, fresh=True)  # records it again, the damaged file removed
    assert len(three_runs["trained"]) == 6 and not index.exists()
    assert [r["name"] for r in load_result("part9/three", tmp_path / "res")["runs"]] == list("abc")


def test_training_sessions_count_resumes() -> None:
    assert runner.training_sessions([{"session": "x"}] * 3) == (1, True)
    hist = [{"git_commit": "a"}, {"git_commit": "a"}, {"git_commit": "b", "session": "y"}]
    assert runner.training_sessions(hist) == (2, False)
    out = {"runs": [{"name": "r", "history": [{"session": "x"}, {"session": "y"}]}]}
    assert runner.progress_notes([out], []) == "resumed in a later session: r (2 sessions)."


def test_no_function_of_the_runner_is_over_60_lines() -> None:
    import ast

    for path in Path(runner.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                assert length <= 60, f"{path.name}: {node.name} has {length} lines"
