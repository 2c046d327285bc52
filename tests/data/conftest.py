"""The data tests run in an isolated environment (see tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(isolated_env: None) -> None:
    """Data tests never see the caller's data/profile settings or write to the real cache."""
