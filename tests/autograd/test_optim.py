"""SGD with momentum, Adam and the epoch schedule against torch.optim."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backprop_book.autograd import TensorNode
from backprop_book.autograd.optim import SGD, Adam, EpochSchedule

pytestmark = pytest.mark.part3


def _run(make_ours, make_theirs, steps: int = 5) -> None:
    w0 = np.array([1.0, -2.0, 0.5])
    p = TensorNode(w0.copy())
    t = torch.tensor(w0.copy(), requires_grad=True)
    ours, theirs = make_ours([p]), make_theirs([t])
    for _ in range(steps):
        ours.zero_grad()
        theirs.zero_grad()
        ((p * p * p).sum() + (p * 3.0).sum()).backward()
        ((t * t * t).sum() + (t * 3.0).sum()).backward()
        ours.step()
        theirs.step()
    np.testing.assert_allclose(p.value, t.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_torch(momentum: float) -> None:
    _run(
        lambda ps: SGD(ps, lr=0.01, momentum=momentum),
        lambda ts: torch.optim.SGD(ts, lr=0.01, momentum=momentum),
    )


def test_adam_matches_torch() -> None:
    _run(lambda ps: Adam(ps, lr=0.05), lambda ts: torch.optim.Adam(ts, lr=0.05), steps=8)


def test_epoch_schedule_and_errors() -> None:
    opt = SGD([TensorNode(np.zeros(1))], lr=0.1)
    sched = EpochSchedule.geometric(opt, 0.9)
    assert [round(sched.set_epoch(e), 6) for e in range(3)] == [0.1, 0.09, 0.081]
    with pytest.raises(ValueError, match=r"expected lr in \(0, inf\), got 0"):
        SGD([TensorNode(np.zeros(1))], lr=0)
    with pytest.raises(ValueError, match=r"expected momentum in \[0, 1\), got 1.5"):
        SGD([TensorNode(np.zeros(1))], lr=0.1, momentum=1.5)
