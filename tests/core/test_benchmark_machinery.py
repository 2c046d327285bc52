"""The benchmarks' timing helpers: ratios, targets and round-robin order."""

from __future__ import annotations

import pytest

from benchmarks.common import Comparison, compare, time_side_by_side

pytestmark = pytest.mark.core


def test_comparison_ratio_speedup_and_target():
    c = Comparison("x", "base", "cand", baseline_s=7.0, candidate_s=2.0, repeats=3, target=1 / 3.5)
    assert c.ratio == pytest.approx(2 / 7) and c.speedup == pytest.approx(3.5)
    assert c.meets_target is True
    slower = Comparison("x", "b", "c", 7.0, 2.1, 3, 1 / 3.5)
    assert slower.meets_target is False
    assert Comparison("x", "b", "c", 1.0, 1.0, 1).meets_target is None
    d = c.as_dict()
    assert d["speedup"] == pytest.approx(3.5) and d["meets_target"] is True


def test_time_side_by_side_runs_round_robin_with_warmup():
    calls: list[str] = []
    t = time_side_by_side(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=3, warmup=1
    )
    assert calls == ["a", "b"] * 4
    assert set(t) == {"a", "b"} and all(v >= 0 for v in t.values())


def test_compare_alternates_and_names_the_sides():
    calls: list[str] = []
    c = compare("n", ("b", lambda: calls.append("b")), ("c", lambda: calls.append("c")),
                repeats=2, warmup=0)  # fmt: skip
    assert calls == ["b", "c", "b", "c"]
    assert (c.baseline, c.candidate, c.repeats) == ("b", "c", 2)


def test_gpu_session_script_checks_the_machine(tmp_path):
    """The one-line GPU command parses and its 'check' step runs anywhere."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = root / "scripts" / "gpu_session.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    env = {**os.environ, "OUT": str(tmp_path), "PYTHON": __import__("sys").executable}
    # the timeout guards against a hang: on a loaded machine the check takes minutes
    done = subprocess.run(["bash", str(script), "check"], env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "== check" in done.stdout and "torch " in done.stdout and "cuda " in done.stdout


def _gpu_session_calls(tmp_path, step, **env_vars):
    """Run ``gpu_session.sh STEP`` with a stand-in interpreter; return what it was asked to run.

    The stand-in logs its arguments, one call a line, to ``tmp_path/calls.txt`` (kept
    across calls); SEEDS and SEED_RUNS come only from ``env_vars``.
    """
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    fake = tmp_path / "python"
    log = tmp_path / "calls.txt"
    fake.write_text(f'#!/usr/bin/env bash\necho "$*" >> {log}\n')
    fake.chmod(0o755)
    base = {k: v for k, v in os.environ.items() if k not in ("SEEDS", "SEED_RUNS")}
    env = {**base, "OUT": str(tmp_path), "PYTHON": str(fake), **env_vars}
    done = subprocess.run(["bash", str(root / "scripts" / "gpu_session.sh"), step], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return log.read_text().splitlines()


def test_gpu_session_amp_step_records_the_epochs_then_the_study(tmp_path):
    """The 'amp' step is one command: the timed float32/mixed-precision epochs, then E's study."""
    assert _gpu_session_calls(tmp_path, "amp") == [
        "-m benchmarks.bench_flops --record --device cuda",
        "-m backprop_book.cli reproduce part4/alexnet_study --profile full --record --allow-dirty",
    ]


def test_gpu_session_study_step_passes_seeds_and_seed_runs(tmp_path):
    """A study step is one command; SEEDS and SEED_RUNS reach reproduce, and only when set."""
    _gpu_session_calls(tmp_path, "alexnet_study")
    calls = _gpu_session_calls(
        tmp_path, "alexnet_study", SEEDS="3", SEED_RUNS="adam_lr1e-3_b100,lr1e-4"
    )
    cmd = "-m backprop_book.cli reproduce part4/alexnet_study --profile full --record --allow-dirty"
    assert calls == [cmd, cmd + " --seeds 3 --seed-runs adam_lr1e-3_b100,lr1e-4"]


def test_comparison_case_fields_are_recorded():
    from benchmarks.common import Comparison

    c = Comparison("x", "b", "c", 2.0, 1.0, 1, case={"batch_size": 4, "threads": 2})
    d = c.as_dict()
    assert d["case"] == {"batch_size": 4, "threads": 2} and d["speedup"] == 2.0
    assert Comparison("x", "b", "c", 2.0, 1.0, 1).case == {}
