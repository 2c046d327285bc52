"""Facts about the running environment: library versions, devices, git commit.

These feed the ``backprop-book info`` command and the provenance of every
recorded result (:mod:`backprop_book.results`).  torch is imported lazily so that
the NumPy and sympy parts of the book never pay for it.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "RESULTS_PATHSPEC",
    "GitState",
    "available_devices",
    "cpu_model",
    "git_commit",
    "git_state",
    "hardware",
    "library_versions",
    "repo_root",
    "utc_stamp",
]

#: Paths left out of the clean-tree check: the recorded results themselves, which
#: recording one study after another changes.
RESULTS_PATHSPEC = ":(exclude)docs/results"

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
    """The current git commit of the checkout (with ``-dirty`` if it has changes), or ``None``.

    Changes under ``docs/results`` (the records themselves) do not count.
    """
    state = git_state(cwd)
    return None if state.commit is None else state.label


@dataclass(frozen=True)
class GitState:
    """The checkout's commit and whether it has changes (outside ``docs/results``).

    ``diff_sha256`` is the SHA-256 of ``git diff HEAD`` when the tree is dirty, so that
    a record made from a dirty tree names the exact changes it ran with.

    >>> GitState("abc", False, None).describe()
    'abc'
    >>> GitState("abc", True, "0f" * 32).describe()
    'abc with uncommitted changes (diff sha256 0f0f0f0f0f0f...)'
    """

    commit: str | None
    dirty: bool
    diff_sha256: str | None
    #: the changed paths (``git status --porcelain`` lines), at most a few
    changes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The commit, marked ``-dirty`` when the tree has changes (``unknown`` without one).

        >>> GitState("abc", True, None).label, GitState(None, True, None).label
        ('abc-dirty', 'unknown')
        """
        return (self.commit or "unknown") + ("-dirty" if self.dirty and self.commit else "")

    def describe(self) -> str:
        """The commit, and the diff's hash if the tree is dirty."""
        c = self.commit or "unknown commit"
        if not self.dirty:
            return c
        return f"{c} with uncommitted changes (diff sha256 {(self.diff_sha256 or '?')[:12]}...)"


def _git(where: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=where, capture_output=True, timeout=20, check=True
    ).stdout


def git_state(cwd: str | Path | None = None) -> GitState:
    """The commit of the checkout and its uncommitted changes, outside ``docs/results``.

    Untracked files are not changes; an installed package (no checkout) or a missing
    ``git`` gives ``GitState(None, True, None)``: nothing proves the code is a commit.
    """
    where = Path(cwd) if cwd is not None else repo_root()
    if where is None:
        return GitState(None, True, None, ("no git checkout",))
    try:
        sha = _git(where, "rev-parse", "HEAD").decode().strip()
        status = _git(
            where, "status", "--porcelain", "--untracked-files=no", "--", ".", RESULTS_PATHSPEC
        ).decode()
        if not status.strip():
            return GitState(sha, False, None)
        diff = _git(where, "diff", "HEAD", "--binary", "--", ".", RESULTS_PATHSPEC)
    except (OSError, subprocess.SubprocessError):
        return GitState(None, True, None, ("git is not available",))
    changes = tuple(line.strip() for line in status.splitlines() if line.strip())
    return GitState(sha, True, hashlib.sha256(diff).hexdigest(), changes[:5])


def cpu_model() -> str:
    """The CPU's model name (from ``/proc/cpuinfo`` on Linux, else :mod:`platform`).

    >>> isinstance(cpu_model(), str) and len(cpu_model()) > 0
    True
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def hardware(device: str) -> str:
    """What ran the computation: the GPU's name for a CUDA device, else the CPU model.

    The CPU line gives the logical CPUs the process may use and torch's thread count
    when torch is loaded, e.g. ``"Intel(R) Xeon(R) ... (2 logical CPUs, 1 torch thread)"``.
    """
    dev = str(device)
    if dev.startswith("cuda"):
        try:
            import torch

            index = int(dev.split(":", 1)[1]) if ":" in dev else 0
            return torch.cuda.get_device_name(index)
        except Exception:
            return "CUDA GPU (name unavailable)"
    if dev.startswith("mps"):
        return f"Apple GPU (MPS) on {cpu_model()}"
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 0
    extra = f"{n} logical CPU{'s' if n != 1 else ''}"
    loaded = sys.modules.get("torch")
    if loaded is not None:
        t = loaded.get_num_threads()
        extra += f", {t} torch thread{'s' if t != 1 else ''}"
    return f"{cpu_model()} ({extra})"


def utc_stamp() -> str:
    """Now, in UTC, to the microsecond: e.g. the ``session`` that a trainer's epochs keep.

    >>> utc_stamp().endswith("+00:00") and len(utc_stamp()) == 32
    True
    """
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


def command_line() -> str:
    """The command line of the running process, as a single string that reruns it.

    A console script keeps its name (``backprop-book reproduce ...``); a module run
    with ``python -m`` is given back as ``python -m NAME ...``, since the path of its
    file (``.../bench_flops.py``) does not rerun it: its imports need the package.
    """
    if not (sys.argv and sys.argv[0]):
        return sys.executable
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    name = getattr(spec, "name", "") or ""
    if name and sys.argv[0] not in ("-c", "-m"):
        head = ["python", "-m", name.removesuffix(".__main__")]
    else:
        head = [Path(sys.argv[0]).name]
    return " ".join([*head, *sys.argv[1:]])
