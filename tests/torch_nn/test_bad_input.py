"""Bad input to Part IV's API: settings, model arguments, data sizes, image folders,
checkpoints and a run that diverges."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from backprop_book.torch_nn import data as d
from backprop_book.torch_nn.checkpoint import load_checkpoint
from backprop_book.torch_nn.config import TrainConfig, check_model_args, parse_model_args
from backprop_book.torch_nn.data import (
    MAX_FAKE_IMAGES,
    d_transforms,
    fake_cifar10,
    image_folder_tensors,
    load_data,
)
from backprop_book.torch_nn.models import MLP, build_model
from backprop_book.torch_nn.trainer import Trainer, TrainingDiverged

pytestmark = pytest.mark.part4


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lr", math.inf),
        ("lr", math.nan),
        ("lr", 0.0),
        ("gamma", math.inf),
        ("momentum", math.nan),
        ("momentum", 1.0),
        ("weight_decay", math.inf),
        ("weight_decay", -1e-4),
        ("lr", True),
    ],
)
def test_non_finite_or_out_of_range_settings(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=rf"TrainConfig\.{field}: expected"):
        TrainConfig(**{field: value})


@pytest.mark.parametrize(
    ("model", "args", "match"),
    [
        (
            "mlp",
            {"hidden_sizes": "123"},
            r"hidden_sizes of type Sequence\[int\], got '123' \(str\)",
        ),
        ("mlp", {"hidden_sizes": [50, "70"]}, "hidden_sizes of type"),
        ("mlp", {"hidden_sizes": [50.5]}, "hidden_sizes of type"),
        ("mlp", {"hidden_size": [50]}, r"has no argument\(s\) \['hidden_size'\]; it takes"),
        ("fc", {"n_linear": "3"}, r"n_linear of type int, got '3' \(str\)"),
        ("fc", {"n_linear": True}, "n_linear of type int"),
        ("cnn", {"activation": 3}, "activation of type str"),
        ("alexnet", {"batch_norm": "yes"}, "batch_norm of type bool"),
        ("mlp", {"init_std": "0.1"}, r"init_std of type float \| None"),
        ("mlp", {"in_shape": [3, 32]}, "in_shape of type"),
    ],
)
def test_model_arguments_against_the_signature(model: str, args: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=match):
        TrainConfig(model=model, model_args=args)


def test_good_model_arguments_pass() -> None:
    check_model_args("mlp", {"hidden_sizes": [70, 70], "init_std": None, "in_shape": [1, 32, 32]})
    check_model_args("fc", {"n_linear": 3, "hidden": None})
    check_model_args("grayscale_net", {"dropout": 0.5, "hidden": 500})


# ----------------------------------------------------------------------------- data sizes


def test_huge_fake_val_size_is_refused_before_allocating() -> None:
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"max_train \+ val_size <= 200,000 fake images"):
        load_data("fake", val_size=10**6)
    assert time.perf_counter() - t0 < 5  # refused, not attempted (it would take ~25 GB)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"val_size": -1}, ValueError, "val_size >= 0"),
        ({"max_train": 0}, ValueError, "max_train >= 1"),
        ({"max_test": 2.5}, TypeError, "integer max_test"),
        ({"val_size": True}, TypeError, "integer val_size"),
    ],
)
def test_load_data_sizes(kwargs: dict, error: type, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(error, match=match):
        load_data("fake", **kwargs)


def test_fake_data_arguments() -> None:
    with pytest.raises(ValueError, match="fake images"):
        fake_cifar10(0)
    with pytest.raises(ValueError, match="fake images"):
        fake_cifar10(MAX_FAKE_IMAGES + 1)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        fake_cifar10(4, channels=2)
    with pytest.raises(ValueError, match=r"noise in 0\.\.255"):
        fake_cifar10(4, noise=-1)


def _folder(root: Path, n: int = 1) -> Path:
    from PIL import Image

    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", (32, 32), (i * 20, 0, 0)).save(root / cls / f"{i}.jpg")
    return root


def test_image_folder_without_images(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(ValueError, match="expected class folders with images"):
        image_folder_tensors(tmp_path, d_transforms())


def test_image_folder_with_a_damaged_file_names_it(tmp_path: Path) -> None:
    root = _folder(tmp_path / "f", 2)
    bad = root / "b" / "1.jpg"
    bad.write_bytes(bad.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"cannot decode the image .*b/1\.jpg"):
        image_folder_tensors(root, d_transforms())
    x, y = image_folder_tensors(_folder(tmp_path / "g", 2), d_transforms())
    assert x.shape == (4, 1, 32, 32) and y.tolist() == [0, 0, 1, 1]


# ----------------------------------------------------------------------------- checkpoints


def test_foreign_checkpoints_get_the_books_message(tmp_path: Path) -> None:
    folder = tmp_path / "ckpt.pt"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load_checkpoint(folder)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="not a backprop_book checkpoint") as info:
        load_checkpoint(junk)
    assert "weights_only=False" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    other = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, other)
    with pytest.raises(ValueError, match="expected format"):
        load_checkpoint(other)


def test_checkpoint_missing_keys(tmp_path: Path) -> None:
    trainer = Trainer(TrainConfig(data="fake", max_train=16, max_test=8, batch_size=8, epochs=1))
    path = trainer.save_checkpoint(tmp_path / "c.pt")
    state = torch.load(path, weights_only=True)
    del state["optimizer"], state["rng"]
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"incomplete .*missing \['optimizer', 'rng'\]"):
        load_checkpoint(path)


# ----------------------------------------------------------------------------- divergence


def test_a_nan_loss_stops_the_run_unless_a_study_asks_otherwise(tmp_path: Path) -> None:
    cfg = TrainConfig(
        data="fake", model="mlp", max_train=32, max_test=8, batch_size=16, epochs=2, lr=1e30,
        optimizer="sgd", momentum=0.0,
    )  # fmt: skip
    with pytest.raises(TrainingDiverged, match="epoch 1 is nan"):
        Trainer(cfg).fit(checkpoint=tmp_path / "c.pt")  # the default: fit(lr=1e9) returned nan
    assert not (tmp_path / "c.pt").exists()  # the diverged epoch is not checkpointed
    history = Trainer(cfg).fit(stop_on_nonfinite=False)  # studies keep a diverging run
    assert math.isnan(history[0]["train_loss"])


def test_wrong_image_size_for_the_model() -> None:
    cfg = TrainConfig(data="fake", model="mlp", max_train=8, max_test=8, grayscale=True,
                      normalization="none")  # fmt: skip
    with pytest.raises(ValueError, match=r"expects images of shape \(3, 32, 32\)"):
        Trainer(cfg)


# ----------------------------------------------------------------------------- issue 26: models


@pytest.mark.parametrize("sizes", ["8", "123", b"12"])
def test_build_model_refuses_a_string_of_hidden_sizes(sizes: object) -> None:
    # "123" used to build layers of 1, 2 and 3 units
    with pytest.raises(ValueError, match=r"build_model: model 'mlp' takes hidden_sizes of type"):
        build_model("mlp", hidden_sizes=sizes)
    with pytest.raises(TypeError, match=r"hidden_sizes: expected a sequence of positive integers"):
        MLP(hidden_sizes=sizes)  # type: ignore[arg-type]


def test_hidden_sizes_of_floats_and_bools_are_refused() -> None:
    with pytest.raises(ValueError, match=r"hidden_sizes: expected positive integers, got \[2.5\]"):
        MLP(hidden_sizes=[2.5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="expected positive integers"):
        MLP(hidden_sizes=[True])


@pytest.mark.parametrize(
    ("model", "images", "expected"),
    [
        # as many numbers as 3x16x16 would need four times: it trained without a word
        (lambda: MLP(in_shape=(3, 16, 16)), (2, 3, 16, 64), r"\(3, 16, 16\)"),
        (lambda: build_model("fc"), (2, 3, 16, 16), r"\(3, 32, 32\)"),
        # a conv model: was "mat1 and mat2 shapes cannot be multiplied (2x2704 and 400x120)"
        (lambda: build_model("tutorial_cnn"), (2, 3, 64, 64), r"\(3, 32, 32\)"),
        (lambda: build_model("tutorial_cnn"), (3, 32, 32), r"a batch of shape \(N, 3, 32, 32\)"),
    ],
)
def test_a_model_names_the_image_size_it_expects(model, images, expected: str) -> None:  # type: ignore[no-untyped-def]
    m = model()
    with pytest.raises(ValueError, match=f"expects images of shape {expected}|{expected}"):
        m(torch.zeros(images))
    with pytest.raises(TypeError, match=r"expects a torch\.Tensor of images, got ndarray"):
        m(torch.zeros(2, *m.input_shape).numpy())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"device": "cpu:7"}, r"TrainConfig.device: expected .*only CUDA devices are numbered"),
        ({"device": "cuda:x"}, "TrainConfig.device"),
        ({"device": "gpu"}, "TrainConfig.device"),
        ({"seed": 2**70}, r"TrainConfig.seed: expected an integer in \[0, 2\*\*63\)"),
        ({"seed": -1}, "TrainConfig.seed"),
        ({"seed": True}, "TrainConfig.seed"),
    ],
)
def test_devices_and_seeds_are_checked(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)  # type: ignore[arg-type]
    assert TrainConfig(device="cuda:1", seed=2**63 - 1).device == "cuda:1"


def test_a_model_argument_given_twice_is_an_error() -> None:
    assert parse_model_args(["n_linear=3"]) == {"n_linear": 3}
    with pytest.raises(ValueError, match=r"--model-arg n_linear given twice \(3 and '4'\)"):
        parse_model_args(["n_linear=3", "n_linear=4"])


def test_a_checkpoint_without_rng_state_is_named(tmp_path: Path) -> None:
    cfg = TrainConfig(data="fake", model="mlp", max_train=16, max_test=8, batch_size=16, epochs=1)
    Trainer(cfg).fit(checkpoint=tmp_path / "c.pt")
    state = torch.load(tmp_path / "c.pt", weights_only=True)
    del state["rng"]["torch"]  # was "error: 'torch'" on resume
    torch.save(state, tmp_path / "c.pt")
    with pytest.raises(ValueError, match=r"its rng state lacks \['torch'\]"):
        load_checkpoint(tmp_path / "c.pt")


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: d.normalize(np.zeros((1, 3, 2, 2), np.uint8), None, None), TypeError,
         r"normalize: expected a torch.Tensor of images .* got ndarray; convert it with"),
        (lambda: d.to_grayscale(torch.zeros(3, 2, 2, dtype=torch.uint8)), ValueError,
         r"to_grayscale: expected a batch of images of shape \(N, C, H, W\), got shape \(3, 2, 2\)"),
        (lambda: d.random_crop_flip([1, 2], torch.Generator()), TypeError,
         "random_crop_flip: expected a torch.Tensor of images"),
        (lambda: d.n_batches(10, 0), ValueError, "n_batches: expected batch_size to be an integer >= 1"),
    ],
)  # fmt: skip
def test_image_helpers_name_what_they_expect(make: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: d.Normalizer(("a",), (0.5,), channels=1), "finite numbers"),
        (lambda: d.Normalizer((0.5,), (float("nan"),), channels=1), "finite numbers"),
        (lambda: d.Normalizer((0.5,), (0.5,), channels="3"), "channels as a positive integer"),
        (lambda: d.normalization_constants("tutorial", channels=0), "positive integer, got 0"),
    ],
)
def test_normalisation_constants_are_checked_where_they_enter(make, words):
    with pytest.raises(ValueError, match=words):
        make()
