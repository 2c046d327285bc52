"""One trainer for every Part IV experiment: training loop, checkpoints, DDP.

* :class:`~backprop_book.torch_nn.config.TrainConfig` (in
  :mod:`~backprop_book.torch_nn.config`) says what to run;
* :class:`Trainer` -- device chosen once (CUDA, MPS, CPU), seeded, mixed precision
  on CUDA, per-epoch history, early stopping on validation loss, learning-rate
  schedules, evaluation with per-class accuracy and confusion matrix;
* checkpoints hold every piece of state (model, optimizer, scheduler, scaler, RNG
  states, history), are written atomically and read back with
  ``torch.load(..., weights_only=True)``; a run stopped after epoch ``k`` and
  resumed gives bit-identical weights on CPU;
* started by ``torchrun``, the trainer wraps the model in
  :class:`~torch.nn.parallel.DistributedDataParallel` and deals each global batch
  out to the processes, so ``P`` processes compute the same update as one process.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm import tqdm

from backprop_book._io import atomic_path
from backprop_book.runtime import git_commit
from backprop_book.torch_nn.config import TrainConfig
from backprop_book.torch_nn.data import (
    CIFAR10_MEAN,
    CIFAR10_STD,
    ImageTensors,
    Normalizer,
    batch_indices,
    load_data,
    n_batches,
    random_crop_flip,
)
from backprop_book.torch_nn.models import build_model, count_parameters
from backprop_book.torch_nn.threads import configure_threads

__all__ = [
    "CHECKPOINT_FORMAT",
    "Evaluation",
    "Trainer",
    "load_checkpoint",
    "resolve_device",
]

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "backprop_book.torch_nn.checkpoint/1"


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
            raise ValueError(
                f"device {name!r} was asked for, but torch sees no CUDA GPU on this machine"
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s)")
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"device {name!r} was asked for, but MPS is not available here")
    return dev


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


def _dist_setup(device_name: str) -> tuple[int, int]:
    """Join the torchrun process group if this process was started by torchrun."""
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    if not dist.is_initialized():
        use_nccl = torch.cuda.is_available() and device_name != "cpu"
        dist.init_process_group(backend="nccl" if use_nccl else "gloo")
    return dist.get_rank(), dist.get_world_size()


class Trainer:
    """Train and evaluate one model as :class:`TrainConfig` says.

    Parameters
    ----------
    config
        The run's settings.
    data
        ``(train, validation or None, test)`` tensors; loaded from
        ``config.data`` when ``None``.

    Examples
    --------
    >>> cfg = TrainConfig(model="mlp", model_args={"hidden_sizes": [8]}, data="fake",
    ...                   max_train=64, max_test=32, batch_size=16, epochs=1, device="cpu")
    >>> t = Trainer(cfg)
    >>> hist = t.fit()
    >>> len(hist), sorted(hist[0])  # doctest: +NORMALIZE_WHITESPACE
    (1, ['epoch', 'git_commit', 'lr', 'test_acc', 'test_loss', 'threads', 'time_s',
         'train_acc', 'train_loss', 'val_acc', 'val_loss'])
    """

    def __init__(
        self,
        config: TrainConfig,
        data: tuple[ImageTensors, ImageTensors | None, ImageTensors] | None = None,
    ):
        if not isinstance(config, TrainConfig):
            raise TypeError(f"expected a TrainConfig, got {type(config).__name__}")
        self.config = config
        self.rank, self.world_size = _dist_setup(config.device)
        self.device = resolve_device(config.device)
        if self.device.type == "cuda" and self.world_size > 1:
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
            torch.cuda.set_device(self.device)
        self.use_amp = bool(config.amp and self.device.type == "cuda")
        torch.manual_seed(config.seed)
        self.model = build_model(config.model, **config.model_args).to(self.device)
        self.data_generator = torch.Generator().manual_seed(config.seed + 1)
        if data is None:
            data = load_data(
                config.data,
                max_train=config.max_train,
                max_test=config.max_test,
                val_size=config.val_size,
                seed=config.seed,
                grayscale=config.grayscale,
                root=config.data_root,
            )
        train, val, test = data
        channels = self.model.input_shape[0]
        for nm, d in (("training", train), ("validation", val), ("test", test)):
            if d is not None and tuple(d.images.shape[1:]) != tuple(self.model.input_shape):
                raise ValueError(
                    f"{config.model} expects images of shape {self.model.input_shape}, "
                    f"the {nm} data has {tuple(d.images.shape[1:])} (grayscale={config.grayscale})"
                )
        self.train_data = train.to(self.device)
        self.val_data = val.to(self.device) if val is not None else None
        self.test_data = test.to(self.device)
        if config.normalization == "tutorial":
            self.mean: tuple[float, ...] | None = (0.5,) * channels
            self.std: tuple[float, ...] | None = (0.5,) * channels
        elif config.normalization == "cifar":
            self.mean, self.std = CIFAR10_MEAN, CIFAR10_STD
        else:
            self.mean = self.std = None
        self.normalizer = Normalizer(self.mean, self.std, channels, self.device)
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = self._make_optimizer()
        self.scheduler = self._make_scheduler()
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.use_amp)
        #: how ``config.threads="auto"`` chose the CPU thread count (None otherwise)
        self.thread_choice = configure_threads(self)
        self.net: nn.Module = self.model
        if self.world_size > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = DDP(self.model, device_ids=ids)
        #: the code that trains this process's epochs (recorded in every epoch's history)
        self.code_commit = git_commit()
        self.epoch = 0
        self.history: list[dict[str, Any]] = []
        self.best_val_loss = math.inf
        self.bad_epochs = 0
        self.stopped_early = False
        #: weights of the epoch with the lowest validation loss (with ``restore_best``)
        self.best_state: dict[str, torch.Tensor] | None = None
        self.best_epoch = 0
        #: the epoch whose weights the model holds after :meth:`fit` restored the best
        self.restored_epoch: int | None = None

    # ------------------------------------------------------------------ building blocks
    def _make_optimizer(self) -> torch.optim.Optimizer:
        c, params = self.config, self.model.parameters()
        # PyTorch picks the multi-tensor ("foreach") update by itself only on CUDA; on
        # the CPU one call per parameter list instead of one per tensor saves ~30
        # dispatches a step, which is most of the optimizer's time on small models.
        fe = True if self.device.type == "cpu" else None
        if c.optimizer == "sgd":
            return torch.optim.SGD(
                params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay, foreach=fe
            )
        if c.optimizer == "adam":
            return torch.optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay, foreach=fe)
        if c.optimizer == "rmsprop":
            return torch.optim.RMSprop(
                params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay, foreach=fe
            )
        return torch.optim.Adadelta(params, lr=c.lr, weight_decay=c.weight_decay, foreach=fe)

    def _make_scheduler(self) -> torch.optim.lr_scheduler.LRScheduler | None:
        c = self.config
        if c.schedule == "step":
            return torch.optim.lr_scheduler.StepLR(self.optimizer, c.step_size, c.gamma)
        if c.schedule == "exponential":
            return torch.optim.lr_scheduler.ExponentialLR(self.optimizer, c.gamma)
        if c.schedule == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, c.epochs)
        return None

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
    ) -> list[dict[str, Any]]:
        """Train up to ``epochs`` (default ``config.epochs``) epochs in total.

        Continues from :attr:`epoch` (so after :meth:`load_state` it resumes).
        ``checkpoint`` is written (atomically, rank 0 only) after every epoch;
        ``stop_after`` stops after that epoch number, as an interruption would.
        With ``config.restore_best``, a finished run (all epochs, or stopped early)
        ends holding the weights of its epoch with the lowest validation loss
        (:attr:`restored_epoch`); the history still describes every epoch trained.
        Returns the history: one dict per epoch with ``train_loss``, ``train_acc``
        (running values over the epoch), ``val_loss``, ``val_acc``, ``test_loss``,
        ``test_acc`` (``None`` where not measured), ``lr``, ``time_s`` and
        ``git_commit`` (the code that trained the epoch, so that a run resumed under
        other code says so).
        """
        last = self.config.epochs if epochs is None else epochs
        while self.epoch < last and not self.stopped_early:
            if stop_after is not None and self.epoch >= stop_after:
                break
            t0 = time.perf_counter()
            lr = self.lr
            train_loss, train_acc = self.train_epoch()
            if self.world_size > 1:
                train_loss, train_acc = self._all_mean(train_loss, train_acc)
            self.epoch += 1
            rec: dict[str, Any] = {
                "epoch": self.epoch,
                "train_loss": train_loss,
                "train_acc": train_acc,
                "val_loss": None,
                "val_acc": None,
                "test_loss": None,
                "test_acc": None,
                "lr": lr,
                "git_commit": self.code_commit,
                "threads": torch.get_num_threads(),
            }
            if self.val_data is not None:
                ev = self.evaluate(self.val_data)
                rec["val_loss"], rec["val_acc"] = ev.loss, ev.accuracy
            if self.config.track_test or self.epoch == last:
                ev = self.evaluate(self.test_data)
                rec["test_loss"], rec["test_acc"] = ev.loss, ev.accuracy
            if self.scheduler is not None:
                self.scheduler.step()
            rec["time_s"] = time.perf_counter() - t0
            self.history.append(rec)
            log.info("epoch %d: %s", self.epoch, rec)
            if rec["val_loss"] is not None:
                if rec["val_loss"] < self.best_val_loss:
                    self.best_val_loss, self.bad_epochs = rec["val_loss"], 0
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
            if checkpoint is not None and self.rank == 0:
                self.save_checkpoint(checkpoint)
        finished = self.epoch >= last or self.stopped_early
        if finished and self.config.restore_best and self.best_state is not None:
            self.model.load_state_dict(self.best_state)
            self.restored_epoch = self.best_epoch
            log.info("restored the weights of epoch %d (validation loss %.4f)",
                     self.best_epoch, self.best_val_loss)  # fmt: skip
        return self.history

    def _all_mean(self, *values: float) -> tuple[float, ...]:
        import torch.distributed as dist

        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return tuple((t / self.world_size).tolist())

    # ------------------------------------------------------------------ checkpoints
    def state(self) -> dict[str, Any]:
        """Every piece of training state, as tensors and plain values."""
        rng: dict[str, Any] = {
            "torch": torch.get_rng_state(),
            "data": self.data_generator.get_state(),
        }
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        return {
            "format": CHECKPOINT_FORMAT,
            "model_name": self.config.model,
            "model_class": type(self.model).__name__,
            "model_args": dict(self.config.model_args),
            "num_parameters": count_parameters(self.model),
            "config": self.config.to_dict(),
            "epoch": self.epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "scaler": self.scaler.state_dict(),
            "rng": rng,
            "history": list(self.history),
            "best_val_loss": self.best_val_loss,
            "best_epoch": self.best_epoch,
            "best_state": self.best_state,
            "bad_epochs": self.bad_epochs,
            "stopped_early": self.stopped_early,
            "classes": list(self.train_data.classes),
        }

    def save_checkpoint(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`state` to ``path`` atomically."""
        with atomic_path(path) as tmp:
            torch.save(self.state(), tmp)
        return Path(path)

    def load_state(self, ckpt: dict[str, Any], weights_only: bool = False) -> None:
        """Restore a checkpoint (from :func:`load_checkpoint`) into this trainer.

        ``weights_only=True`` restores only the model weights (for evaluation): those
        of the best epoch when the run was finished with ``restore_best``, else the
        last epoch's.

        Raises
        ------
        ValueError
            If the checkpoint holds another model (name, arguments or shapes).
        """
        if (ckpt["model_name"], ckpt["model_args"]) != (
            self.config.model,
            dict(self.config.model_args),
        ):
            raise ValueError(
                f"the checkpoint holds model {ckpt['model_name']!r} {ckpt['model_args']} "
                f"({ckpt['model_class']}), but this run builds {self.config.model!r} "
                f"{dict(self.config.model_args)}"
            )
        try:
            self.model.load_state_dict(ckpt["model"])
        except RuntimeError as exc:
            raise ValueError(
                f"the checkpoint's weights do not fit {ckpt['model_class']}: {exc}"
            ) from exc
        if weights_only:
            cfg = ckpt["config"]
            finished = int(ckpt["epoch"]) >= int(cfg["epochs"]) or bool(ckpt["stopped_early"])
            if cfg.get("restore_best") and ckpt.get("best_state") is not None and finished:
                self.model.load_state_dict(ckpt["best_state"])
                self.restored_epoch = int(ckpt["best_epoch"])
            return
        self.optimizer.load_state_dict(ckpt["optimizer"])
        if self.scheduler is not None and ckpt["scheduler"] is not None:
            self.scheduler.load_state_dict(ckpt["scheduler"])
        self.scaler.load_state_dict(ckpt["scaler"])
        torch.set_rng_state(ckpt["rng"]["torch"])
        self.data_generator.set_state(ckpt["rng"]["data"])
        if self.device.type == "cuda" and "cuda" in ckpt["rng"]:
            torch.cuda.set_rng_state(ckpt["rng"]["cuda"], self.device)
        self.epoch = int(ckpt["epoch"])
        self.history = list(ckpt["history"])
        self.best_val_loss = float(ckpt["best_val_loss"])
        self.best_epoch = int(ckpt.get("best_epoch", 0))
        self.best_state = ckpt.get("best_state")
        if self.best_state is not None:
            self.best_state = {k: v.to(self.device) for k, v in self.best_state.items()}
        self.bad_epochs = int(ckpt["bad_epochs"])
        self.stopped_early = bool(ckpt["stopped_early"])

    @classmethod
    def from_checkpoint(
        cls,
        path: str | os.PathLike[str],
        data: tuple[ImageTensors, ImageTensors | None, ImageTensors] | None = None,
        **overrides: Any,
    ) -> Trainer:
        """A trainer rebuilt from a checkpoint's config (``overrides`` replace fields), restored."""
        ckpt = load_checkpoint(path)
        values = dict(ckpt["config"])
        values.update(overrides)
        trainer = cls(TrainConfig.from_dict(values), data=data)
        trainer.load_state(ckpt)
        return trainer


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint written by :meth:`Trainer.save_checkpoint` with ``weights_only=True``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a backprop_book checkpoint.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no checkpoint at {p}")
    try:
        ckpt = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for foreign files
        raise ValueError(f"{p} is not a readable torch checkpoint: {exc}") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        found = ckpt.get("format") if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ValueError(
            f"{p} is not a backprop_book checkpoint: "
            f"expected format {CHECKPOINT_FORMAT!r}, got {found!r}"
        )
    return ckpt
