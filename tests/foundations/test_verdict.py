"""A graded cell's verdict never prints the expected value."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_book.foundations import verdict
from backprop_book.grading import Grade, check_backward

pytestmark = pytest.mark.foundations


def test_right_and_wrong_without_the_answer() -> None:
    def f(x, y):
        return x**2 * y + y

    right = check_backward(
        f, lambda G, x, y: (G * 2 * x * y, G * (x**2 + 1)), {"x": 3.0, "y": -2.0}
    )
    assert verdict(right) == "right"
    wrong = check_backward(f, lambda G, x, y: (G * 2 * x, G * x**2), {"x": 3.0, "y": -2.0})
    assert not wrong and wrong.expected == pytest.approx(-12.0)
    text = verdict(wrong)
    assert text == "wrong: your gradient of x differs from finite differences"
    assert "12" not in text and "10" not in text  # neither the answer for x nor for y


def test_the_index_of_an_array_gradient_is_kept() -> None:
    W = np.arange(6.0).reshape(2, 3)
    grade = check_backward(lambda W: (W**2).sum(), lambda G, W: G * W, {"W": W})
    assert (
        verdict(grade)
        == "wrong: your gradient of W at index (1, 2) differs from finite differences"
    )


def test_other_mistakes_are_worded_by_the_grader() -> None:
    grade = check_backward(lambda x: x, lambda G, x: 1 / 0, {"x": 1.0})
    assert verdict(grade) == "wrong: your backward raised ZeroDivisionError: division by zero"
    with pytest.raises(TypeError, match="expected a Grade from check_backward, got str"):
        verdict("right")  # type: ignore[arg-type]
    assert verdict(Grade(False, "something else")) == "wrong: something else"
