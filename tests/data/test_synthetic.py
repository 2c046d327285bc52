"""The course's synthetic data set (backprop_book.data.synthetic)."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_book.data.synthetic import Q, load_synthetic, quadratic_form, synthetic_labels

pytestmark = [pytest.mark.core, pytest.mark.part3]  # the data set of Part III


def test_labels_follow_the_quadratic_form() -> None:
    d = load_synthetic(2000, 500, rng=1)
    x = d.x_train
    direct = x[:, 0] ** 2 + 1.5 * x[:, 0] * x[:, 1] + 0.2 * x[:, 1] ** 2
    np.testing.assert_allclose(quadratic_form(x), direct)
    np.testing.assert_array_equal(d.y_train, (direct > 0.6).astype(int))
    np.testing.assert_array_equal(synthetic_labels(d.x_val), d.y_val)


def test_seeded_and_sized_like_the_course() -> None:
    a, b = load_synthetic(rng=7), load_synthetic(rng=7)
    assert a.x_train.shape == (60_000, 2) and a.x_val.shape == (10_000, 2)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert 0.4 < a.y_train.mean() < 0.55
    assert "seed 7" in a.source


def test_the_boundary_is_a_hyperbola_not_an_ellipse() -> None:
    sym = (Q + Q.T) / 2
    eig = np.linalg.eigvalsh(sym)
    assert eig[0] < 0 < eig[1]


def test_bad_input_shape() -> None:
    with pytest.raises(ValueError, match=r"expected x with 2 features.*got shape \(3, 3\)"):
        quadratic_form(np.ones((3, 3)))
