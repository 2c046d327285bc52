"""The book's layout rules that can be checked on the sources, without a build.

Every line inside a ``{code-cell}`` block of a chapter is at most 88 columns long,
and the book's stylesheet sizes the code font so that 88 columns fit a cell's box; a
longer line makes its cell scroll sideways, which the site check fails as
``code-scrolls`` (:mod:`backprop_book.book.sitecheck`).  :func:`long_code_lines`
finds such lines in a source.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["CODE_COLUMNS", "long_code_lines"]

#: The widest line of code the content column shows without scrolling.
CODE_COLUMNS = 88

_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})\{code-cell\}")


def long_code_lines(
    path: str | Path, limit: int = CODE_COLUMNS, *, text: str | None = None
) -> list[tuple[int, int, str]]:
    """The lines of ``{code-cell}`` blocks longer than ``limit`` columns.

    Returns ``(line number, length, line)`` for each, numbered from 1 in the file;
    ``text``, when given, is read instead of the file.  Lines outside code cells
    (prose, math, other directives) are not looked at.

    >>> src = "```{code-cell} ipython3\\nx = 1\\n" + "y = 2  # " + "z" * 90 + "\\n```\\n" + "w" * 99
    >>> [(n, k) for n, k, _ in long_code_lines("ch.md", text=src)]
    [(3, 99)]
    >>> long_code_lines("ch.md", limit=100, text=src)
    []
    """
    if text is None:
        text = Path(path).read_text(encoding="utf-8")
    out: list[tuple[int, int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if fence is None:
            m = _OPEN.match(line)
            if m:
                fence = m.group("fence")
            continue
        stripped = line.strip()
        if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
            fence = None
            continue
        if len(line) > limit:
            out.append((number, len(line), line))
    return out
