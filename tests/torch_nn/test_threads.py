"""The trainer's thread choice: the choice rule (with a fake clock), the cache, the hook."""

from __future__ import annotations

import json

import pytest
import torch

from backprop_book.torch_nn import threads as T
from backprop_book.torch_nn.trainer import TrainConfig, Trainer

pytestmark = pytest.mark.part4


class FakeMachine:
    """A clock that a step advances by the cost of the current thread count."""

    def __init__(self, cost: dict[int, float]):
        self.cost, self.now, self.current, self.steps = cost, 0.0, 1, []

    def set_threads(self, n: int) -> None:
        self.current = n

    def step(self) -> None:
        self.steps.append(self.current)
        self.now += self.cost[self.current]

    def timer(self) -> float:
        return self.now

    def kw(self) -> dict:
        return {"timer": self.timer, "set_threads": self.set_threads}


def test_the_fastest_count_wins_and_is_left_set():
    m = FakeMachine({1: 0.05, 2: 0.03, 4: 0.04})
    c = T.choose_threads(m.step, (1, 2, 4), steps=2, warmup=1, **m.kw())
    assert c.threads == 2 and m.current == 2
    assert c.seconds_per_step == {1: pytest.approx(0.05), 2: pytest.approx(0.03),
                                  4: pytest.approx(0.04)}  # fmt: skip
    assert m.steps == [1, 1, 1, 2, 2, 2, 4, 4, 4]  # warm-up + 2 timed steps each


def test_more_threads_must_beat_fewer_by_more_than_the_tie_margin():
    m = FakeMachine({1: 1.0, 2: 1.0 - T.TIE / 2})
    assert T.choose_threads(m.step, (1, 2), **m.kw()).threads == 1
    m = FakeMachine({1: 1.0, 2: 1.0 - 2 * T.TIE})
    assert T.choose_threads(m.step, (1, 2), **m.kw()).threads == 2


def test_the_median_ignores_one_slow_step():
    m = FakeMachine({1: 1.0, 2: 0.5})
    base = m.step
    calls = {"n": 0}

    def spiky():  # the first timed step at 2 threads is hit by a stall
        calls["n"] += 1
        base()
        if m.current == 2 and calls["n"] == 6:
            m.now += 10.0

    c = T.choose_threads(spiky, (1, 2), steps=3, warmup=1, **m.kw())
    assert c.threads == 2 and c.seconds_per_step[2] == pytest.approx(0.5)


@pytest.mark.parametrize("bad", [dict(steps=0), dict(warmup=-1)])
def test_bad_timing_settings_are_refused(bad):
    with pytest.raises(ValueError, match="steps >= 1"):
        T.choose_threads(lambda: None, (1,), **bad)
    with pytest.raises(ValueError, match="at least one thread count"):
        T.choose_threads(lambda: None, ())


def test_candidates_and_settings():
    assert T.candidates(3) == (1, 2, 3)
    assert T.candidates(8) == (1, 2, 4, 8)
    with pytest.raises(ValueError, match="positive number of threads"):
        T.candidates(0)
    assert not T.valid_threads_setting(-1)
    with pytest.raises(ValueError, match=r"TrainConfig\.threads: expected None, a positive"):
        TrainConfig(threads="fast")


def test_cache_is_used_per_key_and_refresh_measures_again(tmp_path):
    path = tmp_path / "threads.json"
    m = FakeMachine({1: 0.2, 2: 0.1})
    first = T.auto_threads(m.step, "k1", threads=(1, 2), path=path, **m.kw())
    assert (first.threads, first.cached) == (2, False)
    n_steps = len(m.steps)
    m.current = 1
    again = T.auto_threads(m.step, "k1", threads=(1, 2), path=path, **m.kw())
    assert (again.threads, again.cached) == (2, True)
    assert len(m.steps) == n_steps and m.current == 2  # no step timed; the choice applied
    other = FakeMachine({1: 0.1, 2: 0.2})
    assert T.auto_threads(other.step, "k2", threads=(1, 2), path=path, **other.kw()).threads == 1
    stored = json.loads(path.read_text())["entries"]
    assert sorted(stored) == ["k1", "k2"] and stored["k1"]["threads"] == 2
    changed = FakeMachine({1: 0.1, 2: 0.2})
    r = T.auto_threads(changed.step, "k1", threads=(1, 2), path=path, refresh=True,
                       **changed.kw())  # fmt: skip
    assert (r.threads, r.cached) == (1, False)
    assert json.loads(path.read_text())["entries"]["k1"]["threads"] == 1
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically, no leftovers


@pytest.mark.parametrize(
    "content",
    ["not json", json.dumps({"format": 99, "entries": {}}),
     json.dumps({"format": 1, "entries": {"k": {"threads": 64, "seconds_per_step": {"64": 1}}}}),
     json.dumps({"format": 1, "entries": {"k": {"threads": "x"}}})],
)  # fmt: skip
def test_an_unusable_cache_is_measured_again(tmp_path, content):
    path = tmp_path / "threads.json"
    path.write_text(content)
    m = FakeMachine({1: 0.2, 2: 0.1})
    c = T.auto_threads(m.step, "k", threads=(1, 2), path=path, **m.kw())
    assert (c.threads, c.cached) == (2, False) and m.steps


def test_cache_key_separates_models_batches_and_machines():
    keys = {T.cache_key("alexnet", 100), T.cache_key("alexnet", 10),
            T.cache_key("alexnet", 100, {"batch_norm": True}), T.cache_key("mlp", 100)}  # fmt: skip
    assert len(keys) == 4 and all(k.startswith(T.machine_id()) for k in keys)


def _cfg(**kw):  # a net with dropout: the timed steps would draw from torch's generator
    return TrainConfig(model="grayscale_net", model_args={"hidden": 16, "dropout": 0.5},
                       grayscale=True, data="fake", max_train=32, max_test=16, batch_size=8,
                       epochs=1, device="cpu", **kw)  # fmt: skip


def test_trainer_default_leaves_threads_and_records_them():
    before = torch.get_num_threads()
    t = Trainer(_cfg())
    assert t.thread_choice is None and torch.get_num_threads() == before
    assert t.fit()[0]["threads"] == before


def test_trainer_auto_chooses_caches_and_changes_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_BOOK_CACHE", str(tmp_path))
    before = torch.get_num_threads()
    try:
        plain_t = Trainer(_cfg(threads=1))
        rng_plain = torch.get_rng_state()
        plain = plain_t.fit()
        auto = Trainer(_cfg(threads="auto"))
        assert torch.equal(torch.get_rng_state(), rng_plain)  # the timing drew no numbers
        choice = auto.thread_choice
        assert choice is not None and not choice.cached
        assert choice.threads in T.candidates() and torch.get_num_threads() == choice.threads
        assert (tmp_path / T.CACHE_FILE).is_file()
        torch.set_num_threads(1)  # same threads as `plain`: the histories must agree exactly
        hist = auto.fit()
        assert [h["train_loss"] for h in hist] == [h["train_loss"] for h in plain]
        assert Trainer(_cfg(threads="auto")).thread_choice.cached
    finally:
        torch.set_num_threads(before)


def test_the_command_line_option_takes_auto_or_a_count():
    import argparse

    from backprop_book.torch_nn.config import add_config_arguments, config_values

    p = argparse.ArgumentParser(exit_on_error=False)
    add_config_arguments(p)
    assert config_values(p.parse_args(["--threads", "auto"])) == {"threads": "auto"}
    assert config_values(p.parse_args(["--threads", "2"])) == {"threads": 2}
    assert TrainConfig(**config_values(p.parse_args(["--threads", "2"]))).threads == 2
    for bad in ("0", "fast"):
        with pytest.raises(argparse.ArgumentError, match="invalid parse_threads value"):
            p.parse_args(["--threads", bad])
