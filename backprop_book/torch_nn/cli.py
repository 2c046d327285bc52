"""``backprop-book train`` and ``backprop-book evaluate``.

``train``'s options are generated from the fields of
:class:`~backprop_book.torch_nn.config.TrainConfig`; it builds the config from the
options given (by field name), trains (checkpointing after every epoch to
``OUT/checkpoint.pt``), prints the test accuracy and writes ``OUT/metrics.json``
with provenance (command, git commit, device, versions, data source, seed, wall
time).  ``--resume`` continues a checkpoint with the checkpoint's settings: only
``--epochs``, ``--progress`` and ``--threads`` (speed only) may be given anew, and
any other setting given with a value different from the checkpoint's is an error
(it never silently loses).
``evaluate`` loads a checkpoint and prints accuracy, per-class accuracy and the
confusion matrix of a split.

What can be checked before training is checked before the first epoch: the output
folder, the checkpoint path, every setting (model arguments against the model's
signature), and the data (loaded, images against the model's input shape).  A
loss that becomes NaN or infinite stops the run with an error.  ``--sha256 HEX``
or ``--trust-archive`` accept a CIFAR-10 archive other than the shared copy.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from backprop_book.cliargs import UsageError, add_archive_arguments, expected_sha256, positive_int

__all__ = ["main_evaluate", "main_train", "register"]


def register(subparsers: Any) -> None:
    """Add the ``train`` and ``evaluate`` sub-commands to the ``backprop-book`` parser.

    ``train``'s options are generated from
    :class:`~backprop_book.torch_nn.config.TrainConfig`'s fields
    (:func:`~backprop_book.torch_nn.config.add_config_arguments`), plus three that
    are not settings of the run: ``--out``, ``--resume`` and ``--stop-after``.
    """
    from backprop_book.torch_nn.config import add_config_arguments

    p = subparsers.add_parser("train", help="train a Part IV model on CIFAR-10 (or fake data)")
    add_config_arguments(p)
    p.add_argument("--out", default="runs/train", help="output folder (checkpoint, metrics.json)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue OUT/checkpoint.pt with its settings (--epochs, --progress and "
        "--threads may be given anew; any other setting that differs from the checkpoint's is an error)",
    )
    p.add_argument(
        "--stop-after",
        type=positive_int,
        default=None,
        metavar="EPOCH",
        help="stop after this epoch number, as an interruption would (testing)",
    )
    add_archive_arguments(p)
    p.set_defaults(func=main_train)

    e = subparsers.add_parser("evaluate", help="evaluate a checkpoint written by `train`")
    e.add_argument("checkpoint", help="path of checkpoint.pt")
    e.add_argument("--split", default="test", choices=("test", "train"))
    e.add_argument("--device", default="auto")
    e.add_argument(
        "--max-examples", type=positive_int, default=None, help="evaluate a seeded subset"
    )
    e.add_argument("--json", action="store_true", help="print JSON")
    add_archive_arguments(e)
    e.set_defaults(func=main_evaluate)


def _check_out(out: Path, ckpt: Path, resume: bool) -> None:
    """Checks that need no training: made before the first epoch, not after it."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; expected a folder (or a path to create)")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"--out {out}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise UsageError(f"--out {out}: cannot create folders in {parent}")
            break
    if ckpt.is_dir():
        raise UsageError(f"{ckpt} is a folder; the checkpoint is written there as a file")
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out} is not writable")
    if resume and not ckpt.is_file():
        raise FileNotFoundError(f"--resume: no checkpoint at {ckpt} (train without --resume first)")


def _resume_conflicts(saved: dict[str, Any], given: dict[str, Any]) -> list[str]:
    """The given settings that contradict a checkpoint's config (``RESUME_MAY_CHANGE`` aside)."""
    from backprop_book.torch_nn.config import RESUME_MAY_CHANGE, cli_flag

    out = []
    for name, value in given.items():
        if name in RESUME_MAY_CHANGE or name not in saved:
            continue
        old = saved[name]
        same = old == value or (
            isinstance(old, list | tuple)
            and isinstance(value, list | tuple)
            and list(old) == list(value)
        )
        if not same:
            out.append(f"{cli_flag(name)} {value!r} (the checkpoint has {old!r})")
    return out


def main_train(args: argparse.Namespace) -> int:
    """Run ``backprop-book train``."""
    from backprop_book.profiles import result_banner
    from backprop_book.results import record_result
    from backprop_book.torch_nn.checkpoint import load_checkpoint
    from backprop_book.torch_nn.config import (
        RESUME_MAY_CHANGE,
        TrainConfig,
        cli_flag,
        config_values,
    )
    from backprop_book.torch_nn.data import load_data
    from backprop_book.torch_nn.trainer import Trainer

    out = Path(args.out)
    ckpt = out / "checkpoint.pt"
    t0 = time.perf_counter()
    _check_out(out, ckpt, args.resume)
    sha = expected_sha256(args)
    saved = load_checkpoint(ckpt) if args.resume else {}
    try:
        given = config_values(args)
        if args.resume:
            conflicts = _resume_conflicts(saved["config"], given)
            if conflicts:
                raise UsageError(
                    "--resume keeps the checkpoint's settings, but "
                    + "; ".join(conflicts)
                    + f" was given; only {', '.join(cli_flag(n) for n in RESUME_MAY_CHANGE)} "
                    "may change (start a new run with another --out to change the others)"
                )
            cfg = TrainConfig.from_dict(
                {**saved["config"], **{k: v for k, v in given.items() if k in RESUME_MAY_CHANGE}}
            )
        else:
            cfg = TrainConfig(**given)
    except UsageError:
        raise
    except (ValueError, TypeError) as exc:  # a setting out of range, a bad --model-arg
        raise UsageError(str(exc)) from exc
    done = saved.get("epoch") if args.resume else None
    if isinstance(done, int) and cfg.epochs < done:
        raise UsageError(
            f"--resume --epochs {cfg.epochs}: the checkpoint has already trained {done} epochs; "
            f"give --epochs {done} or more (or train a new run with another --out)"
        )
    if args.stop_after is not None and args.stop_after > cfg.epochs:
        raise UsageError(f"--stop-after {args.stop_after} is past the run's {cfg.epochs} epochs")
    data = load_data(
        cfg.data, max_train=cfg.max_train, max_test=cfg.max_test, val_size=cfg.val_size,
        seed=cfg.seed, grayscale=cfg.grayscale, root=cfg.data_root, expected_sha256=sha,
    )  # fmt: skip
    trainer = Trainer(cfg, data=data)
    if args.resume:
        trainer.load_state_dict(saved)
    if trainer.rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    history = trainer.fit(checkpoint=ckpt, stop_after=args.stop_after, stop_on_nonfinite=True)
    if trainer.rank != 0:
        return 0
    ev = trainer.evaluate()
    wall = time.perf_counter() - t0
    banner = result_banner(str(trainer.device), trainer.train_data.source)
    for h in history:
        val = f", val acc {h['val_acc']:.4f}" if h["val_acc"] is not None else ""
        print(
            f"epoch {h['epoch']}: train loss {h['train_loss']:.4f}, train acc {h['train_acc']:.4f}"
            f"{val}, lr {h['lr']:.3g}, {h['time_s']:.1f} s"
        )
    print(f"test accuracy {ev.accuracy:.4f} on {ev.n} images {banner}")
    record_result(
        "metrics",
        {
            "config": trainer.config.to_dict(),
            "epochs_done": trainer.epoch,
            "stopped_early": trainer.stopped_early,
            "history": history,
            "test": ev.as_dict(),
            "checkpoint": str(ckpt),
            "world_size": trainer.world_size,
        },
        device=str(trainer.device),
        data_source=trainer.train_data.source,
        seed=trainer.config.seed,
        wall_time_s=wall,
        results_dir=out,
    )
    stopped = args.stop_after is not None and trainer.epoch < trainer.config.epochs
    note = f" (stopped after epoch {trainer.epoch}; continue with --resume)" if stopped else ""
    print(f"wrote {out / 'metrics.json'} and {ckpt}{note}")
    return 0


def main_evaluate(args: argparse.Namespace) -> int:
    """Run ``backprop-book evaluate``."""
    from backprop_book.profiles import result_banner
    from backprop_book.torch_nn.config import TrainConfig
    from backprop_book.torch_nn.evaluate import evaluate_checkpoint

    try:
        TrainConfig(device=args.device)  # the device is checked before the checkpoint is read
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    ev, trainer = evaluate_checkpoint(
        args.checkpoint, split=args.split, device=args.device, max_examples=args.max_examples,
        expected_sha256=expected_sha256(args),
    )  # fmt: skip
    if args.json:
        print(json.dumps(ev.as_dict(), indent=2))
    else:
        print(f"{args.split} split, {result_banner(str(trainer.device), trainer.test_data.source)}")
        print(ev.format())
    return 0
