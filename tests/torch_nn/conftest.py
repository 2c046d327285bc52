"""Part IV tests run torch on one thread: on a shared 2-core machine, two OpenMP
threads that spin-wait for each other are 10-20x slower than one."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
