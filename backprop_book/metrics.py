"""Measures shared by the parts: the relative error that every gradient check reports.

The parts do not import each other, so the one definition lives here, beside them,
and each part's ``gradcheck`` module re-exports it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["REL_ERROR_FLOOR", "rel_error"]

#: The denominator's floor: the value of cs231n's gradient-check exercise, which report
#: B's figures use. Where :math:`|a_i| + |b_i|` falls below it the error is measured
#: against the floor, so two gradients that are both (nearly) zero agree instead of
#: dividing round-off by round-off.
REL_ERROR_FLOOR = 1e-8


def rel_error(a: np.ndarray | float, b: np.ndarray | float) -> float:
    """Largest elementwise relative error :math:`\\max_i |a_i - b_i| / \\max(10^{-8}, |a_i| + |b_i|)`.

    The floor is :data:`REL_ERROR_FLOOR`; two empty arrays have error 0.

    Parameters
    ----------
    a, b
        Arrays (or numbers) of the same shape, compared in float64.

    Raises
    ------
    ValueError
        If the shapes differ.

    Examples
    --------
    >>> f"{rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 4e-9])):.1e}"
    '1.0e-09'
    >>> rel_error(0.0, 1e-9), rel_error(0.0, 0.0)
    (0.1, 0.0)
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"rel_error: expected arrays of the same shape, got {a.shape} and {b.shape}"
        )
    denominator = np.maximum(REL_ERROR_FLOOR, np.abs(a) + np.abs(b))
    return float(np.max(np.abs(a - b) / denominator, initial=0.0))
