"""Upgrade records of provenance schema 1 to schema 2 without rerunning them.

    python scripts/upgrade_provenance.py docs/results/part2/best.json [...]
        [--trained-commit SHA --trained-at ISO --train-wall-time S|unknown] [--note TEXT]

Schema 1 kept one commit and one wall time (those of the recording) and no CPU
model or data checksum.  This fills the schema-2 fields from what the file itself
proves, and says in ``notes`` how each was established:

- ``trained_commit`` / ``trained_at``: the file's commit and time, unless given
  (give them when the file was a re-recording of a finished run);
- ``train_wall_time_s``: the sum of the runs' own ``train_time_s`` (their epochs'
  times) when kept, else the recorded wall time (the study's call, which trained it);
- ``data_sha256``: the shared archive's SHA-256 for data loaded from that archive
  (the loader refuses any other archive by default), ``synthetic`` for generated data,
  else ``unknown``;
- ``hardware``: ``unknown`` (schema 1 did not record it);
- ``command``: the ``backprop-book reproduce`` command of the registered study.

Records that cannot be rerun cheaply are upgraded this way; cheap ones are better
rerun (``backprop-book reproduce ID --profile full --record``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from backprop_book.data.cifar10 import SHARED_ARCHIVE_SHA256
from backprop_book.experiments import REGISTRY, load_studies, reproduce_command
from backprop_book.results import SCHEMA_VERSION, Provenance, missing_provenance, write_record

UNKNOWN_HW = "unknown (schema 1 did not record the CPU or GPU model)"


def _train_times(runs: object) -> list[float]:
    if not isinstance(runs, list):
        return []
    return [float(r["train_time_s"]) for r in runs if isinstance(r, dict) and "train_time_s" in r]


def upgrade(path: Path, results_root: Path, args: argparse.Namespace) -> str:
    payload = json.loads(path.read_text(encoding="utf-8"))
    if payload.get("schema") == SCHEMA_VERSION:
        return f"{path}: already schema {SCHEMA_VERSION}"
    old = payload["provenance"]
    name = path.relative_to(results_root).with_suffix("").as_posix()
    notes = []
    commit = str(old.get("git_commit") or "unknown")
    dirty = commit.endswith("-dirty")
    recorded_commit = commit.removesuffix("-dirty")
    trained_commit = args.trained_commit or commit
    trained_at = args.trained_at or old["created_utc"]
    if args.trained_commit:
        notes.append(
            f"trained at commit {args.trained_commit} (its first recording); this file's "
            f"commit {recorded_commit[:12]} is that of a re-recording from finished checkpoints"
        )
    times = _train_times(payload["data"].get("runs"))
    if args.train_wall_time is not None:
        wall: float | str = (
            args.train_wall_time
            if args.train_wall_time == "unknown"
            else float(args.train_wall_time)
        )
    elif times and len(times) == len(payload["data"]["runs"]):
        wall = sum(times)
        notes.append("train_wall_time_s: the sum of the runs' own epoch times")
    else:
        wall = float(old["wall_time_s"])
        notes.append("train_wall_time_s: the wall time of the command that trained and recorded it")
    source = str(old.get("data_source") or "")
    if "synthetic" in source.lower() or "fake" in source.lower():
        sha = "synthetic"
    elif "(archive, cifar10-jpeg.tar.gz" in source:
        sha = SHARED_ARCHIVE_SHA256
        notes.append("data_sha256: the loader refuses any archive but this one by default")
    else:
        sha = "unknown (schema 1 did not record the data's checksum)"
    if name in REGISTRY:
        command = reproduce_command(name, old["profile"])
        if command != old["command"]:
            notes.append(f"first recorded with `{old['command'].split(' --checkpoints')[0]}`")
    else:
        command = str(old["command"])
        for script, cmd in (("cli.py ", "backprop-book "),
                            ("bench_torch_nn.py ", "python -m benchmarks.bench_torch_nn ")):  # fmt: skip
            if command.startswith(script):
                command = cmd + command[len(script) :]
    if args.note:
        notes.append(args.note)
    prov = Provenance(
        command=command,
        profile=old["profile"],
        seed=old.get("seed"),
        device=old["device"],
        hardware=UNKNOWN_HW,
        versions=old["versions"],
        data_source=old.get("data_source"),
        data_sha256=sha,
        trained_commit=trained_commit,
        trained_at=trained_at,
        train_wall_time_s=wall,
        recorded_commit=recorded_commit,
        wall_time_s=float(old["wall_time_s"]),
        seeds=[] if old.get("seed") is None else [int(old["seed"])],
        dirty=dirty,
        diff_sha256="unknown (schema 1 did not keep the diff)" if dirty else None,
        notes="upgraded from schema 1 without rerunning; " + "; ".join(notes),
        created_utc=old["created_utc"],
    )
    problems = missing_provenance(prov)
    write_record(name, prov, payload["data"], results_root)
    return f"{path}: upgraded" + (f" (still: {'; '.join(problems)})" if problems else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--results-root", type=Path, default=Path("docs/results"))
    ap.add_argument("--trained-commit")
    ap.add_argument("--trained-at")
    ap.add_argument("--train-wall-time")
    ap.add_argument("--note")
    args = ap.parse_args(argv)
    load_studies()
    for p in args.paths:
        print(upgrade(p, args.results_root, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
