"""Test-suite-wide configuration: CUDA tests skip cleanly on machines without a GPU; the
tiny CIFAR-10 copies and the isolated environment that the core and data tests share;
a clean-git fixture."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backprop_book.data.cifar10 import CIFAR10_CLASSES


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cuda_items = [item for item in items if "cuda" in item.keywords]
    if not cuda_items:
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (none found by torch.cuda.is_available())")
    for item in cuda_items:
        item.add_marker(skip)


PER_CLASS = {"train": 3, "test": 2}


def _jpeg(rng: np.random.Generator) -> bytes:
    arr = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    """A tiny image-folder copy of CIFAR-10: 3 train and 2 test JPEGs per class."""
    rng = np.random.default_rng(0)
    root = tmp_path / "cifar10-jpeg"
    for split, n in PER_CLASS.items():
        for cls in CIFAR10_CLASSES:
            d = root / split / cls
            d.mkdir(parents=True)
            for i in range(n):
                (d / f"{i:04d}.jpg").write_bytes(_jpeg(rng))
    return root


@pytest.fixture
def tiny_archive(tiny_folder: Path, tmp_path: Path) -> Path:
    path = tmp_path / "tiny.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tiny_folder, arcname="cifar10-jpeg")
    return path


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No data or profile settings of the caller are seen, and no write reaches the real cache."""
    monkeypatch.delenv("BACKPROP_BOOK_CIFAR10", raising=False)
    monkeypatch.delenv("BACKPROP_BOOK_PROFILE", raising=False)
    monkeypatch.setenv("BACKPROP_BOOK_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def clean_git(monkeypatch: pytest.MonkeyPatch) -> str:
    """Make the recorder see a clean checkout at a fixed commit (tests run in dirty trees too)."""
    from backprop_book import results
    from backprop_book.experiments import runner
    from backprop_book.runtime import GitState

    commit = "0123456789abcdef0123456789abcdef01234567"
    state = GitState(commit, False, None)
    monkeypatch.setattr(results, "git_state", lambda: state)
    monkeypatch.setattr(runner, "git_state", lambda: state)
    return commit
