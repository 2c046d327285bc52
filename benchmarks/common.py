"""Shared machinery of the benchmarks: timing two implementations side by side.

A benchmark never asserts a wall-clock time; it reports a *ratio* of two
implementations measured in the same run, interleaved so that both see the same
machine state, and compares the ratio with a stated target.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Comparison:
    """One side-by-side measurement: ``ratio = candidate / baseline`` (lower is faster)."""

    name: str
    baseline: str
    candidate: str
    baseline_s: float
    candidate_s: float
    repeats: int
    #: the largest acceptable ratio candidate/baseline, if the benchmark has a target
    target: float | None = None
    note: str = ""
    #: what was measured, as fields (batch size, images, threads, device ...), so that
    #: readers of the recorded JSON never parse :attr:`name`
    case: dict[str, object] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.candidate_s / self.baseline_s

    @property
    def speedup(self) -> float:
        """baseline / candidate: how many times faster the candidate is."""
        return self.baseline_s / self.candidate_s

    @property
    def meets_target(self) -> bool | None:
        return None if self.target is None else self.ratio <= self.target

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d.update(ratio=self.ratio, speedup=self.speedup, meets_target=self.meets_target)
        return d


def time_call(fn: Callable[[], object]) -> float:
    """Wall time of one call, in seconds."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def compare(
    name: str,
    baseline: tuple[str, Callable[[], object]],
    candidate: tuple[str, Callable[[], object]],
    *,
    repeats: int = 5,
    warmup: int = 1,
    target: float | None = None,
    note: str = "",
) -> Comparison:
    """Time ``baseline`` and ``candidate`` alternately and return their median times.

    ``target`` is the largest acceptable ``candidate / baseline`` ratio (for a
    required speed-up of 3.5x, pass ``1 / 3.5``).
    """
    (bname, bfn), (cname, cfn) = baseline, candidate
    for _ in range(warmup):
        bfn()
        cfn()
    bt: list[float] = []
    ct: list[float] = []
    for _ in range(repeats):
        gc.collect()
        bt.append(time_call(bfn))
        gc.collect()
        ct.append(time_call(cfn))
    return Comparison(
        name, bname, cname, statistics.median(bt), statistics.median(ct), repeats, target, note
    )


def time_side_by_side(
    fns: Mapping[str, Callable[[], object]], *, repeats: int = 3, warmup: int = 1
) -> dict[str, float]:
    """Median wall time of each of several implementations, run round-robin.

    Every round calls each function once, in the given order, so all of them see
    the same machine state; with more than two contenders this is fairer than
    several :func:`compare` calls made one after another.

    >>> t = time_side_by_side({"a": lambda: None, "b": lambda: sum(range(10))}, repeats=2)
    >>> sorted(t), all(v >= 0 for v in t.values())
    (['a', 'b'], True)
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            gc.collect()
            times[name].append(time_call(fn))
    return {name: statistics.median(ts) for name, ts in times.items()}
