"""The data pipeline: CIFAR-10 as uint8 tensors, whole-batch transforms on the device.

The PyTorch tutorial's loop converts every image to PIL, to a float tensor and
normalises it, one image at a time, in Python, then collates a batch.  Here the
data set is decoded once (:func:`backprop_book.data.load_cifar10`), kept as one
``uint8`` tensor of shape ``(N, C, 32, 32)`` on the training device, and each batch is
picked by indexing, converted and normalised in one vectorised step
(:func:`normalize`) and augmented in one step (:func:`random_crop_flip`).  No
per-image Python work happens in the training loop.

Report D's pipeline reads an image folder through torchvision transforms; that
path is kept too (:func:`extract_image_folder`, :func:`d_transforms`,
:func:`image_folder_tensors`), applied once per image when the data is loaded.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from backprop_book.data import (
    CIFAR10_CLASSES,
    CifarSplit,
    find_cifar10,
    holdout_split,
    load_cifar10,
)
from backprop_book.data.cifar10 import SHARED_ARCHIVE_SHA256, read_archive

__all__ = [
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "DATA_SOURCES",
    "NORMALIZATIONS",
    "TUTORIAL_MEAN",
    "TUTORIAL_STD",
    "ImageTensors",
    "Normalizer",
    "batch_indices",
    "d_transforms",
    "extract_image_folder",
    "fake_cifar10",
    "image_folder_tensors",
    "load_data",
    "normalization_constants",
    "normalize",
    "random_crop_flip",
    "to_grayscale",
]

#: The tutorial's ``Normalize((0.5,)*3, (0.5,)*3)``: maps [0, 1] to [-1, 1].
TUTORIAL_MEAN = (0.5, 0.5, 0.5)
TUTORIAL_STD = (0.5, 0.5, 0.5)
#: Per-channel mean and standard deviation of the CIFAR-10 training images.
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
_GRAY = (0.2989, 0.587, 0.114)  # torchvision's Grayscale weights
#: The normalisations a run can use, by name: ``(mean, std)`` per RGB channel, or
#: ``None`` for scaling to [0, 1] only.
NORMALIZATIONS: dict[str, tuple[tuple[float, ...], tuple[float, ...]] | None] = {
    "tutorial": (TUTORIAL_MEAN, TUTORIAL_STD),
    "cifar": (CIFAR10_MEAN, CIFAR10_STD),
    "none": None,
}
#: Where :func:`load_data` reads images from.
DATA_SOURCES = ("cifar10", "fake")


@dataclass(frozen=True)
class ImageTensors:
    """A data set held as tensors: ``images`` uint8 ``(N, C, H, W)``, ``labels`` int64 ``(N,)``.

    >>> d = fake_cifar10(8, seed=0)
    >>> d.images.dtype, tuple(d.images.shape), len(d)
    (torch.uint8, (8, 3, 32, 32), 8)
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    source: str

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def to(self, device: torch.device | str) -> ImageTensors:
        """The same data on ``device``."""
        return ImageTensors(
            self.images.to(device), self.labels.to(device), self.classes, self.source
        )

    @classmethod
    def from_split(cls, split: CifarSplit, grayscale: bool = False) -> ImageTensors:
        """Convert a :class:`~backprop_book.data.CifarSplit` (NHWC uint8) to NCHW tensors."""
        images = (
            torch.from_numpy(np.ascontiguousarray(split.images)).permute(0, 3, 1, 2).contiguous()
        )
        if grayscale:
            images = to_grayscale(images)
        labels = torch.from_numpy(np.asarray(split.labels, dtype=np.int64))
        return cls(images, labels, tuple(split.classes), split.source.describe())


def _check_batch(images: Any, where: str) -> None:
    """Refuse what is not a batch of images ``(N, C, H, W)`` as a tensor."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"{where}: expected a torch.Tensor of images (N, C, H, W), got {type(images).__name__}"
            + ("; convert it with torch.from_numpy" if isinstance(images, np.ndarray) else "")
        )
    if images.ndim != 4:
        raise ValueError(
            f"{where}: expected a batch of images of shape (N, C, H, W), got shape "
            f"{tuple(images.shape)}"
        )


def to_grayscale(images: torch.Tensor) -> torch.Tensor:
    """ITU-R 601 luma of a uint8 RGB batch, :math:`Y = 0.2989 R + 0.587 G + 0.114 B`, rounded.

    >>> to_grayscale(torch.full((1, 3, 2, 2), 200, dtype=torch.uint8))[0, 0, 0, 0].item()
    200
    """
    _check_batch(images, "to_grayscale")
    if images.shape[1] != 3:
        raise ValueError(f"expected RGB images of shape (N, 3, H, W), got {tuple(images.shape)}")
    w = torch.tensor(_GRAY, device=images.device).view(1, 3, 1, 1)
    y = (images.float() * w).sum(1, keepdim=True).round().clamp_(0, 255)
    return y.to(torch.uint8)


def normalization_constants(
    name: str, channels: int = 3
) -> tuple[tuple[float, ...], tuple[float, ...]] | tuple[None, None]:
    """``(mean, std)`` of a named normalisation (:data:`NORMALIZATIONS`) for ``channels``.

    The tutorial's constants are the same for every channel, so they serve
    grayscale images too (one channel); the CIFAR-10 statistics are for RGB only.
    ``"none"`` gives ``(None, None)``: scale to [0, 1] only.

    >>> normalization_constants("tutorial", channels=1)
    ((0.5,), (0.5,))
    >>> normalization_constants("cifar", channels=1)
    Traceback (most recent call last):
    ...
    ValueError: normalization 'cifar' has constants for 3 channels, not 1
    """
    if name not in NORMALIZATIONS:
        raise ValueError(f"expected a normalization, one of {tuple(NORMALIZATIONS)}; got {name!r}")
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"expected channels as a positive integer, got {channels!r}")
    consts = NORMALIZATIONS[name]
    if consts is None:
        return None, None
    mean, std = consts
    if channels == len(mean):
        return mean, std
    if len(set(mean)) == 1 and len(set(std)) == 1:
        return (mean[0],) * channels, (std[0],) * channels
    raise ValueError(
        f"normalization {name!r} has constants for {len(mean)} channels, not {channels}"
    )


def normalize(
    images: torch.Tensor, mean: Sequence[float] | None, std: Sequence[float] | None
) -> torch.Tensor:
    """Convert a uint8 batch to float and normalise it: :math:`x = (u / 255 - \\mu_c) / \\sigma_c`.

    With ``mean`` and ``std`` ``None`` only the scaling to [0, 1] is done.

    >>> x = normalize(torch.tensor([[[[0, 255]]]], dtype=torch.uint8), (0.5,), (0.5,))
    >>> x.flatten().tolist()
    [-1.0, 1.0]
    """
    _check_batch(images, "normalize")
    x = images.to(torch.float32).div_(255.0)
    if mean is None or std is None:
        return x
    c = x.shape[1]
    if len(mean) != c or len(std) != c:
        raise ValueError(
            f"expected mean and std with {c} values for {c} channels, got {mean}, {std}"
        )
    m = torch.tensor(mean, device=x.device, dtype=x.dtype).view(1, c, 1, 1)
    s = torch.tensor(std, device=x.device, dtype=x.dtype).view(1, c, 1, 1)
    return x.sub_(m).div_(s)


def _finite_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


class Normalizer:
    """:func:`normalize` with its constants made once, for use at every training step.

    ``x = u * a_c + b_c`` with :math:`a_c = 1 / (255 \\sigma_c)` and
    :math:`b_c = -\\mu_c / \\sigma_c`: the same map as :func:`normalize` (equal to
    within float32 rounding), in two in-place operations and without building
    constant tensors per batch.

    >>> norm = Normalizer((0.5,), (0.5,), channels=1)
    >>> norm(torch.tensor([[[[0, 255]]]], dtype=torch.uint8)).flatten().tolist()
    [-1.0, 1.0]
    >>> Normalizer((0.5, 0.5), (0.5, 0.5), channels=3)
    Traceback (most recent call last):
    ...
    ValueError: expected mean and std with 3 values for 3 channels, got (0.5, 0.5), (0.5, 0.5)
    """

    def __init__(
        self,
        mean: Sequence[float] | None,
        std: Sequence[float] | None,
        channels: int,
        device: torch.device | str = "cpu",
    ):
        if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
            raise ValueError(f"expected channels as a positive integer, got {channels!r}")
        self.channels = channels
        if mean is None or std is None:
            self.scale: torch.Tensor | None = None
            self.shift: torch.Tensor | None = None
            return
        if len(mean) != channels or len(std) != channels:
            raise ValueError(
                f"expected mean and std with {channels} values for {channels} channels, "
                f"got {tuple(mean)}, {tuple(std)}"
            )
        if not all(_finite_number(v) for v in (*mean, *std)):
            raise ValueError(
                f"expected mean and std as finite numbers, got {tuple(mean)}, {tuple(std)}"
            )
        if any(s <= 0 for s in std):
            raise ValueError(f"expected positive standard deviations, got {tuple(std)}")
        shape = (1, channels, 1, 1)
        self.scale = torch.tensor([1.0 / (255.0 * s) for s in std], device=device).view(shape)
        self.shift = torch.tensor([-m / s for m, s in zip(mean, std, strict=True)],
                                  device=device).view(shape)  # fmt: skip

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 ``(N, C, H, W)`` batch -> normalised float32 batch on the same device."""
        if images.ndim != 4 or images.shape[1] != self.channels:
            raise ValueError(
                f"expected a batch of shape (N, {self.channels}, H, W), got {tuple(images.shape)}"
            )
        x = images.to(torch.float32)
        if self.scale is None or self.shift is None:
            return x.mul_(1.0 / 255.0)
        return x.mul_(self.scale).add_(self.shift)


def random_crop_flip(
    images: torch.Tensor, generator: torch.Generator, padding: int = 4, flip: bool = True
) -> torch.Tensor:
    """Random crop after zero padding and random horizontal flip, for a whole batch at once.

    Each image gets its own offsets ``(dy, dx)`` in ``[0, 2 * padding]`` and its own
    coin for the flip, all drawn from ``generator`` (a CPU generator, so that the
    draws are the same on every device).

    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.arange(2 * 1 * 4 * 4, dtype=torch.uint8).view(2, 1, 4, 4)
    >>> random_crop_flip(x, g, padding=0, flip=False).equal(x)
    True
    """
    _check_batch(images, "random_crop_flip")
    n, _, h, w = images.shape
    out = images
    if padding > 0:
        padded = F.pad(images, (padding, padding, padding, padding))
        off = torch.randint(0, 2 * padding + 1, (2, n), generator=generator).to(images.device)
        rows = off[0, :, None] + torch.arange(h, device=images.device)  # (n, h)
        cols = off[1, :, None] + torch.arange(w, device=images.device)  # (n, w)
        b = torch.arange(n, device=images.device)[:, None, None]
        nhwc = padded.permute(0, 2, 3, 1)
        out = nhwc[b, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    if flip:
        coin = (torch.rand(n, generator=generator) < 0.5).to(images.device)
        out = torch.where(coin.view(n, 1, 1, 1), out.flip(3), out)
    return out.contiguous()


def batch_indices(
    n: int,
    batch_size: int,
    generator: torch.Generator | None,
    rank: int = 0,
    world_size: int = 1,
    device: torch.device | str | None = None,
) -> Iterator[torch.Tensor]:
    """Index batches for one epoch: a seeded permutation cut into global batches.

    With ``world_size > 1`` each global batch is dealt out to the processes
    (``rank``-th of every ``world_size`` indices), so that the processes together see
    exactly the batches one process would.  ``generator=None`` keeps the order.
    The permutation is drawn on the CPU (the same on every device) and moved to
    ``device`` once per epoch, not once per batch.

    >>> g = torch.Generator().manual_seed(0)
    >>> [b.tolist() for b in batch_indices(5, 2, None)]
    [[0, 1], [2, 3], [4]]
    >>> [b.tolist() for b in batch_indices(4, 4, None, rank=1, world_size=2)]
    [[1, 3]]
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    if device is not None:
        order = order.to(device)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        if world_size > 1:
            idx = idx[rank::world_size]
        yield idx


#: Most images :func:`fake_cifar10` makes in one call (CIFAR-10 has 60,000); the
#: generator needs about 25 KB per image, so this bounds it near 5 GB.
MAX_FAKE_IMAGES = 200_000


def _check_fake_size(n: object, name: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"expected an integer {name}, got {n!r}")
    if not 1 <= n <= MAX_FAKE_IMAGES:
        raise ValueError(
            f"expected 1 <= {name} <= {MAX_FAKE_IMAGES:,} fake images (CIFAR-10 has 60,000), "
            f"got {n:,}"
        )


def _check_count(n: object, name: str, minimum: int) -> None:
    if n is None:
        return
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"expected an integer {name}, got {n!r}")
    if n < minimum:
        raise ValueError(f"expected {name} >= {minimum}, got {n}")


def fake_cifar10(n: int, seed: int = 0, channels: int = 3, noise: int = 40) -> ImageTensors:
    """A seeded synthetic CIFAR-10 look-alike (for smoke runs and tests).

    Each class has its own mean colour, plus uniform noise in ``[-noise, noise]``, so a
    model can learn it (with ``noise`` below about 10 the classes are separable).

    >>> a, b = fake_cifar10(4, seed=1), fake_cifar10(4, seed=1)
    >>> a.images.equal(b.images), a.labels.tolist() == b.labels.tolist()
    (True, True)
    """
    _check_fake_size(n, "n")
    if channels not in (1, 3):
        raise ValueError(f"expected 1 or 3 channels, got {channels!r}")
    if isinstance(noise, bool) or not isinstance(noise, int) or not 0 <= noise <= 255:
        raise ValueError(f"expected an integer noise in 0..255, got {noise!r}")
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    centres = torch.linspace(40, 215, 10)
    base = centres[labels].view(n, 1, 1, 1).expand(n, channels, 32, 32)
    shift = torch.arange(channels).view(1, channels, 1, 1) * (labels.view(n, 1, 1, 1) % 3 - 1) * 15
    jitter = torch.randint(-noise, noise + 1, (n, channels, 32, 32), generator=g)
    images = (base + shift + jitter).clamp(0, 255).to(torch.uint8)
    name = f"synthetic CIFAR-10 look-alike (seed {seed}" + (
        f", noise {noise})" if noise != 40 else ")"
    )
    return ImageTensors(images, labels, CIFAR10_CLASSES, name)


def _limit(split: CifarSplit, n: int | None, seed: int) -> CifarSplit:
    if n is None or n >= len(split):
        return split
    if n <= 0:
        raise ValueError(f"the number of examples must be positive, got {n}")
    idx = np.sort(np.random.default_rng(seed).permutation(len(split))[:n])
    return split.subset(idx)


def load_data(
    source: str = "cifar10",
    *,
    max_train: int | None = None,
    max_test: int | None = None,
    val_size: int = 0,
    seed: int = 0,
    grayscale: bool = False,
    root: str | None = None,
    expected_sha256: str | None = SHARED_ARCHIVE_SHA256,
) -> tuple[ImageTensors, ImageTensors | None, ImageTensors]:
    """Training, validation (or ``None``) and test tensors.

    ``source`` is ``"cifar10"`` (through :func:`backprop_book.data.load_cifar10`,
    ``root`` or ``$BACKPROP_BOOK_CIFAR10``) or ``"fake"`` (:func:`fake_cifar10`).
    The validation set is ``val_size`` images split off the training images with
    ``seed`` (:func:`backprop_book.data.holdout_split`), then ``max_train`` and
    ``max_test`` keep seeded random subsets.  ``expected_sha256`` is passed to
    :func:`~backprop_book.data.load_cifar10` (another archive is used only when asked:
    its checksum, or ``None`` for any).

    Raises
    ------
    FileNotFoundError
        If CIFAR-10 is not found (the message says where it was looked for).
    ValueError
        If a size is out of range (checked before anything is loaded or allocated).
    """
    _check_count(max_train, "max_train", 1)
    _check_count(max_test, "max_test", 1)
    _check_count(val_size, "val_size", 0)
    if source == "fake":
        n_train = max_train or 2000
        # checked before anything is allocated: a huge val_size is refused, not attempted
        _check_fake_size(n_train + val_size, "max_train + val_size")
        train = fake_cifar10(n_train + val_size, seed=seed)
        test = fake_cifar10(max_test or 500, seed=seed + 1)
        if grayscale:
            train = ImageTensors(
                to_grayscale(train.images), train.labels, train.classes, train.source
            )
            test = ImageTensors(to_grayscale(test.images), test.labels, test.classes, test.source)
        if val_size:
            val = ImageTensors(
                train.images[n_train:], train.labels[n_train:], train.classes, train.source
            )
            train = ImageTensors(
                train.images[:n_train], train.labels[:n_train], train.classes, train.source
            )
            return train, val, test
        return train, None, test
    if source not in DATA_SOURCES:
        names = " or ".join(map(repr, DATA_SOURCES))
        raise ValueError(f"data source must be {names}, got {source!r}")
    tr = load_cifar10("train", root=root, expected_sha256=expected_sha256)
    te = load_cifar10("test", root=root, expected_sha256=expected_sha256)
    va = None
    if val_size:
        tr, va = holdout_split(tr, val_size, seed)
    tr = _limit(tr, max_train, seed)
    te = _limit(te, max_test, seed + 1)
    val_t = ImageTensors.from_split(va, grayscale) if va is not None else None
    return ImageTensors.from_split(tr, grayscale), val_t, ImageTensors.from_split(te, grayscale)


# ----------------------------------------------------------------------------- image folders


def extract_image_folder(
    dest: str | Path,
    split: str = "train",
    per_class: int | None = None,
    archive: str | Path | None = None,
) -> Path:
    """Unpack (part of) the shared CIFAR-10 JPEG archive as ``dest/<split>/<class>/*.jpg``.

    ``per_class`` keeps the first files of each class folder.  Returns
    ``dest/<split>``, ready for :class:`torchvision.datasets.ImageFolder`.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if per_class is not None and (
        isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 1
    ):
        raise ValueError(f"per_class must be a positive integer or None, got {per_class!r}")
    src = (
        find_cifar10("image-folder", archive)
        if archive is not None
        else find_cifar10("image-folder")
    )
    out = Path(dest) / split
    if src.layout == "folder":
        base = src.path / split if (src.path / split).is_dir() else src.path
        for cdir in sorted(p for p in base.iterdir() if p.is_dir()):
            files = sorted(cdir.glob("*.jpg"))[:per_class]
            (out / cdir.name).mkdir(parents=True, exist_ok=True)
            for f in files:
                (out / cdir.name / f.name).write_bytes(f.read_bytes())
        return out
    counts: dict[str, int] = {}
    with read_archive(src.path) as tar:
        for m in tar:
            parts = Path(m.name).parts
            if not m.isfile() or len(parts) < 3 or parts[-3] != split:
                continue
            cls = parts[-2]
            if cls in ("", ".", "..") or parts[-1] in ("", ".", ".."):
                raise ValueError(
                    f"the archive {src.path} holds a member {m.name!r} that would be written "
                    f"outside {out}; refusing to extract it"
                )
            if per_class is not None and counts.get(cls, 0) >= per_class:
                continue
            counts[cls] = counts.get(cls, 0) + 1
            blob = tar.extractfile(m)
            if blob is None:
                continue
            target = out / cls / parts[-1]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob.read())
    if not counts:
        raise FileNotFoundError(f"no {split}/ images in {src.path}")
    return out


def d_transforms(
    grayscale: bool = True, normalize: bool = True, blur: bool = False, as_uint8: bool = False
) -> object:
    """Report D's torchvision preprocessing: Grayscale, [GaussianBlur], ToTensor, [Normalize].

    ``Normalize((0.5,), (0.5,))`` maps [0, 1] to [-1, 1], :math:`x = (u - 0.5) / 0.5`.
    With ``as_uint8`` the per-image steps stop at the pixels (``PILToTensor``, uint8),
    for the trainer, which scales and normalises whole batches itself
    (``normalize`` is then the trainer's ``normalization`` setting, not a step here).

    >>> d_transforms(blur=True)  # doctest: +ELLIPSIS
    Compose(
        Grayscale(num_output_channels=1)
        GaussianBlur(kernel_size=(3, 3), sigma=(0.7, 0.7))
        ToTensor()
        Normalize(mean=(0.5,), std=(0.5,))
    )
    >>> d_transforms(as_uint8=True)
    Compose(
        Grayscale(num_output_channels=1)
        PILToTensor()
    )
    """
    from torchvision import transforms as T

    steps: list[object] = []
    if grayscale:
        steps.append(T.Grayscale(num_output_channels=1))
    if blur:
        steps.append(T.GaussianBlur(3, sigma=0.7))
    if as_uint8:
        return T.Compose([*steps, T.PILToTensor()])
    steps.append(T.ToTensor())
    if normalize:
        steps.append(T.Normalize(*normalization_constants("tutorial", 1 if grayscale else 3)))
    return T.Compose(steps)


def image_folder_tensors(
    folder: str | Path, transform: object
) -> tuple[torch.Tensor, torch.Tensor]:
    """Read an image folder through ``transform`` (per image, once): stacked images and labels."""
    from PIL import UnidentifiedImageError
    from torchvision.datasets import ImageFolder

    try:
        ds = ImageFolder(str(folder), transform=transform)  # type: ignore[arg-type]
    except FileNotFoundError as exc:  # no class folder, or class folders without images
        raise ValueError(f"expected class folders with images in {folder}: {exc}") from exc
    xs, ys = [], []
    for (path, _), i in zip(ds.samples, range(len(ds)), strict=True):
        try:
            x, y = ds[i]
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise ValueError(
                f"cannot decode the image {path} ({type(exc).__name__}: {exc}); the file is "
                "damaged, truncated or not an image: replace it or remove it"
            ) from exc
        xs.append(x)
        ys.append(y)
    return torch.stack(xs), torch.tensor(ys, dtype=torch.int64)


def n_batches(n: int, batch_size: int) -> int:
    """Number of batches in an epoch of ``n`` examples (the last may be short).

    >>> n_batches(50000, 4)
    12500
    """
    for name, v, low in (("n", n, 0), ("batch_size", batch_size, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ValueError(f"n_batches: expected {name} to be an integer >= {low}, got {v!r}")
    return math.ceil(n / batch_size)
