"""The notation table names real code: every ``where`` imports and uses its ``code`` name."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from backprop_book.book.notation import NOTATION, Symbol, markdown_table

pytestmark = [pytest.mark.site]


def _resolve(path: str) -> object:
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


@pytest.mark.parametrize("row", NOTATION, ids=lambda r: r.code)
def test_every_code_name_is_used_where_the_table_says(row: Symbol) -> None:
    source = inspect.getsource(_resolve(row.where))  # type: ignore[arg-type]
    assert re.search(rf"\b{re.escape(row.code)}\b", source), f"{row.code} not in {row.where}"


def test_symbols_and_code_names_are_unique() -> None:
    assert len({r.tex for r in NOTATION}) == len(NOTATION)


def test_markdown_table_has_a_row_per_symbol() -> None:
    text = markdown_table()
    assert len(text.strip().splitlines()) == len(NOTATION) + 2
    assert "| $h_{l-1}$ | input of layer $l$ | `h_prev` |" in text
    with pytest.raises(ValueError, match="at least one"):
        markdown_table(())
