"""Every sub-command of ``backprop-book`` given bad arguments: one line, ``error: ...``,
no traceback, exit status 2 for a bad argument and 1 for failed work."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from backprop_book.cli import main

pytestmark = pytest.mark.core

FAKE = ["--data", "fake", "--max-train", "32", "--max-test", "16", "--batch-size", "16",
        "--epochs", "1", "--model", "mlp", "--device", "cpu"]  # fmt: skip


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A file, a folder, a foreign torch file, junk, a pickle, and a finished run."""
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "ckpt-folder" / "checkpoint.pt").mkdir(parents=True)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.pt")
    (tmp_path / "junk.pt").write_bytes(b"\x00garbage")
    import pickle

    (tmp_path / "evil.pt").write_bytes(pickle.dumps(print, protocol=4))
    assert main(["train", *FAKE, "--out", str(tmp_path / "run")]) == 0
    return {
        "file": tmp_path / "a-file",
        "ckpt_folder": tmp_path / "ckpt-folder",
        "foreign": tmp_path / "foreign.pt",
        "junk": tmp_path / "junk.pt",
        "evil": tmp_path / "evil.pt",
        "run": tmp_path / "run",
        "tmp": tmp_path,
    }


# (argv with {placeholders}, exit status, a piece of the one-line message)
CASES: list[tuple[list[str], int, str]] = [
    # top level
    (["--no-such-flag"], 2, "unrecognized arguments"),
    (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    (["info", "--jsn"], 2, "unrecognized arguments: --jsn"),
    # data
    (["data", "--splits", "validation"], 2, "invalid choice: 'validation'"),
    (["data", "--source", "web"], 2, "invalid choice: 'web'"),
    (["data", "--root", "{tmp}/missing", "--splits", "test"], 1, "does not exist"),
    (["data", "--root", "{file}", "--splits", "test"], 1, "expected a .tar.gz archive"),
    (["data", "--sha256", "abc", "--splits", "test"], 2, "--sha256 expects 64 hexadecimal"),
    (["data", "--sha256", "0" * 64, "--trust-archive"], 2, "not allowed with argument"),
    # reproduce
    (["reproduce", "part2/bset"], 2, "'part2/bset'; did you mean part2/best"),
    (["reproduce", "part3/relu2", "--seeds", "0"], 2, "--seeds: expected a positive integer"),
    (["reproduce", "part3/relu2", "--json"], 2, "--json and --report go with --list"),
    (["reproduce", "part3/relu2", "--fresh"], 2, "--fresh goes with --record"),
    (["reproduce", "part4/alexnet_study", "--runs", "sgd"], 2, "--runs goes with --record"),
    (["reproduce", "part3/relu2", "--record", "--runs", "a"], 2, "part3/relu2 is a single run"),
    (["reproduce", "part4/alexnet_study", "--runs", "sgd,,b"], 2, "expected run names separated"),
    (
        ["reproduce", "part4/alexnet_study", "--seeds", "3", "--seed-runs", "sgd"],
        2,
        "--seed-runs goes with --record",
    ),
    (
        ["reproduce", "part4/alexnet_study", "--record", "--seed-runs", "sgd"],
        2,
        "--seeds 2 or more",
    ),
    (
        ["reproduce", "part2/best", "--record", "--seeds", "2", "--seed-runs", "a"],
        2,
        "part2/best is a single run",
    ),
    (["reproduce", "--list", "--report", "F"], 2, "invalid choice: 'F'"),
    (["reproduce", "part3/relu2", "--profile", "huge"], 2, "invalid choice: 'huge'"),
    (["reproduce", "part3/relu2", "--seeds", "1000000"], 2, "--seeds takes at most 100"),
    # train: settings
    (["train", *FAKE, "--lr", "inf", "--out", "{tmp}/x"], 2, "TrainConfig.lr: expected a finite"),
    (["train", *FAKE, "--lr", "nan", "--out", "{tmp}/x"], 2, "TrainConfig.lr"),
    (["train", *FAKE, "--lr", "fast", "--out", "{tmp}/x"], 2, "--lr: invalid float value"),
    (["train", *FAKE, "--batch-size", "0", "--out", "{tmp}/x"], 2, "TrainConfig.batch_size"),
    (["train", *FAKE, "--momentum", "1.5", "--out", "{tmp}/x"], 2, "TrainConfig.momentum"),
    (["train", *FAKE, "--weight-decay", "inf", "--out", "{tmp}/x"], 2, "weight_decay"),
    (["train", *FAKE, "--optimizer", "lbfgs", "--out", "{tmp}/x"], 2, "invalid choice: 'lbfgs'"),
    (
        ["train", *FAKE, "--model-arg", 'hidden_sizes="123"', "--out", "{tmp}/x"],
        2,
        "hidden_sizes of type Sequence[int], got '123'",
    ),
    (["train", *FAKE, "--model-arg", "hidden_sizes=[0]", "--out", "{tmp}/x"], 1, "hidden_sizes"),
    (["train", *FAKE, "--model-arg", "depth=3", "--out", "{tmp}/x"], 2, "no argument(s) ['depth']"),
    (["train", *FAKE, "--model-arg", "novalue", "--out", "{tmp}/x"], 2, "KEY=VALUE"),
    (
        ["train", *FAKE, "--model-arg", "hidden_sizes=[8]", "--model-arg", "hidden_sizes=[9]"],
        2,
        "--model-arg hidden_sizes given twice",
    ),
    (
        ["train", *FAKE, "--device", "cpu:7", "--out", "{tmp}/x"],
        2,
        "only CUDA devices are numbered",
    ),
    (["train", *FAKE, "--seed", str(2**70), "--out", "{tmp}/x"], 2, "TrainConfig.seed"),
    (
        ["train", *FAKE, "--stop-after", "0", "--out", "{tmp}/x"],
        2,
        "--stop-after: expected a positive",
    ),
    (["train", *FAKE, "--stop-after", "5", "--out", "{tmp}/x"], 2, "past the run's 1 epochs"),
    (["train", *FAKE, "--val-size", "1000000", "--out", "{tmp}/x"], 1, "fake images"),
    (["train", *FAKE, "--patience", "2", "--out", "{tmp}/x"], 2, "needs a validation set"),
    (
        ["train", *FAKE, "--grayscale", "--normalization", "none", "--out", "{tmp}/x"],
        1,
        "expects images of shape (3, 32, 32)",
    ),
    # train: files
    (["train", *FAKE, "--out", "{file}"], 2, "is a file; expected a folder"),
    (["train", *FAKE, "--out", "{file}/below"], 2, "is a file, not a folder"),
    (["train", *FAKE, "--out", "{ckpt_folder}"], 2, "checkpoint.pt is a folder"),
    (["train", *FAKE, "--out", "{tmp}/never", "--resume"], 1, "--resume: no checkpoint"),
    (
        ["train", *FAKE, "--out", "{run}", "--resume", "--lr", "0.5"],
        2,
        "--resume keeps the checkpoint's settings, but --lr 0.5",
    ),
    (
        ["train", *FAKE, "--out", "{run}", "--resume", "--lr", "0.5"],
        2,
        "only --epochs, --threads, --progress, --flush-denormal may change",
    ),
    (["train", *FAKE, "--out", "{run}", "--resume", "--model", "fc"], 2, "--model 'fc'"),
    (
        ["train", *FAKE, "--lr", "1e30", "--momentum", "0", "--out", "{tmp}/nan"],
        1,
        "training diverged",
    ),
    # evaluate
    (["evaluate"], 2, "the following arguments are required: checkpoint"),
    (["evaluate", "{tmp}/missing.pt"], 1, "no checkpoint at"),
    (["evaluate", "{tmp}"], 1, "is a folder"),
    (["evaluate", "{foreign}"], 1, "is not a backprop_book checkpoint: expected format"),
    (["evaluate", "{junk}"], 1, "cannot be read as a weights-only torch file"),
    (["evaluate", "{evil}"], 1, "cannot be read as a weights-only torch file"),
    (["evaluate", "{run}/checkpoint.pt", "--split", "val"], 2, "invalid choice: 'val'"),
    (["evaluate", "{run}/checkpoint.pt", "--max-examples", "0"], 2, "expected a positive integer"),
    (["evaluate", "{run}/checkpoint.pt", "--device", "tpu"], 2, "TrainConfig.device"),
]


@pytest.mark.parametrize(("argv", "status", "message"), CASES, ids=lambda v: str(v)[:60])
def test_bad_arguments_give_one_line(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    status: int,
    message: str,
) -> None:
    capsys.readouterr()
    args = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
    assert main(args) == status
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    assert err.count("\n") == 1, err
    assert "error: " in err and message in err, err
    assert "weights_only=False" not in err


def test_every_subcommand_is_covered() -> None:
    from backprop_book.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = set(sub.choices) - {"experiments"}  # an alias of reproduce
    tried = {argv[0] for argv, _, _ in CASES if not argv[0].startswith("-")}
    assert commands <= tried | {"frobnicate"}, commands - tried


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        main(["--debug", "evaluate", str(tmp_path / "missing.pt")])


def test_the_console_command_in_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "BACKPROP_BOOK_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "backprop_book.cli", "evaluate", str(tmp_path / "x.pt")]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert r.returncode == 1
    assert r.stderr == f"backprop-book evaluate: error: no checkpoint at {tmp_path / 'x.pt'}\n"
    r = subprocess.run(
        [*cmd[:3], "train", "--lr", "inf", "--data", "fake"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "nested at most 32 deep"),
        (lambda p: p.write_text(p.read_text().replace('"profile": "full"', '"profile": "bogus"')),
         "provenance profile must be 'quick' or 'full', got 'bogus'"),
        (lambda p: p.write_text(p.read_text().replace('"runs": [', '"rns": [', 1)),
         "outputs of seed 0 need 'runs', the list of its run names, got None"),
    ],
)  # fmt: skip
def test_a_damaged_results_file_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    damage: object, message: str,
) -> None:  # fmt: skip
    """``reproduce --list`` over a results folder with one damaged file (issue: 100,000
    deep, a bogus profile, an index without its runs): one line, the file named."""
    import shutil

    from backprop_book.records import default_results_dir

    dst = tmp_path / "results"
    shutil.copytree(default_results_dir(), dst)
    index = next((dst / "part4" / "a_fc_depth" / "index").glob("*.json"))
    damage(index)  # type: ignore[operator]
    monkeypatch.setenv("BACKPROP_BOOK_RESULTS", str(dst))
    capsys.readouterr()
    assert main(["reproduce", "--list"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out and err.count("\n") == 1, err
    assert err.startswith(f"backprop-book reproduce: error: {index} is not a valid recorded")
    assert message in err, err


# ----------------------------------------------------------------------------- issue 26: before training


@pytest.mark.parametrize("kind", ["missing", "file", "read-only"])
def test_record_into_a_folder_that_cannot_take_it_fails_before_training(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "results"
    if kind == "file":
        target.write_text("x")
    elif kind == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only folder")
        target.mkdir()
        target.chmod(0o555)
    monkeypatch.setenv("BACKPROP_BOOK_RESULTS", str(target))
    start = time.monotonic()
    assert main(["reproduce", "part3/relu2", "--record"]) == 2
    assert time.monotonic() - start < 20  # no training: the study takes minutes
    err = capsys.readouterr().err
    expected = {"missing": "does not exist", "file": "is not a folder", "read-only": "cannot be"}
    assert err.count("\n") == 1 and f"--record writes into {target}" in err
    assert expected[kind] in err and "checked before training" in err


def test_resume_with_fewer_epochs_than_done_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # it exited 0 with metrics saying "epochs 1, epochs_done 3"
    run = tmp_path / "run"
    base = [a for a in FAKE if a not in ("--epochs", "1")]
    assert main(["train", *base, "--epochs", "2", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["train", *base, "--epochs", "1", "--out", str(run), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "--resume --epochs 1: the checkpoint has already trained 2 epochs" in err


def test_a_checksum_for_a_folder_copy_is_an_error(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["data", "--root", str(tiny_folder), "--splits", "test", "--sha256", "ab" * 32]
    assert main(argv) == 1
    assert "is an unpacked folder copy" in capsys.readouterr().err
