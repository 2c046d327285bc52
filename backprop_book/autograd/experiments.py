"""Question 9: training the engine's MLPs on the course's synthetic data.

Each experiment of reports C and E is a :class:`TrainConfig` in
:data:`EXPERIMENTS`; :func:`train` runs one and returns a :class:`TrainResult`
(per-epoch curves as plain lists); :func:`layer_statistics` measures the scale
of activations and gradients per layer at initialisation. Each experiment is
registered as the study ``part3/<name>``; the book's runner records a full-profile
run with provenance::

    backprop-book reproduce part3/relu2 --profile full --record
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from tqdm import tqdm

from backprop_book.autograd.core import TensorNode
from backprop_book.autograd.nn import (
    ACTIVATIONS,
    INITS,
    Activation,
    Linear,
    Parameter,
    Sequential,
    cross_entropy,
    mlp,
)
from backprop_book.autograd.optim import SGD, Adam, EpochSchedule, Optimizer
from backprop_book.data.synthetic import SyntheticData, load_synthetic
from backprop_book.profiles import Profile, pick
from backprop_book.studies import register

__all__ = [
    "EXPERIMENTS",
    "LayerStats",
    "TrainConfig",
    "TrainResult",
    "build_model",
    "evaluate",
    "even_fraction",
    "layer_statistics",
    "plateau_epochs",
    "profile_sizes",
    "run_experiment",
    "run_named",
    "train",
    "trained_parameters",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """One training run on the synthetic data.

    Attributes
    ----------
    sizes
        Layer sizes ``[2, hidden..., 2]``.
    activations
        One activation name per hidden layer.
    init
        Weight initialisation (see :data:`backprop_book.autograd.nn.INITS`).
    optimizer
        ``"sgd"`` or ``"adam"``.
    lr, momentum
        Learning rate; SGD momentum (0 for plain SGD).
    lr_gamma
        If set, the learning rate of epoch ``e`` is ``lr * lr_gamma**e`` (the
        per-epoch change report C called "momentum").
    lr_linear
        If true, the learning rate of epoch ``e`` is ``lr * (e + 1)``: it grows with
        the epoch (the other reading of C's "corelating the change with epochs").
    untrained_layers
        Linear layers (0-based) whose parameters the optimizer is never given, as in
        C's ``MLP3L``, whose ``parameters()`` returns only its first two layers.
    reduction
        ``"sum"`` (the course's loss, summed over the batch) or ``"mean"``.
    epochs, batch_size, seed
        Training length, mini-batch size, seed of the initialisation and shuffling.
    """

    sizes: tuple[int, ...] = (2, 8, 2)
    activations: tuple[str, ...] = ("sigmoid",)
    init: str = "course"
    optimizer: str = "sgd"
    lr: float = 0.001
    momentum: float = 0.0
    lr_gamma: float | None = None
    lr_linear: bool = False
    untrained_layers: tuple[int, ...] = ()
    reduction: str = "sum"
    epochs: int = 20
    batch_size: int = 128
    seed: int = 0
    description: str = ""

    def __post_init__(self) -> None:
        def integer(name: str, v: Any, low: int, high: int | None = None) -> None:
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise TypeError(f"TrainConfig.{name}: expected an integer, got {v!r}")
            if v < low or (high is not None and v > high):
                upper = "" if high is None else f" and <= {high}"
                raise ValueError(
                    f"TrainConfig.{name}: expected an integer >= {low}{upper}, got {v}"
                )

        def number(name: str, v: Any, low: float, high: float, closed_low: bool) -> None:
            if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise TypeError(f"TrainConfig.{name}: expected a number, got {v!r}")
            ok = (v >= low if closed_low else v > low) and v < high
            if not (math.isfinite(float(v)) and ok):
                left = "[" if closed_low else "("
                raise ValueError(
                    f"TrainConfig.{name}: expected a number in {left}{low:g}, {high:g}), got {v!r}"
                )

        if not isinstance(self.sizes, tuple | list) or len(self.sizes) < 2:
            raise ValueError(
                f"TrainConfig.sizes: expected at least two layer sizes, got {self.sizes!r}"
            )
        for k, n in enumerate(self.sizes):
            integer(f"sizes[{k}]", n, 1)
        if not isinstance(self.activations, tuple | list) or any(
            a not in ACTIVATIONS for a in self.activations
        ):
            raise ValueError(
                f"TrainConfig.activations: expected names from {sorted(ACTIVATIONS)}, got "
                f"{self.activations!r}"
            )
        if self.init not in INITS:
            raise ValueError(
                f"TrainConfig.init: expected one of {sorted(INITS)}, got {self.init!r}"
            )
        if self.reduction not in ("sum", "mean"):
            raise ValueError(
                f"TrainConfig.reduction: expected 'sum' or 'mean', got {self.reduction!r}"
            )
        number("lr", self.lr, 0.0, math.inf, closed_low=False)
        number("momentum", self.momentum, 0.0, 1.0, closed_low=True)
        if self.lr_gamma is not None:
            number("lr_gamma", self.lr_gamma, 0.0, math.inf, closed_low=False)
        integer("epochs", self.epochs, 1)
        integer("batch_size", self.batch_size, 1)
        integer("seed", self.seed, 0, 2**63 - 1)
        if len(self.activations) != len(self.sizes) - 2:
            raise ValueError(
                f"expected {len(self.sizes) - 2} activations for sizes {self.sizes}, "
                f"got {self.activations}"
            )
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")
        if self.lr_gamma is not None and self.lr_linear:
            raise ValueError("expected one learning-rate schedule, got both lr_gamma and lr_linear")
        n_linear = len(self.sizes) - 1
        bad = [i for i in self.untrained_layers if not 0 <= i < n_linear]
        if bad:
            raise ValueError(
                f"untrained_layers: expected indices of the {n_linear} Linear layers, got {bad}"
            )
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(
                f"epochs and batch_size must be >= 1, got {self.epochs} and {self.batch_size}"
            )


#: The question-9 experiments of reports C and E: batch 128, the course's summed loss,
#: learning rate 0.001 (one of the two the reports used; ``sigmoid2_lr01`` takes the other).
EXPERIMENTS: dict[str, TrainConfig] = {
    "sigmoid2": TrainConfig(description="C: 2 layers, sigmoid (the course default 2-8-2)"),
    "sigmoid2_lr01": TrainConfig(lr=0.01, description="C: 2 layers, sigmoid, lr 0.01"),
    "relu2": TrainConfig(activations=("relu",), description="C: 2 layers, ReLU"),
    "relu3": TrainConfig(
        sizes=(2, 8, 8, 2), activations=("relu", "relu"), description="C: 3 layers, ReLU"
    ),
    "schedule_c": TrainConfig(
        lr_gamma=0.8,
        description="C's 'momentum': the learning rate changed per epoch (x0.8 each epoch)",
    ),
    "momentum": TrainConfig(momentum=0.9, description="real momentum: SGD with momentum 0.9"),
    "report_e": TrainConfig(
        sizes=(2, 8, 8, 2),
        activations=("relu", "sigmoid"),
        init="he_fanout",
        description="E: linear-ReLU-linear-sigmoid-linear, E's fan-out 'He' init",
    ),
    "report_e_he": TrainConfig(
        sizes=(2, 8, 8, 2),
        activations=("relu", "sigmoid"),
        init="he",
        description="E's model with He fan-in init",
    ),
    # --- the runs as the reports wrote them (recorded over three seeds) ---
    "c_relu3_as_written": TrainConfig(
        sizes=(2, 4, 4, 2),
        activations=("relu", "relu"),
        untrained_layers=(2,),
        description="C's MLP3L as listed: hidden 2 x input = 4, parameters() misses layer3",
    ),
    "c_relu3_h4": TrainConfig(
        sizes=(2, 4, 4, 2),
        activations=("relu", "relu"),
        description="C's MLP3L sizes (hidden 4) with every layer trained",
    ),
    "c_momentum_decay": TrainConfig(
        activations=("relu",),
        lr_gamma=0.8,
        description="C's 'momentum' on C's 2-layer ReLU net, reading 1: lr x0.8 each epoch",
    ),
    "c_momentum_growth": TrainConfig(
        activations=("relu",),
        lr_linear=True,
        description="C's 'momentum' on C's 2-layer ReLU net, reading 2: lr x (epoch + 1)",
    ),
    "e_sigmoid2_lr01": TrainConfig(lr=0.01, description="E Fig. 7: 2 layers, sigmoid, lr 0.01"),
    "e_relu2_lr01": TrainConfig(
        activations=("relu",), lr=0.01, description="E Fig. 7: 2 layers, ReLU, lr 0.01"
    ),
    "e_new_lr01": TrainConfig(
        sizes=(2, 8, 8, 2),
        activations=("relu", "sigmoid"),
        lr=0.01,
        description="E Fig. 8: linear-ReLU-linear-sigmoid-linear, course init, lr 0.01",
    ),
    "e_he_lr01": TrainConfig(
        sizes=(2, 8, 8, 2),
        activations=("relu", "sigmoid"),
        init="he_fanout",
        lr=0.01,
        description="E Fig. 9: E's new model with E's fan-out 'He' init, lr 0.01",
    ),
    "init_glorot": TrainConfig(init="glorot", description="2-8-2 sigmoid, Glorot (correct)"),
    "init_course": TrainConfig(init="course", description="2-8-2 sigmoid, the course's formula"),
    "init_he": TrainConfig(init="he", description="2-8-2 sigmoid, He fan-in"),
    "init_he_fanout": TrainConfig(init="he_fanout", description="2-8-2 sigmoid, E's fan-out He"),
}


def profile_sizes(profile: str | Profile | None = None) -> dict[str, int]:
    """Data and training sizes per profile.

    ``full`` is the course's setting: 60,000 training and 10,000 validation
    instances, 20 epochs of batch 128. ``quick`` keeps the batch and the
    number of steps per epoch small enough for the docs build.

    >>> profile_sizes("full")
    {'n_train': 60000, 'n_val': 10000, 'epochs': 20}
    """
    return {
        "n_train": pick(quick=16_000, full=60_000, profile=profile),
        "n_val": pick(quick=5_000, full=10_000, profile=profile),
        "epochs": pick(quick=10, full=20, profile=profile),
    }


def build_model(config: TrainConfig) -> Sequential:
    """The MLP of ``config``, initialised from ``config.seed``.

    >>> build_model(EXPERIMENTS["relu3"]).n_parameters()
    114
    """
    return mlp(list(config.sizes), list(config.activations), init=config.init, rng=config.seed)


@dataclass
class TrainResult:
    """Curves of one run: index 0 is before training, index ``e`` after epoch ``e``."""

    name: str
    config: dict[str, Any]
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    wall_time_s: float = 0.0
    model: Sequential | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields (without the model)."""
        d = asdict(replace(self, model=None))
        d.pop("model")
        return d


def evaluate(model: Sequential, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``(x, y)``.

    >>> d = load_synthetic(100, 50, rng=0)
    >>> loss, acc = evaluate(build_model(EXPERIMENTS["sigmoid2"]), d.x_val, d.y_val)
    >>> round(loss, 3), 0 <= acc <= 1
    (0.707, True)
    """
    scores = model(x)
    loss = float(cross_entropy(scores, y, "mean").value)
    acc = float((scores.value.argmax(axis=1) == y).mean())
    return loss, acc


def trained_parameters(config: TrainConfig, model: Sequential) -> list[Parameter]:
    """The parameters the optimizer updates: all but those of ``config.untrained_layers``.

    >>> cfg = EXPERIMENTS["c_relu3_as_written"]
    >>> model = build_model(cfg)
    >>> len(model.parameters()), len(trained_parameters(cfg, model))
    (6, 4)
    """
    linears = [m for m in model.layers if isinstance(m, Linear)]
    skip = {id(p) for i in config.untrained_layers for p in linears[i].parameters()}
    return [p for p in model.parameters() if id(p) not in skip]


def _optimizer(config: TrainConfig, model: Sequential) -> Optimizer:
    params = trained_parameters(config, model)
    if config.optimizer == "adam":
        return Adam(params, lr=config.lr)
    return SGD(params, lr=config.lr, momentum=config.momentum)


def train(
    config: TrainConfig,
    data: SyntheticData,
    name: str = "run",
    epochs: int | None = None,
    progress: bool = False,
) -> TrainResult:
    """Train ``build_model(config)`` on ``data`` with mini-batch SGD or Adam.

    Each epoch shuffles the training set (seeded by ``config.seed``), takes
    steps on mini-batches of ``config.batch_size`` with the loss
    :math:`L = \\sum_i -\\log \\operatorname{softmax}(s_i)_{y_i}` (or its mean),
    and then measures the validation loss and accuracy.

    Parameters
    ----------
    config
        The run's settings.
    data
        Training and validation arrays.
    name
        A label kept in the result.
    epochs
        Overrides ``config.epochs``.
    progress
        Show a tqdm bar over the epochs.

    >>> d = load_synthetic(2000, 500, rng=0)
    >>> r = train(EXPERIMENTS["relu2"], d, epochs=2)
    >>> len(r.val_accuracy), r.val_accuracy[-1] > 0.6
    (3, True)
    """
    epochs = config.epochs if epochs is None else epochs
    model = build_model(config)
    opt = _optimizer(config, model)
    sched = None
    if config.lr_gamma:
        sched = EpochSchedule.geometric(opt, config.lr_gamma)
    elif config.lr_linear:
        sched = EpochSchedule(opt, lambda e: config.lr * (e + 1))
    rng = np.random.default_rng(config.seed + 1)
    result = TrainResult(name, asdict(replace(config, epochs=epochs)))
    l0, a0 = evaluate(model, data.x_val, data.y_val)
    tl0, _ = evaluate(model, data.x_train[:10_000], data.y_train[:10_000])
    result.train_loss.append(tl0)
    result.val_loss.append(l0)
    result.val_accuracy.append(a0)
    n = len(data.x_train)
    t0 = time.perf_counter()
    for epoch in tqdm(range(epochs), desc=name, disable=not progress):
        if sched is not None:
            sched.set_epoch(epoch)
        result.lr.append(opt.lr)
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, config.batch_size):
            idx = order[start : start + config.batch_size]
            opt.zero_grad()
            loss = cross_entropy(model(data.x_train[idx]), data.y_train[idx], config.reduction)
            loss.backward()
            opt.step()
            total += float(loss.value) * (1 if config.reduction == "sum" else len(idx))
        result.train_loss.append(total / n)
        vl, va = evaluate(model, data.x_val, data.y_val)
        result.val_loss.append(vl)
        result.val_accuracy.append(va)
        log.info("%s epoch %d: train loss %.4f, val acc %.4f", name, epoch + 1, total / n, va)
    result.wall_time_s = time.perf_counter() - t0
    result.model = model
    return result


@dataclass(frozen=True)
class LayerStats:
    """Scale of one Linear layer's signals at initialisation, on one batch.

    ``s_std``: std of the pre-activations :math:`s_l`; ``h_std``: std of the
    layer's output after its activation (the scores for the last layer);
    ``grad_W_rms``: root mean square of :math:`\\partial L/\\partial W_l`;
    ``grad_s_rms``: root mean square of :math:`\\partial L/\\partial s_l`;
    ``saturated``: fraction of sigmoid units with :math:`\\sigma' < 0.05` (NaN
    for other activations).
    """

    layer: int
    shape: tuple[int, int]
    s_std: float
    h_std: float
    grad_s_rms: float
    grad_W_rms: float
    saturated: float


def _batch_statistics(
    model: Sequential, x: np.ndarray, y: np.ndarray, reduction: str
) -> list[LayerStats]:
    model.zero_grad()
    outs = model.layer_outputs(x)
    loss = cross_entropy(outs[-1], y, reduction)
    loss.backward()
    stats = []
    k = 0
    for i, layer in enumerate(model.layers):
        if not isinstance(layer, Linear):
            continue
        s: TensorNode = outs[i]
        h = outs[i + 1] if i + 1 < len(outs) else s
        act = model.layers[i + 1] if i + 1 < len(outs) else None
        sat = float("nan")
        if isinstance(act, Activation) and act.name == "sigmoid":
            sig = h.value
            sat = float((sig * (1 - sig) < 0.05).mean())
        stats.append(
            LayerStats(
                layer=k,
                shape=(layer.W.shape[0], layer.W.shape[1]),
                s_std=float(s.value.std()),
                h_std=float(h.value.std()),
                grad_s_rms=float(np.sqrt(np.mean(s.grad**2))),
                grad_W_rms=float(np.sqrt(np.mean(layer.W.grad**2))),
                saturated=sat,
            )
        )
        k += 1
    model.zero_grad()
    return stats


def layer_statistics(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    reduction: str = "sum",
    batch_size: int = 128,
) -> list[LayerStats]:
    """Scale of each Linear layer's signals, averaged over mini-batches of ``(x, y)``.

    Each batch is forwarded and backpropagated with the model as it is (no update);
    standard deviations and saturation are averaged over the batches, root mean
    squares are combined as :math:`\\sqrt{\\text{mean of squares}}`.

    >>> d = load_synthetic(256, 10, rng=0)
    >>> st = layer_statistics(build_model(EXPERIMENTS["init_course"]), d.x_train, d.y_train)
    >>> [s.shape for s in st], round(st[0].s_std, 2)
    ([(8, 2), (2, 8)], 0.26)
    """
    if len(x) == 0 or len(x) != len(y):
        raise ValueError(f"expected matching non-empty x and y, got {len(x)} and {len(y)} rows")
    per_batch = [
        _batch_statistics(model, x[i : i + batch_size], y[i : i + batch_size], reduction)
        for i in range(0, len(x), batch_size)
    ]
    out = []
    for layer_stats in zip(*per_batch, strict=True):
        first = layer_stats[0]
        out.append(
            LayerStats(
                layer=first.layer,
                shape=first.shape,
                s_std=float(np.mean([s.s_std for s in layer_stats])),
                h_std=float(np.mean([s.h_std for s in layer_stats])),
                grad_s_rms=float(np.sqrt(np.mean([s.grad_s_rms**2 for s in layer_stats]))),
                grad_W_rms=float(np.sqrt(np.mean([s.grad_W_rms**2 for s in layer_stats]))),
                saturated=float(np.mean([s.saturated for s in layer_stats])),
            )
        )
    return out


def plateau_epochs(accuracies: Sequence[float], majority: float, margin: float = 0.02) -> int:
    """Epochs before the accuracy first rises ``margin`` above the majority-class share.

    Returns ``len(accuracies)`` when it never does (the run stayed on its plateau).

    >>> plateau_epochs([0.55, 0.56, 0.60, 0.70], majority=0.55)
    2
    >>> plateau_epochs([0.55, 0.55], majority=0.55)
    2
    """
    if not 0.0 <= majority <= 1.0:
        raise ValueError(f"majority must be a share in [0, 1], got {majority}")
    return next((e for e, a in enumerate(accuracies) if a > majority + margin), len(accuracies))


def even_fraction(model: Sequential, x: np.ndarray) -> float:
    """Share of the score-difference variance that is even in the input.

    With :math:`f(x) = s_1(x) - s_0(x)`, split :math:`f` into its even part
    :math:`(f(x) + f(-x))/2` and odd part :math:`(f(x) - f(-x))/2` and return
    :math:`\\operatorname{Var}(\\text{even}) / (\\operatorname{Var}(\\text{even}) +
    \\operatorname{Var}(\\text{odd}))`. The synthetic labels are even
    (:math:`x^T Q x` does not change under :math:`x \\to -x`), so a model whose
    scores have no even part cannot fit them at all.

    >>> d = load_synthetic(500, 10, rng=0)
    >>> round(even_fraction(build_model(EXPERIMENTS["sigmoid2"]), d.x_train), 6)
    0.0
    """
    f_plus = model(x).value
    f_minus = model(-x).value
    f, g = f_plus[:, 1] - f_plus[:, 0], f_minus[:, 1] - f_minus[:, 0]
    even, odd = (f + g) / 2, (f - g) / 2
    ve, vo = float(even.var()), float(odd.var())
    return ve / (ve + vo) if ve + vo > 0 else 0.0


def run_experiment(
    name: str,
    profile: str | Profile | None = None,
    data_seed: int = 0,
    progress: bool = False,
    seed: int | None = None,
) -> tuple[TrainResult, SyntheticData]:
    """Run the experiment ``name`` of :data:`EXPERIMENTS` at the profile's sizes.

    ``seed`` replaces the config's seed (initialisation and shuffling); the data
    keep ``data_seed``.

    >>> r, d = run_experiment("relu2", profile="quick")  # doctest: +SKIP
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; expected one of {sorted(EXPERIMENTS)}")
    sizes = profile_sizes(profile)
    data = load_synthetic(sizes["n_train"], sizes["n_val"], rng=data_seed)
    config = EXPERIMENTS[name] if seed is None else replace(EXPERIMENTS[name], seed=seed)
    return train(config, data, name=name, epochs=sizes["epochs"], progress=progress), data


def run_named(
    name: str, profile: str | Profile | None = None, *, seed: int = 0, progress: bool = False
) -> dict[str, Any]:
    """The study ``part3/<name>``: :func:`run_experiment` as plain data for the runner.

    >>> import backprop_book.autograd.experiments as X
    >>> X.profile_sizes, saved = (lambda profile=None: {"n_train": 300, "n_val": 100,
    ...                                                  "epochs": 1}), X.profile_sizes
    >>> out = run_named("relu2", "quick", seed=1)
    >>> X.profile_sizes = saved
    >>> out["config"]["seed"], len(out["val_accuracy"]), out["data_source"][:9]
    (1, 2, 'synthetic')
    """
    result, data = run_experiment(name, profile, seed=seed, progress=progress)
    return {**result.as_dict(), "device": "cpu", "data_source": data.source}


for _name, _cfg in EXPERIMENTS.items():
    register(f"part3/{_name}", functools.partial(run_named, _name), description=_cfg.description)
del _name, _cfg
