"""Bring committed records to the record contract of :mod:`backprop_book.records`.

    python scripts/migrate_records.py [RESULTS_DIR]

Two moves, each checked by reading the record back:

- a study of several runs (one that takes the runner's hooks) kept as one file
  becomes a folder: ``runs/s<seed>/<run>.json`` and one index entry for the call that
  made the old file, holding its provenance, its study fields, the order of its runs
  and its recording log unchanged; the old file is removed only when the folder
  reads back equal to it;
- a ``profile``, ``device`` or ``data_source`` kept in a record's data (besides its
  provenance) is dropped, after checking that it is the provenance's; so is a run
  row's ``data_source``, after checking that it is the provenance's of the call that
  wrote the row (a run row keeps its own ``device``: see
  :data:`backprop_book.records.PROVENANCE_ONLY`).  A study's folder is read back
  whole and compared with the folder as it was, read before.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from backprop_book import records
from backprop_book._io import atomic_write_text
from backprop_book.experiments import load_studies
from backprop_book.records import (
    PROVENANCE_ONLY,
    ROW_PROVENANCE_ONLY,
    Provenance,
    StudyRecord,
    load_record,
    outputs_by_seed,
    parse_provenance,
    seed_outputs,
    write_index,
    write_run,
)


def _without_provenance(out: dict[str, Any], prov: Provenance, where: Path) -> dict[str, Any]:
    """``out`` without what only the provenance keeps; each dropped value must be its."""
    for key in PROVENANCE_ONLY:
        if key in out and out[key] != getattr(prov, key):
            raise SystemExit(f"{where}: data {key} {out[key]!r}, provenance {getattr(prov, key)!r}")
    return {k: v for k, v in out.items() if k not in PROVENANCE_ONLY}


def _without_row_fields(row: dict[str, Any], prov: Provenance, where: Path) -> dict[str, Any]:
    for key in ROW_PROVENANCE_ONLY:
        if key in row and row[key] != getattr(prov, key):
            raise SystemExit(f"{where}: row {key} {row[key]!r}, its call's {getattr(prov, key)!r}")
    return {k: v for k, v in row.items() if k not in ROW_PROVENANCE_ONLY}


def migrate_file(path: Path, name: str, by_runs: bool, root: Path) -> str | None:
    """Move one single-file record; what was done, or ``None``."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    prov = parse_provenance(payload["provenance"], path)
    pairs = [(s, _without_provenance(o, prov, path)) for s, o in seed_outputs(payload["data"])]
    data = outputs_by_seed(pairs)
    if "recording_log" in pairs[0][1]:  # the log is the record's, not seed 0's
        data["recording_log"] = pairs[0][1]["recording_log"]
        for _, out in pairs:
            out.pop("recording_log", None)
    if not by_runs:
        if data == payload["data"]:
            return None
        atomic_write_text(path, json.dumps({**payload, "data": data}, indent=2) + "\n")
        _check(name, root, data, prov)
        return "its data no longer repeat its provenance"
    stamp = dt.datetime.fromisoformat(prov.created_utc).strftime("%Y%m%dT%H%M%S.%fZ")
    call, folder = f"{stamp}-migrated", path.with_suffix("")
    fields = {}
    for seed, out in pairs:
        rows = out.get("runs") or []
        fields[seed] = {k: v for k, v in out.items() if k not in ("runs", "pending_runs")}
        fields[seed]["runs"] = [r["name"] for r in rows] + list(out.get("pending_runs") or [])
        for row in rows:
            write_run(folder, name, seed, call, _without_row_fields(row, prov, path))
    write_index(folder, name, call, prov, fields, data.get("recording_log") or [], prov.created_utc)
    hidden = path.with_name(f".{path.name}.migrated")
    path.rename(hidden)  # out of the loader's way while the folder is checked
    _check(name, root, data, prov)
    hidden.unlink()
    return "one file per run plus an index"


def migrate_index(path: Path) -> bool:
    """Drop what only the provenance keeps from one index entry's study fields."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    prov = parse_provenance(payload["provenance"], path)
    outputs = {k: _without_provenance(v, prov, path) for k, v in payload["outputs"].items()}
    if outputs == payload["outputs"]:
        return False
    atomic_write_text(path, json.dumps({**payload, "outputs": outputs}, indent=2) + "\n")
    return True


def migrate_run(path: Path, calls: dict[str, Provenance]) -> bool:
    """Drop a run row's ``data_source`` (checked against its call's provenance)."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    if payload["call"] not in calls:
        raise SystemExit(f"{path}: its call {payload['call']!r} has no index entry")
    row = _without_row_fields(payload["row"], calls[payload["call"]], path)
    if row == payload["row"]:
        return False
    atomic_write_text(path, json.dumps({**payload, "row": row}, indent=2) + "\n")
    return True


def _load_as_before(name: str, root: Path) -> StudyRecord:
    """The record as the loader read it before the move (the fields still allowed)."""
    saved = records.PROVENANCE_ONLY, records.ROW_PROVENANCE_ONLY
    records.PROVENANCE_ONLY, records.ROW_PROVENANCE_ONLY = ("profile",), ()
    try:
        return load_record(name, root)
    finally:
        records.PROVENANCE_ONLY, records.ROW_PROVENANCE_ONLY = saved


def migrate_folder(folder: Path, name: str, root: Path) -> int:
    """Move one study folder's index entries and run rows; how many files changed."""
    before = _load_as_before(name, root)
    calls = {}
    for index in sorted((folder / "index").glob("*.json")):
        payload = json.loads(index.read_text(encoding="utf-8"))
        calls[payload["call"]] = parse_provenance(payload["provenance"], index)
    changed = sum(migrate_index(p) for p in sorted((folder / "index").glob("*.json")))
    changed += sum(migrate_run(p, calls) for p in sorted((folder / "runs").glob("s*/*.json")))
    pairs = []  # the record before, less the dropped fields (each checked above)
    for seed, out in seed_outputs(before):
        out = {k: v for k, v in out.items() if k not in PROVENANCE_ONLY}
        if isinstance(out.get("runs"), list):
            out["runs"] = [{k: v for k, v in r.items() if k not in ROW_PROVENANCE_ONLY}
                           for r in out["runs"]]  # fmt: skip
        pairs.append((seed, out))
    data = outputs_by_seed(pairs)
    if "recording_log" in before:
        data["recording_log"] = before["recording_log"]
    _check(name, root, data, before.provenance)
    return changed


def _check(name: str, root: Path, data: dict[str, Any], prov: object) -> StudyRecord:
    rec = load_record(name, root)
    if dict(rec) != data or rec.provenance != prov:
        raise SystemExit(f"{name}: the migrated record does not read back as the old one")
    return rec


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "docs" / "results"
    by_runs = {s.id for s in load_studies() if s.takes_hooks}
    for folder in sorted({p.parent.parent for p in root.glob("**/index/*.json")}):
        name = folder.relative_to(root).as_posix()
        changed = migrate_folder(folder, name, root)
        if changed:
            print(f"{name}: {changed} files of its folder no longer repeat its provenance")
    for path in sorted(root.glob("**/*.json")):
        if any((p / "index").is_dir() for p in path.parents if root in p.parents):
            continue  # a file of a study's folder
        name = path.relative_to(root).with_suffix("").as_posix()
        done = migrate_file(path, name, name in by_runs, root)
        if done:
            print(f"{name}: {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
