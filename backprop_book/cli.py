"""The ``backprop-book`` command.

Sub-commands are registered by :func:`build_parser`; each part of the book that
offers a command (for example Part IV's ``train`` and ``evaluate``) contributes
it through a ``register(subparsers)`` function listed in :data:`COMMAND_MODULES`,
imported only when present.  ``info`` imports torch once, to list the devices it
sees (:func:`backprop_book.runtime.available_devices`); the modules of the parts are
imported only by the commands that run them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from backprop_book import __version__, experiments
from backprop_book.cliargs import UsageError, add_archive_arguments, expected_sha256, positive_int
from backprop_book.data.cifar10 import cifar10_status, default_cache_dir, load_cifar10
from backprop_book.profiles import PROFILE_ENV, get_profile, result_banner
from backprop_book.runtime import available_devices, git_commit, library_versions

__all__ = ["COMMAND_MODULES", "build_parser", "gather_info", "main"]

#: Modules that add sub-commands: each defines ``register(subparsers) -> None`` and
#: sets ``func`` on its parsers via ``set_defaults(func=...)``.
COMMAND_MODULES: tuple[str, ...] = ("backprop_book.torch_nn.cli",)


def gather_info() -> dict[str, object]:
    """Everything ``backprop-book info`` reports, as a dict."""
    try:
        profile = get_profile().value
    except ValueError as exc:
        profile = f"invalid ({exc})"
    return {
        "backprop_book": __version__,
        "git_commit": git_commit(),
        "versions": library_versions(),
        "devices": available_devices(),
        "profile": profile,
        "cifar10": cifar10_status(),
        "cache_dir": str(default_cache_dir()),
    }


def _cmd_info(args: argparse.Namespace) -> int:
    info = gather_info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    versions = info["versions"]
    devices = info["devices"]
    data = info["cifar10"]
    assert isinstance(versions, dict) and isinstance(devices, dict) and isinstance(data, dict)
    print(f"backprop_book {info['backprop_book']} (commit {info['git_commit'] or 'unknown'})")
    print("versions:  " + ", ".join(f"{k} {v or 'missing'}" for k, v in versions.items()))
    cuda = devices.get("cuda") or []
    print(
        "devices:   cpu"
        + (f", cuda: {', '.join(map(str, cuda))}" if cuda else ", cuda: none")  # type: ignore[arg-type]
        + (", mps" if devices.get("mps") else ", mps: none")
    )
    print(f"profile:   {info['profile']} (set {PROFILE_ENV}=quick|full)")
    if data["source"]:
        print(f"CIFAR-10:  {data['source']} at {data['path']}")
    else:
        print(f"CIFAR-10:  not found -- {data['error']}")
    cached = data["cached"]
    print(
        f"cache:     {data['cache_dir']} ({len(cached) if isinstance(cached, list) else 0} decoded split(s))"
    )
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    for split in args.splits:
        t0 = time.perf_counter()
        data = load_cifar10(
            split,
            source=args.source,
            root=args.root,
            download=args.download,
            expected_sha256=expected_sha256(args),
            progress=not args.no_progress,
        )
        counts = ", ".join(str(int(c)) for c in (data.labels[:, None] == range(10)).sum(axis=0))
        print(
            f"{split}: {len(data):,} images {tuple(data.images.shape[1:])} from {data.source.describe()} "
            f"in {time.perf_counter() - t0:.1f} s; per class: {counts}"
        )
    return 0


def _seeds(row: dict[str, Any]) -> str:
    """The seeds behind a verdict, e.g. ``"3"`` or ``"1/3"`` (one per record read)."""
    seeds = row.get("seeds") or {}
    return "/".join(str(n) for n in seeds.values()) if seeds else "-"


def _table(rows: list[dict[str, Any]]) -> str:
    """The listing as aligned text columns (long cells are cut with an ellipsis)."""
    cols = (
        ("id", 30),
        ("report", 6),
        ("item", 44),
        ("published", 30),
        ("ours", 30),
        ("seeds", 5),
        ("verdict", 16),
    )
    rows = [{**r, "seeds": _seeds(r)} for r in rows]

    def cell(value: object, width: int) -> str:
        text = " ".join(str(value or "-").split())
        return text if len(text) <= width else text[: width - 1] + "\u2026"

    lines = ["  ".join(f"{name:<{w}}" for name, w in cols).rstrip()]
    for r in rows:
        lines.append("  ".join(f"{cell(r.get(name), w):<{w}}" for name, w in cols).rstrip())
    return "\n".join(lines)


def _cmd_reproduce(args: argparse.Namespace) -> int:
    # Part V, imported here on purpose: judging its claims loads sympy and the parts'
    # engines, which the other commands (info, data, train) do not need
    from backprop_book.reports import index

    if args.list or args.id is None:
        if args.id is not None:
            raise UsageError("give either --list or a study id, not both")
        rows = index.listing(report=args.report)
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            print(_table(rows))
            print(f"{len(rows)} item(s); run one with: backprop-book reproduce ID [--profile full]")
        return 0
    if args.json or args.report:
        raise UsageError("--json and --report go with --list")
    if args.runs is not None and not args.record:
        raise UsageError("--runs goes with --record (the other runs come from the record)")
    if args.fresh and not args.record:
        raise UsageError("--fresh goes with --record (without it nothing is taken from a record)")
    try:
        study_id = index.study_for(args.id).id
    except experiments.UnknownStudyError as exc:
        raise UsageError(str(exc)) from exc
    several = experiments.runner.resolve_study(study_id).takes_hooks
    if args.runs is not None and not several:
        raise UsageError(f"--runs goes with a study of several runs; {study_id} is a single run")
    if args.seed_runs is not None and not (args.record and several and args.seeds >= 2):
        raise UsageError(
            "--seed-runs goes with --record, --seeds 2 or more and a study of several runs"
            + ("" if several else f"; {study_id} is a single run")
        )
    if args.seeds > MAX_SEEDS:
        raise UsageError(
            f"--seeds takes at most {MAX_SEEDS} (each seed trains the study once more: "
            f"{args.seeds} seeds take {args.seeds} times as long as one{_per_seed(study_id)}), "
            f"got {args.seeds}"
        )
    if args.record:
        _check_results_folder()  # before any training, not after it
    run = experiments.run_study(
        study_id,
        profile=get_profile(args.profile),  # the one parse: flag, else environment, else quick
        seeds=args.seeds,
        record=args.record,
        allow_dirty=args.allow_dirty,
        progress=args.progress,
        fresh=args.fresh,
        only=args.runs,
        seed_runs=args.seed_runs,
    )
    print(result_banner(run.device, run.data_source, run.profile))
    print(
        f"{run.study.id}: {run.study.description} -- {len(run.seeds)} seed(s), "
        f"{run.wall_time_s:.1f} s"
    )
    for seed, out in experiments.runner.seed_outputs(run.data):
        print(f"  seed {seed}: {_summary(out)}")
    if run.path is not None:
        print(f"recorded {run.path} (rerun with: {run.command})")
    return 0


#: The most seeds ``reproduce --seeds`` runs in one call.
MAX_SEEDS = 100


def _per_seed(study_id: str) -> str:
    """``", about 12 s each (from its record)"`` when the study's record gives a time, else ``""``."""
    from backprop_book.records import load_record

    try:
        prov = load_record(study_id).provenance
        t = prov.train_wall_time_s
        n = max(1, len(prov.seeds))
    except Exception:  # no record, another schema: no estimate, the bound stands alone
        return ""
    if not isinstance(t, int | float):
        return ""
    return f", about {t / n:.0f} s each at its recorded profile {prov.profile!r}"


def _check_results_folder() -> None:
    """Refuse ``--record`` before training when the results folder cannot take the record."""
    import os
    import tempfile

    from backprop_book.records import RESULTS_ENV, default_results_dir

    try:
        root = default_results_dir()
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise UsageError(
            f"--record writes into {root}, which {what}; create it or set {RESULTS_ENV} to a "
            "folder (checked before training)"
        )
    try:
        fd, probe = tempfile.mkstemp(dir=root, prefix=".write-probe-")
    except OSError as exc:
        raise UsageError(
            f"--record writes into {root}, which cannot be written ({exc.strerror}); make it "
            f"writable or set {RESULTS_ENV} to another folder (checked before training)"
        ) from exc
    os.close(fd)
    os.unlink(probe)


def _run_names(text: str) -> tuple[str, ...]:
    """``--runs``: comma-separated run names, none empty.

    >>> _run_names("batch500, batch10")
    ('batch500', 'batch10')
    """
    names = tuple(n.strip() for n in text.split(","))
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected run names separated by commas, got {text!r}")
    return names


def _summary(out: dict[str, object]) -> str:
    """A study output in one line: its runs' test accuracy, or its final accuracies."""
    runs = out.get("runs")
    if isinstance(runs, list) and runs:
        return ", ".join(
            f"{r.get('name')} {r['test_acc']:.4f}"
            for r in runs
            if isinstance(r, dict) and isinstance(r.get("test_acc"), float)
        )
    parts = []
    for key in ("train_acc", "val_acc", "test_acc"):
        if isinstance(out.get(key), float):
            parts.append(f"{key} {out[key]:.4f}")
    acc = out.get("val_accuracy")
    if isinstance(acc, list) and acc:
        parts.append(f"val accuracy {acc[-1]:.4f} after {len(acc) - 1} epochs")
    rows = out.get("rows")
    if isinstance(rows, list):
        parts.append(f"{len(rows)} rows")
    return ", ".join(parts) or "done"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


#: Exit status for a command-line mistake (argparse's own).
EXIT_USAGE = 2
#: Exit status for work that failed (missing data, a damaged file, a diverged run).
EXIT_FAILED = 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    parser = _Parser(
        prog="backprop-book", description="Tools of the executable textbook on backpropagation."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress messages")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when a command fails"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_info = sub.add_parser("info", help="versions, devices, CIFAR-10 source, profile and caches")
    p_info.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p_info.set_defaults(func=_cmd_info)
    p_data = sub.add_parser(
        "data",
        help="load CIFAR-10 once: download the official set (--download) or decode a local copy into the cache",
    )
    p_data.add_argument(
        "--source",
        choices=("auto", "official", "image-folder"),
        default="auto",
        help="which copy to use",
    )
    p_data.add_argument(
        "--root", default=None, help="path of the copy (default: $BACKPROP_BOOK_CIFAR10)"
    )
    p_data.add_argument(
        "--download", action="store_true", help="download the official data set if it is missing"
    )
    p_data.add_argument(
        "--splits",
        nargs="+",
        choices=("train", "test"),
        default=["train", "test"],
        help="splits to load",
    )
    p_data.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_archive_arguments(p_data)
    p_data.set_defaults(func=_cmd_data)
    p_rep = sub.add_parser(
        "reproduce",
        aliases=["experiments"],
        help="list the reports' items with their verdicts, or run (and record) a study",
        description="List every item of the five reports with the book's result and verdict "
        "(--list), or run the study ID, e.g. part4/a_cnn_studies (--record writes "
        "docs/results/ID.json with provenance; checkpoints go to ~/.cache/backprop_book/runs).",
    )
    p_rep.add_argument(
        "id", nargs="?", help="a study id such as part4/a_cnn_studies, or a claim's id"
    )
    p_rep.add_argument("--list", action="store_true", help="list the items and verdicts")
    p_rep.add_argument("--json", action="store_true", help="with --list: print JSON")
    p_rep.add_argument(
        "--report", type=str.upper, choices=list("ABCDE"), default=None,
        help="with --list: only this report",
    )  # fmt: skip
    p_rep.add_argument(
        "--profile", choices=("quick", "full"), default=None,
        help=f"run profile (default: ${PROFILE_ENV}, else quick)",
    )  # fmt: skip
    p_rep.add_argument(
        "--seeds", type=positive_int, default=1, help="run over training seeds 0..N-1 (default 1)"
    )
    p_rep.add_argument("--record", action="store_true", help="record into docs/results/")
    p_rep.add_argument(
        "--allow-dirty", action="store_true",
        help="record from a checkout with uncommitted changes (the record says so)",
    )  # fmt: skip
    p_rep.add_argument(
        "--fresh", action="store_true",
        help="with --record: train every run again, not only those the record lacks",
    )  # fmt: skip
    p_rep.add_argument(
        "--runs", type=_run_names, default=None, metavar="NAME[,NAME...]",
        help="with --record: train only these runs of a study of several runs, take the "
        "others from its record or leave them pending (a second process can then train "
        "other runs of the same study beside it)",
    )  # fmt: skip
    p_rep.add_argument(
        "--seed-runs", type=_run_names, default=None, metavar="NAME[,NAME...]",
        help="with --record and --seeds N: seeds 1..N-1 hold only these runs of a study of "
        "several runs (seed 0 holds every run), e.g. more seeds for a costly study's "
        "close findings",
    )  # fmt: skip
    p_rep.add_argument("--progress", action="store_true", help="show progress bars")
    p_rep.set_defaults(func=_cmd_reproduce)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (name == exc.name or name.startswith(exc.name + ".")):
                raise  # the module exists but one of its own imports is missing
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``backprop-book`` console script.

    A mistake never shows a traceback: the command prints one line,
    ``backprop-book COMMAND: error: ...``, and exits with status 2 for a bad
    argument (:data:`EXIT_USAGE`) or 1 for work that failed (:data:`EXIT_FAILED`:
    missing or damaged data, an unreadable checkpoint, a run whose loss became NaN).
    ``--debug`` shows the traceback instead.  Ctrl-C exits with status 130.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors (already printed)
        return int(exc.code or 0) if isinstance(exc.code, int | None) else EXIT_USAGE
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"backprop-book {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"backprop-book {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE if _is_usage_error(exc) else EXIT_FAILED


def _is_usage_error(exc: BaseException) -> bool:
    """Whether ``exc`` reports a bad argument (:class:`~backprop_book.cliargs.UsageError`)."""
    return isinstance(exc, UsageError)


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line; unexpected kinds name themselves and --debug."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    expected = (OSError, ValueError, TypeError, RuntimeError, ArithmeticError, LookupError)
    if not isinstance(exc, expected):
        text = f"{type(exc).__name__}: {text} (run with --debug for the traceback)"
    return text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
