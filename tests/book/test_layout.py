"""Every chapter's code cells fit the content column (88 columns or fewer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backprop_book.book.layout import CODE_COLUMNS, long_code_lines

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CHAPTERS = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


def test_the_scan_sees_the_chapters() -> None:
    names = {p.relative_to(DOCS).as_posix() for p in CHAPTERS}
    assert {"part1/mlp_backprop.md", "part2/cifar_experiments.md"} <= names


def test_a_closing_fence_ends_the_cell() -> None:
    src = "````{code-cell} ipython3\n```\n" + "a" * 90 + "\n````\n" + "b" * 90 + "\n"
    assert [n for n, _, _ in long_code_lines("x.md", text=src)] == [3]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_code_cells_fit_the_column(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    long = [
        f"{rel}:{n}: {k} columns: {line.strip()[:60]}"
        for n, k, line in long_code_lines(path, CODE_COLUMNS)
    ]
    assert not long, f"code-cell lines over {CODE_COLUMNS} columns:\n" + "\n".join(long)
