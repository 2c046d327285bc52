"""Checkpoints: the format, atomic saving, safe loading, restoring a trainer."""

from __future__ import annotations

import pickle

import pytest
import torch

from backprop_book.torch_nn import checkpoint as C
from backprop_book.torch_nn import data as D
from backprop_book.torch_nn.checkpoint import (
    CHECKPOINT_FORMAT,
    final_weights,
    load_checkpoint,
    save_checkpoint,
)
from backprop_book.torch_nn.config import TrainConfig
from backprop_book.torch_nn.trainer import Trainer

pytestmark = pytest.mark.part4

KEYS = {
    "format", "model_name", "model_class", "model_args", "num_parameters", "config", "epoch",
    "model", "optimizer", "scheduler", "scaler", "rng", "history", "best_val_loss",
    "best_epoch", "best_state", "bad_epochs", "stopped_early", "classes",
}  # fmt: skip


@pytest.fixture(scope="module")
def fake():
    return D.load_data("fake", max_train=64, max_test=16, val_size=16, seed=0)


def small(**kw):
    base = dict(model="mlp", model_args={"hidden_sizes": [8]}, data="fake", max_train=64,
                max_test=16, batch_size=16, epochs=2, device="cpu", val_size=16)  # fmt: skip
    return TrainConfig(**{**base, **kw})


def test_state_holds_every_documented_key_and_reads_back_weights_only(tmp_path, fake):
    t = Trainer(small(optimizer="adam", schedule="step"), data=fake)
    t.fit(stop_after=1)
    path = t.save_checkpoint(tmp_path / "ck.pt")
    ck = load_checkpoint(path)
    assert set(ck) == KEYS
    for key in KEYS:  # every key is documented in the module's docstring
        assert f"``{key}``" in C.__doc__, key
    assert ck["format"] == CHECKPOINT_FORMAT and ck["epoch"] == 1
    assert ck["config"] == t.config.to_dict() and ck["scheduler"] is not None
    assert set(ck["rng"]) == {"torch", "data"}
    assert torch.equal(ck["rng"]["torch"], t.model_rng.generator.get_state())
    for k, v in t.model.state_dict().items():
        assert torch.equal(ck["model"][k], v)


def test_restore_puts_every_piece_back(tmp_path, fake):
    t = Trainer(small(optimizer="rmsprop", schedule="cosine", augment=True), data=fake)
    t.fit(stop_after=1)
    ck = load_checkpoint(t.save_checkpoint(tmp_path / "ck.pt"))
    other = Trainer(small(optimizer="rmsprop", schedule="cosine", augment=True), data=fake)
    other.load_state_dict(ck)
    again = other.state_dict()
    assert again["epoch"] == 1 and again["history"] == ck["history"]
    assert torch.equal(again["rng"]["data"], ck["rng"]["data"])
    assert torch.equal(again["rng"]["torch"], ck["rng"]["torch"])
    assert again["scheduler"] == ck["scheduler"]
    assert other.lr == t.lr
    state, saved = again["optimizer"]["state"], ck["optimizer"]["state"]
    assert all(torch.equal(state[i]["square_avg"], saved[i]["square_avg"]) for i in saved)


def test_save_is_atomic(tmp_path, fake, monkeypatch):
    """A failure while writing leaves the previous checkpoint whole and no temporary file."""
    t = Trainer(small(epochs=1), data=fake)
    path = t.save_checkpoint(tmp_path / "ck.pt")
    before = path.read_bytes()
    real_save = torch.save

    def half_then_fail(obj, f, *a, **kw):
        real_save({"format": "half"}, f)
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", half_then_fail)
    t.fit()
    with pytest.raises(OSError, match="disk full"):
        t.save_checkpoint(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.pt"]
    with pytest.raises(ValueError, match="expected a checkpoint dict"):
        save_checkpoint({"weights": 1}, tmp_path / "other.pt")


class Payload:
    """Any pickled class: loading it would run code from the file."""

    def __reduce__(self):
        return (print, ("this ran from a checkpoint",))


def test_loading_runs_no_code_from_the_file(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "x": Payload()}, path, pickle_module=pickle)
    with pytest.raises(ValueError, match="cannot be read as a weights-only torch file"):
        load_checkpoint(path)
    assert "this ran" not in capsys.readouterr().out


def test_foreign_and_missing_checkpoints(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "none.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a backprop_book checkpoint"):
        load_checkpoint(tmp_path / "x.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="cannot be read as a weights-only torch file"):
        load_checkpoint(tmp_path / "junk.pt")


def test_checkpoint_of_another_model_is_rejected(tmp_path, fake):
    t = Trainer(small(model="tutorial_cnn", model_args={}, epochs=1), data=fake)
    ck = t.save_checkpoint(tmp_path / "a.pt")
    other = Trainer(small(model="fc", model_args={"n_linear": 3}), data=fake)
    with pytest.raises(ValueError, match=r"holds model 'tutorial_cnn'.*this run builds 'fc'"):
        other.load_state_dict(load_checkpoint(ck))
    ck = load_checkpoint(ck)
    ck["model"] = {k: v[:1] for k, v in ck["model"].items()}
    same = Trainer(small(model="tutorial_cnn", model_args={}), data=fake)
    with pytest.raises(ValueError, match="weights do not fit TutorialCNN"):
        same.load_state_dict(ck)


@pytest.mark.parametrize(
    ("epoch", "stopped", "restore_best", "expect"),
    [(3, False, True, ("best", 2)), (2, False, True, ("last", 2)), (2, True, True, ("best", 2)),
     (3, False, False, ("last", 3))],
)  # fmt: skip
def test_final_weights_are_the_best_only_for_a_finished_restore_best_run(
    epoch, stopped, restore_best, expect
):
    last, best = {"w": torch.zeros(1)}, {"w": torch.ones(1)}
    ck = {"config": {"epochs": 3, "restore_best": restore_best}, "epoch": epoch,
          "stopped_early": stopped, "model": last, "best_state": best, "best_epoch": 2}  # fmt: skip
    weights, at = final_weights(ck)
    assert (weights is best, at) == (expect[0] == "best", expect[1])


def test_the_trainer_owns_its_state_and_checkpoint_code_keeps_only_the_file():
    """checkpoint.py and threads.py name no Trainer; the trainer stays under 500 lines."""
    import inspect

    from backprop_book.torch_nn import threads, trainer

    for module in (C, threads):
        assert "trainer" not in inspect.getsource(module).split('"""', 2)[2].lower(), module
    assert not hasattr(C, "restore") and not hasattr(C, "trainer_state")
    assert len(inspect.getsource(trainer).splitlines()) <= 500
