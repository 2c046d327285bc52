"""Part V's index: each experiment of the five reports, the studies that redo it, and the listing.

:data:`CATALOGUE` maps each experiment of the reports to the registered studies of the
book that redo it (ids ``<part>/<name>`` of :mod:`backprop_book.studies`), with the
figure the report gave, read from the report's module; :func:`recorded_status` tells
which studies are recorded under ``docs/results``.  :func:`listing` is what
``backprop-book reproduce --list`` prints: one row per claim of the reports with its
verdict; :func:`study_for` leads from a study id or a claim's id to the study.

Part V sits above the runner (:mod:`backprop_book.experiments`) and the parts: it
imports them; nothing below imports it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from backprop_book.experiments.runner import reproduce_command, resolve_study
from backprop_book.reports import a as _a
from backprop_book.reports import all_claims
from backprop_book.reports import b as _b
from backprop_book.reports import c as _c
from backprop_book.reports import d as _d
from backprop_book.reports import e as _e
from backprop_book.results import list_results
from backprop_book.studies import REGISTRY, Study, UnknownStudyError, unknown_message

__all__ = ["CATALOGUE", "Experiment", "find", "listing", "recorded_status", "study_for"]


@dataclass(frozen=True)
class Experiment:
    """One experiment of a report and the registered studies of the book that redo it."""

    report: str  #: "A" ... "E"
    item: str  #: the report's table, figure or question
    studies: tuple[str, ...]  #: registry ids, e.g. ``"part4/a_cnn_studies"``
    reported: str  #: what the report found, in short (figures read from backprop_book.reports)

    @property
    def part(self) -> str:
        """The part of the book whose studies redo it, e.g. ``"part4"``."""
        return self.studies[0].split("/", 1)[0]

    def command(self, profile: str = "full") -> str:
        """The command(s) that run and record this experiment's studies.

        >>> CATALOGUE[2].command()
        'backprop-book reproduce part2/default --profile full --record'
        """
        return "; ".join(reproduce_command(s, profile) for s in self.studies)


CATALOGUE: tuple[Experiment, ...] = (
    Experiment("A", "Tables 1-2: fully connected nets with 2-5 linear layers", ("part4/a_fc_depth",),
               "test accuracy " + " / ".join(r[3] for r in _a.TABLE2.values()) + " after 10 epochs"),
    Experiment("A", "tutorial CNN; activation, learning rate, conv layers, double channels",
               ("part4/a_cnn_studies", "part4/a_cnn_studies_b32", "part4/a_conv3_pool3"),
               f"tutorial CNN {_a.OVERALL} test; Tanh {_a.TABLE3['tanh'][3]}; lr 0.01 "
               f"{_a.TABLE4['lr0.01'][3]}; 3 conv {_a.TABLE5['conv3'][3]} (batch size not stated)"),
    Experiment("B", "Q3: default CIFAR-10 run of the two-layer net", ("part2/default",),
               f"{_b.DEFAULT_VAL} validation accuracy after 1,000 iterations"),
    Experiment("B", "Q3: Table 1, the top four of 24 runs",
               ("part2/t1_h80_it2000_lr0.0025", "part2/t1_h70_it2000_lr0.0025", "part2/best", "part2/t1_h80_it4500_lr0.0025"),
               "validation " + " / ".join(v for _, v in _b.TABLE1.values())
               + f"; best test {_b.BEST_TEST}"),
    Experiment("B", "Q3: ideas tried (early stopping, PCA to 640 dims, flips and scaling)",
               ("part2/best_early_stopping", "part2/best_pca640", "part2/best_flip_scale",
                "part2/best_appended_flip_scale"),
               "early stopping no gain, PCA hurt, augmentation helped"),
    Experiment("B", "Q4: seven torch MLPs", ("part4/b_mlps", "part4/b_mlps_small_init"),
               " / ".join(v[1] for v in _b.TABLE2.values()) + " validation"),
    Experiment("C", "Q9: synthetic data, sigmoid and ReLU nets, 'momentum' schedule",
               ("part3/sigmoid2", "part3/relu2", "part3/relu3", "part3/schedule_c", "part3/momentum",
                "part3/c_relu3_as_written", "part3/c_relu3_h4", "part3/c_momentum_decay",
                "part3/c_momentum_growth"),
               f"sigmoid flat then improves after {_c.PLATEAU} epochs; ReLU close to "
               f"{_c.RELU_VAL}% validation; 'momentum' drops"),
    Experiment("E", "Q9: linear-ReLU-linear-sigmoid-linear with fan-out He init",
               ("part3/report_e", "part3/report_e_he", "part3/e_sigmoid2_lr01", "part3/e_relu2_lr01",
                "part3/e_new_lr01", "part3/e_he_lr01"), f"{_e.HE_BEST} validation (lr {_e.Q9_LR})"),
    Experiment("C", "Q9: initialisations compared (course formula, Glorot, He, fan-out He)",
               ("part3/init_course", "part3/init_glorot", "part3/init_he", "part3/init_he_fanout"),
               "(not a report figure: does the course's init explain C's flat start?)"),
    Experiment("C", "Q10: tutorial classifier with SGD, Adam, Adam lr 0.1, 5 epochs",
               ("part4/tutorial_optimizers",),
               f"SGD {_c.Q10['sgd']}, Adam {_c.Q10['adam']}, Adam lr 0.1 {_c.Q10['adam_lr0.1']}, "
               f"Adam 5 epochs {_c.Q10['adam_5_epochs']}"),
    Experiment("E", "AlexNet for CIFAR-10: batch norm, optimizer, batch size, learning rate",
               ("part4/alexnet_study",), f"about {_e.FINAL} test, Adam lr 1e-3, batch 100, no batch norm"),
    Experiment("D", "Q4: LeNet-5", ("part4/lenet5",), "(parameter counts only in the report)"),
    Experiment("D", "optimizer x learning-rate grid, hidden units, layers, dropout", ("part4/d_grid",),
               "losses near 1.5 at 95% accuracy"),
    Experiment("D", "preprocessing: grayscale, normalise or not, Gaussian blur (image folders)",
               ("part4/d_preprocessing",), f"validation {_d.TASK_ROWS['task1 with normalization'][3]} normalised vs "
               f"{_d.TASK_ROWS['task1 without normalization'][3]} not"),
)  # fmt: skip


def find(report: str | None = None, part: str | None = None) -> list[Experiment]:
    """Catalogue entries, optionally only one report's (``"A"``...) or one part's.

    >>> [e.studies[:2] for e in find(report="E", part="part3")]
    [('part3/report_e', 'part3/report_e_he')]
    """
    return [
        e
        for e in CATALOGUE
        if (report is None or e.report == report.upper()) and (part is None or e.part == part)
    ]


def recorded_status(
    results_dir: str | os.PathLike[str] | None = None,
) -> dict[str, bool]:
    """``{study id: recorded?}`` for every study of the catalogue."""
    try:
        recorded = set(list_results(results_dir))
    except FileNotFoundError:
        recorded = set()
    return {s: s in recorded for e in CATALOGUE for s in e.studies}


def listing(report: str | None = None) -> list[dict[str, Any]]:
    """One row per claim of the reports: ``id, report, item, published, ours, verdict``.

    Each claim (:func:`backprop_book.reports.all_claims`) is judged by its
    ``verdict()``.  Each row also has ``experiment`` (the registry id that tests it,
    or ``None``), ``explanation`` and the verdict's basis
    (:meth:`~backprop_book.reports.claims.Claim.basis`): ``seeds`` (every record read,
    with its number of seeds), ``run_seeds`` (each of the claim's runs, with its
    seeds), ``tolerance`` (its parts, for an accuracy compared with the report's),
    ``compared`` (the parts of every tolerance between two of the book's runs), ``open`` (the settings the report leaves open), ``declared``
    (their readings, and which are not run) and ``readings`` (every reading run).

    >>> rows = listing(report="D")
    >>> sorted(rows[0])[:8]
    ['compared', 'declared', 'experiment', 'explanation', 'id', 'item', 'open', 'ours']
    """
    wanted = None if report is None else report.strip().upper()
    rows: list[dict[str, Any]] = []
    for c in all_claims():
        if wanted is not None and c.report.upper() != wanted:
            continue
        v = c.verdict()
        rows.append(
            {
                "id": c.id,
                "report": c.report,
                "item": c.item,
                "published": c.published,
                "ours": v.ours,
                "verdict": v.kind,
                "explanation": v.explanation,
                "experiment": c.experiment,
                **c.basis(v),
            }
        )
    return rows


def study_for(name: str) -> Study:
    """The study that ``name`` names: a study id or bare name, or the id of a report's claim.

    A claim (from :func:`backprop_book.reports.all_claims`) leads to the study its
    ``experiment`` names (a registry id, e.g. ``"part4/a_cnn_studies"``).

    Raises
    ------
    ~backprop_book.studies.UnknownStudyError
        If neither a study nor a claim has that id (one line, nearest ids named), or
        the claim is judged by a check rather than a run.
    """
    try:
        return resolve_study(name)
    except UnknownStudyError as exc:
        claims = {c.id: c for c in all_claims()}
        claim = claims.get(str(name).strip())
        if claim is None:
            known = [s.id for s in REGISTRY] + list(claims)
            raise UnknownStudyError(unknown_message(name, known, "study or claim")) from exc
        if claim.experiment is None:
            raise UnknownStudyError(
                f"claim {claim.id!r} is judged by a check, not a run: {claim.verdict().explanation}"
            ) from exc
        return resolve_study(claim.experiment)
