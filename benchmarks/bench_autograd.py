"""One training step of a 3072-256-10 MLP at batch 128: the engine versus PyTorch eager.

CPU, float32.

Both sides do the same work: forward, softmax cross-entropy (mean), backward,
one SGD step. The target is a ratio of at most 1.25 (the engine at most 25%
slower than torch). :func:`profile_step` says where the engine's time goes.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks.common import Comparison, compare

SIZES = (3072, 256, 10)
BATCH = 128


def make_engine_step(seed: int = 0):
    """A closure running one training step of the engine's MLP."""
    from backprop_book.autograd.nn import cross_entropy, mlp
    from backprop_book.autograd.optim import SGD

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    net = mlp(SIZES, "relu", init="he", rng=seed, dtype=np.float32)
    opt = SGD(net.parameters(), lr=0.01, momentum=0.9)

    def step() -> float:
        opt.zero_grad()
        loss = cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return float(loss.value)

    return step


def make_torch_step(seed: int = 0):
    """A closure running one training step of the same MLP in PyTorch eager mode."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.standard_normal((BATCH, SIZES[0])).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, SIZES[-1], BATCH))
    net = torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(), torch.nn.Linear(SIZES[1], SIZES[2])
    )
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    lossf = torch.nn.CrossEntropyLoss()

    def step() -> float:
        opt.zero_grad()
        loss = lossf(net(x), y)
        loss.backward()
        opt.step()
        return float(loss.item())

    return step


def profile_step(n: int = 20, top: int = 12) -> str:
    """cProfile of ``n`` engine steps, the ``top`` functions by own time, as text."""
    step = make_engine_step()
    step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        step()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def _compare(quick: bool, label: str, steps: int | None = None) -> Comparison:
    import torch

    from backprop_book.runtime import library_versions

    ours, theirs = make_engine_step(), make_torch_step()
    n = steps if steps is not None else (5 if quick else 50)

    def many(fn):
        return lambda: [fn() for _ in range(n)]

    versions = f"numpy {np.__version__}, torch {torch.__version__}"
    return compare(
        f"MLP {'-'.join(map(str, SIZES))} training step, batch {BATCH}, float32 CPU, "
        f"{label} ({n} steps)",
        ("torch eager", many(theirs)),
        ("autograd engine", many(ours)),
        repeats=(3 if n > 3 else 2) if quick else 7,
        warmup=1,
        target=1.25,
        note=f"{versions}; torch threads {torch.get_num_threads()}; "
        f"python {library_versions(()).get('python')}",
    )


def _single_threaded(quick: bool) -> Comparison:
    """The same comparison in a fresh process with one BLAS/OpenMP thread on each side."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    code = (
        "import json, sys; from benchmarks.bench_autograd import _compare; "
        f"print(json.dumps(_compare({quick!r}, 'one thread each').__dict__))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, check=True
    )
    return Comparison(**json.loads(out.stdout.strip().splitlines()[-1]))


def run(quick: bool) -> list[Comparison]:
    """One thread each (a subprocess); the full run adds default threads (this process).

    On a shared 2-core machine the default-thread timings are dominated by thread
    contention and swing widely, so the quick run (the one the book executes) keeps
    only the single-threaded comparison.
    """
    out = [_single_threaded(quick)]
    if not quick:
        out.append(_compare(quick, "default threads"))
    return out


if __name__ == "__main__":  # pragma: no cover
    for c in run(quick=True):
        print(c.as_dict())
    print(profile_step())
