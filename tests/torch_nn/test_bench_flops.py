"""The FLOP-rate benchmark counts the right FLOPs and reports what it measured."""

from __future__ import annotations

import pytest
import torch

from backprop_book.torch_nn.models import build_model
from benchmarks import bench_flops as F
from benchmarks.common import Comparison

pytestmark = pytest.mark.part4


def test_tutorial_cnn_training_flops_match_the_layer_arithmetic():
    """Multiply-adds per image: conv1 28*28*6*3*25, conv2 10*10*16*6*25, fc 400*120+120*84+84*10.

    Forward 2 FLOPs per multiply-add; backward the weight gradient of every layer and
    the input gradient of every layer but the first (the images need none).
    """
    conv1, conv2, fc = 28 * 28 * 6 * 3 * 25, 10 * 10 * 16 * 6 * 25, 400 * 120 + 120 * 84 + 84 * 10
    forward = conv1 + conv2 + fc
    backward = conv1 + 2 * conv2 + 2 * fc
    torch.manual_seed(0)
    assert F.training_flops(build_model("tutorial_cnn"), 3) == 3 * 2 * (forward + backward)


def test_rate_rows_relate_the_trainer_to_the_matmul():
    rows = F.rate_rows(True, models=("mlp",), images=200)
    assert [r.case["threads"] for r in rows] == list(F.thread_counts())
    for r in rows:
        c = r.case
        assert (c["kind"], c["model"], c["batch_size"], c["images"]) == ("rate", "mlp", 100, 200)
        assert c["flops_per_image"] == F.training_flops(
            build_model("mlp", hidden_sizes=[1024, 1024]), 1
        )
        # the baseline is the matmul's time for the trainer's FLOPs: speedup = share
        assert r.baseline_s == pytest.approx(c["flops_per_image"] * 200 / c["matmul_flops_per_s"])
        assert r.speedup == pytest.approx(c["share_of_matmul"])
        assert r.target is None  # the 70% target is AlexNet's


def test_epoch_rows_time_float32_and_autocast_epochs():
    (row,) = F.epoch_rows("cpu", True, models=("mlp",), images=200)
    assert row.case["amp"] is False  # autocast is CUDA-only in the trainer
    assert row.case["epoch_s_float32"] == row.baseline_s > 0
    assert row.case["epoch_s_amp"] == row.candidate_s > 0
    assert "mlp epoch, 200 images, batch 100, cpu" in row.name


def test_summary_reads_the_shares_and_option_speedups_from_the_fields():
    def row(kind, threads, base, cand, **case):
        return Comparison("n", "b", "c", base, cand, 1, case={"kind": kind, "threads": threads,
                                                               "model": "alexnet", **case})  # fmt: skip

    rows = [row("rate", 1, 1.0, 2.0, share_of_matmul=0.5),
            row("rate", 2, 1.0, 4.0, share_of_matmul=0.25),
            row("option", 1, 3.0, 2.0, option="channels_last"),
            Comparison("n", "b", "c", 1.0, 1.0, 1, case={"kind": "rate", "threads": 1,
                                                         "model": "mlp", "share_of_matmul": 0.9})]  # fmt: skip
    s = F.summary(rows)
    assert s["alexnet_share_of_matmul"] == {"1": 0.5, "2": 0.25}  # the MLP's row is not AlexNet's
    assert s["option_speedups"] == {"channels_last": {"1": 1.5}}
    assert s["target_share"] == F.TARGET_SHARE == 0.7


def test_the_update_benchmark_holds_denormal_moments_until_flushed():
    from backprop_book.torch_nn.denormals import flush_denormals

    def denormal_share(opt):
        """Read from the bits (a flushing thread would compare denormals as zero)."""
        bits = [s["exp_avg"].view(torch.int32) for s in opt.state.values()]
        n = sum(b.numel() for b in bits)
        return sum(int((((b & 0x7F800000) == 0) & ((b & 0x7FFFFF) != 0)).sum()) for b in bits) / n

    try:
        kept, opt_kept = F._adam_update(False)
        flushed, opt_flushed = F._adam_update(True)
        assert denormal_share(opt_kept) == pytest.approx(F.DEAD_SHARE, abs=0.01)
        kept()
        flushed()
        # kept: a zero gradient shrinks each moment by beta1, still denormal
        assert denormal_share(opt_kept) == pytest.approx(F.DEAD_SHARE, abs=0.01)
        assert denormal_share(opt_flushed) == 0.0
    finally:
        flush_denormals(False)
    (row,) = [r for r in F.denormal_rows(True) if r.case["threads"] == 1][:1]
    assert (row.case["kind"], row.case["option"]) == ("option", "denormals kept")
    assert row.baseline_s > 0 and row.candidate_s > 0
