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
    tensor, with history, a tqdm progress bar and a checkpoint after the epoch. The
    tensor is made once, outside the timing, as the tutorial's data set is; a new
    trainer (model, optimizer) is built inside it for every epoch.

Thread settings on the CPU: ``tutorial as written`` runs as readers run it, with
torch's default threads (one per core) and ``num_workers=2``; the ``1 thread`` rows
set one torch thread (on a shared 2-core machine spinning OpenMP threads can be far
slower); ``ours`` is given ``threads="auto"`` and picks its own count by timing a few
steps (:mod:`backprop_book.torch_nn.threads`; measured afresh for every case before
the timing starts), and the bare step runs at the count ours chose. ``--device cuda``
runs the models on a GPU (the tutorial's loop then copies each batch to it, as the
tutorial's GPU section does).

``python -m benchmarks.bench_torch_nn --record [--device cuda]`` records the result as
``docs/results/part4/bench_pipeline[_cuda].json`` for the book.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.common import Comparison, time_side_by_side

#: (batch size, images per epoch in the quick and full runs, required speed-up against the
#: tutorial as written, against the one-thread tutorial with two workers)
CASES = ((4, 1000, 4000, 4.0, 3.5), (64, 4000, 16000, 3.5, 5.0))
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


def _our_epoch(cfg: Any, data: Any, ckpt: Path) -> float:
    """A fresh trainer (model, optimizer) for one epoch with history and checkpoint; the
    images are the uint8 tensor made once, as the tutorial's data set is made once."""
    from backprop_book.torch_nn.trainer import Trainer

    t = Trainer(cfg, data=data)
    with contextlib.redirect_stderr(io.StringIO()):
        hist = t.fit(checkpoint=ckpt)
    return float(hist[-1]["train_loss"])


def _our_setup(images: np.ndarray, labels: np.ndarray, batch: int, device: str) -> Any:
    """The trainer's config (threads chosen by the trainer itself) and data for one case."""
    from backprop_book.data import CIFAR10_CLASSES
    from backprop_book.torch_nn.data import ImageTensors
    from backprop_book.torch_nn.trainer import TrainConfig

    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    train = ImageTensors(x, torch.from_numpy(labels.astype(np.int64)), CIFAR10_CLASSES, "bench")
    test = ImageTensors(x[:10], train.labels[:10], CIFAR10_CLASSES, "bench")
    cfg = TrainConfig(  # float32 like the tutorial: no mixed precision on CUDA either
        batch_size=batch, epochs=1, device=device, progress=True, data="fake", amp=False,
        threads="auto",
    )  # fmt: skip
    return cfg, (train, None, test)


def choose_our_threads(images: np.ndarray, labels: np.ndarray, batch: int, device: str) -> Any:
    """Let the trainer measure its thread choice afresh for this case (stored in its cache)."""
    from backprop_book.torch_nn.threads import cache_key, configure_threads
    from backprop_book.torch_nn.trainer import Trainer

    cfg, data = _our_setup(images, labels, batch, device)
    t = Trainer(cfg, data=data)
    key = cache_key(cfg.model, cfg.batch_size, cfg.model_args)
    return configure_threads(
        cfg.threads, t.model, t.optimizer, cfg.batch_size, t.device, key=key, refresh=True
    )


def _sync(fn: Callable[[], object], device: str) -> Callable[[], object]:
    if not device.startswith("cuda"):
        return fn

    def call() -> object:
        out = fn()
        torch.cuda.synchronize()
        return out

    return call


def _at_threads(fn: Callable[[], object], n: int | None) -> Callable[[], object]:
    """``fn`` run at ``n`` torch threads (``None``: as they are), the setting restored after."""
    if n is None:
        return fn

    def call() -> object:
        before = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            return fn()
        finally:
            torch.set_num_threads(before)

    return call


#: the tutorial's own settings: torch's default threads, two loader workers
AS_WRITTEN = "tutorial as written (default threads, workers=2)"
ONE_THREAD = ("tutorial, 1 thread, workers=2", "tutorial, 1 thread, workers=0",
              "tutorial on JPEG folder, 1 thread, workers=2")  # fmt: skip


def _contenders(
    images: np.ndarray,
    labels: np.ndarray,
    jpeg: torch.utils.data.Dataset,  # type: ignore[type-arg]
    batch: int,
    ckpt: Path,
    device: str,
    default_threads: int,
    our_threads: int | None,
) -> dict[str, Callable[[], object]]:
    """Every contender at its own thread setting; ``ours`` chooses its own (``threads='auto'``)."""
    from backprop_book.torch_nn.data import normalize

    tensors = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    x = normalize(tensors, *TUTORIAL_NORM).to(device)
    y = torch.from_numpy(labels.astype(np.int64)).to(device)
    mem = _TutorialDataset(images, labels)
    our_cfg, our_data = _our_setup(images, labels, batch, device)
    fns: dict[str, Callable[[], object]] = {
        AS_WRITTEN: _at_threads(lambda: _tutorial_epoch(mem, batch, 2, device), default_threads),
        ONE_THREAD[0]: _at_threads(lambda: _tutorial_epoch(mem, batch, 2, device), 1),
        ONE_THREAD[1]: _at_threads(lambda: _tutorial_epoch(mem, batch, 0, device), 1),
        ONE_THREAD[2]: _at_threads(lambda: _tutorial_epoch(jpeg, batch, 2, device), 1),
        "bare step": _at_threads(lambda: _bare_epoch(x, y, batch, device), our_threads),
        "ours": lambda: _our_epoch(our_cfg, our_data, ckpt),
    }
    return {k: _sync(f, device) for k, f in fns.items()}


def run(
    quick: bool,
    device: str = "cpu",
    sizes: tuple[tuple[int, int, float, float], ...] | None = None,
    repeats: int | None = None,
) -> list[Comparison]:
    """Measure every case; ``sizes`` (batch, images, as-written target, one-thread target)
    overrides :data:`CASES`.

    Every row's :attr:`~benchmarks.common.Comparison.case` holds the batch size, the
    images, the device, the baseline's and our thread counts and the workers, so that
    readers of the recorded JSON need not parse the row's name.
    """
    from backprop_book.data import load_cifar10
    from backprop_book.torch_nn.data import extract_image_folder

    default_threads = torch.get_num_threads()  # what the reader's process starts with
    split = load_cifar10("train")
    cases = sizes or tuple((b, q if quick else f, t4, t1) for b, q, f, t4, t1 in CASES)
    reps = repeats if repeats is not None else (1 if quick else 3)
    warm = 0 if quick else 1
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "ck.pt"
        folder = extract_image_folder(tmp, "train", per_class=max(c[1] for c in cases) // 10)
        jpeg = _image_folder(folder)
        rng = np.random.default_rng(0)  # the copy is sorted by class: take a seeded subset
        for batch, n, target_written, target_one in cases:
            pick = np.sort(rng.choice(len(split), n, replace=False))
            images, labels = split.images[pick], split.labels[pick]
            jpeg_n = torch.utils.data.Subset(
                jpeg, np.sort(rng.choice(len(jpeg), n, replace=False)).tolist()
            )
            choice: Any = None
            if device == "cpu":
                choice = _at_threads(
                    functools.partial(choose_our_threads, images, labels, batch, device),
                    default_threads,
                )()
            ours_n = choice.threads if choice is not None else None
            fns = _contenders(images, labels, jpeg_n, batch, ckpt, device, default_threads, ours_n)
            t = time_side_by_side(fns, repeats=reps, warmup=warm)
            what = f"1 epoch, {n:,} images, batch {batch}, {device}"
            common = "TutorialCNN, SGD; ours with history, progress bar and checkpoint"
            if choice is not None:
                common += f"; ours chose {choice.describe()}"
            base_case = {"batch_size": batch, "images": n, "device": device,
                         "threads_ours": ours_n, "threads_default": default_threads}  # fmt: skip
            for base in (AS_WRITTEN, *ONE_THREAD):
                target = target_written if base == AS_WRITTEN else target_one
                threads = default_threads if base == AS_WRITTEN else 1
                workers = 0 if "workers=0" in base else 2
                out.append(
                    Comparison(
                        f"{what}: {base}", base, "ours", t[base], t["ours"], reps, 1 / target,
                        f"{common}; target: at least {target}x faster",
                        case={**base_case, "threads_baseline": threads, "workers": workers,
                              "as_written": base == AS_WRITTEN, "jpeg": "JPEG" in base},
                    )
                )  # fmt: skip
            torch.set_num_threads(default_threads)
            out.append(
                Comparison(
                    f"{what}: bare step", "bare step", "ours", t["bare step"], t["ours"], reps,
                    1.05, f"{common}; the bare step (at our threads) does no data work at all: "
                    "the floor; target: ours within 5% of it",
                    case={**base_case, "threads_baseline": ours_n, "workers": 0,
                          "as_written": False, "jpeg": False},
                )
            )  # fmt: skip
    return out


def ceilings(rows: list[Comparison]) -> list[dict[str, object]]:
    """For each tutorial row, the largest speed-up any pipeline could reach: tutorial / bare step
    (at the same batch size and device, read from the rows' :attr:`case` fields)."""

    def where(r: Comparison) -> tuple[object, object]:
        return r.case["batch_size"], r.case["device"]

    bare = {where(r): r.baseline_s for r in rows if r.baseline == "bare step"}
    return [
        {"name": r.name, "baseline": r.baseline, "batch_size": r.case["batch_size"],
         "ceiling": r.baseline_s / bare[where(r)], "speedup": r.speedup,
         "target": None if r.target is None else 1 / r.target}
        for r in rows
        if r.baseline != "bare step" and where(r) in bare
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
             "blas": blas_info(), "threads_default": torch.get_num_threads(),
             "cpu_count": os.cpu_count()},
            device=device, data_source="CIFAR-10 train split: decoded arrays, and JPEG files "
            "unpacked from the shared image-folder copy", seed=0,
            wall_time_s=time.perf_counter() - t0,
            profile="full" if "--quick" not in args else "quick",
        )  # fmt: skip
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
