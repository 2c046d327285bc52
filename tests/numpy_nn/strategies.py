"""Shared hypothesis strategies for the Part II tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

#: small batch sizes and widths
dims = st.integers(min_value=1, max_value=6)
seeds = st.integers(min_value=0, max_value=2**31 - 1)


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    """A float64 array of ``shape`` from a seeded normal draw (values away from kinks)."""
    seed = draw(seeds)
    return scale * np.random.default_rng(seed).standard_normal(shape)
