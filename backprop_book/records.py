"""The record contract: what a recorded result is, how it is read, checked and rerun.

Every reader of ``docs/results`` goes through this module: the runner that takes
the runs a record holds, the verdict rules of Part V, the chapters.  It holds

- the types: :class:`Provenance` and :class:`Training` (where a record came from),
  :class:`StudyRecord` (a record read back: its name, file, provenance and data,
  itself a read-only mapping over the data) and :class:`RunRow` (one run of a study
  of several runs, with its seed);
- the one schema, checked on every load (:func:`load_record`): every error names
  the file and says what was expected and what came;
- the one seed decoder (:func:`seed_outputs`), the one reproduce command
  (:func:`reproduce_command`) and the one dirty-tree check (:func:`check_clean_tree`);
- the cache: a record is read once per (path, modification time).

A record is one JSON file ``<results>/<name>.json`` (schema 2: ``schema``, ``name``,
``provenance`` and ``data``), or, for a study of several runs, a folder
``<results>/<name>/`` (schema 3) holding one file per run, ``runs/s<seed>/<run>.json``,
and an index, ``index/<call>.json``: one entry per recording call, with the study's
own fields, the order of its runs, the call's provenance and its line of the
recording log.  Each recording call writes only its own files, so two processes
recording one study never write one file and need no lock; :func:`load_record`
joins them into the data a single file holds (the newest call's provenance, with
every call's seeds and training commits).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
import pickle
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from backprop_book._io import atomic_write_text
from backprop_book.profiles import Profile
from backprop_book.runtime import GitState, git_state, repo_root

__all__ = [
    "INDEX_SCHEMA",
    "MAX_DEPTH",
    "RESULTS_ENV",
    "SCHEMA_VERSION",
    "DirtyTreeError",
    "Provenance",
    "RecordError",
    "RunRow",
    "StudyRecord",
    "Training",
    "call_id",
    "check_clean_tree",
    "check_name",
    "default_results_dir",
    "index_file",
    "jsonable",
    "list_records",
    "load_record",
    "now_utc",
    "outputs_by_seed",
    "parse_provenance",
    "read_json",
    "record_path",
    "reproduce_command",
    "run_base",
    "run_file",
    "seed_outputs",
    "write_index",
    "write_run",
]

RESULTS_ENV = "BACKPROP_BOOK_RESULTS"
#: Where a wheel carries the records of ``docs/results`` (copied in by ``setup.py``).
PACKAGED_RECORDS = Path(__file__).resolve().parent / "_results"
#: Schema of a single-file record.
SCHEMA_VERSION = 2
#: Schema of the files of a study recorded as one file per run plus an index.
INDEX_SCHEMA = 3
#: The deepest nesting of lists and objects a record may have (real ones reach 6).
MAX_DEPTH = 32
UNKNOWN = "unknown"
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")


def now_utc() -> str:
    """Now, in UTC, to the second (a record's time stamps)."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class DirtyTreeError(RuntimeError):
    """Recording was asked from a checkout with uncommitted changes."""


class RecordError(ValueError):
    """A results file that does not follow the schema; the message names the file."""


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
    #: ``"quick"`` or ``"full"``: the one place a record keeps its profile
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
    created_utc: str = field(default_factory=now_utc)

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
        >>> import dataclasses
        >>> dataclasses.replace(p, trained_commit="abc, fed").describe().split("; ")[1][:38]
        'trained at commits abc, fed on 2026-01'
        """
        t = self.train_wall_time_s
        took = f"in {t:.1f} s" if isinstance(t, int | float) else f"(training time {t})"
        seeds = f"seeds {self.seeds}" if len(self.seeds) > 1 else f"seed={self.seed}"
        hw = "" if self.hardware.startswith(UNKNOWN) else f" on {self.hardware}"
        commits = [c.strip()[:12] for c in self.trained_commit.split(",") if c.strip()]
        at = (
            (f"commit {commits[0]}" if len(commits) == 1 else f"commits {', '.join(commits)}")
            if commits
            else ""
        )
        rec = ""
        if self.recorded_commit != self.trained_commit:
            rec = f", recorded at commit {self.recorded_commit[:12]}"
        if self.dirty:
            rec += " with uncommitted changes"
        return (
            f"profile={self.profile}, device={self.device}{hw}, data={self.data_source or 'n/a'}, "
            f"{seeds}; trained at {at or 'commit ?'} on {self.trained_at} "
            f"{took}{rec}; rerun with `{self.command}`"
        )


# ----------------------------------------------------------------------------- one of each


def reproduce_command(
    study_id: str,
    profile: str | Profile = Profile.FULL,
    seeds: int | None = 1,
    *,
    allow_dirty: bool = False,
    seed_runs: Sequence[str] | None = None,
) -> str:
    """The command that reruns and records a study, as a record and a verdict name it.

    ``seed_runs`` names the runs that the seeds beyond the first hold (``--seed-runs``).

    >>> reproduce_command("part4/alexnet_study")
    'backprop-book reproduce part4/alexnet_study --profile full --record'
    >>> reproduce_command("part3/relu2", "quick", seeds=3, allow_dirty=True)
    'backprop-book reproduce part3/relu2 --profile quick --seeds 3 --record --allow-dirty'
    >>> reproduce_command("part4/alexnet_study", seeds=3, seed_runs=["a", "b"])
    'backprop-book reproduce part4/alexnet_study --profile full --seeds 3 --seed-runs a,b --record'
    """
    parts = ["backprop-book", "reproduce", study_id, "--profile", Profile(profile).value]
    if seeds is not None and seeds != 1:
        parts += ["--seeds", str(seeds)]
    if seed_runs:
        parts += ["--seed-runs", ",".join(seed_runs)]
    parts.append("--record")
    if allow_dirty:
        parts.append("--allow-dirty")
    return " ".join(parts)


def check_clean_tree(what: str, allow_dirty: bool, state: GitState | None = None) -> GitState:
    """The checkout's state; raise :class:`DirtyTreeError` if it is dirty and not allowed.

    A record must name a commit that reproduces it, so recording ``what`` from a
    checkout with uncommitted changes (outside ``docs/results``) is refused unless
    ``allow_dirty`` (the record then says so and keeps the SHA-256 of the diff).

    >>> check_clean_tree("part9/x", False, GitState("ab", True, "cd", ("M a.py",)))
    Traceback (most recent call last):
    ...
    backprop_book.records.DirtyTreeError: refusing to record 'part9/x' from a checkout with uncommitted changes (M a.py): commit them so that the record names a commit that reproduces it, or pass --allow-dirty (the record then says so and keeps the diff's sha256)
    """
    state = git_state() if state is None else state
    if state.dirty and not allow_dirty:
        changed = ", ".join(state.changes) or "uncommitted changes"
        raise DirtyTreeError(
            f"refusing to record {what!r} from a checkout with uncommitted changes ({changed}): "
            "commit them so that the record names a commit that reproduces it, or pass "
            "--allow-dirty (the record then says so and keeps the diff's sha256)"
        )
    return state


def seed_outputs(data: Mapping[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """Every ``(seed, output)`` of a record's data, whether it ran over one seed or several.

    The runner keeps the first seed's output at the top level and the others under
    ``by_seed`` (keyed by the seed as text), listing them all in ``seeds``; a study
    may keep a ``seeds`` field of its own (then there is no ``by_seed``: one run).

    >>> seed_outputs({"acc": 0.5})
    [(0, {'acc': 0.5})]
    >>> seed_outputs({"acc": 0.5, "seeds": [0, 1, 2]})[0]  # the study's own seeds: one run
    (0, {'acc': 0.5, 'seeds': [0, 1, 2]})
    >>> d = {"acc": 0.5, "seeds": [0, 1], "by_seed": {"1": {"acc": 0.6}}}
    >>> [(s, o["acc"]) for s, o in seed_outputs(d)]
    [(0, 0.5), (1, 0.6)]
    """
    if "by_seed" not in data:
        return [(0, dict(data))]
    seeds = [int(s) for s in data["seeds"]]
    first = {k: v for k, v in data.items() if k not in ("seeds", "by_seed")}
    others = data["by_seed"]
    return [(seeds[0], first)] + [(s, dict(others[str(s)])) for s in seeds[1:] if str(s) in others]


def check_name(name: str) -> str:
    """``name`` if it is a record name (``part4/a_fc_depth``); else ``ValueError``."""
    if not isinstance(name, str) or not _NAME_RE.match(name) or ".." in name.split("/"):
        raise ValueError(
            "result name must be path segments of letters, digits, '_', '.', '-' joined by "
            f"'/', got {name!r}"
        )
    return name


def default_results_dir() -> Path:
    """``$BACKPROP_BOOK_RESULTS`` if set, else ``docs/results`` of the source checkout,
    else the copy of those records that an installed wheel carries (``backprop_book/_results``).

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


def _root(results_dir: str | os.PathLike[str] | None) -> Path:
    return Path(results_dir) if results_dir is not None else default_results_dir()


# ----------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RunRow:
    """One run of a study of several runs: its name, the seed it ran under and its row.

    >>> r = RunRow("fc2", 1, {"name": "fc2", "test_acc": 0.5})
    >>> r["test_acc"], r.base
    (0.5, 'fc2')
    >>> RunRow("fc2_s3", 0, {"name": "fc2_s3"}).base  # a study's own seed suffix
    'fc2'
    """

    name: str
    seed: int
    row: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.row[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The row's ``key``, or ``default``."""
        return self.row.get(key, default)

    @property
    def base(self) -> str:
        """The run's name without a study's own ``_s<k>`` seed suffix (:func:`run_base`)."""
        return run_base(self.name)


def run_base(name: str) -> str:
    """A run's name without a study's own ``_s<k>`` seed suffix: the one decoder of it.

    >>> run_base("fc2_s3"), run_base("fc2"), run_base("lr_small")
    ('fc2', 'fc2', 'lr_small')
    """
    base, _, tail = name.rpartition("_s")
    return base if base and tail.isdigit() else name


class StudyRecord(dict[str, Any]):
    """A record read back: its name, file, provenance and data.

    It is the data (a ``dict``), so a rule written for the data (``rec["runs"]``)
    reads it as before, and it carries what the data alone do not:
    the :attr:`provenance` (profile, data checksum, seeds, commits) and the
    :attr:`path` every error names.

    >>> p = Provenance("c", "full", 0, "cpu", "CPU", {}, "synthetic", "synthetic", "a", "t",
    ...                1.0, "a", 1.0, [0, 1])
    >>> rec = StudyRecord("part9/x", Path("x.json"), p, {"runs": [{"name": "a", "acc": 1}],
    ...                   "seeds": [0, 1], "by_seed": {"1": {"runs": [{"name": "a", "acc": 2}]}}})
    >>> rec["runs"][0]["acc"], rec.profile.value, rec.seeds
    (1, 'full', [0, 1])
    >>> [(r.seed, r["acc"]) for r in rec.runs("a")]
    [(0, 1), (1, 2)]
    """

    def __init__(
        self, name: str, path: Path, provenance: Provenance, data: Mapping[str, Any]
    ) -> None:
        super().__init__(data)
        self.name = name
        self.path = path
        self.provenance = provenance

    @property
    def data(self) -> dict[str, Any]:
        """The record's data (the record itself, as a plain view)."""
        return self

    def __repr__(self) -> str:
        return f"StudyRecord({self.name!r}, {str(self.path)!r})"

    @property
    def profile(self) -> Profile:
        """The profile it was recorded under."""
        return Profile(self.provenance.profile)

    @property
    def seeds(self) -> list[int]:
        """The training seeds it holds."""
        return [s for s, _ in seed_outputs(self.data)]

    def outputs(self) -> list[tuple[int, dict[str, Any]]]:
        """Its ``(seed, output)`` pairs (:func:`seed_outputs`)."""
        return seed_outputs(self.data)

    def runs(self, name: str | None = None) -> list[RunRow]:
        """Its runs over every seed (only those named ``name``, with or without ``_s<k>``).

        Raises
        ------
        RecordError
            If the record is not a study of several runs (it has no ``runs`` list).
        """
        rows = []
        for seed, out in self.outputs():
            runs = out.get("runs")
            if not isinstance(runs, list):
                raise RecordError(
                    f"{self.path}: expected a study of several runs with a 'runs' list "
                    f"(seed {seed}), got {'no runs' if runs is None else type(runs).__name__}"
                )
            for r in runs:
                row = RunRow(str(r["name"]), seed, r)
                if name is None or row.name == name or row.base == name:
                    rows.append(row)
        return rows

    @property
    def pending_runs(self) -> list[str]:
        """The runs still to train, over every seed (``name (seed k)`` beyond seed 0)."""
        return [
            str(n) if seed == 0 else f"{n} (seed {seed})"
            for seed, out in self.outputs()
            for n in out.get("pending_runs") or ()
        ]


# ----------------------------------------------------------------------------- the schema


def _depth_ok(obj: Any, limit: int = MAX_DEPTH) -> bool:
    stack = [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def read_json(path: Path) -> Any:
    """The JSON in ``path``, at most :data:`MAX_DEPTH` deep; :class:`RecordError` names it."""
    try:
        text = path.read_text(encoding="utf-8")
        payload = json.loads(text)
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"{path} is not a valid recorded result: {exc}") from exc
    except RecursionError:
        raise RecordError(
            f"{path} is not a valid recorded result: expected JSON nested at most "
            f"{MAX_DEPTH} deep, got deeper nesting than Python's parser allows"
        ) from None
    if not _depth_ok(payload):
        raise RecordError(
            f"{path} is not a valid recorded result: expected JSON nested at most "
            f"{MAX_DEPTH} deep, got deeper"
        )
    return payload


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _str_or_none(v: Any) -> bool:
    return v is None or isinstance(v, str)


#: What each provenance field must hold: a test and the words for it.
_PROVENANCE_TYPES: dict[str, tuple[Any, str]] = {
    "command": (lambda v: isinstance(v, str), "a string"),
    "profile": (lambda v: v in tuple(p.value for p in Profile), "'quick' or 'full'"),
    "seed": (lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
             "an integer or null"),
    "device": (lambda v: isinstance(v, str), "a string"),
    "hardware": (lambda v: isinstance(v, str), "a string"),
    "versions": (lambda v: isinstance(v, dict) and all(
        isinstance(k, str) and _str_or_none(x) for k, x in v.items()),
        "an object of library versions"),
    "data_source": (_str_or_none, "a string or null"),
    "data_sha256": (lambda v: isinstance(v, str), "a string"),
    "trained_commit": (lambda v: isinstance(v, str), "a string"),
    "trained_at": (lambda v: isinstance(v, str), "a string"),
    "train_wall_time_s": (lambda v: _is_num(v) or isinstance(v, str), "seconds or a note"),
    "recorded_commit": (lambda v: isinstance(v, str), "a string"),
    "wall_time_s": (lambda v: _is_num(v) and v >= 0, "non-negative seconds"),
    "seeds": (lambda v: isinstance(v, list) and all(
        isinstance(s, int) and not isinstance(s, bool) for s in v), "a list of integer seeds"),
    "dirty": (lambda v: isinstance(v, bool), "true or false"),
    "diff_sha256": (_str_or_none, "a string or null"),
    "notes": (lambda v: isinstance(v, str), "a string"),
    "created_utc": (lambda v: isinstance(v, str), "a string"),
}  # fmt: skip
_REQUIRED_FIELDS = [f.name for f in fields(Provenance) if f.name not in
                    ("seeds", "dirty", "diff_sha256", "notes", "created_utc")]  # fmt: skip


def _expect(cond: bool, path: Path, what: str) -> None:
    if not cond:
        raise RecordError(f"{path} is not a valid recorded result: {what}")


def _got(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_provenance(raw: Any, path: Path) -> Provenance:
    """A :class:`Provenance` from its JSON object, every field checked; errors name ``path``."""
    _expect(isinstance(raw, dict), path, f"expected a 'provenance' object, got {_got(raw)}")
    unknown = sorted(set(raw) - set(_PROVENANCE_TYPES))
    _expect(not unknown, path, f"unknown provenance fields {unknown}")
    missing = [k for k in _REQUIRED_FIELDS if k not in raw]
    _expect(not missing, path, f"provenance lacks {', '.join(missing)}")
    for key, value in raw.items():
        ok, words = _PROVENANCE_TYPES[key]
        _expect(ok(value), path, f"provenance {key} must be {words}, got {_got(value)}")
    return Provenance(**raw)


#: What only the provenance keeps, never a study's data.  A run row repeats no
#: ``data_source`` either (every call recording a study's folder read the same data:
#: the runner takes no row trained on other data), but keeps its own ``device``: the
#: runs of a study recorded by several calls may have trained on several machines,
#: and the folder's provenance names the newest call's.
PROVENANCE_ONLY = ("profile", "device", "data_source")
ROW_PROVENANCE_ONLY = ("data_source",)


def _twice(key: str, where: str) -> str:
    return (
        f"{where} hold {key!r}; the provenance is the one place of a record's {key} "
        "(scripts/migrate_records.py moves it there)"
    )


def _check_data(data: Any, path: Path) -> dict[str, Any]:
    """A record's data: an object; its ``runs``, ``seeds`` and ``by_seed`` well formed."""
    _expect(isinstance(data, dict), path, f"expected a 'data' object, got {_got(data)}")
    outputs = [data]
    if "by_seed" in data:
        seeds, by_seed = data.get("seeds"), data["by_seed"]
        _expect(isinstance(seeds, list) and len(seeds) >= 1 and all(
            isinstance(s, int) and not isinstance(s, bool) for s in seeds), path,
            f"data with 'by_seed' needs 'seeds', a list of integers, got {_got(seeds)}")  # fmt: skip
        _expect(
            isinstance(by_seed, dict), path, f"'by_seed' must be an object, got {_got(by_seed)}"
        )
        for s in seeds[1:]:
            _expect(isinstance(by_seed.get(str(s)), dict), path, f"'by_seed' lacks seed {s}")
            outputs.append(by_seed[str(s)])
    for out in outputs:
        for key in PROVENANCE_ONLY:
            _expect(key not in out, path, _twice(key, "its data"))
        runs = out.get("runs")
        if runs is None:
            _expect("pending_runs" not in out and "recording_log" not in out, path,
                    "a study recorded run by run must have a 'runs' list, got none")  # fmt: skip
            continue
        _expect(isinstance(runs, list), path, f"'runs' must be a list, got {_got(runs)}")
        for r in runs:
            _expect(isinstance(r, dict) and isinstance(r.get("name"), str), path,
                    f"every run must be an object with a 'name', got {_got(r)}")  # fmt: skip
            for key in ROW_PROVENANCE_ONLY:
                _expect(key not in r, path, _twice(key, f"run {r['name']!r}"))
    return data


def _parse_single(path: Path, name: str) -> StudyRecord:
    payload = read_json(path)
    _expect(isinstance(payload, dict), path, f"expected a JSON object, got {_got(payload)}")
    schema = payload.get("schema")
    _expect(
        schema == SCHEMA_VERSION, path,
        f"schema {schema!r}, expected {SCHEMA_VERSION}; record it again "
        "(backprop-book reproduce ID --profile full --record)",
    )  # fmt: skip
    extra = sorted(set(payload) - {"schema", "name", "provenance", "data"})
    _expect(not extra, path, f"unknown fields {extra}")
    _expect("provenance" in payload and "data" in payload, path,
            "expected 'schema', 'name', 'provenance' and 'data'")  # fmt: skip
    _expect(payload.get("name", name) == name, path,
            f"it names itself {_got(payload.get('name'))}, expected {name!r}")  # fmt: skip
    prov = parse_provenance(payload["provenance"], path)
    return StudyRecord(name, path, prov, _check_data(payload["data"], path))


# ----------------------------------------------------------------------------- reading


def record_path(name: str, results_dir: str | os.PathLike[str] | None = None) -> Path:
    """The file (``<name>.json``) or folder (``<name>/``) of record ``name``; either may be absent.

    >>> record_path("part9/x", "/r").as_posix()
    '/r/part9/x.json'
    """
    root = _root(results_dir)
    folder = root / check_name(name)
    return folder if (folder / "index").is_dir() else root / f"{name}.json"


_CACHE: dict[Path, tuple[tuple[int, ...], StudyRecord]] = {}


def _stamp(path: Path) -> tuple[int, ...]:
    """Modification times and sizes of a record's files: the cache's key."""
    if path.is_file():
        st = path.stat()
        return (st.st_mtime_ns, st.st_size)
    stamp: list[int] = []
    for p in sorted(path.rglob("*.json")):
        st = p.stat()
        stamp += [st.st_mtime_ns, st.st_size]
    return tuple(stamp)


def load_record(name: str, results_dir: str | os.PathLike[str] | None = None) -> StudyRecord:
    """Read record ``name`` (a file or a study's folder), checked against the schema.

    Read once per (path, modification times of its files); every call returns its own
    copy, so a caller that changes it changes nothing for the next.

    Raises
    ------
    FileNotFoundError
        If no such record exists (the message names the file).
    RecordError
        (a ``ValueError``) if it does not follow the schema: the message names the
        file and says what was expected and what came.
    """
    path = record_path(name, results_dir)
    single = path.parent / f"{path.name}.json"
    if path.is_dir() and single.is_file():
        raise RecordError(f"{name!r} is recorded twice: as {single} and as the folder {path}")
    if not path.exists():
        raise FileNotFoundError(f"no recorded result {name!r}: {path} does not exist")
    stamp = _stamp(path)
    hit = _CACHE.get(path)
    if hit is None or hit[0] != stamp:
        rec = _read_folder(path, name) if path.is_dir() else _parse_single(path, name)
        hit = _CACHE[path] = (stamp, rec)
    return _copy(hit[1])


def _copy(rec: StudyRecord) -> StudyRecord:
    """A copy a caller may change without changing the cached record."""
    prov = dataclasses.replace(
        rec.provenance, seeds=list(rec.provenance.seeds), versions=dict(rec.provenance.versions)
    )
    return StudyRecord(rec.name, rec.path, prov, pickle.loads(pickle.dumps(dict(rec))))


def list_records(results_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Names of all records (single files and study folders), sorted."""
    root = _root(results_dir)
    if not root.is_dir():
        return []
    names = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if "index" in dirnames:  # a study's folder: one record, its files are not records
            names.append(here.relative_to(root).as_posix())
            dirnames.clear()
            continue
        names += [(here / f).relative_to(root).with_suffix("").as_posix()
                  for f in filenames if f.endswith(".json")]  # fmt: skip
    return sorted(names)


def outputs_by_seed(outputs: Sequence[tuple[int, Mapping[str, Any]]]) -> dict[str, Any]:
    """The data of a record from its ``(seed, output)`` pairs: the inverse of :func:`seed_outputs`.

    >>> outputs_by_seed([(0, {"acc": 1}), (1, {"acc": 2})])
    {'acc': 1, 'seeds': [0, 1], 'by_seed': {'1': {'acc': 2}}}
    """
    data = dict(outputs[0][1])
    if len(outputs) > 1:
        data["seeds"] = [s for s, _ in outputs]
        data["by_seed"] = {str(s): dict(o) for s, o in outputs[1:]}
    return data


# ----------------------------------------------------------------------------- run by run


def jsonable(obj: Any) -> Any:
    """Convert NumPy/torch scalars and arrays (and tuples) to plain JSON types."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "tolist") and callable(obj.tolist):  # numpy arrays/scalars, torch tensors
        return jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)  # JSON has no NaN/inf; keep them readable
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"cannot record a value of type {type(obj).__name__} in a result: {obj!r}")


def call_id(started: float, pid: int, token: str) -> str:
    """The name of one recording call: its start in UTC, its process and a random token.

    >>> call_id(0.0, 42, "ab12cd34")
    '19700101T000000.000000Z-42-ab12cd34'
    """
    stamp = _dt.datetime.fromtimestamp(started, _dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{stamp}-{pid}-{token}"


def run_file(folder: Path, seed: int, run: str) -> Path:
    """Where run ``run`` of seed ``seed`` lives in a study's folder.

    >>> run_file(Path("/r/part4/x"), 2, "adam").as_posix()
    '/r/part4/x/runs/s2/adam.json'
    """
    check_name(run)
    return folder / "runs" / f"s{int(seed)}" / f"{run}.json"


def index_file(folder: Path, call: str) -> Path:
    """The index entry of recording call ``call`` in a study's folder."""
    return folder / "index" / f"{check_name(call)}.json"


def _check_schema(payload: Any, path: Path, keys: set[str]) -> dict[str, Any]:
    _expect(isinstance(payload, dict), path, f"expected a JSON object, got {_got(payload)}")
    _expect(payload.get("schema") == INDEX_SCHEMA, path,
            f"schema {payload.get('schema')!r}, expected {INDEX_SCHEMA}")  # fmt: skip
    missing, extra = sorted(keys - set(payload)), sorted(set(payload) - keys - {"schema"})
    _expect(not missing, path, f"expected fields {missing}, got none")
    _expect(not extra, path, f"unknown fields {extra}")
    return payload


_Index = tuple[str, str, Provenance, dict[int, dict[str, Any]], list[dict[str, Any]]]


def _read_index(path: Path, name: str) -> _Index:
    """``(written, call, provenance, outputs by seed, log)`` of one index entry."""
    keys = {"name", "call", "written", "provenance", "outputs", "log"}
    payload = _check_schema(read_json(path), path, keys)
    _expect(isinstance(payload["written"], str), path,
            f"'written' must be a time stamp, got {_got(payload['written'])}")  # fmt: skip
    _expect(payload["name"] == name, path, f"it names {_got(payload['name'])}, expected {name!r}")
    _expect(payload["call"] == path.stem, path, f"call {_got(payload['call'])} is not its file's")
    prov = parse_provenance(payload["provenance"], path)
    outputs, log = payload["outputs"], payload["log"]
    _expect(isinstance(outputs, dict) and bool(outputs) and all(
        k.isdigit() and isinstance(v, dict) for k, v in outputs.items()), path,
        f"'outputs' must map seeds to objects, got {_got(outputs)}")  # fmt: skip
    for k, out in outputs.items():
        for key in PROVENANCE_ONLY:
            _expect(key not in out, path, _twice(key, "its data"))
        runs = out.get("runs")
        _expect(isinstance(runs, list) and all(isinstance(r, str) for r in runs), path,
                f"outputs of seed {k} need 'runs', the list of its run names, got {_got(runs)}")  # fmt: skip
    _expect(isinstance(log, list) and all(isinstance(e, dict) for e in log), path,
            f"'log' must be a list of objects, got {_got(log)}")  # fmt: skip
    by_seed = {int(k): v for k, v in outputs.items()}
    return payload["written"], payload["call"], prov, by_seed, log


def _read_runs(folder: Path, name: str) -> dict[int, dict[str, dict[str, Any]]]:
    rows: dict[int, dict[str, dict[str, Any]]] = {}
    for path in sorted((folder / "runs").glob("s*/*.json")):
        payload = _check_schema(read_json(path), path, {"name", "seed", "call", "row"})
        seed, row = payload["seed"], payload["row"]
        _expect(
            payload["name"] == name, path, f"it names {_got(payload['name'])}, expected {name!r}"
        )
        _expect(isinstance(seed, int) and path.parent.name == f"s{seed}", path,
                f"seed {_got(seed)} is not its folder's ({path.parent.name})")  # fmt: skip
        _expect(isinstance(row, dict) and row.get("name") == path.stem, path,
                f"expected the row of run {path.stem!r}, got {_got(row)}")  # fmt: skip
        for key in ROW_PROVENANCE_ONLY:
            _expect(key not in row, path, _twice(key, "its row"))
        rows.setdefault(seed, {})[path.stem] = row
    return rows


def _merge_provenance(calls: Sequence[Provenance], runs: Sequence[Mapping[str, Any]]) -> Provenance:
    """One provenance for a study recorded by several calls: the newest call's, with every
    call's seeds and training commits, the latest training time, the runs' summed training
    time (when each run kept its own), and marked dirty when any call was."""
    last = calls[-1]
    if len(calls) == 1:
        return last
    commits = sorted({c.strip() for p in calls for c in p.trained_commit.split(",")})
    times: list[float] = [r["train_time_s"] for r in runs if _is_num(r.get("train_time_s"))]
    dirty = [p for p in calls if p.dirty]
    return dataclasses.replace(
        last,
        seeds=sorted({s for p in calls for s in p.seeds}),
        trained_commit=", ".join(commits),
        trained_at=max(p.trained_at for p in calls),
        train_wall_time_s=sum(times) if runs and len(times) == len(runs)
        else last.train_wall_time_s,
        hardware="; ".join(dict.fromkeys(p.hardware for p in calls)),
        dirty=bool(dirty),
        diff_sha256=dirty[-1].diff_sha256 if dirty else None,
    )  # fmt: skip


def _read_folder(folder: Path, name: str) -> StudyRecord:
    """Join a study's index entries and run files into the data a single file holds."""
    calls = sorted(_read_index(p, name) for p in (folder / "index").glob("*.json"))
    _expect(bool(calls), folder / "index", "expected at least one index entry, got none")
    rows = _read_runs(folder, name)
    profiles = {c[2].profile for c in calls}
    _expect(len(profiles) == 1, folder, f"its calls ran under several profiles {sorted(profiles)}")
    pairs: list[tuple[int, dict[str, Any]]] = []
    for seed in sorted({s for c in calls for s in c[3]}):
        fields_ = next(c[3][seed] for c in reversed(calls) if seed in c[3])
        order, have = list(fields_["runs"]), rows.get(seed, {})
        out = {k: v for k, v in fields_.items() if k != "runs"}
        out["runs"] = [have[n] for n in order if n in have]
        out["runs"] += [have[n] for n in sorted(have) if n not in order]
        pending = [n for n in order if n not in have]
        if pending:
            out["pending_runs"] = pending
        pairs.append((seed, out))
    data = outputs_by_seed(pairs)
    log: list[dict[str, Any]] = []
    for _, _, prov, outputs, entries in calls:  # a call that kept no log gets a line
        log += entries or (_log_entry(prov, outputs) if len(calls) > 1 else [])
    if log:
        data["recording_log"] = log
    all_runs = [r for _, out in pairs for r in out["runs"]]
    return StudyRecord(name, folder, _merge_provenance([c[2] for c in calls], all_runs), data)


def _log_entry(prov: Provenance, outputs: Mapping[int, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A recording-log line for a call that kept none (a record made before the log)."""
    names = sorted({str(n) for out in outputs.values() for n in out["runs"]})
    return [{"recorded_utc": prov.created_utc, "recorded_commit": prov.recorded_commit,
             "trained_commit": prov.trained_commit, "hardware": prov.hardware,
             "seeds": prov.seeds, "trained": names, "taken": []}]  # fmt: skip


def write_run(folder: Path, name: str, seed: int, call: str, row: Mapping[str, Any]) -> Path:
    """Write one run's row into a study's folder (atomically): only its trainer writes it."""
    payload = {"schema": INDEX_SCHEMA, "name": name, "seed": int(seed), "call": call,
               "row": jsonable(row)}  # fmt: skip
    return atomic_write_text(run_file(folder, seed, str(row["name"])), _dumps(payload))


def write_index(
    folder: Path,
    name: str,
    call: str,
    provenance: Provenance,
    outputs: Mapping[int, Mapping[str, Any]],
    log: Sequence[Mapping[str, Any]],
    written: str | None = None,
) -> Path:
    """Write recording call ``call``'s index entry (atomically): no other call writes it.

    ``outputs`` maps each seed to the study's own fields, with ``runs`` the run names
    in the study's order (the rows themselves are in the run files); ``written``
    (default now, to the microsecond) orders the entries of several calls.
    """
    payload = {"schema": INDEX_SCHEMA, "name": name, "call": call,
               "written": written or _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds"),
               "provenance": dataclasses.asdict(provenance),
               "outputs": {str(s): jsonable(o) for s, o in outputs.items()},
               "log": jsonable(list(log))}  # fmt: skip
    return atomic_write_text(index_file(folder, call), _dumps(payload))


def _dumps(payload: Any) -> str:
    return json.dumps(payload, indent=2) + "\n"
