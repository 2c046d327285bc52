"""Part III's chapters show the package's code as short excerpts: one function or
method each, no validation code, valid Python, and the whole file one click away."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest
from sphinx.config import Config
from sphinx.directives.code import LiteralIncludeReader

from backprop_book.book.rendering import KEEP_AS_IS

pytestmark = [pytest.mark.part3]

PART3 = Path(__file__).resolve().parents[2] / "docs" / "part3"
INCLUDE = re.compile(r"^```\{literalinclude\} (\S+)\n((?::[^\n]*\n)*)```", re.MULTILINE)
ROLE = re.compile(r":(?:math|data|func|class|meth|mod|attr):`")
CHAPTERS = sorted(p for p in PART3.glob("*.md") if INCLUDE.search(p.read_text(encoding="utf-8")))


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
