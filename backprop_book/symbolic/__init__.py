"""Part I: derivations checked by machine (sympy).

* :mod:`~backprop_book.symbolic.checker` -- the gradient checker and its verdicts;
* :mod:`~backprop_book.symbolic.mlp` -- report A's layer-wise MLP backward pass,
  softmax cross-entropy, SGD, and report B's two-layer net gradients;
* :mod:`~backprop_book.symbolic.rules` -- backward rules of the autograd ops
  (reports C/E, questions 1-4 and 8);
* :mod:`~backprop_book.symbolic.activations` -- report D's questions 1, 2, 5 and 6;
* :mod:`~backprop_book.symbolic.counting` -- conv/pool output sizes, parameter
  and operation counts (report D, questions 3 and 4);
* :mod:`~backprop_book.symbolic.slips` -- the reports' slips, encoded and caught.
"""

from backprop_book.symbolic.checker import (
    Counterexample,
    Verdict,
    check_backward_rule,
    check_equal,
    check_gradient,
    check_many,
    matrix_symbols,
    upstream_like,
)

__all__ = [
    "Counterexample",
    "Verdict",
    "check_backward_rule",
    "check_equal",
    "check_gradient",
    "check_many",
    "matrix_symbols",
    "upstream_like",
]
