"""One SGD step of report B's best net (3072-80-10, batch 1,000): NumPy vs PyTorch on CPU,
and the book's solver step vs a bare NumPy step.

* ``numpy vs torch``: the same math (affine, ReLU, softmax cross-entropy, L2, the
  hand-written backward pass, in-place update) in NumPy (``TwoLayerNet.loss``) and in
  PyTorch tensors on the CPU (no autograd), float32 and float64, with torch at its
  default thread count and at one thread (on an oversubscribed machine, spinning
  worker threads can cost more than they bring). The ratio is NumPy / torch.
* ``solver vs bare``: :func:`backprop_book.numpy_nn.solver.train` for a few iterations
  against a bare loop doing only batch sampling, ``net.loss`` and ``p -= lr * g``.
  Target: the solver costs at most 1.1x the bare loop.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from backprop_book.numpy_nn.solver import train
from backprop_book.numpy_nn.two_layer_net import TwoLayerNet
from benchmarks.common import Comparison, compare

D, H, C, B = 3072, 80, 10, 1000
LR, REG = 1e-3, 0.29


def _torch_step(params: dict[str, Any], X: Any, y: Any, torch: Any) -> float:
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = X.shape[0]
    s1 = X @ W1 + b1
    h1 = torch.clamp_min(s1, 0.0)
    s2 = h1 @ W2 + b2
    z = s2 - s2.max(dim=1, keepdim=True).values
    ez = torch.exp(z)
    sum_ez = ez.sum(dim=1, keepdim=True)
    rows = torch.arange(N)
    loss = float((torch.log(sum_ez[:, 0]) - z[rows, y]).mean()) + REG * float(
        (W1 * W1).sum() + (W2 * W2).sum()
    )
    ds2 = ez / sum_ez
    ds2[rows, y] -= 1.0
    ds2 /= N
    dW2 = h1.T @ ds2 + (2 * REG) * W2
    db2 = ds2.sum(dim=0)
    ds1 = (ds2 @ W2.T) * (s1 > 0)
    dW1 = X.T @ ds1 + (2 * REG) * W1
    db1 = ds1.sum(dim=0)
    for k, g in (("W1", dW1), ("b1", db1), ("W2", dW2), ("b2", db2)):
        params[k].sub_(g, alpha=LR)
    return loss


def run(quick: bool) -> list[Comparison]:
    import torch

    blas_threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    rng = np.random.default_rng(0)
    repeats = 3 if quick else 10
    out: list[Comparison] = []
    for dtype in (np.float32, np.float64):
        X = rng.standard_normal((B, D)).astype(dtype)
        y = rng.integers(0, C, B)
        net = TwoLayerNet(D, H, C, std=1e-2, rng=0, dtype=dtype)
        tparams = {k: torch.from_numpy(v.copy()) for k, v in net.params.items()}
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

        def np_step(net: TwoLayerNet = net, X: np.ndarray = X, y: np.ndarray = y) -> float:
            loss, grads = net.loss(X, y, reg=REG)  # type: ignore[misc]
            for k, p in net.params.items():
                p -= LR * grads[k]
            return loss

        def torch_step(p: dict[str, Any] = tparams, X: Any = Xt, y: Any = yt) -> float:
            return _torch_step(p, X, y, torch)

        default_threads = torch.get_num_threads()
        for threads in sorted({default_threads, 1}, reverse=True):
            torch.set_num_threads(threads)
            try:
                out.append(
                    compare(
                        f"SGD step 3072-80-10, batch 1000, {np.dtype(dtype).name}, "
                        f"torch {threads} thread(s)",
                        ("torch CPU", torch_step),
                        ("NumPy", np_step),
                        repeats=repeats,
                        note=f"torch threads {threads}; OPENBLAS_NUM_THREADS={blas_threads} "
                        "for NumPy; ratio = NumPy / torch",
                    )
                )
            finally:
                torch.set_num_threads(default_threads)

    # the book's solver versus a bare loop, same data, same number of steps
    N, iters = 20_000, 5 if quick else 10
    Xtr = rng.standard_normal((N, D)).astype(np.float32)
    ytr = rng.integers(0, C, N)

    def bare() -> None:
        net = TwoLayerNet(D, H, C, std=1e-4, rng=0)
        gen = np.random.default_rng(0)
        for _ in range(iters):
            idx = gen.integers(0, N, size=B)
            _, grads = net.loss(Xtr[idx], ytr[idx], reg=REG)  # type: ignore[misc]
            for k, p in net.params.items():
                p -= LR * grads[k]

    def solver() -> None:
        net = TwoLayerNet(D, H, C, std=1e-4, rng=0)
        train(net, Xtr, ytr, learning_rate=LR, reg=REG, num_iters=iters, batch_size=B, rng=0)

    out.append(
        compare(
            f"{iters} SGD steps 3072-80-10, batch 1000 (float64 params, float32 data)",
            ("bare NumPy loop", bare),
            ("book solver.train", solver),
            repeats=3 if quick else 7,
            target=1.1,
            note=f"target: the solver's step costs at most 1.1x a bare step; "
            f"OPENBLAS_NUM_THREADS={blas_threads}",
        )
    )
    return out
