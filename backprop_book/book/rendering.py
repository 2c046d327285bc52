"""How the book renders two things differently from Sphinx's defaults (an extension).

**Listings read their docstrings as text.**  A chapter shows one function of the
package with ``literalinclude`` and ``:pyobject:``.  Its docstring states the
equation in reStructuredText (``:math:`s = x W```), which a listing would show raw.
Here ``literalinclude`` of a Python object renders the object's docstring (NumPy
style, through napoleon, as autodoc does) above a listing of the code without it;
the file is still the one source, read as the build runs.  A listing that picks its
own lines (``:lines:``, ``:end-before:`` ...) keeps its docstring out as well, unless
the cut falls inside it; one that numbers or emphasises lines is left as it is.

**Text that is no e-mail address is no mail link.**  Docutils links any ``a@b`` in a
docstring as e-mail: LeNet-5's "C1 conv 6@5x5" became a ``mailto:`` link.  A mail
link whose part after the ``@`` is no domain name is turned back into text.

Both slips are rules of the site check (``raw-role``, ``mailto-text``,
:mod:`backprop_book.book.sitecheck`).

>>> code, doc = split_docstring("def f(x):\\n    '''Twice :math:`x`.'''\\n    return 2 * x\\n")
>>> print(code)
def f(x):
    return 2 * x
<BLANKLINE>
>>> doc
'Twice :math:`x`.'
"""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

from docutils import nodes
from sphinx.directives.code import LiteralInclude

__all__ = ["DocstringLiteralInclude", "setup", "split_docstring", "unlink_non_addresses"]

#: Options under which a listing keeps its lines exactly as the file has them: they
#: number or mark lines, which a removed docstring would shift.
KEEP_AS_IS = frozenset(
    {"emphasize-lines", "linenos", "lineno-start", "lineno-match", "diff", "caption"}
)

_HEADER = re.compile(r"^\s*(?:async\s+def|def|class)\b")
_OPEN = re.compile(r"^(\s*)([rRuU]?)(\"\"\"|\'\'\')")


def split_docstring(code: str) -> tuple[str, str | None]:
    """``code`` (one class or function, maybe indented, maybe an excerpt) without its
    docstring, and the docstring (cleaned as :func:`inspect.cleandoc` does).

    The docstring is the string literal that opens the body after the ``def`` or
    ``class`` header; an excerpt cut by ``:lines:`` or ``:end-before:`` keeps its
    header and docstring, so it is found there too.  Returns ``(code, None)`` when
    there is none, or when the excerpt cut it short.

    >>> split_docstring("x = 1\\n")
    ('x = 1\\n', None)
    """
    lines = code.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _HEADER.match(line)), None)
    if start is None:
        return code, None
    end = next((i for i in range(start, len(lines)) if lines[i].rstrip().endswith(":")), None)
    if end is None:
        return code, None
    first = next((i for i in range(end + 1, len(lines)) if lines[i].strip()), None)
    if first is None:
        return code, None
    m = _OPEN.match(lines[first])
    if m is None:
        return code, None
    indent, quote = m.group(1), m.group(3)
    after = lines[first][m.end() :]
    closing = first if quote in after else None
    if closing is None:
        closing = next((i for i in range(first + 1, len(lines)) if quote in lines[i]), None)
    if closing is None:
        return code, None  # the excerpt cut the docstring short
    last = closing
    literal = "".join(lines[first : last + 1]).strip()
    try:
        value = ast.literal_eval(literal)
    except (SyntaxError, ValueError):
        return code, None
    if not isinstance(value, str):
        return code, None
    rest = lines[last + 1 :]
    kept = lines[:first]
    if not any(line.strip() for line in rest):
        kept.append(f"{indent}...\n")  # a docstring alone: the body still parses
    return "".join(kept + rest), inspect.cleandoc(value)


class DocstringLiteralInclude(LiteralInclude):
    """``literalinclude`` that renders a Python object's docstring above its code."""

    def run(self) -> list[nodes.Node]:
        result = super().run()
        if KEEP_AS_IS & set(self.options):
            return result
        if not self.arguments[0].endswith(".py"):
            return result
        out: list[nodes.Node] = []
        for node in result:
            if not isinstance(node, nodes.literal_block):
                out.append(node)
                continue
            code, doc = split_docstring(node.astext())
            if doc is None:
                out.append(node)
                continue
            out.append(self._docstring_nodes(doc))
            listing = nodes.literal_block(code, code, **node.attributes)
            listing.source, listing.line = node.source, node.line
            out.append(listing)
        return out

    def _docstring_nodes(self, doc: str) -> nodes.Element:
        from docutils.parsers.rst import Parser
        from docutils.utils import new_document
        from sphinx.ext.napoleon.docstring import NumpyDocstring

        config = self.env.config
        lines = (
            NumpyDocstring(doc, config).lines()
            if getattr(config, "napoleon_numpy_docstring", False)
            else doc.splitlines()
        )
        source = self.state.document.current_source or ""
        document = new_document(source, self.state.document.settings)
        Parser().parse("\n".join(lines), document)
        box = nodes.container(classes=["listing-docstring"])
        box.extend(document.children)
        return box


def unlink_non_addresses(app: Any, doctree: nodes.document) -> None:
    """Turn the mail links of ``doctree`` made from text that is no address into text."""
    from backprop_book.book.sitecheck import is_autolinked_non_address

    for ref in list(doctree.findall(nodes.reference)):
        uri = ref.get("refuri", "")
        if uri.startswith("mailto:") and is_autolinked_non_address(uri, ref.astext()):
            ref.replace_self(nodes.Text(ref.astext()))


def setup(app: Any) -> dict[str, Any]:
    """Register the directive in place of Sphinx's ``literalinclude``, and the unlinking."""
    app.add_directive("literalinclude", DocstringLiteralInclude, override=True)
    app.connect("doctree-read", unlink_non_addresses)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
