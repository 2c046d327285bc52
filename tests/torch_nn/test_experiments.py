from __future__ import annotations

import json
import os

import pytest
import torch

from backprop_book.torch_nn import experiments as X
from backprop_book.torch_nn.data import load_data
from backprop_book.torch_nn.models import MLP

pytestmark = pytest.mark.part4


@pytest.mark.parametrize("k", [2, 3, 10, 100])
def test_softmax_loss_floor_matches_torch_on_one_hot_probabilities(k):
    p = torch.eye(k, dtype=torch.float64)[:1]  # a perfect, fully confident 'probability' vector
    ce = torch.nn.functional.cross_entropy(p, torch.tensor([0]))
    assert X.softmax_loss_floor(k) == pytest.approx(float(ce), abs=1e-12)
    # and it is the minimum: any other probability vector scores higher
    q = torch.softmax(torch.randn(50, k, dtype=torch.float64), 1)
    assert float(torch.nn.functional.cross_entropy(q, torch.zeros(50, dtype=torch.long))) > float(
        ce
    )


def test_small_init_vanishes_gradients_only_in_deep_mlps():
    data = load_data("fake", max_train=64, max_test=8)[0]
    torch.manual_seed(0)
    deep = X.gradient_norms(MLP([50, 70, 50], init_std=1e-4), data, n=64)
    shallow = X.gradient_norms(MLP([50], init_std=1e-4), data, n=64)
    default = X.gradient_norms(MLP([50, 70, 50]), data, n=64)
    assert max(deep) < 1e-8 < 1e-4 < min(shallow)  # below / above Adam's eps
    assert min(default) > 1e-3


def test_run_one_checkpoints_and_resumes(tmp_path):
    data = load_data("fake", max_train=64, max_test=16)
    kw = dict(model="mlp", model_args={"hidden_sizes": [8]}, batch_size=16, epochs=2,
              device="cpu", data="fake")  # fmt: skip
    a = X.run_one(data, checkpoint_dir=tmp_path, name="r", **kw)
    assert (tmp_path / "r.pt").is_file() and a["model"] is None
    b = X.run_one(data, checkpoint_dir=tmp_path, name="r", **kw)  # finished: nothing to do
    assert b["history"] == a["history"] and b["test_acc"] == a["test_acc"]
    text = X.format_runs({"runs": [a]}, {"r": "51.9%"})
    assert "24,674" in text and "51.9%" in text


@pytest.mark.skipif(
    not os.environ.get("BACKPROP_BOOK_CIFAR10"), reason="needs the shared CIFAR-10 archive"
)
def test_image_folder_copy_through_d_transforms(tmp_path):
    from backprop_book.torch_nn.data import d_transforms, extract_image_folder, image_folder_tensors

    folder = extract_image_folder(tmp_path, "test", per_class=2)
    assert sorted(p.name for p in folder.iterdir())[:2] == ["airplane", "automobile"]
    x, y = image_folder_tensors(folder, d_transforms(grayscale=True, normalize=True))
    assert x.shape == (20, 1, 32, 32) and sorted(y.tolist()) == sorted(list(range(10)) * 2)
    assert -1.0 <= float(x.min()) and float(x.max()) <= 1.0
    x0, _ = image_folder_tensors(folder, d_transforms(grayscale=True, normalize=False))
    torch.testing.assert_close(x, (x0 - 0.5) / 0.5)


def test_run_one_keeps_seeded_sample_predictions_and_training_time():
    data = load_data("fake", max_train=64, max_test=40)
    r = X.run_one(data, model="mlp", model_args={"hidden_sizes": [8]}, batch_size=16, epochs=2,
                  device="cpu", data="fake")  # fmt: skip
    s = r["sample"]
    assert len(s["test_indices"]) == X.SAMPLE_SIZE == len(set(s["test_indices"]))
    test = data[2]
    assert s["labels"] == test.labels[s["test_indices"]].tolist()
    from backprop_book.torch_nn.data import normalize

    with torch.no_grad():
        x = normalize(test.images[s["test_indices"]], (0.5,) * 3, (0.5,) * 3)
        assert s["predicted"] == r["model"](x).argmax(1).tolist()
    assert r["train_time_s"] == pytest.approx(sum(h["time_s"] for h in r["history"]))
    with torch.no_grad():  # the final model evaluated on its training images
        xt = normalize(data[0].images, (0.5,) * 3, (0.5,) * 3)
        right = (r["model"](xt).argmax(1) == data[0].labels).float().mean()
    assert r["train_eval_acc"] == pytest.approx(float(right))
    from backprop_book.runtime import git_commit

    assert [h["git_commit"] for h in r["history"]] == [git_commit()] * 2
    # the same seed picks the same images in another run
    r2 = X.run_one(data, model="mlp", model_args={"hidden_sizes": [4]}, batch_size=16, epochs=1,
                   device="cpu", data="fake")  # fmt: skip
    assert r2["sample"]["test_indices"] == s["test_indices"]


def test_sample_figure_marks_wrong_predictions_and_rejects_another_test_set():
    import matplotlib

    matplotlib.use("Agg")
    data = load_data("fake", max_train=8, max_test=30, seed=0)
    test = data[2]
    idx = list(range(20))
    labels = test.labels[idx].tolist()
    pred = [(y + 1) % 10 if i < 5 else y for i, y in enumerate(labels)]  # 5 wrong
    row = {"name": "r", "sample": {"test_indices": idx, "labels": labels, "predicted": pred}}
    fig = X.sample_figure(row, test, "t")
    colours = [ax.title.get_color() for ax in fig.axes]
    assert colours.count("red") == 5 and len(colours) == 20
    assert "15/20 right" in fig._suptitle.get_text()
    other = load_data("fake", max_train=8, max_test=30, seed=5)[2]
    with pytest.raises(ValueError, match="not the one run 'r' was evaluated on"):
        X.sample_figure(row, other)


def test_a_study_takes_recorded_runs_with_its_settings_and_reports_each_run(monkeypatch):
    from backprop_book.profiles import Profile, Sizes
    from backprop_book.studies import StudyHooks

    data = load_data("fake", max_train=64, max_test=16)
    sizes = Sizes(64, 16, 1)
    mlp = {"model": "mlp", "model_args": {"hidden_sizes": [8]}, "batch_size": 16,
           "device": "cpu", "data": "fake"}  # fmt: skip
    runs = [("a", mlp), ("b", {**mlp, "lr": 0.01})]
    first = X._study(runs, data, sizes, Profile.QUICK, None)
    assert [r["name"] for r in first["runs"]] == ["a", "b"]
    trained, seen = [], []
    real = X.run_one
    monkeypatch.setattr(X, "run_one", lambda *a, **kw: trained.append(kw["name"]) or real(*a, **kw))
    # run a is recorded with the same settings; run b was recorded at another learning rate
    old_b = {**first["runs"][1], "config": {**first["runs"][1]["config"], "lr": 0.1}}
    hooks = StudyHooks({"a": first["runs"][0], "b": old_b}, on_run=seen.append)
    again = X._study(runs, data, sizes, Profile.QUICK, None, hooks=hooks)
    assert trained == ["b"] and hooks.taken == ["a"]
    assert again["runs"][0] == first["runs"][0]  # taken as recorded, not retrained
    assert [s.get("pending_runs") for s in seen] == [["b"], None, None]  # the last: at the end
    assert [len(s["runs"]) for s in seen] == [1, 2, 2]


def _pair(name_lr: dict[str, float] | None = None):
    """Two tiny MLP runs on fake data, as Part IV's studies build them."""
    from backprop_book.profiles import Sizes

    data = load_data("fake", max_train=64, max_test=16)
    sizes = Sizes(64, 16, 1)
    mlp = {"model": "mlp", "model_args": {"hidden_sizes": [8]}, "batch_size": 16,
           "device": "cpu", "data": "fake"}  # fmt: skip
    lrs = name_lr or {"a": 0.001, "b": 0.01}
    return [(n, {**mlp, "lr": lr}) for n, lr in lrs.items()], data, sizes


def test_only_trains_the_named_runs_and_leaves_the_others_pending(monkeypatch):
    from backprop_book.profiles import Profile
    from backprop_book.studies import StudyHooks

    runs, data, sizes = _pair({"a": 0.001, "b": 0.01, "c": 0.1})
    trained = []
    real = X.run_one
    monkeypatch.setattr(X, "run_one", lambda *a, **kw: trained.append(kw["name"]) or real(*a, **kw))
    out = X._study(runs, data, sizes, Profile.QUICK, None, hooks=StudyHooks(only=frozenset("b")))
    assert trained == ["b"]
    assert [r["name"] for r in out["runs"]] == ["b"] and out["pending_runs"] == ["a", "c"]
    with pytest.raises(ValueError, match=r"run names of this study \(a, b, c\), got unknown.*: x"):
        X._study(runs, data, sizes, Profile.QUICK, None, hooks=StudyHooks(only=frozenset("bx")))
    assert trained == ["b"]  # checked before anything trains


def test_runs_another_process_records_meanwhile_join_in_study_order(monkeypatch):
    from backprop_book.profiles import Profile
    from backprop_book.studies import StudyHooks

    runs, data, sizes = _pair({"a": 0.001, "b": 0.01, "c": 0.1})
    other = X._study(runs, data, sizes, Profile.QUICK, None, hooks=StudyHooks(only=frozenset("a")))
    on_disk: dict = {}  # what the record holds; "another process" writes a while b trains
    real = X.run_one

    def train(*args, **kw):
        if kw["name"] == "b":
            on_disk["a"] = other["runs"][0]
        return real(*args, **kw)

    monkeypatch.setattr(X, "run_one", train)
    hooks = StudyHooks(refresh=lambda: dict(on_disk), only=frozenset("bc"))
    out = X._study(runs, data, sizes, Profile.QUICK, None, hooks=hooks)
    assert [r["name"] for r in out["runs"]] == ["a", "b", "c"] and "pending_runs" not in out
    assert hooks.taken == ["a"] and out["runs"][0] == other["runs"][0]


def test_two_calls_record_one_study_side_by_side(monkeypatch, tmp_path, clean_git):
    """Call 1 trains a; while it trains, call 2 trains and records b; the record keeps both."""
    from backprop_book.experiments import run_study, runner
    from backprop_book.profiles import Profile
    from backprop_book.results import load_result
    from backprop_book.studies import Registry

    reg = Registry()
    runs, data, sizes = _pair()

    @reg.study("part9/pair", description="two runs")
    def pair(profile, seed=0, checkpoint_dir=None, hooks=None):
        return X._study(runs, data, sizes, Profile.FULL, checkpoint_dir, seed=seed, hooks=hooks)

    monkeypatch.setattr(runner, "REGISTRY", reg)
    monkeypatch.setattr(runner, "PART_MODULES", {**runner.PART_MODULES, "part9": "json"})
    kw = {"profile": "full", "record": True, "results_dir": tmp_path / "res",
          "runs_dir": tmp_path / "runs"}  # fmt: skip
    real = X.run_one
    trained = []

    def train(*args, **k):
        trained.append(k["name"])
        if k["name"] == "a":  # the second process, started while a trains
            run_study("part9/pair", only=["b"], **kw)
        return real(*args, **k)

    monkeypatch.setattr(X, "run_one", train)
    first = run_study("part9/pair", only=["a"], **kw)
    assert trained == ["a", "b"]
    assert [r["name"] for r in first.data["runs"]] == ["a", "b"]
    rec = load_result("part9/pair", results_dir=tmp_path / "res")
    assert [r["name"] for r in rec.data["runs"]] == ["a", "b"] and "pending_runs" not in rec.data
    log = rec.data["recording_log"]
    assert [(e["trained"], e["taken"]) for e in log] == [(["b"], []), (["a"], ["b"])]
    assert log[0]["call"] != log[1]["call"]
    assert all("logical CPU" in e["hardware"] for e in log)  # which machine each call used
    # each call wrote only its own files: its run and its index entry; no lock file
    folder = tmp_path / "res" / "part9" / "pair"
    calls = {json.loads(p.read_text())["call"] for p in (folder / "index").glob("*.json")}
    assert calls == {e["call"] for e in log}
    assert {p.stem: json.loads(p.read_text())["call"] for p in folder.glob("runs/s0/*.json")} == {
        "a": log[1]["call"], "b": log[0]["call"]}  # fmt: skip
    assert not list(tmp_path.rglob("*.lock"))
    # a third call trains nothing: both runs are recorded
    run_study("part9/pair", **kw)
    assert trained == ["a", "b"]
    with pytest.raises(ValueError, match=r"only \(--runs\) goes with record"):
        run_study("part9/pair", only=["a"], profile="full", results_dir=tmp_path / "res")


def test_seeds_beyond_the_first_hold_only_the_seed_runs(monkeypatch, tmp_path, clean_git):
    """--seed-runs: seed 0 holds every run, seeds 1.. only the named ones, none pending;
    a later call with more seeds takes what is recorded and trains only the new seed."""
    from backprop_book.experiments import run_study, runner
    from backprop_book.profiles import Profile
    from backprop_book.records import load_record
    from backprop_book.studies import Registry

    reg = Registry()
    runs, data, sizes = _pair({"a": 0.001, "b": 0.01, "c": 0.1})

    @reg.study("part9/trio", description="three runs")
    def trio(profile, seed=0, checkpoint_dir=None, hooks=None):
        return X._study(runs, data, sizes, Profile.FULL, checkpoint_dir, seed=seed, hooks=hooks)

    monkeypatch.setattr(runner, "REGISTRY", reg)
    monkeypatch.setattr(runner, "PART_MODULES", {**runner.PART_MODULES, "part9": "json"})
    kw = {"profile": "full", "record": True, "results_dir": tmp_path / "res",
          "runs_dir": tmp_path / "runs", "seed_runs": ["c", "a"]}  # fmt: skip
    real = X.run_one
    trained = []

    def train(*args, **k):
        trained.append((k["seed"], k["name"]))
        return real(*args, **k)

    monkeypatch.setattr(X, "run_one", train)
    first = run_study("part9/trio", seeds=2, **kw)
    assert trained == [(0, "a"), (0, "b"), (0, "c"), (1, "a"), (1, "c")]
    rec = load_record("part9/trio", tmp_path / "res")
    assert rec.pending_runs == []
    assert [(r.seed, r.name) for r in rec.runs()] == [
        (0, "a"), (0, "b"), (0, "c"), (1, "a"), (1, "c")]  # fmt: skip
    assert [r.seed for r in rec.runs("b")] == [0] and len(rec.runs("a")) == 2
    assert rec.provenance.command.endswith("--seeds 2 --seed-runs c,a --record")
    assert first.command == rec.provenance.command
    # one more seed: seeds 0 and 1 are taken from the record, seed 2 trains a and c only
    run_study("part9/trio", seeds=3, **kw)
    assert trained[5:] == [(2, "a"), (2, "c")]
    rec = load_record("part9/trio", tmp_path / "res")
    assert [len(rec.runs(n)) for n in "abc"] == [3, 1, 3] and rec.provenance.seeds == [0, 1, 2]
    # the names are checked before anything trains; the setting needs seeds >= 2 and a record
    with pytest.raises(ValueError, match=r"got unknown run\(s\): z"):
        run_study("part9/trio", seeds=4, **{**kw, "seed_runs": ["a", "z"]})
    assert len(trained) == 7
    with pytest.raises(ValueError, match=r"seed_runs \(--seed-runs\) goes with record"):
        run_study("part9/trio", seeds=1, **kw)
    with pytest.raises(ValueError, match=r"seed_runs must name at least one run"):
        run_study("part9/trio", seeds=2, **{**kw, "seed_runs": []})


def test_same_run_ignores_exactly_the_result_neutral_fields():
    """A recorded run counts for a config that differs only in a field of
    RESULT_NEUTRAL (threads, progress bars, denormal flushing), and for no other;
    a resume may change those same fields, and the epoch count besides."""
    from backprop_book.torch_nn.config import RESULT_NEUTRAL, RESUME_MAY_CHANGE, TrainConfig

    cfg = TrainConfig(model="mlp", epochs=2, data="fake")
    row = {"config": cfg.to_dict(), "epochs_done": 2}
    other = {"threads": 2, "progress": True, "flush_denormal": False}
    assert set(other) == set(RESULT_NEUTRAL)
    for name, value in other.items():
        assert X.same_run({**row, "config": {**cfg.to_dict(), name: value}}, cfg), name
    for name, value in {"lr": 0.1, "seed": 1, "batch_size": 8, "amp": False}.items():
        assert not X.same_run({**row, "config": {**cfg.to_dict(), name: value}}, cfg), name
    assert RESUME_MAY_CHANGE == ("epochs", *RESULT_NEUTRAL)


def test_a_conv3_pool3_quick_runs_both_batches_seeded_and_checkpointed(monkeypatch, tmp_path):
    """The three-pooling net of A's Net2 listing, at batch 4 and 32, on a tiny fake set."""
    from backprop_book.profiles import Sizes

    tiny = Sizes(48, 16, 1)
    monkeypatch.setattr(X, "pick", lambda quick, full, p: tiny)
    monkeypatch.setattr(X, "_load", lambda sizes, seed=0: load_data("fake", max_train=48,
                                                                    max_test=16, seed=0))  # fmt: skip
    out = X.a_conv3_pool3("quick", checkpoint_dir=tmp_path, seed=3)
    assert [r["name"] for r in out["runs"]] == ["batch4", "batch32"]
    for r, batch in zip(out["runs"], (4, 32), strict=True):
        cfg = r["config"]
        assert cfg["batch_size"] == batch and cfg["seed"] == 3
        assert cfg["model"] == "cnn" and cfg["model_args"] == {"n_conv": 3, "layout": "pool3"}
        assert (cfg["lr"], cfg["momentum"], cfg["optimizer"]) == (0.001, 0.9, "sgd")
        assert r["num_parameters"] == 78_262 and r["epochs_done"] == 1
        assert (tmp_path / f"{r['name']}.pt").is_file()
    assert "pending_runs" not in out and out["profile"] == "quick"
    # the same seed and data, another batch size: another training
    assert out["runs"][0]["test_loss"] != out["runs"][1]["test_loss"]
    again = X.a_conv3_pool3("quick", checkpoint_dir=tmp_path, seed=3)  # resumed, not retrained
    assert [r["test_acc"] for r in again["runs"]] == [r["test_acc"] for r in out["runs"]]


def test_d_preprocessing_seeds_the_training_of_every_variant(monkeypatch, tmp_path):
    """The study's seed reaches each variant's TrainConfig (the default 0 keeps the record)."""
    seen: list[tuple[int, str]] = []

    class Stop(Exception):
        pass

    class FakeTrainer:
        def __init__(self, cfg, data):
            seen.append((cfg.seed, cfg.normalization))

        def fit(self, **kwargs):
            raise Stop

    monkeypatch.setattr(X, "extract_image_folder", lambda tmp, split, n: tmp_path)
    monkeypatch.setattr(X, "_folder_data", lambda folder, tf: None)
    monkeypatch.setattr(X, "Trainer", FakeTrainer)
    for seed in (0, 7):
        with pytest.raises(Stop):
            X.d_preprocessing("quick", workdir=tmp_path, seed=seed)
    assert seen == [(0, "tutorial"), (7, "tutorial")]
