from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from backprop_book import _io, results
from backprop_book.results import (
    DirtyTreeError,
    Training,
    list_results,
    load_result,
    missing_provenance,
    record_result,
)
from backprop_book.runtime import GitState

pytestmark = pytest.mark.core


def test_atomic_path_leaves_target_untouched_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), _io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


@pytest.fixture(autouse=True)
def _clean(clean_git: str) -> None:
    """Every test here records from a (fake) clean checkout unless it says otherwise."""


def _record(tmp_path: Path, name: str = "part9/run", **data: object) -> Path:
    return record_result(
        name,
        data or {"acc": np.float32(0.25), "curve": np.arange(3), "nested": {"t": (1, 2)}},
        device="cpu",
        data_source="synthetic",
        seed=3,
        wall_time_s=2.5,
        profile="full",
        command="pytest",
        results_dir=tmp_path,
        strict=True,
    )


def test_record_and_load_roundtrip_with_provenance(tmp_path: Path) -> None:
    path = _record(tmp_path)
    assert path == tmp_path / "part9" / "run.json"
    rec = load_result("part9/run", results_dir=tmp_path)
    assert rec.data == {"acc": 0.25, "curve": [0, 1, 2], "nested": {"t": [1, 2]}}
    p = rec.provenance
    assert (p.profile, p.device, p.seed, p.wall_time_s, p.command) == (
        "full",
        "cpu",
        3,
        2.5,
        "pytest",
    )
    assert p.versions["numpy"] == np.__version__
    assert "profile=full" in p.describe() and "seed=3" in p.describe()
    assert list_results(tmp_path) == ["part9/run"]
    # trained by the recording command itself: both commits are the checkout's
    assert p.trained_commit == p.recorded_commit == "0123456789abcdef0123456789abcdef01234567"
    assert not p.dirty and p.diff_sha256 is None and p.data_sha256 == "synthetic"
    assert p.hardware and missing_provenance(p) == []


def test_record_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(tmp_path, acc=1)

    def fail(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_io.os, "fsync", fail)  # the new bytes are written, then the write fails
    with pytest.raises(OSError, match="disk full"):
        _record(tmp_path, acc=2)
    assert load_result("part9/run", results_dir=tmp_path).data == {"acc": 1}
    assert [p.name for p in (tmp_path / "part9").iterdir()] == ["run.json"]


@pytest.mark.parametrize("name", ["../escape", "a b", "", "x/../../y"])
def test_bad_result_names_rejected(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="result name"):
        _record(tmp_path, name=name)


def test_missing_and_corrupt_results(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no recorded result 'nope'"):
        load_result("nope", results_dir=tmp_path)
    (tmp_path / "bad.json").write_text(json.dumps({"data": {}}))
    with pytest.raises(ValueError, match="not a valid recorded result"):
        load_result("bad", results_dir=tmp_path)


def test_data_repeating_the_provenance_are_refused(tmp_path: Path) -> None:
    for data in ({"device": "cpu"}, {"a": 1, "seeds": [0, 1], "by_seed": {"1": {"profile": "q"}}}):
        with pytest.raises(ValueError, match=r"hold (device|profile): only its provenance keeps"):
            record_result("r", data, device="cpu", data_source=None, seed=0, wall_time_s=1.0,
                          results_dir=tmp_path, allow_dirty=True)  # fmt: skip
    assert not (tmp_path / "r.json").exists()


def test_unrecordable_values_and_bad_wall_time(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="cannot record a value of type object"):
        _record(tmp_path, x=object())
    with pytest.raises(ValueError, match="wall_time_s"):
        record_result(
            "r", {}, device="cpu", data_source=None, seed=None, wall_time_s=-1, results_dir=tmp_path
        )


def test_every_recorded_file_has_complete_provenance() -> None:
    """Each file under docs/results loads and says how it was made and how to remake it."""
    names = list_results()
    assert len(names) >= 30
    for name in names:
        p = load_result(name).provenance
        assert missing_provenance(p) == [], name
        assert not p.dirty, f"{name} was recorded from a checkout with uncommitted changes"
        if name.split("/")[-1].startswith("bench_") or name == "part4/tutorial_sgd_2epochs":
            continue  # made by the benchmark / the train command, which name their own
        assert p.command.startswith(f"backprop-book reproduce {name} --profile {p.profile}"), name


def test_recorder_refuses_a_dirty_tree_unless_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dirty = GitState("ab" * 20, True, "cd" * 32, ("M backprop_book/results.py",))
    monkeypatch.setattr(results, "git_state", lambda: dirty)
    with pytest.raises(DirtyTreeError, match=r"M backprop_book/results.py.*--allow-dirty"):
        _record(tmp_path)
    assert not (tmp_path / "part9").exists()
    # a run's own metrics file outside the book's results (not strict) is written, marked dirty
    record_result("m", {}, device="cpu", data_source=None, seed=0, wall_time_s=1.0,
                  command="backprop-book train --out /tmp/x", results_dir=tmp_path)  # fmt: skip
    assert load_result("m", results_dir=tmp_path).provenance.dirty
    record_result(
        "part9/run", {"a": 1}, device="cpu", data_source="synthetic", seed=0, wall_time_s=1.0,
        command="pytest", results_dir=tmp_path, allow_dirty=True,
    )  # fmt: skip
    p = load_result("part9/run", results_dir=tmp_path).provenance
    assert p.dirty and p.diff_sha256 == "cd" * 32 and "uncommitted changes" in p.describe()


def test_training_provenance_is_kept_apart_from_the_recording(tmp_path: Path) -> None:
    record_result(
        "part9/run", {"a": 1}, device="cpu", data_source="synthetic", seed=0, wall_time_s=2.0,
        command="pytest", results_dir=tmp_path,
        trained=Training("5eb830d", "2026-11-23T04:56:00+00:00", 1364.3),
    )  # fmt: skip
    p = load_result("part9/run", results_dir=tmp_path).provenance
    assert (p.trained_commit, p.trained_at, p.train_wall_time_s) == (
        "5eb830d", "2026-11-23T04:56:00+00:00", 1364.3,
    )  # fmt: skip
    assert p.recorded_commit != p.trained_commit and p.wall_time_s == 2.0
    assert p.git_commit == "5eb830d"  # the commit whose code made the numbers


def test_records_with_temporary_paths_or_missing_fields_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="command names a temporary path"):
        record_result(
            "part9/run", {}, device="cpu", data_source="synthetic", seed=0, wall_time_s=1.0,
            command="x --checkpoints /tmp/runs", results_dir=tmp_path, strict=True,
        )  # fmt: skip
    with pytest.raises(ValueError, match="hardware is empty"):
        record_result(
            "part9/run", {}, device="cpu", data_source="synthetic", seed=0, wall_time_s=1.0,
            command="pytest", results_dir=tmp_path, hardware_name=" ", strict=True,
        )  # fmt: skip


def test_old_schema_is_refused_with_the_command_to_rerun(tmp_path: Path) -> None:
    _record(tmp_path)
    path = tmp_path / "part9" / "run.json"
    payload = json.loads(path.read_text())
    payload["schema"] = 1
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match=r"schema 1, expected 2; record it again"):
        load_result("part9/run", results_dir=tmp_path)


def test_data_checksum_of_the_archive_in_use(
    tiny_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib
    import tarfile

    archive = tmp_path / "c.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tiny_folder, arcname="cifar10-jpeg")
    monkeypatch.setenv("BACKPROP_BOOK_CIFAR10", str(archive))
    want = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert results.data_sha256("CIFAR-10 image-folder JPEG copy (archive, c.tar.gz)") == want
    assert results.data_sha256(None) == results.data_sha256("fake CIFAR-10") == "synthetic"
    monkeypatch.setenv("BACKPROP_BOOK_CIFAR10", str(tiny_folder))
    assert results.data_sha256("CIFAR-10 image-folder").startswith(
        "unknown (an unpacked image folder"
    )


def test_hardware_names_the_gpu_or_the_cpu_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    from backprop_book import runtime

    fake = types.ModuleType("torch")
    fake.cuda = types.SimpleNamespace(get_device_name=lambda i: f"NVIDIA H200 #{i}")  # type: ignore[attr-defined]
    fake.get_num_threads = lambda: 3  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", fake)
    assert runtime.hardware("cuda:1") == "NVIDIA H200 #1"
    monkeypatch.setattr(runtime, "cpu_model", lambda: "Some CPU 9000")
    cpu = runtime.hardware("cpu")
    assert cpu.startswith("Some CPU 9000 (") and cpu.endswith(", 3 torch threads)")


def test_upgrade_script_fills_schema_2_from_a_schema_1_record(tmp_path: Path) -> None:
    """scripts/upgrade_provenance.py: what a schema-1 file proves, and notes saying how."""
    import importlib.util

    from backprop_book.data.cifar10 import SHARED_ARCHIVE_SHA256

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("upgrade", root / "scripts/upgrade_provenance.py")
    assert spec is not None and spec.loader is not None
    upgrade = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(upgrade)
    old = {"command": "experiments.py run a_fc_depth --profile full --record --checkpoints /tmp/x",
           "git_commit": "947ea2f", "device": "cpu", "versions": {"numpy": "2"},
           "data_source": "CIFAR-10 image-folder JPEG copy (archive, cifar10-jpeg.tar.gz; lossy)",
           "profile": "full", "seed": 0, "wall_time_s": 8.9, "created_utc": "2026-11-23T05:24:40"}  # fmt: skip
    runs = [{"name": "fc2", "train_time_s": 100.0}, {"name": "fc3", "train_time_s": 50.0}]
    path = tmp_path / "part4" / "a_fc_depth.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"schema": 1, "provenance": old, "data": {"runs": runs}}))
    upgrade.main([str(path), "--results-root", str(tmp_path), "--trained-commit", "5eb830d",
                  "--trained-at", "2026-11-23T04:56:00+00:00"])  # fmt: skip
    p = load_result("part4/a_fc_depth", results_dir=tmp_path).provenance
    assert p.command == "backprop-book reproduce part4/a_fc_depth --profile full --record"
    assert (p.trained_commit, p.recorded_commit, p.train_wall_time_s) == (
        "5eb830d",
        "947ea2f",
        150.0,
    )
    assert p.data_sha256 == SHARED_ARCHIVE_SHA256 and p.hardware.startswith("unknown")
    assert "re-recording" in p.notes and "epoch times" in p.notes and missing_provenance(p) == []


def test_the_recorded_command_of_a_module_run_with_dash_m_reruns_it(tmp_path: Path) -> None:
    """``python -m benchmarks.bench_flops --record`` must be recorded as that, not as
    ``bench_flops.py --record`` (the file's name alone does not run: its imports need
    the package); a script run by its path keeps the path's name."""
    import subprocess
    import sys

    pkg = tmp_path / "pkgx"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bench.py").write_text(
        "from backprop_book.runtime import command_line\nprint(command_line())\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {"PYTHONPATH": f"{root}:{tmp_path}", "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> str:
        out = subprocess.run(
            [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        return out.stdout.strip()

    assert run("-m", "pkgx.bench", "--record", "--quick") == (
        "python -m pkgx.bench --record --quick"
    )
    assert run(str(pkg / "bench.py"), "--record") == "bench.py --record"


def test_results_dir_of_a_checkout_then_of_a_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backprop_book import records as results

    monkeypatch.delenv("BACKPROP_BOOK_RESULTS", raising=False)
    assert results.default_results_dir().parts[-2:] == ("docs", "results")  # this checkout
    monkeypatch.setattr(results, "repo_root", lambda: None)  # an installed package
    monkeypatch.setattr(results, "PACKAGED_RECORDS", tmp_path / "_results")
    with pytest.raises(FileNotFoundError, match="nor from a wheel that carries the records"):
        results.default_results_dir()
    (tmp_path / "_results").mkdir()
    assert results.default_results_dir() == tmp_path / "_results"
    monkeypatch.setenv("BACKPROP_BOOK_RESULTS", str(tmp_path / "mine"))
    assert results.default_results_dir() == tmp_path / "mine"
