"""Listings show a docstring rendered, and text that is no address is no mail link."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_book.book.rendering import split_docstring
from backprop_book.book.sitecheck import check_static

ROOT = Path(__file__).resolve().parents[2]

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


MODULE = '''
def affine(x, W):
    """The layer's output :math:`s = x W`.

    Parameters
    ----------
    x
        Inputs, one row per example.
    """
    return x @ W


class LeNet:
    """C1 conv 6@5x5, C3 conv 16@5x5; write to someone@example.org."""
'''

PAGE = """Toy
===

.. literalinclude:: toymod.py
   :pyobject: affine

.. autoclass:: toymod.LeNet
"""


def build(tmp_path: Path, extensions: list[str]) -> Path:
    src = tmp_path / "src"
    src.mkdir(parents=True)
    (src / "toymod.py").write_text(MODULE)
    (src / "conf.py").write_text(
        "import sys, pathlib\nsys.path.insert(0, str(pathlib.Path(__file__).parent))\n"
        f"extensions = {extensions!r}\nexclude_patterns = ['_build']\n"
    )
    (src / "index.rst").write_text(PAGE)
    out = tmp_path / "html"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@pytest.mark.book
@pytest.mark.slow
def test_the_extension_removes_both_slips_the_site_check_finds(tmp_path: Path) -> None:
    pytest.importorskip("bs4")
    base = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax"]
    plain = check_static(build(tmp_path / "plain", base))
    assert sorted({f.kind for f in plain.findings}) == ["mailto-text", "raw-role"]
    assert len([f for f in plain.findings if f.kind == "mailto-text"]) == 2  # not the address
    fixed_root = build(tmp_path / "fixed", [*base, "backprop_book.book.rendering"])
    assert check_static(fixed_root).findings == []
    html = (fixed_root / "index.html").read_text()
    assert "listing-docstring" in html and "\\(s = x W\\)" in html  # typeset by MathJax
    from bs4 import BeautifulSoup

    mails = [a["href"] for a in BeautifulSoup(html, "html.parser").select("a[href^=mailto]")]
    assert mails == ["mailto:someone%40example.org"]  # the address stays a link


def test_an_excerpt_cut_with_lines_loses_its_docstring_unless_the_cut_is_inside_it() -> None:
    excerpt = (
        "def init_std(init: str, fan_in: int,\n"
        "             fan_out: int) -> float:\n"
        '    """Std for :data:`INITS`: :math:`\\\\sqrt{2/n_{in}}` (He)."""\n'
        "    if init == 'he':\n"
    )
    body, doc = split_docstring(excerpt)
    assert doc == "Std for :data:`INITS`: :math:`\\sqrt{2/n_{in}}` (He)."  # escapes read
    assert body == excerpt.replace(excerpt.splitlines(keepends=True)[2], "")
    cut = 'def f(x):\n    r"""The first line of :math:`x`,\n    return x\n'
    assert split_docstring(cut) == (cut, None)
