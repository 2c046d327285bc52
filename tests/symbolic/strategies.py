"""Shared hypothesis strategies of the Part I tests."""

from __future__ import annotations

import sympy as sp
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


def _symbol_x() -> sp.Symbol:
    return sp.Symbol("x")


@st.composite
def smooth_functions(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    """A random smooth function of ``x`` defined on the whole real line."""
    x = _symbol_x()
    atoms = [
        x,
        x**2,
        x**3,
        sp.exp(x / 3),
        sp.sin(x),
        sp.cos(2 * x),
        sp.tanh(x),
        sp.log(1 + x**2),
        sp.sqrt(1 + x**2),
        1 / (1 + sp.exp(-x)),
    ]
    terms = draw(st.lists(st.sampled_from(atoms), min_size=1, max_size=3))
    coeffs = draw(
        st.lists(st.integers(-3, 3).filter(bool), min_size=len(terms), max_size=len(terms))
    )
    f = sum((c * t for c, t in zip(coeffs, terms, strict=True)), sp.Integer(0))
    if draw(st.booleans()):
        f = f * draw(st.sampled_from(atoms))
    return f


def equivalent_forms():  # type: ignore[no-untyped-def]
    """Rewritings of a correct derivative ``d`` that keep its value."""
    x = _symbol_x()
    return st.sampled_from(
        [
            ("as is", lambda d: d),
            ("expanded", sp.expand),
            ("rewritten with exp", lambda d: d.rewrite(sp.exp)),
            ("over a common factor", lambda d: sp.expand(d * (x**2 + 1)) / (x**2 + 1)),
            ("plus sin^2 + cos^2 - 1", lambda d: d + sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1),
            ("together", sp.together),
        ]
    )


@st.composite
def tiny_perturbations(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    """A non-zero term that is below 1e-8 relative at points of order one."""
    x = _symbol_x()
    k = draw(st.integers(9, 15))
    c = draw(st.integers(3, 6))
    return draw(
        st.sampled_from(
            [
                sp.Rational(1, 10**k),
                sp.Rational(1, 10**k) * x,
                sp.Rational(1, 10**k) * x**2,
                sp.Rational(1, 10**k) * sp.exp(x),
                sp.Rational(1, 10**k) * sp.sin(x),
                sp.exp(-((x - 10**c) ** 2)),
                x**2 * sp.exp(-((x + 10**c) ** 2)),
                sp.Rational(1, 10**k) / (1 + x**2),
            ]
        )
    )
