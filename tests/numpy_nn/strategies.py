"""Shared hypothesis strategies for the Part II tests."""

from __future__ import annotations

from hypothesis import strategies as st

#: small batch sizes and layer widths
dims = st.integers(min_value=1, max_value=6)
#: seeds for NumPy generators
seeds = st.integers(min_value=0, max_value=2**31 - 1)
