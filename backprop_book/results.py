"""Recording results with provenance that says how to rerun them.

What a record is, how it is read and checked, lives in :mod:`backprop_book.records`
(its types :class:`~backprop_book.records.Provenance` and
:class:`~backprop_book.records.Training` are importable from here too); this module
measures a record's provenance on this machine and writes it.

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

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from backprop_book._io import atomic_write_text
from backprop_book.data.cifar10 import find_cifar10
from backprop_book.profiles import Profile, get_profile
from backprop_book.records import (
    PROVENANCE_ONLY,
    SCHEMA_VERSION,
    UNKNOWN,
    Provenance,
    StudyRecord,
    Training,
    check_clean_tree,
    check_name,
    default_results_dir,
    jsonable,
    list_records,
    load_record,
    now_utc,
    seed_outputs,
)
from backprop_book.records import RESULTS_ENV as RESULTS_ENV  # re-exported
from backprop_book.records import DirtyTreeError as DirtyTreeError  # re-exported
from backprop_book.runtime import command_line, git_state, hardware, library_versions

__all__ = [
    "data_sha256",
    "list_results",
    "load_result",
    "missing_provenance",
    "provenance_for",
    "record_result",
    "write_record",
]

RecordedResult = StudyRecord  #: the name this module gave a record read back
load_result = load_record  #: see :func:`backprop_book.records.load_record`
list_results = list_records  #: see :func:`backprop_book.records.list_records`


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


def provenance_for(
    name: str,
    *,
    device: str,
    data_source: str | None,
    seed: int | None,
    wall_time_s: float,
    profile: str | Profile | None = None,
    command: str | None = None,
    trained: Training | None = None,
    seeds: list[int] | None = None,
    hardware_name: str | None = None,
    data_checksum: str | None = None,
    allow_dirty: bool = False,
    notes: str = "",
    strict: bool = True,
) -> Provenance:
    """The provenance of a record ``name`` made now, by this process; see :func:`record_result`.

    Raises
    ------
    DirtyTreeError
        If ``strict``, the checkout is dirty and not ``allow_dirty``.
    ValueError
        If ``strict`` and the provenance is incomplete, or ``wall_time_s`` is invalid.
    """
    if not (isinstance(wall_time_s, int | float) and wall_time_s >= 0):
        raise ValueError(
            f"wall_time_s must be a non-negative number of seconds, got {wall_time_s!r}"
        )
    state = git_state()
    if strict:
        check_clean_tree(name, allow_dirty, state)
    cmd = command if command is not None else command_line()
    recorded_commit = state.commit or UNKNOWN
    trained = trained or Training(state.label, now_utc(), float(wall_time_s))
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
    return prov


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
    check_name(name)
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a mapping of values, got {type(data).__name__}")
    strict = results_dir is None if strict is None else strict
    prov = provenance_for(
        name, device=device, data_source=data_source, seed=seed, wall_time_s=wall_time_s,
        profile=profile, command=command, trained=trained, seeds=seeds,
        hardware_name=hardware_name, data_checksum=data_checksum, allow_dirty=allow_dirty,
        notes=notes, strict=strict,
    )  # fmt: skip
    return write_record(name, prov, data, results_dir)


def write_record(
    name: str,
    provenance: Provenance,
    data: Mapping[str, Any],
    results_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write a record with the given provenance as it is (atomically); see :func:`record_result`.

    Raises
    ------
    ValueError
        If ``data`` (any seed's output) holds what only the provenance keeps
        (:data:`~backprop_book.records.PROVENANCE_ONLY`).
    """
    check_name(name)
    for seed, out in seed_outputs(data):
        twice = [k for k in PROVENANCE_ONLY if k in out]
        if twice:
            raise ValueError(
                f"the data of {name!r} (seed {seed}) hold {', '.join(twice)}: only its "
                "provenance keeps them, so pass them as the provenance's, not in the data"
            )
    payload = {
        "schema": SCHEMA_VERSION,
        "name": name,
        "provenance": asdict(provenance),
        "data": jsonable(data),
    }
    root = Path(results_dir) if results_dir is not None else default_results_dir()
    if (root / name / "index").is_dir():
        raise ValueError(
            f"{name!r} is recorded run by run in the folder {root / name}; write it with the "
            "runner (backprop-book reproduce), not as one file"
        )
    return atomic_write_text(
        root / f"{name}.json", json.dumps(payload, indent=2, sort_keys=False) + "\n"
    )
