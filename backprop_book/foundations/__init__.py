"""Backpropagation from zero: the small pieces the book's first part teaches with.

* :mod:`~backprop_book.foundations.circuits`: the derivative as the response to a
  nudge, a worked scalar circuit :math:`f = (x + y) z` with its backward pass, and
  the local backward rules of the add, multiply, max and copy gates;
* :mod:`~backprop_book.foundations.cost`: a small multi-layer perceptron whose
  gradient is computed both by backpropagation and by finite differences, to measure
  what each costs in time and memory;
* :func:`verdict`: a grade of :func:`backprop_book.grading.check_backward` in words
  that never give the expected value away (for graded exercise cells).

This module sits above the parts: it may use :mod:`backprop_book.numpy_nn`'s layers,
and no part imports it.
"""

from __future__ import annotations

from backprop_book.foundations.circuits import (
    Nudge,
    add_backward,
    circuit,
    circuit_backward,
    copy_backward,
    max_backward,
    mul_backward,
    nudge,
)
from backprop_book.foundations.verdict import verdict

__all__ = [
    "Nudge",
    "add_backward",
    "circuit",
    "circuit_backward",
    "copy_backward",
    "max_backward",
    "mul_backward",
    "nudge",
    "verdict",
]
