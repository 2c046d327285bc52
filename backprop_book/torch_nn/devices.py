"""The device a Part IV run trains on, and the process group of a ``torchrun`` launch.

:func:`resolve_device` chooses once (``auto``: CUDA, then MPS, then CPU) and refuses
a device this machine does not have; :func:`setup_device` also joins torchrun's
process group, so that each process trains on the GPU of its ``LOCAL_RANK``;
:func:`cpu_update_kwargs` says how the optimizer updates the weights on the CPU.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

from backprop_book.torch_nn.config import OPTIMIZERS

__all__ = ["FUSED_CPU_OPTIMIZERS", "cpu_update_kwargs", "resolve_device", "setup_device"]


def resolve_device(name: str = "auto") -> torch.device:
    """The device to train on: ``auto`` picks CUDA, then MPS, then CPU.

    Raises
    ------
    ValueError
        If a device is asked for that this machine does not have.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    dev = torch.device(name)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} was asked for, but torch sees no CUDA GPU here")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s)")
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"device {name!r} was asked for, but MPS is not available here")
    return dev


def setup_device(name: str) -> tuple[torch.device, int, int]:
    """``(device, rank, world_size)``: join torchrun's process group if started by it.

    Under torchrun each process trains on the GPU of its ``LOCAL_RANK``.

    >>> setup_device("cpu")
    (device(type='cpu'), 0, 1)
    """
    device = resolve_device(name)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return device, 0, 1
    if not dist.is_initialized():
        use_nccl = torch.cuda.is_available() and name != "cpu"
        dist.init_process_group(backend="nccl" if use_nccl else "gloo")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    return device, dist.get_rank(), dist.get_world_size()


#: The optimizers with a fused CPU kernel in PyTorch (one pass over each weight).
FUSED_CPU_OPTIMIZERS = ("sgd", "adam")


def cpu_update_kwargs(optimizer: str) -> dict[str, bool]:
    """How the trainer asks ``torch.optim`` to update the weights on the CPU.

    PyTorch picks its faster updates by itself only on CUDA. On the CPU, SGD and Adam
    get the fused kernel, which reads and writes each weight and its state once per
    step, where the multi-tensor update makes several passes and allocates fresh
    temporaries as large as the weights (``benchmarks/bench_flops.py`` times the two
    on AlexNet). RMSprop and Adadelta have no fused kernel; they get the multi-tensor
    ("foreach") update, one call per parameter list instead of one per tensor.

    >>> cpu_update_kwargs("adam"), cpu_update_kwargs("rmsprop")
    ({'fused': True}, {'foreach': True})
    >>> cpu_update_kwargs("lbfgs")
    Traceback (most recent call last):
    ValueError: expected an optimizer in ('sgd', 'adam', 'rmsprop', 'adadelta'), got 'lbfgs'
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"expected an optimizer in {OPTIMIZERS}, got {optimizer!r}")
    return {"fused": True} if optimizer in FUSED_CPU_OPTIMIZERS else {"foreach": True}
