from __future__ import annotations

import os
from pathlib import Path

import pytest

from backprop_book.profiles import Profile
from backprop_book.sphinxext import _inject_key, budget_report, chapter_key, module_closure

pytestmark = pytest.mark.core


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    pkg = tmp_path / "toypkg"
    files = {
        "__init__.py": '"""toy"""\n',
        "common.py": "X = 1\n",
        "p1/__init__.py": "",
        "p1/alpha.py": "from toypkg.p1.helpers import h\n\ndef f():\n    return h()\n",
        "p1/helpers.py": "def h():\n    return 1\n",
        "p2/__init__.py": "from .sub import k\n",
        "p2/beta.py": "def g():\n    return 2\n",
        "p2/sub/__init__.py": "from .inner import k\n",
        "p2/sub/inner.py": "from ..beta import g\nk = g\n",
    }
    for name, text in files.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text)
    return pkg


def names(paths: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_closure_follows_absolute_and_relative_imports(toy: Path) -> None:
    got = names(module_closure(["toypkg.p1.alpha"], toy, "toypkg"), toy)
    assert got == ["__init__.py", "common.py", "p1/alpha.py", "p1/helpers.py"]
    # a referenced subpackage brings all its files; relative imports are resolved
    sub = names(module_closure(["toypkg.p2.sub.k"], toy, "toypkg"), toy)
    assert sub == [
        "__init__.py",
        "common.py",
        "p2/beta.py",
        "p2/sub/__init__.py",
        "p2/sub/inner.py",
    ]


def _key(text: str, toy: Path, profile: Profile = Profile.QUICK, env: str = "e") -> str:
    return chapter_key(text, toy, "toypkg", profile=profile, environment=env)


def test_key_changes_only_with_what_the_chapter_depends_on(toy: Path) -> None:
    chapter = "```{code-cell}\nfrom toypkg.p1.alpha import f\n```\n"
    k0 = _key(chapter, toy)
    assert _key(chapter, toy) == k0
    (toy / "p2" / "sub" / "inner.py").write_text("k = 3\n")  # not imported by the chapter
    assert _key(chapter, toy) == k0
    (toy / "p1" / "helpers.py").write_text("def h():\n    return 42\n")  # imported through alpha
    k1 = _key(chapter, toy)
    assert k1 != k0
    (toy / "common.py").write_text("X = 2\n")  # top-level modules are shared infrastructure
    assert _key(chapter, toy) != k1


def test_key_depends_on_profile_and_environment(toy: Path) -> None:
    chapter = "import toypkg.p2.beta"
    base = _key(chapter, toy)
    assert _key(chapter, toy, profile=Profile.FULL) != base
    assert _key(chapter, toy, env="other versions") != base


def test_inject_key_into_kernelspec() -> None:
    text = "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n# T\n"
    out = _inject_key(text, "abc")
    assert "backprop_book_key: abc" in out and out.endswith("---\n# T\n")
    assert _inject_key("# no front matter\n", "abc") == "# no front matter\n"


def test_budget_report_sums_parts() -> None:
    rows = [
        {
            "docname": "part1/a",
            "part": "part1",
            "runtime_s": 40.0,
            "method": "cache",
            "succeeded": True,
        },
        {
            "docname": "part1/b",
            "part": "part1",
            "runtime_s": 30.0,
            "method": "cache",
            "succeeded": True,
        },
        {
            "docname": "data",
            "part": "front",
            "runtime_s": 10.0,
            "method": "cache",
            "succeeded": True,
        },
    ]
    text, over = budget_report(rows, {"front": 60.0, "part1": 60.0})
    assert over == ["part1"]
    assert "| 70.0 | 60 | over budget |" in text
    assert "| **all** | 80.0 | 120 | |" in text


def test_key_follows_an_extra_package_into_the_main_one(toy: Path, tmp_path: Path) -> None:
    bench = tmp_path / "benchpkg"
    bench.mkdir()
    (bench / "__init__.py").write_text("")
    (bench / "bench_x.py").write_text("from toypkg.p1.alpha import f\n")
    chapter = "import benchpkg.bench_x"

    def key() -> str:
        return chapter_key(
            chapter,
            toy,
            "toypkg",
            profile=Profile.QUICK,
            environment="e",
            extra_packages={"benchpkg": bench},
        )

    k0 = key()
    (bench / "bench_x.py").write_text("from toypkg.p1.alpha import f\nN = 2\n")
    k1 = key()
    assert k1 != k0  # the benchmark itself changed
    (toy / "p1" / "helpers.py").write_text("def h():\n    return 5\n")
    assert key() != k1  # a module the benchmark imports (through alpha) changed
    (toy / "p2" / "beta.py").write_text("def g():\n    return 7\n")
    k2 = key()
    (toy / "p2" / "beta.py").write_text("def g():\n    return 8\n")
    assert key() == k2  # unrelated to the chapter


def test_wheel_kernels_need_the_checkouts_own_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bb_kernel='wheel': the installed copy must be the checkout's, and the checkout leaves the path."""
    import shutil
    from types import SimpleNamespace

    from sphinx.errors import ExtensionError

    from backprop_book import sphinxext

    # the suite's own environment imports the checkout (editable): no installed copy
    root = Path(sphinxext.__file__).resolve().parents[1]
    assert sphinxext.installed_copy("backprop_book", root) is None
    assert sphinxext.installed_copy("surely-not-installed-xyz", root) is None
    checkout = tmp_path / "src" / "toypkg"
    (checkout / "sub").mkdir(parents=True)
    (checkout / "__init__.py").write_text("")
    (checkout / "sub" / "m.py").write_text("x = 1\n")
    docs = tmp_path / "docs"
    (docs / "results").mkdir(parents=True)
    (docs / "results" / "r.json").write_text("{}")
    installed = tmp_path / "site" / "toypkg"
    shutil.copytree(checkout, installed)
    shutil.copytree(docs / "results", installed / "_results")
    app = SimpleNamespace(srcdir=str(docs))
    config = SimpleNamespace(bb_kernel="wheel", bb_package_name="toypkg", bb_records_dir="results")
    other = str(tmp_path / "elsewhere")
    monkeypatch.setenv("PYTHONPATH", f"{checkout.parent}:{other}")

    monkeypatch.setattr(sphinxext, "installed_copy", lambda name, checkout: None)
    with pytest.raises(ExtensionError, match="toypkg is not installed from a wheel"):
        sphinxext._kernel_path(app, config, checkout)
    monkeypatch.setattr(sphinxext, "installed_copy", lambda name, checkout: installed)
    sphinxext._kernel_path(app, config, checkout)
    assert str(checkout.parent) not in os.environ["PYTHONPATH"].split(":")
    assert other in os.environ["PYTHONPATH"].split(":")
    (checkout / "sub" / "m.py").write_text("x = 2\n")  # edited after the wheel was built
    (docs / "results" / "new.json").write_text("{}")  # recorded after it
    with pytest.raises(
        ExtensionError, match=r"2 file\(s\) differ, e.g. sub/m.py, _results/new.json"
    ):
        sphinxext._kernel_path(app, config, checkout)
    config.bb_kernel = "checkout"
    sphinxext._kernel_path(app, config, checkout)
    assert os.environ["PYTHONPATH"].split(":")[0] == str(checkout.parent)
    config.bb_kernel = "venv"
    with pytest.raises(ExtensionError, match="expected 'checkout' or 'wheel', got 'venv'"):
        sphinxext._kernel_path(app, config, checkout)
