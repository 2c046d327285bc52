"""Each chapter of the book as a Jupyter notebook, offered by the page's download button.

The chapters are MyST Markdown notebooks (text files); a reader who wants to run
one in Jupyter gets it as ``.ipynb``.  :func:`chapter_notebook` converts a chapter
with jupytext (``md:myst``), without outputs, and puts a first cell in front that
says where it comes from and how to run it.  As a Sphinx extension
(``backprop_book.book.notebooks`` in ``conf.py``) the module writes the notebook of
every executable page to ``_sources/<page>.ipynb`` during the HTML build and tells
sphinx-book-theme's download button to offer it (the theme's ``ipynb_source``).

The tests run every chapter's notebook in a fresh kernel from an empty folder
(``tests/book/test_notebooks.py``), so a download that only runs inside the build
is caught.

>>> nb = chapter_notebook(
...     "---\\nfile_format: mystnb\\nkernelspec:\\n  name: python3\\n  display_name: Python 3\\n"
...     "---\\n# A chapter\\n\\n```{code-cell} ipython3\\nx = 1 + 1\\n```\\n",
...     title="A chapter",
... )
>>> [c.cell_type for c in nb.cells]
['markdown', 'markdown', 'code']
>>> nb.cells[2].source
'x = 1 + 1'
>>> nb.metadata.kernelspec["name"]
'python3'
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

__all__ = ["RUN_NOTE", "chapter_notebook", "is_notebook_source", "setup", "write_chapter_notebook"]

#: The first cell of every downloaded notebook.
RUN_NOTE = (
    "*This notebook is the chapter \u201c{title}\u201d of* Backpropagation, executed, "
    "*converted from its MyST source.* Run it from a checkout of the book's repository "
    "with the package installed (`pip install -e '.[docs]'`), so that `backprop_book` "
    "and the recorded results under `docs/results/` are found. It runs at the `quick` "
    "profile unless `BACKPROP_BOOK_PROFILE=full` is set. Directives such as "
    "`{{literalinclude}}` or `{{glue}}` are Sphinx markup: the book renders them, "
    "Jupyter shows them as text."
)

_KERNELSPEC_RE = re.compile(r"\A---\s*\n.*?^kernelspec:", re.DOTALL | re.MULTILINE)


def is_notebook_source(text: str) -> bool:
    """True for a MyST-NB notebook: YAML front matter with a ``kernelspec``.

    >>> is_notebook_source("---\\nkernelspec:\\n  name: python3\\n---\\n# T\\n")
    True
    >>> is_notebook_source("# Plain page\\n")
    False
    """
    return bool(_KERNELSPEC_RE.match(text))


def chapter_notebook(text: str, *, title: str = "") -> Any:
    """Convert a chapter's MyST source to an ``nbformat`` notebook (version 4, no outputs).

    Parameters
    ----------
    text
        The chapter's MyST Markdown source, with its YAML front matter.
    title
        The chapter's title, named in the first cell.

    Raises
    ------
    ValueError
        If ``text`` is not a MyST-NB notebook (no ``kernelspec`` in its front matter).
    """
    if not isinstance(text, str):
        raise TypeError(f"expected the chapter's source as str, got {type(text).__name__}")
    if not is_notebook_source(text):
        raise ValueError(
            "expected a MyST notebook (front matter with a kernelspec), got a plain page"
        )
    import jupytext
    import nbformat

    nb = jupytext.reads(text, fmt="md:myst")
    kernelspec = dict(nb.metadata.get("kernelspec", {}))
    kernelspec.pop("backprop_book_key", None)  # the build's cache key, not the reader's business
    kernelspec.setdefault("name", "python3")
    kernelspec.setdefault("display_name", "Python 3")
    kernelspec.setdefault("language", "python")
    nb.metadata["kernelspec"] = kernelspec
    nb.metadata.pop("jupytext", None)
    nb.metadata.pop("file_format", None)
    nb.metadata["language_info"] = {"name": "python"}
    note = nbformat.v4.new_markdown_cell(RUN_NOTE.format(title=title or "this chapter"))
    nb.cells.insert(0, note)
    for cell in nb.cells:
        cell.pop("id", None)
    nb = nbformat.v4.upgrade(nb) if nb.nbformat < 4 else nb
    nb.nbformat, nb.nbformat_minor = 4, 5
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nbformat.validate(nb)
    return nb


def write_chapter_notebook(source: str | Path, target: str | Path, *, title: str = "") -> Path:
    """Write the notebook of the chapter file ``source`` to ``target`` (atomically)."""
    import nbformat

    from backprop_book._io import atomic_write_text

    nb = chapter_notebook(Path(source).read_text(encoding="utf-8"), title=title)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(target, nbformat.writes(nb))


# ----------------------------------------------------------------------------- Sphinx hook


def _on_page_context(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if doctree is None or app.builder.format != "html":
        return
    path = Path(app.env.doc2path(pagename))
    if path.suffix != ".md" or not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    if not is_notebook_source(text):
        return
    title = context.get("title", "")
    title = re.sub(r"<[^>]+>", "", title)
    target = Path(app.outdir, "_sources", pagename + ".ipynb")
    write_chapter_notebook(path, target, title=title)
    context["ipynb_source"] = pagename + ".ipynb"


def setup(app: Any) -> dict[str, Any]:
    """Register the download of each chapter as a notebook (before the theme's buttons)."""
    # sphinx-book-theme adds its header buttons at priority 501: run before it
    app.connect("html-page-context", _on_page_context, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
