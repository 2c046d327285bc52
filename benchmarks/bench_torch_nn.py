"""Part IV's data pipeline against the PyTorch CIFAR-10 tutorial's loop, same model and math.

Contenders, all training :class:`~backprop_book.torch_nn.models.TutorialCNN` with SGD
(lr 0.001, momentum 0.9) for one epoch from the same initial weights, run round-robin
in one process (:func:`benchmarks.common.time_side_by_side`):

``tutorial, workers=W``
    The tutorial's loop: a Dataset that, like ``torchvision.datasets.CIFAR10``, turns
    each decoded image into a PIL image and applies ``ToTensor()`` and
    ``Normalize((0.5,)*3, (0.5,)*3)`` one image at a time, a
    ``DataLoader(shuffle=True, num_workers=W)`` (the tutorial uses ``W = 2``), and the
    tutorial's step with ``running_loss += loss.item()``.
``tutorial on JPEG folder, workers=2``
    The same loop over :class:`torchvision.datasets.ImageFolder` reading the shared
    JPEG copy (the torchvision data set this machine actually has): each image is
    also opened and JPEG-decoded per step.
``bare step``
    Only ``zero_grad / forward / loss / backward / step`` on batches already
    normalised in memory: no data work, no history, no checkpoint. No pipeline can
    beat it, so ``tutorial / bare step`` is the largest speed-up any pipeline
    could reach here with this model and these kernels.
``ours``
    :class:`backprop_book.torch_nn.trainer.Trainer` on the same images as a uint8
    tensor, with history, a tqdm progress bar and a checkpoint after the epoch.

On the CPU every contender uses one torch thread (on a shared 2-core machine two
spinning OpenMP threads are far slower); ``--device cuda`` runs the models on a GPU
(the tutorial's loop then copies each batch to it, as the tutorial's GPU section does).

``python -m benchmarks.bench_torch_nn --record [--device cuda]`` records the result as
``docs/results/part4/bench_pipeline[_cuda].json`` for the book.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.common import Comparison, time_side_by_side

#: (batch size, images per epoch in the quick and full runs, required speed-up)
CASES = ((4, 1000, 4000, 3.5), (64, 4000, 16000, 5.0))
TUTORIAL_NORM = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


class _TutorialDataset(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """What torchvision.datasets.CIFAR10 does per item: array -> PIL -> transforms."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        from torchvision import transforms

        self.images, self.labels = images, labels
        self.transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize(*TUTORIAL_NORM)]
        )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        return self.transform(Image.fromarray(self.images[i])), int(self.labels[i])


def _image_folder(folder: Path) -> Any:
    """torchvision's ImageFolder over ``folder`` with the tutorial's transforms."""
    from torchvision import datasets, transforms

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(*TUTORIAL_NORM)])
    return datasets.ImageFolder(str(folder), transform=tf)


def _tutorial_epoch(
    dataset: torch.utils.data.Dataset,  # type: ignore[type-arg]
    batch: int,
    workers: int,
    device: str,
) -> float:
    from backprop_book.torch_nn.models import TutorialCNN

    torch.manual_seed(0)
    net = TutorialCNN().to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    crit = torch.nn.CrossEntropyLoss()
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch, shuffle=True, num_workers=workers
    )
    running = 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        loss = crit(net(x), y)
        loss.backward()
        opt.step()
        running += loss.item()
    return running


def _bare_epoch(x: torch.Tensor, y: torch.Tensor, batch: int, device: str) -> float:
    from backprop_book.torch_nn.models import TutorialCNN

    torch.manual_seed(0)
    net = TutorialCNN().to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    crit = torch.nn.CrossEntropyLoss()
    loss = torch.zeros((), device=device)
    for i in range(0, len(y), batch):
        opt.zero_grad()
        loss = crit(net(x[i : i + batch]), y[i : i + batch])
        loss.backward()
        opt.step()
    return float(loss.detach())


def _our_epoch(
    images: np.ndarray, labels: np.ndarray, batch: int, ckpt: Path, device: str
) -> float:
    from backprop_book.data import CIFAR10_CLASSES
    from backprop_book.torch_nn.data import ImageTensors
    from backprop_book.torch_nn.trainer import TrainConfig, Trainer

    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    train = ImageTensors(x, torch.from_numpy(labels.astype(np.int64)), CIFAR10_CLASSES, "bench")
    test = ImageTensors(x[:10], train.labels[:10], CIFAR10_CLASSES, "bench")
    cfg = TrainConfig(  # float32 like the tutorial: no mixed precision on CUDA either
        batch_size=batch, epochs=1, device=device, progress=True, data="fake", amp=False
    )
    t = Trainer(cfg, data=(train, None, test))
    with contextlib.redirect_stderr(io.StringIO()):
        hist = t.fit(checkpoint=ckpt)
    return float(hist[-1]["train_loss"])


def _sync(fn: Callable[[], object], device: str) -> Callable[[], object]:
    if not device.startswith("cuda"):
        return fn

    def call() -> object:
        out = fn()
        torch.cuda.synchronize()
        return out

    return call


def _contenders(
    images: np.ndarray,
    labels: np.ndarray,
    jpeg: torch.utils.data.Dataset,  # type: ignore[type-arg]
    batch: int,
    ckpt: Path,
    device: str,
) -> dict[str, Callable[[], object]]:
    from backprop_book.torch_nn.data import normalize

    tensors = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    x = normalize(tensors, *TUTORIAL_NORM).to(device)
    y = torch.from_numpy(labels.astype(np.int64)).to(device)
    mem = _TutorialDataset(images, labels)
    return {
        "tutorial, workers=2": lambda: _tutorial_epoch(mem, batch, 2, device),
        "tutorial, workers=0": lambda: _tutorial_epoch(mem, batch, 0, device),
        "tutorial on JPEG folder, workers=2": lambda: _tutorial_epoch(jpeg, batch, 2, device),
        "bare step": lambda: _bare_epoch(x, y, batch, device),
        "ours": lambda: _our_epoch(images, labels, batch, ckpt, device),
    }


def run(
    quick: bool,
    device: str = "cpu",
    sizes: tuple[tuple[int, int, float], ...] | None = None,
    repeats: int | None = None,
) -> list[Comparison]:
    """Measure every case; ``sizes`` (batch, images, target) overrides :data:`CASES`."""
    from backprop_book.data import load_cifar10
    from backprop_book.torch_nn.data import extract_image_folder

    if device == "cpu":
        torch.set_num_threads(1)
    split = load_cifar10("train")
    cases = sizes or tuple((b, q if quick else f, t) for b, q, f, t in CASES)
    reps = repeats if repeats is not None else (1 if quick else 3)
    warm = 0 if quick else 1
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "ck.pt"
        folder = extract_image_folder(tmp, "train", per_class=max(n for _, n, _ in cases) // 10)
        jpeg = _image_folder(folder)
        rng = np.random.default_rng(0)  # the copy is sorted by class: take a seeded subset
        for batch, n, target in cases:
            pick = np.sort(rng.choice(len(split), n, replace=False))
            images, labels = split.images[pick], split.labels[pick]
            jpeg_n = torch.utils.data.Subset(
                jpeg, np.sort(rng.choice(len(jpeg), n, replace=False)).tolist()
            )
            fns = _contenders(images, labels, jpeg_n, batch, ckpt, device)
            t = time_side_by_side(
                {k: _sync(f, device) for k, f in fns.items()}, repeats=reps, warmup=warm
            )
            what = f"1 epoch, {n:,} images, batch {batch}, {device}"
            common = "TutorialCNN, SGD; ours with history, progress bar and checkpoint"
            if device == "cpu":
                common += "; 1 torch thread"
            for base in ("tutorial, workers=2", "tutorial, workers=0",
                         "tutorial on JPEG folder, workers=2"):  # fmt: skip
                out.append(
                    Comparison(
                        f"{what}: {base}", base, "ours", t[base], t["ours"], reps, 1 / target,
                        f"{common}; target: at least {target}x faster",
                    )
                )  # fmt: skip
            out.append(
                Comparison(
                    f"{what}: bare step", "bare step", "ours", t["bare step"], t["ours"], reps,
                    None, f"{common}; the bare step does no data work at all: the floor",
                )
            )  # fmt: skip
    return out


def ceilings(rows: list[Comparison]) -> list[dict[str, object]]:
    """For each tutorial row, the largest speed-up any pipeline could reach: tutorial / bare step."""
    bare = {r.name.split(": ")[0]: r.baseline_s for r in rows if r.baseline == "bare step"}
    return [
        {"name": r.name, "ceiling": r.baseline_s / bare[r.name.split(": ")[0]],
         "speedup": r.speedup, "target": None if r.target is None else 1 / r.target}
        for r in rows
        if r.baseline != "bare step" and r.name.split(": ")[0] in bare
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Print the comparisons; ``--record`` writes docs/results/part4/bench_pipeline[_DEVICE].json."""
    from backprop_book.results import record_result

    args = sys.argv[1:] if argv is None else argv
    device = "cpu"
    if "--device" in args:
        device = args[args.index("--device") + 1]
    t0 = time.perf_counter()
    rows = run(quick="--quick" in args, device=device)
    for c in rows:
        print(f"{c.name:<70} base {c.baseline_s:7.2f} s  ours {c.candidate_s:6.2f} s  "
              f"speed-up {c.speedup:5.2f}x  target met: {c.meets_target}")  # fmt: skip
    for ceil in ceilings(rows):
        print(f"{ceil['name']:<70} best possible {ceil['ceiling']:5.2f}x")
    if "--record" in args:
        from benchmarks.run import blas_info

        suffix = "" if device == "cpu" else "_" + device.split(":")[0]
        record_result(
            f"part4/bench_pipeline{suffix}",
            {"comparisons": [c.as_dict() for c in rows], "ceilings": ceilings(rows),
             "blas": blas_info(), "threads": torch.get_num_threads()},
            device=device, data_source="CIFAR-10 train split: decoded arrays, and JPEG files "
            "unpacked from the shared image-folder copy", seed=0,
            wall_time_s=time.perf_counter() - t0,
            profile="full" if "--quick" not in args else "quick",
        )  # fmt: skip
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
