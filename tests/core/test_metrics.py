"""The relative error shared by the gradient checks of Parts II and III."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_book import numpy_nn
from backprop_book.autograd import gradcheck as autograd_gradcheck
from backprop_book.metrics import REL_ERROR_FLOOR, rel_error
from backprop_book.numpy_nn import gradcheck as numpy_gradcheck

pytestmark = pytest.mark.core


def test_rel_error_is_the_exercise_definition() -> None:
    a = np.array([1.0, 0.0, 3.0])
    b = np.array([1.1, 0.0, 3.0])
    assert rel_error(a, b) == pytest.approx(0.1 / 2.1)
    assert REL_ERROR_FLOOR == 1e-8
    assert rel_error(np.zeros(2), np.full(2, 1e-9)) == pytest.approx(1e-9 / 1e-8)  # the floor
    assert rel_error(np.zeros(2), np.full(2, 1e-6)) == pytest.approx(1.0)  # above it
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    assert rel_error(2.0, 2.0) == 0.0


def test_shapes_must_match() -> None:
    with pytest.raises(
        ValueError, match=r"rel_error: expected arrays of the same shape.*\(2,\).*\(3,\)"
    ):
        rel_error(np.zeros(2), np.zeros(3))


def test_both_parts_report_the_same_function() -> None:
    assert numpy_nn.rel_error is rel_error
    assert numpy_gradcheck.rel_error is rel_error
    assert autograd_gradcheck.rel_error is rel_error
