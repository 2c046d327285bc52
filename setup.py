"""Build hook: the wheel carries the book's recorded results.

The project's metadata is in ``pyproject.toml``.  This file adds one step to building
the package: the recorded full-profile results under ``docs/results`` are copied into
the wheel as ``backprop_book/_results``, so that a chapter's notebook run from the
installed wheel alone (no checkout) reads the same records as the book
(:func:`backprop_book.records.default_results_dir`).  An editable install reads them
from the checkout instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RECORDS = Path(__file__).resolve().parent / "docs" / "results"


class BuildWithRecords(build_py):
    """``build_py`` that also copies ``docs/results`` to ``backprop_book/_results``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False) or not RECORDS.is_dir():
            return
        target = Path(self.build_lib) / "backprop_book" / "_results"  # records.PACKAGED_RECORDS
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(RECORDS, target)


setup(cmdclass={"build_py": BuildWithRecords})
