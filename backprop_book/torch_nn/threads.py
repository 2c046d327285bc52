"""Choose, by measurement, the number of CPU threads that trains a model fastest here.

PyTorch starts one intra-op thread per core. Whether more threads pay depends on
the machine and the model: a large convolution splits well over cores, while the
small tutorial CNN spends much of its step in per-operator overhead that threads
only add to, and on a shared machine a thread that waits for a busy core stalls
the others. So the trainer does not guess: with ``TrainConfig(threads="auto")``
it times a few training steps of a copy of the model at each candidate thread
count (:func:`candidates`: 1, 2, 4, ... up to the core count), keeps the fastest
(:func:`choose_threads`; a tie within :data:`TIE` goes to fewer threads), and caches
the choice per machine, model and batch size (:func:`auto_threads`, one JSON file
in the package cache, written atomically) so that later runs start at once.

The measurement trains a copy, with its own optimizer, on random inputs, and
restores torch's random-number state afterwards: choosing threads changes nothing
about the run except its speed (and, as any thread count does, the order of float
sums inside kernels).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from backprop_book._io import atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from backprop_book.torch_nn.models import ImageClassifier

__all__ = [
    "CACHE_FILE",
    "TIE",
    "ThreadChoice",
    "auto_threads",
    "cache_key",
    "cache_path",
    "candidates",
    "choose_threads",
    "configure_threads",
    "machine_id",
    "parse_threads",
    "valid_threads_setting",
]

log = logging.getLogger(__name__)

#: File name of the cache, inside the package cache folder.
CACHE_FILE = "threads.json"
_CACHE_FORMAT = 1
#: A candidate must be this much faster (relative) than a smaller thread count to win.
TIE = 0.03


@dataclass(frozen=True)
class ThreadChoice:
    """The thread count chosen for one (machine, model, batch size) and why.

    ``seconds_per_step`` maps each candidate to its median measured step time.
    """

    threads: int
    seconds_per_step: dict[int, float]
    key: str
    cached: bool = False

    def describe(self) -> str:
        """One line, e.g. ``2 threads (1: 41.0 ms/step, 2: 23.1 ms/step; measured)``.

        >>> ThreadChoice(1, {1: 0.02, 2: 0.03}, "k").describe()
        '1 thread (1: 20.0 ms/step, 2: 30.0 ms/step; measured)'
        """
        times = ", ".join(f"{n}: {s * 1e3:.1f} ms/step" for n, s in self.seconds_per_step.items())
        how = "cached" if self.cached else "measured"
        return f"{self.threads} thread{'s' if self.threads > 1 else ''} ({times}; {how})"

    def as_dict(self) -> dict[str, Any]:
        """Plain values (for a history or a result file)."""
        d = asdict(self)
        d["seconds_per_step"] = {str(k): v for k, v in self.seconds_per_step.items()}
        return d


def valid_threads_setting(value: object) -> bool:
    """``None`` (leave torch's setting), a positive integer, or ``"auto"``.

    >>> [valid_threads_setting(v) for v in (None, 2, "auto", 0, "2", True)]
    [True, True, True, False, False, False]
    """
    if value is None or value == "auto":
        return True
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def parse_threads(text: str) -> int | str:
    """A command line's ``--threads``: ``auto`` or a positive integer.

    >>> parse_threads("auto"), parse_threads("2")
    ('auto', 2)
    """
    if text == "auto":
        return text
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"expected 'auto' or a positive integer, got {text!r}")
    return n


def candidates(max_threads: int | None = None) -> tuple[int, ...]:
    """Thread counts worth timing: 1, 2, 4, ... and the core count itself.

    >>> candidates(1), candidates(2), candidates(6), candidates(16)
    ((1,), (1, 2), (1, 2, 4, 6), (1, 2, 4, 8, 16))
    """
    n = max_threads if max_threads is not None else (os.cpu_count() or 1)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"expected a positive number of threads, got {n!r}")
    out = [1]
    while out[-1] * 2 < n:
        out.append(out[-1] * 2)
    if n > 1:
        out.append(n)
    return tuple(out)


def choose_threads(
    step: Callable[[], object],
    threads: Sequence[int],
    *,
    steps: int = 3,
    warmup: int = 1,
    key: str = "",
    timer: Callable[[], float] = time.perf_counter,
    set_threads: Callable[[int], None] = torch.set_num_threads,
) -> ThreadChoice:
    """Time ``step`` at each thread count and return the fastest.

    For each ``n`` in ``threads``: ``set_threads(n)``, ``warmup`` untimed calls, then
    the median of ``steps`` timed calls. The winner is the fastest, except that a
    larger count must beat every smaller one by more than :data:`TIE` (relative):
    threads that do not pay are not taken. ``set_threads`` is left at the winner.

    >>> cost = {1: 3.0, 2: 1.0}; now = [0.0]; cur = [1]
    >>> def fake_step(): now[0] += cost[cur[0]]
    >>> c = choose_threads(fake_step, (1, 2), timer=lambda: now[0],
    ...                    set_threads=lambda n: cur.__setitem__(0, n))
    >>> c.threads, c.seconds_per_step, cur[0]
    (2, {1: 3.0, 2: 1.0}, 2)
    """
    if not threads:
        raise ValueError("expected at least one thread count to time, got none")
    if steps < 1 or warmup < 0:
        raise ValueError(f"expected steps >= 1 and warmup >= 0, got {steps} and {warmup}")
    per_step: dict[int, float] = {}
    for n in threads:
        set_threads(n)
        for _ in range(warmup):
            step()
        times = []
        for _ in range(steps):
            t0 = timer()
            step()
            times.append(timer() - t0)
        per_step[n] = statistics.median(times)
    best = threads[0]
    for n in threads[1:]:
        if per_step[n] < per_step[best] * (1 - TIE):
            best = n
    set_threads(best)
    return ThreadChoice(best, per_step, key)


def machine_id() -> str:
    """What the choice depends on besides the model: CPU model, core count, torch build.

    >>> str(os.cpu_count()) in machine_id()
    True
    """
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu} | {os.cpu_count()} cores | torch {torch.__version__}"


def cache_key(model: str, batch_size: int, model_args: dict[str, Any] | None = None) -> str:
    """The cache key of one (machine, model, batch size).

    >>> cache_key("alexnet", 100, {"batch_norm": True}).endswith(
    ...     'alexnet {"batch_norm": true} batch 100')
    True
    """
    args = json.dumps(model_args or {}, sort_keys=True)
    return f"{machine_id()} | {model} {args} batch {batch_size}"


def cache_path() -> Path:
    """``threads.json`` in the package cache (``$BACKPROP_BOOK_CACHE``, else ~/.cache)."""
    from backprop_book.data.cifar10 import default_cache_dir

    return default_cache_dir() / CACHE_FILE


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable or not JSON: measure again
        return {}
    if not isinstance(data, dict) or data.get("format") != _CACHE_FORMAT:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def _from_entry(key: str, entry: object) -> ThreadChoice | None:
    try:
        threads = int(entry["threads"])  # type: ignore[index]
        per = {int(k): float(v) for k, v in entry["seconds_per_step"].items()}  # type: ignore[index]
    except (TypeError, KeyError, ValueError, AttributeError):
        return None
    if threads < 1 or threads not in per:
        return None
    return ThreadChoice(threads, per, key, cached=True)


def auto_threads(
    step: Callable[[], object],
    key: str,
    *,
    threads: Sequence[int] | None = None,
    path: str | os.PathLike[str] | None = None,
    refresh: bool = False,
    **timing: Any,
) -> ThreadChoice:
    """The cached choice for ``key`` (applied with ``torch.set_num_threads``), else measure it.

    A measured choice is stored in the cache file ``path`` (default :func:`cache_path`)
    beside the other keys, atomically; ``refresh`` measures again. A cache that cannot
    be read or that holds a thread count this machine does not offer is ignored.
    ``timing`` goes to :func:`choose_threads`.
    """
    file = Path(path) if path is not None else cache_path()
    offered = tuple(threads) if threads is not None else candidates()
    set_threads = timing.get("set_threads", torch.set_num_threads)
    entries = _read_cache(file)
    if not refresh and key in entries:
        hit = _from_entry(key, entries[key])
        if hit is not None and hit.threads in offered:
            set_threads(hit.threads)
            return hit
    choice = choose_threads(step, offered, key=key, **timing)
    entries = _read_cache(file)  # another process may have added keys meanwhile
    entries[key] = {k: v for k, v in choice.as_dict().items() if k not in ("key", "cached")}
    try:
        atomic_write_text(file, json.dumps({"format": _CACHE_FORMAT, "entries": entries}, indent=1))
    except OSError as err:  # a read-only cache costs a re-measurement next time, no more
        log.warning("could not store the thread choice in %s: %s", file, err)
    return choice


def _training_step(
    model: ImageClassifier, optimizer: torch.optim.Optimizer, batch_size: int, device: torch.device
) -> Callable[[], object]:
    """One training step of a copy of ``model`` (and ``optimizer``'s kind and settings) on
    random inputs of ``batch_size`` images."""
    model = copy.deepcopy(model).train()
    opt = type(optimizer)(model.parameters(), **optimizer.defaults)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((batch_size, *model.input_shape), generator=gen).to(device)
    y = torch.randint(0, model.num_classes, (batch_size,), generator=gen).to(device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def configure_threads(
    setting: int | str | None,
    model: ImageClassifier,
    optimizer: torch.optim.Optimizer,
    batch_size: int,
    device: torch.device,
    *,
    key: str,
    **timing: Any,
) -> ThreadChoice | None:
    """Apply a run's ``threads`` setting: ``None`` leaves torch as it is, ``N`` sets ``N``,
    ``"auto"`` on a CPU ``device`` uses :func:`auto_threads` on a training step of a copy
    of ``model`` with ``optimizer``'s settings at ``batch_size`` (torch's random state is
    restored afterwards), its choice cached under ``key`` (:func:`cache_key`).  Returns
    the choice for ``"auto"``.
    """
    if setting is None:
        return None
    if setting != "auto":
        torch.set_num_threads(int(setting))
        return None
    if device.type != "cpu":
        return None
    with torch.random.fork_rng(devices=[]):
        choice = auto_threads(_training_step(model, optimizer, batch_size, device), key, **timing)
    log.info("CPU threads for %s: %s", key, choice.describe())
    return choice
