"""The record contract: one schema checked on load, the file named in every error."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from backprop_book import records
from backprop_book.records import (
    RecordError,
    StudyRecord,
    check_clean_tree,
    load_record,
    reproduce_command,
    seed_outputs,
)
from backprop_book.runtime import GitState

pytestmark = pytest.mark.core

ROOT = Path(__file__).resolve().parents[2]
PROVENANCE = {
    "command": "backprop-book reproduce part9/s --profile full --record", "profile": "full",
    "seed": 0, "device": "cpu", "hardware": "CPU", "versions": {"numpy": "2"},
    "data_source": "synthetic", "data_sha256": "synthetic", "trained_commit": "abc",
    "trained_at": "2026-01-01T00:00:00+00:00", "train_wall_time_s": 1.0,
    "recorded_commit": "abc", "wall_time_s": 1.0, "seeds": [0],
}  # fmt: skip


def _write(tmp_path: Path, payload: object, name: str = "part9/s") -> Path:
    path = tmp_path / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return path


def _payload(**changes: object) -> dict[str, object]:
    data = {"runs": [{"name": "a", "test_acc": 0.5, "device": "cpu"}]}
    out: dict[str, object] = {
        "schema": 2, "name": "part9/s", "provenance": dict(PROVENANCE), "data": data,
    }  # fmt: skip
    out.update(changes)
    return out


def test_a_good_record_loads_whole_and_typed(tmp_path: Path) -> None:
    _write(tmp_path, _payload())
    rec = load_record("part9/s", tmp_path)
    assert isinstance(rec, StudyRecord) and rec.path == tmp_path / "part9/s.json"
    assert rec["runs"][0]["test_acc"] == 0.5 and rec.provenance.profile == "full"
    assert [(r.name, r.seed, r["test_acc"]) for r in rec.runs()] == [("a", 0, 0.5)]


def test_a_file_nested_100000_deep_is_refused_naming_it(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"schema": 2, "data": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(RecordError, match=rf"{re.escape(str(path))}.*nested at most 32 deep"):
        load_record("part9/s", tmp_path)
    deep: object = 0
    for _ in range(40):  # within the parser's reach, beyond the schema's
        deep = [deep]
    _write(tmp_path, _payload(data={"x": deep}))
    with pytest.raises(
        RecordError, match=rf"{re.escape(str(path))}.*nested at most 32 deep, got deeper"
    ):
        load_record("part9/s", tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"provenance": {**PROVENANCE, "profile": "bogus"}},
         r"provenance profile must be 'quick' or 'full', got 'bogus'"),
        ({"provenance": {**PROVENANCE, "seeds": ["0"]}}, r"provenance seeds must be a list of integer seeds, got \[.0.\]"),
        ({"provenance": {k: v for k, v in PROVENANCE.items() if k != "device"}},
         r"provenance lacks device"),
        ({"provenance": {**PROVENANCE, "colour": 1}}, r"unknown provenance fields \['colour'\]"),
        ({"data": {"recording_log": [], "acc": 0.5}},
         r"a study recorded run by run must have a 'runs' list, got none"),
        # the provenance is the one place of the profile, the device and the data source
        ({"data": {"runs": [], "device": "cpu"}}, r"its data hold 'device'; the provenance is"),
        ({"data": {"runs": [], "seeds": [0, 1], "by_seed": {"1": {"data_source": "x"}}}},
         r"its data hold 'data_source'; the provenance is the one place"),
        ({"data": {"runs": [{"name": "a", "data_source": "x"}]}},
         r"run 'a' hold 'data_source'; the provenance is the one place"),
        ({"data": {"runs": {"a": 1}}}, r"'runs' must be a list, got \{'a': 1\}"),
        ({"data": {"runs": [{"test_acc": 1}]}}, r"every run must be an object with a 'name'"),
        ({"data": {"seeds": [0, 1], "by_seed": {}}}, r"'by_seed' lacks seed 1"),
        ({"data": [1, 2]}, r"expected a 'data' object, got \[1, 2\]"),
        ({"name": "part9/other"}, r"it names itself 'part9/other', expected 'part9/s'"),
        ({"extra": 1}, r"unknown fields \['extra'\]"),
    ],
)  # fmt: skip
def test_schema_errors_name_the_file_and_what_came(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = _write(tmp_path, _payload(**change))
    with pytest.raises(
        RecordError, match=rf"^{re.escape(str(path))} is not a valid recorded result: {message}"
    ):
        load_record("part9/s", tmp_path)


def test_a_record_without_runs_read_as_a_study_of_runs_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, _payload(data={"acc": 0.5}))
    rec = load_record("part9/s", tmp_path)
    with pytest.raises(
        RecordError, match=rf"^{re.escape(str(path))}: expected a study of several runs"
    ):
        rec.runs()


def test_records_are_read_once_per_modification(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[Path] = []
    parse = records._parse_single
    monkeypatch.setattr(records, "_parse_single", lambda p, n: reads.append(p) or parse(p, n))
    path = _write(tmp_path, _payload())
    first = load_record("part9/s", tmp_path)
    first["runs"].append({"name": "changed by a caller"})
    again = load_record("part9/s", tmp_path)
    assert reads == [path] and [r["name"] for r in again["runs"]] == ["a"]  # a copy each time
    _write(tmp_path, _payload(data={"runs": [{"name": "b"}]}))
    os.utime(path, ns=(1, 1))  # a new modification time, whatever the clock's resolution
    assert load_record("part9/s", tmp_path)["runs"][0]["name"] == "b" and len(reads) == 2


def test_every_committed_record_follows_the_schema() -> None:
    names = records.list_records(ROOT / "docs" / "results")
    assert len(names) >= 30
    for name in names:
        rec = load_record(name, ROOT / "docs" / "results")
        assert rec.name == name and rec.provenance.profile in ("quick", "full")


def test_one_seed_decoder_one_command_one_dirty_check() -> None:
    data = {"acc": 1, "seeds": [0, 2], "by_seed": {"2": {"acc": 3}}}
    assert [(s, o["acc"]) for s, o in seed_outputs(data)] == [(0, 1), (2, 3)]
    assert reproduce_command("part3/relu2", "quick", seeds=2) == (
        "backprop-book reproduce part3/relu2 --profile quick --seeds 2 --record"
    )
    clean = GitState("ab" * 20, False, None)
    assert check_clean_tree("part9/s", False, clean) is clean
    dirty = GitState("ab" * 20, True, "cd" * 32, ("M x.py",))
    assert check_clean_tree("part9/s", True, dirty) is dirty
    with pytest.raises(records.DirtyTreeError, match=r"\(M x.py\).*--allow-dirty"):
        check_clean_tree("part9/s", False, dirty)


def test_verdict_rules_receive_the_whole_record() -> None:
    from backprop_book.reports.claims import record

    rec = record("part4/a_fc_depth")
    assert isinstance(rec, StudyRecord)
    assert rec.provenance.profile == "full" and rec.provenance.data_sha256
    # seed 0's runs are the top-level list; runs() gives them under every seed
    assert [r.name for r in rec.runs() if r.seed == 0] == [r["name"] for r in rec["runs"]]
    seeds = rec.provenance.seeds
    assert sorted({r.seed for r in rec.runs()}) == seeds
    assert len(rec.runs()) == len(seeds) * len(rec["runs"])
    assert record("part9/never_recorded") is None


def _prov(**changes: object) -> records.Provenance:
    return records.Provenance(**{**PROVENANCE, **changes})  # type: ignore[arg-type]


def test_a_study_folder_joins_each_calls_runs_and_index(tmp_path: Path) -> None:
    """Two calls, each writing only its own files, read back as one record."""
    folder = tmp_path / "part9" / "s"
    fields = {0: {"sizes": "tiny", "runs": ["a", "b", "c"]}}
    records.write_run(folder, "part9/s", 0, "c2", {"name": "b", "train_time_s": 2.0})
    records.write_index(
        folder,
        "part9/s",
        "c2",
        _prov(trained_commit="bbb", seeds=[0]),
        fields,
        [{"call": "c2", "trained": ["b"]}],
        "2026-01-01T00:00:01",
    )
    records.write_run(folder, "part9/s", 0, "c1", {"name": "a", "train_time_s": 3.0})
    records.write_index(
        folder,
        "part9/s",
        "c1",
        _prov(trained_commit="aaa", notes="n1"),
        fields,
        [{"call": "c1", "trained": ["a"]}],
        "2026-01-01T00:00:02",
    )
    rec = load_record("part9/s", tmp_path)
    assert rec.path == folder and records.list_records(tmp_path) == ["part9/s"]
    assert [r["name"] for r in rec["runs"]] == ["a", "b"] and rec["pending_runs"] == ["c"]
    assert [e["call"] for e in rec["recording_log"]] == ["c2", "c1"]  # in the order written
    p = rec.provenance
    assert (p.trained_commit, p.train_wall_time_s, p.notes) == ("aaa, bbb", 5.0, "n1")
    assert rec.pending_runs == ["c"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda p: p["outputs"]["0"].pop("runs"), r"outputs of seed 0 need 'runs'"),
        (lambda p: p.pop("log"), r"expected fields \['log'\], got none"),
        (lambda p: p.update(call="other"), r"call 'other' is not its file's"),
        (lambda p: p["provenance"].update(profile="bogus"), r"must be 'quick' or 'full'"),
        (lambda p: p["outputs"]["0"].update(device="cpu"), r"its data hold 'device'"),
    ],
)
def test_a_bad_index_entry_is_named(tmp_path: Path, edit: object, message: str) -> None:
    folder = tmp_path / "part9" / "s"
    fields = {0: {"sizes": "tiny", "runs": ["a"]}}
    path = records.write_index(folder, "part9/s", "c1", _prov(), fields, [])
    payload = json.loads(path.read_text())
    edit(payload)  # type: ignore[operator]
    path.write_text(json.dumps(payload))
    with pytest.raises(RecordError, match=rf"^{re.escape(str(path))} .*{message}"):
        load_record("part9/s", tmp_path)


def test_a_record_both_a_file_and_a_folder_is_refused(tmp_path: Path) -> None:
    records.write_index(tmp_path / "part9" / "s", "part9/s", "c1", _prov(), {0: {"runs": []}}, [])
    _write(tmp_path, _payload())
    with pytest.raises(RecordError, match=r"'part9/s' is recorded twice"):
        load_record("part9/s", tmp_path)


def test_studies_of_several_runs_are_committed_run_by_run_and_no_lock_is_left() -> None:
    from backprop_book.experiments import load_studies

    root = ROOT / "docs" / "results"
    for study in load_studies(["part4"]):
        if study.takes_hooks and (root / f"{study.id}.json").exists():
            pytest.fail(f"{study.id} is one file; scripts/migrate_records.py moves it")
    source = "\n".join(p.read_text() for p in (ROOT / "backprop_book").rglob("*.py"))
    assert "fcntl" not in source and "flock" not in source


def test_the_profile_is_kept_once_in_the_provenance(tmp_path: Path) -> None:
    path = _write(tmp_path, _payload(data={"profile": "full", "runs": []}))
    with pytest.raises(RecordError, match=rf"^{re.escape(str(path))} .*the provenance is the one"):
        load_record("part9/s", tmp_path)


def _migrate_script() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("migrate", ROOT / "scripts/migrate_records.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_moves_device_and_data_source_into_the_provenance_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """scripts/migrate_records.py: a file's data, an index entry's fields, a run's row."""
    migrate = _migrate_script()
    twice = {"device": "cpu", "data_source": "synthetic"}
    _write(tmp_path, _payload(data={**twice, "acc": 0.5, "seeds": [0, 1],
                                    "by_seed": {"1": {**twice, "acc": 0.6}}}))  # fmt: skip
    folder = tmp_path / "part9" / "f"
    records.write_run(folder, "part9/f", 0, "c1", {"name": "a", "acc": 0.7, **twice})
    index = records.write_index(folder, "part9/f", "c1", _prov(), {0: {"runs": ["a"]}}, [])
    payload = json.loads(index.read_text())
    payload["outputs"]["0"].update(twice)
    index.write_text(json.dumps(payload))
    with pytest.raises(RecordError, match="its data hold 'device'"):
        load_record("part9/s", tmp_path)
    assert migrate.main([str(tmp_path)]) == 0  # type: ignore[attr-defined]
    single, study = load_record("part9/s", tmp_path), load_record("part9/f", tmp_path)
    assert [(s, o) for s, o in single.outputs()] == [(0, {"acc": 0.5}), (1, {"acc": 0.6})]
    assert study.runs()[0].row == {"name": "a", "acc": 0.7, "device": "cpu"}  # its own device
    assert (study.provenance.device, study.provenance.data_source) == ("cpu", "synthetic")
    assert "part9/f: 2 files" in capsys.readouterr().out
    assert migrate.main([str(tmp_path)]) == 0 and capsys.readouterr().out == ""  # type: ignore[attr-defined]
    # a row whose data source is not its call's provenance's is not dropped silently
    records.write_run(folder, "part9/f", 0, "c1", {"name": "b", "data_source": "CIFAR-10"})
    with pytest.raises(SystemExit, match=r"row data_source 'CIFAR-10', its call's 'synthetic'"):
        migrate.main([str(tmp_path)])  # type: ignore[attr-defined]
