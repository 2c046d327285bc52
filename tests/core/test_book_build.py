"""Build small MyST-NB books with the book's Sphinx extension and check what executes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("myst_nb", reason="the docs extra (myst-nb) is not installed")

pytestmark = [pytest.mark.core, pytest.mark.book, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

FRONT = "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n"


def chapter(title: str, *cells: str) -> str:
    body = "".join(f"\n```{{code-cell}} ipython3\n{c}\n```\n" for c in cells)
    return f"{FRONT}# {title}\n{body}"


def make_book(tmp_path: Path, chapters: dict[str, str]) -> Path:
    src = tmp_path / "book"
    src.mkdir()
    (src / "conf.py").write_text(
        "extensions = ['myst_nb', 'backprop_book.sphinxext']\n"
        "nb_execution_mode = 'cache'\n"
        "nb_execution_raise_on_error = True\n"
        "nb_execution_show_tb = True\n"
        f"nb_execution_cache_path = {str(tmp_path / 'jcache')!r}\n"
        f"bb_package_dir = {str(tmp_path / 'toypkg')!r}\n"
        "bb_package_name = 'toypkg'\n"
        "exclude_patterns = ['_build']\n"
    )
    toc = "\n".join(chapters)
    (src / "index.md").write_text(f"# Toy book\n\n```{{toctree}}\n{toc}\n```\n")
    for name, text in chapters.items():
        (src / f"{name}.md").write_text(text)
    pkg = tmp_path / "toypkg"
    (pkg / "p1").mkdir(parents=True)
    (pkg / "p2").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "p1" / "__init__.py").write_text("")
    (pkg / "p2" / "__init__.py").write_text("")
    (pkg / "p1" / "alpha.py").write_text("def f():\n    return 1\n")
    (pkg / "p2" / "beta.py").write_text("def g():\n    return 2\n")
    return src


def build(src: Path) -> tuple[int, str, set[str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src.parent), str(ROOT), env.get("PYTHONPATH", "")])
    env.pop("BACKPROP_BOOK_PROFILE", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            str(src),
            str(src / "_build" / "html"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    executed = set(re.findall(r"([\w-]+)\.md: Executing notebook", out))
    return proc.returncode, out, executed


def test_failing_cell_fails_the_build_naming_chapter_and_cell(tmp_path: Path) -> None:
    src = make_book(
        tmp_path,
        {
            "good": chapter("Good", "x = 1"),
            "broken": chapter("Broken", "y = 2", "raise RuntimeError('boom in the second cell')"),
        },
    )
    code, out, _ = build(src)
    assert code != 0
    assert "broken.md" in out  # the chapter
    assert "raise RuntimeError('boom in the second cell')" in out  # the failing cell's source
    assert "In[2]" in out  # and its execution number
    assert "RuntimeError" in out


def test_cache_reexecutes_exactly_the_chapters_whose_inputs_changed(tmp_path: Path) -> None:
    src = make_book(
        tmp_path,
        {
            "uses_alpha": chapter("Alpha", "from toypkg.p1.alpha import f\nprint(f())"),
            "uses_beta": chapter("Beta", "from toypkg.p2.beta import g\nprint(g())"),
        },
    )
    code, out, executed = build(src)
    assert code == 0, out
    assert executed == {"uses_alpha", "uses_beta"}

    code, out, executed = build(src)  # unchanged rebuild
    assert code == 0, out
    assert executed == set()

    (tmp_path / "toypkg" / "p1" / "alpha.py").write_text("def f():\n    return 10\n")
    code, out, executed = build(src)  # a package function changed: only its chapter re-runs
    assert code == 0, out
    assert executed == {"uses_alpha"}
    html = (src / "_build" / "html" / "uses_alpha.html").read_text()
    assert re.search(r">10\s*<", html)  # the new output is in the page, not a stale one

    code, out, executed = build(src)
    assert executed == set()
