"""Sphinx extension of the book: a correctly keyed execution cache and a time budget.

MyST-NB's execution cache (jupyter-cache) keys a chapter on its code cells'
source and metadata and on the notebook's kernelspec, nothing else: editing a
function in the package, upgrading a dependency or switching the profile would
leave stale outputs in the book.  This extension closes that gap.  Before MyST-NB
reads a chapter (Sphinx's ``source-read`` event) it computes a digest of

* the package modules the chapter imports, followed through the package's own
  imports (parsed with :mod:`ast`, never executed), plus the package's
  top-level modules;
* the names and versions of every installed distribution;
* the active profile and the configured CIFAR-10 source;
* extra paths from ``bb_key_paths``, where ``{part}`` stands for the chapter's part
  (the book uses ``results/{part}``: a chapter re-runs when its part's recorded
  results change),

and writes it into the chapter's kernelspec metadata (``backprop_book_key``),
which jupyter-cache hashes.  A changed input therefore re-executes exactly the
chapters that depend on it; an unchanged rebuild re-executes nothing.

The chapters' kernels import the package from the checkout (``bb_kernel =
"checkout"``, the default) or, with ``bb_kernel = "wheel"`` (``BACKPROP_BOOK_KERNEL=wheel``,
as ``nox -s docs`` sets it), from the copy installed from the built wheel, with the
checkout off their path: each chapter then runs as its downloaded notebook runs for a
reader, and the build refuses an installed copy that is not the checkout's, byte for
byte.

After the build it writes a table of each chapter's execution time
(``exec_times.md`` and ``exec_times.json`` next to the output folder), sums it
per part of the book, and compares the sums with
:data:`backprop_book.profiles.PART_BUDGETS_S` under the quick profile.  A part over
its budget is reported loudly in the log; with ``bb_strict_budget = True`` (or
``BACKPROP_BOOK_STRICT_BUDGET=1``) it is a Sphinx warning, which ``-W`` turns
into a failed build.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from backprop_book._io import atomic_write_text
from backprop_book.profiles import PART_BUDGETS_S, PART_TITLES, Profile, get_profile, part_of
from backprop_book.records import PACKAGED_RECORDS

__all__ = ["chapter_key", "differing_files", "installed_copy", "module_closure", "setup"]

_FRONTMATTER_RE = re.compile(r"\A---\s*\n(.*?\n)---\s*\n", re.DOTALL)


# ----------------------------------------------------------------------------- dependency digest


def _module_map(package_dir: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the package."""
    out: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir).with_suffix("")
        parts = [package, *rel.parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports_in_source(source: str, module: str, is_package: bool, package: str) -> set[str]:
    """Names of the package's modules imported by ``source`` (relative imports resolved)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    here = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                mod = ".".join([*base, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{alias.name}" for alias in node.names)
    return {n for n in found if n == package or n.startswith(package + ".")}


def module_closure(names: Iterable[str], package_dir: Path, package: str) -> list[Path]:
    """Files of the package reachable from the module ``names`` through its own imports.

    A referenced subpackage brings in all of its files; the top-level package name
    alone brings in its ``__init__``.  Every top-level module of the package (shared
    infrastructure such as profiles and results) is always included.

    The imports are read with :mod:`ast` from the files under ``package_dir`` rather
    than taken from grimp's graph (which the lint session's import contracts use):
    grimp finds a package through the import system, so under ``bb_kernel = "wheel"``
    it could read the installed copy instead of the checkout whose files the cache key
    must hash, and pointing it at a folder means changing ``sys.path`` for the build.
    """
    modules = _module_map(package_dir, package)
    todo = [n for n in names]
    todo += [m for m, p in modules.items() if p.parent == package_dir]  # top-level modules
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        # strip attribute names (``backprop_book.data.load_cifar10``) down to a module
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in seen or name not in modules:
            continue
        seen.add(name)
        path = modules[name]
        is_pkg = path.name == "__init__.py"
        if is_pkg and name != package:
            todo.extend(m for m in modules if m.startswith(name + "."))
        todo.extend(_imports_in_source(path.read_text(encoding="utf-8"), name, is_pkg, package))
    return sorted(modules[n] for n in seen)


def _environment_digest() -> str:
    dists = sorted(
        f"{d.metadata['Name']}=={d.version}"
        for d in importlib.metadata.distributions()
        if d.metadata["Name"]
    )
    return hashlib.sha256("\n".join(dists).encode()).hexdigest()


def _hash_paths(h: Any, paths: Iterable[Path], root: Path | None = None) -> None:
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if not f.is_file() or "__pycache__" in f.parts:
                continue
            label = (
                f.relative_to(root).as_posix() if root and f.is_relative_to(root) else f.as_posix()
            )
            h.update(label.encode() + b"\0" + f.read_bytes() + b"\0")


def chapter_key(
    source: str,
    package_dir: Path,
    package: str,
    *,
    profile: Profile,
    extra_paths: Iterable[Path] = (),
    environment: str | None = None,
    extra: Mapping[str, str] | None = None,
    extra_packages: Mapping[str, Path] | None = None,
) -> str:
    """The execution-cache key of one chapter: a SHA-256 hex digest.

    Parameters
    ----------
    source
        The chapter's text; the package modules it names are found by a regular
        expression (``backprop_book.numpy_nn``, ``from backprop_book.data import ...``).
    package_dir, package
        The package's folder and import name.
    profile
        The active run profile.
    extra_paths
        Files or folders hashed for every chapter (e.g. recorded results).
    environment
        Digest of the installed distributions; computed if not given.
    extra
        Other settings that change outputs (e.g. the data source), hashed as text.
    extra_packages
        Other importable packages of the project (``{"benchmarks": path}``) that a
        chapter may import; the modules it uses are hashed too, and the main
        package's modules that *they* import count as used by the chapter.
    """
    h = hashlib.sha256()
    text = source
    for name, folder in sorted((extra_packages or {}).items()):
        found = set(re.findall(rf"\b{re.escape(name)}(?:\.[A-Za-z_]\w*)*", source))
        if not found or not folder.is_dir():
            continue
        files = module_closure(found, folder, name)
        _hash_paths(h, files, folder.parent)
        text += "\n".join(f.read_text(encoding="utf-8") for f in files)
    pattern = re.compile(rf"\b{re.escape(package)}(?:\.[A-Za-z_]\w*)*")
    names = set(pattern.findall(text))
    h.update(f"profile={profile.value}\n".encode())
    h.update(f"env={environment if environment is not None else _environment_digest()}\n".encode())
    for k, v in sorted((extra or {}).items()):
        h.update(f"{k}={v}\n".encode())
    _hash_paths(h, module_closure(names, package_dir, package), package_dir.parent)
    _hash_paths(h, [p for p in extra_paths if p.exists()])
    return h.hexdigest()


def _inject_key(text: str, key: str) -> str:
    """Put ``key`` into the kernelspec of a MyST notebook's YAML front matter."""
    import yaml

    match = _FRONTMATTER_RE.match(text)
    if match is None:
        return text
    meta = yaml.safe_load(match.group(1)) or {}
    if not isinstance(meta, dict) or "kernelspec" not in meta:
        return text  # not an executable notebook
    kernelspec = dict(meta["kernelspec"] or {})
    kernelspec["backprop_book_key"] = key
    meta["kernelspec"] = kernelspec
    front = yaml.safe_dump(meta, sort_keys=False)
    return f"---\n{front}---\n" + text[match.end() :]


# ----------------------------------------------------------------------------- Sphinx hooks


# ----------------------------------------------------------------------------- kernels


def installed_copy(package: str, checkout: Path) -> Path | None:
    """The folder of the installed, non-editable copy of ``package``; ``None`` if none is.

    Distributions found in the ``checkout`` (the ``.egg-info`` an editable install
    leaves there, on the path because ``conf.py`` puts the checkout first) and editable
    installs (pip's ``direct_url.json`` says ``editable``) have no copy: they import the
    checkout.
    """
    import sys

    paths = [p for p in sys.path if Path(p or ".").resolve() != checkout.resolve()]
    for dist in importlib.metadata.distributions(name=package, path=paths):
        direct = dist.read_text("direct_url.json")
        if direct and json.loads(direct).get("dir_info", {}).get("editable"):
            return None
        init = Path(str(dist.locate_file(f"{package}/__init__.py")))
        return init.parent if init.is_file() else None
    return None


def differing_files(copy: Path, original: Path, pattern: str = "**/*.py") -> list[str]:
    """Files matching ``pattern`` that ``copy`` lacks, holds otherwise, or holds in excess.

    >>> import tempfile
    >>> a, b = (Path(tempfile.mkdtemp()) for _ in range(2))
    >>> _ = (a / "m.py").write_text("x = 1"), (b / "m.py").write_text("x = 2")
    >>> differing_files(a, b), differing_files(a, a)
    (['m.py'], [])
    """

    def files(root: Path) -> dict[str, Path]:
        return {
            p.relative_to(root).as_posix(): p
            for p in root.glob(pattern)
            if p.is_file() and "__pycache__" not in p.parts
        }

    mine, theirs = files(copy), files(original)
    return sorted(
        name
        for name in mine.keys() | theirs.keys()
        if name not in mine
        or name not in theirs
        or mine[name].read_bytes() != theirs[name].read_bytes()
    )


def _kernel_path(app: Any, config: Any, pkg_dir: Path) -> None:
    """Point the chapters' kernels at the package: the checkout, or the installed wheel.

    ``bb_kernel = "checkout"`` (the default) puts the checkout first on the kernels'
    ``PYTHONPATH``.  ``bb_kernel = "wheel"`` (``BACKPROP_BOOK_KERNEL=wheel``; ``nox -s
    docs`` sets it) runs the chapters as a reader's downloaded notebooks run: from the
    package installed from the built wheel, with the checkout off the path (and, by
    ``nb_execution_in_temp``, from an empty folder).  The installed copy must hold the
    checkout's modules and records byte for byte, else the build stops: the cache key
    hashes the checkout's files, so a stale wheel would go unnoticed.
    """
    from sphinx.errors import ExtensionError

    src_root = str(pkg_dir.parent)
    current = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    mode = config.bb_kernel or os.environ.get("BACKPROP_BOOK_KERNEL") or "checkout"
    app.bb_kernel = f"{mode} ({src_root})"
    if mode == "checkout":
        if src_root not in current:
            os.environ["PYTHONPATH"] = os.pathsep.join([src_root, *current])
        return
    if mode != "wheel":
        raise ExtensionError(f"bb_kernel: expected 'checkout' or 'wheel', got {mode!r}")
    package = config.bb_package_name
    copy = installed_copy(package, pkg_dir.parent)
    if copy is None:
        raise ExtensionError(
            f"bb_kernel is 'wheel' but {package} is not installed from a wheel (absent or "
            "editable): install the built wheel, as nox -s docs does"
        )
    stale = differing_files(copy, pkg_dir)
    records = Path(app.srcdir, config.bb_records_dir)
    if records.is_dir():
        packaged = PACKAGED_RECORDS.name
        stale += [f"{packaged}/{f}" for f in differing_files(copy / packaged, records, "**/*")]
    if stale:
        raise ExtensionError(
            f"the installed {package} ({copy}) is not this checkout's: {len(stale)} file(s) "
            f"differ, e.g. {', '.join(stale[:3])}; rebuild and reinstall the wheel "
            "(nox -s docs does)"
        )
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in current if p != src_root)
    app.bb_kernel = f"wheel ({copy})"


def _on_config_inited(app: Any, config: Any) -> None:
    pkg_dir = Path(config.bb_package_dir or Path(__file__).resolve().parent)
    config.bb_package_dir = str(pkg_dir)
    app.bb_environment_digest = _environment_digest()
    app.bb_profile = get_profile()
    _kernel_path(app, config, pkg_dir)


def _key_for(app: Any, docname: str, text: str) -> str:
    cfg = app.config
    return chapter_key(
        text,
        Path(cfg.bb_package_dir),
        cfg.bb_package_name,
        profile=app.bb_profile,
        extra_paths=[Path(app.srcdir, p.format(part=part_of(docname))) for p in cfg.bb_key_paths],
        environment=app.bb_environment_digest,
        extra={name: os.environ.get(name, "") for name in cfg.bb_key_env},
        extra_packages={
            name: Path(app.srcdir, folder) for name, folder in cfg.bb_extra_packages.items()
        },
    )


def _is_notebook(text: str) -> bool:
    return "kernelspec" in text[:2000]


def _on_source_read(app: Any, docname: str, source: list[str]) -> None:
    text = source[0]
    if not _is_notebook(text):
        return
    key = _key_for(app, docname, text)
    keys = getattr(app.env, "bb_keys", None)
    if keys is None:
        keys = app.env.bb_keys = {}
    keys[docname] = key
    source[0] = _inject_key(text, key)


def _on_get_outdated(
    app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Re-read chapters whose key changed although their own file did not (e.g. package edits)."""
    stale = []
    for docname, old in getattr(env, "bb_keys", {}).items():
        if docname in added or docname in changed or docname in removed:
            continue
        path = Path(env.doc2path(docname))
        if not path.is_file():
            continue
        if _key_for(app, docname, path.read_text(encoding="utf-8")) != old:
            stale.append(docname)
    return stale


def _on_purge_doc(app: Any, env: Any, docname: str) -> None:
    getattr(env, "bb_keys", {}).pop(docname, None)


def _on_merge_info(app: Any, env: Any, docnames: set[str], other: Any) -> None:
    keys = getattr(env, "bb_keys", None)
    if keys is None:
        keys = env.bb_keys = {}
    keys.update({d: k for d, k in getattr(other, "bb_keys", {}).items() if d in docnames})


def _exec_rows(app: Any, env: Any) -> list[dict[str, Any]]:
    from myst_nb.sphinx_ import NbMetadataCollector

    rows = []
    for docname, data in sorted(NbMetadataCollector.get_doc_data(env).items()):
        exec_data = data.get("exec_data")
        if not exec_data:
            continue
        rows.append(
            {
                "docname": docname,
                "part": part_of(docname),
                "runtime_s": exec_data.get("runtime"),
                "method": exec_data.get("method"),
                "succeeded": exec_data.get("succeeded"),
            }
        )
    return rows


def budget_report(
    rows: list[dict[str, Any]], budgets: Mapping[str, float]
) -> tuple[str, list[str]]:
    """Markdown tables of per-chapter and per-part execution times, and the parts over budget.

    >>> rows = [{"docname": "part1/a", "part": "part1", "runtime_s": 70.0, "method": "cache",
    ...          "succeeded": True}]
    >>> text, over = budget_report(rows, {"part1": 60.0})
    >>> over
    ['part1']
    """
    lines = ["| chapter | part | seconds | method | ok |", "|---|---|---:|---|---|"]
    totals: dict[str, float] = {}
    for r in rows:
        t = float(r["runtime_s"] or 0.0)
        totals[r["part"]] = totals.get(r["part"], 0.0) + t
        lines.append(
            f"| {r['docname']} | {r['part']} | {t:.1f} | {r['method']} | {r['succeeded']} |"
        )
    lines += ["", "| part | seconds | budget | status |", "|---|---:|---:|---|"]
    over = []
    for part, budget in budgets.items():
        t = totals.get(part, 0.0)
        status = "over budget" if t > budget else "ok"
        if t > budget:
            over.append(part)
        lines.append(f"| {PART_TITLES.get(part, part)} | {t:.1f} | {budget:.0f} | {status} |")
    total = sum(totals.values())
    lines.append(f"| **all** | {total:.1f} | {sum(budgets.values()):.0f} | |")
    return "\n".join(lines) + "\n", over


def _on_build_finished(app: Any, exception: Exception | None) -> None:
    if exception is not None:
        return
    from sphinx.util import logging as sphinx_logging

    logger = sphinx_logging.getLogger(__name__)
    rows = _exec_rows(app, app.env)
    budgets = dict(app.config.bb_budgets or PART_BUDGETS_S)
    text, over = budget_report(rows, budgets)
    out = Path(app.outdir).parent
    header = (
        f"Execution times (profile={app.bb_profile.value}; the package from "
        f"{getattr(app, 'bb_kernel', 'the checkout')}; cached chapters show their last real run)\n\n"
    )
    atomic_write_text(out / "exec_times.md", header + text)
    atomic_write_text(
        out / "exec_times.json",
        json.dumps({"profile": app.bb_profile.value, "rows": rows}, indent=2),
    )
    logger.info("execution times written to %s", out / "exec_times.md")
    if app.bb_profile is Profile.QUICK and over:
        strict = app.config.bb_strict_budget or os.environ.get("BACKPROP_BOOK_STRICT_BUDGET") == "1"
        msg = (
            "quick profile over its execution budget in: "
            + ", ".join(over)
            + f" (see {out / 'exec_times.md'})"
        )
        if strict:
            logger.warning(msg, type="backprop_book", subtype="budget")
        else:
            logger.info("OVER BUDGET: " + msg)


def setup(app: Any) -> dict[str, Any]:
    """Register the extension with Sphinx."""
    app.add_config_value("bb_package_dir", None, "env")
    app.add_config_value("bb_package_name", "backprop_book", "env")
    app.add_config_value("bb_key_paths", [], "env")
    app.add_config_value("bb_key_env", ["BACKPROP_BOOK_CIFAR10"], "env")
    app.add_config_value("bb_extra_packages", {}, "env")
    app.add_config_value("bb_budgets", None, "env")
    app.add_config_value("bb_strict_budget", False, "env")
    app.add_config_value("bb_kernel", None, "env")
    app.add_config_value("bb_records_dir", "results", "env")
    app.connect("config-inited", _on_config_inited)
    app.connect("source-read", _on_source_read)
    app.connect("env-get-outdated", _on_get_outdated)
    app.connect("env-purge-doc", _on_purge_doc)
    app.connect("env-merge-info", _on_merge_info)
    app.connect("build-finished", _on_build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
