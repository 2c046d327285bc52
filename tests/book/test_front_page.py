"""The front page opens from the subject: what the book teaches and in which order, the
reports as case studies after that, and how exercises are graded and kept from students."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.site]

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
OPENING = PAGE.split("\n# ", 1)[1].split("\n## ", 1)[0]
PARAGRAPHS = [p for p in OPENING.split("\n\n")[1:] if p.strip()]


def test_the_first_paragraph_teaches_and_names_no_report() -> None:
    first = PARAGRAPHS[0].lower()
    assert "backpropagation" in first and "derivative" in first
    assert "report" not in first


def test_the_parts_come_in_reading_order() -> None:
    names = ["(Foundations)", "(Part I)", "(Part II)", "(Part III)", "(Part IV)"]
    where = [PARAGRAPHS[0].find(n) for n in names]
    assert -1 not in where, dict(zip(names, where, strict=True))
    assert where == sorted(where)


def test_reports_enter_as_case_studies_and_verdicts() -> None:
    later = " ".join(PARAGRAPHS[1:])
    assert "case study" in later and "Part V" in later and "verdict" in later
    assert "grows out of" not in OPENING


def test_the_grading_and_the_student_edition_are_stated() -> None:
    assert "nox -s docs -- student" in OPENING
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert re.search(r"arg in \(\"student\", \"instructor\"\)", noxfile)
    for target in re.findall(r"\{func\}`~?([\w.]+)`", OPENING):
        module, _, name = target.rpartition(".")
        assert hasattr(importlib.import_module(module), name), target
    assert {"check_backward", "check_gradient"} <= set(re.findall(r"\.(\w+)`", OPENING))
