"""``backprop-book train`` and ``backprop-book evaluate``.

``train`` builds a :class:`~backprop_book.torch_nn.trainer.TrainConfig` from its
options, trains (checkpointing after every epoch to ``OUT/checkpoint.pt``), prints
the test accuracy and writes ``OUT/metrics.json`` with provenance (command, git
commit, device, versions, data source, seed, wall time).  ``--resume`` continues a
checkpoint.  ``evaluate`` loads a checkpoint and prints accuracy, per-class accuracy
and the confusion matrix of a split.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

__all__ = ["main_evaluate", "main_train", "parse_model_args", "register"]


def parse_model_args(items: list[str] | None) -> dict[str, Any]:
    """``["n_linear=3", "hidden=[50,70]"]`` -> ``{"n_linear": 3, "hidden": [50, 70]}`` (JSON).

    >>> parse_model_args(["n_conv=3", "activation=tanh", "batch_norm=true"])
    {'n_conv': 3, 'activation': 'tanh', 'batch_norm': True}
    """
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--model-arg expects KEY=VALUE, got {item!r}")
        key, raw = item.split("=", 1)
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def register(subparsers: Any) -> None:
    """Add the ``train`` and ``evaluate`` sub-commands to the ``backprop-book`` parser."""
    from backprop_book.torch_nn.models import MODELS
    from backprop_book.torch_nn.trainer import OPTIMIZERS, SCHEDULES

    p = subparsers.add_parser("train", help="train a Part IV model on CIFAR-10 (or fake data)")
    p.add_argument("--model", default="tutorial_cnn", choices=sorted(MODELS), help="model name")
    p.add_argument(
        "--model-arg", action="append", metavar="KEY=VALUE",
        help="model constructor argument (JSON value), repeatable, e.g. n_linear=3",
    )  # fmt: skip
    p.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS)
    p.add_argument("--lr", type=float, default=0.001, help="learning rate")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs in total (default 2; on --resume: as before)",
    )
    p.add_argument("--schedule", default="constant", choices=SCHEDULES)
    p.add_argument("--gamma", type=float, default=0.95, help="decay of step/exponential schedules")
    p.add_argument("--step-size", type=int, default=1)
    p.add_argument("--patience", type=int, default=None, help="early stopping patience (epochs)")
    p.add_argument("--val-size", type=int, default=0, help="validation images split off train")
    p.add_argument(
        "--restore-best",
        action="store_true",
        help="end with the weights of the epoch with the lowest validation loss",
    )
    p.add_argument("--max-train", type=int, default=None, help="train on a seeded subset")
    p.add_argument("--max-test", type=int, default=None, help="test on a seeded subset")
    p.add_argument("--data", default="cifar10", choices=("cifar10", "fake"), help="data source")
    p.add_argument(
        "--data-root", default=None, help="CIFAR-10 path (default $BACKPROP_BOOK_CIFAR10)"
    )
    p.add_argument("--grayscale", action="store_true")
    p.add_argument("--normalization", default="tutorial", choices=("tutorial", "cifar", "none"))
    p.add_argument("--augment", action="store_true", help="random crop and flip on the device")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--progress", action="store_true", help="tqdm progress bars")
    p.add_argument("--track-test", action="store_true", help="test accuracy after every epoch")
    p.add_argument("--out", default="runs/train", help="output folder (checkpoint, metrics.json)")
    p.add_argument("--resume", action="store_true", help="continue OUT/checkpoint.pt")
    p.add_argument("--stop-after", type=int, default=None, help="stop after this epoch (testing)")
    p.set_defaults(func=main_train)

    e = subparsers.add_parser("evaluate", help="evaluate a checkpoint written by `train`")
    e.add_argument("checkpoint", help="path of checkpoint.pt")
    e.add_argument("--split", default="test", choices=("test", "train"))
    e.add_argument("--device", default="auto")
    e.add_argument("--max-examples", type=int, default=None, help="evaluate a seeded subset")
    e.add_argument("--json", action="store_true", help="print JSON")
    e.set_defaults(func=main_evaluate)


def _config(args: argparse.Namespace) -> Any:
    from backprop_book.torch_nn.trainer import TrainConfig

    return TrainConfig(
        model=args.model,
        model_args=parse_model_args(args.model_arg),
        optimizer=args.optimizer,
        lr=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        batch_size=args.batch_size,
        epochs=2 if args.epochs is None else args.epochs,
        schedule=args.schedule,
        step_size=args.step_size,
        gamma=args.gamma,
        patience=args.patience,
        val_size=args.val_size,
        restore_best=args.restore_best,
        max_train=args.max_train,
        max_test=args.max_test,
        data=args.data,
        data_root=args.data_root,
        grayscale=args.grayscale,
        normalization=args.normalization,
        augment=args.augment,
        device=args.device,
        amp=not args.no_amp,
        seed=args.seed,
        progress=args.progress,
        track_test=args.track_test,
    )


def main_train(args: argparse.Namespace) -> int:
    """Run ``backprop-book train``."""
    from backprop_book.profiles import result_banner
    from backprop_book.results import record_result
    from backprop_book.torch_nn.trainer import Trainer

    out = Path(args.out)
    ckpt = out / "checkpoint.pt"
    t0 = time.perf_counter()
    if args.resume:
        more = {} if args.epochs is None else {"epochs": args.epochs}
        trainer = Trainer.from_checkpoint(ckpt, progress=args.progress, **more)
    else:
        trainer = Trainer(_config(args))
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
    from backprop_book.torch_nn.data import load_data
    from backprop_book.torch_nn.trainer import TrainConfig, Trainer, load_checkpoint

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
