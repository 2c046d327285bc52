from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from backprop_book.data import cifar10
from backprop_book.data.cifar10 import (
    CIFAR10_CLASSES,
    SHARED_ARCHIVE_SHA256,
    cifar10_status,
    find_cifar10,
    holdout_split,
    load_cifar10,
)
from backprop_book.runtime import repo_root

pytestmark = pytest.mark.core

PER_CLASS = {"train": 3, "test": 2}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("split", ["train", "test"])
def test_folder_and_archive_give_identical_arrays(
    tiny_folder: Path, tiny_archive: Path, split: str
) -> None:
    a = load_cifar10(split, root=tiny_folder)
    b = load_cifar10(split, root=tiny_archive, expected_sha256=_sha(tiny_archive))
    n = 10 * PER_CLASS[split]
    assert a.images.shape == (n, 32, 32, 3) and a.images.dtype == np.uint8
    assert a.labels.dtype == np.int64
    assert a.labels.tolist() == np.repeat(np.arange(10), PER_CLASS[split]).tolist()
    np.testing.assert_array_equal(a.images, b.images)
    assert (a.source.kind, a.source.layout) == ("image-folder", "folder")
    assert (b.source.kind, b.source.layout) == ("image-folder", "archive")
    assert "lossy" in b.source.describe() and a.classes == CIFAR10_CLASSES


def test_decoded_pixels_match_the_jpeg(tiny_folder: Path) -> None:
    from PIL import Image

    d = load_cifar10("test", root=tiny_folder)
    first_cat = tiny_folder / "test" / "cat" / "0000.jpg"
    expected = np.asarray(Image.open(first_cat).convert("RGB"))
    index = CIFAR10_CLASSES.index("cat") * PER_CLASS["test"]
    np.testing.assert_array_equal(d.images[index], expected)


def test_cache_is_used_on_second_load(
    tiny_archive: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sha = _sha(tiny_archive)
    first = load_cifar10("test", root=tiny_archive, expected_sha256=sha)
    cache_files = list((tmp_path / "cache" / "cifar10").glob("*.npz"))
    assert [p.name for p in cache_files] == [f"archive-{sha[:16]}-test.v2.npz"]

    def no_decode(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoded again although the cache is valid")

    monkeypatch.setattr(cifar10, "_decode_archive", no_decode)
    again = load_cifar10("test", root=tiny_archive, expected_sha256=sha)
    np.testing.assert_array_equal(first.images, again.images)


def test_truncated_cache_is_rebuilt(
    tiny_archive: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sha = _sha(tiny_archive)
    good = load_cifar10("train", root=tiny_archive, expected_sha256=sha)
    (cache,) = (tmp_path / "cache" / "cifar10").glob("*.npz")
    data = cache.read_bytes()
    cache.write_bytes(data[: len(data) // 2])
    rebuilt = load_cifar10("train", root=tiny_archive, expected_sha256=sha)
    np.testing.assert_array_equal(good.images, rebuilt.images)
    assert "unreadable" in caplog.text
    assert cache.read_bytes() == data  # the rebuilt file replaced the truncated one


def test_cache_with_wrong_contents_is_rebuilt(
    tiny_folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = load_cifar10("test", root=tiny_folder)
    (cache,) = (tmp_path / "cache" / "cifar10").glob("*.npz")
    np.savez(
        cache,
        images=np.zeros((2, 8, 8, 3), np.uint8),
        labels=np.zeros(2, np.int64),
        format=np.int64(1),
    )
    rebuilt = load_cifar10("test", root=tiny_folder)
    np.testing.assert_array_equal(good.images, rebuilt.images)
    assert "unexpected contents" in caplog.text


def test_cache_write_is_atomic(
    tiny_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(fh: object, **arrays: object) -> None:
        fh.write(b"PK\x03\x04 partial")  # type: ignore[attr-defined]
        raise KeyboardInterrupt

    monkeypatch.setattr(cifar10.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        load_cifar10("test", root=tiny_folder)
    cache_dir = tmp_path / "cache" / "cifar10"
    assert list(cache_dir.iterdir()) == []  # no half-written cache, no temporary left behind


def test_wrong_checksum_is_an_error(tiny_archive: Path) -> None:
    with pytest.raises(
        ValueError,
        match=rf"checksum mismatch .*expected sha256 {SHARED_ARCHIVE_SHA256}, got {_sha(tiny_archive)}",
    ):
        load_cifar10("test", root=tiny_archive)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_cifar10("test", root=tmp_path / "nowhere")


def test_missing_class_folders_are_named(tiny_folder: Path) -> None:
    for cls in ("cat", "dog"):
        for f in (tiny_folder / "test" / cls).iterdir():
            f.unlink()
        (tiny_folder / "test" / cls).rmdir()
    with pytest.raises(ValueError, match="missing: cat, dog"):
        load_cifar10("test", root=tiny_folder)
    (tiny_folder / "test" / "unicorn").mkdir()
    with pytest.raises(ValueError, match="unexpected: unicorn"):
        load_cifar10("test", root=tiny_folder)


def test_bad_split_source_and_non_cifar_paths(tiny_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        load_cifar10("val", root=tiny_folder)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="source must be"):
        find_cifar10("kaggle", tiny_folder)  # type: ignore[arg-type]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="neither an image-folder copy"):
        load_cifar10("test", root=empty)
    txt = tmp_path / "notes.txt"
    txt.write_text("x")
    with pytest.raises(ValueError, match=r"expected a \.tar\.gz archive"):
        load_cifar10("test", root=txt)
    with pytest.raises(
        ValueError, match=r"asked for the official CIFAR-10 but .* holds the image-folder copy"
    ):
        load_cifar10("test", source="official", root=tiny_folder)


def test_environment_variable_selects_the_copy(
    tiny_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKPROP_BOOK_CIFAR10", str(tiny_folder))
    assert find_cifar10().path == tiny_folder
    status = cifar10_status()
    assert status["kind"] == "image-folder" and status["path"] == str(tiny_folder)


def test_nothing_found_says_how_to_get_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cifar10, "_shared_archive", lambda: None)
    with pytest.raises(FileNotFoundError, match=r"BACKPROP_BOOK_CIFAR10.*download=True"):
        find_cifar10()
    assert "BACKPROP_BOOK_CIFAR10" in str(cifar10_status()["error"])


def test_official_source_missing_data_without_download(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"official CIFAR-10 is not at .*download=True"):
        load_cifar10("test", source="official", root=tmp_path / "torchvision-root")


def test_official_source_reads_torchvision_arrays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torchvision.datasets

    calls = {}

    class FakeCIFAR10:
        def __init__(self, root: str, train: bool, download: bool) -> None:
            calls.update(root=root, train=train, download=download)
            self.data = np.full((4, 32, 32, 3), 7, np.uint8)
            self.targets = [3, 1, 4, 1]

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCIFAR10)
    root = tmp_path / "tv"
    root.mkdir()
    (root / "cifar-10-batches-py").mkdir()
    d = load_cifar10("train", root=root, download=True)
    assert calls == {"root": str(root), "train": True, "download": True}
    assert d.source.kind == "official" and "official" in d.source.describe()
    assert d.labels.tolist() == [3, 1, 4, 1] and d.images.dtype == np.uint8


def test_holdout_split_is_seeded_and_disjoint(tiny_folder: Path) -> None:
    d = load_cifar10("train", root=tiny_folder)
    a1, b1 = holdout_split(d, 5, seed=1)
    _, b2 = holdout_split(d, 5, seed=1)
    _, b3 = holdout_split(d, 5, seed=2)
    np.testing.assert_array_equal(b1.images, b2.images)
    assert not np.array_equal(b1.labels, b3.labels) or not np.array_equal(b1.images, b3.images)
    assert len(a1) + len(b1) == len(d)
    with pytest.raises(
        ValueError, match="n_holdout must be between 1 and 29 for 30 examples, got 30"
    ):
        holdout_split(d, 30, seed=0)


def _shared_copy() -> Path | None:
    env = os.environ.get("BACKPROP_BOOK_CIFAR10")
    if env and env.endswith(".tar.gz") and Path(env).is_file():
        return Path(env)
    root = repo_root()
    candidate = None if root is None else root.parent / "shared" / "data" / "cifar10-jpeg.tar.gz"
    return candidate if candidate is not None and candidate.is_file() else None


SHARED = _shared_copy()  # read at import, before the autouse fixture clears the environment


@pytest.mark.slow
@pytest.mark.skipif(SHARED is None, reason="the shared CIFAR-10 copy is not available")
def test_shared_copy_test_split(monkeypatch: pytest.MonkeyPatch) -> None:
    # use (and fill) the real cache: decoding the split takes seconds
    monkeypatch.delenv("BACKPROP_BOOK_CACHE")
    assert SHARED is not None
    d = load_cifar10("test", root=SHARED)
    assert d.images.shape == (10_000, 32, 32, 3)
    assert np.bincount(d.labels).tolist() == [1000] * 10
    mean = d.images.reshape(-1, 3).mean(axis=0) / 255
    np.testing.assert_allclose(mean, [0.4941, 0.4851, 0.4504], atol=6e-5)
