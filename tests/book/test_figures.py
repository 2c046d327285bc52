"""The book's figures: SVG from every chapter's kernel, numbered, with caption and alt text."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_book.book.sitecheck import empty_axes

pytestmark = [pytest.mark.site]

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def test_the_book_numbers_its_figures() -> None:
    text = (DOCS / "conf.py").read_text(encoding="utf-8")
    assert re.search(r"^numfig = True$", text, re.MULTILINE)


@pytest.mark.book
@pytest.mark.slow
def test_a_chapter_kernel_draws_svg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("matplotlib")
    # load the book's configuration as Sphinx does: it writes the kernels' profile
    env = dict(os.environ, BACKPROP_BOOK_BUILD_DIR=str(tmp_path))
    code = (
        f"import runpy, os; runpy.run_path({str(DOCS / 'conf.py')!r}); "
        "print(os.environ['IPYTHONDIR'])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    ipython_dir = proc.stdout.strip().splitlines()[-1]
    assert Path(ipython_dir) == tmp_path / "ipython"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "fig, (a, b) = plt.subplots(1, 2)\n"
            "a.plot([0, 1, 2], [2.3, 1.9, 1.7]); b.axhline(0.5)\n"
            "plt.show()"
        )
    ]
    monkeypatch.setenv("IPYTHONDIR", ipython_dir)  # the kernel inherits it, as in the build
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3")
    client.execute()
    (output,) = [o for o in nb.cells[0].outputs if o.get("output_type") == "display_data"]
    assert "image/svg+xml" in output["data"] and "image/png" not in output["data"]
    # and the site check reads the panels of what the kernel drew
    assert empty_axes(output["data"]["image/svg+xml"]) == ["axes_2"]
