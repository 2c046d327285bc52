"""Optimizers and an epoch learning-rate schedule.

They update the values of :class:`~backprop_book.autograd.nn.Parameter` nodes in place.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from backprop_book.autograd.core import TensorNode

__all__ = ["SGD", "Adam", "EpochSchedule", "Optimizer"]


def _hyper(name: str, value: Any, low: float, high: float, *, closed_low: bool = True) -> float:
    """``value`` as a float in ``[low, high)`` (``(low, high)`` if not ``closed_low``), or raise."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"expected {name} to be a number, got {value!r}")
    v = float(value)
    inside = (v >= low if closed_low else v > low) and v < high
    if not (math.isfinite(v) and inside):
        left = "[" if closed_low else "("
        raise ValueError(f"expected {name} in {left}{low:g}, {high:g}), got {value!r}")
    return v


class Optimizer:
    """Base class: holds the parameters and a learning rate ``lr``.

    >>> Optimizer([TensorNode(np.zeros(1))], lr=float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: expected lr in (0, inf), got nan
    """

    def __init__(self, params: Sequence[TensorNode], lr: float) -> None:
        if isinstance(params, TensorNode) or callable(getattr(params, "parameters", None)):
            raise TypeError(
                f"expected a list of parameters, got {type(params).__name__}; "
                "pass model.parameters()"
            )
        if not hasattr(params, "__iter__"):
            raise TypeError(
                f"expected a list of parameters (model.parameters()), got {type(params).__name__}"
            )
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, TensorNode):
                raise TypeError(
                    f"expected parameters to be TensorNode objects, got {type(p).__name__} "
                    f"at position {i}"
                )
        self.lr = _hyper("lr", lr, 0.0, math.inf, closed_low=False)

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
        self.momentum = _hyper("momentum", momentum, 0.0, 1.0)
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
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise TypeError(f"expected betas to be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = _hyper("beta1", betas[0], 0.0, 1.0)
        self.beta2 = _hyper("beta2", betas[1], 0.0, 1.0)
        self.eps = _hyper("eps", eps, 0.0, math.inf)
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
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(
                f"expected the schedule to give a positive finite learning rate, got {lr} at "
                f"epoch {epoch}"
            )
        self.optimizer.lr = lr
        return lr
