"""Recorded results with provenance that says how to rerun them.

A full-profile run that the docs build cannot afford is recorded once, as a small
JSON file under ``docs/results/``, together with everything needed to trust and
repeat it (:class:`Provenance`): the ``backprop-book reproduce ...`` command, the
commit and time of the *training* (kept when a finished run is re-recorded from its
checkpoints) apart from the commit of the recording, the device and the CPU model
or GPU name, library versions, the data source and the SHA-256 of its archive
(``"synthetic"`` for generated data), profile, seeds and wall time.  The recorder
refuses a checkout with uncommitted changes unless asked (``allow_dirty``); such a
record says so and keeps the SHA-256 of the diff.  Chapters read the files back
with :func:`load_result`, and :func:`missing_provenance` lists what a record lacks.

Files are written atomically: a crash never leaves a half-written result.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from backprop_book._io import atomic_write_text
from backprop_book.profiles import Profile, get_profile
from backprop_book.runtime import command_line, git_state, hardware, library_versions, repo_root

__all__ = [
    "RESULTS_ENV",
    "DirtyTreeError",
    "Provenance",
    "RecordedResult",
    "Training",
    "data_sha256",
    "default_results_dir",
    "list_results",
    "load_result",
    "missing_provenance",
    "record_result",
]

RESULTS_ENV = "BACKPROP_BOOK_RESULTS"
#: Where a wheel carries the records of ``docs/results`` (copied in by ``setup.py``).
PACKAGED_RECORDS = Path(__file__).resolve().parent / "records"
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
SCHEMA_VERSION = 2
UNKNOWN = "unknown"


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class DirtyTreeError(RuntimeError):
    """Recording was asked from a checkout with uncommitted changes."""


@dataclass(frozen=True)
class Training:
    """When and from which code a recorded run was trained.

    ``commit`` may list several commits (``"a, b"``) for a run resumed across
    commits; ``wall_time_s`` is the training's own time (the sum of its epochs over
    every resumed part), or ``"unknown"``.

    >>> Training("abc", "2026-01-01T00:00:00+00:00", 12.5).wall_time_s
    12.5
    """

    commit: str
    at: str
    wall_time_s: float | str


@dataclass(frozen=True)
class Provenance:
    """Where a recorded result came from, and the command that makes it again."""

    #: the command that reruns and records it, e.g. ``backprop-book reproduce part3/relu2 ...``
    command: str
    profile: str
    #: the (first) training seed; ``seeds`` lists every seed the record holds
    seed: int | None
    device: str
    #: the CPU model (and logical CPUs, threads) or the GPU's name
    hardware: str
    versions: dict[str, str | None]
    data_source: str | None
    #: SHA-256 of the data archive, ``"synthetic"`` for generated data, or ``"unknown"``
    data_sha256: str
    #: commit of the code that trained the run (see :class:`Training`)
    trained_commit: str
    trained_at: str
    train_wall_time_s: float | str
    #: commit of the code that wrote this record
    recorded_commit: str
    #: seconds the recording command ran (the training's time is ``train_wall_time_s``)
    wall_time_s: float
    seeds: list[int] = field(default_factory=list)
    #: the recording checkout had uncommitted changes (then ``diff_sha256`` is their hash)
    dirty: bool = False
    diff_sha256: str | None = None
    #: how fields were established when not measured by the recorder itself
    notes: str = ""
    created_utc: str = field(default_factory=_now)

    @property
    def git_commit(self) -> str:
        """The commit whose code produced the numbers (the training's)."""
        return self.trained_commit

    def describe(self) -> str:
        """One line for a chapter: profile, device, data, seed, training commit and time, command.

        >>> p = Provenance("backprop-book reproduce part9/x --profile full --record", "full", 0,
        ...                "cpu", "Some CPU (2 logical CPUs)", {}, "synthetic", "synthetic",
        ...                "abc", "2026-01-01T00:00:00+00:00", 12.0, "def", 1.0)
        >>> print(p.describe())  # doctest: +NORMALIZE_WHITESPACE
        profile=full, device=cpu on Some CPU (2 logical CPUs), data=synthetic, seed=0; trained
        at commit abc on 2026-01-01T00:00:00+00:00 in 12.0 s, recorded at commit def; rerun
        with `backprop-book reproduce part9/x --profile full --record`
        """
        t = self.train_wall_time_s
        took = f"in {t:.1f} s" if isinstance(t, int | float) else f"(training time {t})"
        seeds = f"seeds {self.seeds}" if len(self.seeds) > 1 else f"seed={self.seed}"
        hw = "" if self.hardware.startswith(UNKNOWN) else f" on {self.hardware}"
        rec = ""
        if self.recorded_commit != self.trained_commit:
            rec = f", recorded at commit {self.recorded_commit[:12]}"
        if self.dirty:
            rec += " with uncommitted changes"
        return (
            f"profile={self.profile}, device={self.device}{hw}, data={self.data_source or 'n/a'}, "
            f"{seeds}; trained at commit {self.trained_commit[:12]} on {self.trained_at} "
            f"{took}{rec}; rerun with `{self.command}`"
        )


#: Provenance fields that a record must fill with something other than an empty value.
REQUIRED = (
    "command", "profile", "device", "hardware", "versions", "data_sha256", "trained_commit",
    "trained_at", "train_wall_time_s", "recorded_commit", "created_utc",
)  # fmt: skip

_TEMP_PATH_RE = re.compile(r"(^|[\s=:'\"])(/tmp/|/var/tmp/|/private/var/folders/)")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | dict | list) and not str(value).strip("{}[] "))


def missing_provenance(prov: Provenance) -> list[str]:
    """What a record's provenance lacks or gets wrong, as short phrases (empty: complete).

    Checks that every field of :data:`REQUIRED` is filled, that the command names no
    temporary path, that a dirty record keeps its diff's hash and that a clean one
    names a commit without ``-dirty``.

    >>> p = Provenance("backprop-book reproduce part9/x --record", "full", 0, "cpu", "CPU",
    ...                {"numpy": "2"}, "synthetic", "synthetic", "abc", "2026-01-01", 1.0,
    ...                "abc", 1.0)
    >>> missing_provenance(p)
    []
    >>> from dataclasses import replace
    >>> missing_provenance(replace(p, hardware="", command="x --out /tmp/run", dirty=True))
    ['hardware is empty', 'command names a temporary path', 'dirty record without diff_sha256']
    """
    problems = [f"{name} is empty" for name in REQUIRED if _empty(getattr(prov, name))]
    tmp = tempfile.gettempdir().rstrip("/") + "/"
    if _TEMP_PATH_RE.search(prov.command) or (tmp != "/" and tmp in prov.command):
        problems.append("command names a temporary path")
    if prov.dirty and not prov.diff_sha256:
        problems.append("dirty record without diff_sha256")
    for name in ("trained_commit", "recorded_commit"):
        if not prov.dirty and "-dirty" in str(getattr(prov, name)):
            problems.append(f"{name} {getattr(prov, name)!r} is of a dirty tree")
    return problems


@dataclass(frozen=True)
class RecordedResult:
    """A result read back from ``docs/results``: its name, provenance and data."""

    name: str
    provenance: Provenance
    data: dict[str, Any]


def default_results_dir() -> Path:
    """``$BACKPROP_BOOK_RESULTS`` if set, else ``docs/results`` of the source checkout,
    else the copy of those records that an installed wheel carries (``backprop_book/records``).

    Raises
    ------
    FileNotFoundError
        If none exists.
    """
    env = os.environ.get(RESULTS_ENV)
    if env:
        return Path(env)
    root = repo_root()
    if root is not None:
        return root / "docs" / "results"
    if PACKAGED_RECORDS.is_dir():
        return PACKAGED_RECORDS
    raise FileNotFoundError(
        f"no results folder: set {RESULTS_ENV} or pass results_dir= (the package runs "
        "neither from a source checkout nor from a wheel that carries the records)"
    )


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name) or ".." in name.split("/"):
        raise ValueError(
            f"result name must be path segments of letters, digits, '_', '.', '-' joined by '/', got {name!r}"
        )
    return name


def _jsonable(obj: Any) -> Any:
    """Convert NumPy/torch scalars and arrays (and tuples) to plain JSON types."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "tolist") and callable(obj.tolist):  # numpy arrays/scalars, torch tensors
        return _jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)  # JSON has no NaN/inf; keep them readable
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"cannot record a value of type {type(obj).__name__} in a result: {obj!r}")


def data_sha256(data_source: str | None) -> str:
    """The data's fingerprint for a record: ``"synthetic"``, the archive's SHA-256, or a note.

    Generated data (a source naming ``synthetic`` or ``fake``, or none) gives
    ``"synthetic"``; CIFAR-10 from an archive gives the SHA-256 of the archive that
    :func:`backprop_book.data.find_cifar10` finds now (the loader refuses an archive
    with another checksum unless told otherwise).

    >>> data_sha256("synthetic x^T Q x > 0.6 (600 train / 200 val, seed 0)")
    'synthetic'
    """
    text = (data_source or "").lower()
    if not text or "synthetic" in text or "fake" in text:
        return "synthetic"
    from backprop_book.data.cifar10 import find_cifar10

    try:
        src = find_cifar10()
    except (FileNotFoundError, ValueError) as exc:
        return f"{UNKNOWN} ({exc})"
    if src.layout == "archive":
        h = hashlib.sha256()
        with open(src.path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    if src.kind == "official":
        return "official torchvision copy (its files checked by torchvision's MD5 sums)"
    return f"{UNKNOWN} (an unpacked image folder, {src.path.name}; no archive to hash)"


def record_result(
    name: str,
    data: Mapping[str, Any],
    *,
    device: str,
    data_source: str | None,
    seed: int | None,
    wall_time_s: float,
    profile: str | Profile | None = None,
    command: str | None = None,
    results_dir: str | os.PathLike[str] | None = None,
    trained: Training | None = None,
    seeds: list[int] | None = None,
    hardware_name: str | None = None,
    data_checksum: str | None = None,
    allow_dirty: bool = False,
    notes: str = "",
    strict: bool | None = None,
) -> Path:
    """Write ``data`` with its provenance to ``<results_dir>/<name>.json``, atomically.

    Parameters
    ----------
    name
        Result name, e.g. ``"part2/cifar10_default"``; ``/`` makes subfolders.
    data
        The numbers to keep: a mapping of JSON-able values (NumPy arrays and
        scalars are converted).
    device, data_source, seed, wall_time_s, profile
        Provenance; ``profile`` defaults to the active profile, ``wall_time_s`` is
        the recording command's time.
    command
        The command that reruns and records it; defaults to this process's command line.
    results_dir
        Defaults to :func:`default_results_dir`.
    trained
        Commit, time and wall time of the training; defaults to this recording's
        (the run was trained by the command that records it).
    seeds
        Every seed the record holds (defaults to ``[seed]``).
    hardware_name, data_checksum
        Default to :func:`backprop_book.runtime.hardware` of ``device`` and
        :func:`data_sha256` of ``data_source``.
    allow_dirty
        Record from a checkout with uncommitted changes; the record says so and keeps
        the SHA-256 of ``git diff HEAD``.
    notes
        How fields not measured by this recorder were established.
    strict
        Refuse a dirty checkout (unless ``allow_dirty``) and incomplete provenance.
        By default only a record of the book (``results_dir`` not given) is strict;
        a run's own metrics file elsewhere (``backprop-book train --out DIR``) still
        says whether its checkout was dirty, but is written anyway.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    DirtyTreeError
        If strict, the checkout has uncommitted changes (outside ``docs/results``) and
        ``allow_dirty`` is false: a record must name a commit that reproduces it.
    ValueError
        If strict and the command names a temporary path, or an argument is invalid.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> p = record_result("demo/run", {"acc": 0.5}, device="cpu", data_source="synthetic",
    ...                   seed=0, wall_time_s=1.25, profile="quick", command="demo",
    ...                   results_dir=d, allow_dirty=True)
    >>> r = load_result("demo/run", results_dir=d)
    >>> r.data["acc"], r.provenance.profile, r.provenance.seed, r.provenance.data_sha256
    (0.5, 'quick', 0, 'synthetic')
    """
    _check_name(name)
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a mapping of values, got {type(data).__name__}")
    if not (isinstance(wall_time_s, int | float) and wall_time_s >= 0):
        raise ValueError(
            f"wall_time_s must be a non-negative number of seconds, got {wall_time_s!r}"
        )
    strict = results_dir is None if strict is None else strict
    state = git_state()
    if strict and state.dirty and not allow_dirty:
        changed = ", ".join(state.changes) or "uncommitted changes"
        raise DirtyTreeError(
            f"refusing to record {name!r} from a checkout with uncommitted changes ({changed}): "
            "commit them so that the record names a commit that reproduces it, or pass "
            "--allow-dirty (the record then says so and keeps the diff's sha256)"
        )
    cmd = command if command is not None else command_line()
    recorded_commit = state.commit or UNKNOWN
    dirty_mark = "-dirty" if state.dirty and state.commit else ""
    trained = trained or Training(recorded_commit + dirty_mark, _now(), float(wall_time_s))
    prov = Provenance(
        command=cmd,
        profile=get_profile(profile).value,
        seed=None if seed is None else int(seed),
        device=str(device),
        hardware=hardware_name or hardware(str(device)),
        versions=library_versions(),
        data_source=data_source,
        data_sha256=data_checksum or data_sha256(data_source),
        trained_commit=trained.commit,
        trained_at=trained.at,
        train_wall_time_s=trained.wall_time_s,
        recorded_commit=recorded_commit,
        wall_time_s=float(wall_time_s),
        seeds=[int(s) for s in seeds]
        if seeds is not None
        else ([] if seed is None else [int(seed)]),
        dirty=state.dirty,
        diff_sha256=state.diff_sha256,
        notes=notes,
    )
    problems = [m for m in missing_provenance(prov) if "dirty" not in m]
    if strict and problems:
        raise ValueError(
            f"cannot record {name!r}: its provenance is incomplete: {'; '.join(problems)}"
        )
    return write_record(name, prov, data, results_dir)


def write_record(
    name: str,
    provenance: Provenance,
    data: Mapping[str, Any],
    results_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write a record with the given provenance as it is (atomically); see :func:`record_result`."""
    _check_name(name)
    payload = {
        "schema": SCHEMA_VERSION,
        "name": name,
        "provenance": asdict(provenance),
        "data": _jsonable(data),
    }
    root = Path(results_dir) if results_dir is not None else default_results_dir()
    return atomic_write_text(
        root / f"{name}.json", json.dumps(payload, indent=2, sort_keys=False) + "\n"
    )


_FIELDS = {f.name for f in fields(Provenance)}


def load_result(name: str, results_dir: str | os.PathLike[str] | None = None) -> RecordedResult:
    """Read a result written by :func:`record_result`.

    Raises
    ------
    FileNotFoundError
        If no such result was recorded (the message names the file).
    ValueError
        If the file is not a valid recorded result of the current schema.
    """
    _check_name(name)
    root = Path(results_dir) if results_dir is not None else default_results_dir()
    path = root / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no recorded result {name!r}: {path} does not exist")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("schema") != SCHEMA_VERSION:
            raise ValueError(
                f"schema {payload.get('schema')!r}, expected {SCHEMA_VERSION}; record it again "
                "(backprop-book reproduce ID --profile full --record)"
            )
        raw = payload["provenance"]
        unknown = sorted(set(raw) - _FIELDS)
        if unknown:
            raise ValueError(f"unknown provenance fields {unknown}")
        prov = Provenance(**raw)
        data = payload["data"]
    except (
        json.JSONDecodeError,
        UnicodeDecodeError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
    ) as exc:
        raise ValueError(f"{path} is not a valid recorded result: {exc}") from exc
    return RecordedResult(name=payload.get("name", name), provenance=prov, data=data)


def list_results(results_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Names of all recorded results, sorted."""
    root = Path(results_dir) if results_dir is not None else default_results_dir()
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.json"))
