"""Tests of the numeric grader (backprop_book.grading)."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_book.grading import MAX_ELEMENTS, Grade, check_backward, numerical_gradient

pytestmark = pytest.mark.core

RNG = np.random.default_rng(0)
W = RNG.standard_normal((3, 4))
X = RNG.standard_normal(4)


def linear(W, x):
    return W @ x


def linear_backward(G, W, x):
    return np.outer(G, x), W.T @ G


def test_a_right_backward_is_right_and_reports_a_small_error():
    grade = check_backward(linear, linear_backward, {"W": W, "x": X})
    assert grade.correct and bool(grade)
    assert grade.max_rel_error is not None and grade.max_rel_error < 1e-6
    assert str(grade).startswith("right: the gradients of W, x")


def test_a_sign_slip_names_the_input_the_index_and_both_values():
    def wrong(G, W, x):
        dW, dx = linear_backward(G, W, x)
        return dW, -dx

    grade = check_backward(linear, wrong, {"W": W, "x": X})
    assert not grade
    assert grade.input == "x"
    assert grade.expected == pytest.approx(-grade.got, rel=1e-5)
    i = grade.index[0]
    G = np.random.default_rng(0).standard_normal(3)  # the grader's default upstream
    assert grade.expected == pytest.approx((W.T @ G)[i], rel=1e-6)
    assert f"at index ({i},)" in str(grade)


def test_a_single_wrong_element_is_found_at_its_index():
    def one_off(G, W, x):
        dW, dx = linear_backward(G, W, x)
        dW = dW.copy()
        dW[2, 1] += 0.5
        return dW, dx

    grade = check_backward(linear, one_off, {"W": W, "x": X})
    assert (grade.input, grade.index) == ("W", (2, 1))
    assert grade.got - grade.expected == pytest.approx(0.5, rel=1e-5)


def test_a_transposed_gradient_is_wrong_for_its_shape():
    grade = check_backward(linear, lambda G, W, x: (np.outer(x, G), W.T @ G), {"W": W, "x": X})
    assert not grade and grade.input == "W"
    assert "shape (3, 4)" in grade.reason and "got shape (4, 3)" in grade.reason


@pytest.mark.parametrize(
    ("backward", "words"),
    [
        (lambda G, W, x: W.T @ G, "expected 2 gradients (one for each of W, x), got one value"),
        (lambda G, W, x: (1 / 0, W), "your backward raised ZeroDivisionError"),
        (
            lambda G, W, x: (np.full(W.shape, np.nan), W.T @ G),
            "the gradient of W at index (0, 0) is not finite",
        ),
        (lambda G, W, x: ("a", W.T @ G), "the gradient of W is not an array of numbers"),
    ],
)
def test_a_broken_backward_gets_an_answer_not_an_error(backward, words):
    grade = check_backward(linear, backward, {"W": W, "x": X})
    assert isinstance(grade, Grade) and not grade
    assert words in str(grade)


def test_upstream_gradient_matters_a_backward_that_ignores_it_is_wrong():
    grade = check_backward(
        linear, lambda G, W, x: (np.outer(np.ones(3), x), W.T @ np.ones(3)), [W, X]
    )
    assert not grade and grade.input == "x0"


def test_a_scalar_function_with_positional_inputs():
    f = lambda x, y: (x + y) * 3.0  # noqa: E731
    assert check_backward(f, lambda G, x, y: (3.0 * G, 3.0 * G), [2.0, -1.0])
    grade = check_backward(f, lambda G, x, y: (3.0 * G, G), [2.0, -1.0])
    assert not grade and grade.input == "x1" and grade.index == ()
    assert "the gradient of x1: finite differences give 3, your backward gives 1" in str(grade)


def test_inputs_are_not_changed_by_the_grader_or_the_student():
    x = np.array([1.0, 2.0])

    def backward(G, x):
        x *= 0  # a student who writes into the input changes only a copy
        return 2 * G * x

    check_backward(lambda x: float((x**2).sum()), backward, {"x": x})
    assert x.tolist() == [1.0, 2.0]


def test_the_callers_mistakes_raise_clear_errors():
    with pytest.raises(TypeError, match="expected forward to be a function"):
        check_backward(3, linear_backward, [W, X])
    with pytest.raises(TypeError, match="expected input 'W' to be a number or an array"):
        check_backward(linear, linear_backward, {"W": object(), "x": X})
    with pytest.raises(ValueError, match=r"expected upstream of the output's shape \(3,\)"):
        check_backward(linear, linear_backward, [W, X], upstream=np.ones(4))
    with pytest.raises(ValueError, match="at most"):
        check_backward(lambda x: x, lambda G, x: G, [np.zeros(MAX_ELEMENTS + 1)])
    with pytest.raises(ValueError, match="expected at least one input"):
        check_backward(linear, linear_backward, [])


def test_numerical_gradient_of_a_quadratic():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([0.5, -1.5])
    g = numerical_gradient(lambda v: float(v @ A @ v), x)
    np.testing.assert_allclose(g, 2 * A @ x, rtol=1e-8)
    with pytest.raises(ValueError, match="positive finite eps"):
        numerical_gradient(lambda v: 0.0, x, eps=0)
