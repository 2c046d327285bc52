"""CIFAR-10 loading: decoding the JPEG copy versus reading the decoded-array cache."""

from __future__ import annotations

import tempfile

from backprop_book.data import cifar10
from benchmarks.common import Comparison, compare


def run(quick: bool) -> list[Comparison]:
    src = cifar10.find_cifar10("image-folder")
    with tempfile.TemporaryDirectory() as cache:
        cifar10.load_cifar10("test", root=src.path, cache_dir=cache)  # fill the cache once

        def decode() -> object:
            if src.layout == "archive":
                return cifar10._decode_archive(src.path, "test", progress=False)
            return cifar10._decode_folder(
                cifar10._folder_files(src.path, "test"), "test", progress=False
            )

        def cached() -> object:
            return cifar10.load_cifar10("test", root=src.path, cache_dir=cache)

        return [
            compare(
                "cifar10 test split (10,000 images)",
                ("decode JPEG", decode),
                ("cached uint8 load", cached),
                repeats=1 if quick else 3,
                warmup=0,
                target=1 / 10,
                note=f"source: {src.describe()}; target: cache at least 10x faster",
            )
        ]
