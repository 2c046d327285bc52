"""Part III's chapters show the package's code as short excerpts: one function or
method each, no validation code, valid Python, and the whole file one click away.

A whole short function is a ``literalinclude`` with ``:pyobject:``; one shown without
its docstring and its checks is the ``excerpt`` directive
(:mod:`backprop_book.book.excerpts`), whose cut no added check can shift.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest
from sphinx.config import Config
from sphinx.directives.code import LiteralIncludeReader

from backprop_book.book.excerpts import excerpt_of_source, object_source
from backprop_book.book.rendering import KEEP_AS_IS

pytestmark = [pytest.mark.part3]

PART3 = Path(__file__).resolve().parents[2] / "docs" / "part3"
INCLUDE = re.compile(r"^```\{literalinclude\} (\S+)\n((?::[^\n]*\n)*)```", re.MULTILINE)
EXCERPT = re.compile(r"^```\{excerpt\} (\S+)\n((?::[^\n]*\n)*)```", re.MULTILINE)
ROLE = re.compile(r":(?:math|data|func|class|meth|mod|attr):`")
CHAPTERS = sorted(p for p in PART3.glob("*.md") if INCLUDE.search(p.read_text(encoding="utf-8")))
EXCERPTS = sorted(
    (p.name, m[1], m[2])
    for p in PART3.glob("*.md")
    for m in EXCERPT.finditer(p.read_text(encoding="utf-8"))
)


def excerpts(chapter: Path) -> list[tuple[str, dict[str, object], str]]:
    """(file, options, text) of every literalinclude of ``chapter``, read as Sphinx reads it."""
    out = []
    for m in INCLUDE.finditer(chapter.read_text(encoding="utf-8")):
        options: dict[str, object] = {}
        for line in m.group(2).splitlines():
            key, _, value = line[1:].partition(":")
            value = value.strip().strip('"')
            options[key] = int(value) if key == "dedent" else value
        path = (chapter.parent / m.group(1)).resolve()
        text, _ = LiteralIncludeReader(str(path), options, Config({}, {})).read()
        out.append((m.group(1), options, text))
    return out


def test_the_engine_chapters_have_excerpts() -> None:
    assert {p.name for p in CHAPTERS} >= {"minimal.md", "engine.md", "ops.md", "training.md"}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_excerpts_are_one_function_without_validation(chapter: Path) -> None:
    for file, options, text in excerpts(chapter):
        where = f"{chapter.name}: {file} {options}"
        assert text.strip(), f"{where}: empty"
        code = textwrap.dedent(text)
        tree = ast.parse(code)  # a :lines: range that cuts a statement fails here
        assert len(tree.body) == 1, f"{where}: {len(tree.body)} top-level statements"
        assert isinstance(tree.body[0], ast.FunctionDef), f"{where}: not one function or method"
        assert not any(isinstance(node, ast.Raise) for node in ast.walk(tree)), (
            f"{where}: shows validation code (a raise)"
        )
        assert ".setter" not in code, f"{where}: shows a property's setter"
        assert "lines" not in options, f"{where}: cut by line numbers; use {{excerpt}}"
        assert len(code.splitlines()) <= 70, f"{where}: {len(code.splitlines())} lines"
        if KEEP_AS_IS & options.keys():  # shown as is: a docstring's roles would be raw text
            assert not ROLE.search(code), f"{where}: a reST role shown raw: {ROLE.search(code)}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_the_whole_source_is_one_click_away(chapter: Path) -> None:
    text = chapter.read_text(encoding="utf-8")
    shown = {Path(file).name for file, _, _ in excerpts(chapter)}
    linked = set(re.findall(r"\{download\}`[^`<]*<[^>]*?([\w.]+\.py)>`", text))
    api = "../api/part3" in text
    for name in shown - {"bench_autograd.py"}:
        assert name in linked or api, f"{chapter.name}: no link to the whole {name}"


def test_the_grad_excerpt_is_the_getter() -> None:
    (grad,) = [t for f, o, t in excerpts(PART3 / "engine.md") if "def grad(" in t]
    assert grad.startswith("@property\ndef grad(self)")


def test_a_cut_range_is_caught() -> None:
    with pytest.raises(SyntaxError):
        ast.parse(textwrap.dedent("    def f(x):\n        if x:\n"))


def shown(name: str, code: str | None = None) -> str:
    src = object_source(name)
    return excerpt_of_source(code or src.code, checkers=src.checkers)


def test_the_chapters_have_excerpts_of_validated_functions() -> None:
    names = {name for _, name, _ in EXCERPTS}
    assert "backprop_book.autograd.nn.cross_entropy" in names
    assert "backprop_book.autograd.core.TensorNode.__init__" in names


@pytest.mark.parametrize(("chapter", "name", "options"), EXCERPTS, ids=lambda v: str(v))
def test_excerpt_is_one_function_without_docstring_or_validation(
    chapter: str, name: str, options: str
) -> None:
    assert not options, f"{chapter}: {name}: options {options!r} (a marker cut is Part II's)"
    code = shown(name)
    tree = ast.parse(code)
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef), name
    assert tree.body[0].name == name.rsplit(".", 1)[-1]
    assert ast.get_docstring(tree.body[0]) is None, f"{chapter}: {name} shows its docstring"
    assert not any(isinstance(n, ast.Raise) for n in ast.walk(tree)), f"{chapter}: {name}"
    assert len(code.splitlines()) <= 70, f"{chapter}: {name}: too long"


@pytest.mark.parametrize(("chapter", "name", "options"), EXCERPTS, ids=lambda v: str(v))
def test_an_added_check_changes_no_excerpt(chapter: str, name: str, options: str) -> None:
    src = object_source(name)
    func = ast.parse(src.code).body[0]
    assert isinstance(func, ast.FunctionDef)
    last = func.body[-1]  # a check just before the last statement
    lines = src.code.splitlines(keepends=True)
    pad = " " * last.col_offset
    check = f"{pad}if False:\n{pad}    raise TypeError('expected a TensorNode')\n"
    edited = "".join(lines[: last.lineno - 1]) + check + "".join(lines[last.lineno - 1 :])
    assert shown(name, edited) == shown(name), f"{chapter}: {name}"


def test_the_excerpted_modules_are_in_the_api_reference() -> None:
    api = (PART3.parent / "api" / "part3.md").read_text(encoding="utf-8")
    for chapter, name, _ in EXCERPTS:
        module = name.removesuffix("." + object_source(name).qualname)
        assert f".. automodule:: {module}\n" in api, f"{chapter}: {module}"
