"""Flush denormal floats to zero in every CPU thread that trains.

A float32 below about 1.2e-38 (``torch.finfo(torch.float32).tiny``) is *denormal*:
it keeps a few bits of precision instead of becoming zero, and x86 CPUs compute
with it through a slow microcode path, often ten to a hundred times slower than
with a normal number. Training makes such numbers in bulk. Adam's first moment of
a weight whose gradient has become zero (a dead ReLU unit feeding a large fully
connected layer) decays by ``beta1 = 0.9`` per step, so it falls from 1e-5 below
1e-38 within about 700 steps, and it never reaches zero: 0.9 times a denormal of
four units or fewer of the smallest step (1.4e-45) rounds back to itself. In E's
AlexNet after one epoch at batch 10, three quarters of Adam's first moments were
denormal, and the fused Adam update on them took most of each step.

The CPU's flush-to-zero and denormals-are-zero modes (``torch.set_flush_denormal``)
make such values zero. They change numbers only by amounts below about 1e-38: an Adam
moment of 1e-39 moves a weight by far less than the float32 spacing of any weight
it is added to.

The mode is a register of each thread, and ``torch.set_flush_denormal`` sets only
the calling one. A thread copies the mode of the thread that creates it, so a
process that sets it before its first parallel operation has it everywhere; later,
torch's OpenMP worker threads already exist and keep theirs. :func:`flush_denormals`
therefore also sets the mode inside one parallel region of torch's OpenMP runtime
(GNU libgomp's ``GOMP_parallel``, the runtime of torch's Linux wheels), so that every
worker sets its own, and then checks the result with a parallel multiply
(:func:`kept_fraction`). The trainer does this for each epoch it trains on the CPU
(:func:`flushing`, ``TrainConfig.flush_denormal``) and restores the mode after it.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
from collections.abc import Iterator
from pathlib import Path

import torch

__all__ = ["flush_denormals", "flushing", "kept_fraction"]

log = logging.getLogger(__name__)

#: ATen's grain of an element-wise operation (``at::internal::GRAIN_SIZE``): torch
#: hands each thread at least this many elements, so a probe of ``threads`` grains
#: or more gives every thread a share
_ATEN_GRAIN = 1 << 15


def _probe_size() -> int:
    """Elements of the default probe: two grains per thread of torch's current count."""
    return 2 * _ATEN_GRAIN * max(1, torch.get_num_threads())


def kept_fraction(n: int | None = None) -> float:
    """Fraction of a parallel multiply's elements that kept a denormal value.

    0.0 when every thread that took part flushes denormals, 1.0 when none does;
    in between when only some threads do (for instance the main thread alone).
    ``n`` elements are multiplied; the default, two of ATen's parallel grains per
    thread, is twice the size at which every one of torch's threads takes part,
    small enough that the probe costs about a millisecond (it runs a few times per
    epoch).

    >>> _ = torch.set_flush_denormal(False)
    >>> kept_fraction()
    1.0
    """
    if n is None:
        n = _probe_size()
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"kept_fraction: n must be a positive integer, got {n!r}")
    # the bit pattern 1 << 20 is the denormal 1.47e-39; an integer fill makes it
    # without float arithmetic, which flush-to-zero would already zero
    x = torch.full((n,), 1 << 20, dtype=torch.int32).view(torch.float32)
    return float(((x * 1.0) != 0).sum().item()) / n


@functools.cache
def _loaded_libgomp() -> Path | None:
    """The GNU OpenMP runtime this process has loaded (torch's own copy), if any."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for line in maps.splitlines():
        path = line.rpartition(" ")[2]
        if Path(path).name.startswith("libgomp"):
            return Path(path)
    return None


def _in_every_openmp_thread(on: bool) -> bool:
    """Set the mode inside one parallel region of the loaded libgomp; False without one."""
    lib = _loaded_libgomp()
    if lib is None:
        return False
    try:
        gomp = ctypes.CDLL(str(lib))
        region = gomp.GOMP_parallel
    except (OSError, AttributeError):
        return False
    callback_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p)

    def body(_data: object) -> None:
        torch.set_flush_denormal(on)

    callback = callback_type(body)
    region.argtypes = [callback_type, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
    region.restype = None
    region(callback, None, torch.get_num_threads(), 0)
    return True


def flush_denormals(on: bool = True, check: bool = True) -> bool:
    """Flush denormals to zero (``on``) or keep them, in this thread and torch's workers.

    Returns whether every thread of a parallel operation now does as asked,
    checked with :func:`kept_fraction`. False where the CPU has no such mode (then
    nothing changed) or where torch's worker threads could not be reached (a
    warning is logged: call this before the process's first torch operation).
    ``check=False`` sets the mode in every thread without checking it (for a
    benchmark that switches it often) and returns True.

    >>> flush_denormals(True), kept_fraction()
    (True, 0.0)
    >>> flush_denormals(False), kept_fraction()
    (True, 1.0)
    """
    for name, value in (("on", on), ("check", check)):
        if not isinstance(value, bool):
            raise TypeError(f"flush_denormals: {name} must be a bool, got {value!r}")
    if not torch.set_flush_denormal(on):
        log.warning("this CPU cannot flush denormal floats to zero; they are kept")
        return False
    if not check:
        _in_every_openmp_thread(on)
        return True
    want = 0.0 if on else 1.0
    if kept_fraction() == want:
        return True
    _in_every_openmp_thread(on)
    got = kept_fraction()
    if got != want:
        log.warning(
            "denormal floats: %s in only %.0f%% of a parallel operation (torch's worker "
            "threads were started before the mode was set and could not be reached); "
            "call backprop_book.torch_nn.denormals.flush_denormals() before any torch work",
            "flushed" if on else "kept", 100 * (1 - got if on else got),
        )  # fmt: skip
        return False
    return True


@contextlib.contextmanager
def flushing(on: bool = True) -> Iterator[bool]:
    """Flush (``on``) or keep denormals in every thread inside the block.

    Yields whether every thread does as asked (see :func:`flush_denormals`). At
    the end every thread gets back the mode the calling thread had before.

    >>> _ = flush_denormals(False)
    >>> with flushing(True) as ok:
    ...     ok, kept_fraction()
    (True, 0.0)
    >>> kept_fraction()
    1.0
    """
    before = kept_fraction(1) == 0.0  # one element: the calling thread's own mode
    ok = flush_denormals(on)
    try:
        yield ok
    finally:
        if before != on:
            flush_denormals(before)
