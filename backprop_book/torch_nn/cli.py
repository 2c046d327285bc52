"""``backprop-book train`` and ``backprop-book evaluate``.

``train``'s options are generated from the fields of
:class:`~backprop_book.torch_nn.config.TrainConfig`; it builds the config from the
options given (by field name), trains (checkpointing after every epoch to
``OUT/checkpoint.pt``), prints the test accuracy and writes ``OUT/metrics.json``
with provenance (command, git commit, device, versions, data source, seed, wall
time).  ``--resume`` continues a checkpoint.  ``evaluate`` loads a checkpoint and prints accuracy, per-class accuracy
and the confusion matrix of a split.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

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
        help="continue OUT/checkpoint.pt with its settings (--epochs and --progress may be "
        "given anew)",
    )
    p.add_argument("--stop-after", type=int, default=None, help="stop after this epoch (testing)")
    p.set_defaults(func=main_train)

    e = subparsers.add_parser("evaluate", help="evaluate a checkpoint written by `train`")
    e.add_argument("checkpoint", help="path of checkpoint.pt")
    e.add_argument("--split", default="test", choices=("test", "train"))
    e.add_argument("--device", default="auto")
    e.add_argument("--max-examples", type=int, default=None, help="evaluate a seeded subset")
    e.add_argument("--json", action="store_true", help="print JSON")
    e.set_defaults(func=main_evaluate)


def main_train(args: argparse.Namespace) -> int:
    """Run ``backprop-book train``."""
    from backprop_book.profiles import result_banner
    from backprop_book.results import record_result
    from backprop_book.torch_nn.config import TrainConfig, config_values
    from backprop_book.torch_nn.trainer import Trainer

    out = Path(args.out)
    ckpt = out / "checkpoint.pt"
    t0 = time.perf_counter()
    given = config_values(args)
    if args.resume:
        more = {"epochs": given["epochs"]} if "epochs" in given else {}
        trainer = Trainer.from_checkpoint(ckpt, progress=given.get("progress", False), **more)
    else:
        trainer = Trainer(TrainConfig(**given))
    if trainer.rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    history = trainer.fit(checkpoint=ckpt, stop_after=args.stop_after)
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
    print(f"wrote {out / 'metrics.json'} and {ckpt}")
    return 0


def main_evaluate(args: argparse.Namespace) -> int:
    """Run ``backprop-book evaluate``."""
    from backprop_book.profiles import result_banner
    from backprop_book.torch_nn.config import TrainConfig
    from backprop_book.torch_nn.data import load_data
    from backprop_book.torch_nn.trainer import Trainer, load_checkpoint

    ckpt = load_checkpoint(args.checkpoint)
    values = dict(ckpt["config"])
    values.update(device=args.device, val_size=0, patience=None, restore_best=False)
    if args.split == "test" and args.max_examples is not None:
        values["max_test"] = args.max_examples
    cfg = TrainConfig.from_dict(values)
    train, _, test = load_data(
        cfg.data,
        max_train=args.max_examples if args.split == "train" else cfg.max_train,
        max_test=cfg.max_test,
        seed=cfg.seed,
        grayscale=cfg.grayscale,
        root=cfg.data_root,
    )
    trainer = Trainer(cfg, data=(train, None, test))
    trainer.load_state(ckpt, weights_only=True)
    ev = trainer.evaluate(train if args.split == "train" else test)
    if args.json:
        print(json.dumps(ev.as_dict(), indent=2))
    else:
        print(f"{args.split} split, {result_banner(str(trainer.device), test.source)}")
        print(ev.format())
    return 0
