"""Mini-batch stochastic gradient descent for the NumPy networks.

One step: draw a mini-batch, compute ``loss, grads = model.loss(X_batch, y_batch, reg)``,
and update every parameter in place,

.. math::

    v \\leftarrow \\mu v - \\eta_t \\nabla_\\theta J,\\qquad \\theta \\leftarrow \\theta + v

(plain SGD :math:`\\theta \\leftarrow \\theta - \\eta_t \\nabla_\\theta J` when the momentum
:math:`\\mu` is 0). After every epoch (``max(N // batch_size, 1)`` iterations) the learning
rate is multiplied by ``learning_rate_decay``, the training accuracy of the current
batch and the validation accuracy are recorded, and, with ``patience`` set, training
stops once the validation accuracy has not improved for ``patience`` epochs (the best
parameters are restored).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np
from tqdm import tqdm

__all__ = ["History", "Trainable", "train"]


class Trainable(Protocol):
    """What :func:`train` needs from a model: ``params``, ``loss`` and ``predict``.

    >>> from backprop_book.numpy_nn import TwoLayerNet
    >>> isinstance(TwoLayerNet(2, 2, 2).params, dict)
    True
    """

    params: dict[str, np.ndarray]

    def loss(self, X: np.ndarray, y: np.ndarray | None = None, reg: float = 0.0) -> Any: ...

    def predict(self, X: np.ndarray) -> np.ndarray: ...


@dataclass
class History:
    """What happened during :func:`train`: per-iteration losses, per-epoch accuracies.

    >>> h = History(loss=[2.3, 2.1], iterations=2)
    >>> h.as_dict()["loss"], h.best_val_acc
    ([2.3, 2.1], None)
    """

    #: loss of every iteration
    loss: list[float] = field(default_factory=list)
    #: per epoch: accuracy on that epoch's last mini-batch (the exercise's ``train_acc_history``)
    train_acc: list[float] = field(default_factory=list)
    #: per epoch: accuracy on the validation set (empty without one)
    val_acc: list[float] = field(default_factory=list)
    #: per epoch: the iteration count at which it ended
    epoch_end: list[int] = field(default_factory=list)
    #: per epoch: the learning rate used during it
    learning_rate: list[float] = field(default_factory=list)
    best_val_acc: float | None = None
    #: epoch (1-based) of the best validation accuracy
    best_epoch: int | None = None
    stopped_early: bool = False
    iterations: int = 0
    wall_time_s: float = 0.0

    def as_dict(self, loss_every: int = 1) -> dict[str, Any]:
        """The history as plain data; ``loss_every`` keeps every k-th loss (and the last).

        >>> History(loss=[3.0, 2.0, 1.0]).as_dict(loss_every=2)["loss_iteration"]
        [0, 2]
        """
        idx = list(range(0, len(self.loss), loss_every))
        if self.loss and idx[-1] != len(self.loss) - 1:
            idx.append(len(self.loss) - 1)
        return {
            "loss_iteration": idx,
            "loss": [self.loss[i] for i in idx],
            "train_acc": self.train_acc,
            "val_acc": self.val_acc,
            "epoch_end": self.epoch_end,
            "learning_rate": self.learning_rate,
            "best_val_acc": self.best_val_acc,
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "iterations": self.iterations,
            "wall_time_s": self.wall_time_s,
        }


def _not_int(v: Any) -> bool:
    return isinstance(v, bool) or not isinstance(v, int | np.integer)


def _finite(v: Any) -> bool:
    return (
        not isinstance(v, bool)
        and isinstance(v, int | float | np.integer | np.floating)
        and math.isfinite(v)
    )


def _check_data(X: Any, y: Any, xname: str, yname: str) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(N, D)`` of real numbers and integer labels ``(N,)``, ``N >= 1``."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[:1]):
        raise ValueError(
            f"expected {xname} of shape (N, D) and {yname} of shape (N,), "
            f"got {X.shape} and {y.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"expected at least one example in {xname}, got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"expected {xname} of real numbers, got dtype {X.dtype}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"expected integer class labels in {yname}, got dtype {y.dtype}")
    if not np.isfinite(X).all():
        raise ValueError(f"expected finite values in {xname}, got NaN or infinity")
    return X, y


def _check_settings(
    learning_rate: Any,
    learning_rate_decay: Any,
    reg: Any,
    num_iters: Any,
    batch_size: Any,
    momentum: Any,
) -> None:
    """Refuse hyper-parameters that would train to NaN or not train at all."""
    if not (_finite(learning_rate) and learning_rate > 0):
        raise ValueError(f"expected a finite positive learning_rate, got {learning_rate!r}")
    if not (_finite(learning_rate_decay) and 0 < learning_rate_decay <= 1):
        raise ValueError(f"expected learning_rate_decay in (0, 1], got {learning_rate_decay!r}")
    if not (_finite(reg) and reg >= 0):
        raise ValueError(f"expected a finite reg >= 0, got {reg!r}")
    if not (_finite(momentum) and 0 <= momentum < 1):
        raise ValueError(f"expected momentum in [0, 1), got {momentum!r}")
    if _not_int(num_iters) or _not_int(batch_size):
        raise TypeError(
            f"expected integer num_iters and batch_size, got {num_iters!r} and {batch_size!r}"
        )
    if num_iters < 0 or batch_size < 1:
        raise ValueError(
            f"expected num_iters >= 0 and batch_size >= 1, got {num_iters} and {batch_size}"
        )


def train(
    model: Trainable,
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    *,
    learning_rate: float = 1e-3,
    learning_rate_decay: float = 0.95,
    reg: float = 5e-6,
    num_iters: int = 100,
    batch_size: int = 200,
    momentum: float = 0.0,
    patience: int | None = None,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
    rng: np.random.Generator | int | None = None,
    progress: bool = False,
) -> History:
    """Train ``model`` in place with mini-batch SGD and return its :class:`History`.

    Parameters
    ----------
    model
        A model with ``params``, ``loss(X, y, reg)`` and ``predict(X)``.
    X, y
        Training inputs ``(N, D)`` and labels ``(N,)``.
    X_val, y_val
        Optional validation set, evaluated once per epoch.
    learning_rate, learning_rate_decay
        :math:`\\eta_0`, and the factor applied after every epoch.
    reg
        L2 strength passed to ``model.loss``.
    num_iters, batch_size
        Iterations, and examples per mini-batch (drawn with replacement, as in the
        exercise).
    momentum
        :math:`\\mu`; 0 gives plain SGD.
    patience
        Early stopping: stop after this many epochs without a better validation
        accuracy and restore the best parameters. Needs a validation set.
    augment
        Optional ``augment(X_batch, rng) -> X_batch`` applied to every mini-batch.
    rng
        Seed or generator for the batch order (and the augmentation).
    progress
        Show a tqdm progress bar.

    Examples
    --------
    >>> from backprop_book.numpy_nn.two_layer_net import toy_data, toy_model
    >>> X, y = toy_data()
    >>> hist = train(toy_model(), X, y, X, y, learning_rate=0.1, reg=5e-6, num_iters=100,
    ...              batch_size=200, rng=0)
    >>> len(hist.loss), round(hist.loss[0], 4), hist.loss[-1] < 0.02
    (100, 1.2439, True)
    """
    if not isinstance(getattr(model, "params", None), dict) or not all(
        callable(getattr(model, m, None)) for m in ("loss", "predict")
    ):
        raise TypeError(
            "expected a model with .params (a dict of arrays), .loss(X, y, reg) and "
            f".predict(X), such as TwoLayerNet or MLP, got {type(model).__name__}"
            + ("; pass the model, not its params" if isinstance(model, dict) else "")
        )
    X, y = _check_data(X, y, "X", "y")
    if (X_val is None) != (y_val is None):
        raise ValueError("expected both X_val and y_val, or neither")
    if X_val is not None:
        X_val, y_val = _check_data(X_val, y_val, "X_val", "y_val")
    _check_settings(learning_rate, learning_rate_decay, reg, num_iters, batch_size, momentum)
    if patience is not None and (X_val is None or _not_int(patience) or patience < 1):
        raise ValueError(
            f"early stopping needs a validation set and patience >= 1, got patience={patience!r}"
        )
    gen = np.random.default_rng(rng)
    N = X.shape[0]
    iters_per_epoch = max(N // batch_size, 1)
    params = model.params
    velocity = {k: np.zeros_like(v) for k, v in params.items()} if momentum else {}
    hist = History()
    lr = float(learning_rate)
    best_params: dict[str, np.ndarray] | None = None
    since_best = 0
    t0 = time.perf_counter()
    bar = tqdm(range(num_iters), disable=not progress, desc="SGD", leave=False)
    for it in bar:
        idx = gen.integers(0, N, size=batch_size)
        X_batch, y_batch = X[idx], y[idx]
        if augment is not None:
            X_batch = augment(X_batch, gen)
        loss, grads = cast(
            tuple[float, dict[str, np.ndarray]], model.loss(X_batch, y_batch, reg=reg)
        )
        hist.loss.append(loss)
        if momentum:
            for k, p in params.items():
                v = velocity[k]
                v *= momentum
                v -= lr * grads[k]
                p += v
        else:
            for k, p in params.items():
                g = grads[k]
                g *= lr
                p -= g
        if (it + 1) % iters_per_epoch == 0:
            hist.train_acc.append(float(np.mean(model.predict(X_batch) == y_batch)))
            hist.epoch_end.append(it + 1)
            hist.learning_rate.append(lr)
            lr *= learning_rate_decay
            # [/sgd-step] (Part II's excerpt of train() ends here)
            if X_val is not None:
                acc = float(np.mean(model.predict(X_val) == y_val))
                hist.val_acc.append(acc)
                if hist.best_val_acc is None or acc > hist.best_val_acc:
                    hist.best_val_acc, hist.best_epoch, since_best = acc, len(hist.val_acc), 0
                    if patience is not None:
                        best_params = {k: v.copy() for k, v in params.items()}
                else:
                    since_best += 1
                bar.set_postfix(loss=f"{loss:.3f}", val_acc=f"{acc:.3f}")
                if patience is not None and since_best >= patience:
                    hist.stopped_early = True
                    hist.iterations = it + 1
                    break
        hist.iterations = it + 1
    bar.close()
    if best_params is not None:
        for k, v in best_params.items():
            params[k][...] = v
    hist.wall_time_s = time.perf_counter() - t0
    return hist
