"""Bad input to the data and file layer: empty or damaged image folders, other
archives, poisoned caches, interrupted writes, oversized requests, bad settings."""

from __future__ import annotations

import hashlib
import os
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

from backprop_book import _io
from backprop_book.data.cifar10 import CIFAR10_CLASSES, default_cache_dir, load_cifar10
from backprop_book.data.synthetic import MAX_SYNTHETIC, load_synthetic
from backprop_book.results import load_result

pytestmark = pytest.mark.core


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tar(folder: Path, path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname="cifar10-jpeg")
    return path


# ----------------------------------------------------------------------------- image folders


def test_empty_class_folders_are_an_error(tiny_folder: Path) -> None:
    for f in (tiny_folder / "train" / "cat").iterdir():
        f.unlink()
    with pytest.raises(ValueError, match=r"train/cat/ has none"):
        load_cifar10("train", root=tiny_folder)


def test_all_class_folders_empty(tiny_folder: Path) -> None:
    for cls in CIFAR10_CLASSES:
        for f in (tiny_folder / "test" / cls).iterdir():
            f.unlink()
    with pytest.raises(ValueError, match="expected images in every class folder"):
        load_cifar10("test", root=tiny_folder)


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 3],  # truncated JPEG
        lambda b: b"this is not an image at all",  # a text file named .jpg
        lambda b: b"",  # an empty file
    ],
    ids=["truncated", "not-an-image", "empty"],
)
def test_a_damaged_jpeg_is_named(tiny_folder: Path, tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    bad = tiny_folder / "test" / "dog" / "0001.jpg"
    bad.write_bytes(damage(bad.read_bytes()))
    with pytest.raises(ValueError, match=r"cannot decode the image .*test/dog/0001\.jpg"):
        load_cifar10("test", root=tiny_folder)
    archive = _tar(tiny_folder, tmp_path / "damaged.tar.gz")
    with pytest.raises(ValueError, match=r"test/dog/0001\.jpg in .*damaged\.tar\.gz"):
        load_cifar10("test", root=archive, expected_sha256=None)
    # nothing half-decoded was cached
    assert not list((tmp_path / "cache").rglob("*.npz"))


def test_an_image_of_the_wrong_size_is_named(tiny_folder: Path) -> None:
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tiny_folder / "test" / "cat" / "0000.jpg")
    with pytest.raises(ValueError, match=r"32x32 RGB.*\(8, 8, 3\) in .*test/cat/0000\.jpg"):
        load_cifar10("test", root=tiny_folder)


# ----------------------------------------------------------------------------- archives


def test_another_archive_is_refused_with_the_way_to_accept_it(tiny_archive: Path) -> None:
    sha = _sha(tiny_archive)
    with pytest.raises(ValueError, match="checksum mismatch") as info:
        load_cifar10("test", root=tiny_archive)
    msg = str(info.value)
    assert f"--sha256 {sha}" in msg and "--trust-archive" in msg
    assert "expected_sha256" in msg


def test_another_archive_is_accepted_when_asked_and_keyed_on_its_checksum(
    tiny_folder: Path, tmp_path: Path
) -> None:
    a = _tar(tiny_folder, tmp_path / "a.tar.gz")
    (tiny_folder / "test" / "cat" / "0000.jpg").write_bytes(
        (tiny_folder / "test" / "dog" / "0000.jpg").read_bytes()
    )
    b = _tar(tiny_folder, tmp_path / "b.tar.gz")
    da = load_cifar10("test", root=a, expected_sha256=_sha(a))
    db = load_cifar10("test", root=b, expected_sha256=None)
    names = sorted(p.name for p in (tmp_path / "cache" / "cifar10").glob("*.npz"))
    assert names == sorted(f"archive-{_sha(p)[:16]}-test.v2.npz" for p in (a, b))
    assert not np.array_equal(da.images, db.images)  # each archive its own cache


@pytest.mark.parametrize("bad", ["abc", "g" * 64, "0" * 63, 123])
def test_malformed_checksum_is_refused(tiny_archive: Path, bad: object) -> None:
    with pytest.raises(ValueError, match="64 hexadecimal digits"):
        load_cifar10("test", root=tiny_archive, expected_sha256=bad)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- caches


def _only_cache(tmp_path: Path) -> Path:
    (cache,) = (tmp_path / "cache" / "cifar10").glob("*.npz")
    return cache


def test_a_poisoned_well_formed_cache_is_not_loaded(
    tiny_archive: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sha = _sha(tiny_archive)
    good = load_cifar10("test", root=tiny_archive, expected_sha256=sha)
    cache = _only_cache(tmp_path)
    with np.load(cache) as z:
        fields = {k: z[k] for k in z.files}
    poisoned = np.zeros_like(fields["images"])
    np.savez(cache, **{**fields, "images": poisoned})  # right format, keys and source
    again = load_cifar10("test", root=tiny_archive, expected_sha256=sha)
    np.testing.assert_array_equal(again.images, good.images)
    assert "changed after it was written" in caplog.text


def test_a_cache_from_another_source_is_not_loaded(
    tiny_folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    a = _tar(tiny_folder, tmp_path / "a.tar.gz")
    good = load_cifar10("test", root=a, expected_sha256=None)
    cache_a = _only_cache(tmp_path)
    (tiny_folder / "test" / "cat" / "0000.jpg").write_bytes(
        (tiny_folder / "test" / "dog" / "0000.jpg").read_bytes()
    )
    b = _tar(tiny_folder, tmp_path / "b.tar.gz")
    target = cache_a.with_name(f"archive-{_sha(b)[:16]}-test.v2.npz")
    target.write_bytes(cache_a.read_bytes())  # a's cache, self-consistent, under b's name
    db = load_cifar10("test", root=b, expected_sha256=None)
    assert not np.array_equal(db.images, good.images)
    assert "decoded from another source" in caplog.text


def test_cache_env_naming_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    f = tmp_path / "not-a-folder"
    f.write_text("x")
    monkeypatch.setenv("BACKPROP_BOOK_CACHE", str(f))
    with pytest.raises(NotADirectoryError, match=r"\$BACKPROP_BOOK_CACHE must name a folder"):
        default_cache_dir()
    monkeypatch.setenv("BACKPROP_BOOK_CACHE", str(f / "below"))
    with pytest.raises(NotADirectoryError, match="is a file"):
        default_cache_dir()


# ----------------------------------------------------------------------------- atomic writes


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), _io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_temporary_file_left_by_a_kill_is_cleaned(tmp_path: Path) -> None:
    target = tmp_path / "ckpt.pt"
    stale = tmp_path / ".ckpt.pt.abc123.tmp"  # what SIGKILL mid-write leaves
    fresh = tmp_path / ".ckpt.pt.def456.tmp"  # a write in progress elsewhere
    stale.write_bytes(b"half")
    fresh.write_bytes(b"writing")
    old = time.time() - 2 * _io.STALE_TMP_SECONDS
    os.utime(stale, (old, old))
    _io.atomic_write_bytes(target, b"full")
    assert target.read_bytes() == b"full"
    assert not stale.exists() and fresh.exists()


def test_atomic_write_to_a_folder_or_below_a_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        _io.atomic_write_text(tmp_path / "d", "x")
    (tmp_path / "f").write_text("x")
    with pytest.raises(NotADirectoryError, match="a part of its folder path is a file"):
        _io.atomic_write_text(tmp_path / "f" / "x.txt", "x")


# ----------------------------------------------------------------------------- sizes, results


def test_synthetic_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at most"):
        load_synthetic(MAX_SYNTHETIC, 1)
    with pytest.raises(TypeError, match="integer n_val"):
        load_synthetic(10, 2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="floating dtype"):
        load_synthetic(10, 2, dtype=np.int64)  # type: ignore[arg-type]


def test_invalid_utf8_in_a_result_file(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_bytes(b'{"name": "\xff\xfe"}')
    with pytest.raises(ValueError, match=r"bad\.json is not a valid recorded result"):
        load_result("bad", results_dir=tmp_path)


# ----------------------------------------------------------------------------- issue 26: archives


def test_a_flipped_bit_is_caught_with_the_checksum_off(tiny_archive: Path) -> None:
    # the gzip trailer's CRC: tarfile stopped before it, and the archive decoded silently
    data = bytearray(tiny_archive.read_bytes())
    data[-6] ^= 0x01
    tiny_archive.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=rf"cannot read the archive {tiny_archive}.*CRC"):
        load_cifar10("train", root=tiny_archive, expected_sha256=None)


def test_a_flipped_bit_inside_the_data_is_an_error_naming_the_file(tiny_archive: Path) -> None:
    data = bytearray(tiny_archive.read_bytes())
    data[len(data) // 2] ^= 0x10
    tiny_archive.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=str(tiny_archive)):
        load_cifar10("train", root=tiny_archive, expected_sha256=None)


def test_a_truncated_archive_names_the_file(tiny_archive: Path) -> None:
    data = tiny_archive.read_bytes()
    tiny_archive.write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(ValueError, match=rf"cannot read the archive {tiny_archive}: .*truncated"):
        load_cifar10("test", root=tiny_archive, expected_sha256=None)


def test_a_checksum_for_a_folder_copy_is_refused(tiny_folder: Path) -> None:
    # --sha256 was ignored for a folder copy
    with pytest.raises(ValueError, match=r"is an unpacked folder copy, which has no archive"):
        load_cifar10("train", root=tiny_folder, expected_sha256="ab" * 32)
    assert len(load_cifar10("train", root=tiny_folder)) == 30  # the default checksum: no error


def test_extracting_outside_the_destination_is_refused(tiny_archive: Path, tmp_path: Path) -> None:
    from backprop_book.torch_nn.data import extract_image_folder

    dest = tmp_path / "dest"
    with pytest.raises(ValueError, match=r"split must be 'train' or 'test', got '\.\.'"):
        extract_image_folder(dest, "..", archive=tiny_archive)
    with pytest.raises(ValueError, match="per_class must be a positive integer"):
        extract_image_folder(dest, "train", per_class=0, archive=tiny_archive)
    evil = tmp_path / "evil.tar.gz"
    blob = tmp_path / "x.jpg"
    blob.write_bytes((tiny_archive.parent / "cifar10-jpeg/train/cat/0000.jpg").read_bytes())
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(tiny_archive.parent / "cifar10-jpeg", arcname="cifar10-jpeg")
        tar.add(blob, arcname="cifar10-jpeg/train/../x.jpg")
    with pytest.raises(ValueError, match=r"would be written outside"):
        extract_image_folder(dest, "train", archive=evil)
    assert not (dest / "x.jpg").exists() and not (tmp_path / "x.jpg.out").exists()
