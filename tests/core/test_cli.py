from __future__ import annotations

import json
from pathlib import Path

import pytest

from backprop_book import __version__
from backprop_book.cli import main

pytestmark = pytest.mark.core


def test_info_names_the_cifar_source(
    tiny_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BACKPROP_BOOK_CIFAR10", str(tiny_folder))
    monkeypatch.setenv("BACKPROP_BOOK_PROFILE", "full")
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"backprop_book {__version__}" in out
    assert (
        f"CIFAR-10:  CIFAR-10 image-folder JPEG copy (folder, cifar10-jpeg; lossy re-encoding) at {tiny_folder}"
        in out
    )
    assert "profile:   full" in out
    assert "devices:   cpu" in out


def test_info_json(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from backprop_book.data import cifar10

    monkeypatch.setattr(cifar10, "_shared_archive", lambda: None)
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["cifar10"]["source"] is None
    assert "BACKPROP_BOOK_CIFAR10" in info["cifar10"]["error"]
    assert info["versions"]["numpy"]
    assert info["devices"]["cpu"] is True


def test_bad_profile_is_reported_not_crashing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BACKPROP_BOOK_PROFILE", "turbo")
    assert main(["info"]) == 0
    assert "invalid (unknown profile 'turbo'" in capsys.readouterr().out


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "info" in capsys.readouterr().out


def test_data_command_loads_and_reports_source(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "--root", str(tiny_folder), "--splits", "test", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("test: 20 images (32, 32, 3) from CIFAR-10 image-folder JPEG copy")
    assert "per class: 2, 2, 2, 2, 2, 2, 2, 2, 2, 2" in out


def test_data_command_error_is_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "--root", str(tmp_path / "missing"), "--splits", "test"]) == 1
    assert "backprop-book data: error: CIFAR-10 path" in capsys.readouterr().err


# ----------------------------------------------------------------------------- reproduce


def _fake_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give Part V's index two tiny claims with the interface the listing reads."""
    from dataclasses import dataclass

    from backprop_book.reports import index

    @dataclass
    class Verdict:
        kind: str
        ours: str
        explanation: str

    @dataclass
    class Claim:
        id: str
        report: str
        item: str
        published: str
        experiment: str | None
        _v: Verdict

        def verdict(self) -> Verdict:
            return self._v

        def basis(self, v: Verdict) -> dict:
            seeds = {self.experiment: 3} if self.experiment else {}
            return {"seeds": seeds, "tolerance": None, "open": [], "readings": []}

    claims = [
        Claim("A.fc_depth", "A", "Table 1", "0.4994", "part4/a_fc_depth",
              Verdict("reproduced", "0.50 +- 0.01", "within 2 standard errors")),
        Claim("C.q2", "C", "Q2 derivative", "dL/dW = x", None,
              Verdict("report wrong", "-", "the checker finds a counterexample")),
    ]  # fmt: skip
    monkeypatch.setattr(index, "all_claims", lambda: list(claims))


def test_reproduce_list_json_follows_the_claims(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_claims(monkeypatch)
    assert main(["reproduce", "--list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list) and len(rows) == 2
    for row in rows:
        assert {"id", "report", "item", "published", "ours", "verdict"} <= set(row)
        assert all(isinstance(row[k], str) for k in ("id", "report", "item", "published", "ours"))
    assert rows[0] == {
        "id": "A.fc_depth", "report": "A", "item": "Table 1", "published": "0.4994",
        "ours": "0.50 +- 0.01", "verdict": "reproduced", "explanation": "within 2 standard errors",
        "experiment": "part4/a_fc_depth", "seeds": {"part4/a_fc_depth": 3}, "tolerance": None,
        "open": [], "readings": [],
    }  # fmt: skip
    assert rows[1]["experiment"] is None and rows[1]["verdict"] == "report wrong"
    assert main(["reproduce", "--list", "--report", "c"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["id", "report", "item", "published", "ours", "seeds", "verdict"]
    assert out[1].startswith("C.q2") and "report wrong" in out[1] and len(out) == 3
    assert main(["reproduce", "--list", "--report", "a"]) == 0
    assert "  3  " in capsys.readouterr().out.splitlines()[1]  # the seeds behind it


def test_reproduce_unknown_id_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reproduce", "part2/bset"]) == 2  # a bad argument
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("backprop-book reproduce: error: unknown study or claim")
    assert "'part2/bset'; did you mean part2/best" in err


def test_reproduce_runs_a_study(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    clean_git: str,
) -> None:
    from backprop_book.autograd import experiments as A

    monkeypatch.setattr(
        A, "profile_sizes", lambda profile=None: {"n_train": 300, "n_val": 100, "epochs": 1}
    )
    monkeypatch.setenv("BACKPROP_BOOK_RESULTS", str(tmp_path))
    assert main(["reproduce", "part3/relu2", "--seeds", "2", "--record"]) == 0
    out = capsys.readouterr().out
    assert "part3/relu2: C: 2 layers, ReLU -- 2 seed(s)" in out
    assert "seed 1: val accuracy" in out and "after 1 epochs" in out
    assert f"recorded {tmp_path / 'part3' / 'relu2.json'}" in out
    assert "backprop-book reproduce part3/relu2 --profile quick --seeds 2 --record" in out
    assert main(["reproduce", "part3/relu2", "--json"]) == 2
    assert "--json and --report go with --list" in capsys.readouterr().err


def test_reproduce_accepts_a_claim_id(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from backprop_book.reports import index

    _fake_claims(monkeypatch)
    assert index.study_for("A.fc_depth").id == "part4/a_fc_depth"
    assert main(["reproduce", "A.fc_depth", "--seeds", "0"]) == 2  # refused by the parser
    assert "argument --seeds: expected a positive integer, got 0" in capsys.readouterr().err
    assert main(["reproduce", "C.q2"]) == 2
    err = capsys.readouterr().err
    assert "claim 'C.q2' is judged by a check, not a run: the checker finds" in err
    assert main(["reproduce", "A.fc_dept"]) == 2
    assert "unknown study or claim 'A.fc_dept'; did you mean A.fc_depth" in capsys.readouterr().err
