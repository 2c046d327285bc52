"""Claims of the five reports as data, and verdicts on them as code.

A :class:`Claim` holds one question, derivation, table entry, figure or conclusion
of a report: the report's own words (the shortest quote that states it), the
settings it states and those it leaves open, the published figure (typed once,
here), the experiment or check that tests it, and its verdict rule.  A rule
returns a :class:`Verdict` of one of six :data:`KINDS`:

``reproduced``
    the book's result agrees within a stated tolerance (or the check passes);
``differs``
    it does not, and the verdict says what the book found;
``report_wrong``
    a machine check shows the report's statement is false (a derivation that
    fails the gradient checker, a count that does not add up, a text that
    contradicts the report's own table);
``ambiguous``
    the report leaves a setting open; every reading its text allows was run, and
    the verdict says which readings reproduce the claim;
``not_reproducible``
    the claim cannot be rerun (the report's own image set, its machine);
``pending``
    the experiment that settles it is not recorded yet; the verdict carries the
    one command that records it.

A report's accuracy is compared with the book's by one statistic
(:mod:`backprop_book.reports.stats`): both are draws from run-to-run
distributions, and the tolerance combines each test set's binomial error, the
seed spread measured in the book's record (counted for the report's single run
too) and the JPEG copy's measured shift (:func:`compare_accuracy`).  A verdict
reads only a record that can carry it (:func:`record_problem`: full profile, no
runs pending, the data source and its checksum named); otherwise it is
*pending*.  The book calls a report wrong only after every reading its text
allows has been run.

>>> v = Verdict("reproduced", "0.60", "within 0.014 of 0.59")
>>> v.kind, str(v)
('reproduced', 'reproduced: ours 0.60 (within 0.014 of 0.59)')
"""

from __future__ import annotations

import dataclasses
import functools
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from backprop_book.records import (
    StudyRecord,
    default_results_dir,
    list_records,
    load_record,
    reproduce_command,
    run_base,
)
from backprop_book.records import seed_outputs as _seed_outputs
from backprop_book.reports.stats import (
    Spread,
    Tolerance,
    between,
    binomial_se,
    pooled_spread,
    tolerance,
)

__all__ = [
    "CHECK",
    "KINDS",
    "Claim",
    "Open",
    "Reading",
    "Rule",
    "Verdict",
    "accuracy_tolerance",
    "binomial_se",
    "borrowed_spread",
    "compare_accuracy",
    "copy_shift",
    "fmt_spread",
    "from_readings",
    "pending",
    "record",
    "record_problem",
    "reproduce_command",
    "seed_field",
    "seed_outputs",
    "seed_rows",
    "seed_values",
    "similar_runs",
    "study_spread",
]

#: The verdict kinds, in the order the book tabulates them.
KINDS: tuple[str, ...] = (
    "reproduced",
    "differs",
    "report_wrong",
    "ambiguous",
    "not_reproducible",
    "pending",
)


@dataclass(frozen=True)
class Reading:
    """One reading of a setting the report leaves open, and what the book found under it.

    ``reproduces`` is ``None`` while the reading's run is not recorded; ``tolerance``
    holds the parts of the comparison of accuracies behind it, if one was made.
    """

    label: str
    reproduces: bool | None
    ours: str
    tolerance: Tolerance | None = field(default=None, compare=False)


#: In :attr:`Open.values`: the reading is settled by a check that needs no record.
CHECK = "check"


@dataclass(frozen=True)
class Open:
    """A setting the report leaves open, and every value its text allows.

    ``values`` maps each value (a reading) to the record that runs it, :data:`CHECK`
    for a reading a machine check settles, or ``None`` for a reading the book has
    not run.  A claim is called *report wrong*, or *not reproduced under any reading*,
    only when every reading has a record (:meth:`Claim.verdict` enforces it).

    >>> o = Open("batch size", {"4": "part4/a_cnn_studies", "64": None})
    >>> o.unrun()
    ['64']
    """

    setting: str
    values: Mapping[str, str | None]

    def unrun(self) -> list[str]:
        """The readings without a verdict-ready record."""
        return [
            label
            for label, rec in self.values.items()
            if rec != CHECK and (rec is None or record_problem(rec) is not None)
        ]


@dataclass(frozen=True)
class Verdict:
    """The book's verdict on a claim.

    Attributes
    ----------
    kind
        One of :data:`KINDS`.
    ours
        The book's figure, with its spread where it has one (e.g. ``0.606 ± 0.005``).
    explanation
        One or two sentences: the tolerance and the comparison, what differs and
        why, the machine check, which readings reproduce it, or why it cannot be
        rerun.
    readings
        For ``ambiguous`` (and claims with open settings): every reading run.
    command
        For ``pending``: the one command that records the experiment.
    tolerance
        For a comparison of accuracies: the :class:`~backprop_book.reports.stats.Tolerance`
        and its parts.
    records
        The records the rule read (set by :meth:`Claim.verdict`).
    compared
        The tolerances of the comparisons between the book's own runs the rule made
        (:func:`accuracy_tolerance`; set by :meth:`Claim.verdict`).

    >>> Verdict("maybe", "", "")
    Traceback (most recent call last):
    ...
    ValueError: verdict kind must be one of reproduced, differs, report_wrong, ambiguous, not_reproducible, pending; got 'maybe'
    >>> Verdict("pending", "", "not recorded")
    Traceback (most recent call last):
    ...
    ValueError: a pending verdict needs the command that settles it
    """

    kind: str
    ours: str
    explanation: str
    readings: tuple[Reading, ...] = ()
    command: str | None = None
    tolerance: Tolerance | None = field(default=None, compare=False)
    records: tuple[str, ...] = field(default=(), compare=False)
    compared: tuple[Tolerance, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"verdict kind must be one of {', '.join(KINDS)}; got {self.kind!r}")
        if self.kind == "pending" and not self.command:
            raise ValueError("a pending verdict needs the command that settles it")
        if not isinstance(self.explanation, str):
            raise TypeError(f"explanation must be a str, got {type(self.explanation).__name__}")

    @property
    def label(self) -> str:
        """The kind as a reader sees it, e.g. ``"report wrong"``."""
        return self.kind.replace("_", " ")

    def __str__(self) -> str:
        ours = f": ours {self.ours}" if self.ours else ""
        return f"{self.label}{ours} ({self.explanation})"


@dataclass(frozen=True)
class Claim:
    """One item of a report and the rule that judges it.

    Attributes
    ----------
    id
        ``"<report>.<item>.<what>"``, e.g. ``"A.table3.tanh"``.
    report
        ``"A"`` ... ``"E"``.
    item
        The report's table, figure or question, e.g. ``"Table 3"``.
    quote
        The report's own words (the shortest quote that states the claim).
    published
        The report's figure as it prints it (``""`` for a claim with no figure).
    rule
        Called with the claim; returns its :class:`Verdict`.
    stated
        Settings the report states, e.g. ``{"epochs": "10"}``.
    open
        Settings the report leaves open, e.g. ``("batch size",)``.
    experiment
        The registry id of the study that tests it (``"part4/a_cnn_studies"``), or
        ``None`` for a check that needs no study (a Part I derivation).
    runs
        The study's run names the claim reads.
    check
        For claims without an experiment: the check that tests it, in words.
    chapter
        The book's chapter that explains it (a docname, e.g. ``"part4/report_a"``).
    readings
        The open settings declared with every value the report's text allows
        (:class:`Open`): a verdict of *report wrong*, or of *not reproduced under any
        reading*, needs a record of each.
    """

    id: str
    report: str
    item: str
    quote: str
    published: str
    rule: Callable[[Claim], Verdict] = field(repr=False, compare=False)
    stated: Mapping[str, str] = field(default_factory=dict)
    open: tuple[str, ...] = ()
    experiment: str | None = None
    runs: tuple[str, ...] = ()
    check: str = ""
    chapter: str = ""
    readings: tuple[Open, ...] = ()

    def __post_init__(self) -> None:
        if self.report not in ("A", "B", "C", "D", "E"):
            raise ValueError(f"claim {self.id!r}: report must be 'A'...'E', got {self.report!r}")
        if not self.id.startswith(f"{self.report}."):
            raise ValueError(f"claim id {self.id!r} must start with its report '{self.report}.'")
        if not self.quote:
            raise ValueError(f"claim {self.id!r} needs the report's own words")
        if self.experiment is None and not self.check:
            raise ValueError(f"claim {self.id!r} names neither an experiment nor a check")

    def verdict(self) -> Verdict:
        """Run the claim's rule on the recorded results and return its verdict.

        The verdict's ``records`` name every record the rule read.
        """
        _READ.clear()
        _COMPARED.clear()
        v = self.rule(self)
        if not isinstance(v, Verdict):
            raise TypeError(f"claim {self.id!r}: its rule returned {type(v).__name__}, not Verdict")
        v = dataclasses.replace(v, records=tuple(dict.fromkeys(_READ)), compared=tuple(_COMPARED))
        unrun = [f"{o.setting}: {label}" for o in self.readings for label in o.unrun()]
        final = v.kind == "report_wrong" or (v.kind == "differs" and bool(v.readings))
        if unrun and final:
            said = v.explanation.replace("not reproduced under any reading", "not reproduced")
            return dataclasses.replace(
                v,
                kind="differs",
                explanation=f"{said}; under the readings run only: not run {'; '.join(unrun)}",
            )
        return v

    def basis(self, v: Verdict | None = None) -> dict[str, Any]:
        """What the verdict rests on, for the listing: seeds, tolerance, open settings, readings.

        ``seeds`` maps every record the rule read to its number of seeds; for the
        claim's own experiment, when the claim names its ``runs``, the fewest seeds
        any of those runs holds (a seed beyond the first may hold only some runs), and
        ``run_seeds`` gives each run's count.

        >>> from backprop_book.reports import claim
        >>> b = claim("A.table3.tanh").basis()
        >>> sorted(b["seeds"]), b["seeds"]["part4/a_cnn_studies_b32"]
        (['part4/a_cnn_studies', 'part4/a_cnn_studies_b32'], 3)
        >>> sorted(b), len(b["readings"])
        (['compared', 'declared', 'open', 'readings', 'run_seeds', 'seeds', 'tolerance'], 2)
        """
        v = self.verdict() if v is None else v
        seeds, run_seeds = {}, {}
        for name in v.records:
            data = record(name)
            if data is None:
                seeds[name] = 0
                continue
            seeds[name] = len(seed_outputs(data))
            if isinstance(data.get("runs"), list) and self.runs and name == self.experiment:
                run_seeds = {r: len(seed_rows(data, r)) for r in self.runs}
                seeds[name] = min(run_seeds.values())
        return {
            "seeds": seeds,
            "run_seeds": run_seeds,
            "tolerance": v.tolerance.parts() if v.tolerance is not None else None,
            "compared": [t.parts() for t in v.compared],
            "open": list(self.open),
            "declared": [
                {"setting": o.setting, "values": dict(o.values), "unrun": o.unrun()}
                for o in self.readings
            ],
            "readings": [
                {
                    "label": r.label,
                    "reproduces": r.reproduces,
                    "ours": r.ours,
                    "tolerance": r.tolerance.parts() if r.tolerance is not None else None,
                }
                for r in v.readings
            ],
        }

    @property
    def resolution(self) -> float:
        """Half a unit of the published figure's last digit (its rounding), as a share.

        >>> Claim("A.x.y", "A", "T", "q", "55%", lambda c: None, check="c").resolution
        0.005
        >>> Claim("A.x.y", "A", "T", "q", "0.5930", lambda c: None, check="c").resolution
        5e-05
        """
        text = self.published.replace(",", "").strip()
        scale = 100 if text.endswith("%") else 1
        digits = text.rstrip("%")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        return round(0.5 * 10.0**-decimals / scale, 12)

    @property
    def value(self) -> float:
        """The published figure as a number (``"53.6%"`` is 0.536).

        >>> Claim("A.x.y", "A", "T", "q", "53.6%", lambda c: None, check="c").value
        0.536
        """
        text = self.published.replace(",", "").strip()
        if text.endswith("%"):
            return float(text[:-1]) / 100
        return float(text)


#: A verdict rule: called with its claim, returns the claim's verdict.
Rule = Callable[[Claim], Verdict]


# ----------------------------------------------------------------------------- records


#: What a verdict needs of a record's provenance (:func:`record_problem`).
FULL = "full"


def _load(name: str) -> StudyRecord | None:
    """The record ``name`` (read once per modification of its files), or None."""
    try:
        return load_record(name)
    except FileNotFoundError:
        return None


def record_problem(name: str) -> str | None:
    """Why the record ``name`` cannot carry a verdict, or ``None`` when it can.

    A verdict reads a record of the full profile (the report's own settings), with no
    run still pending, whose data source and that source's checksum are named.

    >>> record_problem("part4/a_cnn_studies") is None
    True
    >>> record_problem("part9/nothing")
    'part9/nothing is not recorded yet'
    """
    rec = _load(name)
    if rec is None:
        return f"{name} is not recorded yet"
    prov, data = rec.provenance, rec.data
    if str(prov.profile) != FULL or str(data.get("profile", FULL)) != FULL:
        return f"{name} is a {prov.profile}-profile record, not one of the report's full settings"
    pending_runs = [r for out in seed_outputs(data) for r in out.get("pending_runs") or []]
    if pending_runs:
        return f"{name} still has runs pending ({', '.join(map(str, pending_runs))})"
    if not prov.data_source or prov.data_source == "unknown":
        return f"{name} does not name its data source"
    checksum = str(prov.data_sha256 or "")
    if checksum != "synthetic" and not re.fullmatch(r"[0-9a-f]{64}", checksum):
        return f"{name} names no checksum of its data ({prov.data_source})"
    return None


#: The records read since the last :meth:`Claim.verdict` began.
_READ: list[str] = []
#: The tolerances of the comparisons between the book's own runs that the rule being
#: judged made (:func:`accuracy_tolerance`), for the listing.
_COMPARED: list[Tolerance] = []


def record(name: str) -> StudyRecord | None:
    """The recorded result ``name`` (e.g. ``"part4/a_cnn_studies"``), or None.

    The whole record reaches the rule: it reads as a mapping over the record's data
    (``record(name)["runs"]``) and carries its ``provenance`` (profile, seeds, data
    checksum) and typed ``runs()`` (:class:`backprop_book.records.StudyRecord`).
    ``None`` also when the record cannot carry a verdict (:func:`record_problem`):
    the rules then say *pending*, and :func:`pending` says why.
    """
    _READ.append(name)
    if record_problem(name) is not None:
        return None
    return _load(name)


def copy_shift(name: str) -> float:
    """The data shift a verdict on the record ``name`` allows for.

    A record measured on the JPEG copy of CIFAR-10 gets the copy's measured shift
    (the record ``part4/jpeg_shift``: what one more JPEG generation costs in test
    accuracy); any other record, 0.

    >>> copy_shift("part3/relu2")
    0.0
    """
    rec = _load(name)
    if rec is None or "JPEG copy" not in str(rec.provenance.data_source):
        return 0.0
    shift = _load(JPEG_SHIFT)
    if shift is None:
        raise ValueError(
            f"{name} was measured on the JPEG copy, whose shift is not recorded: run "
            f"{reproduce_command(JPEG_SHIFT)}"
        )
    return float(shift.data["shift"])


#: The record of the JPEG copy's measured shift.
JPEG_SHIFT = "part4/jpeg_shift"


def _groups(data: Mapping[str, Any], key: str) -> list[list[float]]:
    names = {str(r.get("name", "")) for out in seed_outputs(data) for r in out.get("runs", [])}
    if names:
        bases = {n.rpartition("_s")[0] if n.rpartition("_s")[2].isdigit() else n for n in names}
        return [seed_values(data, b, key) for b in sorted(bases)]
    return [[float(o[key]) for o in seed_outputs(data) if key in o]]


def study_spread(name: str, key: str = "test_acc") -> Spread:
    """The seed spread of a study record, pooled over its runs (or its seeds' top level).

    >>> sp = study_spread("part4/a_cnn_studies_b32")
    >>> sp.runs, sp.df
    (8, 16)
    """
    data = record(name)
    if data is None:
        return Spread(0.0, 0, 0)
    return pooled_spread(_groups(data, key))


#: The accuracy keys a CIFAR-10 record's seed spread is read from, in this order.
_ACC_KEYS = ("test_acc", "val_acc")


def borrowed_spread() -> Spread:
    """The seed spread the book measured on CIFAR-10, for a record of one seed.

    Pooled over every run of every verdict-ready record on the CIFAR-10 copy that holds
    three seeds or more (its test accuracy, else its validation accuracy).  A verdict
    on a study of one seed uses it, and says so, until that study is run on seeds.

    >>> sp = borrowed_spread()
    >>> sp.df >= 16, 0.0 < sp.sd < 0.05
    (True, True)
    """
    try:
        root = default_results_dir()
    except FileNotFoundError:
        return Spread(0.0, 0, 0)
    stamp = tuple(sorted((p.as_posix(), p.stat().st_mtime_ns) for p in root.rglob("*.json")))
    return _borrowed(str(root), stamp)


@functools.lru_cache(maxsize=4)
def _borrowed(root: str, stamp: tuple[tuple[str, int], ...]) -> Spread:
    groups: list[list[float]] = []
    for name in list_records(root):
        rec = _load(name)
        if rec is None or "CIFAR-10" not in str(rec.provenance.data_source):
            continue
        if len(rec.provenance.seeds or []) < 3 or record_problem(name) is not None:
            continue
        for key in _ACC_KEYS:
            found = [g for g in _groups(rec.data, key) if len(g) >= 3]
            if found:
                groups += found
                break
    return pooled_spread(groups)


def pending(experiment: str, what: str = "", seeds: int | None = None) -> Verdict:
    """A pending verdict for a study not recorded yet (or whose record cannot carry one)."""
    why = what or record_problem(experiment) or f"{experiment} is not recorded yet"
    return Verdict("pending", "", why, command=reproduce_command(experiment, seeds=seeds))


def seed_outputs(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A record's output per training seed, in seed order (the seeds' decoder is
    :func:`backprop_book.records.seed_outputs`; this keeps only the outputs).

    >>> [o["acc"] for o in seed_outputs({"acc": 1, "seeds": [0, 1], "by_seed": {"1": {"acc": 2}}})]
    [1, 2]
    >>> seed_outputs({"acc": 1})
    [{'acc': 1}]
    """
    return [out for _, out in _seed_outputs(data)]


def seed_rows(data: Mapping[str, Any], run: str) -> list[dict[str, Any]]:
    """The rows of the run ``run`` of a study record, one per seed (:func:`seed_outputs`).

    A study may also name one run per seed itself (``run_s0``, ``run_s1``...).

    >>> d = {"runs": [{"name": "a", "x": 1}], "seeds": [0, 1],
    ...      "by_seed": {"1": {"runs": [{"name": "a", "x": 2}]}}}
    >>> [r["x"] for r in seed_rows(d, "a")], seed_rows(d, "b")
    ([1, 2], [])
    """
    out = []
    for output in seed_outputs(data):
        for r in output.get("runs", []):
            name = r.get("name", "")
            if name == run or run_base(name) == run:
                out.append(r)
    return out


def seed_values(data: Mapping[str, Any], run: str, key: str = "test_acc") -> list[float]:
    """``key`` of the run ``run`` of a study record, over its seeds (:func:`seed_rows`).

    >>> d = {"runs": [{"name": "a_s0", "test_acc": 0.5}, {"name": "a_s1", "test_acc": 0.6},
    ...               {"name": "b", "test_acc": 0.1}]}
    >>> seed_values(d, "a"), seed_values(d, "b"), seed_values(d, "c")
    ([0.5, 0.6], [0.1], [])
    >>> seed_values({"runs": [{"name": "b", "test_acc": 0.1}], "seeds": [0, 1],
    ...              "by_seed": {"1": {"runs": [{"name": "b", "test_acc": 0.2}]}}}, "b")
    [0.1, 0.2]
    """
    return [float(r[key]) for r in seed_rows(data, run)]


def seed_field(data: Mapping[str, Any], key: str) -> list[Any]:
    """A top-level ``key`` of a record over its seeds (a study of one run per seed).

    >>> seed_field({"val_acc": 0.5, "seeds": [0, 1], "by_seed": {"1": {"val_acc": 0.6}}}, "val_acc")
    [0.5, 0.6]
    """
    return [o[key] for o in seed_outputs(data) if key in o]


# ----------------------------------------------------------------------------- tolerances


def accuracy_tolerance(
    first: Sequence[float],
    n_first: int,
    second: Sequence[float],
    n_second: int,
    *,
    experiment: str | None = None,
    key: str = "test_acc",
) -> float:
    """The tolerance of the gap between two of the book's own runs (same data).

    The verdict statistic itself, :func:`backprop_book.reports.stats.between`: the
    two test sets' binomial errors and the seed spread counted :math:`1/k_a + 1/k_b`
    times, with no data shift and no rounding (both sides ran on the same copy, and
    nobody typed their figures).  The spread is the study's, pooled over its runs,
    when ``experiment`` names a record that measured one (as for a report's figure,
    :func:`compare_accuracy`); else it is pooled over the two runs' seeds.

    >>> round(accuracy_tolerance([0.5], 10_000, [0.5], 10_000), 4)
    0.0139
    >>> round(accuracy_tolerance([0.5, 0.5], 10_000, [0.49, 0.51], 10_000), 4)
    0.0452
    """
    spread = None
    if experiment is not None:
        found = study_spread(experiment, key)
        spread = found if found.measured else None
    tol = between(first, n_first, second, n_second, spread=spread)
    _COMPARED.append(tol)  # the listing gives every comparison a rule made (Claim.basis)
    return tol.total


#: The widest tolerance under which two runs can be called *similar* (five points):
#: a wider one says the seeds spread too much to tell, not that the runs agree.
SIMILAR_CAP = 0.05


def similar_runs(
    first: Sequence[float],
    n_first: int,
    second: Sequence[float],
    n_second: int,
    *,
    floor: float = 0.01,
    experiment: str | None = None,
    key: str = "test_acc",
) -> tuple[bool, float]:
    """Whether two of the book's runs are *similar*, and the tolerance used.

    Similar: the gap of the means is within :func:`accuracy_tolerance` (or within
    ``floor``, the claim's reading of "similar"), and that tolerance is at most
    :data:`SIMILAR_CAP`.  A gap inside a tolerance of twenty points is no evidence
    of similarity, only of seeds that disagree.

    >>> similar_runs([0.99, 0.99, 0.995], 10_000, [0.75, 0.96, 0.76], 10_000)[0]
    False
    >>> similar_runs([0.99, 0.99, 0.995], 10_000, [0.99, 0.985, 0.99], 10_000)[0]
    True
    """
    tol = accuracy_tolerance(first, n_first, second, n_second, experiment=experiment, key=key)
    gap = abs(statistics.fmean(first) - statistics.fmean(second))
    return gap <= max(tol, floor) and tol <= SIMILAR_CAP, tol


def fmt_spread(values: Sequence[float], digits: int = 4) -> str:
    """Mean with the standard deviation over seeds, e.g. ``0.6060 ± 0.0040 (3 seeds)``.

    >>> fmt_spread([0.5, 0.6]), fmt_spread([0.25])
    ('0.5500 ± 0.0707 (2 seeds)', '0.2500 (1 seed)')
    """
    if not values:
        raise ValueError("expected at least one value, got none")
    m = statistics.fmean(values)
    if len(values) == 1:
        return f"{m:.{digits}f} (1 seed)"
    return f"{m:.{digits}f} ± {statistics.stdev(values):.{digits}f} ({len(values)} seeds)"


def compare_accuracy(
    published: float,
    n_published: int,
    ours: Sequence[float],
    n_ours: int,
    *,
    differs_because: str = "",
    resolution: float = 0.0,
    experiment: str | None = None,
    spread: Spread | None = None,
    spread_key: str = "test_acc",
) -> Verdict:
    """``reproduced`` when the book's mean is within the verdict statistic's tolerance.

    The tolerance is :func:`backprop_book.reports.stats.tolerance`: the two test sets'
    binomial errors, the seed spread (``spread``, else the study's pooled over its
    runs when ``experiment`` names it; for a CIFAR-10 study of one seed,
    :func:`borrowed_spread`; else that of ``ours``), the JPEG copy's shift
    when ``experiment`` was measured on it (:func:`copy_shift`), and ``resolution``,
    half the last printed digit of the published figure (:attr:`Claim.resolution`:
    "55%" stands for 54.5-55.5%).  Outside the tolerance with no seed spread
    measured, the verdict waits for seeds (*pending*, with the command that runs
    three) when ``experiment`` is named.

    >>> compare_accuracy(0.59, 10_000, [0.60], 10_000).kind
    'reproduced'
    >>> v = compare_accuracy(0.65, 10_000, [0.60], 10_000, differs_because="one seed")
    >>> v.kind, v.explanation
    ('differs', 'off by -0.0500, more than the tolerance 0.0132 (sd 0.0067: test sets 0.0048 and 0.0048, seed spread not measured, 1 seed; t 1.96); one seed')
    >>> compare_accuracy(0.65, 10_000, [0.60], 10_000, experiment="part4/b_mlps").kind
    'differs'
    """
    borrowed = False
    if experiment is not None and spread is None:
        found = study_spread(experiment, spread_key)
        borrowed = not found.measured and copy_shift(experiment) > 0
        spread = borrowed_spread() if borrowed else (found if found.measured else None)
    shift = copy_shift(experiment) if experiment is not None else 0.0
    tol = tolerance(
        published, n_published, ours, n_ours, spread=spread, shift=shift, rounding=resolution
    )
    d = statistics.fmean(ours) - published
    lent = (
        f"; the seed spread is borrowed from the book's CIFAR-10 runs of three seeds "
        f"({spread.runs} runs), as {experiment} holds one seed"
        if borrowed and spread is not None
        else ""
    )
    if abs(d) <= tol.total:
        return Verdict(
            "reproduced", fmt_spread(ours), f"off by {d:+.4f}, within {tol}{lent}", tolerance=tol
        )
    if not tol.seed_df and experiment is not None:
        return Verdict(
            "pending",
            fmt_spread(ours),
            f"off by {d:+.4f}, more than {tol}; a difference needs the seed spread, which "
            f"{experiment} does not hold (one seed)",
            command=reproduce_command(experiment, seeds=3),
            tolerance=tol,
        )
    why = f"{lent}; {differs_because}" if differs_because else lent
    return Verdict(
        "differs",
        fmt_spread(ours),
        f"off by {d:+.4f}, more than the tolerance {tol}{why}",
        tolerance=tol,
    )


def _res(resolution: float) -> str:
    return f" + rounding {resolution:g}" if resolution else ""


def from_readings(readings: Sequence[Reading], *, wrong_check: str = "") -> Verdict:
    """Combine the verdicts of every reading of an open setting.

    Every reading reproduces: ``reproduced``; some do: ``ambiguous`` (naming them);
    none does: ``differs``, or ``report_wrong`` when ``wrong_check`` names a machine
    check that shows the claim false under every reading.  A reading not yet
    recorded makes the whole verdict wait (``pending`` is left to the caller).

    >>> r = [Reading("batch 4", False, "0.20"), Reading("batch 32", True, "0.62")]
    >>> v = from_readings(r)
    >>> v.kind, v.explanation
    ('ambiguous', 'reproduced under batch 32; not under batch 4')
    """
    if not readings:
        raise ValueError("expected at least one reading, got none")
    if any(r.reproduces is None for r in readings):
        raise ValueError("every reading must be recorded before the readings are combined")
    yes = [r.label for r in readings if r.reproduces]
    no = [r.label for r in readings if not r.reproduces]
    ours = "; ".join(f"{r.label}: {r.ours}" for r in readings)
    if not no:
        return Verdict(
            "reproduced",
            ours,
            f"reproduced under every reading ({', '.join(yes)})",
            tuple(readings),
        )
    if yes:
        return Verdict(
            "ambiguous",
            ours,
            f"reproduced under {', '.join(yes)}; not under {', '.join(no)}",
            tuple(readings),
        )
    if wrong_check:
        return Verdict("report_wrong", ours, f"under every reading: {wrong_check}", tuple(readings))
    return Verdict(
        "differs", ours, f"not reproduced under any reading ({', '.join(no)})", tuple(readings)
    )
