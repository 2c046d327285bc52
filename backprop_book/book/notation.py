"""The book's notation and the code's names, in one table.

The book writes :math:`W_l`, :math:`h_{l-1}`, :math:`s_l`; the code says ``W``,
``h_prev``, ``s``.  :data:`NOTATION` is the only place where that mapping is written:
the notation page renders it (:func:`markdown_table`) and a test resolves every
``where`` and finds every code name in that object's source, so the table cannot
drift from the package.

>>> row = next(r for r in NOTATION if r.code == "h_prev")
>>> row.tex, row.where
('h_{l-1}', 'backprop_book.numpy_nn.layers.affine_forward')
>>> markdown_table(NOTATION[:1]).splitlines()[0]
'| symbol | meaning | in the code | where |'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["NOTATION", "Symbol", "markdown_table"]


@dataclass(frozen=True)
class Symbol:
    """One symbol of the book.

    Attributes
    ----------
    tex
        The symbol as the chapters write it (LaTeX, without dollars).
    meaning
        What it stands for, in a few words.
    code
        The name the code gives it (a parameter, variable or attribute).
    where
        Dotted path of a function or class whose source uses that name.
    """

    tex: str
    meaning: str
    code: str
    where: str


#: Every row of the notation page, in the book's order.
#:
#: :meta hide-value:
NOTATION: tuple[Symbol, ...] = (
    # the multi-layer perceptron (Parts I and II)
    Symbol(
        "L",
        "the loss, one number (never the number of layers)",
        "loss",
        "backprop_book.numpy_nn.layers.softmax_cross_entropy",
    ),
    Symbol("K", "number of layers", "depth", "backprop_book.symbolic.activations.linear_collapse"),
    Symbol(
        "x = h_0", "input of the network", "X", "backprop_book.numpy_nn.two_layer_net.TwoLayerNet"
    ),
    Symbol(
        "h_{l-1}", "input of layer $l$", "h_prev", "backprop_book.numpy_nn.layers.affine_forward"
    ),
    Symbol("W_l", "weights of layer $l$", "W", "backprop_book.numpy_nn.layers.affine_forward"),
    Symbol("b_l", "biases of layer $l$", "b", "backprop_book.numpy_nn.layers.affine_forward"),
    Symbol(
        "s_l = W_l h_{l-1} + b_l",
        "pre-activation (score) of layer $l$",
        "s",
        "backprop_book.numpy_nn.layers.relu_forward",
    ),
    Symbol(
        "h_l = f_l(s_l)",
        "activation of layer $l$",
        "h",
        "backprop_book.numpy_nn.layers.relu_forward",
    ),
    Symbol(
        "f_l,\\ f_l'",
        "activation function and its derivative",
        "fprime",
        "backprop_book.symbolic.mlp.mlp_backward_formulas",
    ),
    Symbol(
        "\\bar h_l = \\partial L / \\partial h_l",
        "gradient of the loss with respect to $h_l$",
        "dh",
        "backprop_book.numpy_nn.layers.relu_backward",
    ),
    Symbol(
        "\\bar s_l = \\partial L / \\partial s_l",
        "gradient with respect to the pre-activation",
        "ds",
        "backprop_book.numpy_nn.layers.affine_backward",
    ),
    Symbol(
        "\\partial L / \\partial W_l",
        "gradient of the weights",
        "dW",
        "backprop_book.numpy_nn.layers.affine_backward",
    ),
    Symbol(
        "y", "class labels (integers)", "y", "backprop_book.numpy_nn.layers.softmax_cross_entropy"
    ),
    Symbol(
        "L = -\\frac1N \\sum_n \\log p_{n, y_n}",
        "mean softmax cross-entropy loss",
        "loss",
        "backprop_book.numpy_nn.layers.softmax_cross_entropy",
    ),
    Symbol(
        "\\lambda", "L2 regularisation strength", "reg", "backprop_book.numpy_nn.layers.l2_penalty"
    ),
    Symbol("\\eta", "learning rate", "learning_rate", "backprop_book.numpy_nn.solver"),
    Symbol(
        "\\sigma(x) = 1 / (1 + e^{-x})",
        "logistic sigmoid",
        "sigmoid",
        "backprop_book.symbolic.activations",
    ),
    # autograd (Parts I and III)
    Symbol(
        "C = F(X, Y)",
        "an operation's output, from inputs $X$, $Y$",
        "C",
        "backprop_book.symbolic.rules",
    ),
    Symbol(
        "G = \\partial L / \\partial C",
        "upstream gradient handed to an operation's backward",
        "G",
        "backprop_book.symbolic.rules",
    ),
    Symbol(
        "\\bar X = \\partial L / \\partial X",
        "gradient of an input (the reports' $X^\\nabla$)",
        "grad",
        "backprop_book.autograd.core.TensorNode",
    ),
)


def markdown_table(rows: Sequence[Symbol] | None = None) -> str:
    """The rows (default :data:`NOTATION`) as a MyST Markdown table (symbols in ``$...$``)."""
    if rows is None:
        rows = NOTATION
    if not rows:
        raise ValueError("expected at least one notation row, got none")
    lines = ["| symbol | meaning | in the code | where |", "|---|---|---|---|"]
    for r in rows:
        short = r.where.removeprefix("backprop_book.")
        lines.append(
            f"| ${r.tex}$ | {r.meaning} | `{r.code}` | {{py:obj}}`~backprop_book.{short}` |"
        )
    return "\n".join(lines) + "\n"
