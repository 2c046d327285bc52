"""One trainer for every Part IV experiment: the loop, evaluation, its own state.

* :class:`~backprop_book.torch_nn.config.TrainConfig` (:mod:`~backprop_book.torch_nn.config`)
  says what to run; the device is :mod:`~backprop_book.torch_nn.devices`' choice;
  the checkpoint file is :mod:`~backprop_book.torch_nn.checkpoint`'s, the state in it
  the trainer's own (:meth:`Trainer.state_dict`, :meth:`Trainer.load_state_dict`);
* :class:`Trainer` -- device chosen once (CUDA, MPS, CPU), seeded, mixed precision
  on CUDA, per-epoch history, early stopping on validation loss, learning-rate
  schedules, evaluation with per-class accuracy and confusion matrix;
* every random draw comes from the trainer's own generators, never from a seed
  set on torch's global ones: the batch order and the crops from
  :attr:`Trainer.data_generator`, the model's initialisation and dropout from
  :attr:`Trainer.model_rng` (:class:`~backprop_book.torch_nn.rng.ModelRNG`);
* started by ``torchrun``, the trainer wraps the model in
  :class:`~torch.nn.parallel.DistributedDataParallel` and deals each global batch
  out to the processes, so ``P`` processes compute the same update as one process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from tqdm import tqdm

from backprop_book.runtime import git_commit, utc_stamp
from backprop_book.torch_nn import checkpoint as ckpt_io
from backprop_book.torch_nn.config import TrainConfig
from backprop_book.torch_nn.data import (
    ImageTensors,
    Normalizer,
    batch_indices,
    load_data,
    n_batches,
    normalization_constants,
    random_crop_flip,
)
from backprop_book.torch_nn.denormals import flushing, kept_fraction
from backprop_book.torch_nn.devices import cpu_update_kwargs, setup_device
from backprop_book.torch_nn.models import ImageClassifier, build_model, count_parameters
from backprop_book.torch_nn.rng import ModelRNG
from backprop_book.torch_nn.threads import cache_key, configure_threads

__all__ = [
    "Evaluation",
    "Trainer",
    "TrainingDiverged",
]

log = logging.getLogger(__name__)

Data = tuple[ImageTensors, ImageTensors | None, ImageTensors]


@dataclass(frozen=True)
class Evaluation:
    """Loss, accuracy, per-class accuracy and confusion matrix (rows: true, columns: predicted)."""

    loss: float
    accuracy: float
    per_class: list[float]
    confusion: list[list[int]]
    classes: tuple[str, ...]
    n: int

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for JSON."""
        return dataclasses.asdict(self)

    def format(self) -> str:
        """A text report: accuracy, per-class accuracy and the confusion matrix."""
        lines = [f"accuracy {self.accuracy:.4f} on {self.n} images (loss {self.loss:.4f})"]
        lines += [f"  {c:<12}{a:.4f}" for c, a in zip(self.classes, self.per_class, strict=True)]
        lines.append("confusion matrix (rows: true class, columns: predicted):")
        lines.append("            " + "".join(f"{c[:5]:>6}" for c in self.classes))
        for c, row in zip(self.classes, self.confusion, strict=True):
            lines.append(f"  {c:<10}" + "".join(f"{v:>6}" for v in row))
        return "\n".join(lines)


def _checked_data(config: TrainConfig, model: ImageClassifier, data: Data | None) -> Data:
    """The run's data (loaded as ``config`` says when ``data`` is ``None``), shapes checked."""
    if data is None:
        data = load_data(config.data, max_train=config.max_train, max_test=config.max_test,
                         val_size=config.val_size, seed=config.seed,
                         grayscale=config.grayscale, root=config.data_root)  # fmt: skip
    for name, d in zip(("training", "validation", "test"), data, strict=True):
        if d is not None and tuple(d.images.shape[1:]) != tuple(model.input_shape):
            raise ValueError(
                f"{config.model} expects images of shape {model.input_shape}, the {name} "
                f"data has {tuple(d.images.shape[1:])} (grayscale={config.grayscale})"
            )
    return data


class Trainer:
    """Train and evaluate one model as :class:`~backprop_book.torch_nn.config.TrainConfig` says.

    Parameters
    ----------
    config : ~backprop_book.torch_nn.config.TrainConfig
        The run's settings.
    data : tuple of ~backprop_book.torch_nn.data.ImageTensors, optional
        ``(train, validation or None, test)`` tensors; loaded from
        ``config.data`` when ``None``.

    Examples
    --------
    >>> cfg = TrainConfig(model="mlp", model_args={"hidden_sizes": [8]}, data="fake",
    ...                   max_train=64, max_test=32, batch_size=16, epochs=1, device="cpu")
    >>> t = Trainer(cfg)
    >>> hist = t.fit()
    >>> len(hist), sorted(hist[0])  # doctest: +NORMALIZE_WHITESPACE
    (1, ['denormals_flushed', 'epoch', 'git_commit', 'lr', 'session', 'test_acc',
         'test_loss', 'threads', 'time_s', 'train_acc', 'train_loss', 'val_acc', 'val_loss'])
    """

    def __init__(self, config: TrainConfig, data: Data | None = None):
        if not isinstance(config, TrainConfig):
            raise TypeError(f"expected a TrainConfig, got {type(config).__name__}")
        self.config = c = config
        self.device, self.rank, self.world_size = setup_device(c.device)
        self.use_amp = bool(c.amp and self.device.type == "cuda")
        #: the model's draws (initialisation, dropout); see :class:`~.rng.ModelRNG`
        self.model_rng = ModelRNG(c.seed, self.device)
        with self.model_rng:
            self.model: ImageClassifier = build_model(c.model, **c.model_args).to(self.device)
        #: the batch order and the augmentation's draws
        self.data_generator = torch.Generator().manual_seed(c.seed + 1)
        train, val, test = _checked_data(c, self.model, data)
        self.train_data, self.test_data = train.to(self.device), test.to(self.device)
        self.val_data = val.to(self.device) if val is not None else None
        channels = self.model.input_shape[0]
        mean, std = normalization_constants(c.normalization, channels)
        self.normalizer = Normalizer(mean, std, channels, self.device)
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = self._make_optimizer()
        self.scheduler = self._make_scheduler()
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.use_amp)
        #: how ``config.threads="auto"`` chose the CPU thread count (None otherwise)
        self.thread_choice = configure_threads(
            c.threads, self.model, self.optimizer, c.batch_size, self.device,
            key=cache_key(c.model, c.batch_size, c.model_args))  # fmt: skip
        #: whether every CPU thread flushed denormals in the last epoch trained (None
        #: before the first and off the CPU): :mod:`~backprop_book.torch_nn.denormals`
        self.denormals_flushed: bool | None = None
        self.net = self._wrap_ddp()
        #: the code and the start (UTC) of this trainer, kept by every epoch it trains
        self.code_commit = git_commit()
        self.session = utc_stamp()
        self.epoch, self.history = 0, []  # type: int, list[dict[str, Any]]
        self.best_val_loss, self.bad_epochs, self.stopped_early = math.inf, 0, False
        #: weights of the epoch with the lowest validation loss (with ``restore_best``)
        self.best_state: dict[str, torch.Tensor] | None = None
        self.best_epoch = 0
        #: the epoch whose weights the model holds after :meth:`fit` restored the best
        self.restored_epoch: int | None = None

    # ------------------------------------------------------------------ building blocks
    def _make_optimizer(self) -> torch.optim.Optimizer:
        c, optim = self.config, torch.optim
        kw: dict[str, Any] = {"lr": c.lr, "weight_decay": c.weight_decay}
        if self.device.type == "cpu":
            kw.update(cpu_update_kwargs(c.optimizer))
        if c.optimizer in ("sgd", "rmsprop"):
            kw["momentum"] = c.momentum
        classes = {"sgd": optim.SGD, "adam": optim.Adam, "rmsprop": optim.RMSprop,
                   "adadelta": optim.Adadelta}  # fmt: skip
        return classes[c.optimizer](self.model.parameters(), **kw)

    def _make_scheduler(self) -> torch.optim.lr_scheduler.LRScheduler | None:
        c = self.config
        if c.schedule == "step":
            return torch.optim.lr_scheduler.StepLR(self.optimizer, c.step_size, c.gamma)
        if c.schedule == "exponential":
            return torch.optim.lr_scheduler.ExponentialLR(self.optimizer, c.gamma)
        if c.schedule == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, c.epochs)
        return None

    def _wrap_ddp(self) -> nn.Module:
        """The model, in DistributedDataParallel when torchrun started several processes."""
        if self.world_size == 1:
            return self.model
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DDP(self.model, device_ids=ids)

    def prepare(self, images: torch.Tensor, train: bool) -> torch.Tensor:
        """uint8 batch -> (augmented) normalised float batch, all on the device."""
        if train and self.config.augment:
            images = random_crop_flip(images, self.data_generator)
        return self.normalizer(images)

    @property
    def lr(self) -> float:
        """The current learning rate."""
        return float(self.optimizer.param_groups[0]["lr"])

    # ------------------------------------------------------------------ training
    def train_epoch(self) -> tuple[float, float]:
        """One pass over the training data; returns (mean loss, accuracy) of this process.

        The loop does no per-image work and no host synchronisation: batches are
        slices of a permutation already on the device, the running loss and the
        predictions stay on the device until the epoch ends.
        """
        c, d = self.config, self.train_data
        self.net.train()
        total = n_batches(len(d), c.batch_size)
        losses = torch.zeros(total, device=self.device)
        correct = torch.zeros(total, device=self.device, dtype=torch.int64)
        sizes = []
        show = c.progress and self.rank == 0
        bar = tqdm(
            total=total, desc=f"epoch {self.epoch + 1}/{c.epochs}", disable=not show, leave=False
        )
        batches = batch_indices(
            len(d), c.batch_size, self.data_generator, self.rank, self.world_size, self.device
        )
        opt, net, crit = self.optimizer, self.net, self.criterion
        on_cpu = self.device.type == "cpu"
        with (
            flushing(c.flush_denormal) if on_cpu else contextlib.nullcontext(False) as ok,
            self.model_rng,  # dropout draws from the trainer's generator
        ):
            # as asked where every thread follows, else as measured
            self.denormals_flushed = (
                (c.flush_denormal if ok else kept_fraction() == 0.0) if on_cpu else None
            )
            for step, idx in enumerate(batches):
                x = self.prepare(d.images[idx], train=True)
                y = d.labels[idx]
                if self.use_amp:
                    with torch.autocast(self.device.type, dtype=torch.float16):
                        scores = net(x)
                        loss = crit(scores, y)
                    opt.zero_grad(set_to_none=True)
                    self.scaler.scale(loss).backward()
                    self.scaler.step(opt)
                    self.scaler.update()
                else:
                    scores = net(x)
                    loss = crit(scores, y)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                losses[step] = loss.detach()
                correct[step] = (scores.detach().argmax(1) == y).sum()
                sizes.append(int(y.shape[0]))
                if show:
                    bar.update(1)
                    if step % 200 == 0:
                        bar.set_postfix(loss=f"{loss.item():.3f}")
        bar.close()
        seen = sum(sizes)
        n = torch.tensor(sizes, dtype=losses.dtype, device=self.device)
        loss_sum = float((losses.double() * n.double()).sum().item())
        return loss_sum / max(seen, 1), float(correct.sum().item()) / max(seen, 1)

    @torch.no_grad()
    def evaluate(self, data: ImageTensors | None = None, batch_size: int = 1000) -> Evaluation:
        """Loss, accuracy, per-class accuracy and confusion matrix on ``data`` (default: test)."""
        data = self.test_data if data is None else data.to(self.device)
        was = self.model.training
        self.model.eval()
        k = self.model.num_classes
        conf = torch.zeros(k * k, dtype=torch.int64, device=self.device)
        loss_sum = torch.zeros((), device=self.device)
        for idx in batch_indices(len(data), batch_size, None, device=self.device):
            x = self.prepare(data.images[idx], train=False)
            y = data.labels[idx]
            with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.use_amp):
                scores = self.model(x)
                loss = nn.functional.cross_entropy(scores.float(), y, reduction="sum")
            loss_sum += loss
            conf += torch.bincount(y * k + scores.argmax(1), minlength=k * k)
        self.model.train(was)
        m = conf.view(k, k).cpu()
        n = int(m.sum())
        rows = m.sum(1).clamp(min=1)
        per_class = (m.diag().double() / rows.double()).tolist()
        return Evaluation(
            loss=float(loss_sum.item()) / max(n, 1),
            accuracy=float(m.diag().sum()) / max(n, 1),
            per_class=[float(v) for v in per_class],
            confusion=m.tolist(),
            classes=tuple(data.classes),
            n=n,
        )

    def fit(
        self,
        epochs: int | None = None,
        *,
        checkpoint: str | os.PathLike[str] | None = None,
        stop_after: int | None = None,
        stop_on_nonfinite: bool = True,
    ) -> list[dict[str, Any]]:
        """Train up to ``epochs`` (default ``config.epochs``) epochs in total.

        Continues from :attr:`epoch` (so after :meth:`load_state` it resumes).
        ``checkpoint`` is written (atomically, rank 0 only) after every epoch;
        ``stop_after`` stops after that epoch number, as an interruption would.
        With ``config.restore_best``, a finished run (all epochs, or stopped early)
        ends holding the weights of its epoch with the lowest validation loss
        (:attr:`restored_epoch`); the history still describes every epoch trained.
        With ``stop_on_nonfinite`` (the default), an epoch whose mean training
        loss is NaN or infinite raises :class:`TrainingDiverged` before it is
        checkpointed, rather than returning NaN losses; studies turn it off, so a
        learning-rate sweep records the runs that diverge.
        Returns the history: one dict per epoch (:meth:`run_epoch`).
        """
        last = self.config.epochs if epochs is None else epochs
        while self.epoch < last and not self.stopped_early:
            if stop_after is not None and self.epoch >= stop_after:
                break
            rec = self.run_epoch(last)
            if stop_on_nonfinite and not math.isfinite(rec["train_loss"]):
                raise TrainingDiverged(
                    f"training diverged: the mean training loss of epoch {rec['epoch']} is "
                    f"{rec['train_loss']} (lr {rec['lr']:g}); try a smaller learning rate"
                )
            self.history.append(rec)
            log.info("epoch %d: %s", self.epoch, rec)
            self._watch_validation(rec["val_loss"])
            if checkpoint is not None and self.rank == 0:
                self.save_checkpoint(checkpoint)
        finished = self.epoch >= last or self.stopped_early
        if finished and self.config.restore_best and self.best_state is not None:
            self.model.load_state_dict(self.best_state)
            self.restored_epoch = self.best_epoch
            log.info("restored the weights of epoch %d (validation loss %.4f)",
                     self.best_epoch, self.best_val_loss)  # fmt: skip
        return self.history

    def run_epoch(self, last: int) -> dict[str, Any]:
        """Train one epoch, measure it, step the schedule; the epoch's history record.

        ``train_loss``, ``train_acc`` (running values over the epoch), ``val_loss``,
        ``val_acc``, ``test_loss``, ``test_acc`` (``None`` where not measured: the
        test set is measured with ``track_test`` and after epoch ``last``), ``lr``,
        ``time_s``, ``git_commit`` and ``session`` (the code and the trainer that ran
        the epoch: a run resumed under other code, or in a later process, says so).
        """
        t0 = time.perf_counter()
        lr = self.lr
        train_loss, train_acc = self.train_epoch()
        if self.world_size > 1:
            train_loss, train_acc = self._all_mean(train_loss, train_acc)
        self.epoch += 1
        rec: dict[str, Any] = {"epoch": self.epoch, "train_loss": train_loss,
                               "train_acc": train_acc, "val_loss": None, "val_acc": None,
                               "test_loss": None, "test_acc": None, "lr": lr,
                               "git_commit": self.code_commit, "session": self.session,
                               "threads": torch.get_num_threads(),
                               "denormals_flushed": self.denormals_flushed}  # fmt: skip
        if self.val_data is not None:
            ev = self.evaluate(self.val_data)
            rec["val_loss"], rec["val_acc"] = ev.loss, ev.accuracy
        if self.config.track_test or self.epoch == last:
            ev = self.evaluate(self.test_data)
            rec["test_loss"], rec["test_acc"] = ev.loss, ev.accuracy
        if self.scheduler is not None:
            self.scheduler.step()
        rec["time_s"] = time.perf_counter() - t0
        return rec

    def _watch_validation(self, val_loss: float | None) -> None:
        """Keep the best epoch (its weights with ``restore_best``); stop after ``patience``."""
        if val_loss is None:
            return
        if val_loss < self.best_val_loss:
            self.best_val_loss, self.bad_epochs = val_loss, 0
            if self.config.restore_best:
                self.best_epoch = self.epoch
                self.best_state = {
                    k: v.detach().clone() for k, v in self.model.state_dict().items()
                }
        else:
            self.bad_epochs += 1
            patience = self.config.patience
            if patience is not None and self.bad_epochs >= patience:
                self.stopped_early = True

    def _all_mean(self, *values: float) -> tuple[float, ...]:
        """The mean of ``values`` over the DDP processes."""
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return tuple((t / self.world_size).tolist())

    # ------------------------------------------------------------------ its state
    def state_dict(self) -> dict[str, Any]:
        """Every piece of training state, as tensors and plain values (the checkpoint format
        of :mod:`~backprop_book.torch_nn.checkpoint`)."""
        return {
            "format": ckpt_io.CHECKPOINT_FORMAT, "model_name": self.config.model,
            "model_class": type(self.model).__name__, "model_args": dict(self.config.model_args),
            "num_parameters": count_parameters(self.model), "config": self.config.to_dict(),
            "epoch": self.epoch, "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "scaler": self.scaler.state_dict(),
            "rng": {"data": self.data_generator.get_state(), **self.model_rng.states()},
            "history": list(self.history), "best_val_loss": self.best_val_loss,
            "best_epoch": self.best_epoch, "best_state": self.best_state,
            "bad_epochs": self.bad_epochs, "stopped_early": self.stopped_early,
            "classes": list(self.train_data.classes),
        }  # fmt: skip

    def load_state_dict(self, state: dict[str, Any], weights_only: bool = False) -> None:
        """Put a checkpoint's state (:meth:`state_dict`, read back) into this trainer.

        ``weights_only=True`` restores only the weights, for evaluation: those of
        :func:`~backprop_book.torch_nn.checkpoint.final_weights` (:attr:`restored_epoch`
        says which epoch when it is the best one).  Otherwise every piece of state is
        restored, so that :meth:`fit` continues where the run stopped.

        Raises
        ------
        ValueError
            If the checkpoint holds another model (name, arguments or shapes).
        """
        ours = (self.config.model, dict(self.config.model_args))
        if (state["model_name"], state["model_args"]) != ours:
            raise ValueError(
                f"the checkpoint holds model {state['model_name']!r} {state['model_args']} "
                f"({state['model_class']}), but this run builds {ours[0]!r} {ours[1]}"
            )
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as e:
            raise ValueError(
                f"the checkpoint's weights do not fit {state['model_class']}: {e}"
            ) from e
        if weights_only:
            weights, epoch = ckpt_io.final_weights(state)
            if weights is not state["model"]:
                self.model.load_state_dict(weights)
                self.restored_epoch = epoch
            return
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.model_rng.set_states(state["rng"])
        self.data_generator.set_state(state["rng"]["data"])
        self.epoch, self.history = int(state["epoch"]), list(state["history"])
        self.best_val_loss = float(state["best_val_loss"])
        self.best_epoch = int(state.get("best_epoch", 0))
        best = state.get("best_state") or {}
        self.best_state = {k: v.to(self.device) for k, v in best.items()} or None
        self.bad_epochs, self.stopped_early = int(state["bad_epochs"]), bool(state["stopped_early"])

    def save_checkpoint(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`state_dict` to ``path`` atomically."""
        return ckpt_io.save_checkpoint(self.state_dict(), path)

    @classmethod
    def from_checkpoint(
        cls, path: str | os.PathLike[str], data: Data | None = None, **overrides: Any
    ) -> Trainer:
        """A trainer rebuilt from a checkpoint's config (``overrides`` replace fields), restored."""
        ckpt = ckpt_io.load_checkpoint(path)
        trainer = cls(TrainConfig.from_dict({**ckpt["config"], **overrides}), data=data)
        trainer.load_state_dict(ckpt)
        return trainer


class TrainingDiverged(RuntimeError):
    """The training loss became NaN or infinite (raised by ``fit(stop_on_nonfinite=True)``)."""
