"""nox sessions of backprop_book: ``nox --list`` shows them.

torch is a multi-gigabyte install.  Every session that needs it gets it from one
shared base environment, ``.nox/_torch-<version>``, built once per checkout: the
session's own virtualenv (isolated from the user's environment as usual) receives
a ``.pth`` file that appends the base's site-packages to its import path, so pip
sees torch as installed and never fetches it again.  Everything else is installed
into the session's own environment.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nox

nox.options.sessions = ["tests", "docs", "site", "doctest", "lint", "typecheck"]
nox.options.reuse_venv = "yes"

ROOT = Path(__file__).resolve().parent
TORCH_REQUIREMENTS = ("torch==2.14.1", "torchvision==0.29.1")
TORCH_BASE = ROOT / ".nox" / "_torch-2.14.1"
SHARED_CIFAR10 = ROOT.parent / "shared" / "data" / "cifar10-jpeg.tar.gz"
BUILD = ROOT / "docs" / "_build"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package: apt-get install -y chromium


def _site_packages(python: str | Path, session: nox.Session) -> str:
    out = session.run(
        str(python),
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        silent=True,
        external=True,
    )
    assert isinstance(out, str)
    return out.strip().splitlines()[-1]


def _torch_base(session: nox.Session) -> str:
    """Build the shared torch environment once; return its site-packages folder."""
    marker = TORCH_BASE / ".complete"
    python = TORCH_BASE / "bin" / "python"
    if not (
        marker.is_file() and marker.read_text() == "\n".join(TORCH_REQUIREMENTS) and python.exists()
    ):
        shutil.rmtree(TORCH_BASE, ignore_errors=True)
        session.log(f"building the shared torch environment {TORCH_BASE} (once)")
        session.run(sys.executable, "-m", "venv", str(TORCH_BASE), external=True)
        session.run(str(python), "-m", "pip", "install", "-q", "--upgrade", "pip", external=True)
        session.run(str(python), "-m", "pip", "install", "-q", *TORCH_REQUIREMENTS, external=True)
        marker.write_text("\n".join(TORCH_REQUIREMENTS))
    return _site_packages(python, session)


def install(session: nox.Session, extras: str = "", *, wheel: bool = False) -> None:
    """Link the shared torch environment into this session, then install the package.

    The package is installed editable, or with ``wheel=True`` from a wheel built afresh
    from the checkout (which carries the recorded results, see ``setup.py``): what a
    reader installs, with nothing of the checkout on the path.
    """
    base = _torch_base(session)
    own = _site_packages("python", session)
    Path(own, "_backprop_book_shared_torch.pth").write_text(base + "\n")
    if not wheel:
        session.install("-q", "-e", f".[{extras}]" if extras else ".")
        return
    dist = ROOT / ".nox" / "_wheel"
    shutil.rmtree(dist, ignore_errors=True)
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools' stale build/lib
    session.run("python", "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT))
    (built,) = dist.glob("backprop_book-*.whl")
    session.install("-q", "--force-reinstall", "--no-deps", str(built))
    session.install("-q", f"{built}[{extras}]" if extras else str(built))


def data_env(session: nox.Session) -> dict[str, str]:
    """Environment of sessions that use CIFAR-10: the shared copy when present."""
    env = {}
    if "BACKPROP_BOOK_CIFAR10" not in os.environ and SHARED_CIFAR10.is_file():
        env["BACKPROP_BOOK_CIFAR10"] = str(SHARED_CIFAR10)
    return env


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite with pytest (extra arguments go to pytest)."""
    # The docs extra too: tests build small books, and the environment then matches the
    # docs session's, so both share one execution-cache key.
    # The site extra: the browser check's own tests drive Debian's Chromium when present.
    install(session, "docs,test,site")
    # the ten slowest tests are printed: each is sized to stay under a minute on a 2-core CI
    # machine (the chapters are executed by the docs session, not here)
    args = session.posargs or ["-n", "2", "--durations=10"]
    env = data_env(session)
    if "-n" in args:
        # one BLAS/OpenMP thread per pytest worker: two workers with two threads each
        # oversubscribe a 2-core machine and make every matrix product several times slower
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    session.run("pytest", *args, env=env)


def _profile_env(session: nox.Session) -> tuple[dict[str, str], list[str]]:
    """The environment of a book build: 'quick' / 'full' pick the profile, 'student' /
    'instructor' the edition (docs/conf.py reads BACKPROP_BOOK_EDITION)."""
    env = data_env(session)
    rest = []
    for arg in session.posargs:
        if arg in ("quick", "full"):
            env["BACKPROP_BOOK_PROFILE"] = arg
        elif arg in ("student", "instructor"):
            env["BACKPROP_BOOK_EDITION"] = arg
        else:
            rest.append(arg)
    return env, rest


@nox.session
def docs(session: nox.Session) -> None:
    """Build the executed HTML book ('full': the full profile; 'student': no solutions).

    The instructor's edition (the default) shows each exercise's solution folded under
    it and lands in docs/_build/html; the student's edition holds no solution, in its
    pages or its downloads, and lands in docs/_build/student/html.

    Each chapter is executed once, as its downloadable notebook runs for a reader: in
    this session's environment, where the package is installed from the wheel built
    from the checkout, with the checkout off the kernels' path and an empty folder as
    their working directory (``BACKPROP_BOOK_KERNEL=wheel``, see
    ``backprop_book.sphinxext``).  The test suite does not execute the chapters again.
    """
    install(session, "docs,test", wheel=True)
    env, rest = _profile_env(session)
    env["BACKPROP_BOOK_KERNEL"] = "wheel"
    html = BUILD / "html"
    if env.get("BACKPROP_BOOK_EDITION") == "student":
        html = BUILD / "student" / "html"
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "docs",
        str(html),
        *rest,
        env=env,
    )
    report = html.parent / "exec_times.md"
    if report.is_file():
        session.log("chapter execution times:\n" + report.read_text())
    session.log(f"the book is in {html / 'index.html'}")


@nox.session(reuse_venv=False)
def notebooks(session: nox.Session) -> None:
    """Run the book's downloaded notebooks in a fresh virtualenv holding only the wheel.

    Run after ``nox -s docs`` (whose HTML build writes the downloads); give notebook paths
    to run only those.  Each runs from an empty folder with the checkout off the path, its
    first cell checking the install.  Not part of CI: the docs build already executes
    every chapter's code from the installed wheel; this is the reader's own route, with
    nothing but the wheel, its ``notebook`` extra and a notebook runner installed.  The
    pages whose front matter turns ``execution_in_temp`` off need the checkout and are
    skipped, with the reason they give.
    """
    downloads = BUILD / "html" / "_sources"
    chosen = [Path(p).resolve() for p in session.posargs] or sorted(downloads.rglob("*.ipynb"))
    if not chosen:
        session.error(f"no notebooks in {downloads}: run 'nox -s docs' first")
    install(session, "notebook", wheel=True)
    session.install("-q", "nbclient>=0.10")
    env = {**data_env(session), "PYTHONPATH": "", "MPLBACKEND": "agg"}
    for nb in chosen:
        page = (
            ROOT / "docs" / nb.relative_to(downloads).with_suffix(".md")
            if nb.is_relative_to(downloads)
            else None
        )
        if page is not None and page.is_file() and "execution_in_temp: false" in page.read_text():
            session.log(f"skipped {nb.name}: its page runs in the checkout (see its front matter)")
            continue
        work = Path(session.create_tmp()) / nb.stem
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        shutil.copy(nb, work / nb.name)
        session.chdir(work)
        session.run("jupyter", "execute", "--timeout=900", nb.name, env=env)
    session.chdir(ROOT)


@nox.session
def site(session: nox.Session) -> None:
    """Open every page of the built book in headless Chromium, offline, and check it.

    Run after ``nox -s docs``.  Needs Debian's Chromium (``apt-get update && apt-get
    install -y chromium``); Playwright's Python package drives it (its own browser
    download is never used).  Screenshots and a JSON report go to docs/_build/site/.
    """
    html = BUILD / "html"
    if not (html / "index.html").is_file():
        session.error(f"no built book in {html}: run 'nox -s docs' first")
    if not CHROMIUM.is_file():
        session.error(
            f"no Chromium at {CHROMIUM}: install Debian's package with "
            "'apt-get update && apt-get install -y chromium'"
        )
    session.install("-q", "playwright>=1.40", "beautifulsoup4>=4.12")
    out = BUILD / "site"
    session.run(
        "python",
        "-m",
        "backprop_book.book.sitecheck",
        str(html),
        "--screenshots",
        str(out),
        "--json",
        str(out / "report.json"),
        *session.posargs,
        env={"PYTHONPATH": str(ROOT)},
    )


@nox.session
def doctest(session: nox.Session) -> None:
    """Doctest the package's docstrings and the book (Sphinx's doctest builder)."""
    install(session, "docs,test")
    env, rest = _profile_env(session)
    session.run("pytest", "--doctest-modules", "-p", "no:cacheprovider", "backprop_book", env=env)
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "doctest",
        "docs",
        str(BUILD / "doctest"),
        *rest,
        env=env,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Lint with ruff, check the formatting, and check the package's floors (import-linter).

    The import contracts live in ``pyproject.toml`` (``[tool.importlinter]``):
    import-linter reads the imports of the source without running it, so the package
    is put on the path rather than installed.
    """
    session.install("-q", "ruff>=0.6", "import-linter>=2.1")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports", "--no-cache", env={"PYTHONPATH": str(ROOT)})


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package and the benchmarks with mypy."""
    install(session, "dev")
    session.run("mypy", "backprop_book", "benchmarks")


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks and print ratios measured side by side ('--quick' for a smoke run)."""
    install(session, "test")
    session.install("-q", "threadpoolctl")
    session.run("python", "-m", "benchmarks.run", *session.posargs, env=data_env(session))
