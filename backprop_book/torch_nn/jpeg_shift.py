"""What one more JPEG generation costs in test accuracy, measured over seeds.

The book trains on a JPEG copy of CIFAR-10 (quality read from its tables by
:func:`backprop_book.data.jpeg.estimate_quality`); the reports trained on the
official files.  The copy's own cost cannot be measured without the official
files, so :func:`generation_cost` measures the cost of *one more* generation at the
copy's quality, two ways, over seeds:

* ``test_only``: a model trained on the copy, tested on the copy's test images and on
  the same images re-encoded once more (a paired difference: same model, same
  images, one generation apart);
* ``train_and_test``: a model trained and tested on re-encoded data against one
  trained and tested on the copy (what a study run on a one-generation-worse copy
  would report).

Each model is the tutorial's network (:class:`~backprop_book.torch_nn.models.TutorialCNN`)
trained briefly with Adam, cheap enough for a few minutes of one CPU thread.  The
larger of the two mean costs is the shift that the verdicts of Part V allow for
(:mod:`backprop_book.reports.stats`).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from backprop_book.data.jpeg import reencode
from backprop_book.torch_nn.models import TutorialCNN

__all__ = ["generation_cost"]


def _tensor(images: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    return (x / 255.0 - 0.5) / 0.5


def _train(x: torch.Tensor, y: torch.Tensor, seed: int, epochs: int, batch_size: int) -> nn.Module:
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = TutorialCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), batch_size):
            idx = order[i : i + batch_size]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    return model


@torch.no_grad()
def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    right = sum(int((model(x[i : i + 1000]).argmax(1) == y[i : i + 1000]).sum())
                for i in range(0, len(y), 1000))  # fmt: skip
    return right / len(y)


def generation_cost(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    quality: int,
    subsampling: int = 2,
    seeds: Sequence[int] = (0, 1, 2),
    n_train: int = 20_000,
    epochs: int = 2,
    batch_size: int = 64,
) -> dict[str, Any]:
    """Test accuracy on the copy and one JPEG generation further, per seed.

    ``train`` and ``test`` are ``(images, labels)``: ``uint8`` images of shape
    ``(N, 32, 32, 3)`` and integer labels (e.g. a
    :class:`~backprop_book.data.cifar10.CifarSplit`'s ``images`` and ``labels``); the
    first ``n_train`` training images of a fixed permutation are used.

    Returns a mapping with, per seed, ``copy`` (trained and tested on the copy),
    ``test_only`` (the same model on the re-encoded test images) and
    ``train_and_test`` (trained and tested on re-encoded data); the mean cost of each
    way (re-encoded minus copy: negative when the generation costs accuracy) with its
    standard deviation over seeds; and ``shift``, the larger magnitude of the two
    mean costs.

    .. math:: \\delta = \\max\\bigl(|\\overline{a_\\text{test-only} - a_\\text{copy}}|,\\;
              |\\overline{a_\\text{train+test} - a_\\text{copy}}|\\bigr)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> def split(n):
    ...     y = rng.integers(0, 10, n)
    ...     x = rng.integers(0, 60, (n, 32, 32, 3)) + 19 * y[:, None, None, None]
    ...     return x.astype(np.uint8), y
    >>> out = generation_cost(split(200), split(100), quality=75, seeds=(0, 1),
    ...                       n_train=200, epochs=1)
    >>> sorted(out["per_seed"][0]), out["shift"] >= 0
    (['copy', 'seed', 'test_only', 'train_and_test'], True)
    """
    (tr_images, tr_labels), (te_images, te_labels) = train, test
    for what, x, y in (("train", tr_images, tr_labels), ("test", te_images, te_labels)):
        if np.shape(x)[:1] != np.shape(y) or np.ndim(x) != 4:
            raise ValueError(
                f"expected {what} images (N, 32, 32, 3) and N labels, got shapes "
                f"{np.shape(x)} and {np.shape(y)}"
            )
    if not seeds:
        raise ValueError("expected at least one seed, got none")
    n = min(int(n_train), len(tr_labels))
    if n < 1:
        raise ValueError(f"expected a positive n_train, got {n_train}")
    pick = np.random.default_rng(0).permutation(len(tr_labels))[:n]
    tr_img, tr_y = tr_images[pick], torch.as_tensor(np.asarray(tr_labels)[pick]).long()
    te_y = torch.as_tensor(np.asarray(te_labels)).long()
    x_tr, x_te = _tensor(tr_img), _tensor(te_images)
    x_tr2 = _tensor(reencode(tr_img, quality, subsampling))
    x_te2 = _tensor(reencode(te_images, quality, subsampling))
    per_seed = []
    for s in seeds:
        m = _train(x_tr, tr_y, int(s), epochs, batch_size)
        m2 = _train(x_tr2, tr_y, int(s), epochs, batch_size)
        per_seed.append({
            "seed": int(s),
            "copy": _accuracy(m, x_te, te_y),
            "test_only": _accuracy(m, x_te2, te_y),
            "train_and_test": _accuracy(m2, x_te2, te_y),
        })  # fmt: skip
    out: dict[str, Any] = {"quality": quality, "subsampling": subsampling, "n_train": n,
                           "n_test": len(te_labels), "epochs": epochs, "batch_size": batch_size,
                           "per_seed": per_seed}  # fmt: skip
    for way in ("test_only", "train_and_test"):
        d = [r[way] - r["copy"] for r in per_seed]
        out[f"{way}_cost"] = statistics.fmean(d)
        out[f"{way}_sd"] = statistics.stdev(d) if len(d) > 1 else 0.0
    out["shift"] = max(abs(out["test_only_cost"]), abs(out["train_and_test_cost"]))
    return out
