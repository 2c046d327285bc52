"""The settings of a Part IV training run, declared once.

:class:`~backprop_book.torch_nn.config.TrainConfig` is a dataclass whose fields
carry all that is said about them: a help text, the accepted values (``choices``,
or a check and the words for what it expects) and the type of their annotation.  Everything else is
generated from those declarations:

* validation when a config is built (an error names the field, what it expects
  and what came);
* :func:`config_table`, the table of options in the chapter;
* :func:`add_config_arguments`, the options of ``backprop-book train``: the flag
  is the field's name (``batch_size`` -> ``--batch-size``), the help, the choices
  and the type come from the field; a ``bool`` field is a flag
  (``--augment``; ``--amp/--no-amp`` when it defaults to ``True``) and the dict
  ``model_args`` is given as repeated ``--model-arg KEY=VALUE``;
* :func:`config_values`, which maps the parsed command line back to the fields
  by name.

Why not tyro or simple-parsing, which build a parser from a dataclass: both were
tried on this class.  Both fill in every default when they build the config, so
``train --resume`` could no longer tell which settings were given anew; neither
reads ``model_args`` (a ``dict``) as repeated ``--model-arg KEY=VALUE``; tyro loses
the choices (it offers ``STR``), prints its errors in a multi-line box, and runs its
own parser rather than a sub-command of ``backprop-book``; simple-parsing reads this
class's field metadata key ``choices`` as its own and fails on ``None``.  The
generator below is some 60 lines and keeps the command's behaviour and its one-line
errors.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backprop_book.torch_nn.data import DATA_SOURCES, NORMALIZATIONS, TUTORIAL_MEAN, TUTORIAL_STD
from backprop_book.torch_nn.models import MODELS, check_model_args
from backprop_book.torch_nn.threads import parse_threads, valid_threads_setting

__all__ = [
    "OPTIMIZERS",
    "RESULT_NEUTRAL",
    "RESUME_MAY_CHANGE",
    "SCHEDULES",
    "TrainConfig",
    "add_config_arguments",
    "check_model_args",
    "cli_flag",
    "config_table",
    "config_values",
    "parse_model_args",
]

#: The optimizers a run can use (``torch.optim.SGD``, ``Adam``, ``RMSprop``, ``Adadelta``).
OPTIMIZERS = ("sgd", "adam", "rmsprop", "adadelta")
#: The learning-rate schedules, stepped once per epoch.
SCHEDULES = ("constant", "step", "exponential", "cosine")
#: The fields of a :class:`TrainConfig` that do not change a run's numbers: the
#: thread count, the progress bars and the flushing of denormals (which moves values
#: only below about 1e-38). Two configs that differ only here are the same run
#: (:func:`~backprop_book.torch_nn.experiments.same_run`), and a resumed run may be
#: given them anew (:data:`RESUME_MAY_CHANGE`).
RESULT_NEUTRAL = ("threads", "progress", "flush_denormal")
#: The settings a resumed run (``backprop-book train --resume``) may be given anew:
#: the number of epochs in total, and :data:`RESULT_NEUTRAL`; any other that differs
#: from the checkpoint's is an error.
RESUME_MAY_CHANGE = ("epochs", *RESULT_NEUTRAL)


def _opt(
    default: Any,
    help: str,
    check: Callable[[Any], bool] | None = None,
    expect: str = "",
    *,
    choices: tuple[str, ...] | None = None,
    flag: str | None = None,
    parse: Callable[[str], Any] | None = None,
) -> Any:
    """A field with its help text and accepted values (``choices`` imply the check);
    ``parse`` turns the option's text into the value (default: the annotation's type)."""
    if choices is not None:
        check, expect = (lambda v: v in choices), f"one of {choices}"
    meta = {"help": help, "check": check, "expect": expect, "choices": choices, "flag": flag,
            "parse": parse}  # fmt: skip
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=meta)
    return field(default=default, metadata=meta)


def _num(v: Any) -> bool:
    """A finite real number (not a bool): ``inf`` and ``nan`` train to NaN, never to a result."""
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _pos(v: Any) -> bool:
    return _num(v) and v > 0


def _pos_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _opt_pos_int(v: Any) -> bool:
    return v is None or _pos_int(v)


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


@dataclass
class TrainConfig:
    """Everything that defines a training run; validated on construction.

    The defaults are the PyTorch CIFAR-10 tutorial's: the tutorial CNN, SGD with
    learning rate 0.001 and momentum 0.9, batch size 4, 2 epochs.

    >>> TrainConfig(optimizer="adam", lr=1e-3).optimizer
    'adam'
    >>> TrainConfig(batch_size=0)
    Traceback (most recent call last):
    ...
    ValueError: TrainConfig.batch_size: expected a positive integer, got 0
    """

    model: str = _opt("tutorial_cnn", "model name", choices=tuple(sorted(MODELS)))
    model_args: dict[str, Any] = _opt(  # noqa: RUF009
        {}, "keyword arguments of the model class", lambda v: isinstance(v, dict), "a dict",
        flag="--model-arg",
    )  # fmt: skip
    optimizer: str = _opt("sgd", "optimizer", choices=OPTIMIZERS)
    lr: float = _opt(0.001, "learning rate", _pos, "a finite positive number")
    momentum: float = _opt(
        0.9,
        "momentum (SGD, RMSprop)",
        lambda v: _num(v) and 0 <= v < 1,
        "in [0, 1)",
    )
    weight_decay: float = _opt(
        0.0, "L2 weight decay", lambda v: _num(v) and v >= 0, "a finite number >= 0"
    )
    batch_size: int = _opt(4, "global mini-batch size", _pos_int, "a positive integer")
    epochs: int = _opt(2, "number of epochs in total", _pos_int, "a positive integer")
    schedule: str = _opt(
        "constant", "learning-rate schedule, stepped once per epoch", choices=SCHEDULES
    )
    step_size: int = _opt(
        1, "epochs between decays of the step schedule", _pos_int, "a positive integer"
    )
    gamma: float = _opt(
        0.95, "decay factor of the step/exponential schedules", _pos, "a finite positive number"
    )
    patience: int | None = _opt(
        None, "early stopping: epochs without a lower validation loss (needs val_size)",
        _opt_pos_int, "None or a positive integer",
    )  # fmt: skip
    restore_best: bool = _opt(
        False, "after training, restore the weights of the epoch with the lowest validation "
        "loss (needs val_size)", _is_bool, "a bool",
    )  # fmt: skip
    val_size: int = _opt(
        0, "validation images split off the training set (seeded)",
        lambda v: isinstance(v, int) and v >= 0, "an integer >= 0",
    )  # fmt: skip
    max_train: int | None = _opt(
        None, "keep a seeded random subset of this many training images", _opt_pos_int,
        "None or a positive integer",
    )  # fmt: skip
    max_test: int | None = _opt(
        None, "keep a seeded random subset of this many test images", _opt_pos_int,
        "None or a positive integer",
    )  # fmt: skip
    data: str = _opt("cifar10", "data source", choices=DATA_SOURCES)
    data_root: str | None = _opt(
        None, "CIFAR-10 path (None: $BACKPROP_BOOK_CIFAR10, then the cache)",
        lambda v: v is None or isinstance(v, str), "None or a path",
    )  # fmt: skip
    grayscale: bool = _opt(False, "convert images to grayscale", _is_bool, "a bool")
    normalization: str = _opt(
        "tutorial", f"'tutorial' (mean {TUTORIAL_MEAN[0]}, std {TUTORIAL_STD[0]}), 'cifar' "
        "(CIFAR-10 channel mean/std) or 'none' (scaled to [0, 1] only)",
        choices=tuple(NORMALIZATIONS),
    )  # fmt: skip
    augment: bool = _opt(False, "random crop (padding 4) and horizontal flip", _is_bool, "a bool")
    device: str = _opt(
        "auto", "'auto' (CUDA, MPS, CPU), 'cpu', 'cuda', 'cuda:N' or 'mps'",
        lambda v: isinstance(v, str) and re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", v) is not None,
        "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps' (only CUDA devices are numbered)",
    )  # fmt: skip
    amp: bool = _opt(True, "mixed precision (float16 autocast) on CUDA", _is_bool, "a bool")
    seed: int = _opt(
        0, "seed of every generator",
        lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63,
        "an integer in [0, 2**63) (torch's generators take 64-bit seeds)",
    )  # fmt: skip
    progress: bool = _opt(False, "tqdm progress bars", _is_bool, "a bool")
    track_test: bool = _opt(False, "evaluate on the test set after every epoch", _is_bool, "a bool")
    threads: int | str | None = _opt(
        None, "CPU threads: None keeps torch's setting, N sets N, 'auto' times a few steps at "
        "1..all cores and keeps the fastest (cached per machine, model, batch size)",
        valid_threads_setting, "None, a positive integer or 'auto'", parse=parse_threads,
    )  # fmt: skip
    flush_denormal: bool = _opt(
        True, "CPU: flush denormal floats (below 1.2e-38) to zero in every thread; "
        "keeps Adam's and momentum's updates fast once many moments decay that far",
        _is_bool, "a bool",
    )  # fmt: skip

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and f.type in ("int", "int | None") and value.is_integer():
                value = int(value)
                setattr(self, f.name, value)
            check = f.metadata.get("check")
            if check is not None and not check(value):
                raise ValueError(
                    f"TrainConfig.{f.name}: expected {f.metadata['expect']}, got {value!r}"
                )
        check_model_args(self.model, self.model_args)
        if self.patience is not None and self.val_size == 0:
            raise ValueError(
                "TrainConfig.patience: early stopping needs a validation set (val_size > 0)"
            )
        if self.restore_best and self.val_size == 0:
            raise ValueError(
                "TrainConfig.restore_best: restoring the best epoch needs a validation set "
                "(val_size > 0)"
            )
        if self.normalization == "cifar" and self.grayscale:
            raise ValueError(
                "TrainConfig.normalization: 'cifar' statistics are for RGB, not grayscale"
            )

    def to_dict(self) -> dict[str, Any]:
        """The config as plain values (stored in checkpoints and metrics)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build a config from :meth:`to_dict` output; unknown keys are an error."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(
                f"unknown TrainConfig field(s) {unknown}; expected some of {sorted(names)}"
            )
        return cls(**values)


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory()  # type: ignore[misc,operator]


def config_table() -> list[tuple[str, str, str]]:
    """``(field, default, help)`` for every :class:`TrainConfig` field (for docs and the CLI).

    >>> config_table()[0]
    ('model', "'tutorial_cnn'", 'model name')
    """
    return [
        (f.name, repr(_default(f)), str(f.metadata["help"]))
        for f in dataclasses.fields(TrainConfig)
    ]


def cli_flag(name: str) -> str:
    """The ``backprop-book train`` option of a :class:`TrainConfig` field.

    >>> cli_flag("batch_size"), cli_flag("model_args")
    ('--batch-size', '--model-arg')
    """
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    if name not in fields:
        raise ValueError(f"expected a TrainConfig field, one of {sorted(fields)}; got {name!r}")
    return fields[name].metadata["flag"] or "--" + name.replace("_", "-")


def parse_model_args(items: list[str] | None) -> dict[str, Any]:
    """``["n_linear=3", "hidden=[50,70]"]`` -> ``{"n_linear": 3, "hidden": [50, 70]}`` (JSON).

    A value that is not JSON is kept as a string.

    >>> parse_model_args(["n_conv=3", "activation=tanh", "batch_norm=true"])
    {'n_conv': 3, 'activation': 'tanh', 'batch_norm': True}
    """
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--model-arg expects KEY=VALUE, got {item!r}")
        key, raw = item.split("=", 1)
        if key.strip() in out:
            raise ValueError(
                f"--model-arg {key.strip()} given twice ({out[key.strip()]!r} and {raw!r}); "
                "give each model argument once"
            )
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _scalar_type(annotation: Any) -> Any:
    """``int | None`` -> ``int``: the type an option's value is converted to."""
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        return next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one option per :class:`TrainConfig` field to ``parser``.

    Options left out are absent from the parsed namespace (``argparse.SUPPRESS``),
    so the dataclass's defaults are the only ones, and a resumed run can tell what
    was given.

    >>> p = argparse.ArgumentParser()
    >>> add_config_arguments(p)
    >>> args = p.parse_args(["--batch-size", "32", "--model-arg", "n_linear=3", "--no-amp"])
    >>> config_values(args)
    {'model_args': {'n_linear': 3}, 'batch_size': 32, 'amp': False}
    """
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        default = _default(f)
        text = f"{f.metadata['help']} (default: {default!r})".replace("%", "%%")
        kw: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS}
        kind = _scalar_type(hints[f.name])
        if kind is bool:
            kw["action"] = argparse.BooleanOptionalAction if default else "store_true"
        elif typing.get_origin(kind) is dict:
            kw.update(action="append", metavar="KEY=VALUE")
            text = f"{f.metadata['help']}, one KEY=VALUE (a JSON value) per option"
        elif f.metadata["choices"] is not None:
            kw["choices"] = f.metadata["choices"]
        else:
            kw["type"] = f.metadata["parse"] or kind
        parser.add_argument(cli_flag(f.name), help=text, **kw)


def config_values(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`TrainConfig` fields given on a command line, by field name.

    ``TrainConfig(**config_values(args))`` is the run the command line describes.
    """
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    values = {name: getattr(args, name) for name in names if hasattr(args, name)}
    if "model_args" in values:
        values["model_args"] = parse_model_args(values["model_args"])
    return values
