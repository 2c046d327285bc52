"""Listings of a package object show its docstring rendered, and the code without it."""

from __future__ import annotations

import pytest

from backprop_book.book.listing import split_docstring

pytestmark = [pytest.mark.site]


def test_a_method_loses_its_docstring_and_keeps_its_indent() -> None:
    code = (
        "    def backward(self, grad=None):\n"
        '        """Gradients of :math:`L` with respect to every node.\n'
        "\n"
        "        >>> 1 + 1\n"
        "        2\n"
        '        """\n'
        "        return run_backward(self, grad)\n"
    )
    body, doc = split_docstring(code)
    assert body == "    def backward(self, grad=None):\n        return run_backward(self, grad)\n"
    assert doc == "Gradients of :math:`L` with respect to every node.\n\n>>> 1 + 1\n2"


def test_a_class_whose_body_is_only_a_docstring_still_parses() -> None:
    body, doc = split_docstring('class Config:\n    """The settings."""\n')
    assert doc == "The settings."
    assert body == "class Config:\n    ...\n"
    compile(body, "<listing>", "exec")


def test_code_without_a_docstring_or_that_does_not_parse_is_kept() -> None:
    for code in ("def f():\n    return 1\n", "def f(:\n", "x = 1\ny = 2\n"):
        assert split_docstring(code) == (code, None)
