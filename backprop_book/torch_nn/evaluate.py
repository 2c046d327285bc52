"""Evaluate a checkpoint's final weights on the test or training split (``backprop-book evaluate``)."""

from __future__ import annotations

import os

from backprop_book.data.cifar10 import SHARED_ARCHIVE_SHA256
from backprop_book.torch_nn.checkpoint import load_checkpoint
from backprop_book.torch_nn.config import TrainConfig
from backprop_book.torch_nn.data import load_data
from backprop_book.torch_nn.trainer import Evaluation, Trainer

__all__ = ["evaluate_checkpoint"]


def evaluate_checkpoint(
    path: str | os.PathLike[str],
    split: str = "test",
    device: str = "auto",
    max_examples: int | None = None,
    expected_sha256: str | None = SHARED_ARCHIVE_SHA256,
) -> tuple[Evaluation, Trainer]:
    """Evaluate the final weights of a checkpoint (:func:`~.checkpoint.final_weights`).

    ``split`` is ``"test"`` or ``"train"``; ``max_examples`` keeps a seeded subset
    of it; ``expected_sha256`` is the data archive's checksum (see
    :func:`~backprop_book.data.load_cifar10`).  Returns the evaluation and the
    trainer that made it.
    """
    if split not in ("test", "train"):
        raise ValueError(f"expected split 'test' or 'train', got {split!r}")
    ckpt = load_checkpoint(path)
    values = {**ckpt["config"], "device": device, "val_size": 0, "patience": None,
              "restore_best": False}  # fmt: skip
    if split == "test" and max_examples is not None:
        values["max_test"] = max_examples
    cfg = TrainConfig.from_dict(values)
    train, _, test = load_data(
        cfg.data, max_train=max_examples if split == "train" else cfg.max_train,
        max_test=cfg.max_test, seed=cfg.seed, grayscale=cfg.grayscale, root=cfg.data_root,
        expected_sha256=expected_sha256,
    )  # fmt: skip
    trainer = Trainer(cfg, data=(train, None, test))
    trainer.load_state_dict(ckpt, weights_only=True)
    return trainer.evaluate(trainer.train_data if split == "train" else None), trainer
