"""Part II: the NumPy network.

* :mod:`.layers` -- layers as forward/backward pairs (affine, ReLU, sigmoid, tanh,
  softmax cross-entropy, L2 penalty, dropout);
* :mod:`.two_layer_net` -- report B's :class:`TwoLayerNet` and its toy problem;
* :mod:`.mlp` -- a general N-layer :class:`MLP`;
* :mod:`.gradcheck` -- finite-difference gradient checks (every entry, sampled
  entries, random directions);
* :mod:`.solver` -- mini-batch SGD with momentum, learning-rate decay, early stopping;
* :mod:`.experiments` -- report B's CIFAR-10 runs, registered as the studies ``part2/<name>``.
"""

from __future__ import annotations

from backprop_book.numpy_nn.gradcheck import (
    GradCheck,
    check_gradients,
    directional_check,
    numerical_gradient,
    rel_error,
)
from backprop_book.numpy_nn.mlp import MLP
from backprop_book.numpy_nn.solver import History, train
from backprop_book.numpy_nn.two_layer_net import TOY_REFERENCE, TwoLayerNet, toy_data, toy_model

__all__ = [
    "MLP",
    "TOY_REFERENCE",
    "GradCheck",
    "History",
    "TwoLayerNet",
    "check_gradients",
    "directional_check",
    "numerical_gradient",
    "rel_error",
    "toy_data",
    "toy_model",
    "train",
]
