"""Part V: the five reports' claims as data, and the book's verdict on each.

Each report has a module (:mod:`.a` ... :mod:`.e`) whose ``CLAIMS`` list every
question, derivation, table entry, figure and conclusion of the report, with the
report's own words and its published figures (typed here once; chapters, the CLI
and the catalogue read them from here).  :func:`all_claims` gathers them and
:func:`verdict_counts` counts the verdicts for the front page and Part V.

>>> ids = [c.id for c in all_claims()]
>>> len(ids) == len(set(ids)), ids[0]
(True, 'A.q1.backprop')
"""

from __future__ import annotations

from collections import Counter

from backprop_book.reports import a, b, c, d, e
from backprop_book.reports.claims import KINDS, Claim, Reading, Verdict

__all__ = [
    "KINDS",
    "Claim",
    "Reading",
    "Verdict",
    "all_claims",
    "claim",
    "claims_of",
    "verdict_counts",
    "verdict_kinds",
]


def all_claims() -> list[Claim]:
    """Every claim of the five reports, report by report, in each report's order."""
    return [*a.CLAIMS, *b.CLAIMS, *c.CLAIMS, *d.CLAIMS, *e.CLAIMS]


def claims_of(report: str) -> list[Claim]:
    """The claims of one report (``"A"`` ... ``"E"``, case-insensitive).

    >>> claims_of("e")[0].report
    'E'
    >>> claims_of("F")
    Traceback (most recent call last):
    ...
    ValueError: expected a report label A-E, got 'F'
    """
    label = str(report).upper()
    if label not in ("A", "B", "C", "D", "E"):
        raise ValueError(f"expected a report label A-E, got {report!r}")
    return [c for c in all_claims() if c.report == label]


def claim(id: str) -> Claim:
    """The claim with this id, e.g. ``claim("A.table3.tanh")``.

    >>> claim("A.table3.tanh").published
    '0.6502'
    """
    for item in all_claims():
        if item.id == id:
            return item
    raise ValueError(f"no claim {id!r}; ids look like 'A.table3.tanh'")


def verdict_counts(claims: list[Claim] | None = None) -> dict[str, int]:
    """How many claims have each verdict kind (every kind listed, zeros included).

    >>> counts = verdict_counts()
    >>> list(counts) == list(KINDS), sum(counts.values()) == len(all_claims())
    (True, True)
    """
    got = Counter(x.verdict().kind for x in (all_claims() if claims is None else claims))
    return {k: got.get(k, 0) for k in KINDS}


def verdict_kinds() -> dict[str, str]:
    """``{claim id: verdict kind}``: the snapshot ``tests/reports/verdicts.json`` asserts.

    Write it anew, after a recorded result changed a verdict on purpose, with
    ``python -c "import json; from backprop_book.reports import verdict_kinds;
    print(json.dumps(verdict_kinds(), indent=1))" > tests/reports/verdicts.json``.
    """
    return {x.id: x.verdict().kind for x in all_claims()}
