"""Tools of the book itself, used by the docs build and by CI; no part of the book imports them.

* :mod:`backprop_book.book.notation` -- the one table of the book's symbols and the
  code's names, rendered as the notation page;
* :mod:`backprop_book.book.excerpts` -- the ``excerpt`` directive: a function of the
  package without its docstring and its input checks, cut by its syntax tree;
* :mod:`backprop_book.book.notebooks` -- each chapter as a Jupyter notebook (jupytext),
  offered by the page's download button;
* :mod:`backprop_book.book.sitecheck` -- the built site opened in headless Chromium and
  checked page by page (``nox -s site``).

They live in a subpackage, not at the top level of the package, because every
top-level module is part of each chapter's execution-cache key
(:mod:`backprop_book.sphinxext`): editing the site check must not re-execute the book.
"""

from __future__ import annotations

__all__: list[str] = []
