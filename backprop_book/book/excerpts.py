"""Teaching excerpts: a function of the package without its docstring and its validation.

A chapter shows a function to teach what it computes; the docstring (rendered in the
API reference) and the checks of its arguments are noise there.  Cutting them with
``literalinclude``'s ``:lines:`` ties the page to line numbers that every added check
shifts.  Here the cut is computed from the source with :mod:`ast` instead:

* the docstring;
* every validation statement, also one nested in a branch: a ``raise``, an ``if``
  whose branches only validate, a call of a ``_check...`` helper (alone, or assigned
  to the arguments it checks), a call of a private helper of the module that only
  checks (it raises and changes nothing) whose result is discarded;
* an assignment to names that nothing but the dropped statements reads (such as a size
  used only in an error message).

The directive ``excerpt`` shows the result as a Python listing whose caption links to
the object's whole source in the API reference::

    ```{excerpt} backprop_book.numpy_nn.layers.affine_backward
    ```

Option ``:end-before: MARKER`` stops the excerpt at the first line of the function
holding ``MARKER`` (a comment such as ``# [/sgd-step]``).  The downloadable notebooks
inline the same code (:func:`backprop_book.book.notebooks.inline_literalincludes`),
and the tests of Parts II and III use :func:`droppable_lines` as their definition of
validation.

>>> source = '''def f(x):
...     \"\"\"Twice x.\"\"\"
...     if x is None:
...         raise TypeError("expected a number, got None")
...     return 2 * x
... '''
>>> print(excerpt_of_source(source))
def f(x):
    return 2 * x
<BLANKLINE>
"""

from __future__ import annotations

import ast
import importlib.util
import textwrap
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

__all__ = [
    "Excerpt",
    "Source",
    "checking_helpers",
    "droppable_lines",
    "excerpt",
    "excerpt_of_source",
    "is_check_call",
    "is_validation",
    "object_source",
    "setup",
]


def is_check_call(node: ast.AST) -> bool:
    """True for a call of a helper whose name starts with ``_check`` (``self._check_X(X)``).

    >>> is_check_call(ast.parse("self._check_X(X)").body[0].value)
    True
    >>> is_check_call(ast.parse("check(X)").body[0].value)
    False
    """
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name.startswith("_check")


def checking_helpers(module_source: str) -> frozenset[str]:
    """Names of the private module-level functions of ``module_source`` that only check:
    each raises somewhere and changes nothing (no assignment to an attribute or an item,
    no ``global``).  A statement that calls one and discards the result is validation.

    >>> checking_helpers(
    ...     "def _pos(x):\\n    if x < 0:\\n        raise ValueError(x)\\n    return x\\n"
    ...     "def _put(d, x):\\n    if x < 0:\\n        raise ValueError(x)\\n    d[0] = x\\n"
    ... )
    frozenset({'_pos'})
    """
    names = set()
    for node in ast.parse(module_source).body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("_"):
            continue
        raises = any(isinstance(n, ast.Raise) for n in ast.walk(node))
        changes = any(
            isinstance(n, ast.Global | ast.Nonlocal)
            or (
                isinstance(n, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete)
                and any(
                    isinstance(t, ast.Attribute | ast.Subscript)
                    for target in (
                        n.targets if isinstance(n, ast.Assign | ast.Delete) else [n.target]
                    )
                    for t in ast.walk(target)
                )
            )
            for n in ast.walk(node)
        )
        if raises and not changes:
            names.add(node.name)
    return frozenset(names)


def is_validation(
    stmt: ast.stmt, params: frozenset[str] | None = None, checkers: frozenset[str] = frozenset()
) -> bool:
    """True for a statement that only checks arguments: a ``raise``, an ``if`` whose
    branches only check, or a ``_check...`` call, alone or assigned to arguments
    (``X = self._check_X(X)``), or a call of one of ``checkers`` (see
    :func:`checking_helpers`) whose result is discarded.  With ``params``, the function's parameters, an
    assignment counts only when it rebinds parameters: ``h, W = _check_cache(cache)``
    brings new names, which the rest of the function reads, so it stays.

    >>> is_validation(ast.parse("if x < 0:\\n    raise ValueError(x)").body[0])
    True
    >>> is_validation(ast.parse("if x < 0:\\n    x = 0").body[0])
    False
    >>> is_validation(ast.parse("h = _check_cache(c)").body[0], frozenset({"c"}))
    False
    """
    if isinstance(stmt, ast.Raise):
        return True
    if isinstance(stmt, ast.If):
        return all(is_validation(s, params, checkers) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, ast.Expr):
        value = stmt.value
        if is_check_call(value):
            return True
        return (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in checkers
        )
    if isinstance(stmt, ast.Assign) and is_check_call(stmt.value):
        if params is None:
            return True
        names = [n for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        return all(n.id in params for n in names)
    return False


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _span(node: ast.stmt) -> set[int]:
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return set(range(start, (node.end_lineno or node.lineno) + 1))


def droppable_lines(source: str, checkers: frozenset[str] = frozenset()) -> set[int]:
    """Lines (1-based) of ``source``, one function, that an excerpt of it leaves out.

    The docstring; every validation statement (:func:`is_validation` with the
    function's parameters and the module's ``checkers``), also one nested
    in a branch or an ``elif`` whose branch only raises; and an assignment to names
    that only those statements read.  A branch made of validation only, beside a
    branch that computes (``if bad: raise ... else: y = x``), stays: no block of the
    excerpt is left empty.

    Raises
    ------
    TypeError
        If ``source`` is not one function.

    >>> droppable_lines("def f(n):\\n    '''Doc.'''\\n    if n < 0:\\n        raise ValueError\\n")
    {2, 3, 4}
    """
    tree = ast.parse(textwrap.dedent(source))
    func = tree.body[0] if tree.body else None
    if len(tree.body) != 1 or not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
        got = "nothing" if func is None else type(func).__name__
        raise TypeError(f"expected the source of one function, got {got}")
    args = func.args
    every = args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]
    params = frozenset(a.arg for a in every if a is not None)
    drop: set[int] = set()
    first = func.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        if isinstance(first.value.value, str):
            drop |= _span(first)
    for node in ast.walk(func):
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(node, field, [])
            if not isinstance(stmts, list):
                continue
            checks = [
                s for s in stmts if isinstance(s, ast.stmt) and is_validation(s, params, checkers)
            ]
            elif_ = (
                field == "orelse"
                and len(stmts) == 1
                and isinstance(stmts[0], ast.If)
                and stmts[0].col_offset == getattr(node, "col_offset", -1)
            )
            if node is not func and len(checks) == len(stmts) and not elif_:
                continue  # a block cannot be empty: the branch of `if a: raise ... else: ...`
            for stmt in checks:
                drop |= _span(stmt)
    while True:  # assignments that nothing but the validation reads
        reads = {
            n.id
            for n in ast.walk(func)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.lineno not in drop
        }
        more: set[int] = set()
        for node in ast.walk(func):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.lineno not in drop:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if all(isinstance(t, ast.Name) and t.id not in reads for t in targets):
                    more |= _span(node)
        if not more:
            return drop
        drop |= more


def excerpt_of_source(
    source: str, end_before: str | None = None, checkers: frozenset[str] = frozenset()
) -> str:
    """``source`` (one function, maybe indented) without what :func:`droppable_lines`
    names, dedented; cut before the first line holding ``end_before`` when given.

    Blank lines left at the top of the body, at its end, or doubled by a cut are
    removed.  A body left empty gets ``...`` so that the excerpt still parses.

    Raises
    ------
    ValueError
        If ``end_before`` is not in ``source``, or the cut leaves code that does not
        parse (a marker inside a statement).
    TypeError
        If ``source`` is not one function.

    >>> print(excerpt_of_source("def f(x):\\n    y = 2 * x\\n    # [/end]\\n    return y\\n", "[/end]"))
    def f(x):
        y = 2 * x
    <BLANKLINE>
    """
    code = textwrap.dedent(source)
    drop = droppable_lines(code, checkers)
    lines = code.splitlines()
    func = ast.parse(code).body[0]
    assert isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef)
    if end_before is not None:
        stop = next((i for i, line in enumerate(lines) if end_before in line), None)
        if stop is None:
            raise ValueError(f"expected the marker {end_before!r} in the function, found none")
        lines = lines[:stop]
    header_end = func.body[0].lineno - 1  # the last line of the decorators and the def
    kept: list[str] = []
    for number, line in enumerate(lines, start=1):
        if number in drop:
            continue
        blank = not line.strip()
        if blank and (number > header_end and (not kept or not kept[-1].strip())):
            continue  # a blank line doubled by a cut
        if blank and len(kept) == header_end:
            continue  # a blank line at the top of the body
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    if len(kept) == header_end:
        indent = " " * (func.body[0].col_offset)
        kept.append(f"{indent}...")
    text = "\n".join(kept) + "\n"
    try:
        ast.parse(text)
    except SyntaxError as err:
        raise ValueError(f"the excerpt does not parse ({err.msg}, line {err.lineno})") from err
    return text


def _module_file(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


class Source(NamedTuple):
    """A function's source: its text, file, first line, qualified name, and the
    checking helpers of its module (:func:`checking_helpers`)."""

    code: str
    path: Path
    line: int
    qualname: str
    checkers: frozenset[str]


def object_source(name: str) -> Source:
    """The source of the function or method ``name`` (a dotted path), read from its
    file without importing the module: the text (decorators included, dedented), the
    file, the number of its first line, and its name within the module.  For a
    property, the getter (the first definition).

    Raises
    ------
    ValueError
        If no module of the dotted path holds a function or method of that name.

    >>> src = object_source("backprop_book.book.excerpts.object_source")
    >>> src.code.startswith("def object_source(name: str)"), src.path.name, src.qualname
    (True, 'excerpts.py', 'object_source')
    """
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        path = _module_file(".".join(parts[:cut]))
        if path is None:
            continue
        text = path.read_text(encoding="utf-8")
        scope: list[ast.stmt] = ast.parse(text).body
        node: ast.stmt | None = None
        for part in parts[cut:]:
            node = next((s for s in scope if isinstance(s, _DEFS) and s.name == part), None)
            if node is None:
                break
            scope = node.body  # type: ignore[attr-defined]
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            raise ValueError(f"expected a function or method, found no {name!r} in {path}")
        span = _span(node)
        lines = text.splitlines()[min(span) - 1 : max(span)]
        code = textwrap.dedent("\n".join(lines) + "\n")
        return Source(code, path, min(span), ".".join(parts[cut:]), checking_helpers(text))
    raise ValueError(f"expected a dotted name in an importable module, got {name!r}")


def excerpt(name: str, end_before: str | None = None) -> str:
    """The teaching excerpt of the function or method ``name`` (a dotted path):
    :func:`excerpt_of_source` of :func:`object_source`.

    >>> print(excerpt("backprop_book.numpy_nn.layers.relu_backward"))  # doctest: +ELLIPSIS
    def relu_backward(...
    """
    source = object_source(name)
    return excerpt_of_source(source.code, end_before, source.checkers)


class Excerpt(SphinxDirective):
    """``{excerpt} dotted.name``: a function without its docstring and validation, as a
    Python listing captioned with a link to the object in the API reference."""

    required_arguments = 1
    optional_arguments = 0
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"end-before": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        try:
            source = object_source(name)
            code = excerpt_of_source(source.code, self.options.get("end-before"), source.checkers)
        except (ValueError, TypeError) as err:
            return [self.state.document.reporter.warning(f"excerpt: {err}", line=self.lineno)]
        self.env.note_dependency(str(source.path))
        block = nodes.literal_block(code, code, language="python")
        self.set_source_info(block)
        ref = addnodes.pending_xref(
            "",
            refdomain="py",
            reftype="meth" if "." in source.qualname else "func",
            reftarget=name,
            refexplicit=False,
            refwarn=False,
        )
        ref += nodes.literal("", f"{source.qualname}()", classes=["xref", "py", "py-func"])
        note = " without its docstring and input checks (the link shows it whole)"
        caption = nodes.caption("", "", ref, nodes.Text(note))
        self.set_source_info(caption)
        box = nodes.container("", caption, block, literal_block=True)
        box["classes"].append("literal-block-wrapper")
        self.set_source_info(box)
        return [box]


def setup(app: Any) -> dict[str, Any]:
    """Register the ``excerpt`` directive."""
    app.add_directive("excerpt", Excerpt)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
