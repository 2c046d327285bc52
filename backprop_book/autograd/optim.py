"""Optimizers and an epoch learning-rate schedule.

They update the values of :class:`~backprop_book.autograd.nn.Parameter` nodes in place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from backprop_book.autograd.core import TensorNode

__all__ = ["SGD", "Adam", "EpochSchedule", "Optimizer"]


class Optimizer:
    """Base class: holds the parameters and a learning rate ``lr``."""

    def __init__(self, params: Sequence[TensorNode], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}")
        self.lr = float(lr)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update the parameters from their gradients."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum, as torch's ``SGD``.

    :math:`v \\leftarrow \\mu v + g`, :math:`\\theta \\leftarrow \\theta - \\eta v`
    (:math:`\\mu = 0`: plain :math:`\\theta \\leftarrow \\theta - \\eta g`).

    >>> p = TensorNode(np.array([1.0])); (p * p).sum().backward()
    >>> opt = SGD([p], lr=0.1, momentum=0.9); opt.step(); p.value
    array([0.8])
    """

    def __init__(self, params: Sequence[TensorNode], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must lie in [0, 1), got {momentum}")
        self.momentum = float(momentum)
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        """:math:`v \\leftarrow \\mu v + g;\\ \\theta \\leftarrow \\theta - \\eta v`."""
        for i, p in enumerate(self.params):
            g = p._grad
            if g is None:
                continue
            if self.momentum:
                v = self.velocity[i]
                if v is None:
                    v = self.velocity[i] = np.array(g, dtype=p.value.dtype, order="C")
                else:
                    v *= self.momentum
                    v += g
                g = v
            p.value -= (self.lr * g).astype(p.value.dtype, copy=False)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction, as torch's ``Adam``.

    :math:`m \\leftarrow \\beta_1 m + (1-\\beta_1) g`,
    :math:`v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2`,
    :math:`\\theta \\leftarrow \\theta - \\eta\\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)`.

    >>> p = TensorNode(np.array([1.0])); (p * p).sum().backward()
    >>> opt = Adam([p], lr=0.1); opt.step(); p.value
    array([0.9])
    """

    def __init__(
        self,
        params: Sequence[TensorNode],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0
        self.m = [np.zeros_like(p.value) for p in self.params]
        self.v = [np.zeros_like(p.value) for p in self.params]

    def step(self) -> None:
        """One Adam update with bias-corrected moments."""
        self.t += 1
        c1 = 1 - self.beta1**self.t
        c2 = 1 - self.beta2**self.t
        for i, p in enumerate(self.params):
            g = p._grad
            if g is None:
                continue
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
            update = self.lr * (self.m[i] / c1) / (np.sqrt(self.v[i] / c2) + self.eps)
            p.value -= update.astype(p.value.dtype, copy=False)


class EpochSchedule:
    """Set ``optimizer.lr = lr_at(epoch)`` at the start of each epoch.

    ``EpochSchedule.geometric(opt, gamma)`` gives :math:`\\eta_e = \\eta_0 \\gamma^e`,
    the kind of per-epoch learning-rate change report C called "momentum".

    >>> p = TensorNode(np.zeros(1)); opt = SGD([p], lr=0.1)
    >>> sched = EpochSchedule.geometric(opt, 0.5); _ = sched.set_epoch(2); opt.lr
    0.025
    """

    def __init__(self, optimizer: Optimizer, lr_at: Callable[[int], float]) -> None:
        self.optimizer = optimizer
        self.lr_at = lr_at

    @classmethod
    def geometric(cls, optimizer: Optimizer, gamma: float) -> EpochSchedule:
        """:math:`\\eta_e = \\eta_0 \\gamma^e`, :math:`\\eta_0` the optimizer's current ``lr``."""
        lr0 = optimizer.lr
        return cls(optimizer, lambda e: lr0 * gamma**e)

    def set_epoch(self, epoch: int) -> float:
        """Apply the learning rate of ``epoch`` (0-based) and return it."""
        lr = float(self.lr_at(epoch))
        if lr <= 0:
            raise ValueError(f"schedule gave a non-positive learning rate {lr} at epoch {epoch}")
        self.optimizer.lr = lr
        return lr
