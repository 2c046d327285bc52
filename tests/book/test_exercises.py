"""Every part ends with exercises whose solutions are hidden and hold executed code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.site]

DOCS = Path(__file__).resolve().parents[2] / "docs"
PARTS = sorted(p.parent for p in DOCS.glob("part*/exercises.md"))
START = re.compile(r"^`{3,}\{exercise-start\}[^\n]*\n:label: (\S+)", re.MULTILINE)
SOLUTION = re.compile(
    r"^`{3,}\{solution-start\} (\S+)\n:class: dropdown\n`{3,}\n(.*?)^`{3,}\{solution-end\}",
    re.MULTILINE | re.DOTALL,
)


def test_parts_one_to_four_have_exercise_pages() -> None:
    assert {p.name for p in PARTS} >= {"part1", "part2", "part3", "part4"}


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.name)
def test_exercises_have_hidden_solutions_with_code(part: Path) -> None:
    text = (part / "exercises.md").read_text(encoding="utf-8")
    labels = START.findall(text)
    assert len(labels) >= 3, f"{part.name}: {len(labels)} exercises"
    solutions = dict(SOLUTION.findall(text))
    for label in labels:
        assert label in solutions, f"{label}: no dropdown solution"
        assert "{code-cell}" in solutions[label], f"{label}: the solution runs no code"
    assert "exercises" in (part / "index.md").read_text(encoding="utf-8").split("{toctree}")[-1]


def test_part_one_grades_with_the_checker() -> None:
    text = (DOCS / "part1" / "exercises.md").read_text(encoding="utf-8")
    assert "from backprop_book.symbolic.checker import" in text
    assert text.count("grade(check_") >= 5


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.name)
def test_exercise_code_fits_88_columns(part: Path) -> None:
    text = (part / "exercises.md").read_text(encoding="utf-8")
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, re.DOTALL)
    long = [line for cell in cells for line in cell.splitlines() if len(line) > 88]
    assert long == []
