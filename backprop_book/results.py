"""Recorded results with provenance.

A full-profile run that the docs build cannot afford is recorded once, as a small
JSON file under ``docs/results/``, together with everything needed to trust and
repeat it: the command, git commit, device, library versions, data source,
profile, seed and wall time.  Chapters read these files back with
:func:`load_result` to plot and tabulate them, and say where they came from.

Files are written atomically: a crash never leaves a half-written result.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from backprop_book._io import atomic_write_text
from backprop_book.profiles import Profile, get_profile
from backprop_book.runtime import command_line, git_commit, library_versions, repo_root

__all__ = [
    "RESULTS_ENV",
    "Provenance",
    "RecordedResult",
    "default_results_dir",
    "list_results",
    "load_result",
    "record_result",
]

RESULTS_ENV = "BACKPROP_BOOK_RESULTS"
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Provenance:
    """Where a recorded result came from."""

    command: str
    git_commit: str | None
    device: str
    versions: dict[str, str | None]
    data_source: str | None
    profile: str
    seed: int | None
    wall_time_s: float
    created_utc: str = field(
        default_factory=lambda: _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    )

    def describe(self) -> str:
        """One line for a chapter: ``profile, device, data, seed, time, commit``."""
        commit = (self.git_commit or "unknown commit")[:12]
        return (
            f"profile={self.profile}, device={self.device}, data={self.data_source or 'n/a'}, "
            f"seed={self.seed}, wall time {self.wall_time_s:.1f} s, commit {commit}, "
            f"recorded {self.created_utc} with `{self.command}`"
        )


@dataclass(frozen=True)
class RecordedResult:
    """A result read back from ``docs/results``: its name, provenance and data."""

    name: str
    provenance: Provenance
    data: dict[str, Any]


def default_results_dir() -> Path:
    """``$BACKPROP_BOOK_RESULTS`` if set, else ``docs/results`` of the source checkout.

    Raises
    ------
    FileNotFoundError
        If neither exists (an installed package has no ``docs/`` folder).
    """
    env = os.environ.get(RESULTS_ENV)
    if env:
        return Path(env)
    root = repo_root()
    if root is None:
        raise FileNotFoundError(
            f"no results folder: set {RESULTS_ENV} or pass results_dir= (the package is not "
            "running from a source checkout, so docs/results is not available)"
        )
    return root / "docs" / "results"


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
        Provenance; ``profile`` defaults to the active profile.
    command
        The command that produced the run; defaults to this process's command line.
    results_dir
        Defaults to :func:`default_results_dir`.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> p = record_result("demo/run", {"acc": 0.5}, device="cpu", data_source="synthetic",
    ...                   seed=0, wall_time_s=1.25, profile="quick", command="demo", results_dir=d)
    >>> r = load_result("demo/run", results_dir=d)
    >>> r.data["acc"], r.provenance.profile, r.provenance.seed
    (0.5, 'quick', 0)
    """
    _check_name(name)
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a mapping of values, got {type(data).__name__}")
    if not (isinstance(wall_time_s, int | float) and wall_time_s >= 0):
        raise ValueError(
            f"wall_time_s must be a non-negative number of seconds, got {wall_time_s!r}"
        )
    prov = Provenance(
        command=command if command is not None else command_line(),
        git_commit=git_commit(),
        device=str(device),
        versions=library_versions(),
        data_source=data_source,
        profile=get_profile(profile).value,
        seed=None if seed is None else int(seed),
        wall_time_s=float(wall_time_s),
    )
    payload = {
        "schema": SCHEMA_VERSION,
        "name": name,
        "provenance": asdict(prov),
        "data": _jsonable(data),
    }
    root = Path(results_dir) if results_dir is not None else default_results_dir()
    return atomic_write_text(
        root / f"{name}.json", json.dumps(payload, indent=2, sort_keys=False) + "\n"
    )


def load_result(name: str, results_dir: str | os.PathLike[str] | None = None) -> RecordedResult:
    """Read a result written by :func:`record_result`.

    Raises
    ------
    FileNotFoundError
        If no such result was recorded (the message names the file).
    ValueError
        If the file is not a valid recorded result.
    """
    _check_name(name)
    root = Path(results_dir) if results_dir is not None else default_results_dir()
    path = root / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no recorded result {name!r}: {path} does not exist")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        prov = Provenance(**payload["provenance"])
        data = payload["data"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a valid recorded result: {exc}") from exc
    return RecordedResult(name=payload.get("name", name), provenance=prov, data=data)


def list_results(results_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Names of all recorded results, sorted."""
    root = Path(results_dir) if results_dir is not None else default_results_dir()
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.json"))
