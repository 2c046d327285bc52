"""Run the benchmarks and print their ratios: ``python -m benchmarks.run [--quick] [NAME ...]``.

Every module ``benchmarks/bench_*.py`` defines ``run(quick: bool) -> list[Comparison]``
(see :mod:`benchmarks.common`).  The runner prints one table of ratios, the BLAS
in use, and writes ``bench-results/<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import pkgutil
import sys
from pathlib import Path

from backprop_book._io import atomic_write_text
from backprop_book.runtime import available_devices, git_commit, library_versions

HERE = Path(__file__).resolve().parent


def blas_info() -> str:
    """Which BLAS NumPy uses (via threadpoolctl when present)."""
    try:
        from threadpoolctl import threadpool_info

        libs = [
            f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads)"
            for i in threadpool_info()
        ]
        return "; ".join(libs) or "unknown"
    except ImportError:
        import numpy as np

        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})  # type: ignore[union-attr]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()


def discover() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats, smaller sizes (a smoke run)"
    )
    parser.add_argument("--out", default="bench-results", help="folder for the JSON results")
    args = parser.parse_args(argv)
    names = args.names or discover()
    unknown = [n for n in names if n not in discover()]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {discover()}")
    print(f"BLAS: {blas_info()}")
    print(f"devices: {available_devices()}")
    rows = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        for c in module.run(quick=args.quick):
            rows.append({"module": name, **c.as_dict()})
            verdict = {None: "", True: "meets target", False: "MISSES target"}[c.meets_target]
            target = f" (target <= {c.target:.3g})" if c.target is not None else ""
            print(
                f"{c.name}: {c.candidate} {c.candidate_s * 1e3:.2f} ms vs {c.baseline} {c.baseline_s * 1e3:.2f} ms"
                f" -> ratio {c.ratio:.3f}, speed-up {c.speedup:.2f}x{target} {verdict}"
                + (f" [{c.note}]" if c.note else "")
            )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {
        "created_utc": stamp,
        "git_commit": git_commit(),
        "versions": library_versions(),
        "blas": blas_info(),
        "quick": args.quick,
        "rows": rows,
    }
    out = atomic_write_text(Path(args.out) / f"{stamp}.json", json.dumps(payload, indent=2))
    print(f"results written to {out}")
    # Targets are reported, not enforced: timings vary by machine and load.
    return 0


if __name__ == "__main__":
    sys.exit(main())
