"""The foundations part: in reading order, no report, a graded exercise and a figure per step."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from backprop_book.profiles import PART_BUDGETS_S, part_of

pytestmark = [pytest.mark.site, pytest.mark.foundations]

DOCS = Path(__file__).resolve().parents[2] / "docs"
PART = DOCS / "foundations"
ORDER = ["sensitivity", "chain_rule", "graphs", "dimensions", "one_layer", "cost"]
START = re.compile(
    r"^`{3,}\{exercise-start\}[^\n]*\n:label: (\S+)\n`{3,}\n(.*?)^`{3,}\{exercise-end\}",
    re.MULTILINE | re.DOTALL,
)
SOLUTION = re.compile(
    r"^`{3,}\{solution-start\} (\S+)\n:class: dropdown\n`{3,}\n(.*?)^`{3,}\{solution-end\}",
    re.MULTILINE | re.DOTALL,
)
FIGURE = re.compile(
    r"^```\{glue:figure\} (\S+)\n((?::\S+:[^\n]*\n)*)\n(.+?)^```", re.MULTILINE | re.DOTALL
)


def _text(name: str) -> str:
    return (PART / f"{name}.md").read_text(encoding="utf-8")


def test_the_part_comes_first_and_lists_its_chapters_in_order() -> None:
    index = (PART / "index.md").read_text(encoding="utf-8")
    toctree = index.split("```{toctree}")[1].split("```")[0]
    assert [line for line in toctree.splitlines()[2:] if line] == ORDER
    book = (DOCS / "index.md").read_text(encoding="utf-8")
    body = book.split(":caption: The book")[1].split("```")[0]
    assert body.index("foundations/index") < body.index("part*/index")
    assert '[docs / "foundations" / "index.md", *sorted(docs.glob("part*/index.md"))]' in book
    assert part_of("foundations/cost") == "foundations" and "foundations" in PART_BUDGETS_S


@pytest.mark.parametrize("name", ["index", *ORDER])
def test_no_report_is_mentioned(name: str) -> None:
    assert not re.search(r"report", _text(name), re.IGNORECASE)


@pytest.mark.parametrize("name", ORDER)
def test_each_chapter_ends_with_a_graded_exercise_and_a_hidden_solution(name: str) -> None:
    text = _text(name)
    exercises = START.findall(text)
    assert len(exercises) >= 1, name
    solutions = dict(SOLUTION.findall(text))
    for label, body in exercises:
        # the cell grades with the package and prints only the verdict, never the grade
        assert "print(verdict(check_backward(" in body, label
        assert not re.search(r"print\((check_backward|grade)\b", body), label
        assert label in solutions, f"{label}: no dropdown solution"
        assert "{code-cell}" in solutions[label] and "verdict(" in solutions[label], label


@pytest.mark.parametrize("name", ORDER)
def test_each_figure_is_numbered_captioned_and_described(name: str) -> None:
    figures = FIGURE.findall(_text(name))
    if name in ("dimensions", "one_layer"):
        return  # these two steps are checked by numbers, not pictures
    assert figures, name
    for key, options, caption in figures:
        assert re.search(r"^:name: fig-\S+$", options, re.MULTILINE), key
        alt = re.search(r"^:alt: (.+)$", options, re.MULTILINE)
        assert alt and len(alt.group(1)) > 60, f"{key}: no useful alt text"
        assert len(caption.split()) > 10, f"{key}: no caption"
        assert not re.search(r"\d", alt.group(1)), f"{key}: a typed number in the alt text"


def test_the_chain_rule_is_drawn_with_values_and_gradients() -> None:
    for name in ("sensitivity", "chain_rule", "graphs"):
        assert "to_svg(" in _text(name) and "values=True" in _text(name), name


@pytest.mark.book
@pytest.mark.slow
def test_the_chapters_run_alone_within_the_part_budget() -> None:
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    spent = 0.0
    for name in ORDER:
        nb = jupytext.read(PART / f"{name}.md")
        start = time.perf_counter()
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute(cwd=str(PART))
        spent += time.perf_counter() - start
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.get("output_type") == "error"], name
        streams = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
        # every exercise's first attempt is graded wrong, its solution right
        assert streams.count("\nright\n") + streams.startswith("right\n") >= 1, name
        assert "wrong: " in streams, name
    assert spent < PART_BUDGETS_S["foundations"], f"{spent:.1f} s"
