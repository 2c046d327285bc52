"""Part III's graded exercises: run the page's cells in order; each exercise's starting
code grades wrong, each hidden solution grades right, and a graded cell prints only
grades."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

import backprop_book.grading as grading

pytestmark = [pytest.mark.part3]

PAGE = Path(__file__).resolve().parents[2] / "docs" / "part3" / "exercises.md"
FENCE = re.compile(r"^`{3,}\{(exercise|solution)-(start|end)\}\s*(\S*)")


def cells(text: str) -> list[tuple[str | None, str | None, str]]:
    """(block kind, exercise label, source) of every code cell, in page order."""
    out: list[tuple[str | None, str | None, str]] = []
    kind = label = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := FENCE.match(line):
            if m.group(2) == "end":
                kind = label = None
            else:
                kind = m.group(1)
                # a solution names its exercise; an exercise has a title, then its label
                label = m.group(3) if kind == "solution" else lines[i + 1].split()[-1]
        elif line.startswith("```{code-cell}"):
            body = []
            i += 1
            while not lines[i].startswith("```"):
                if not (not body and lines[i].startswith(":")):  # cell options
                    body.append(lines[i])
                i += 1
            out.append((kind, label, "\n".join(body)))
        i += 1
    return out


def exercise_text(text: str, label: str) -> str:
    start = text.index(f":label: {label}")
    return text[start : text.index("{exercise-end}", start)]


def test_graded_exercises_grade_wrong_until_solved(monkeypatch: pytest.MonkeyPatch) -> None:
    grades: list[grading.Grade] = []
    real = grading.check_backward

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        grade = real(*args, **kwargs)
        grades.append(grade)
        return grade

    monkeypatch.setattr(grading, "check_backward", recording)
    text = PAGE.read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "exercises"}
    graded: dict[str, set[str]] = {}
    for kind, label, source in cells(text):
        grades.clear()
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(source, f"{PAGE.name}:{label}", "exec"), namespace)
        if not grades:
            continue
        assert kind is not None and label is not None, (
            f"a graded cell outside an exercise:\n{source}"
        )
        graded.setdefault(label, set()).add(kind)
        if kind == "exercise":
            assert not all(grades), f"{label}: the starting code already grades right"
        else:
            assert all(grades), f"{label}: the solution grades {[str(g) for g in grades]}"
        lines = printed.getvalue().splitlines()
        assert lines and all(line.startswith(("right: ", "wrong: ")) for line in lines), (
            f"{label}: a graded cell prints more than its grades: {lines}"
        )
    assert len(graded) >= 4, f"graded exercises: {sorted(graded)}"
    for label, kinds in graded.items():
        assert kinds == {"exercise", "solution"}, f"{label}: graded only in {kinds}"
        assert "report" not in exercise_text(text, label).lower(), f"{label} needs a report"


def test_cells_parser_reads_blocks_and_labels() -> None:
    page = (
        "```{code-cell} ipython3\nx = 1\n```\n"
        "````{exercise-start} T\n:label: ex-a\n````\n"
        "```{code-cell} ipython3\n:tags: [hide-input]\ny = 2\n```\n"
        "````{exercise-end}\n````\n"
        "````{solution-start} ex-a\n:class: dropdown\n````\n"
        "```{code-cell} ipython3\nz = 3\n```\n"
        "````{solution-end}\n````\n"
    )
    assert cells(page) == [
        (None, None, "x = 1"),
        ("exercise", "ex-a", "y = 2"),
        ("solution", "ex-a", "z = 3"),
    ]
