"""The one runner: run a registered study under a profile, over seeds, time it and record it.

:func:`run_study` is what ``backprop-book reproduce ID [--profile full] [--seeds N]
[--record]`` does.  Studies that checkpoint do so outside the checkout, under
``<cache>/runs/<part>/<study>`` (the cache is ``$BACKPROP_BOOK_CACHE`` or
``~/.cache/backprop_book``), so that a run cut off resumes where it stopped.  A
record keeps the commit, time and wall time of the *training* -- read from the
epochs' own ``git_commit`` and ``time_s`` fields and the checkpoints -- apart from
those of the recording, so that re-recording a finished run from its checkpoints
does not pass the recording off as the training.

A study of several runs (one that takes :class:`~backprop_book.experiments.registry.StudyHooks`)
is recorded as it goes: with ``record``, the record is written after every finished
run (the runs still to train listed as ``pending_runs``), and a later call takes the
runs its record already holds -- same settings, profile, data and library versions --
instead of training them again.  The record's ``recording_log`` says which call
trained which runs, and its notes which runs were resumed from a checkpoint in a
later session (each epoch keeps the ``session`` that trained it).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import importlib
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backprop_book.experiments.registry import (
    REGISTRY,
    Study,
    StudyHooks,
    UnknownStudyError,
    unknown_message,
)
from backprop_book.profiles import Profile, get_profile
from backprop_book.records import (
    StudyRecord,
    Training,
    check_clean_tree,
    default_results_dir,
    load_record,
    reproduce_command,
    seed_outputs,
)
from backprop_book.results import data_sha256, record_result
from backprop_book.runtime import git_state, hardware, library_versions

try:  # POSIX; elsewhere the record lock only counts
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "PART_MODULES",
    "RecordLock",
    "StudyRun",
    "UnknownStudyError",
    "checkpoint_dir",
    "default_runs_dir",
    "load_studies",
    "lock_path",
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
    UnknownStudyError
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
    from backprop_book.data.cifar10 import default_cache_dir

    return default_cache_dir() / "runs"


def checkpoint_dir(study: Study, seed: int, runs_dir: str | Path | None = None) -> Path:
    """``<runs>/<part>/<study>`` for seed 0, ``.../<study>/seed<k>`` for another seed.

    >>> from backprop_book.experiments.registry import Study
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
    versions; otherwise ``(record or None, {})``.

    >>> from backprop_book.experiments.registry import Study
    >>> previous_rows(Study("part9/never", dict, ""), get_profile("full"), "/nonexistent")
    (None, {})
    """
    try:
        prev = load_record(study.id, results_dir)
    except (FileNotFoundError, ValueError):
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


def _rows_of_seed(
    read: Callable[[], Mapping[int, Mapping[str, Mapping[str, Any]]]], seed: int
) -> Mapping[str, Mapping[str, Any]]:
    return read().get(seed, {})


class RecordLock:
    """A re-entrant lock on a study's record, shared by the processes that record it.

    Two calls may record one study at once (each training other runs, see
    :func:`run_study`'s ``only``): each reads the record, adds its runs and writes it
    under this lock (``fcntl.flock`` on ``path``; where ``fcntl`` is missing, as on
    Windows, it only counts).  Entering it again in the same process does not block.

    >>> import tempfile, pathlib
    >>> lock = RecordLock(pathlib.Path(tempfile.mkdtemp()) / "x.lock")
    >>> with lock():
    ...     with lock():
    ...         lock.depth
    2
    >>> lock.depth
    0
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.depth = 0
        self._fd: int | None = None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        if self.depth == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if self.depth == 0 and self._fd is not None:
                if fcntl is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None


def lock_path(study: Study, runs_dir: str | Path | None = None) -> Path:
    """Where the :class:`RecordLock` of a study's record lives: beside its checkpoints.

    >>> lock_path(Study("part4/x", dict, ""), "/c").as_posix()
    '/c/part4/x.record.lock'
    """
    base = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    return base / study.part / f"{study.name}.record.lock"


def _log_so_far(prev: StudyRecord | None) -> list[dict[str, Any]]:
    """The record's ``recording_log``, or one entry describing a record that kept none."""
    if prev is None:
        return []
    log = prev.data.get("recording_log")
    if isinstance(log, list):
        entries = [dict(e) for e in log]
        # the call that wrote the record ran on the machine its provenance names
        if entries and "hardware" not in entries[-1]:
            entries[-1]["hardware"] = prev.provenance.hardware
        return entries
    names = sorted({str(r["name"]) for _, out in seed_outputs(prev.data) for r in _run_rows(out)})
    if not names:
        return []
    return [{"recorded_utc": prev.provenance.created_utc,
             "recorded_commit": prev.provenance.recorded_commit,
             "trained_commit": prev.provenance.trained_commit, "seeds": prev.provenance.seeds,
             "trained": names, "taken": []}]  # fmt: skip


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
    path: Path | None = None


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
) -> StudyRun:
    """Run the study ``name`` (see :func:`resolve_study`) under ``profile``, over ``seeds`` seeds.

    Seeds are ``0 .. seeds-1`` (the training seed; the data split keeps its own seed).
    With several seeds the data hold the first seed's output at the top level, plus
    ``seeds`` and ``by_seed`` (see :func:`seed_outputs`).  With ``record`` the data are
    written to ``docs/results/<part>/<study>.json`` by
    :func:`backprop_book.results.record_result`, with the command that reruns them;
    a study of several runs is written after every run, and takes the runs its
    record holds already (see :func:`previous_rows`) unless ``fresh``.

    ``only`` (with ``record``, for a study of several runs) names the runs this call
    trains; it takes the others from the record, or leaves them pending.  So a second
    process can train other runs of the same study beside the first, on another core:
    each writes the record under a :class:`RecordLock` (see :func:`lock_path`) and
    takes, before every write, the runs that the other has recorded meanwhile.

    Raises
    ------
    UnknownStudyError
        If ``name`` names no study.
    ValueError
        If ``seeds`` < 1, or > 1 for a study that takes no seed.
    DirtyTreeError
        If ``record`` is asked from a checkout with uncommitted changes and not
        ``allow_dirty`` (checked before anything runs).
    """
    study = resolve_study(name)
    prof = get_profile(profile)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
    if seeds > 1 and not study.takes_seed:
        raise ValueError(f"study {study.id!r} takes no seed, so --seeds must be 1, got {seeds}")
    if only is not None:
        if not record or not study.takes_hooks:
            raise ValueError(
                "only (--runs) goes with record (--record) and a study of several runs, "
                f"got record={record} for {study.id!r}"
                + ("" if study.takes_hooks else ", which is a single run")
            )
        if isinstance(only, str) or not only or not all(isinstance(n, str) and n for n in only):
            raise ValueError(f"only must name at least one run, got {only!r}")
    state = check_clean_tree(study.id, allow_dirty or not record, git_state())
    seed_list = tuple(range(seeds))
    dirs = (
        [checkpoint_dir(study, s, runs_dir) for s in seed_list] if study.takes_checkpoints else []
    )
    current = (state.commit or "unknown") + ("-dirty" if state.dirty and state.commit else "")
    command = reproduce_command(study.id, prof, seeds, allow_dirty=record and state.dirty)
    prev: StudyRecord | None = None
    recorded: dict[int, dict[str, Mapping[str, Any]]] = {}
    lock = RecordLock(lock_path(study, runs_dir))
    if record and study.takes_hooks:
        with lock():
            prev, recorded = previous_rows(study, prof, results_dir)
        if fresh and only is None:
            recorded = {}
    share = only is not None  # another process may record other runs meanwhile
    log = _log_so_far(prev) if recorded else []
    started = _utc(time.time())
    call = f"{started} pid {os.getpid()} {uuid.uuid4().hex[:8]}"  # this call, among others
    # the last reading of the record; the data's checksum is hashed once, then reused
    checksum = prev.provenance.data_sha256 if recorded and prev is not None else None
    seen: dict[str, Any] = {"stamp": None, "rows": recorded, "prev": prev, "checksum": checksum}

    def reread() -> dict[int, dict[str, Mapping[str, Any]]]:
        """The record's rows now (read again only when the file changed)."""
        try:
            root = Path(results_dir) if results_dir is not None else default_results_dir()
            st = (root / f"{study.id}.json").stat()
            stamp: tuple[float, int] | None = (st.st_mtime, st.st_size)
        except OSError:
            stamp = None
        if stamp != seen["stamp"]:
            seen["stamp"] = stamp
            seen["prev"], seen["rows"] = previous_rows(study, prof, results_dir, seen["checksum"])
            if seen["rows"] and seen["prev"] is not None:
                seen["checksum"] = seen["prev"].provenance.data_sha256
        return seen["rows"]

    t0 = time.perf_counter()
    outs: list[dict[str, Any]] = []
    hooks_by_seed: list[StudyHooks] = []

    def label(name: str, seed: int) -> str:
        return name if seeds == 1 else f"{name} (seed {seed})"

    def taken_labels() -> list[str]:
        return [
            label(n, s) for s, h in zip(seed_list, hooks_by_seed, strict=False) for n in h.taken
        ]

    def assemble(outputs: Sequence[dict[str, Any]]) -> dict[str, Any]:
        data = dict(outputs[0])
        if len(outputs) > 1:
            data["seeds"] = list(seed_list[: len(outputs)])
            data["by_seed"] = {str(s): o for s, o in zip(seed_list[1:], outputs[1:], strict=False)}
        if study.takes_hooks and record:
            taken = taken_labels()
            names = [label(str(r["name"]), s) for s, o in zip(seed_list, outputs, strict=False)
                     for r in _run_rows(o)]  # fmt: skip
            entry = {"recorded_utc": started, "recorded_commit": current, "call": call,
                     "hardware": hardware(str(outputs[0].get("device", "cpu"))),
                     "seeds": list(seed_list[: len(outputs)]),
                     "trained": [n for n in names if n not in taken], "taken": taken}  # fmt: skip
            so_far = log
            if share:  # keep the entries that other calls wrote meanwhile
                reread()
                if seen["rows"] and seen["prev"] is not None:
                    so_far = [e for e in _log_so_far(seen["prev"]) if e.get("call") != call]
            data["recording_log"] = [*so_far, entry]
        return data

    written: list[Path] = []

    def write(outputs: Sequence[dict[str, Any]]) -> Path:
        with lock():
            path = _write(outputs)
        written.append(path)
        return path

    def _write(outputs: Sequence[dict[str, Any]]) -> Path:
        data = assemble(outputs)
        first = outputs[0]
        return record_result(
            study.id,
            data,
            device=str(first["device"]),
            data_source=first["data_source"],
            seed=seed_list[0],
            seeds=list(seed_list[: len(outputs)]),
            wall_time_s=time.perf_counter() - t0,
            profile=prof,
            command=command,
            results_dir=results_dir,
            trained=training_of(outputs, dirs, time.perf_counter() - t0, current),
            allow_dirty=allow_dirty,
            notes=progress_notes(outputs, taken_labels()),
            strict=True,
        )

    for i, s in enumerate(seed_list):
        hooks = None
        if study.takes_hooks and record:
            hooks = StudyHooks(
                recorded.get(s, {}),
                refresh=functools.partial(_rows_of_seed, reread, s) if share else None,
                only=frozenset(only) if only is not None else None,
                fresh=fresh,
                lock=lock,
            )

            def on_run(
                partial: dict[str, Any], done: tuple[dict[str, Any], ...] = tuple(outs)
            ) -> None:
                write([*done, partial])

            hooks.on_run = on_run
            hooks_by_seed.append(hooks)
        out = dict(
            study.run(
                prof,
                seed=s,
                checkpoint_dir=dirs[i] if dirs else None,
                progress=progress,
                hooks=hooks,
            )
        )
        missing = [k for k in ("device", "data_source") if k not in out]
        if missing:
            raise TypeError(f"study {study.id!r} returned no {' or '.join(missing)} in its data")
        outs.append(out)
    wall = time.perf_counter() - t0
    data = assemble(outs)
    training = training_of(outs, dirs, wall, current)
    if not record:
        path = None
    elif study.takes_hooks and written:
        path = written[-1]  # the study's last report wrote it, under the lock
    else:
        path = write(outs)
    return StudyRun(study, prof, seed_list, data, wall, training, command, path)
