"""backprop_book: reference implementations for an executable textbook on backpropagation.

The package is organised by the parts of the book:

* :mod:`backprop_book.symbolic`  -- Part I, derivations in sympy and a gradient checker;
* :mod:`backprop_book.numpy_nn`  -- Part II, a NumPy MLP, gradient checking and an SGD solver;
* :mod:`backprop_book.autograd`  -- Part III, a small NumPy autograd engine;
* :mod:`backprop_book.torch_nn`  -- Part IV, PyTorch models, data pipeline and trainer;
* :mod:`backprop_book.data`      -- data sets shared by the parts (CIFAR-10, synthetic sets).

The four parts never import each other; cross-checks between them live in the tests
and in the chapters, where a reader sees them.  Infrastructure shared by every part:
:mod:`backprop_book.profiles` (quick/full run profiles), :mod:`backprop_book.results`
(recorded results with provenance) and :mod:`backprop_book.runtime` (versions, devices).
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
