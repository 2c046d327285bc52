"""Sphinx configuration of the executable book."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backprop_book import __version__
from backprop_book.profiles import get_profile

project = "backprop_book"
author = "The backprop_book authors"
copyright = "2026, the backprop_book authors"
version = release = __version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx_copybutton",
    "sphinx_design",
    "sphinxcontrib.bibtex",
    "sphinx_exercise",
    "sphinx_togglebutton",
    "backprop_book.sphinxext",
    "backprop_book.book.notebooks",
    "backprop_book.book.rendering",
    "backprop_book.book.excerpts",
]

exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "**/.ipynb_checkpoints",
    "results/README.md",
]
nitpicky = False

# --- figures ----------------------------------------------------------------------------
# Every figure is numbered ("Figure 3"), with a caption and alt text (the site check
# fails one without).  Figures drawn by code cells come out as SVG: the kernels that
# MyST-NB starts read an IPython profile, written here into the build folder, that
# switches matplotlib's inline backend to SVG.  BACKPROP_BOOK_FIGURES names that setting
# and keys the execution cache (bb_key_env below), so a change re-executes the chapters.
numfig = True
numfig_format = {"figure": "Figure %s", "table": "Table %s", "code-block": "Listing %s"}
FIGURE_FORMAT = "svg"
_BUILD = Path(os.environ.get("BACKPROP_BOOK_BUILD_DIR", ROOT / "docs" / "_build"))
_IPYTHON = _BUILD / "ipython"


def _kernel_profile() -> None:
    from backprop_book._io import atomic_write_text

    (_IPYTHON / "profile_default").mkdir(parents=True, exist_ok=True)
    atomic_write_text(
        _IPYTHON / "profile_default" / "ipython_kernel_config.py",
        "# written by docs/conf.py: the book's figures are SVG\n"
        f"c.InlineBackend.figure_formats = {{{FIGURE_FORMAT!r}}}\n"
        # the same SVG for the same figure (ids from a fixed salt), fonts as paths
        "c.InlineBackend.rc = {'svg.hashsalt': 'backprop_book', 'svg.fonttype': 'path'}\n",
    )
    os.environ["IPYTHONDIR"] = str(_IPYTHON)
    os.environ["BACKPROP_BOOK_FIGURES"] = f"{FIGURE_FORMAT};v1"


_kernel_profile()

# --- MyST / MyST-NB -------------------------------------------------------------------
myst_enable_extensions = ["amsmath", "dollarmath", "colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3
nb_execution_mode = "cache"
# The cache lives in the build folder; backprop_book.sphinxext keys every chapter on the
# package modules it imports, the installed versions and the profile (see its docstring).
nb_execution_cache_path = str(_BUILD / ".jupyter_cache")
nb_execution_raise_on_error = True
# Each chapter runs from an empty folder, as a reader's downloaded notebook does: a chapter
# that reached into the checkout by a relative path would fail here, not in the reader's
# hands (with BACKPROP_BOOK_KERNEL=wheel, as nox -s docs sets it, the package comes from
# the installed wheel too; see backprop_book.sphinxext).
nb_execution_in_temp = True
nb_execution_show_tb = True
nb_execution_timeout = 600
nb_merge_streams = True
nb_output_stderr = "remove-warn"

# --- backprop_book.sphinxext -----------------------------------------------------------
bb_key_paths = ["results/{part}"]
bb_key_env = ["BACKPROP_BOOK_CIFAR10", "BACKPROP_BOOK_FIGURES"]
# chapters that import the benchmarks re-run when a benchmark changes
bb_extra_packages = {"benchmarks": "../benchmarks"}

# --- Sphinx's doctest builder (nox -s doctest) --------------------------------------------
# Docstring examples are doctested by pytest --doctest-modules, in their modules' own
# namespaces; the doctest builder runs the book's explicit {doctest} blocks.
doctest_test_doctest_blocks = ""

# --- exercises: the instructor's edition (with solutions) or the student's (none) ---------
# BACKPROP_BOOK_EDITION=student (``nox -s docs -- student``) builds the book without a
# single solution: every gated solution block is cut from each page's source as it is
# read, so neither the HTML, nor the search index, nor the executed notebook holds it, and
# the downloads (the .md copy and the .ipynb) are written from the cut source too.
# sphinx-exercise's own ``hide_solutions`` drops only the ``{solution}`` directive: with the
# gated form (``solution-start`` ... ``solution-end``) it would leave the solution's
# cells on the page, unwrapped.
EDITIONS = ("instructor", "student")
edition = os.environ.get("BACKPROP_BOOK_EDITION", "instructor").strip().lower() or "instructor"
if edition not in EDITIONS:
    raise ValueError(
        f"BACKPROP_BOOK_EDITION must be one of {', '.join(EDITIONS)}, "
        f"got {os.environ['BACKPROP_BOOK_EDITION']!r}"
    )
hide_solutions = edition == "student"
SOLUTION_BLOCK = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution-start\}.*?"
    r"^(?P=fence)\{solution-end\}[^\n]*\n(?P=fence)[ \t]*(?:\n|\Z)",
    re.MULTILINE | re.DOTALL,
)


def without_solutions(text: str) -> str:
    """A page's MyST source with every gated solution block cut out."""
    return SOLUTION_BLOCK.sub("", text)


# --- bibliography, autodoc -------------------------------------------------------------
bibtex_bibfiles = ["references.bib"]
bibtex_reference_style = "author_year"
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
intersphinx_mapping: dict[str, tuple[str, None]] = {}
suppress_warnings = ["mystnb.unknown_mime_type"]
# A name re-exported by another module (profiles.Sizes in torch_nn.experiments'
# __all__) is documented twice; following imports, viewcode sent the source page's
# [docs] link to the re-export's page with the original's anchor, which is not there
# (the site check found 105 such links).  Each object's source links to its own module.
viewcode_follow_imported_members = False

# --- math that needs no network -----------------------------------------------------------
# MathJax 3 is served from the built book itself: the PyPI package sphinx-mathjax-offline
# ships its full es5 tree (the renderer, its fonts and the extensions it loads on demand);
# its folder goes into _static and mathjax_path points at the TeX-to-HTML component.
# (The package is used as a copy of MathJax, not as an extension.)


def _offline_mathjax() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the book serves MathJax itself: install the docs extra (pip install -e '.[docs]'), "
            "which brings sphinx-mathjax-offline"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    if not (folder / "mathjax" / "tex-chtml.js").is_file():
        raise RuntimeError(f"no MathJax in {folder}: reinstall sphinx-mathjax-offline")
    return folder


mathjax_path = "mathjax/tex-chtml.js"

# --- HTML ------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Backpropagation, executed"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    # the licences, on every page (LICENSE and LICENSE-CONTENT at the repository's root)
    "extra_footer": (
        "<p>Text and figures: "
        '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>; '
        'code: <a href="https://opensource.org/license/mit">MIT</a>. '
        'The designs this book follows are credited in the <a href="{credits}">preface</a>.</p>'
    ),
}
html_static_path = ["_static", str(_offline_mathjax())]
html_css_files = ["book.css"]
html_context = {
    "backprop_book_profile": get_profile().value,
    # pydata-sphinx-theme reads the colour mode from html_context; left empty, a first
    # visit (nothing in localStorage yet) logs "Got invalid theme mode" as a console error
    "default_mode": "auto",
}


def setup(app: object) -> None:
    """Load MathJax on every page, not only on pages Sphinx knows to hold math.

    Formulas quoted from the reports reach some pages inside HTML cell outputs (Part V's
    tables), where Sphinx sees no math node and would leave the renderer out, so the
    formulas would stay raw TeX (the site check found them).
    """
    app.set_html_assets_policy("always")  # type: ignore[attr-defined]
    app.connect("html-page-context", _footer_link)  # type: ignore[attr-defined]
    if edition == "student":
        app.connect("source-read", _cut_solutions)  # type: ignore[attr-defined]
        app.connect("build-finished", _student_downloads)  # type: ignore[attr-defined]


def _footer_link(
    app: object, pagename: str, templatename: str, context: dict, doctree: object
) -> None:
    """Point the footer's credits link at the preface, relative to each page."""
    options = context.get("theme_extra_footer")
    if isinstance(options, str) and "{credits}" in options:
        target = context["pathto"]("preface").rstrip("#") + "#credits"  # "#" on the preface
        context["theme_extra_footer"] = options.replace("{credits}", target)


def _cut_solutions(app: object, docname: str, source: list[str]) -> None:
    source[0] = without_solutions(source[0])


def _student_downloads(app: Any, exception: Exception | None) -> None:
    """Rewrite each page's downloads (its .md copy and its .ipynb) from the cut source.

    Sphinx copies a page's source file, and backprop_book.book.notebooks converts it,
    from the file on disk: both still hold the solutions until they are written again.
    """
    if exception is not None or app.builder.format != "html":
        return
    import nbformat

    from backprop_book._io import atomic_write_text
    from backprop_book.book.notebooks import chapter_notebook, is_notebook_source

    sources = Path(app.outdir, "_sources")
    for docname in sorted(app.env.found_docs):
        path = Path(app.env.doc2path(docname))
        text = path.read_text(encoding="utf-8") if path.suffix == ".md" else ""
        cut = without_solutions(text)
        if cut == text:
            continue
        copy = sources / f"{docname}{path.suffix}{app.config.html_sourcelink_suffix}"
        if copy.is_file():
            atomic_write_text(copy, cut)
        notebook = sources / f"{docname}.ipynb"
        if notebook.is_file() and is_notebook_source(cut):
            title = app.env.titles[docname].astext() if docname in app.env.titles else ""
            nb = chapter_notebook(cut, title=title, source_dir=path.parent)
            atomic_write_text(notebook, nbformat.writes(nb))
