"""Random generators: the book's ``rng`` convention plus the exercise's legacy seeding."""

from __future__ import annotations

import numpy as np

RngLike = np.random.Generator | np.random.RandomState | int | None


def as_generator(rng: RngLike) -> np.random.Generator | np.random.RandomState:
    """``np.random.default_rng(rng)``, except that a legacy ``RandomState`` is kept as is.

    A ``RandomState`` is accepted so that the exercise's reference numbers, which were
    drawn with ``np.random.seed(0); np.random.randn(...)``, can be reproduced exactly.

    >>> isinstance(as_generator(0), np.random.Generator)
    True
    >>> float(as_generator(np.random.RandomState(0)).standard_normal()) == float(
    ...     np.random.RandomState(0).randn())
    True
    """
    if isinstance(rng, np.random.RandomState):
        return rng
    if rng is not None and not isinstance(rng, np.random.Generator | int | np.integer):
        raise TypeError(
            f"expected rng as a numpy Generator, RandomState, int seed or None, got "
            f"{type(rng).__name__}"
        )
    return np.random.default_rng(rng)
