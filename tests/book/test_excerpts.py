"""The teaching excerpt: a function without its docstring and its validation, cut by
the syntax tree (``backprop_book.book.excerpts``), shown by the ``excerpt`` directive
and inlined into the downloadable notebooks."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from backprop_book.book.excerpts import (
    checking_helpers,
    droppable_lines,
    excerpt,
    excerpt_of_source,
    object_source,
)
from backprop_book.book.notebooks import inline_literalincludes

pytestmark = [pytest.mark.book]

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
    # the docstring, the check that rebinds x, the if-raise, and n, read only by the message
    assert droppable_lines(VALIDATED) == {2, 3, 4, 5, 6}


def test_the_excerpt_keeps_the_computation_and_nothing_doubled() -> None:
    assert excerpt_of_source(VALIDATED) == "def f(x, y):\n    z = x @ y\n    return z\n"


def test_a_check_that_brings_new_names_stays() -> None:
    source = "def g(ds, cache):\n    h, W = _check_cache(ds, cache)\n    return ds @ W.T + h\n"
    assert droppable_lines(source) == set()
    assert "_check_cache" in excerpt_of_source(source)


def test_an_elif_that_only_raises_goes_and_its_if_stays() -> None:
    source = 'def g(x, mode):\n    if mode == "a":\n        y = x\n    elif mode != "b":\n'
    source += "        raise ValueError(mode)\n    return y\n"
    assert (
        excerpt_of_source(source)
        == 'def g(x, mode):\n    if mode == "a":\n        y = x\n    return y\n'
    )


def test_a_raising_branch_beside_an_else_stays() -> None:
    source = textwrap.dedent(
        """\
        def g(x, mode):
            if mode == "a":
                y = x
            elif mode != "b":
                raise ValueError(mode)
            else:
                y = -x
            return y
        """
    )
    assert excerpt_of_source(source) == source  # left whole, not cut into code that fails


def test_a_function_of_nothing_but_checks_keeps_a_body() -> None:
    code = excerpt_of_source('def g(x):\n    """Doc."""\n    if x < 0:\n        raise ValueError\n')
    assert code == "def g(x):\n    ...\n"


def test_checking_helpers_are_those_that_raise_and_change_nothing() -> None:
    module = textwrap.dedent(
        """\
        def _shape(x):
            if x.ndim != 2:
                raise ValueError(x.shape)
            return x
        def _store(cache, x):
            if x is None:
                raise TypeError
            cache[0] = x
        def _pure(x):
            return x + 1
        def public(x):
            raise ValueError
        def f(x, cache):
            _shape(x)
            _store(cache, x)
            _pure(x)
            return x
        """
    )
    checkers = checking_helpers(module)
    assert checkers == {"_shape"}
    source = module[module.index("def f") :]
    assert excerpt_of_source(source, checkers=checkers) == (
        "def f(x, cache):\n    _store(cache, x)\n    _pure(x)\n    return x\n"
    )


def test_end_before_a_marker() -> None:
    source = "def g(x):\n    y = 2 * x\n    # [/here]\n    return y\n"
    assert excerpt_of_source(source, "# [/here]") == "def g(x):\n    y = 2 * x\n"
    with pytest.raises(ValueError, match=r"expected the marker '# \[/gone\]'"):
        excerpt_of_source(source, "# [/gone]")
    with pytest.raises(ValueError, match="does not parse"):
        excerpt_of_source("def g(x):\n    return (2 *\n    # [/m]\n    x)\n", "# [/m]")


def test_not_one_function_is_refused() -> None:
    with pytest.raises(TypeError, match="expected the source of one function, got ClassDef"):
        droppable_lines("class A:\n    pass\n")


def test_object_source_reads_methods_and_property_getters() -> None:
    src = object_source("backprop_book.numpy_nn.two_layer_net.TwoLayerNet.loss")
    assert src.code.startswith("def loss(") and src.qualname == "TwoLayerNet.loss"
    assert src.path.name == "two_layer_net.py"
    line = src.path.read_text(encoding="utf-8").splitlines()[src.line - 1]
    assert line.strip().startswith("def loss(")
    grad = object_source("backprop_book.autograd.core.TensorNode.grad")
    assert grad.code.startswith("@property\ndef grad(self)")
    with pytest.raises(ValueError, match=r"found no 'backprop_book\.metrics\.nope'"):
        object_source("backprop_book.metrics.nope")
    with pytest.raises(ValueError, match="expected a dotted name in an importable module"):
        object_source("no_such_package_xyz.f")


def test_an_added_check_leaves_a_real_excerpt_as_it_was(tmp_path: Path) -> None:
    """The robustness the directive exists for, on a function of the package."""
    src = object_source("backprop_book.numpy_nn.layers.affine_backward")
    before = excerpt_of_source(src.code, checkers=src.checkers)
    tree = ast.parse(src.code)
    body = tree.body[0].body  # type: ignore[attr-defined]
    lines = src.code.splitlines(keepends=True)
    at = body[1].lineno - 1  # after the docstring
    check = "    if ds.ndim != 2:\n        raise ValueError(f'expected 2-d ds, got {ds.ndim}')\n"
    edited = "".join(lines[:at]) + check + "".join(lines[at:])
    assert edited != src.code
    assert excerpt_of_source(edited, checkers=src.checkers) == before


def test_notebooks_inline_the_excerpt(tmp_path: Path) -> None:
    name = "backprop_book.numpy_nn.layers.relu_forward"
    markdown = f"Before.\n\n```{{excerpt}} {name}\n```\n\nAfter.\n"
    shown = inline_literalincludes(markdown, tmp_path)
    assert "{excerpt}" not in shown
    assert f"```python\n{excerpt(name).rstrip()}\n```" in shown
    marked = '```{excerpt} backprop_book.numpy_nn.solver.train\n:end-before: "# [/sgd-step]"\n```\n'
    code = inline_literalincludes(marked, tmp_path)
    assert "lr *= learning_rate_decay" in code and "X_val is not None" not in code.split("lr *=")[1]


TOYMOD = '''\
import numpy as np


def _rows(name, x):
    if x.ndim != 2:
        raise ValueError(f"expected {name} of 2 dimensions, got {x.ndim}")


def affine(x, W):
    """Affine map :math:`s = x W`."""
    _rows("x", x)
    if W.shape[0] != x.shape[1]:
        raise ValueError("expected W with a row per column of x")
    return x @ W
'''


def sphinx_build(tmp_path: Path, page: str) -> subprocess.CompletedProcess[str]:
    src = tmp_path / "src"
    src.mkdir(parents=True)
    (src / "toymod.py").write_text(TOYMOD)
    (src / "conf.py").write_text(
        "import sys, pathlib\nsys.path.insert(0, str(pathlib.Path(__file__).parent))\n"
        "extensions = ['sphinx.ext.autodoc', 'backprop_book.book.excerpts']\n"
        "exclude_patterns = ['_build']\n"
    )
    (src / "index.rst").write_text(page)
    root = Path(__file__).resolve().parents[2]
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "-q",
            "-b",
            "html",
            str(src),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_the_directive_renders_the_excerpt_and_links_the_whole(tmp_path: Path) -> None:
    page = "Toy\n===\n\n.. excerpt:: toymod.affine\n\n.. autofunction:: toymod.affine\n"
    proc = sphinx_build(tmp_path / "good", page)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = (tmp_path / "good" / "html" / "index.html").read_text(encoding="utf-8")
    listing = html[html.index('class="literal-block-wrapper') :]
    listing = listing[: listing.index("</pre>")]
    text = re.sub(r"<[^>]+>", "", listing)
    assert "return x @ W" in text and "def affine(x, W):" in text
    assert "raise" not in text and "_rows" not in text and "Affine map" not in text
    assert 'href="#toymod.affine"' in listing  # the caption links to the whole function
    bad = sphinx_build(tmp_path / "bad", "Toy\n===\n\n.. excerpt:: toymod.nope\n")
    assert bad.returncode != 0 and "excerpt: expected a function or method" in bad.stderr
