"""A grade in words for an exercise cell: right, or where it is wrong, never the answer."""

from __future__ import annotations

from backprop_book.grading import Grade

__all__ = ["verdict"]


def verdict(grade: Grade) -> str:
    """One line for a graded cell: ``right``, or what is wrong without the expected value.

    :func:`~backprop_book.grading.check_backward` reports a wrong gradient with both
    values, which is what a teacher wants and what a student's cell must not print:
    for one number the expected value is the whole answer.  This keeps the input and
    the index and drops the numbers; the other kinds of mistake (a wrong shape, an
    exception, a missing gradient) are reported as the grader words them.

    >>> import numpy as np
    >>> from backprop_book.grading import check_backward
    >>> f = lambda x, y: x * y
    >>> print(verdict(check_backward(f, lambda g, x, y: (g * y, g * x), {"x": 2.0, "y": 3.0})))
    right
    >>> print(verdict(check_backward(f, lambda g, x, y: (g * x, g * y), {"x": 2.0, "y": 3.0})))
    wrong: your gradient of x differs from finite differences
    >>> print(verdict(check_backward(f, lambda g, x, y: g * y, {"x": 2.0, "y": 3.0})))
    wrong: expected 2 gradients (one for each of x, y), got one value
    """
    if not isinstance(grade, Grade):
        raise TypeError(f"expected a Grade from check_backward, got {type(grade).__name__}")
    if grade.correct:
        return "right"
    if grade.expected is not None and grade.input is not None:
        where = f" at index {grade.index}" if grade.index else ""
        return f"wrong: your gradient of {grade.input}{where} differs from finite differences"
    return f"wrong: {grade.reason}"
