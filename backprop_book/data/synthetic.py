"""The course's synthetic two-feature data set (reports C and E, question 9).

:math:`x \\sim \\mathcal N(0, I_2)`; the class is 1 where the quadratic form
:math:`x^T Q x > 0.6` with :math:`Q = \\begin{pmatrix}1 & 0.5\\\\ 1 & 0.2\\end{pmatrix}`,
else 0; 60,000 training and 10,000 validation instances.

Only the symmetric part :math:`(Q + Q^T)/2 = \\begin{pmatrix}1 & 0.75\\\\ 0.75 & 0.2\\end{pmatrix}`
matters in :math:`x^T Q x`; its determinant is :math:`0.2 - 0.5625 < 0`, so the
form is *indefinite* and the class boundary :math:`x^T Q x = 0.6` is a hyperbola,
not the ellipse the course material describes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "THRESHOLD",
    "Q",
    "SyntheticData",
    "load_synthetic",
    "quadratic_form",
    "synthetic_labels",
]

#: the course's matrix of the quadratic form
Q = np.array([[1.0, 0.5], [1.0, 0.2]])
#: class 1 where x^T Q x exceeds this
THRESHOLD = 0.6


def quadratic_form(x: np.ndarray) -> np.ndarray:
    """:math:`x_i^T Q x_i` for each row of ``x`` (shape ``(n, 2)``).

    >>> quadratic_form(np.array([[1.0, 0.0], [1.0, 1.0]]))
    array([1. , 2.7])
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"expected x with 2 features, shape (n, 2), got shape {x.shape}")
    return np.einsum("ni,ij,nj->n", x, Q, x)


def synthetic_labels(x: np.ndarray) -> np.ndarray:
    """Class of each row: :math:`y = [x^T Q x > 0.6]` as int64.

    >>> synthetic_labels(np.array([[1.0, 0.0], [0.1, 0.1]]))
    array([1, 0])
    """
    return (quadratic_form(x) > THRESHOLD).astype(np.int64)


@dataclass(frozen=True)
class SyntheticData:
    """Training and validation arrays of the synthetic set, with the seed that drew them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    seed: int | None

    @property
    def source(self) -> str:
        """A one-line description for result banners."""
        return (
            f"synthetic x^T Q x > 0.6 ({len(self.x_train):,} train / {len(self.x_val):,} val, "
            f"seed {self.seed})"
        )


#: Most points :func:`load_synthetic` draws (about 0.5 GB in float64 with the labels).
MAX_SYNTHETIC = 20_000_000


def load_synthetic(
    n_train: int = 60_000,
    n_val: int = 10_000,
    rng: np.random.Generator | int | None = 0,
    dtype: type[np.floating] = np.float64,
) -> SyntheticData:
    """Draw the synthetic set: :math:`x \\sim \\mathcal N(0, I_2)`, :math:`y = [x^T Q x > 0.6]`.

    Parameters
    ----------
    n_train, n_val
        Sizes (the course: 60,000 and 10,000).
    rng
        Seed or generator; the same seed gives the same data. The training rows
        are drawn first, so a smaller ``n_val`` leaves the training rows unchanged.
    dtype
        Dtype of ``x``.

    >>> d = load_synthetic(1000, 200, rng=0)
    >>> d.x_train.shape, d.y_val.shape, round(float(d.y_train.mean()), 3)
    ((1000, 2), (200,), 0.468)
    """
    for name, n in (("n_train", n_train), ("n_val", n_val)):
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise TypeError(f"expected an integer {name}, got {n!r}")
    if n_train < 0 or n_val < 0:
        raise ValueError(f"sizes must be >= 0, got n_train={n_train}, n_val={n_val}")
    if n_train + n_val > MAX_SYNTHETIC:
        raise ValueError(
            f"expected at most {MAX_SYNTHETIC:,} points in all (the course uses 70,000), "
            f"got n_train={n_train:,} + n_val={n_val:,}"
        )
    if not (isinstance(dtype, type) and issubclass(dtype, np.floating)):
        raise TypeError(f"expected a NumPy floating dtype such as np.float32, got {dtype!r}")
    seed = rng if isinstance(rng, int) else None
    gen = np.random.default_rng(rng)
    x_train = gen.standard_normal((n_train, 2))
    x_val = gen.standard_normal((n_val, 2))
    return SyntheticData(
        x_train.astype(dtype),
        synthetic_labels(x_train),
        x_val.astype(dtype),
        synthetic_labels(x_val),
        seed,
    )
