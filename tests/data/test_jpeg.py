"""Reading a JPEG copy's quality and re-encoding it (backprop_book.data.jpeg)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from backprop_book.data.jpeg import (
    CHROMA,
    LUMA,
    estimate_quality,
    jpeg_sampling,
    reencode,
    scaled_table,
)

pytestmark = [pytest.mark.core]


def _jpeg(quality: int, subsampling: int = 2, seed: int = 0) -> bytes:
    x = np.random.default_rng(seed).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(x).save(buf, "JPEG", quality=quality, subsampling=subsampling)
    return buf.getvalue()


@pytest.mark.parametrize("quality", [10, 49, 50, 75, 90, 95])
def test_quality_is_read_back_from_pillows_tables(quality: int) -> None:
    assert estimate_quality(_jpeg(quality)) == quality


def test_scaled_tables_follow_libjpeg() -> None:
    assert scaled_table(LUMA, 50) == list(LUMA)
    assert scaled_table(CHROMA, 25)[0] == 34  # scale 200: (17 * 200 + 50) // 100
    assert scaled_table(LUMA, 1)[0] == 255  # clipped
    with pytest.raises(ValueError, match="quality 1-100"):
        scaled_table(LUMA, 0)


def test_sampling_and_one_generation_costs_pixels() -> None:
    assert jpeg_sampling(_jpeg(75, subsampling=2)) == 2
    assert jpeg_sampling(_jpeg(75, subsampling=0)) == 0
    x = np.asarray(Image.open(io.BytesIO(_jpeg(75)))).copy()[None]
    once = reencode(x, 75)
    # a decoded JPEG, encoded again at its own quality, comes back changed but close
    diff = np.abs(once.astype(int) - x)
    assert 0 < diff.mean() < 8, diff.mean()
    assert once.shape == x.shape and once.dtype == np.uint8
    with pytest.raises(TypeError, match="uint8 images"):
        reencode(x.astype(np.float32), 75)
    with pytest.raises(ValueError, match="JPEG image"):
        estimate_quality(Image.new("RGB", (4, 4)))
