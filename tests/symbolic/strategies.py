"""Shared hypothesis strategies of the Part I tests."""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def conv_geometry(draw: st.DrawFn) -> tuple[int, int, int, int, int]:
    """(W, F, P, S, W2) with W = (W2 - 1) S + F - 2P >= 1, so the formula is exact."""
    F = draw(st.integers(1, 11))
    S = draw(st.integers(1, 5))
    W2 = draw(st.integers(1, 40))
    P = draw(st.integers(0, (F - 1) // 2 + 1))
    W = (W2 - 1) * S + F - 2 * P
    if W < 1:
        W = W + S * ((1 - W + S - 1) // S)
        W2 = (W - F + 2 * P) // S + 1
    return W, F, P, S, W2


small_dims = st.integers(1, 3)
channels = st.integers(1, 64)
