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
