"""Bring committed records to the record contract of :mod:`backprop_book.records`.

    python scripts/migrate_records.py [RESULTS_DIR]

Two moves, each checked by reading the record back:

- a study of several runs (one that takes the runner's hooks) kept as one file
  becomes a folder: ``runs/s<seed>/<run>.json`` and one index entry for the call that
  made the old file, holding its provenance, its study fields, the order of its runs
  and its recording log unchanged; the old file is removed only when the folder
  reads back equal to it;
- a ``profile`` kept in a record's data (besides its provenance) is dropped, after
  checking that it is the provenance's.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from backprop_book._io import atomic_write_text
from backprop_book.experiments import load_studies
from backprop_book.records import (
    StudyRecord,
    load_record,
    outputs_by_seed,
    parse_provenance,
    seed_outputs,
    write_index,
    write_run,
)


def _without_profile(out: dict[str, Any], profile: str, where: Path) -> dict[str, Any]:
    if out.get("profile", profile) != profile:
        raise SystemExit(f"{where}: data profile {out['profile']!r}, provenance {profile!r}")
    return {k: v for k, v in out.items() if k != "profile"}


def migrate_file(path: Path, name: str, by_runs: bool, root: Path) -> str | None:
    """Move one single-file record; what was done, or ``None``."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    prov = parse_provenance(payload["provenance"], path)
    pairs = [(s, _without_profile(o, prov.profile, path)) for s, o in seed_outputs(payload["data"])]
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
        return "dropped data.profile"
    stamp = dt.datetime.fromisoformat(prov.created_utc).strftime("%Y%m%dT%H%M%S.%fZ")
    call, folder = f"{stamp}-migrated", path.with_suffix("")
    fields = {}
    for seed, out in pairs:
        rows = out.get("runs") or []
        fields[seed] = {k: v for k, v in out.items() if k not in ("runs", "pending_runs")}
        fields[seed]["runs"] = [r["name"] for r in rows] + list(out.get("pending_runs") or [])
        for row in rows:
            write_run(folder, name, seed, call, row)
    write_index(folder, name, call, prov, fields, data.get("recording_log") or [], prov.created_utc)
    hidden = path.with_name(f".{path.name}.migrated")
    path.rename(hidden)  # out of the loader's way while the folder is checked
    _check(name, root, data, prov)
    hidden.unlink()
    return "one file per run plus an index"


def migrate_index(path: Path) -> bool:
    """Drop ``profile`` from one index entry's study fields; whether it changed."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    profile = payload["provenance"]["profile"]
    outputs = {k: _without_profile(v, profile, path) for k, v in payload["outputs"].items()}
    if outputs == payload["outputs"]:
        return False
    atomic_write_text(path, json.dumps({**payload, "outputs": outputs}, indent=2) + "\n")
    return True


def _check(name: str, root: Path, data: dict[str, Any], prov: object) -> StudyRecord:
    rec = load_record(name, root)
    if dict(rec) != data or rec.provenance != prov:
        raise SystemExit(f"{name}: the migrated record does not read back as the old one")
    return rec


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "docs" / "results"
    by_runs = {s.id for s in load_studies() if s.takes_hooks}
    for index in sorted(root.glob("**/index/*.json")):
        if migrate_index(index):
            print(f"{index.relative_to(root)}: dropped data.profile")
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
