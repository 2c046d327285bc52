"""Test-suite-wide configuration: CUDA tests skip cleanly without a GPU; a clean-git fixture."""

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
