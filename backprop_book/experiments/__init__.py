"""The catalogue of experiments: every report table or figure, and the run that redoes it.

Each part of the book has its own runner (``python -m backprop_book.<part>.experiments
run NAME [--profile full] [--record]``).  This module is the one index over them:
:data:`CATALOGUE` maps each experiment of the five reports to the part, runner and
run names that reproduce it, with the figure the report gave, and
:func:`recorded_status` tells which full-profile runs are recorded under
``docs/results``.  ``backprop-book experiments list`` prints it and
``backprop-book experiments run PART NAME`` runs one entry's runs through its part's
runner.  Runners are imported only when a run is asked for, so listing the
catalogue needs neither torch nor sympy.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from backprop_book.reports import a as _a
from backprop_book.reports import b as _b
from backprop_book.reports import c as _c
from backprop_book.reports import d as _d
from backprop_book.reports import e as _e
from backprop_book.results import list_results

__all__ = ["CATALOGUE", "RUNNERS", "Experiment", "find", "recorded_status", "run"]

#: The runner module of each part that has runs.
RUNNERS: dict[str, str] = {
    "part2": "backprop_book.numpy_nn.experiments",
    "part3": "backprop_book.autograd.experiments",
    "part4": "backprop_book.torch_nn.experiments",
}


@dataclass(frozen=True)
class Experiment:
    """One experiment of a report and the runs of the book that redo it."""

    report: str  #: "A" ... "E"
    item: str  #: the report's table, figure or question
    part: str  #: "part2", "part3" or "part4"
    runs: tuple[str, ...]  #: run names known to the part's runner
    reported: str  #: what the report found (its figures, read from backprop_book.reports)

    @property
    def runner(self) -> str:
        """The module whose ``main`` runs this experiment's runs."""
        return RUNNERS[self.part]

    def command(self, profile: str = "full") -> str:
        """The one-line command that runs and records this experiment."""
        return "; ".join(
            f"python -m {self.runner} run {name} --profile {profile} --record" for name in self.runs
        )


CATALOGUE: tuple[Experiment, ...] = (
    Experiment("A", "Tables 1-2: fully connected nets with 2-5 linear layers", "part4", ("a_fc_depth",),
               "test accuracy " + " / ".join(r[3] for r in _a.TABLE2.values()) + " after 10 epochs"),
    Experiment("A", "tutorial CNN; activation, learning rate, conv layers, double channels", "part4",
               ("a_cnn_studies", "a_cnn_studies_b32"),
               f"tutorial CNN {_a.OVERALL} test; Tanh {_a.TABLE3['tanh'][3]}; lr 0.01 "
               f"{_a.TABLE4['lr0.01'][3]}; 3 conv {_a.TABLE5['conv3'][3]}"),
    Experiment("B", "Q3: default CIFAR-10 run of the two-layer net", "part2", ("default",),
               f"{_b.DEFAULT_VAL} validation accuracy after 1,000 iterations"),
    Experiment("B", "Q3: Table 1, the top four of 24 runs", "part2",
               ("t1_h80_it2000_lr0.0025", "t1_h70_it2000_lr0.0025", "best", "t1_h80_it4500_lr0.0025"),
               "validation " + " / ".join(v for _, v in _b.TABLE1.values())
               + f"; best test {_b.BEST_TEST}"),
    Experiment("B", "Q3: ideas tried (early stopping, PCA to 640 dims, flips and scaling)", "part2",
               ("best_early_stopping", "best_pca640", "best_flip_scale", "best_appended_flip_scale"),
               "early stopping no gain, PCA hurt, augmentation helped"),
    Experiment("B", "Q4: seven torch MLPs", "part4", ("b_mlps", "b_mlps_small_init"),
               " / ".join(v[1] for v in _b.TABLE2.values()) + " validation"),
    Experiment("C", "Q9: synthetic data, sigmoid and ReLU nets, 'momentum' schedule", "part3",
               ("sigmoid2", "relu2", "relu3", "schedule_c", "momentum", "c_relu3_as_written",
                "c_relu3_h4", "c_momentum_decay", "c_momentum_growth"),
               f"sigmoid flat then improves after {_c.PLATEAU} epochs; ReLU close to "
               f"{_c.RELU_VAL}% validation; 'momentum' drops"),
    Experiment("E", "Q9: linear-ReLU-linear-sigmoid-linear with fan-out He init", "part3",
               ("report_e", "report_e_he", "e_sigmoid2_lr01", "e_relu2_lr01", "e_new_lr01",
                "e_he_lr01"), f"{_e.HE_BEST} validation (lr {_e.Q9_LR})"),
    Experiment("C", "Q9: initialisations compared (course formula, Glorot, He, fan-out He)", "part3",
               ("init_course", "init_glorot", "init_he", "init_he_fanout"),
               "(the book's question: does the course's init explain C's flat start?)"),
    Experiment("C", "Q10: tutorial classifier with SGD, Adam, Adam lr 0.1, 5 epochs", "part4",
               ("tutorial_optimizers",),
               f"SGD {_c.Q10['sgd']}, Adam {_c.Q10['adam']}, Adam lr 0.1 {_c.Q10['adam_lr0.1']}, "
               f"Adam 5 epochs {_c.Q10['adam_5_epochs']}"),
    Experiment("E", "AlexNet for CIFAR-10: batch norm, optimizer, batch size, learning rate", "part4",
               ("alexnet_study",), f"about {_e.FINAL} test, Adam lr 1e-3, batch 100, no batch norm"),
    Experiment("D", "Q4: LeNet-5", "part4", ("lenet5",), "(parameter counts only in the report)"),
    Experiment("D", "optimizer x learning-rate grid, hidden units, layers, dropout", "part4", ("d_grid",),
               "losses near 1.5 at 95% accuracy"),
    Experiment("D", "preprocessing: grayscale, normalise or not, Gaussian blur (image folders)",
               "part4", ("d_preprocessing",), f"validation {_d.TASK_ROWS['task1 with normalization'][3]} normalised vs "
               f"{_d.TASK_ROWS['task1 without normalization'][3]} not"),
)  # fmt: skip


def find(report: str | None = None, part: str | None = None) -> list[Experiment]:
    """Catalogue entries, optionally only one report's (``"A"``...) or one part's.

    >>> [e.runs[:2] for e in find(report="E", part="part3")]
    [('report_e', 'report_e_he')]
    """
    return [
        e
        for e in CATALOGUE
        if (report is None or e.report == report.upper()) and (part is None or e.part == part)
    ]


def recorded_status(
    results_dir: str | os.PathLike[str] | None = None,
) -> dict[tuple[str, str], bool]:
    """``{(part, run): recorded?}`` for every run of the catalogue."""
    try:
        recorded = set(list_results(results_dir))
    except FileNotFoundError:
        recorded = set()
    return {(e.part, r): f"{e.part}/{r}" in recorded for e in CATALOGUE for r in e.runs}


def run(part: str, names: Sequence[str], profile: str | None = None, record: bool = False) -> int:
    """Run ``names`` through ``part``'s runner (as its command line would); return its exit code."""
    if part not in RUNNERS:
        raise ValueError(f"part must be one of {sorted(RUNNERS)}, got {part!r}")
    known = {r for e in CATALOGUE if e.part == part for r in e.runs}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown run(s) {unknown} for {part}; known: {sorted(known)}")
    module = importlib.import_module(RUNNERS[part])
    code = 0
    for name in names:
        argv = [
            "run",
            name,
            *(["--profile", profile] if profile else []),
            *(["--record"] if record else []),
        ]
        code = max(code, int(module.main(argv) or 0))
    return code
