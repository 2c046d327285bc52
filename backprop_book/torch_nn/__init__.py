"""Part IV: the reports' PyTorch models, a fast CIFAR-10 pipeline and one trainer.

* :mod:`~backprop_book.torch_nn.models` -- the models, their summary and shape check;
* :mod:`~backprop_book.torch_nn.data` -- uint8 tensors, whole-batch normalisation and
  augmentation on the training device, seeded splits;
* :mod:`~backprop_book.torch_nn.config` -- the settings of a run, and the CLI options made
  from them;
* :mod:`~backprop_book.torch_nn.trainer` -- devices and DDP, the loop, evaluation;
* :mod:`~backprop_book.torch_nn.checkpoint` -- the checkpoint format, saving, loading;
* :mod:`~backprop_book.torch_nn.rng` -- the model's random draws, apart from torch's global RNG;
* :mod:`~backprop_book.torch_nn.experiments` -- the reports' studies as functions;
* :mod:`~backprop_book.torch_nn.cli` -- ``backprop-book train`` and ``evaluate``.
"""

from __future__ import annotations
