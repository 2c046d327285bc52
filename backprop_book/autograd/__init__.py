"""Part III: an autograd engine of tensor nodes, op nodes and ops, in the course library's shape.

* :mod:`~backprop_book.autograd.minimal` -- the scalar engine the book grows this one
  from (``Value``; not imported here);
* :mod:`~backprop_book.autograd.core` -- :class:`TensorNode`, :class:`OpNode`, :class:`Op`,
  the iterative backward pass, :func:`free_graph`;
* :mod:`~backprop_book.autograd.ops` -- the ops and torch-like functions (``relu``,
  ``softmax``, ``sum``, ``max``, the comparisons ...), also the node's operators and
  methods (``x.relu()``, ``x < y``);
* :mod:`~backprop_book.autograd.nn` -- ``Module``, ``Linear``, ``Activation``,
  ``Sequential``, ``mlp``, ``cross_entropy``;
* :mod:`~backprop_book.autograd.optim` -- ``SGD`` (momentum), ``Adam``, ``EpochSchedule``;
* :mod:`~backprop_book.autograd.graph` -- the computation graph as SVG or text;
* :mod:`~backprop_book.autograd.experiments` -- question 9 on the synthetic data.

This package does not import torch; the tests and chapters compare it with torch.

>>> from backprop_book.autograd import TensorNode, relu
>>> x = TensorNode([-1.0, 2.0]); y = relu(x).sum(); y.backward(); x.grad
array([0., 1.])
>>> x.relu().max().value, (x > 0).value
(array(2.), array([False,  True]))
"""

from __future__ import annotations

# The package's names are those of the engine and of the ops (their ``__all__``).
from backprop_book.autograd import core, ops
from backprop_book.autograd.core import *  # noqa: F403
from backprop_book.autograd.ops import *  # noqa: F403

__all__ = [*core.__all__, *ops.__all__]
