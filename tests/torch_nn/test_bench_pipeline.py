"""The pipeline benchmark measures what it says: same model, same math, every contender."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from backprop_book.torch_nn.data import normalize
from benchmarks import bench_torch_nn as B

pytestmark = pytest.mark.part4


def test_tutorial_dataset_gives_the_same_inputs_as_our_normalisation():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    ds = B._TutorialDataset(images, np.arange(6) % 10)
    theirs = torch.stack([ds[i][0] for i in range(6)])
    ours = normalize(torch.from_numpy(images).permute(0, 3, 1, 2), *B.TUTORIAL_NORM)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-6)
    assert [ds[i][1] for i in range(6)] == [0, 1, 2, 3, 4, 5]


@pytest.mark.skipif(
    not os.environ.get("BACKPROP_BOOK_CIFAR10"), reason="needs the shared CIFAR-10 archive"
)
def test_tiny_run_reports_every_contender_and_the_ceiling():
    rows = B.run(True, sizes=((8, 40, 3.5),), repeats=1)
    assert [r.baseline for r in rows] == [
        "tutorial, workers=2", "tutorial, workers=0", "tutorial on JPEG folder, workers=2",
        "bare step",
    ]  # fmt: skip
    assert all(r.candidate == "ours" and r.candidate_s > 0 and r.baseline_s > 0 for r in rows)
    assert [r.target for r in rows] == [pytest.approx(1 / 3.5)] * 3 + [None]
    ceil = B.ceilings(rows)
    assert len(ceil) == 3
    bare = rows[3].baseline_s
    for c, r in zip(ceil, rows[:3], strict=True):
        assert c["ceiling"] == pytest.approx(r.baseline_s / bare)
        assert c["speedup"] == pytest.approx(r.speedup)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.skipif(
    not os.environ.get("BACKPROP_BOOK_CIFAR10"), reason="needs the shared CIFAR-10 archive"
)
def test_tiny_run_on_cuda():
    rows = B.run(True, device="cuda", sizes=((8, 40, 3.5),), repeats=1)
    assert len(rows) == 4 and all(r.candidate_s > 0 for r in rows)
    assert "cuda" in rows[0].name
