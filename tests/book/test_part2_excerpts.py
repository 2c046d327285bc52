"""Part II's chapters show the package's code as short excerpts: one function or
method each, without its docstring or its validation, valid Python, cut only where
the source says so, and the whole file one click away.

An excerpt is a ``literalinclude`` with ``:pyobject:`` and, to leave lines out,
``:lines:`` (numbered from the object's first line) and ``:end-before:`` (a comment
marker such as ``# [/sgd-step]`` in the source, where the excerpt stops early). The
line numbers are the fragile part: an edit of the function shifts them. So the
tests recompute what may be left out (the docstring, a statement that only checks
an argument and raises, a call of a ``_check...`` helper, and a name that only those
read) and fail when an excerpt leaves out anything else or shows a ``raise``.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest
from sphinx.config import Config
from sphinx.directives.code import LiteralIncludeReader
from sphinx.util import parselinenos

pytestmark = [pytest.mark.part2]

PART2 = Path(__file__).resolve().parents[2] / "docs" / "part2"
INCLUDE = re.compile(r"^```\{literalinclude\} (\S+)\n((?::[^\n]*\n)*)```", re.MULTILINE)
CHAPTERS = sorted(p for p in PART2.glob("*.md") if INCLUDE.search(p.read_text(encoding="utf-8")))


def includes(chapter: Path) -> list[tuple[str, dict[str, str]]]:
    """(file, options) of every literalinclude of ``chapter``."""
    out = []
    for m in INCLUDE.finditer(chapter.read_text(encoding="utf-8")):
        options: dict[str, str] = {}
        for line in m.group(2).splitlines():
            key, _, value = line[1:].partition(":")
            options[key] = value.strip().strip('"')
        out.append((m.group(1), options))
    return out


def read(chapter: Path, file: str, options: dict[str, str]) -> str:
    """The text Sphinx shows for one literalinclude."""
    path = (chapter.parent / file).resolve()
    opts: dict[str, object] = {k: int(v) if k == "dedent" else v for k, v in options.items()}
    text, _ = LiteralIncludeReader(str(path), opts, Config({}, {})).read()
    return text


def _is_check_call(node: ast.AST) -> bool:
    """A call of a helper whose name starts with ``_check`` (``self._check_X(X)``)."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name.startswith("_check")


def _is_validation(stmt: ast.stmt) -> bool:
    """A statement that only checks arguments: a raise, an ``if`` whose branches only
    check, or a ``_check...`` call (alone or assigned)."""
    if isinstance(stmt, ast.Raise):
        return True
    if isinstance(stmt, ast.If):
        return all(_is_validation(s) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, ast.Expr | ast.Assign):
        return _is_check_call(stmt.value)
    return False


def droppable_lines(source: str) -> set[int]:
    """Lines (1-based) of ``source``, one function, that an excerpt of it may leave out.

    The docstring; every validation statement, also one nested in a branch or an
    ``elif`` whose branch only raises; and an assignment to names that only those
    statements read (such as a size used only in an error message).
    """
    func = ast.parse(textwrap.dedent(source)).body[0]
    if not isinstance(func, ast.FunctionDef):
        raise TypeError(f"expected one function, got {type(func).__name__}")

    def span(node: ast.stmt) -> set[int]:
        return set(range(node.lineno, (node.end_lineno or node.lineno) + 1))

    drop: set[int] = set()
    first = func.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        if isinstance(first.value.value, str):
            drop |= span(first)
    for node in ast.walk(func):
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(node, field, [])
            for stmt in stmts if isinstance(stmts, list) else []:
                if isinstance(stmt, ast.stmt) and _is_validation(stmt):
                    drop |= span(stmt)
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
                    more |= span(node)
        if not more:
            return drop
        drop |= more


def left_out(source: str, linespec: str | None, end: int | None = None) -> list[str]:
    """The lines of ``source`` (one function) that an excerpt leaves out and may not.

    The excerpt is the first ``end`` lines (all without an ``:end-before:`` marker),
    of which ``:lines: linespec`` picks some (all when ``None``).
    """
    lines = source.splitlines()[:end]
    kept = set(range(len(lines))) if linespec is None else set(parselinenos(linespec, len(lines)))
    allowed = droppable_lines(source)
    return [
        f"line {i + 1}: {lines[i].strip()}"
        for i in range(len(lines))
        if i not in kept
        and i + 1 not in allowed
        and lines[i].strip()
        and not lines[i].strip().startswith("#")
    ]


def test_part2_chapters_have_excerpts() -> None:
    names = {p.name for p in CHAPTERS}
    assert names >= {"two_layer_net.md", "gradient_checking.md", "training.md"}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_excerpts_are_one_function_without_validation(chapter: Path) -> None:
    for file, options in includes(chapter):
        where = f"{chapter.name}: {file} {options}"
        assert "pyobject" in options, f"{where}: not one Python object"
        assert not {"start-after", "start-at"} & set(options), f"{where}: cuts the def line"
        code = textwrap.dedent(read(chapter, file, options))
        tree = ast.parse(code)  # a :lines: range that cuts a statement fails here
        assert len(tree.body) == 1, f"{where}: {len(tree.body)} top-level statements"
        assert isinstance(tree.body[0], ast.FunctionDef), f"{where}: not one function or method"
        assert ast.get_docstring(tree.body[0]) is None, f"{where}: shows the docstring"
        for node in ast.walk(tree):
            assert not isinstance(node, ast.Raise), f"{where}: shows validation code (a raise)"
            assert not _is_check_call(node), f"{where}: shows a _check call"
        assert len(code.splitlines()) <= 60, f"{where}: {len(code.splitlines())} lines"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_excerpts_leave_out_only_docstring_and_validation(chapter: Path) -> None:
    """Catches a ``:lines:`` range that an edit of the function has shifted."""
    for file, options in includes(chapter):
        whole = read(chapter, file, {"pyobject": options["pyobject"]})
        end = None
        if "end-before" in options:
            marker = options["end-before"]
            assert marker.startswith("# ["), f"{chapter.name}: end-before {marker!r}, no marker"
            region = read(chapter, file, {"pyobject": options["pyobject"], "end-before": marker})
            end = len(region.splitlines())
        missing = left_out(whole, options.get("lines"), end)
        assert not missing, f"{chapter.name}: {options['pyobject']} leaves out {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_the_whole_source_is_one_click_away(chapter: Path) -> None:
    text = chapter.read_text(encoding="utf-8")
    linked = set(re.findall(r"\{download\}`[^`<]*<[^>]*?([\w.]+\.py)>`", text))
    for file, options in includes(chapter):
        name = Path(file).name
        obj = options["pyobject"]
        role = r"\{py:(?:func|meth|class)\}`(?:[^`<]*<)?[~.\w]*\b"
        api = re.search(role + re.escape(obj) + ">?`", text)
        assert name in linked or api, f"{chapter.name}: no link to the whole {name} or {obj}"


VALIDATED = '''\
def f(x, y):
    """Doc."""
    x = _check(x)
    n = len(y)
    if x.ndim != 2:
        raise ValueError(f"expected 2-d x, got {x.ndim} with {n}")
    z = x @ y
    return z
'''


def test_droppable_lines_of_a_validated_function() -> None:
    assert droppable_lines(VALIDATED) == {2, 3, 4, 5, 6}


def test_a_shifted_range_is_caught() -> None:
    assert left_out(VALIDATED, "1,7-") == []
    # the function gained a line above the body: the old range now drops `z = x @ y`
    assert left_out(VALIDATED, "1,8-") == ["line 7: z = x @ y"]
    # an excerpt that stops early without a marker, and one that stops at a marker
    assert left_out(VALIDATED, "1,7") == ["line 8: return z"]
    assert left_out(VALIDATED, "1,7", end=7) == []
