"""Sphinx configuration of the executable book."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

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
]

exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "**/.ipynb_checkpoints",
    "results/README.md",
]
nitpicky = False

# --- MyST / MyST-NB -------------------------------------------------------------------
myst_enable_extensions = ["amsmath", "dollarmath", "colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3
nb_execution_mode = "cache"
# The cache lives in the build folder; backprop_book.sphinxext keys every chapter on the
# package modules it imports, the installed versions and the profile (see its docstring).
nb_execution_cache_path = str(
    Path(os.environ.get("BACKPROP_BOOK_BUILD_DIR", ROOT / "docs" / "_build")) / ".jupyter_cache"
)
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
# chapters that import the benchmarks re-run when a benchmark changes
bb_extra_packages = {"benchmarks": "../benchmarks"}

# --- Sphinx's doctest builder (nox -s doctest) --------------------------------------------
# Docstring examples are doctested by pytest --doctest-modules, in their modules' own
# namespaces; the doctest builder runs the book's explicit {doctest} blocks.
doctest_test_doctest_blocks = ""

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
