"""Checkpoints of a Part IV training run: the format, saving, loading, restoring.

A checkpoint is one ``torch.save`` file holding a dict of tensors and plain
values (so that it reads back with ``torch.load(..., weights_only=True)``, which
runs no code from the file):

* ``format`` -- :data:`CHECKPOINT_FORMAT`, checked on loading;
* ``model_name``, ``model_class``, ``model_args``, ``num_parameters``, ``classes``
  -- what the weights belong to;
* ``config`` -- :meth:`TrainConfig.to_dict() <backprop_book.torch_nn.config.TrainConfig.to_dict>`;
* ``model``, ``optimizer``, ``scheduler``, ``scaler`` -- their ``state_dict()``;
* ``rng`` -- the states of the trainer's generators: ``torch`` (model
  initialisation and dropout), ``data`` (batch order and augmentation) and, on
  CUDA, ``cuda``;
* ``epoch``, ``history``, ``best_val_loss``, ``best_epoch``, ``best_state`` (the
  weights of the best epoch, with ``restore_best``), ``bad_epochs``,
  ``stopped_early`` -- where the loop stands.

Every piece of state is there, so a run stopped after epoch ``k`` and resumed
gives the same weights, bit for bit on the CPU, as one never stopped.  Files are
written atomically (:func:`backprop_book._io.atomic_path`): a crash while saving
leaves the previous checkpoint whole.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from backprop_book._io import atomic_path
from backprop_book.torch_nn.models import count_parameters

if TYPE_CHECKING:
    from backprop_book.torch_nn.trainer import Trainer

__all__ = [
    "CHECKPOINT_FORMAT",
    "final_weights",
    "load_checkpoint",
    "restore",
    "save_checkpoint",
    "trainer_state",
]

CHECKPOINT_FORMAT = "backprop_book.torch_nn.checkpoint/1"
#: Keys :func:`load_checkpoint` requires (``best_epoch``, ``best_state`` and
#: ``classes`` are optional: older checkpoints lack them).
REQUIRED_KEYS = frozenset(
    {"model_name", "model_class", "model_args", "config", "epoch", "model", "optimizer",
     "scheduler", "scaler", "rng", "history", "best_val_loss", "bad_epochs", "stopped_early"}
)  # fmt: skip


def trainer_state(trainer: Trainer) -> dict[str, Any]:
    """Every piece of a trainer's state, as tensors and plain values (the format above)."""
    t = trainer
    return {
        "format": CHECKPOINT_FORMAT,
        "model_name": t.config.model,
        "model_class": type(t.model).__name__,
        "model_args": dict(t.config.model_args),
        "num_parameters": count_parameters(t.model),
        "config": t.config.to_dict(),
        "epoch": t.epoch,
        "model": t.model.state_dict(),
        "optimizer": t.optimizer.state_dict(),
        "scheduler": t.scheduler.state_dict() if t.scheduler is not None else None,
        "scaler": t.scaler.state_dict(),
        "rng": {"data": t.data_generator.get_state(), **t.model_rng.states()},
        "history": list(t.history),
        "best_val_loss": t.best_val_loss,
        "best_epoch": t.best_epoch,
        "best_state": t.best_state,
        "bad_epochs": t.bad_epochs,
        "stopped_early": t.stopped_early,
        "classes": list(t.train_data.classes),
    }


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a checkpoint dict to ``path`` atomically and return the path.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ck.pt"
    >>> _ = save_checkpoint({"format": CHECKPOINT_FORMAT, "epoch": 3}, p)
    >>> torch.load(p, weights_only=True)["epoch"]
    3
    >>> load_checkpoint(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ... is an incomplete backprop_book checkpoint: missing ['bad_epochs', ...]
    """
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"expected a checkpoint dict with format {CHECKPOINT_FORMAT!r}")
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return Path(path)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` with ``weights_only=True``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    ValueError
        If the file is not a backprop_book checkpoint (the message never repeats
        torch's advice to load it with ``weights_only=False``), or lacks a key.
    """
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(f"expected a checkpoint file, but {p} is a folder")
    if not p.is_file():
        raise FileNotFoundError(f"no checkpoint at {p}")
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickle protocols
            warnings.simplefilter("ignore")
            ckpt = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for foreign files
        # torch's own message advises weights_only=False, which would run code from the
        # file: a foreign file must never be loaded that way, so the advice is not shown
        raise ValueError(
            f"{p} is not a backprop_book checkpoint: it cannot be read as a weights-only torch "
            f"file ({type(exc).__name__}); give a checkpoint.pt written by `backprop-book train`"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        found = ckpt.get("format") if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ValueError(
            f"{p} is not a backprop_book checkpoint: "
            f"expected format {CHECKPOINT_FORMAT!r}, got {found!r}"
        )
    missing = sorted(REQUIRED_KEYS - set(ckpt))
    if missing or not isinstance(ckpt.get("config"), dict):
        raise ValueError(
            f"{p} is an incomplete backprop_book checkpoint: missing {missing or ['config']}"
        )
    return ckpt  # type: ignore[no-any-return]


def final_weights(ckpt: dict[str, Any]) -> tuple[dict[str, torch.Tensor], int]:
    """The weights a finished run ends with, and their epoch.

    Those of the best epoch when the run was finished (all epochs, or stopped
    early) with ``restore_best``, else the last epoch's.

    >>> w = {"w": torch.zeros(1)}
    >>> ck = {"config": {"epochs": 2, "restore_best": True}, "epoch": 2,
    ...       "stopped_early": False, "model": w, "best_state": {"w": torch.ones(1)},
    ...       "best_epoch": 1}
    >>> final_weights(ck)
    ({'w': tensor([1.])}, 1)
    """
    cfg = ckpt["config"]
    epoch = int(ckpt["epoch"])
    finished = epoch >= int(cfg["epochs"]) or bool(ckpt["stopped_early"])
    if cfg.get("restore_best") and ckpt.get("best_state") is not None and finished:
        return ckpt["best_state"], int(ckpt["best_epoch"])
    return ckpt["model"], epoch


def restore(trainer: Trainer, ckpt: dict[str, Any], weights_only: bool = False) -> None:
    """Put a checkpoint (from :func:`load_checkpoint`) into ``trainer``.

    ``weights_only=True`` restores only the model weights, for evaluation: those of
    :func:`final_weights` (the trainer's ``restored_epoch`` says which epoch when it
    is the best one).  Otherwise every piece of state is restored, so that
    :meth:`~backprop_book.torch_nn.trainer.Trainer.fit` continues where the run
    stopped.

    Raises
    ------
    ValueError
        If the checkpoint holds another model (name, arguments or shapes).
    """
    t = trainer
    ours = (t.config.model, dict(t.config.model_args))
    if (ckpt["model_name"], ckpt["model_args"]) != ours:
        raise ValueError(
            f"the checkpoint holds model {ckpt['model_name']!r} {ckpt['model_args']} "
            f"({ckpt['model_class']}), but this run builds {ours[0]!r} {ours[1]}"
        )
    try:
        t.model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        raise ValueError(
            f"the checkpoint's weights do not fit {ckpt['model_class']}: {exc}"
        ) from exc
    if weights_only:
        weights, epoch = final_weights(ckpt)
        if weights is not ckpt["model"]:
            t.model.load_state_dict(weights)
            t.restored_epoch = epoch
        return
    t.optimizer.load_state_dict(ckpt["optimizer"])
    if t.scheduler is not None and ckpt["scheduler"] is not None:
        t.scheduler.load_state_dict(ckpt["scheduler"])
    t.scaler.load_state_dict(ckpt["scaler"])
    t.model_rng.set_states(ckpt["rng"])
    t.data_generator.set_state(ckpt["rng"]["data"])
    t.epoch = int(ckpt["epoch"])
    t.history = list(ckpt["history"])
    t.best_val_loss = float(ckpt["best_val_loss"])
    t.best_epoch = int(ckpt.get("best_epoch", 0))
    best = ckpt.get("best_state")
    t.best_state = {k: v.to(t.device) for k, v in best.items()} if best is not None else None
    t.bad_epochs = int(ckpt["bad_epochs"])
    t.stopped_early = bool(ckpt["stopped_early"])
