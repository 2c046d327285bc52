"""The foundations part: in reading order, no report, a graded exercise and a figure per step."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


TOY_PAGE = """---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
---

# Toy step

```{literalinclude} snippet.py
:pyobject: answer
```

````{exercise-start} Toy
:label: ex-toy-listing
````

Statement. STATEMENT-MARK

```{code-cell} ipython3
print("EXERCISE-" + "OUTPUT")
```

````{exercise-end}
````

````{solution-start} ex-toy-listing
:class: dropdown
````

SOLUTION-PROSE-MARK

```{code-cell} ipython3
print("SOLUTION-" + "OUTPUT")
```

````{solution-end}
````
"""


@pytest.mark.book
@pytest.mark.slow
def test_a_page_with_listings_and_solutions_builds_as_the_student_edition(
    tmp_path: Path,
) -> None:
    """Every foundations chapter has both; the student edition's downloads need both read."""
    src = tmp_path / "book"
    src.mkdir()
    (src / "conf.py").write_text(
        "import runpy\n"
        f"_book = runpy.run_path({str(DOCS / 'conf.py')!r})\n"
        "globals().update({k: v for k, v in _book.items() if not k.startswith('__')})\n"
        "exclude_patterns = ['_build']\n"
        "html_static_path = html_static_path[1:]\n"
        "html_css_files = []\n"
        f"nb_execution_cache_path = {str(tmp_path / 'cache')!r}\n"
    )
    (src / "references.bib").write_text((DOCS / "references.bib").read_text(encoding="utf-8"))
    (src / "index.md").write_text("# Toy book\n\n```{toctree}\nstep\n```\n")
    (src / "step.md").write_text(TOY_PAGE)
    (src / "snippet.py").write_text("def answer():\n    return 'LISTING-' + 'MARK'\n")
    out = src / "_build" / "html"
    env = dict(os.environ, BACKPROP_BOOK_EDITION="student")
    env["PYTHONPATH"] = os.pathsep.join([str(DOCS.parent), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    notebook = (out / "_sources" / "step.ipynb").read_text(encoding="utf-8")
    assert "'LISTING-' + 'MARK'" in notebook and "STATEMENT-MARK" in notebook
    assert "SOLUTION-PROSE-MARK" not in notebook and "SOLUTION-" not in notebook
    page = (out / "step.html").read_text(encoding="utf-8")
    assert "EXERCISE-OUTPUT" in page and "SOLUTION-OUTPUT" not in page
