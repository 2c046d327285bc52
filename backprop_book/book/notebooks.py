"""Each chapter of the book as a Jupyter notebook that runs on its own, offered by the download button.

The chapters are MyST Markdown notebooks (text files); a reader who wants to run
one in Jupyter gets it as ``.ipynb``.  :func:`chapter_notebook` converts a chapter
with jupytext (``md:myst``), without outputs.  Two things make the download run
outside the book's checkout:

* the code a page shows with ``{literalinclude}`` (a function of the package, read
  with Sphinx's own reader, so ``:pyobject:`` and ``:lines:`` pick the same lines as
  on the page) or with ``{excerpt}`` (the function without docstring and checks, cut
  by :mod:`backprop_book.book.excerpts` as on the page) is written into the notebook
  as a code block, not left as directive text;
* a first code cell (:func:`install_check`) says what to install -- the book's
  wheel with its ``notebook`` extra -- and checks it: the package's version and every
  library the notebook imports.

As a Sphinx extension (``backprop_book.book.notebooks`` in ``conf.py``) the module
writes the notebook of every executable page to ``_sources/<page>.ipynb`` during the
HTML build and tells sphinx-book-theme's download button to offer it (the theme's
``ipynb_source``).

>>> nb = chapter_notebook(
...     "---\\nfile_format: mystnb\\nkernelspec:\\n  name: python3\\n  display_name: Python 3\\n"
...     "---\\n# A chapter\\n\\n```{code-cell} ipython3\\nx = 1 + 1\\n```\\n",
...     title="A chapter",
... )
>>> [c.cell_type for c in nb.cells]
['markdown', 'code', 'markdown', 'code']
>>> nb.cells[3].source
'x = 1 + 1'
>>> nb.metadata.kernelspec["name"]
'python3'
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from backprop_book import __version__
from backprop_book._io import atomic_write_text

__all__ = [
    "RUN_NOTE",
    "chapter_notebook",
    "inline_literalincludes",
    "install_check",
    "is_notebook_source",
    "setup",
    "write_chapter_notebook",
]

#: The first cell of every downloaded notebook.
RUN_NOTE = (
    "*This notebook is the chapter \u201c{title}\u201d of* Backpropagation, executed, "
    "*converted from its MyST source.* It needs no checkout of the book: install the "
    "book's package with its `notebook` extra (the next cell says how, and checks it). "
    "The package carries the recorded full-profile results the chapter reads. It runs "
    "at the `quick` profile unless `BACKPROP_BOOK_PROFILE=full` is set; Part IV's "
    "chapters need CIFAR-10 (`backprop-book info` tells where it is looked for). The "
    "code the page shows from the package is included as code blocks; roles such as "
    "`{{glue}}` are Sphinx markup: the book renders them, Jupyter shows them as text."
)

#: Distributions to install for a top-level module a notebook imports, where the names differ.
_DISTRIBUTIONS = {"PIL": "pillow", "IPython": "ipython", "myst_nb": "myst-nb", "yaml": "pyyaml"}

_FENCE_RE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{literalinclude\}[ \t]+(?P<path>\S+)[ \t]*\n"
    r"(?P<options>(?:[ \t]*:[\w-]+:.*\n)*)"
    r"(?P=fence)[ \t]*$",
    re.MULTILINE,
)
_EXCERPT_RE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{excerpt\}[ \t]+(?P<name>\S+)[ \t]*\n"
    r"(?P<options>(?:[ \t]*:[\w-]+:.*\n)*)"
    r"(?P=fence)[ \t]*$",
    re.MULTILINE,
)
_OPTION_RE = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>.*?)[ \t]*$", re.MULTILINE)

_KERNELSPEC_RE = re.compile(r"\A---\s*\n.*?^kernelspec:", re.DOTALL | re.MULTILINE)


def is_notebook_source(text: str) -> bool:
    """True for a MyST-NB notebook: YAML front matter with a ``kernelspec``.

    >>> is_notebook_source("---\\nkernelspec:\\n  name: python3\\n---\\n# T\\n")
    True
    >>> is_notebook_source("# Plain page\\n")
    False
    """
    return bool(_KERNELSPEC_RE.match(text))


def inline_literalincludes(markdown: str, source_dir: str | Path) -> str:
    """Replace each ``{literalinclude}`` and ``{excerpt}`` directive of a Markdown cell by
    the code it shows.

    The code is read with Sphinx's :class:`~sphinx.directives.code.LiteralIncludeReader`
    (the reader of the directive itself), so ``:pyobject:``, ``:lines:``,
    ``:start-at:`` and the like select what the page shows.  A relative path is taken
    from ``source_dir``, the chapter's folder.  An ``{excerpt}`` shows what
    :func:`backprop_book.book.excerpts.excerpt` gives (its ``:end-before:`` too).

    Raises
    ------
    FileNotFoundError
        If an included file does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "m.py").write_text("def f(x):\\n    return 2 * x\\n\\n\\ny = 3\\n")
    >>> print(inline_literalincludes("See:\\n\\n```{literalinclude} m.py\\n:pyobject: f\\n```\\n", folder))
    See:
    <BLANKLINE>
    ```python
    def f(x):
        return 2 * x
    ```
    <BLANKLINE>
    """
    import yaml
    from sphinx.directives.code import LiteralInclude, LiteralIncludeReader

    config: Any = SimpleNamespace(source_encoding="utf-8")  # all the reader asks of Sphinx's

    def code(match: re.Match[str]) -> str:
        path = Path(source_dir, match["path"])
        if not path.is_file():
            raise FileNotFoundError(f"{{literalinclude}} of a missing file: {path}")
        # MyST reads the option block as YAML (":start-at: \"X: y\"" is X: y), then
        # Sphinx converts each value with the directive's own option_spec
        options: dict[str, Any] = {}
        for m in _OPTION_RE.finditer(match["options"]):
            value = yaml.safe_load(f"v: {m['value']}")["v"] if m["value"] else None
            convert: Any = LiteralInclude.option_spec.get(m["key"])
            options[m["key"]] = convert(None if value is None else str(value)) if convert else value
        text, _ = LiteralIncludeReader(str(path), options, config).read()
        language = options.get("language") or ("python" if path.suffix == ".py" else "")
        fence = "````" if "```" in text else "```"
        return f"{fence}{language}\n{text.rstrip()}\n{fence}"

    def excerpt_code(match: re.Match[str]) -> str:
        from backprop_book.book.excerpts import excerpt

        options = {m["key"]: m["value"] for m in _OPTION_RE.finditer(match["options"])}
        end = options.get("end-before")
        text = excerpt(match["name"], yaml.safe_load(f"v: {end}")["v"] if end else None)
        fence = "````" if "```" in text else "```"
        return f"{fence}python\n{text.rstrip()}\n{fence}"

    return _EXCERPT_RE.sub(excerpt_code, _FENCE_RE.sub(code, markdown))


def _imported_modules(code_cells: list[str]) -> list[str]:
    """Top-level names of the non-standard modules that the cells import, sorted."""
    names: set[str] = set()
    for source in code_cells:
        try:
            tree = ast.parse(source)
        except SyntaxError:  # IPython magics: not this check's business
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return sorted(n for n in names if n not in sys.stdlib_module_names and n != "backprop_book")


def install_check(modules: list[str], version: str = __version__) -> str:
    """The first code cell of a notebook: what to install, and a check that it is there.

    The cell raises ``ModuleNotFoundError`` naming what to install when the package is
    missing or another version, or when a library the notebook imports is missing.

    >>> cell = install_check(["numpy"])
    >>> print(cell.splitlines()[0])
    # This notebook needs the book's package and its notebook extra, e.g. in a fresh venv:
    >>> exec(cell)  # doctest: +ELLIPSIS
    backprop_book ... with numpy
    >>> exec(install_check(["numpy"], version="9.9"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ModuleNotFoundError: expected backprop_book 9.9 (pip install 'backprop_book-9.9-py3-none-any.whl[notebook]'), found ...
    >>> exec(install_check(["surely_not_a_module_xyz"]))
    Traceback (most recent call last):
    ...
    ModuleNotFoundError: this notebook imports what is not installed: pip install surely_not_a_module_xyz
    """
    wheel = f"backprop_book-{version}-py3-none-any.whl"
    needs = {m: _DISTRIBUTIONS.get(m, m) for m in modules}
    return "\n".join(
        [
            "# This notebook needs the book's package and its notebook extra, e.g. in a fresh venv:",
            f"#   pip install '{wheel}[notebook]'",
            "# (the wheel is built in a checkout of the book with",
            "#  `python -m pip wheel --no-deps . -w dist`). This cell checks what is installed.",
            "import importlib.metadata",
            "import importlib.util",
            "",
            "try:",
            '    _found = importlib.metadata.version("backprop_book")',
            "except importlib.metadata.PackageNotFoundError:",
            "    _found = None",
            f"if _found != {version!r}:",
            "    raise ModuleNotFoundError(",
            f"        \"expected backprop_book {version} (pip install '{wheel}[notebook]'), \"",
            "        f\"found {_found or 'none'}\"",
            "    )",
            f"_needs = {needs!r}",
            "_missing = sorted(d for m, d in _needs.items() if importlib.util.find_spec(m) is None)",
            "if _missing:",
            "    raise ModuleNotFoundError(",
            "        f\"this notebook imports what is not installed: pip install {' '.join(_missing)}\"",
            "    )",
            'print("backprop_book", _found, "with", ", ".join(_needs) or "no other library")',
        ]
    )


def chapter_notebook(text: str, *, title: str = "", source_dir: str | Path | None = None) -> Any:
    """Convert a chapter's MyST source to an ``nbformat`` notebook (version 4, no outputs).

    Parameters
    ----------
    text
        The chapter's MyST Markdown source, with its YAML front matter.
    title
        The chapter's title, named in the first cell.
    source_dir
        The chapter's folder, from which its ``{literalinclude}`` paths are read.

    Raises
    ------
    ValueError
        If ``text`` is not a MyST-NB notebook (no ``kernelspec`` in its front matter),
        or it includes code with ``{literalinclude}`` and ``source_dir`` is not given.
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
    nb.metadata.pop("mystnb", None)  # the build's execution settings
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        if "{literalinclude}" in cell.source and source_dir is None:
            raise ValueError(
                "expected the chapter's folder (source_dir) to read its {literalinclude} code"
            )
        if "{literalinclude}" in cell.source or "{excerpt}" in cell.source:
            cell.source = inline_literalincludes(cell.source, source_dir or ".")
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    note = nbformat.v4.new_markdown_cell(RUN_NOTE.format(title=title or "this chapter"))
    check = nbformat.v4.new_code_cell(install_check(_imported_modules(code)))
    nb.cells[:0] = [note, check]
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

    source = Path(source)
    nb = chapter_notebook(source.read_text(encoding="utf-8"), title=title, source_dir=source.parent)
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
