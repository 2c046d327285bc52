"""Every part ends with exercises whose solutions are hidden and hold executed code."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PARTS = sorted(p.parent for p in DOCS.glob("part*/exercises.md"))
START = re.compile(r"^`{3,}\{exercise-start\}[^\n]*\n:label: (\S+)", re.MULTILINE)
SOLUTION = re.compile(
    r"^`{3,}\{solution-start\} (\S+)\n:class: dropdown\n`{3,}\n(.*?)^`{3,}\{solution-end\}",
    re.MULTILINE | re.DOTALL,
)


@pytest.mark.site
def test_parts_one_to_four_have_exercise_pages() -> None:
    assert {p.name for p in PARTS} >= {"part1", "part2", "part3", "part4"}


@pytest.mark.site
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


@pytest.mark.site
def test_part_one_grades_with_the_checker() -> None:
    text = (DOCS / "part1" / "exercises.md").read_text(encoding="utf-8")
    assert "from backprop_book.symbolic.checker import" in text
    assert text.count("grade(check_") >= 9


@pytest.mark.site
@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.name)
def test_exercise_code_fits_88_columns(part: Path) -> None:
    text = (part / "exercises.md").read_text(encoding="utf-8")
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, re.DOTALL)
    long = [line for cell in cells for line in cell.splitlines() if len(line) > 88]
    assert long == []


# ----------------------------------------------------------------------------- graded exercises
# Parts I, II, IV and V each have at least four exercises that need no report and are
# graded by the package (the sympy checker or backprop_book.grading.check_backward). The
# tests run each page's cells in order, as the build does (without a kernel), and check
# that the cell an exercise starts with grades *wrong* (the planted slip, or the blank to
# fill in) and that its solution grades *right*; and that no graded cell prints a
# diagnosis that gives the fix away.
GRADED_PARTS = ["part1", "part2", "part4", "part5"]
GRADE_CALL = re.compile(r"\bgrade\(check_\w+\(")
EXERCISE_START = re.compile(r"^`{3,}\{exercise-start\}[^\n]*\n:label: (\S+)", re.MULTILINE)
SOLUTION_START = re.compile(r"^`{3,}\{solution-start\} (\S+)", re.MULTILINE)
BLOCK_END = re.compile(r"^`{3,}\{(exercise|solution)-end\}", re.MULTILINE)
# the sympy checker's diagnoses of a mismatch: each says what the fix is
GIVEAWAYS = (
    "opposite sign",
    "dropped minus",
    "claim / truth",
    "zero where the truth",
    "claim - truth",
)


@dataclass
class Cell:
    source: str
    block: tuple[str, str] | None  # ("exercise" | "solution", label), or None outside both
    output: str = ""


def page_cells(part: str) -> tuple[list[Cell], dict[str, str]]:
    """The page's code cells, each with the exercise or solution block it sits in, and the
    text of every exercise block (its statement), by label."""
    import jupytext

    text = (DOCS / part / "exercises.md").read_text(encoding="utf-8")
    statements = {}
    for m in EXERCISE_START.finditer(text):
        end = BLOCK_END.search(text, m.end())
        assert end is not None, f"{part}: exercise {m.group(1)} never ends"
        statements[m.group(1)] = text[m.start() : end.start()]
    nb = jupytext.reads(text, fmt="md:myst")
    cells, block = [], None
    for cell in nb.cells:
        if cell.cell_type == "code":
            cells.append(Cell(cell.source, block))
            continue
        marks = [
            (m.start(), ("exercise", m.group(1))) for m in EXERCISE_START.finditer(cell.source)
        ]
        marks += [
            (m.start(), ("solution", m.group(1))) for m in SOLUTION_START.finditer(cell.source)
        ]
        marks += [(m.start(), None) for m in BLOCK_END.finditer(cell.source)]
        if marks:
            block = max(marks, key=lambda pair: pair[0])[1]
    return cells, statements


@functools.cache
def executed(part: str) -> tuple[tuple[Cell, ...], dict[str, str]]:
    """Run the page's cells in order in one namespace, as a kernel would, keeping outputs."""
    cells, statements = page_cells(part)
    namespace: dict[str, object] = {"__name__": "__main__"}
    for i, cell in enumerate(cells):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(cell.source, f"{part}/exercises.md cell {i}", "exec"), namespace)
        cell.output = buffer.getvalue()
    return tuple(cells), statements


def graded_without_report(part: str) -> list[str]:
    cells, statements = executed(part)
    labels = []
    for label, statement in statements.items():
        own = [c for c in cells if c.block == ("exercise", label)]
        if "report" not in statement.lower() and any(GRADE_CALL.search(c.source) for c in own):
            labels.append(label)
    return labels


def grades(output: str) -> list[str]:
    """The first word of every grade a cell printed: 'right' or 'wrong'."""
    return re.findall(r"^(right|wrong)\b", output, re.MULTILINE)


@pytest.mark.book
@pytest.mark.parametrize("part", GRADED_PARTS)
def test_four_graded_exercises_need_no_report(part: str) -> None:
    labels = graded_without_report(part)
    assert len(labels) >= 4, f"{part}: only {labels} are graded and need no report"


@pytest.mark.book
@pytest.mark.parametrize("part", GRADED_PARTS)
def test_exercise_grades_wrong_and_its_solution_right(part: str) -> None:
    cells, _ = executed(part)
    for label in graded_without_report(part):
        start = [g for c in cells if c.block == ("exercise", label) for g in grades(c.output)]
        solved = [g for c in cells if c.block == ("solution", label) for g in grades(c.output)]
        assert start and set(start) == {"wrong"}, f"{label}: the exercise's cell grades {start}"
        assert solved and set(solved) == {"right"}, f"{label}: the solution grades {solved}"


@pytest.mark.book
@pytest.mark.parametrize("part", GRADED_PARTS)
def test_graded_cells_do_not_print_the_fix(part: str) -> None:
    cells, _ = executed(part)
    graded = [c for c in cells if c.block and c.block[0] == "exercise" and grades(c.output)]
    assert graded, f"{part}: no exercise cell printed a grade"
    for cell in graded:
        told = [w for w in GIVEAWAYS if w in cell.output]
        assert told == [], f"{cell.block[1]}: the grade says {told}"


# ----------------------------------------------------------------------------- the student's edition
TOY_EXERCISES = """---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
---

# Exercises

````{exercise-start} Add two numbers
:label: ex-toy
````

What is 20 + 22? EXERCISE-STATEMENT-MARK

```{code-cell} ipython3
print("EXERCISE-OUTPUT-" + "MARK")
```

````{exercise-end}
````

````{solution-start} ex-toy
:class: dropdown
````

SOLUTION-PROSE-MARK: forty-two.

```{code-cell} ipython3
print("SOLUTION-OUTPUT-" + "MARK")
```

````{solution-end}
````

After the exercise. PAGE-END-MARK
"""


def build_toy_book(tmp_path: Path, edition: str) -> Path:
    """Build a one-exercise book with the book's own docs/conf.py; return its HTML folder."""
    src = tmp_path / edition
    src.mkdir()
    (src / "conf.py").write_text(
        "import runpy\n"
        f"_book = runpy.run_path({str(DOCS / 'conf.py')!r})\n"
        "globals().update({k: v for k, v in _book.items() if not k.startswith('__')})\n"
        "exclude_patterns = ['_build']\n"
        "html_static_path = html_static_path[1:]  # MathJax only: the toy has no _static\n"
        "html_css_files = []\n"
        f"nb_execution_cache_path = {str(tmp_path / f'cache-{edition}')!r}\n"
    )
    (src / "references.bib").write_text((DOCS / "references.bib").read_text(encoding="utf-8"))
    (src / "index.md").write_text("# Toy book\n\n```{toctree}\nexercises\n```\n")
    (src / "exercises.md").write_text(TOY_EXERCISES)
    out = src / "_build" / "html"
    env = dict(os.environ, BACKPROP_BOOK_EDITION=edition)
    env["PYTHONPATH"] = os.pathsep.join([str(DOCS.parent), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", str(src), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def files_holding(folder: Path, mark: str) -> list[str]:
    return sorted(
        str(f.relative_to(folder))
        for f in folder.rglob("*")
        if f.is_file() and mark.encode() in f.read_bytes()
    )


@pytest.mark.book
@pytest.mark.slow
def test_student_edition_holds_no_solution(tmp_path: Path) -> None:
    student = build_toy_book(tmp_path, "student")
    page = (student / "exercises.html").read_text(encoding="utf-8")
    for mark in ("EXERCISE-STATEMENT-MARK", "EXERCISE-OUTPUT-MARK", "PAGE-END-MARK"):
        assert mark in page, f"the student's page lost {mark}"
    # not in the page, the search index, the .md copy or the downloadable notebook
    for mark in ("SOLUTION-PROSE-MARK", "SOLUTION-OUTPUT-", "solution-start"):
        assert files_holding(student, mark) == [], mark
    assert 'class="solution' not in page
    # the downloads are still there, cut
    notebook = student / "_sources" / "exercises.ipynb"
    assert "EXERCISE-STATEMENT-MARK" in notebook.read_text(encoding="utf-8")
    # the instructor's edition of the same book shows the solution and its output
    instructor = build_toy_book(tmp_path, "instructor")
    page = (instructor / "exercises.html").read_text(encoding="utf-8")
    assert "SOLUTION-PROSE-MARK" in page and "SOLUTION-OUTPUT-MARK" in page


def test_an_unknown_edition_is_refused(tmp_path: Path) -> None:
    env = dict(os.environ, BACKPROP_BOOK_EDITION="teacher")
    env["PYTHONPATH"] = os.pathsep.join([str(DOCS.parent), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", f"import runpy; runpy.run_path({str(DOCS / 'conf.py')!r})"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "BACKPROP_BOOK_EDITION must be one of instructor, student, got 'teacher'" in proc.stderr
