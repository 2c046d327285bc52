"""How far a long study has got: which runs are recorded, which are checkpointed, which wait.

A full-profile study on a CPU takes many hours and several sessions: each run
checkpoints after every epoch (under the package cache, outside the checkout) and
the record under ``docs/results`` is written when the study ends, or holds only the
runs finished so far. :func:`study_progress` joins the two sources, run by run,
so that a chapter can say which runs are done and plot every epoch trained so far.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

__all__ = ["RunProgress", "checkpoint_histories", "format_progress", "study_progress"]


@dataclass(frozen=True)
class RunProgress:
    """One run of a study: epochs trained of ``epochs``, where they are kept, their history.

    ``source`` is ``"record"`` (the result file holds the run), ``"checkpoint"`` (only
    a checkpoint in the runs folder has it) or ``"not started"``.

    >>> RunProgress("a", 10, 10, "record").done, RunProgress("b", 3, 10, "checkpoint").done
    (True, False)
    """

    name: str
    epochs_done: int
    epochs: int
    source: str
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def done(self) -> bool:
        """All epochs trained."""
        return self.epochs_done >= self.epochs


def checkpoint_histories(folder: str | os.PathLike[str] | None) -> dict[str, list[dict[str, Any]]]:
    """``{run name: history}`` of every ``<name>.pt`` checkpoint in ``folder``.

    Checkpoints are opened memory-mapped with ``weights_only=True`` (only the history
    is read, not the weights); a missing folder gives ``{}``, and a file that is not a
    readable checkpoint (half-copied, foreign) is skipped.

    >>> checkpoint_histories("/no/such/folder")
    {}
    """
    if folder is None or not Path(folder).is_dir():
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(Path(folder).glob("*.pt")):
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            history = list(ckpt["history"])
        except Exception:  # torch raises several types for unreadable files: skip them
            continue
        out[path.stem] = history
    return out


def study_progress(
    names: Sequence[str],
    epochs: int,
    record: Mapping[str, Any] | None = None,
    checkpoints: Mapping[str, list[dict[str, Any]]] | None = None,
) -> list[RunProgress]:
    """The progress of each run in ``names``, expected to train ``epochs`` epochs.

    ``record`` is a study's recorded data (``{"runs": [{"name", "history"}, ...]}``,
    complete or partial); ``checkpoints`` maps run names to checkpointed histories
    (:func:`checkpoint_histories`). A run takes the source with more epochs (the
    record on a tie). Runs that are in neither are ``"not started"``.

    >>> rec = {"runs": [{"name": "a", "history": [{"epoch": 1}, {"epoch": 2}]}]}
    >>> [(p.name, p.epochs_done, p.source) for p in
    ...  study_progress(["a", "b", "c"], 2, rec, {"b": [{"epoch": 1}]})]
    [('a', 2, 'record'), ('b', 1, 'checkpoint'), ('c', 0, 'not started')]
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"expected a positive number of epochs, got {epochs!r}")
    recorded = {r["name"]: list(r["history"]) for r in (record or {}).get("runs", [])}
    ckpt = dict(checkpoints or {})
    out = []
    for name in names:
        rec_h, ck_h = recorded.get(name), ckpt.get(name)
        if rec_h is not None and (ck_h is None or len(rec_h) >= len(ck_h)):
            out.append(RunProgress(name, len(rec_h), epochs, "record", rec_h))
        elif ck_h is not None:
            out.append(RunProgress(name, len(ck_h), epochs, "checkpoint", ck_h))
        else:
            out.append(RunProgress(name, 0, epochs, "not started"))
    return out


def format_progress(rows: Sequence[RunProgress]) -> str:
    """A text table: run, epochs trained, where, and the last epoch's test accuracy.

    >>> print(format_progress([RunProgress("a", 2, 10, "checkpoint",
    ...                                    [{"test_acc": 0.5}, {"test_acc": 0.61}])]))
    run                   epochs  kept in        last test acc
    a                       2/10  checkpoint            0.6100
    """
    lines = [f"{'run':<20}{'epochs':>8}  {'kept in':<12}{'last test acc':>16}"]
    for r in rows:
        acc = r.history[-1].get("test_acc") if r.history else None
        shown = f"{acc:.4f}" if isinstance(acc, float) else "-"
        lines.append(f"{r.name:<20}{f'{r.epochs_done}/{r.epochs}':>8}  {r.source:<12}{shown:>16}")
    return "\n".join(lines)
