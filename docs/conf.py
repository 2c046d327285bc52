"""Sphinx configuration of the executable book."""

from __future__ import annotations

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
    "backprop_book.sphinxext",
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

# --- HTML ------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Backpropagation, executed"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
}
html_static_path: list[str] = []
html_context = {"backprop_book_profile": get_profile().value}
