from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from backprop_book import _io
from backprop_book.results import list_results, load_result, record_result

pytestmark = pytest.mark.core


def test_atomic_path_leaves_target_untouched_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), _io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


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


def test_unrecordable_values_and_bad_wall_time(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="cannot record a value of type object"):
        _record(tmp_path, x=object())
    with pytest.raises(ValueError, match="wall_time_s"):
        record_result(
            "r", {}, device="cpu", data_source=None, seed=None, wall_time_s=-1, results_dir=tmp_path
        )
