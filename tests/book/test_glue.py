"""Every ``{glue:text}`` (or ``{glue:}``...) name a chapter pastes is glued in that chapter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CHAPTERS = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)

#: a pasted value: {glue}`name`, {glue:text}`name:.3f`, {glue:md}`name`, ```{glue} name```
PASTED = re.compile(r"\{glue(?::\w+)?\}`([^`:]+)(?::[^`]*)?`|^`{3,}\{glue(?::\w+)?\}\s+(\S+)", re.M)
#: a glued value: glue("name", ...) or glue(f"name", ...)
GLUED = re.compile(r"\bglue\(\s*f?[\"']([^\"']+)[\"']")


#: glue(key, ...) with the name in a variable
GLUED_BY_NAME = re.compile(r"\bglue\(\s*(?!f?[\"'])")
#: a string literal, a candidate name for glue(key, ...)
LITERAL = re.compile(r"[\"']([A-Za-z_][\w.-]*)[\"']")


def pasted_and_glued(text: str) -> tuple[set[str], set[str]]:
    """The names a chapter pastes and those it glues.

    Where a chapter glues under a name held in a variable (``for key in (...):
    glue(key, ...)``), every string literal of the chapter counts as glued.
    """
    pasted = {a or b for a, b in PASTED.findall(text)}
    glued = set(GLUED.findall(text))
    if GLUED_BY_NAME.search(text):
        glued |= set(LITERAL.findall(text)) & pasted
    return pasted, glued


def test_the_scan_reads_both_forms() -> None:
    text = 'x {glue:text}`acc:.3f` and {glue}`n`\n```{code-cell}\nglue("acc", 1)\n```\n'
    assert pasted_and_glued(text) == ({"acc", "n"}, {"acc"})
    loop = '{glue:text}`a_n`\n```{code-cell}\nfor key in ("a_n", "b"):\n    glue(key, 1)\n```\n'
    assert pasted_and_glued(loop) == ({"a_n"}, {"a_n"})


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_pasted_name_is_glued(path: Path) -> None:
    pasted, glued = pasted_and_glued(path.read_text(encoding="utf-8"))
    # a glue name built in a loop (glue(f"acc_{k}", ...)) covers the names it can make
    patterns = [re.compile(re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(g)) + "$") for g in glued]
    missing = sorted(n for n in pasted if not any(p.match(n) for p in patterns))
    assert not missing, f"{path.relative_to(ROOT)}: pasted but never glued: {missing}"
