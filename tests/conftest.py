"""Test-suite-wide configuration: CUDA tests skip cleanly on machines without a GPU."""

from __future__ import annotations

import pytest


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
