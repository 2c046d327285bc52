"""Move the records of studies of several runs from one file to one file per run plus an index.

    python scripts/migrate_records.py [RESULTS_DIR]

A study that takes the runner's hooks (it records run by run) is stored as a folder
(:mod:`backprop_book.records`): ``runs/s<seed>/<run>.json`` and one index entry
for the call that made the old file, holding its provenance, its study fields,
the order of its runs and its recording log unchanged.  Each record is read back
after the move and compared with the old file's data and provenance; the old file
is removed only when they are equal.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from backprop_book.experiments import load_studies
from backprop_book.records import (
    list_records,
    load_record,
    record_path,
    write_index,
    write_run,
)


def migrate(name: str, root: Path) -> bool:
    """Move record ``name`` to the folder layout; ``False`` if it is one already."""
    path = record_path(name, root)
    if path.is_dir():
        return False
    old = load_record(name, root)
    stamp = dt.datetime.fromisoformat(old.provenance.created_utc).strftime("%Y%m%dT%H%M%S.%fZ")
    call = f"{stamp}-migrated"
    folder = path.with_suffix("")
    outputs = {}
    for seed, out in old.outputs():
        fields = {
            k: v for k, v in out.items() if k not in ("runs", "pending_runs", "recording_log")
        }
        rows = out.get("runs") or []
        fields["runs"] = [r["name"] for r in rows] + list(out.get("pending_runs") or [])
        outputs[seed] = fields
        for row in rows:
            write_run(folder, name, seed, call, row)
    log = old.get("recording_log") or []
    write_index(folder, name, call, old.provenance, outputs, log, old.provenance.created_utc)
    path.rename(path.with_name(f".{path.name}.migrated"))  # out of the loader's way
    new = load_record(name, root)
    if dict(new) != dict(old) or new.provenance != old.provenance:
        raise SystemExit(f"{name}: the folder does not read back as the file did; left both")
    path.with_name(f".{path.name}.migrated").unlink()
    return True


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "docs" / "results"
    by_runs = {s.id for s in load_studies() if s.takes_hooks}
    for name in list_records(root):
        if name in by_runs and migrate(name, root):
            print(f"migrated {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
