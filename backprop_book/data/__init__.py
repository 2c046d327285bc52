"""Data sets shared by the parts of the book.

* :mod:`backprop_book.data.cifar10` -- CIFAR-10, either the official data set through
  torchvision or the image-folder JPEG copy, decoded once into cached uint8 arrays.
"""

from __future__ import annotations

from backprop_book.data.cifar10 import (
    CIFAR10_CLASSES,
    CifarSplit,
    DataSource,
    cifar10_status,
    default_cache_dir,
    find_cifar10,
    holdout_split,
    load_cifar10,
)
from backprop_book.data.synthetic import (
    SyntheticData,
    load_synthetic,
    quadratic_form,
    synthetic_labels,
)

__all__ = [
    "CIFAR10_CLASSES",
    "CifarSplit",
    "DataSource",
    "SyntheticData",
    "cifar10_status",
    "default_cache_dir",
    "find_cifar10",
    "holdout_split",
    "load_cifar10",
    "load_synthetic",
    "quadratic_form",
    "synthetic_labels",
]
