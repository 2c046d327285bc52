"""Shared hypothesis strategies of the Part IV tests."""

from __future__ import annotations

from hypothesis import strategies as st

#: (batch, channels, height, width) of small image batches
image_shapes = st.tuples(
    st.integers(1, 6), st.sampled_from([1, 3]), st.integers(2, 8), st.integers(2, 8)
)
paddings = st.integers(0, 3)
seeds = st.integers(0, 2**16)
