"""The one runner: run a registered study under a profile, over seeds, time it and record it.

:func:`run_study` is what ``backprop-book reproduce ID [--profile full] [--seeds N]
[--record]`` does.  Studies that checkpoint do so outside the checkout, under
``<cache>/runs/<part>/<study>`` (the cache is ``$BACKPROP_BOOK_CACHE`` or
``~/.cache/backprop_book``), so that a run cut off resumes where it stopped.  A
record keeps the commit, time and wall time of the *training* -- read from the
epochs' own ``git_commit`` and ``time_s`` fields and the checkpoints -- apart from
those of the recording, so that re-recording a finished run from its checkpoints
does not pass the recording off as the training.

A study of several runs (one that takes :class:`~backprop_book.studies.StudyHooks`)
is recorded as it goes by a :class:`Recording`: one file per run, written when the
run ends, and one index entry per call (see :mod:`backprop_book.records`); a later
call takes the runs the record already holds -- same settings, profile, data and
library versions -- instead of training them again.  The record's
``recording_log`` says which call trained which runs, and its notes which runs were
resumed from a checkpoint in a later session (each epoch keeps the ``session``
that trained it).
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib
import os
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backprop_book.data.cifar10 import default_cache_dir
from backprop_book.profiles import Profile, get_profile
from backprop_book.records import (
    Provenance,
    RecordError,
    StudyRecord,
    Training,
    call_id,
    check_clean_tree,
    default_results_dir,
    load_record,
    outputs_by_seed,
    reproduce_command,
    seed_outputs,
    write_index,
    write_run,
)
from backprop_book.results import data_sha256, provenance_for, write_record
from backprop_book.runtime import GitState, git_state, hardware, library_versions
from backprop_book.studies import (
    REGISTRY,
    Study,
    StudyHooks,
    UnknownStudyError,
    unknown_message,
)

__all__ = [
    "PART_MODULES",
    "Recording",
    "StudyRun",
    "UnknownStudyError",
    "checkpoint_dir",
    "default_runs_dir",
    "load_studies",
    "previous_rows",
    "progress_notes",
    "reproduce_command",
    "resolve_study",
    "run_study",
    "seed_outputs",
    "training_of",
    "training_sessions",
]

#: The module of each part that registers its studies when imported.
PART_MODULES: dict[str, str] = {
    "part2": "backprop_book.numpy_nn.experiments",
    "part3": "backprop_book.autograd.experiments",
    "part4": "backprop_book.torch_nn.experiments",
}


def load_studies(parts: Sequence[str] | None = None) -> list[Study]:
    """Import the parts' study modules (all, or ``parts``) and return their studies.

    >>> [s.id for s in load_studies(["part3"])][:2]
    ['part3/sigmoid2', 'part3/sigmoid2_lr01']
    """
    wanted = list(PART_MODULES) if parts is None else list(parts)
    for part in wanted:
        if part not in PART_MODULES:
            raise ValueError(f"unknown part {part!r}; expected one of {sorted(PART_MODULES)}")
        importlib.import_module(PART_MODULES[part])
    return [s for s in REGISTRY if s.part in wanted]


def resolve_study(name: str) -> Study:
    """The study that ``name`` names: a registry id (``part4/a_cnn_studies``) or a bare name.

    A bare name (``a_cnn_studies``) is accepted when exactly one part has it.

    Raises
    ------
    ~backprop_book.studies.UnknownStudyError
        If nothing matches; the one-line message names the nearest ids.
    """
    if not isinstance(name, str) or not name.strip():
        raise UnknownStudyError(f"expected a study id such as 'part4/a_cnn_studies', got {name!r}")
    name = name.strip()
    part = name.split("/", 1)[0] if "/" in name else None
    if part in PART_MODULES:
        load_studies([part])
        if name in REGISTRY:
            return REGISTRY.get(name)
    studies = load_studies()
    if name in REGISTRY:
        return REGISTRY.get(name)
    bare = [s for s in studies if s.name == name]
    if len(bare) == 1:
        return bare[0]
    raise UnknownStudyError(unknown_message(name, [s.id for s in studies]))


def default_runs_dir() -> Path:
    """``<cache>/runs``: where studies checkpoint (``$BACKPROP_BOOK_CACHE`` is honoured)."""
    return default_cache_dir() / "runs"


def checkpoint_dir(study: Study, seed: int, runs_dir: str | Path | None = None) -> Path:
    """``<runs>/<part>/<study>`` for seed 0, ``.../<study>/seed<k>`` for another seed.

    >>> from backprop_book.studies import Study
    >>> checkpoint_dir(Study("part4/x", dict, ""), 2, "/c").as_posix()
    '/c/part4/x/seed2'
    """
    root = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    d = root / study.part / study.name
    return d if seed == 0 else d / f"seed{seed}"


def _histories(obj: Any) -> Iterator[list[Any]]:
    if isinstance(obj, Mapping):
        hist = obj.get("history")
        if isinstance(hist, list) and hist and all(isinstance(h, Mapping) for h in hist):
            yield hist
        for v in obj.values():
            yield from _histories(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _histories(v)


def _train_times(obj: Any) -> Iterator[float]:
    if isinstance(obj, Mapping):
        t = obj.get("train_time_s")
        if isinstance(t, int | float):
            yield float(t)
            return
        for v in obj.values():
            yield from _train_times(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _train_times(v)


def _utc(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.UTC).isoformat(timespec="seconds")


def training_of(
    outputs: Sequence[Mapping[str, Any]],
    checkpoint_dirs: Sequence[Path],
    wall_time_s: float,
    current_commit: str,
    ended: float | None = None,
) -> Training:
    """Commit, time and wall time of the training behind a study's outputs.

    The commit comes from the epochs' own ``git_commit`` fields when the study keeps
    per-epoch histories (several, joined by ``", "``, for a run resumed across
    commits; ``unknown`` for epochs of an old checkpoint that kept none), else it is
    ``current_commit`` (a study without histories trains in the call); the time is that of the newest
    checkpoint, else ``ended`` (now); the wall time is the sum of the runs'
    ``train_time_s`` (their epochs' times over every resumed part), else
    ``wall_time_s``.

    >>> outs = [{"runs": [{"history": [{"git_commit": "abc", "time_s": 2.0}],
    ...                    "train_time_s": 2.0}]}]
    >>> t = training_of(outs, [], 0.5, "def", ended=0.0)
    >>> t.commit, t.wall_time_s, t.at
    ('abc', 2.0, '1970-01-01T00:00:00+00:00')
    >>> training_of([{"acc": 1.0}], [], 0.5, "def", ended=0.0).commit
    'def'
    >>> training_of([{"history": [{"git_commit": None}, {"git_commit": "abc"}]}], [], 1, "d").commit
    'abc, unknown'
    """
    epochs = [h for out in outputs for hist in _histories(out) for h in hist]
    commits = sorted({str(h.get("git_commit") or "unknown") for h in epochs})
    times = [t for out in outputs for t in _train_times(out)]
    stamps = [p.stat().st_mtime for d in checkpoint_dirs if d.is_dir() for p in d.glob("*.pt")]
    at = _utc(max(stamps)) if stamps else _utc(time.time() if ended is None else ended)
    return Training(
        commit=", ".join(commits) if commits else current_commit,
        at=at,
        wall_time_s=float(sum(times)) if times else float(wall_time_s),
    )


def training_sessions(history: Sequence[Mapping[str, Any]]) -> tuple[int, bool]:
    """How many sessions trained a run: ``(count, exact)``, from its epochs' history.

    Epochs keep the ``session`` (the start of the trainer that ran them); epochs of
    older records keep only their ``git_commit``, and those are counted one session
    per commit, a lower bound (``exact`` is then ``False``).

    >>> training_sessions([{"session": "t0"}, {"session": "t0"}, {"session": "t1"}])
    (2, True)
    >>> training_sessions([{"git_commit": "a"}, {"git_commit": "b"}, {"session": "t1"}])
    (3, False)
    """
    keys = {
        f"session {h['session']}" if h.get("session") else f"commit {h.get('git_commit')}"
        for h in history
    }
    return len(keys), all(h.get("session") for h in history)


def _run_rows(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    runs = data.get("runs")
    return (
        [r for r in runs if isinstance(r, Mapping) and "name" in r]
        if isinstance(runs, list)
        else []
    )


def previous_rows(
    study: Study,
    profile: Profile,
    results_dir: str | Path | None = None,
    data_checksum: str | None = None,
) -> tuple[StudyRecord | None, dict[int, dict[str, Mapping[str, Any]]]]:
    """The study's record, and its runs by seed and name, if a new call may take them.

    They may when the record has the same profile, was trained on the data that the
    loader finds now (the same archive checksum; ``data_checksum``, when given, is
    that checksum, so that the archive is not hashed again) and with the same library
    versions; otherwise ``(record or None, {})``.  A record that does not follow the
    schema raises its :class:`~backprop_book.records.RecordError` (naming the file).

    >>> from backprop_book.studies import Study
    >>> previous_rows(Study("part9/never", dict, ""), get_profile("full"), "/nonexistent")
    (None, {})
    """
    try:
        prev = load_record(study.id, results_dir)
    except FileNotFoundError:
        return None, {}
    prov = prev.provenance
    now = library_versions()
    same_libs = all(prov.versions.get(k) == now.get(k) for k in ("torch", "numpy", "python"))
    if prov.profile != profile.value or not same_libs:
        return prev, {}
    checksum = data_sha256(prov.data_source) if data_checksum is None else data_checksum
    if checksum != prov.data_sha256:
        return prev, {}
    return prev, {
        seed: {str(r["name"]): r for r in _run_rows(out)} for seed, out in seed_outputs(prev.data)
    }


def progress_notes(outs: Sequence[Mapping[str, Any]], taken: Sequence[str]) -> str:
    """The notes of a record written as a study goes: what is pending, taken, resumed.

    >>> out = {"runs": [{"name": "a", "history": [{"session": "t0"}, {"session": "t1"}]}],
    ...        "pending_runs": ["b"]}
    >>> print(progress_notes([out], ["c"]))
    partial: 1 of 2 runs (pending: b); the same command trains the rest. taken from the study's previous record: c. resumed in a later session: a (2 sessions).
    """
    notes = []
    done = sum(len(_run_rows(o)) for o in outs)
    pending = [str(n) for o in outs for n in o.get("pending_runs") or ()]
    if pending:
        notes.append(
            f"partial: {done} of {done + len(pending)} runs (pending: {', '.join(pending)}); "
            "the same command trains the rest."
        )
    if taken:
        notes.append(f"taken from the study's previous record: {', '.join(taken)}.")
    resumed = []
    for o in outs:
        for r in _run_rows(o):
            hist = r.get("history")
            if isinstance(hist, list) and hist:
                n, exact = training_sessions(hist)
                if n > 1:
                    resumed.append(f"{r['name']} ({'' if exact else 'at least '}{n} sessions)")
    if resumed:
        notes.append(f"resumed in a later session: {', '.join(resumed)}.")
    return " ".join(notes)


@dataclass(frozen=True)
class StudyRun:
    """What :func:`run_study` did: the study, profile, seeds, data, times and record."""

    study: Study
    profile: Profile
    seeds: tuple[int, ...]
    data: dict[str, Any]
    wall_time_s: float
    training: Training
    command: str
    #: the first seed's device and data (a record keeps them only in its provenance)
    device: str
    data_source: str | None
    path: Path | None = None


class Recording:
    """One call's recording of a study: what it takes from the record and what it writes.

    A single run is written as one file when it ends (:meth:`write_single`).  A study
    of several runs is written run by run into its folder (see
    :mod:`backprop_book.records`): each run this call trains gets its own file the
    moment it finishes, and this call's index entry (the study's fields, its run
    order, the provenance and this call's line of the recording log) is rewritten
    after every run.  Nothing another call wrote is written again, so two calls can
    record one study side by side without a lock: each takes the runs the other has
    recorded (read again, when ``only`` is given, before each run).

    A record this call may not take from (other profile, data or library versions,
    or ``fresh``) is replaced: at the first write, the files older than this call
    are removed.
    """

    def __init__(
        self,
        study: Study,
        profile: Profile,
        seeds: Sequence[int],
        state: GitState,
        *,
        allow_dirty: bool = False,
        results_dir: str | Path | None = None,
        runs_dir: str | Path | None = None,
        fresh: bool = False,
        only: Sequence[str] | None = None,
        seed_runs: Sequence[str] | None = None,
    ) -> None:
        self.study, self.profile, self.seeds, self.state = study, profile, tuple(seeds), state
        self.allow_dirty, self.results_dir, self.fresh = allow_dirty, results_dir, fresh
        self.only = None if only is None else frozenset(only)
        self.seed_runs = None if seed_runs is None else frozenset(seed_runs)
        self.current = state.label
        self.command = reproduce_command(study.id, profile, len(seeds), allow_dirty=state.dirty,
                                         seed_runs=seed_runs)  # fmt: skip
        self.t0, self.started = time.perf_counter(), time.time()
        self.call = call_id(self.started, os.getpid(), uuid.uuid4().hex[:8])
        self.dirs = (
            [checkpoint_dir(study, s, runs_dir) for s in seeds] if study.takes_checkpoints else []
        )
        self.hooks: dict[int, StudyHooks] = {}
        self.outs: list[dict[str, Any]] = []
        self.path: Path | None = None
        self._written: dict[tuple[int, str], Mapping[str, Any]] = {}
        self.prev: StudyRecord | None = None
        self.recorded: dict[int, dict[str, Mapping[str, Any]]] = {}
        broken = False
        try:
            if study.takes_hooks:
                self.prev, self.recorded = previous_rows(study, profile, results_dir)
        except RecordError as exc:  # refused before training, unless asked to start again
            if not fresh or self.only is not None:
                raise RecordError(f"{exc}; --fresh records {study.id} again") from None
            broken = True
        if fresh and self.only is None:
            self.recorded = {}
        self._replace = broken or (self.prev is not None and not self.recorded)
        self.checksum = self.prev.provenance.data_sha256 if self.recorded and self.prev else None

    @property
    def folder(self) -> Path:
        """The study's folder in the results."""
        root = Path(self.results_dir) if self.results_dir is not None else default_results_dir()
        return root / self.study.id

    def hooks_for(self, seed: int) -> StudyHooks:
        """The hooks a study of several runs gets for ``seed``: its rows, ``only``, reports."""
        hooks = StudyHooks(
            self.recorded.get(seed, {}),
            refresh=functools.partial(self.rows_now, seed) if self.only is not None else None,
            only=self.only,
            fresh=self.fresh,
            subset=self.seed_runs if seed != self.seeds[0] else None,
        )
        hooks.on_run = functools.partial(self.on_run, seed)
        self.hooks[seed] = hooks
        return hooks

    def rows_now(self, seed: int) -> Mapping[str, Mapping[str, Any]]:
        """The rows of ``seed`` the record holds now (another call may have added some)."""
        prev, rows = previous_rows(self.study, self.profile, self.results_dir, self.checksum)
        if rows and prev is not None:
            self.checksum = prev.provenance.data_sha256
        return rows.get(seed, {})

    def label(self, name: str, seed: int) -> str:
        """A run's name in the log: ``name``, or ``name (seed k)`` over several seeds."""
        return name if len(self.seeds) == 1 else f"{name} (seed {seed})"

    def taken(self) -> list[str]:
        """The runs this call took from the record, labelled."""
        return [self.label(n, s) for s, h in self.hooks.items() for n in h.taken]

    def on_run(self, seed: int, partial: dict[str, Any]) -> None:
        """A run of ``seed`` finished: write its file and this call's index entry."""
        self._clear_replaced()
        single_file = self.prev is not None and self.prev.path.suffix == ".json"
        taken = set() if single_file else set(self.hooks[seed].taken)
        for row in _run_rows(partial):
            key = (seed, str(row["name"]))
            if key[1] not in taken and self._written.get(key) != row:
                write_run(self.folder, self.study.id, seed, self.call, row)
                self._written[key] = row
        self.path = self._write_index([*self.outs, partial])

    def _clear_replaced(self) -> None:
        """Remove a replaced record's files (those older than this call), once."""
        if not self._replace:
            return
        self._replace = False
        old = [self.folder.with_name(self.folder.name + ".json")]
        old += [p for p in self.folder.glob("*/**/*.json") if p.stat().st_mtime < self.started]
        for p in old:
            p.unlink(missing_ok=True)

    def study_fields(self, out: Mapping[str, Any], prov: Provenance) -> dict[str, Any]:
        """A study's output as a record keeps it: without ``profile``, ``device`` and
        ``data_source``, which only the provenance ``prov`` holds.

        An output that ran under another profile or read other data than ``prov`` says
        is an error.  Its ``device`` may differ from the provenance's (the first seed's)
        only in a study of several runs whose first row was taken from a record made on
        another machine; each run row keeps its own ``device``, so nothing is lost.
        """
        kept = {"profile": prov.profile, "data_source": prov.data_source}
        for key, value in kept.items():
            if out.get(key, value) != value:
                raise ValueError(
                    f"study {self.study.id!r} reports {key} {out[key]!r}, recorded as {value!r}"
                )
        return {k: v for k, v in out.items() if k not in (*kept, "device")}

    def provenance(self, outputs: Sequence[Mapping[str, Any]]) -> Provenance:
        """This call's provenance over ``outputs`` (seed by seed)."""
        wall = time.perf_counter() - self.t0
        first = outputs[0]
        return provenance_for(
            self.study.id, device=str(first["device"]), data_source=first["data_source"],
            seed=self.seeds[0], seeds=list(self.seeds[: len(outputs)]), wall_time_s=wall,
            profile=self.profile, command=self.command,
            trained=training_of(outputs, self.dirs, wall, self.current),
            allow_dirty=self.allow_dirty, notes=progress_notes(outputs, self.taken()),
        )  # fmt: skip

    def _write_index(self, outputs: Sequence[Mapping[str, Any]]) -> Path:
        prov = self.provenance(outputs)
        fields: dict[int, dict[str, Any]] = {}
        names = []
        for seed, out in zip(self.seeds, outputs, strict=False):
            runs = [str(r["name"]) for r in _run_rows(out)]
            names += [self.label(n, seed) for n in runs]
            fields[seed] = {k: v for k, v in self.study_fields(out, prov).items()
                            if k not in ("runs", "pending_runs")}  # fmt: skip
            fields[seed]["runs"] = runs + [str(n) for n in out.get("pending_runs") or ()]
        taken = self.taken()
        entry = {"recorded_utc": _utc(self.started), "recorded_commit": self.current,
                 "call": self.call, "hardware": hardware(str(outputs[0].get("device", "cpu"))),
                 "seeds": list(self.seeds[: len(outputs)]),
                 "trained": [n for n in names if n not in taken], "taken": taken}  # fmt: skip
        return write_index(self.folder, self.study.id, self.call, prov, fields, [entry])

    def write_single(self, outputs: Sequence[Mapping[str, Any]]) -> Path:
        """Write a study of one run (over its seeds) as one file."""
        prov = self.provenance(outputs)
        pairs = [(s, self.study_fields(o, prov)) for s, o in zip(self.seeds, outputs, strict=False)]
        self.path = write_record(self.study.id, prov, outputs_by_seed(pairs), self.results_dir)
        return self.path

    def add(self, out: dict[str, Any]) -> None:
        """Keep a seed's output; it must name its ``device`` and ``data_source``."""
        missing = [k for k in ("device", "data_source") if k not in out]
        if missing:
            raise TypeError(
                f"study {self.study.id!r} returned no {' or '.join(missing)} in its data"
            )
        self.outs.append(out)

    def data(self) -> dict[str, Any]:
        """The study's data as recorded (or, before anything is written, as run)."""
        if self.path is not None and self.study.takes_hooks:
            return dict(load_record(self.study.id, self.results_dir))
        return outputs_by_seed(list(zip(self.seeds, self.outs, strict=False)))


def _check_names(what: str, names: Sequence[str]) -> None:
    if isinstance(names, str) or not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{what} must name at least one run, got {names!r}")


def _check_arguments(
    study: Study,
    seeds: int,
    record: bool,
    only: Sequence[str] | None,
    seed_runs: Sequence[str] | None = None,
) -> None:
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
    if seeds > 1 and not study.takes_seed:
        raise ValueError(f"study {study.id!r} takes no seed, so --seeds must be 1, got {seeds}")
    if seed_runs is not None:
        if not record or not study.takes_hooks or seeds < 2:
            raise ValueError(
                "seed_runs (--seed-runs) goes with record (--record), a study of several runs "
                f"and seeds >= 2, got record={record}, seeds={seeds} for {study.id!r}"
                + ("" if study.takes_hooks else ", which is a single run")
            )
        _check_names("seed_runs", seed_runs)
    if only is not None:
        if not record or not study.takes_hooks:
            raise ValueError(
                "only (--runs) goes with record (--record) and a study of several runs, "
                f"got record={record} for {study.id!r}"
                + ("" if study.takes_hooks else ", which is a single run")
            )
        _check_names("only", only)


def run_study(
    name: str,
    *,
    profile: str | Profile | None = None,
    seeds: int = 1,
    record: bool = False,
    allow_dirty: bool = False,
    results_dir: str | Path | None = None,
    runs_dir: str | Path | None = None,
    progress: bool = False,
    fresh: bool = False,
    only: Sequence[str] | None = None,
    seed_runs: Sequence[str] | None = None,
) -> StudyRun:
    """Run the study ``name`` (see :func:`resolve_study`) under ``profile``, over ``seeds`` seeds.

    Seeds are ``0 .. seeds-1`` (the training seed; the data split keeps its own seed).
    With several seeds the data hold the first seed's output at the top level, plus
    ``seeds`` and ``by_seed`` (see :func:`seed_outputs`).  With ``record`` the data are
    written to ``docs/results/<part>/<study>``, with the command that reruns them, by
    a :class:`Recording`: one file for a single run; for a study of several runs,
    one file per run, written as each run ends, and this call's index entry.  Such a
    study takes the runs its record holds already (see :func:`previous_rows`) unless
    ``fresh``.

    ``only`` (with ``record``, for a study of several runs) names the runs this call
    trains, taking the others from the record or leaving them pending: a second process
    can train other runs beside the first; each writes only its own files.  ``seed_runs``
    (with ``record``, ``seeds`` >= 2) names the only runs that seeds 1 .. seeds-1 hold.

    Raises
    ------
    ~backprop_book.studies.UnknownStudyError
        If ``name`` names no study.
    ValueError
        If ``seeds`` < 1, or > 1 for a study that takes no seed; if ``only`` or
        ``seed_runs`` is given without ``record`` or names no run.
    DirtyTreeError
        If ``record`` is asked from a checkout with uncommitted changes and not
        ``allow_dirty`` (checked before anything runs).
    RecordError
        If the study's record breaks the schema (before anything runs; unless ``fresh``).
    """
    study, prof = resolve_study(name), get_profile(profile)
    _check_arguments(study, seeds, record, only, seed_runs)
    state = check_clean_tree(study.id, allow_dirty or not record, git_state())
    rec = Recording(study, prof, range(seeds), state, allow_dirty=allow_dirty,
                    results_dir=results_dir, runs_dir=runs_dir, fresh=fresh, only=only,
                    seed_runs=seed_runs)  # fmt: skip
    for i, s in enumerate(rec.seeds):
        hooks = rec.hooks_for(s) if study.takes_hooks and record else None
        out = dict(study.run(prof, seed=s, checkpoint_dir=rec.dirs[i] if rec.dirs else None,
                             progress=progress, hooks=hooks))  # fmt: skip
        rec.add(out)
    wall = time.perf_counter() - rec.t0
    if record and not (study.takes_hooks and rec.path is not None):
        rec.write_single(rec.outs)
    training, first = training_of(rec.outs, rec.dirs, wall, rec.current), rec.outs[0]
    return StudyRun(study, prof, rec.seeds, rec.data(), wall, training, rec.command,
                    str(first["device"]), first["data_source"], rec.path)  # fmt: skip
