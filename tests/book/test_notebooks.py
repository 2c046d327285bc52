"""Every chapter's notebook download: made at build time, and runs clean outside the build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from backprop_book.book.notebooks import RUN_NOTE, chapter_notebook, is_notebook_source

pytestmark = [pytest.mark.site]

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CHAPTERS = sorted(
    p
    for p in DOCS.rglob("*.md")
    if "_build" not in p.parts and is_notebook_source(p.read_text(encoding="utf-8"))
)
FRONT = "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n"


def test_the_book_has_chapters_to_download() -> None:
    names = {p.relative_to(DOCS).as_posix() for p in CHAPTERS}
    assert "part1/mlp_backprop.md" in names
    assert {n.split("/")[0] for n in names} >= {"part1", "part2", "part3", "part4"}


def test_conversion_keeps_code_and_drops_the_cache_key() -> None:
    text = (
        "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n"
        "  backprop_book_key: abc123\n---\n# T\n\nSome $x^2$.\n\n"
        "```{code-cell} ipython3\n:tags: [hide-input]\nprint(1)\n```\n"
    )
    nb = chapter_notebook(text, title="T")
    assert nb.cells[0].source == RUN_NOTE.format(title="T")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.source for c in code] == ["print(1)"]
    assert code[0].metadata["tags"] == ["hide-input"]
    assert "backprop_book_key" not in nb.metadata.kernelspec
    assert nb.nbformat == 4


def test_conversion_refuses_a_plain_page() -> None:
    with pytest.raises(ValueError, match="expected a MyST notebook"):
        chapter_notebook("# Just text\n")
    with pytest.raises(TypeError, match="expected the chapter's source as str"):
        chapter_notebook(b"---\n")  # type: ignore[arg-type]


@pytest.mark.book
@pytest.mark.slow
def test_the_built_page_offers_its_notebook(tmp_path: Path) -> None:
    pytest.importorskip("sphinx_book_theme")
    src = tmp_path / "book"
    src.mkdir()
    (src / "conf.py").write_text(
        "extensions = ['myst_nb', 'backprop_book.book.notebooks']\n"
        "html_theme = 'sphinx_book_theme'\n"
        "html_theme_options = {'use_download_button': True}\n"
        "nb_execution_mode = 'off'\n"
        "suppress_warnings = ['myst-nb.lexer']  # not executed: no language_info\n"
        "exclude_patterns = ['_build']\n"
    )
    (src / "index.md").write_text("# Toy\n\n```{toctree}\nch\n```\n")
    (src / "ch.md").write_text(FRONT + "# A chapter\n\n```{code-cell} ipython3\nx = 41 + 1\n```\n")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    out = src / "_build" / "html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(src),
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    nb = nbformat.read(out / "_sources" / "ch.ipynb", as_version=4)
    assert [c.source for c in nb.cells if c.cell_type == "code"] == ["x = 41 + 1"]
    assert "A chapter" in nb.cells[0].source
    html = (out / "ch.html").read_text()
    assert "_sources/ch.ipynb" in html
    assert "_sources/ch.ipynb" not in (out / "index.html").read_text()  # not a notebook


@pytest.mark.book
@pytest.mark.slow
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_chapter_notebook_runs_clean(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The downloaded notebook, in a fresh kernel, from an empty folder, at the quick profile."""
    nbclient = pytest.importorskip("nbclient")
    nb = chapter_notebook(path.read_text(encoding="utf-8"), title=path.stem)
    monkeypatch.setenv("BACKPROP_BOOK_PROFILE", "quick")
    monkeypatch.setenv("MPLBACKEND", "agg")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    work = tmp_path / "work"
    work.mkdir()
    client = nbclient.NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(work)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors == []
    executed = [c for c in nb.cells if c.cell_type == "code"]
    assert executed and all(c.execution_count for c in executed)
