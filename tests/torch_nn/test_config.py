"""TrainConfig: validation, the docs table, and the ``backprop-book train`` options made from it."""

from __future__ import annotations

import dataclasses

import pytest

from backprop_book import cli
from backprop_book.torch_nn.config import (
    OPTIMIZERS,
    TrainConfig,
    cli_flag,
    config_table,
    config_values,
)
from backprop_book.torch_nn.data import NORMALIZATIONS
from backprop_book.torch_nn.models import MODELS

pytestmark = pytest.mark.part4

FIELDS = dataclasses.fields(TrainConfig)

#: A value other than the default for every field, as it is typed on the command line.
#: A field added to TrainConfig without an entry here fails test_every_field_is_covered.
NON_DEFAULT = {
    "model": ("fc", ["--model", "fc"]),
    "model_args": ({"n_linear": 3, "hidden": [5, 6]},
                   ["--model-arg", "n_linear=3", "--model-arg", "hidden=[5,6]"]),
    "optimizer": ("adam", ["--optimizer", "adam"]),
    "lr": (0.05, ["--lr", "0.05"]),
    "momentum": (0.5, ["--momentum", "0.5"]),
    "weight_decay": (1e-4, ["--weight-decay", "1e-4"]),
    "batch_size": (32, ["--batch-size", "32"]),
    "epochs": (7, ["--epochs", "7"]),
    "schedule": ("step", ["--schedule", "step"]),
    "step_size": (3, ["--step-size", "3"]),
    "gamma": (0.5, ["--gamma", "0.5"]),
    "patience": (2, ["--patience", "2"]),
    "restore_best": (True, ["--restore-best"]),
    "val_size": (100, ["--val-size", "100"]),
    "max_train": (500, ["--max-train", "500"]),
    "max_test": (200, ["--max-test", "200"]),
    "data": ("fake", ["--data", "fake"]),
    "data_root": ("/data/cifar", ["--data-root", "/data/cifar"]),
    "grayscale": (True, ["--grayscale"]),
    "normalization": ("none", ["--normalization", "none"]),
    "augment": (True, ["--augment"]),
    "device": ("cpu", ["--device", "cpu"]),
    "amp": (False, ["--no-amp"]),
    "seed": (11, ["--seed", "11"]),
    "progress": (True, ["--progress"]),
    "track_test": (True, ["--track-test"]),
    "threads": (2, ["--threads", "2"]),
    "flush_denormal": (False, ["--no-flush-denormal"]),
}  # fmt: skip


def train_parser():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices["train"]


def test_every_field_is_covered():
    assert sorted(NON_DEFAULT) == sorted(f.name for f in FIELDS)


def test_train_help_shows_every_field_with_its_help(monkeypatch, capsys):
    """What a user sees: every field's flag and its help text, as in the docs table."""
    monkeypatch.setenv("COLUMNS", "400")  # no line wrapping inside a help text
    assert cli.main(["train", "--help"]) == 0
    entries: list[str] = []  # one per option: its flag line(s) and help line(s), joined
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("  -"):
            entries.append(line.strip())
        elif entries and line.startswith("   "):
            entries[-1] += " " + line.strip()
    for name, default, help_ in config_table():
        flag = "--model-arg" if name == "model_args" else "--" + name.replace("_", "-")
        assert cli_flag(name) == flag
        mine = [e for e in entries if e.split()[0].rstrip(",") == flag]
        assert len(mine) == 1, (flag, entries)
        assert help_ in mine[0], (name, mine[0])
        if name != "model_args":
            assert f"(default: {default})" in mine[0], (name, mine[0])


def test_choices_come_from_the_config():
    actions = {a.dest: a for a in train_parser()._actions}
    assert tuple(actions["optimizer"].choices) == OPTIMIZERS
    assert tuple(actions["normalization"].choices) == tuple(NORMALIZATIONS)
    assert sorted(actions["model"].choices) == sorted(MODELS)
    assert actions["lr"].type is float and actions["batch_size"].type is int
    assert actions["patience"].type is int and actions["data_root"].type is str


def test_command_line_round_trip_for_every_field():
    """Each flag sets its own field, with the field's type, and nothing else."""
    parser = train_parser()
    for name, (value, argv) in NON_DEFAULT.items():
        got = config_values(parser.parse_args(argv))
        assert got == {name: value}, name
        assert type(got[name]) is type(value), name
    every = [tok for _, argv in NON_DEFAULT.values() for tok in argv]
    got = config_values(parser.parse_args(every))
    assert got == {name: value for name, (value, _) in NON_DEFAULT.items()}


def test_omitted_options_take_the_dataclass_defaults():
    args = train_parser().parse_args([])
    assert config_values(args) == {}
    assert args.out == "runs/train" and args.resume is False and args.stop_after is None
    assert TrainConfig(**config_values(args)) == TrainConfig()


def test_amp_can_be_given_either_way():
    parser = train_parser()
    assert config_values(parser.parse_args(["--amp"])) == {"amp": True}
    assert config_values(parser.parse_args(["--no-amp"])) == {"amp": False}


def test_bad_choice_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        train_parser().parse_args(["--optimizer", "lbfgs"])
    assert "invalid choice: 'lbfgs'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        (dict(optimizer="lbfgs"), r"TrainConfig.optimizer: expected one of .*got 'lbfgs'"),
        (dict(lr=-1.0), r"TrainConfig.lr: expected a finite positive number, got -1.0"),
        (dict(model="resnet"), r"TrainConfig.model: expected one of"),
        (dict(patience=2), r"early stopping needs a validation set"),
        (dict(device="tpu"), r"TrainConfig.device"),
        (dict(normalization="imagenet"), r"TrainConfig.normalization: expected one of "
                                         r"\('tutorial', 'cifar', 'none'\), got 'imagenet'"),
        (dict(normalization="cifar", grayscale=True), r"'cifar' statistics are for RGB"),
        (dict(amp=1), r"TrainConfig.amp: expected a bool, got 1"),
    ],
)  # fmt: skip
def test_config_validation(kw, msg):
    with pytest.raises(ValueError, match=msg):
        TrainConfig(**kw)


def test_whole_floats_become_ints_and_dicts_round_trip():
    cfg = TrainConfig(batch_size=32.0, epochs=3.0)
    assert cfg.batch_size == 32 and type(cfg.batch_size) is int
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match=r"unknown TrainConfig field\(s\) \['lerning_rate'\]"):
        TrainConfig.from_dict({"lerning_rate": 0.1})
    with pytest.raises(ValueError, match="expected a TrainConfig field"):
        cli_flag("lerning_rate")


def test_config_table_has_help_and_default_for_every_field():
    rows = config_table()
    assert [r[0] for r in rows] == [f.name for f in FIELDS]
    assert all(help_ for _, _, help_ in rows)
    assert dict((r[0], r[1]) for r in rows)["batch_size"] == "4"
    assert dict((r[0], r[1]) for r in rows)["model_args"] == "{}"
