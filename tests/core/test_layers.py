"""The floors of the package: the import contracts of pyproject.toml hold, and catch a break.

``nox -s lint`` runs ``lint-imports`` (import-linter, on grimp's import graph) with the
contracts in ``pyproject.toml``.  These tests run the same check on a copy of the
package, once as it is and once with a planted import that breaks a contract, so that
a contract that cannot fail would be seen.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.core

ROOT = Path(__file__).resolve().parents[2]
importlinter = pytest.importorskip("importlinter")


def _lint(package_parent: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the repository's contracts on the package found in ``package_parent``.

    ``python -S`` skips the site hooks, so the editable install of the checkout does not
    shadow the copy: the copy comes first on the path, import-linter's own folder after it.
    """
    libs = Path(importlinter.__file__).resolve().parents[1]
    code = (
        "import sys; from importlinter.cli import lint_imports_command; "
        "sys.argv = ['lint-imports', '--no-cache', '--config', sys.argv[1]]; "
        "lint_imports_command()"
    )
    return subprocess.run(
        [sys.executable, "-S", "-c", code, str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=package_parent,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(package_parent), str(libs)])},
        timeout=120,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the package (no bytecode), in a folder of its own."""
    shutil.copytree(
        ROOT / "backprop_book",
        tmp_path / "backprop_book",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return tmp_path


def _plant(copy: Path, module: str, line: str) -> None:
    path = copy / "backprop_book" / module
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    assert sep, module
    path.write_text(head + sep + line + "\n" + rest, encoding="utf-8")


def test_the_package_keeps_its_contracts(copy: Path) -> None:
    proc = _lint(copy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 2 kept, 0 broken." in proc.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # a part reaching up into Part V: the circle Slip.quote used to hold
        ("symbolic/slips.py", "import backprop_book.reports", "backprop_book.reports"),
        # a part registering its studies through the runner instead of the bottom registry
        (
            "numpy_nn/experiments.py",
            "import backprop_book.experiments",
            "backprop_book.experiments",
        ),
        # one part importing another
        ("autograd/nn.py", "import backprop_book.numpy_nn.layers", "backprop_book.numpy_nn"),
        # the bottom floor importing the data it sits under
        ("studies.py", "import backprop_book.data", "backprop_book.data"),
    ],
)
def test_a_planted_back_import_breaks_the_floors(
    copy: Path, module: str, line: str, broken: str
) -> None:
    _plant(copy, module, line)
    proc = _lint(copy)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Floors: an import never goes up; the parts stand alone BROKEN" in proc.stdout
    planted = "backprop_book." + module.removesuffix(".py").replace("/", ".")
    assert planted in proc.stdout and broken in proc.stdout


def test_a_planted_circle_inside_a_package_is_caught(copy: Path) -> None:
    # torch_nn.trainer imports checkpoint; checkpoint importing the trainer closes a circle
    _plant(copy, "torch_nn/checkpoint.py", "import backprop_book.torch_nn.trainer")
    proc = _lint(copy)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "No import circle between the modules of one package BROKEN" in proc.stdout


def test_every_module_of_the_package_has_a_floor() -> None:
    """A new top-level module or subpackage must be given its floor in pyproject.toml."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (floors,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "floors"]
    placed = {name for layer in floors["layers"] for name in re.split(r"[|:]", layer)}
    placed = {name.strip().removeprefix("backprop_book.") for name in placed}
    package = ROOT / "backprop_book"
    present = {
        p.stem if p.is_file() else p.name
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert present - placed == set(), "modules without a floor"
    assert placed - present == set(), "floors naming no module"
