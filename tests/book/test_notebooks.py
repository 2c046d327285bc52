"""Every chapter's notebook download: made at build time, holding the code its page shows.

The downloads are executed once, by the book build itself: ``nox -s docs`` installs the
package from the built wheel and runs every chapter with the checkout off the kernels'
path, from an empty folder (``BACKPROP_BOOK_KERNEL=wheel``, see
``backprop_book.sphinxext``), which is how a reader's download runs.  The tests here
check that a download is that chapter: the same code cells, the included code written
out, a first cell that checks the install.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from backprop_book.book.excerpts import excerpt
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
    check, *code = [c for c in nb.cells if c.cell_type == "code"]
    assert "pip install 'backprop_book-" in check.source
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
    assert [c.source for c in nb.cells if c.cell_type == "code"][1:] == ["x = 41 + 1"]
    assert "A chapter" in nb.cells[0].source
    html = (out / "ch.html").read_text()
    assert "_sources/ch.ipynb" in html
    assert "_sources/ch.ipynb" not in (out / "index.html").read_text()  # not a notebook


def test_included_code_is_written_into_the_download(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import os\n\n\ndef f(x):\n    return 2 * x\n\n\ny = 3\n")
    text = (
        FRONT
        + "# T\n\n```{literalinclude} m.py\n:pyobject: f\n```\n\n```{code-cell} ipython3\nimport numpy\n```\n"
    )
    nb = chapter_notebook(text, title="T", source_dir=tmp_path)
    shown = nb.cells[2].source
    assert "```python\ndef f(x):\n    return 2 * x\n```" in shown and "y = 3" not in shown
    assert "{literalinclude}" not in shown
    # the check cell names numpy, the one library the code imports
    assert "'numpy': 'numpy'" in nb.cells[1].source
    with pytest.raises(ValueError, match="expected the chapter's folder"):
        chapter_notebook(text)
    with pytest.raises(FileNotFoundError, match=r"literalinclude.* of a missing file"):
        chapter_notebook(text.replace("m.py", "gone.py"), source_dir=tmp_path)


_INCLUDE_RE = re.compile(r"^(`{3,}|:{3,})\{literalinclude\}", re.MULTILINE)
_EXCERPT_RE = re.compile(r"^`{3,}\{excerpt\} (\S+)\n((?::[\w-]+:.*\n)*)`{3,}", re.MULTILINE)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_download_holds_the_code_its_page_shows(path: Path) -> None:
    """The chapter's code cells, its included code as code blocks, and the install check first."""
    text = path.read_text(encoding="utf-8")
    nb = chapter_notebook(text, title=path.stem, source_dir=path.parent)
    chapter = jupytext.reads(text, fmt="md:myst")
    check, *code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code == [c.source for c in chapter.cells if c.cell_type == "code"]
    assert 'importlib.metadata.version("backprop_book")' in check
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{literalinclude}" not in markdown
    # a whole object (no :start-at:, :lines: ... narrowing it) arrives with its def line
    whole = re.findall(r"\{literalinclude\}.*\n:pyobject:\s*(\S+)\n(?!:)", text)
    for obj in whole:
        name = obj.rsplit(".", 1)[-1]
        assert re.search(rf"^\s*(async def|def|class) {re.escape(name)}\b", markdown, re.M), obj
    blocks = len(re.findall(r"^(`{3,})python$", markdown, re.MULTILINE))
    assert blocks >= len(_INCLUDE_RE.findall(text)) + len(_EXCERPT_RE.findall(text))
    # an excerpt arrives as the code the page shows, from its def line on
    assert "{excerpt}" not in markdown
    for name, end in _EXCERPT_RE.findall(text):
        marker = re.search(r":end-before:\s*\"(.*)\"", end)
        code = excerpt(name, marker[1] if marker else None).rstrip()
        assert f"```python\n{code}\n```" in markdown, name


def test_only_the_pages_that_say_why_reach_into_the_checkout() -> None:
    """A chapter runs from an empty folder (nb_execution_in_temp), and imports the package as
    installed: only the pages that opt out, saying why, find files of the checkout."""
    needs_checkout = {
        p.relative_to(DOCS).as_posix()
        for p in CHAPTERS
        if "execution_in_temp: false" in p.read_text(encoding="utf-8")
    }
    # speed.md times benchmarks/; the front page reads each part's index.md for its cards
    assert needs_checkout == {"part3/speed.md", "index.md"}
    for p in CHAPTERS:
        cells = jupytext.reads(p.read_text(encoding="utf-8"), fmt="md:myst").cells
        code = "\n".join(c.source for c in cells if c.cell_type == "code")
        # the checkout is found from the working folder, or from where the package lies
        reaches = "Path.cwd()" in code or "__file__" in code
        assert reaches == (p.relative_to(DOCS).as_posix() in needs_checkout), p
