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

Tolerances for accuracies (:func:`accuracy_tolerance`): two standard errors of
the difference, from the binomial standard error of each test set and the
spread of the book's runs over seeds.  The book calls a report wrong only after
every reading its text allows has been run.

>>> v = Verdict("reproduced", "0.60", "within 0.014 of 0.59")
>>> v.kind, str(v)
('reproduced', 'reproduced: ours 0.60 (within 0.014 of 0.59)')
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from backprop_book.records import StudyRecord, load_record, reproduce_command
from backprop_book.records import seed_outputs as _seed_outputs

__all__ = [
    "KINDS",
    "Claim",
    "Reading",
    "Rule",
    "Verdict",
    "accuracy_tolerance",
    "binomial_se",
    "compare_accuracy",
    "fmt_spread",
    "from_readings",
    "pending",
    "record",
    "reproduce_command",
    "seed_outputs",
    "seed_values",
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

    ``reproduces`` is ``None`` while the reading's run is not recorded.
    """

    label: str
    reproduces: bool | None
    ours: str


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
        """Run the claim's rule on the recorded results and return its verdict."""
        v = self.rule(self)
        if not isinstance(v, Verdict):
            raise TypeError(f"claim {self.id!r}: its rule returned {type(v).__name__}, not Verdict")
        return v

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


def record(name: str) -> StudyRecord | None:
    """The recorded result ``name`` (e.g. ``"part4/a_cnn_studies"``), or None if not recorded.

    The whole record reaches the rule: it reads as a mapping over the record's data
    (``record(name)["runs"]``) and carries its ``provenance`` (profile, seeds, data
    checksum), its ``path`` and typed ``runs()``
    (:class:`backprop_book.records.StudyRecord`).  Read once per file modification.
    """
    try:
        return load_record(name)
    except FileNotFoundError:
        return None


def pending(experiment: str, what: str = "", seeds: int | None = None) -> Verdict:
    """A pending verdict for a study not recorded yet."""
    why = what or f"{experiment} is not recorded yet"
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


def seed_values(data: Mapping[str, Any], run: str, key: str = "test_acc") -> list[float]:
    """``key`` of the run ``run`` of a study record, over its seeds.

    Seeds are the runner's (:func:`seed_outputs`); a study may also name one run per
    seed itself (``run_s0``, ``run_s1``...).

    >>> d = {"runs": [{"name": "a_s0", "test_acc": 0.5}, {"name": "a_s1", "test_acc": 0.6},
    ...               {"name": "b", "test_acc": 0.1}]}
    >>> seed_values(d, "a"), seed_values(d, "b"), seed_values(d, "c")
    ([0.5, 0.6], [0.1], [])
    >>> seed_values({"runs": [{"name": "b", "test_acc": 0.1}], "seeds": [0, 1],
    ...              "by_seed": {"1": {"runs": [{"name": "b", "test_acc": 0.2}]}}}, "b")
    [0.1, 0.2]
    """
    out = []
    for output in seed_outputs(data):
        for r in output.get("runs", []):
            name = r.get("name", "")
            base, _, tail = name.rpartition("_s")
            if name == run or (base == run and tail.isdigit()):
                out.append(float(r[key]))
    return out


# ----------------------------------------------------------------------------- tolerances


def binomial_se(p: float, n: int) -> float:
    """Standard error of an accuracy ``p`` measured on ``n`` test images: √(p(1−p)/n).

    >>> round(binomial_se(0.5, 10_000), 4)
    0.005
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"expected an accuracy in [0, 1], got {p}")
    if n < 1:
        raise ValueError(f"expected a positive number of test images, got {n}")
    return math.sqrt(p * (1 - p) / n)


def accuracy_tolerance(
    published: float, n_published: int, ours: Sequence[float], n_ours: int
) -> float:
    """Two standard errors of the difference between the report's accuracy and the book's.

    .. math:: \\text{tol} = 2\\sqrt{\\frac{p(1-p)}{n_r} + \\frac{p(1-p)}{k\\,n_b} + \\frac{s^2}{k}}

    with :math:`p` the published accuracy, :math:`n_r`, :math:`n_b` the report's and
    the book's test-set sizes, :math:`k` the book's seeds and :math:`s` their standard
    deviation (0 for one seed: then only the test-set noise is counted).

    >>> round(accuracy_tolerance(0.5, 10_000, [0.5], 10_000), 4)
    0.0141
    >>> round(accuracy_tolerance(0.5, 10_000, [0.49, 0.51], 10_000), 4)
    0.0235
    """
    if not ours:
        raise ValueError("expected at least one result of the book's runs, got none")
    k = len(ours)
    s = statistics.stdev(ours) if k > 1 else 0.0
    p = published
    var = p * (1 - p) / n_published + p * (1 - p) / (k * n_ours) + s * s / k
    return 2 * math.sqrt(var)


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
) -> Verdict:
    """``reproduced`` when the book's mean accuracy is within :func:`accuracy_tolerance`.

    ``resolution`` (half the last printed digit of the published figure, see
    :attr:`Claim.resolution`) is added to the tolerance: "55%" stands for 54.5-55.5%.

    >>> compare_accuracy(0.59, 10_000, [0.60], 10_000).kind
    'reproduced'
    >>> v = compare_accuracy(0.65, 10_000, [0.60], 10_000, differs_because="one seed")
    >>> v.kind, v.explanation
    ('differs', 'off by -0.0500, more than the tolerance 0.0135 (2 SE); one seed')
    """
    tol = accuracy_tolerance(published, n_published, ours, n_ours) + resolution
    d = statistics.fmean(ours) - published
    if abs(d) <= tol:
        return Verdict(
            "reproduced",
            fmt_spread(ours),
            f"off by {d:+.4f}, within {tol:.4f} (2 SE{_res(resolution)})",
        )
    why = f"; {differs_because}" if differs_because else ""
    return Verdict(
        "differs",
        fmt_spread(ours),
        f"off by {d:+.4f}, more than the tolerance {tol:.4f} (2 SE{_res(resolution)}){why}",
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
