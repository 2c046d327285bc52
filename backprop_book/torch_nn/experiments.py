"""The reports' PyTorch studies as functions, sized by profile.

Each study returns plain data (a dict with one row per run: the settings, the
history, the test accuracy) so that chapters tabulate and plot it and the book's
runner records it.  Under ``quick`` the runs use seeded CIFAR-10 subsets and few
epochs (the chapters say so next to every table); under ``full`` they use the
reports' own settings, which need a GPU or hours of CPU.  Each study is registered
as ``part4/<name>``; record a full run with::

    backprop-book reproduce part4/tutorial_optimizers --profile full --record

which writes ``docs/results/part4/<name>.json`` with provenance and checkpoints
every run under ``~/.cache/backprop_book/runs/part4/<name>/`` as it goes.
"""

from __future__ import annotations

import functools
import math
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from backprop_book.data.cifar10 import load_cifar10
from backprop_book.data.jpeg import estimate_quality, jpeg_sampling
from backprop_book.profiles import Profile, Sizes, get_profile, pick
from backprop_book.records import load_record, reproduce_command
from backprop_book.studies import StudyHooks, register, study
from backprop_book.torch_nn.config import OPTIMIZERS, RESULT_NEUTRAL, TrainConfig
from backprop_book.torch_nn.data import (
    ImageTensors,
    d_transforms,
    extract_image_folder,
    image_folder_tensors,
    load_data,
    normalization_constants,
    normalize,
)
from backprop_book.torch_nn.jpeg_shift import generation_cost
from backprop_book.torch_nn.models import build_model, count_parameters
from backprop_book.torch_nn.trainer import Trainer

__all__ = [
    "A_BATCHES",
    "SAMPLE_SIZE",
    "Sizes",
    "a_cnn_studies",
    "a_cnn_studies_b32",
    "a_conv3_pool3",
    "a_fc_depth",
    "alexnet_study",
    "b_collapse_diagnosis",
    "b_mlps",
    "d_grid",
    "d_grid_table",
    "d_preprocessing",
    "d_softmax_floor",
    "gradient_norms",
    "lenet5_run",
    "recorded",
    "run_one",
    "sample_figure",
    "seed_spread_lines",
    "softmax_loss_floor",
    "tutorial_optimizers",
]

Data = tuple[ImageTensors, ImageTensors | None, ImageTensors]

#: Test images whose predictions every run keeps (seeded; for the twenty-image figures).
SAMPLE_SIZE = 20


def run_one(
    tensors: Data,
    /,
    *,
    checkpoint_dir: str | Path | None = None,
    name: str = "run",
    **config: Any,
) -> dict[str, Any]:
    """Train one configuration on ``tensors`` and return settings, history and test evaluation.

    ``config`` holds :class:`~backprop_book.torch_nn.config.TrainConfig` fields.
    With ``checkpoint_dir`` the run checkpoints after every epoch to
    ``<checkpoint_dir>/<name>.pt`` and resumes from it if present.  ``wall_time_s``
    is this call's time, ``train_time_s`` the sum of the epochs' times (over every
    resumed part), and ``sample`` the predictions on :data:`SAMPLE_SIZE` seeded test
    images (indices into the test set the run used).  ``train_acc`` is the running
    accuracy over the last epoch (the model changes while it is measured);
    ``train_eval_acc`` evaluates the final model on the training images.

    >>> d = load_data("fake", max_train=64, max_test=32)
    >>> r = run_one(d, model="mlp", model_args={"hidden_sizes": [8]}, batch_size=16, epochs=1,
    ...             device="cpu", data="fake")
    >>> len(r["history"]), 0.0 <= r["test_acc"] <= 1.0, r["num_parameters"]
    (1, True, 24674)
    """
    cfg = TrainConfig(**config)
    ckpt = None
    if checkpoint_dir is not None:
        ckpt = Path(checkpoint_dir) / f"{name}.pt"
        ckpt.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if ckpt is not None and ckpt.is_file():
        trainer = Trainer.from_checkpoint(ckpt, data=tensors)
    else:
        trainer = Trainer(cfg, data=tensors)
    trainer.fit(checkpoint=ckpt, stop_on_nonfinite=False)  # a diverging run is a result
    ev = trainer.evaluate()
    ev_train = trainer.evaluate(trainer.train_data)
    test = trainer.test_data
    sample = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))[:SAMPLE_SIZE]
    trainer.model.eval()
    with torch.no_grad():
        idx = sample.to(test.images.device)
        pred = trainer.model(trainer.prepare(test.images[idx], train=False)).argmax(1)
    return {
        "name": name,
        "config": cfg.to_dict(),
        "num_parameters": count_parameters(trainer.model),
        "history": trainer.history,
        "test_acc": ev.accuracy,
        "test_loss": ev.loss,
        "per_class": ev.per_class,
        "confusion": ev.confusion,
        "classes": list(ev.classes),
        "train_acc": trainer.history[-1]["train_acc"],
        "train_eval_acc": ev_train.accuracy,
        "train_eval_loss": ev_train.loss,
        "epochs_done": trainer.epoch,
        "stopped_early": trainer.stopped_early,
        "device": str(trainer.device),
        "wall_time_s": time.perf_counter() - t0,
        "train_time_s": float(sum(h["time_s"] for h in trainer.history)),
        "sample": {
            "test_indices": sample.tolist(),
            "labels": test.labels[idx].cpu().tolist(),
            "predicted": pred.cpu().tolist(),
        },
        "model": trainer.model if checkpoint_dir is None else None,
    }


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "model"}


def _load(sizes: Sizes, seed: int = 0, grayscale: bool = False) -> Data:
    return load_data(
        "cifar10",
        max_train=sizes.max_train,
        max_test=sizes.max_test,
        val_size=sizes.val_size,
        seed=seed,
        grayscale=grayscale,
    )


def same_run(row: Mapping[str, Any], config: TrainConfig) -> bool:
    """Whether a recorded ``row`` is a finished run of ``config``.

    Its settings must equal ``config``'s in every field but those that do not change
    a run's numbers (:data:`~backprop_book.torch_nn.config.RESULT_NEUTRAL`: the
    thread count, the progress bars, the flushing of denormals), and it must have
    trained every epoch (or stopped early).

    >>> cfg = TrainConfig(model="mlp", epochs=2, data="fake")
    >>> row = {"config": {**cfg.to_dict(), "threads": 1}, "epochs_done": 2}
    >>> same_run(row, cfg), same_run({**row, "epochs_done": 1}, cfg)
    (True, False)
    >>> same_run(row, TrainConfig(model="mlp", epochs=2, data="fake", lr=0.1))
    False
    """
    try:
        old = TrainConfig.from_dict(dict(row.get("config") or {})).to_dict()
    except (TypeError, ValueError):
        return False
    new = config.to_dict()
    for key in RESULT_NEUTRAL:
        old.pop(key, None)
        new.pop(key, None)
    done = row.get("epochs_done") == config.epochs or bool(row.get("stopped_early"))
    return old == new and done


def _study(
    runs: Sequence[tuple[str, dict[str, Any]]],
    data: Data,
    sizes: Sizes,
    profile: Profile,
    checkpoint_dir: str | Path | None,
    keep_models: bool = False,
    seed: int = 0,
    hooks: StudyHooks | None = None,
) -> dict[str, Any]:
    """Run ``runs`` in order; with ``hooks``, take recorded runs and report each finished one.

    With ``hooks.only`` the runs it does not name are taken from the record (re-read
    before every report, so that runs another process records meanwhile are taken)
    or listed under ``pending_runs``.  With ``hooks.subset`` (a seed that holds only
    some runs) the runs it does not name are left out altogether.
    """
    names = [name for name, _ in runs]
    if hooks is not None:
        hooks.check_names(names)
        names = [n for n in names if hooks.holds(n)]
    configs: dict[str, dict[str, Any]] = {}
    for name, kw in runs:
        # the row keeps how many images it saw (the subsets and split keep data seed 0)
        configs[name] = {"epochs": sizes.epochs, "device": "auto", "seed": seed,
                         "max_train": sizes.max_train, "max_test": sizes.max_test,
                         "val_size": sizes.val_size, **kw}  # fmt: skip
    done: dict[str, dict[str, Any]] = {}

    def take(name: str) -> dict[str, Any] | None:
        if hooks is None:
            return None
        same = functools.partial(same_run, config=TrainConfig(**configs[name]))
        return hooks.take(name, same)

    def result() -> dict[str, Any]:
        for name in names:  # runs recorded meanwhile (by another process) join in
            if name not in done and (row := take(name)) is not None:
                done[name] = _strip(row)
        rows = [done[n] for n in names if n in done]
        pending = [n for n in names if n not in done]
        out = {
            "profile": profile.value,
            "sizes": sizes.describe(),
            "max_test": sizes.max_test,
            "data_source": data[0].source,
            "device": rows[0]["device"] if rows else "cpu",
            "runs": [_strip(r) for r in rows] if hooks is not None else rows,
        }
        if pending:
            out["pending_runs"] = pending
        return out

    for name in names:
        if name in done:
            continue
        row = take(name)
        if row is None and hooks is not None and not hooks.trains(name):
            continue  # left to another call (``only``)
        if row is None:
            row = run_one(data, checkpoint_dir=checkpoint_dir, name=name, **configs[name])
        done[name] = row if keep_models else _strip(row)
        if hooks is not None:
            hooks.finished(result())
    out = result()
    if hooks is not None:
        hooks.finished(out)  # the record gets what others recorded meanwhile
    return out


# ----------------------------------------------------------------------------- C Q10 / tutorial

TUTORIAL = {"model": "tutorial_cnn", "batch_size": 4, "lr": 0.001, "momentum": 0.9}


@study("part4/tutorial_optimizers")
def tutorial_optimizers(
    profile: str | Profile | None = None,
    checkpoint_dir: str | Path | None = None,
    seed: int = 0,
    hooks: StudyHooks | None = None,
) -> dict[str, Any]:
    """C's Q10: the tutorial CNN with SGD, Adam, Adam at lr 0.1 (2 epochs) and Adam for 5 epochs.

    Reports: SGD 55%, Adam 52%, Adam lr 0.1 10% (no learning), Adam 5 epochs 59%.
    """
    p = get_profile(profile)
    sizes = pick(Sizes(1500, 500, 2), Sizes(None, None, 2), p)
    long = pick(3, 5, p)
    runs = [
        ("sgd", {**TUTORIAL, "optimizer": "sgd"}),
        ("adam", {**TUTORIAL, "optimizer": "adam"}),
        ("adam_lr0.1", {**TUTORIAL, "optimizer": "adam", "lr": 0.1}),
        (f"adam_{long}_epochs", {**TUTORIAL, "optimizer": "adam", "epochs": long}),
    ]
    return _study(runs, _load(sizes), sizes, p, checkpoint_dir, seed=seed, hooks=hooks)


# ----------------------------------------------------------------------------- A


@study("part4/a_fc_depth")
def a_fc_depth(
    profile: str | Profile | None = None,
    checkpoint_dir: str | Path | None = None,
    seed: int = 0,
    hooks: StudyHooks | None = None,
) -> dict[str, Any]:
    """A's fully connected nets with 2-5 linear layers (tutorial settings, 10 epochs in full).

    Report A's figures for them are in :data:`backprop_book.reports.a.TABLE2`.
    """
    p = get_profile(profile)
    sizes = pick(Sizes(2000, 1000, 2), Sizes(None, None, 10), p)
    runs = [
        (f"fc{k}", {**TUTORIAL, "model": "fc", "model_args": {"n_linear": k}}) for k in (2, 3, 4, 5)
    ]
    return _study(runs, _load(sizes), sizes, p, checkpoint_dir, seed=seed, hooks=hooks)


@study("part4/a_cnn_studies")
def a_cnn_studies(
    profile: str | Profile | None = None,
    checkpoint_dir: str | Path | None = None,
    keep_models: bool = False,
    seed: int = 0,
    hooks: StudyHooks | None = None,
) -> dict[str, Any]:
    """A's CNN studies: activation, learning rate, number of conv layers, double channels.

    The base run (ReLU, lr 0.001, 2 conv layers) is shared by the three studies.
    """
    p = get_profile(profile)
    sizes = pick(Sizes(3000, 1000, 2), Sizes(None, None, 10), p)
    base = {**TUTORIAL, "model": "cnn"}
    runs = [
        ("relu_lr0.001_conv2", {**base, "model_args": {"activation": "relu", "n_conv": 2}}),
        ("leaky_relu", {**base, "model_args": {"activation": "leaky_relu"}}),
        ("tanh", {**base, "model_args": {"activation": "tanh"}}),
        ("lr0.0005", {**base, "lr": 0.0005}),
        ("lr0.01", {**base, "lr": 0.01}),
        ("conv1", {**base, "model_args": {"n_conv": 1}}),
        ("conv3", {**base, "model_args": {"n_conv": 3}}),
        ("double_channels", {**TUTORIAL, "model": "double_channel_cnn"}),
    ]
    return _study(runs, _load(sizes), sizes, p, checkpoint_dir, keep_models, seed=seed, hooks=hooks)


@study("part4/a_cnn_studies_b32")
def a_cnn_studies_b32(
    profile: str | Profile | None = None,
    checkpoint_dir: str | Path | None = None,
    seed: int = 0,
    only: Sequence[str] | None = None,
    hooks: StudyHooks | None = None,
) -> dict[str, Any]:
    """A's CNN studies under the second reading of A's batch size: 32 images per step.

    A never states its CNN batch size.  The tutorial it follows uses 4 (that reading
    is :func:`a_cnn_studies`), but A's Figure 3 caption reads "32 batches" and its
    tabled losses are a per-example cross-entropy (the mean loss divided by 32).
    Every other setting is the tutorial's (SGD, momentum 0.9, lr 0.001 unless the
    study varies it, 10 epochs in ``full``), with the run names of
    :func:`a_cnn_studies`; ``only`` keeps some of them (e.g. the runs whose
    checkpoints are finished).  The runs are ordered so that those A's conclusions
    turn on come first.

    >>> a_cnn_studies_b32("quick", only=["relu", "lr0.01"])
    Traceback (most recent call last):
    ...
    ValueError: unknown runs ['relu']; expected some of ['relu_lr0.001_conv2', 'lr0.01', 'tanh', 'conv3', 'lr0.0005', 'leaky_relu', 'conv1', 'double_channels']
    """
    p = get_profile(profile)
    sizes = pick(Sizes(3000, 1000, 2), Sizes(None, None, 10), p)
    base = {**TUTORIAL, "model": "cnn", "batch_size": 32}
    runs = [
        ("relu_lr0.001_conv2", {**base, "model_args": {"activation": "relu", "n_conv": 2}}),
        ("lr0.01", {**base, "lr": 0.01}),
        ("tanh", {**base, "model_args": {"activation": "tanh"}}),
        ("conv3", {**base, "model_args": {"n_conv": 3}}),
        ("lr0.0005", {**base, "lr": 0.0005}),
        ("leaky_relu", {**base, "model_args": {"activation": "leaky_relu"}}),
        ("conv1", {**base, "model_args": {"n_conv": 1}}),
        ("double_channels", {**base, "model": "double_channel_cnn"}),
    ]
    if only is not None:
        unknown = sorted(set(only) - {n for n, _ in runs})
        if unknown:
            raise ValueError(f"unknown runs {unknown}; expected some of {[n for n, _ in runs]}")
        runs = [(n, kw) for n, kw in runs if n in only]
    return _study(runs, _load(sizes), sizes, p, checkpoint_dir, seed=seed, hooks=hooks)


#: The two readings of A's CNN batch size, as run names of :func:`a_conv3_pool3`.
A_BATCHES = {"batch4": 4, "batch32": 32}


@study("part4/a_conv3_pool3")
def a_conv3_pool3(
    profile: str | Profile | None = None,
    checkpoint_dir: str | Path | None = None,
    seed: int = 0,
    hooks: StudyHooks | None = None,
) -> dict[str, Any]:
    """A's three-conv net in the layout its Net2 listing points to, at batch 4 and batch 32.

    A gives no listing of its three-conv net; its Net2 listing (Figure 6) feeds
    ``32 * 4 * 4`` features to ``fc1``, the size after three conv-and-pool stages
    (:class:`~backprop_book.torch_nn.models.ConvNet` with ``n_conv=3,
    layout="pool3"``).  The book's own three-conv net (the run ``conv3`` of
    :func:`a_cnn_studies` and :func:`a_cnn_studies_b32`) is the other reading of the
    layout.  This study trains the three-pooling net under both readings of A's
    batch size (runs ``batch4``, the tutorial's, and ``batch32``, Figure 3's "32
    batches"), with every other setting of those studies: the tutorial's SGD, lr
    0.001, momentum 0.9, 10 epochs in ``full``.  It is a study of its own so that
    the records of the two studies stay as they are.

    >>> [n for n in A_BATCHES]
    ['batch4', 'batch32']
    """
    p = get_profile(profile)
    sizes = pick(Sizes(3000, 1000, 2), Sizes(None, None, 10), p)
    base = {**TUTORIAL, "model": "cnn", "model_args": {"n_conv": 3, "layout": "pool3"}}
    runs = [(name, {**base, "batch_size": b}) for name, b in A_BATCHES.items()]
    return _study(runs, _load(sizes), sizes, p, checkpoint_dir, seed=seed, hooks=hooks)


# ----------------------------------------------------------------------------- B

B_MODELS: tuple[tuple[int, ...], ...] = (
    (50,),
    (30,),
    (70,),
    (50, 70),
    (70, 70),
    (50, 70, 50),
    (50, 70, 70, 50),
)


@study("part4/b_mlps")
def b_mlps(
    profile: str | Profile | None = None,
    checkpoint_dir: str | Path | None = None,
    init_std: float | None = None,
    seed: int = 0,
    hooks: StudyHooks | None = None,
) -> dict[str, Any]:
    """B's Q4: seven torch MLPs, batch 100, 10 epochs, 49,000 train / 1,000 validation.

    ``init_std=1e-4`` draws the weights as the NumPy exercise does (``std * randn``).
    The rows' ``history`` holds the validation accuracy per epoch.
    """
    p = get_profile(profile)
    sizes = pick(Sizes(2000, 500, 3, val_size=500), Sizes(None, 1000, 10, val_size=1000), p)
    runs = []
    for h in B_MODELS:
        args: dict[str, Any] = {"hidden_sizes": list(h)}
        if init_std is not None:
            args["init_std"] = init_std
        name = "mlp_" + "_".join(map(str, h)) + ("" if init_std is None else f"_std{init_std:g}")
        runs.append(
            (
                name,
                {
                    "model": "mlp",
                    "model_args": args,
                    "batch_size": 100,
                    "lr": 1e-3,
                    "optimizer": "adam",
                },
            )
        )
    return _study(runs, _load(sizes), sizes, p, checkpoint_dir, seed=seed, hooks=hooks)


def gradient_norms(
    model: torch.nn.Module, data: ImageTensors, n: int = 200, seed: int = 0
) -> list[float]:
    """Norm of the loss gradient with respect to each linear layer's weight ``W``, input to output.

    :math:`\\|\\partial L / \\partial W_l\\|_F` for the mean cross-entropy over ``n`` images
    (normalised as the tutorial does).

    >>> from backprop_book.torch_nn.models import MLP
    >>> from backprop_book.torch_nn.data import fake_cifar10
    >>> torch.manual_seed(0) and None
    >>> g = gradient_norms(MLP([50, 70, 50], init_std=1e-4), fake_cifar10(20), n=20)
    >>> len(g), max(g) < 1e-8  # below Adam's eps: no layer moves
    (4, True)
    >>> min(gradient_norms(MLP([50, 70, 50]), fake_cifar10(20), n=20)) > 1e-3
    True
    """
    model.zero_grad(set_to_none=True)
    x = normalize(data.images[:n], *normalization_constants("tutorial", data.images.shape[1]))
    loss = torch.nn.functional.cross_entropy(model(x), data.labels[:n])
    loss.backward()
    return [float(m.weight.grad.norm()) for m in model.modules() if isinstance(m, torch.nn.Linear)]  # type: ignore[union-attr]


def b_collapse_diagnosis(profile: str | Profile | None = None) -> dict[str, Any]:
    """Why B's 4- and 5-layer MLPs sit at chance: gradient norms and predictions at init.

    Compares the exercise's ``std = 1e-4`` Gaussian init with PyTorch's default
    for every B model: per-layer gradient norms, and after a short training run
    the number of distinct classes the model predicts and its accuracy.
    """
    p = get_profile(profile)
    sizes = pick(Sizes(2000, 500, 3, val_size=500), Sizes(None, 1000, 10, val_size=1000), p)
    data = _load(sizes)
    rows = []
    for init in (1e-4, None):
        for h in B_MODELS[3:]:
            torch.manual_seed(0)
            m = build_model("mlp", hidden_sizes=list(h), init_std=init)
            norms = gradient_norms(m, data[0])
            args: dict[str, Any] = {"hidden_sizes": list(h)}
            if init is not None:
                args["init_std"] = init
            r = run_one(
                data, model="mlp", model_args=args, batch_size=100, lr=1e-3, optimizer="adam",
                epochs=sizes.epochs, device="auto", val_size=0,
            )  # fmt: skip
            model = r.pop("model")
            with torch.no_grad():
                x = normalize(data[2].images.to(r["device"]), *normalization_constants("tutorial"))
                pred = model(x).argmax(1).cpu()
            rows.append(
                {
                    "hidden": list(h),
                    "init": "std 1e-4 Gaussian" if init else "PyTorch default",
                    "grad_norms": norms,
                    "distinct_predictions": int(pred.unique().numel()),
                    "val_acc": r["history"][-1]["val_acc"],
                    "test_acc": r["test_acc"],
                    "majority_share": float(
                        torch.bincount(pred, minlength=10).max() / pred.numel()
                    ),
                }
            )
    return {
        "profile": p.value,
        "sizes": sizes.describe(),
        "data_source": data[0].source,
        "rows": rows,
    }


# ----------------------------------------------------------------------------- E AlexNet


def alexnet_runs() -> list[tuple[str, dict[str, Any]]]:
    """The runs of :func:`alexnet_study`: ``(name, TrainConfig fields)``, stated settings first.

    >>> [name for name, _ in alexnet_runs()][:3]
    ['adam_lr1e-3_b100', 'batch_norm', 'sgd']
    """
    base = {
        "model": "alexnet",
        "optimizer": "adam",
        "lr": 1e-3,
        "batch_size": 100,
        "track_test": True,
    }
    runs = [
        ("adam_lr1e-3_b100", base),
        ("batch_norm", {**base, "model_args": {"batch_norm": True}}),
        ("sgd", {**base, "optimizer": "sgd", "momentum": 0.0}),
        ("lr1e-4", {**base, "lr": 1e-4}),
        ("lr1e-5", {**base, "lr": 1e-5}),
        ("batch500", {**base, "batch_size": 500}),
        ("batch10", {**base, "batch_size": 10}),
        ("sgd_momentum0.9", {**base, "optimizer": "sgd", "momentum": 0.9}),
    ]
    return runs


@study("part4/alexnet_study")
def alexnet_study(
    profile: str | Profile | None = None,
    checkpoint_dir: str | Path | None = None,
    seed: int = 0,
    hooks: StudyHooks | None = None,
) -> dict[str, Any]:
    """E's AlexNet tuning: batch norm, optimizer, learning rate, batch size (curves per epoch).

    E tunes one setting at a time from the defaults "Epoch:10, Learning rate: 0.001,
    Batch Size: 100, Optimizer: Adam", each step keeping the best so far; every step
    kept the default, so each run changes one setting of the base run.  E's SGD run
    therefore used lr 0.001.  E does not state SGD's momentum: ``sgd`` is
    ``torch.optim.SGD``'s default (momentum 0), ``sgd_momentum0.9`` the tutorial's
    (0.9), the second reading.  Runs are ordered so that the settings E states come
    first and the second reading last.
    """
    p = get_profile(profile)
    sizes = pick(Sizes(200, 200, 2), Sizes(None, None, 10), p)
    runs = alexnet_runs()
    if p is Profile.QUICK:  # a 23M-parameter net on a CPU: keep one run per question
        runs = [r for r in runs if r[0] in ("adam_lr1e-3_b100", "batch_norm", "sgd")]
    return _study(runs, _load(sizes), sizes, p, checkpoint_dir, seed=seed, hooks=hooks)


# ----------------------------------------------------------------------------- LeNet-5


@study("part4/lenet5")
def lenet5_run(
    profile: str | Profile | None = None,
    checkpoint_dir: str | Path | None = None,
    seed: int = 0,
    hooks: StudyHooks | None = None,
) -> dict[str, Any]:
    """LeNet-5 (D's Q4 layout, full C3) on grayscale CIFAR-10, tutorial optimizer settings."""
    p = get_profile(profile)
    sizes = pick(Sizes(1500, 500, 2), Sizes(None, None, 10), p)
    runs = [("lenet5_gray", {**TUTORIAL, "model": "lenet5", "grayscale": True})]
    return _study(
        runs, _load(sizes, grayscale=True), sizes, p, checkpoint_dir, seed=seed, hooks=hooks
    )


# ----------------------------------------------------------------------------- D


def softmax_loss_floor(k: int) -> float:
    """Smallest cross-entropy when the scores are already probabilities.

    ``CrossEntropyLoss`` applied to ``p = softmax(z)`` computes
    :math:`-\\log(e^{p_y} / \\sum_j e^{p_j})`, smallest at the one-hot
    :math:`p = e_y`: :math:`\\log(e + K - 1) - 1`.

    >>> round(softmax_loss_floor(10), 4)
    1.4612
    >>> round(softmax_loss_floor(2), 4)
    0.3133
    """
    if k < 2:
        raise ValueError(f"expected at least 2 classes, got {k}")
    return math.log(math.e + k - 1) - 1


def d_softmax_floor(profile: str | Profile | None = None) -> dict[str, Any]:
    """Fit D's net, with and without the extra softmax, to a small grayscale CIFAR-10 subset.

    The net memorises the subset (training accuracy near 1), so the training loss
    shows where each version can go: towards 0 without the softmax layer, never
    below :func:`softmax_loss_floor` with it.
    """
    p = get_profile(profile)
    data = load_data("cifar10", max_train=256, max_test=100, seed=0, grayscale=True)
    rows = []
    for soft in (True, False):
        r = run_one(
            data, model="grayscale_net", model_args={"softmax_output": soft},
            optimizer="adam", lr=1e-3, batch_size=32, epochs=pick(40, 100, p), device="auto",
            grayscale=True,
        )  # fmt: skip
        r.pop("model")
        rows.append({"softmax_output": soft, **r})
    return {
        "profile": p.value,
        "floor": softmax_loss_floor(10),
        "data_source": data[0].source,
        "runs": rows,
    }


@study("part4/jpeg_shift")
def jpeg_shift(profile: str | Profile | None = None) -> dict[str, Any]:
    """What one more JPEG generation costs in test accuracy, at the copy's own quality.

    The copy's quality and chroma subsampling are read from its first test image's
    tables (:func:`backprop_book.data.jpeg.estimate_quality`), every one of the
    sampled files agreeing; :func:`backprop_book.torch_nn.jpeg_shift.generation_cost`
    then trains the tutorial network on the copy and on the copy re-encoded once
    more, three seeds each (quick: 2,000 training images, 1 epoch; full: 20,000, 2
    epochs).  The record's ``shift`` is the allowance :mod:`backprop_book.reports.stats`
    adds to every verdict on an accuracy measured on the copy.
    """
    p = get_profile(profile)
    train, test = load_cifar10("train"), load_cifar10("test")
    if train.source.kind != "image-folder":
        raise ValueError(f"expected the JPEG image-folder copy, got {train.source.describe()}")
    files = _sample_jpegs(train.source.path, 50)
    qualities = sorted({estimate_quality(b) for b in files})
    samplings = sorted({jpeg_sampling(b) for b in files})
    if len(qualities) != 1 or len(samplings) != 1:
        raise ValueError(f"the copy mixes JPEG qualities {qualities} / samplings {samplings}")
    n_train, epochs = pick((2000, 1), (20_000, 2), p)
    out = generation_cost(
        (train.images, train.labels), (test.images, test.labels), quality=qualities[0],
        subsampling=samplings[0], seeds=(0, 1, 2), n_train=n_train, epochs=epochs,
    )  # fmt: skip
    return {"profile": p.value, "device": "cpu", "data_source": train.source.describe(),
            "files_read": len(files), **out}  # fmt: skip


def _sample_jpegs(path: Path, n: int) -> list[bytes]:
    """The bytes of the first ``n`` JPEG files of an image-folder copy (archive or folder)."""
    out: list[bytes] = []
    if path.is_file():
        with tarfile.open(path) as tar:
            for m in tar:
                if m.isfile() and m.name.lower().endswith((".jpg", ".jpeg")):
                    f = tar.extractfile(m)
                    if f is not None:
                        out.append(f.read())
                if len(out) >= n:
                    break
        return out
    return [p.read_bytes() for p in sorted(path.rglob("*.jp*g"))[:n]]


#: D's grid tries each of D's four optimizers, which are the trainer's four.
D_OPTIMIZERS = OPTIMIZERS
D_LRS = (0.001, 0.01, 0.05, 0.1, 0.5)


@study("part4/d_grid")
def d_grid(
    profile: str | Profile | None = None,
    checkpoint_dir: str | Path | None = None,
    seed: int = 0,
    hooks: StudyHooks | None = None,
) -> dict[str, Any]:
    """D's optimizer x learning-rate grid, hidden units, layers and dropout, early stopping.

    On grayscale CIFAR-10 (D's own data set is not available), batch 64, tutorial
    normalisation, early stopping with patience 3 on the validation loss.
    """
    p = get_profile(profile)
    sizes = pick(Sizes(1500, 500, 3, val_size=300), Sizes(None, None, 30, val_size=5000), p)
    data = _load(sizes, grayscale=True)
    base = {"model": "grayscale_net", "batch_size": 64, "grayscale": True, "patience": 3,
            "val_size": sizes.val_size, "momentum": 0.0}  # fmt: skip
    runs = [
        (f"{o}_lr{lr:g}", {**base, "optimizer": o, "lr": lr}) for o in D_OPTIMIZERS for lr in D_LRS
    ]
    best = {**base, "optimizer": "adam", "lr": 0.001}
    runs += [(f"hidden{h}", {**best, "model_args": {"hidden": h}}) for h in (500, 1000)]
    runs += [("two_layers", {**best, "model_args": {"n_hidden": 2}})]
    runs += [("dropout0.5", {**best, "model_args": {"dropout": 0.5}})]
    return _study(runs, data, sizes, p, checkpoint_dir, seed=seed, hooks=hooks)


def d_grid_table(result: dict[str, Any]) -> list[list[float]]:
    """Test accuracy of a :func:`d_grid` result as rows ``D_OPTIMIZERS`` x columns ``D_LRS``.

    >>> runs = [{"name": f"{o}_lr{lr:g}", "test_acc": i / 20}
    ...         for i, (o, lr) in enumerate((o, lr) for o in D_OPTIMIZERS for lr in D_LRS)]
    >>> d_grid_table({"runs": runs})[1][:2]
    [0.25, 0.3]
    """
    acc = {r["name"]: r["test_acc"] for r in result["runs"]}
    missing = [f"{o}_lr{lr:g}" for o in D_OPTIMIZERS for lr in D_LRS if f"{o}_lr{lr:g}" not in acc]
    if missing:
        raise ValueError(f"not a d_grid result: runs {missing[:3]}... are missing")
    return [[acc[f"{o}_lr{lr:g}"] for lr in D_LRS] for o in D_OPTIMIZERS]


def _folder_data(folder: Path, transform: object) -> ImageTensors:
    images, labels = image_folder_tensors(folder, transform)
    classes = tuple(sorted(d.name for d in folder.iterdir() if d.is_dir()))  # ImageFolder's
    return ImageTensors(images, labels, classes, f"image folder {folder.name}/ (JPEG copy)")


@study("part4/d_preprocessing")
def d_preprocessing(
    profile: str | Profile | None = None, workdir: str | Path | None = None, seed: int = 0
) -> dict[str, Any]:
    """D's preprocessing study through torchvision transforms on an image-folder copy.

    Unpacks ``per_class`` training and test JPEGs of each class from the shared
    CIFAR-10 archive into ``workdir`` (a temporary folder by default) and reads them
    with :class:`torchvision.datasets.ImageFolder` through D's per-image transforms
    (Grayscale, optional GaussianBlur(3, 0.7)), kept as pixels
    (:func:`~backprop_book.torch_nn.data.d_transforms` with ``as_uint8=True``).  The
    trainer then does ToTensor's scaling and, where D normalises, Normalize(0.5, 0.5)
    on whole batches, and trains D's net with Adam (lr 1e-3, batch 64) on each
    variant.  The two computations of :math:`(u / 255 - 0.5) / 0.5` agree to within
    one float32 rounding (1.2e-7).  ``seed`` seeds every variant's training (its
    initial weights and batch order); the images are the same under every seed.
    """
    p = get_profile(profile)
    per_train, per_test, epochs = pick((150, 50, 4), (5000, 1000, 20), p)
    variants = [("grayscale + normalise", True, False), ("grayscale, no normalise", False, False),
                ("grayscale + normalise + blur", True, True)]  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        tr_dir = extract_image_folder(tmp, "train", per_train)
        te_dir = extract_image_folder(tmp, "test", per_test)
        for name, norm, blur in variants:
            tf = d_transforms(grayscale=True, blur=blur, as_uint8=True)
            train, test = _folder_data(tr_dir, tf), _folder_data(te_dir, tf)
            cfg = TrainConfig(model="grayscale_net", optimizer="adam", lr=1e-3, batch_size=64,
                              epochs=epochs, grayscale=True, device="cpu",
                              normalization="tutorial" if norm else "none",
                              seed=seed)  # fmt: skip
            trainer = Trainer(cfg, data=(train, None, test))
            trainer.fit(stop_on_nonfinite=False)
            x = trainer.prepare(trainer.train_data.images, train=False)
            rows.append(
                {"preprocessing": name, "test_acc": trainer.history[-1]["test_acc"],
                 "n_train": len(train), "n_test": len(test),
                 "pixel_range": [float(x.min()), float(x.max())]}
            )  # fmt: skip
    return {"profile": p.value, "epochs": epochs, "rows": rows, "device": "cpu",
            "data_source": "CIFAR-10 image-folder JPEG copy, unpacked subset"}  # fmt: skip


register(
    "part4/b_mlps_small_init",
    functools.partial(b_mlps, init_std=1e-4),
    description="B's Q4 MLPs with the NumPy exercise's init: weights std 1e-4 * randn",
)


def format_runs(result: dict[str, Any], reported: dict[str, str] | None = None) -> str:
    """A study's runs as a text table: name, parameters, train and test accuracy, time.

    ``reported`` maps a run name to the report's figure, shown in a last column.

    >>> print(format_runs({"runs": [{"name": "a", "num_parameters": 10, "train_acc": 0.5,
    ...                              "test_acc": 0.25, "wall_time_s": 1.0}]}, {"a": "55%"}))
    run                         params  train acc  test acc    time  report
    a                               10     0.5000    0.2500    1.0s  55%
    """
    lines = [f"{'run':<24}{'params':>10}{'train acc':>11}{'test acc':>10}{'time':>8}  report"]
    for r in result["runs"]:
        rep = (reported or {}).get(r["name"], "")
        lines.append(
            f"{r['name']:<24}{r['num_parameters']:>10,}{r['train_acc']:>11.4f}"
            f"{r['test_acc']:>10.4f}{r.get('train_time_s', r['wall_time_s']):>7.1f}s  {rep}".rstrip()
        )
    return "\n".join(lines)


def sample_figure(row: dict[str, Any], test: ImageTensors, title: str = "") -> Any:
    """The reports' figure of test images with predicted labels, wrong ones in red.

    ``row`` is a run from :func:`run_one` (or a recorded study); ``test`` the test
    set it was evaluated on, so that ``row["sample"]["test_indices"]`` index it.
    Returns the matplotlib figure.

    Raises
    ------
    ValueError
        If ``test`` is not the run's test set (the labels at the indices differ).

    >>> test = load_data("fake", max_train=8, max_test=30)[2]
    >>> row = {"name": "r", "sample": {"test_indices": [0, 1], "labels": test.labels[:2].tolist(),
    ...                                "predicted": [int(test.labels[0]), 9 - int(test.labels[1])]}}
    >>> fig = sample_figure(row, test)
    >>> [ax.title.get_color() for ax in fig.axes], fig._suptitle.get_text()
    (['black', 'red'], 'run r: 1/2 right')
    >>> row["sample"] = {"test_indices": list(range(12)), "labels": test.labels[:12].tolist(),
    ...                  "predicted": test.labels[:12].tolist()}
    >>> fig = sample_figure(row, test)
    >>> fig.axes[0].get_gridspec().get_geometry(), sum(bool(ax.images) for ax in fig.axes)
    ((3, 5), 12)
    """
    import matplotlib.pyplot as plt

    sample = row["sample"]
    idx = torch.tensor(sample["test_indices"])
    if int(idx.max()) >= len(test) or test.labels[idx].tolist() != sample["labels"]:
        raise ValueError(
            f"the test set given ({len(test):,} images, {test.source}) is not the one run "
            f"{row.get('name', '?')!r} was evaluated on: its labels at the sample indices differ"
        )
    pred = sample["predicted"]
    # five to a row, so that at the width of a page the labels are as large as the text
    cols = min(5, len(pred))
    rows = -(-len(pred) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.75 * rows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i, p in zip(axes.flat, idx.tolist(), pred, strict=False):
        ax.imshow(test.images[i].permute(1, 2, 0).squeeze().numpy(), cmap="gray")
        ok = p == int(test.labels[i])
        ax.set_title(test.classes[p], color="black" if ok else "red", fontsize=10)
    right = sum(p == y for p, y in zip(pred, sample["labels"], strict=True))
    fig.suptitle(f"run {row.get('name', '')}: {right}/{len(pred)} right" + (f" -- {title}" if title else ""),
                 fontsize=10)  # fmt: skip
    fig.tight_layout()
    return fig


def recorded(name: str, reported: dict[str, str] | None = None) -> str:
    """The recorded full-profile result ``part4/<name>`` as a table with provenance, or the
    command that records it.

    The table is the first seed's; a record of several seeds adds each run's test
    accuracy over the seeds it holds (:func:`seed_spread_lines`).

    >>> "backprop-book reproduce part4/nope --profile full --record" in recorded("nope")
    True
    """
    cmd = reproduce_command(f"part4/{name}")
    try:
        rec = load_record(f"part4/{name}")
    except FileNotFoundError:
        return f"full profile not recorded yet; record it with\n  {cmd}"
    table = format_runs(rec.data, reported)
    spread = seed_spread_lines([(r.name, r.seed, float(r["test_acc"])) for r in rec.runs()])
    return f"recorded: {rec.provenance.describe()}\n{table}" + (f"\n{spread}" if spread else "")


def seed_spread_lines(rows: Sequence[tuple[str, int, float]]) -> str:
    """Each run's test accuracy over its seeds, mean ± standard deviation, from
    ``(run, seed, accuracy)`` rows; empty when every run has one seed.

    >>> print(seed_spread_lines([("a", 0, 0.5), ("a", 1, 0.6), ("b", 0, 0.4)]))
    test acc over seeds (seed 0 above):
      a                       0.5500 ± 0.0707 (2 seeds)
      b                       0.4000 (1 seed)
    >>> seed_spread_lines([("a", 0, 0.5)])
    ''
    """
    by_run: dict[str, list[float]] = {}
    for name, _, acc in rows:
        by_run.setdefault(name, []).append(acc)
    if all(len(v) < 2 for v in by_run.values()):
        return ""
    lines = ["test acc over seeds (seed 0 above):"]
    for name, accs in by_run.items():
        mean = sum(accs) / len(accs)
        if len(accs) == 1:
            lines.append(f"  {name:<24}{mean:.4f} (1 seed)")
            continue
        sd = math.sqrt(sum((a - mean) ** 2 for a in accs) / (len(accs) - 1))
        lines.append(f"  {name:<24}{mean:.4f} ± {sd:.4f} ({len(accs)} seeds)")
    return "\n".join(lines)
