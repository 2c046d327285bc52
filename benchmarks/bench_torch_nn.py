"""Part IV's data pipeline against the PyTorch CIFAR-10 tutorial's loop, same model and math.

Baseline (the tutorial's loop): a Dataset over the decoded CIFAR-10 arrays that,
like ``torchvision.datasets.CIFAR10``, turns each image into a PIL image and applies
``ToTensor()`` and ``Normalize((0.5,)*3, (0.5,)*3)`` one image at a time, a
``DataLoader(shuffle=True, num_workers=W)`` (the tutorial uses ``W = 2``), and the
tutorial's step with ``running_loss += loss.item()``.

Candidate: :class:`backprop_book.torch_nn.trainer.Trainer` on the same images as a
uint8 tensor, with history, a tqdm progress bar and a checkpoint after the epoch.

Both train :class:`~backprop_book.torch_nn.models.TutorialCNN` with SGD (lr 0.001,
momentum 0.9) for one epoch from the same initial weights, on one torch thread
(on a shared 2-core machine two spinning OpenMP threads are far slower).

``python -m benchmarks.bench_torch_nn --record`` records the comparison as
``docs/results/part4/bench_pipeline.json`` for the book.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import Comparison, compare


class _TutorialDataset(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """What torchvision.datasets.CIFAR10 does per item: array -> PIL -> transforms."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        from torchvision import transforms

        self.images, self.labels = images, labels
        self.transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]
        )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        return self.transform(Image.fromarray(self.images[i])), int(self.labels[i])


def _tutorial_epoch(images: np.ndarray, labels: np.ndarray, batch: int, workers: int) -> float:
    from backprop_book.torch_nn.models import TutorialCNN

    torch.manual_seed(0)
    net = TutorialCNN()
    opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    crit = torch.nn.CrossEntropyLoss()
    loader = torch.utils.data.DataLoader(
        _TutorialDataset(images, labels), batch_size=batch, shuffle=True, num_workers=workers
    )
    running = 0.0
    for x, y in loader:
        opt.zero_grad()
        loss = crit(net(x), y)
        loss.backward()
        opt.step()
        running += loss.item()
    return running


def _our_epoch(images: np.ndarray, labels: np.ndarray, batch: int, ckpt: Path) -> float:
    from backprop_book.data import CIFAR10_CLASSES
    from backprop_book.torch_nn.data import ImageTensors
    from backprop_book.torch_nn.trainer import TrainConfig, Trainer

    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    train = ImageTensors(x, torch.from_numpy(labels), CIFAR10_CLASSES, "bench")
    test = ImageTensors(x[:10], train.labels[:10], CIFAR10_CLASSES, "bench")
    cfg = TrainConfig(batch_size=batch, epochs=1, device="cpu", progress=True, data="fake")
    t = Trainer(cfg, data=(train, None, test))
    with contextlib.redirect_stderr(io.StringIO()):
        hist = t.fit(checkpoint=ckpt)
    return float(hist[-1]["train_loss"])


def run(quick: bool) -> list[Comparison]:
    from backprop_book.data import load_cifar10

    torch.set_num_threads(1)
    split = load_cifar10("train")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "ck.pt"
        for batch, n, target in (
            (4, 1000 if quick else 4000, 3.5),
            (64, 4000 if quick else 16000, 5.0),
        ):
            images, labels = split.images[:n], split.labels[:n]
            for workers in (2, 0):
                out.append(
                    compare(
                        f"1 epoch, {n:,} images, batch {batch}, tutorial workers={workers}",
                        (
                            "tutorial loop",
                            lambda b=batch, w=workers, i=images, l=labels: _tutorial_epoch(
                                i, l, b, w
                            ),
                        ),
                        (
                            "our trainer",
                            lambda b=batch, i=images, l=labels: _our_epoch(i, l, b, ckpt),
                        ),
                        repeats=1 if quick else 3,
                        warmup=0 if quick else 1,
                        target=1 / target,
                        note=f"TutorialCNN, SGD; target: at least {target}x faster; ours with "
                        "history, progress bar and checkpoint; 1 torch thread",
                    )
                )
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the comparisons; ``--record`` writes docs/results/part4/bench_pipeline.json."""
    from backprop_book.results import record_result

    args = sys.argv[1:] if argv is None else argv
    t0 = time.perf_counter()
    rows = run(quick="--quick" in args)
    for c in rows:
        print(f"{c.name:<58} tutorial {c.baseline_s:7.2f} s  ours {c.candidate_s:6.2f} s  "
              f"speed-up {c.speedup:5.1f}x  target met: {c.meets_target}")  # fmt: skip
    if "--record" in args:
        from benchmarks.run import blas_info

        record_result(
            "part4/bench_pipeline",
            {"comparisons": [c.as_dict() for c in rows], "blas": blas_info(), "threads": 1},
            device="cpu", data_source="CIFAR-10 train split (decoded arrays)", seed=0,
            wall_time_s=time.perf_counter() - t0,
            profile="full" if "--quick" not in args else "quick",
        )  # fmt: skip
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
