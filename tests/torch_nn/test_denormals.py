"""Flushing denormals: reached in every thread, restored after, and changes no weight."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from backprop_book.torch_nn import denormals as Dn
from backprop_book.torch_nn.config import TrainConfig
from backprop_book.torch_nn.devices import cpu_update_kwargs
from backprop_book.torch_nn.trainer import Trainer

pytestmark = pytest.mark.part4
ROOT = Path(__file__).resolve().parents[2]
TINY = torch.finfo(torch.float32).tiny


@pytest.fixture(autouse=True)
def _keep_denormals_after():
    yield
    Dn.flush_denormals(False)


def test_flushing_sets_and_restores_the_mode():
    assert Dn.flush_denormals(False) and Dn.kept_fraction() == 1.0
    with Dn.flushing(True) as ok:
        assert ok and Dn.kept_fraction() == 0.0
        # an ordinary float op now makes zero where it made a denormal
        assert torch.tensor([1e-30]).mul(1e-10).item() == 0.0
    assert Dn.kept_fraction() == 1.0
    assert torch.tensor([1e-30]).mul(1e-10).item() != 0.0
    with pytest.raises(TypeError, match="on must be a bool"):
        Dn.flush_denormals(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive integer"):
        Dn.kept_fraction(0)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores for two threads")
def test_the_worker_threads_started_before_are_reached_too():
    """torch.set_flush_denormal alone sets only the calling thread: after a parallel
    operation has started the worker threads, half of a 2-thread multiply keeps its
    denormals. flush_denormals reaches the workers as well."""
    code = (
        "import torch\n"
        "from backprop_book.torch_nn.denormals import flush_denormals, kept_fraction\n"
        "torch.set_num_threads(2)\n"
        "kept_fraction()\n"  # starts the worker thread
        "torch.set_flush_denormal(True)\n"
        "alone = kept_fraction()\n"
        "print(alone, flush_denormals(True), kept_fraction())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120, check=True)  # fmt: skip
    alone, ok, after = out.stdout.split()
    assert 0.0 < float(alone) < 1.0, out.stdout  # the main thread only
    assert ok == "True" and float(after) == 0.0


def _adam_with_a_dead_weight(flush: bool, steps: int = 900) -> tuple[torch.Tensor, torch.Tensor]:
    """Adam (the trainer's fused CPU update) on two weights; the second gets a gradient
    in the first step only, as a weight behind a unit that then dies: its first moment
    decays by beta1 = 0.9 a step, through the denormal range (after about 700 steps)."""
    w = torch.nn.Parameter(torch.tensor([0.5, 0.5]))
    opt = torch.optim.Adam([w], lr=1e-3, **cpu_update_kwargs("adam"))
    with Dn.flushing(flush):
        for step in range(steps):
            w.grad = torch.tensor([0.3, 1e-3 if step == 0 else 0.0])
            opt.step()
        m = opt.state[w]["exp_avg"].clone()
    return w.detach().clone(), m


def test_flushing_zeroes_the_denormal_moments_and_changes_no_weight():
    w_kept, m_kept = _adam_with_a_dead_weight(flush=False)
    w_flushed, m_flushed = _adam_with_a_dead_weight(flush=True)
    assert 0 < abs(m_kept[1].item()) < TINY  # denormal without flushing
    assert m_flushed[1].item() == 0.0
    assert torch.equal(w_kept, w_flushed)  # bit for bit
    assert w_kept[1].item() != 0.5  # the first step did move it


def test_the_trainer_flushes_on_the_cpu_as_configured_and_restores_the_mode():
    Dn.flush_denormals(False)
    base = dict(model="mlp", model_args={"hidden_sizes": [8]}, data="fake", max_train=64,
                max_test=32, batch_size=16, epochs=2, device="cpu")  # fmt: skip
    runs = {}
    for on in (True, False):
        t = Trainer(TrainConfig(**base, flush_denormal=on))
        hist = t.fit()
        assert [h["denormals_flushed"] for h in hist] == [on, on]
        assert Dn.kept_fraction() == 1.0  # the process's mode is back as it was
        runs[on] = (hist[-1]["train_loss"], t.model.state_dict())
    assert runs[True][0] == runs[False][0]
    for k, v in runs[True][1].items():
        assert torch.equal(v, runs[False][1][k]), k
