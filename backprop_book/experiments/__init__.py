"""The runner of the book's studies: run a registered study under a profile, over seeds, record it.

Every study of the book is registered once, where its part defines it (see
:mod:`backprop_book.studies`), under an id ``<part>/<name>``, and run by one runner
(:mod:`backprop_book.experiments.runner`):
``backprop-book reproduce part4/a_cnn_studies [--profile full] [--seeds N] [--record]``.
The index of the reports' experiments and the studies that redo them is Part V's
(:mod:`backprop_book.reports.index`).
"""

from __future__ import annotations

from backprop_book.experiments.runner import (
    PART_MODULES,
    StudyRun,
    load_studies,
    reproduce_command,
    resolve_study,
    run_study,
)
from backprop_book.studies import REGISTRY, Study, UnknownStudyError, study

__all__ = [
    "PART_MODULES",
    "REGISTRY",
    "Study",
    "StudyRun",
    "UnknownStudyError",
    "load_studies",
    "reproduce_command",
    "resolve_study",
    "run_study",
    "study",
]
