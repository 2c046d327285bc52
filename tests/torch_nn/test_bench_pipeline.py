"""The pipeline benchmark measures what it says: same model, same math, every contender."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from backprop_book.torch_nn import threads as T
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
def test_tiny_run_reports_every_contender_and_the_ceiling(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_BOOK_CACHE", str(tmp_path))  # the thread choice's cache
    before = torch.get_num_threads()
    rows = B.run(True, sizes=((8, 40, 4.0, 3.5),), repeats=1)
    assert torch.get_num_threads() == before  # the benchmark leaves threads as it found them
    assert [r.baseline for r in rows] == [B.AS_WRITTEN, *B.ONE_THREAD, "bare step"]
    assert all(r.candidate == "ours" and r.candidate_s > 0 and r.baseline_s > 0 for r in rows)
    assert [r.target for r in rows] == [pytest.approx(1 / 4.0)] + [pytest.approx(1 / 3.5)] * 3 + [
        1.05
    ]
    # the case is stored as fields, not only in the name
    assert all(r.case["batch_size"] == 8 and r.case["images"] == 40 for r in rows)
    assert [r.case["threads_baseline"] for r in rows[:4]] == [before, 1, 1, 1]
    assert [r.case["workers"] for r in rows[:4]] == [2, 2, 0, 2]
    assert [r.case["as_written"] for r in rows] == [True, False, False, False, False]
    chosen = rows[0].case["threads_ours"]
    assert chosen in T.candidates() and rows[4].case["threads_baseline"] == chosen
    assert (tmp_path / T.CACHE_FILE).is_file()  # the trainer measured its choice
    ceil = B.ceilings(rows)
    assert len(ceil) == 4
    bare = rows[4].baseline_s
    for c, r in zip(ceil, rows[:4], strict=True):
        assert c["ceiling"] == pytest.approx(r.baseline_s / bare)
        assert c["speedup"] == pytest.approx(r.speedup)
        assert (c["batch_size"], c["baseline"]) == (8, r.baseline)


def test_ceilings_pair_rows_by_the_batch_size_field_not_the_name():
    from benchmarks.common import Comparison

    def row(base, b, s):
        return Comparison("same name", base, "ours", s, 1.0, 1, None,
                          case={"batch_size": b, "device": "cpu"})  # fmt: skip

    rows = [row(B.AS_WRITTEN, 4, 8.0), row(B.AS_WRITTEN, 64, 6.0),
            row("bare step", 4, 2.0), row("bare step", 64, 3.0)]  # fmt: skip
    assert [c["ceiling"] for c in B.ceilings(rows)] == [4.0, 2.0]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.skipif(
    not os.environ.get("BACKPROP_BOOK_CIFAR10"), reason="needs the shared CIFAR-10 archive"
)
def test_tiny_run_on_cuda():
    rows = B.run(True, device="cuda", sizes=((8, 40, 4.0, 3.5),), repeats=1)
    assert len(rows) == 5 and all(r.candidate_s > 0 for r in rows)
    assert "cuda" in rows[0].name
