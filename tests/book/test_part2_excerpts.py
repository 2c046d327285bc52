"""Part II's chapters show the package's code as short excerpts: one function or
method each, without its docstring or its validation, valid Python, and the whole
source one click away.

An excerpt is the ``excerpt`` directive (:mod:`backprop_book.book.excerpts`): the
cut is computed from the syntax tree, so a check added to a function changes no page.
A ``literalinclude`` with ``:pyobject:`` still shows a whole short function; one that
picks ``:lines:`` would break with the next edit, so none may.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from backprop_book.book.excerpts import (
    excerpt_of_source,
    is_check_call,
    object_source,
)

pytestmark = [pytest.mark.part2]

DOCS = Path(__file__).resolve().parents[2] / "docs"
PART2 = DOCS / "part2"
INCLUDE = re.compile(r"^```\{literalinclude\} (\S+)\n((?::[^\n]*\n)*)```", re.MULTILINE)
EXCERPT = re.compile(r"^```\{excerpt\} (\S+)\n((?::[^\n]*\n)*)```", re.MULTILINE)
CHAPTERS = sorted(p for p in PART2.glob("*.md") if EXCERPT.search(p.read_text(encoding="utf-8")))


def options(block: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in block.splitlines():
        key, _, value = line[1:].partition(":")
        out[key] = value.strip().strip('"')
    return out


def excerpts(chapter: Path) -> list[tuple[str, str | None]]:
    """(dotted name, end-before marker) of every excerpt of ``chapter``."""
    text = chapter.read_text(encoding="utf-8")
    return [(m[1], options(m[2]).get("end-before")) for m in EXCERPT.finditer(text)]


def shown(name: str, end_before: str | None, code: str | None = None) -> str:
    src = object_source(name)
    return excerpt_of_source(code or src.code, end_before, src.checkers)


def documented_modules() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "api").glob("*.md"))
    return set(re.findall(r"^\.\. automodule:: (\S+)", text, re.MULTILINE))


def test_part2_chapters_have_excerpts() -> None:
    names = {p.name for p in CHAPTERS}
    assert names >= {"two_layer_net.md", "gradient_checking.md", "training.md"}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_excerpts_are_one_function_without_docstring_or_validation(chapter: Path) -> None:
    assert excerpts(chapter)
    for name, end in excerpts(chapter):
        code = shown(name, end)
        tree = ast.parse(code)
        assert len(tree.body) == 1, f"{chapter.name}: {name}: {len(tree.body)} statements"
        func = tree.body[0]
        assert isinstance(func, ast.FunctionDef), f"{chapter.name}: {name}: not a function"
        assert func.name == name.rsplit(".", 1)[-1]
        assert ast.get_docstring(func) is None, f"{chapter.name}: {name} shows its docstring"
        raises = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Raise)]
        assert not raises, f"{chapter.name}: {name} shows a raise (line {raises})"
        bare = [
            n.lineno for n in ast.walk(tree) if isinstance(n, ast.Expr) and is_check_call(n.value)
        ]
        assert not bare, f"{chapter.name}: {name} shows a _check call (line {bare})"
        assert len(code.splitlines()) <= 60, f"{chapter.name}: {name}: too long"
        if end is not None:
            assert end.startswith("# ["), f"{chapter.name}: end-before {end!r}, no marker"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_an_added_check_changes_no_excerpt(chapter: Path) -> None:
    """The point of the directive: add an ``if ...: raise`` at the top of the body of
    each function shown, and the page shows the same code."""
    for name, end in excerpts(chapter):
        src = object_source(name)
        func = ast.parse(src.code).body[0]
        assert isinstance(func, ast.FunctionDef)
        first = func.body[1] if ast.get_docstring(func) is not None else func.body[0]
        lines = src.code.splitlines(keepends=True)
        pad = " " * first.col_offset
        check = f"{pad}if False:\n{pad}    raise ValueError('expected something else')\n"
        at = first.lineno - 1
        edited = "".join(lines[:at]) + check + "".join(lines[at:])
        assert shown(name, end, edited) == shown(name, end), f"{chapter.name}: {name}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_no_excerpt_by_line_numbers(chapter: Path) -> None:
    for m in INCLUDE.finditer(chapter.read_text(encoding="utf-8")):
        opts = options(m[2])
        assert "pyobject" in opts, f"{chapter.name}: {m[1]} is not one Python object"
        assert "lines" not in opts, f"{chapter.name}: {opts['pyobject']} cut by :lines:"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_the_whole_source_is_one_click_away(chapter: Path) -> None:
    """The caption of an excerpt links to the object in the API reference."""
    documented = documented_modules()
    for name, _ in excerpts(chapter):
        dotted = name.removesuffix("." + object_source(name).qualname)
        assert dotted in documented, f"{chapter.name}: {name}: {dotted} not in the API pages"
