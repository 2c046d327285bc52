"""Facts about the running environment: library versions, devices, git commit.

These feed the ``backprop-book info`` command and the provenance of every
recorded result (:mod:`backprop_book.results`).  torch is imported lazily so that
the NumPy and sympy parts of the book never pay for it.
"""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import sys
from pathlib import Path

__all__ = ["available_devices", "git_commit", "library_versions", "repo_root"]

#: Distributions whose versions are reported and recorded.
TRACKED_DISTRIBUTIONS: tuple[str, ...] = (
    "backprop_book",
    "numpy",
    "sympy",
    "torch",
    "torchvision",
    "matplotlib",
    "tqdm",
    "pillow",
)


def library_versions(names: tuple[str, ...] = TRACKED_DISTRIBUTIONS) -> dict[str, str | None]:
    """Return ``{distribution: version}``, with ``None`` for one that is not installed.

    The Python version is included under the key ``"python"``.

    >>> v = library_versions(("numpy", "surely-not-installed-xyz"))
    >>> v["surely-not-installed-xyz"] is None, isinstance(v["numpy"], str)
    (True, True)
    """
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def available_devices() -> dict[str, object]:
    """Describe the compute devices torch can see.

    Returns a dict with ``cpu`` (always ``True``), ``cuda`` (a list of device
    names, empty without a GPU), ``mps`` (bool) and ``torch`` (the version, or
    ``None`` if torch is not importable).
    """
    info: dict[str, object] = {"cpu": True, "cuda": [], "mps": False, "torch": None}
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a runtime dependency
        return info
    info["torch"] = torch.__version__
    if torch.cuda.is_available():
        info["cuda"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    info["mps"] = bool(mps is not None and mps.is_available())
    return info


def repo_root() -> Path | None:
    """The source checkout this package was imported from, or ``None`` if installed elsewhere."""
    here = Path(__file__).resolve().parent.parent
    return (
        here if (here / "pyproject.toml").is_file() and (here / "backprop_book").is_dir() else None
    )


def git_commit(cwd: str | Path | None = None) -> str | None:
    """The current git commit of the checkout (with ``-dirty`` if it has changes), or ``None``."""
    where = Path(cwd) if cwd is not None else repo_root()
    if where is None:
        return None
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return sha + ("-dirty" if dirty else "")


def command_line() -> str:
    """The command line of the running process, as a single string."""
    return (
        " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
        if sys.argv and sys.argv[0]
        else sys.executable
    )
