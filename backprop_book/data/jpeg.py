"""What the JPEG copy of CIFAR-10 costs: its quality, read from its quantization tables.

The image-folder copy stores every image as a JPEG file.  A JPEG file carries the
quantization tables its encoder used; an encoder built on the Independent JPEG
Group's library (libjpeg, and Pillow through it) scales the standard tables of the
JPEG specification (Annex K) by the quality :math:`q`:

.. math::

    Q_q[i] = \\operatorname{clip}\\Bigl(\\Bigl\\lfloor \\frac{S_q\\,T[i] + 50}{100}
    \\Bigr\\rfloor, 1, 255\\Bigr), \\qquad
    S_q = \\begin{cases} 5000 / q & q < 50 \\\\ 200 - 2q & q \\ge 50 \\end{cases}

:func:`estimate_quality` finds the :math:`q` whose scaled tables match the file's
(order-free: the tables are compared as sorted lists, so the zig-zag or natural
order of a reader does not matter).  :func:`reencode` runs images through one more
generation at a given quality, which is how
:func:`backprop_book.torch_nn.jpeg_shift.generation_cost` measures what one
generation of lossy re-encoding costs in test accuracy.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, JpegImagePlugin

__all__ = ["CHROMA", "LUMA", "estimate_quality", "jpeg_sampling", "reencode", "scaled_table"]

#: Annex K.1 luminance table of the JPEG specification, in natural (row) order.
LUMA: tuple[int, ...] = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip

#: Annex K.2 chrominance table, in natural order.
CHROMA: tuple[int, ...] = (
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
    *([99] * 32),
)  # fmt: skip


def scaled_table(table: Sequence[int], quality: int) -> list[int]:
    """libjpeg's table for ``quality`` (1-100), scaled from a standard ``table``.

    >>> scaled_table(LUMA, 50)[:4], scaled_table(LUMA, 100)[:4]
    ([16, 11, 10, 16], [1, 1, 1, 1])
    >>> scaled_table(LUMA, 75)[:4]
    [8, 6, 5, 8]
    """
    if not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ValueError(f"expected a JPEG quality 1-100, got {quality!r}")
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return [min(max((t * scale + 50) // 100, 1), 255) for t in table]


def estimate_quality(image: Image.Image | bytes) -> int:
    """The libjpeg quality whose tables are nearest to a JPEG image's own.

    The distance is the sum of absolute differences of the sorted luminance (and,
    for a colour image, chrominance) tables; an image written by libjpeg at quality
    :math:`q` is at distance 0 from :math:`q`.

    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (8, 8), (200, 30, 90)).save(buf, "JPEG", quality=83)
    >>> estimate_quality(buf.getvalue())
    83
    >>> estimate_quality(Image.new("RGB", (8, 8)))
    Traceback (most recent call last):
    ...
    ValueError: expected a JPEG image (with quantization tables), got a RGB image without them
    """
    im = Image.open(io.BytesIO(image)) if isinstance(image, bytes | bytearray) else image
    tables = getattr(im, "quantization", None)
    if not tables:
        raise ValueError(
            f"expected a JPEG image (with quantization tables), got a {im.mode} image without them"
        )
    own = [sorted(int(v) for v in tables[k]) for k in sorted(tables)][:2]
    standard = (LUMA, CHROMA)[: len(own)]

    def distance(q: int) -> int:
        return sum(
            sum(abs(a - b) for a, b in zip(sorted(scaled_table(t, q)), o, strict=True))
            for t, o in zip(standard, own, strict=True)
        )

    return min(range(1, 101), key=distance)


def jpeg_sampling(image: Image.Image | bytes) -> int:
    """Pillow's chroma subsampling code of a JPEG image (0: 4:4:4, 1: 4:2:2, 2: 4:2:0).

    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (8, 8)).save(buf, "JPEG", subsampling=0)
    >>> jpeg_sampling(buf.getvalue())
    0
    """
    im = Image.open(io.BytesIO(image)) if isinstance(image, bytes | bytearray) else image
    code = JpegImagePlugin.get_sampling(im)
    if code < 0:
        raise ValueError(f"expected a colour JPEG image, got a {im.mode} image")
    return int(code)


def reencode(images: np.ndarray, quality: int, subsampling: int = 2) -> np.ndarray:
    """Encode each image as a JPEG at ``quality`` and decode it again (one more generation).

    ``images`` is ``uint8`` of shape ``(N, H, W, 3)``; the result has the same shape.

    >>> x = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    >>> y = reencode(x, 90)
    >>> y.shape, y.dtype, bool((y != x).any())
    ((2, 8, 8, 3), dtype('uint8'), True)
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4:
        raise TypeError(
            "expected uint8 images of shape (N, H, W, 3), got "
            f"{type(images).__name__} {getattr(images, 'dtype', '')} "
            f"{getattr(images, 'shape', '')}"
        )
    if images.shape[-1] != 3:
        raise ValueError(f"expected 3 colour channels last, got shape {images.shape}")
    scaled_table(LUMA, quality)  # validates quality
    out = np.empty_like(images)
    for i, img in enumerate(images):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=quality, subsampling=subsampling)
        buf.seek(0)
        out[i] = np.asarray(Image.open(buf).convert("RGB"))
    return out
