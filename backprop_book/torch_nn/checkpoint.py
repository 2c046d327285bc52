"""Checkpoints of a Part IV training run: the file format, saving and loading.

The state itself is the trainer's: :meth:`Trainer.state_dict()
<backprop_book.torch_nn.trainer.Trainer.state_dict>` gives it and
:meth:`~backprop_book.torch_nn.trainer.Trainer.load_state_dict` puts it back;
this module only writes and reads the file and checks its format.

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
from typing import Any

import torch

from backprop_book._io import atomic_path

__all__ = [
    "CHECKPOINT_FORMAT",
    "final_weights",
    "load_checkpoint",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = "backprop_book.torch_nn.checkpoint/1"
#: Keys :func:`load_checkpoint` requires (``best_epoch``, ``best_state`` and
#: ``classes`` are optional: older checkpoints lack them).
REQUIRED_KEYS = frozenset(
    {"model_name", "model_class", "model_args", "config", "epoch", "model", "optimizer",
     "scheduler", "scaler", "rng", "history", "best_val_loss", "bad_epochs", "stopped_early"}
)  # fmt: skip


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
    rng = ckpt["rng"]
    lacking = sorted({"data", "torch"} - set(rng)) if isinstance(rng, dict) else ["data", "torch"]
    if lacking:
        raise ValueError(
            f"{p} is an incomplete backprop_book checkpoint: its rng state lacks {lacking} "
            "(expected the states of the data and torch generators); without them a resumed "
            "run cannot continue bit-identically"
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
