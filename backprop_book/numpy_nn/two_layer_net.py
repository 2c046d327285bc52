"""The two-layer network of report B: affine - ReLU - affine - softmax.

The interface is the exercise's, so that the report reads naturally against it:
``TwoLayerNet(input_size, hidden_size, output_size, std, rng)``, parameters in
``net.params`` (``W1`` of shape input x hidden, ``b1``, ``W2``, ``b2``),
``net.loss(X, y=None, reg=0.0)``, ``net.predict(X)`` and ``net.train(...)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_book.numpy_nn._rng import RngLike, as_generator
from backprop_book.numpy_nn.layers import softmax
from backprop_book.numpy_nn.solver import train

__all__ = [
    "TOY_REFERENCE",
    "TwoLayerNet",
    "toy_data",
    "toy_model",
]


class TwoLayerNet:
    """Two-layer fully connected network with a ReLU and a softmax output.

    Forward pass, for a batch ``X`` of shape ``(N, D)`` (rows are examples):

    .. math::

        s_1 = X W_1 + b_1,\\quad h_1 = \\max(0, s_1),\\quad
        s_2 = h_1 W_2 + b_2,\\quad p = \\mathrm{softmax}(s_2)

    and the loss is the mean cross-entropy plus an L2 penalty without a factor 1/2:

    .. math::

        J = -\\frac{1}{N}\\sum_n \\log p_{n, y_n}
            + \\lambda (\\lVert W_1 \\rVert^2 + \\lVert W_2 \\rVert^2).

    Parameters
    ----------
    input_size, hidden_size, output_size
        ``D``, ``H`` and ``C``.
    std
        Weights are drawn as ``std * standard_normal``; biases start at zero.
    rng
        A seed, a ``numpy.random.Generator``, or a legacy ``RandomState`` (to reproduce
        the exercise, whose numbers come from ``np.random.seed``). ``W1`` is drawn
        before ``W2``.
    dtype
        Floating type of the parameters.

    Examples
    --------
    >>> net = TwoLayerNet(4, 10, 3, std=0.1, rng=0)
    >>> {k: v.shape for k, v in net.params.items()}
    {'W1': (4, 10), 'b1': (10,), 'W2': (10, 3), 'b2': (3,)}
    >>> net.loss(np.zeros((2, 4))).round(3)
    array([[0.333, 0.333, 0.333],
           [0.333, 0.333, 0.333]])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        std: float = 1e-4,
        rng: RngLike = None,
        dtype: type[np.floating[Any]] | np.dtype[Any] = np.float64,
    ) -> None:
        for name, v in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("output_size", output_size),
        ):
            if not isinstance(v, int | np.integer) or v <= 0:
                raise ValueError(f"expected a positive integer {name}, got {v!r}")
        gen = as_generator(rng)
        self.params: dict[str, np.ndarray] = {
            "W1": (std * gen.standard_normal((input_size, hidden_size))).astype(dtype),
            "b1": np.zeros(hidden_size, dtype=dtype),
            "W2": (std * gen.standard_normal((hidden_size, output_size))).astype(dtype),
            "b2": np.zeros(output_size, dtype=dtype),
        }

    def scores(self, X: np.ndarray) -> np.ndarray:
        """The class scores :math:`s_2 = \\max(0, X W_1 + b_1) W_2 + b_2`, shape ``(N, C)``.

        >>> TwoLayerNet(3, 2, 2, rng=0).scores(np.zeros((1, 3)))
        array([[0., 0.]])
        """
        X = self._check_X(X)
        p = self.params
        h1 = np.maximum(X @ p["W1"] + p["b1"], 0.0)
        return h1 @ p["W2"] + p["b2"]

    def loss(
        self, X: np.ndarray, y: np.ndarray | None = None, reg: float = 0.0
    ) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        """Class probabilities if ``y`` is None, else ``(loss, grads)``.

        The backward pass, with :math:`\\Delta` the one-hot targets:

        .. math::

            \\frac{\\partial J}{\\partial s_2} = \\frac{p - \\Delta}{N},\\quad
            \\frac{\\partial J}{\\partial W_2} = h_1^T \\frac{\\partial J}{\\partial s_2}
            + 2\\lambda W_2,\\quad
            \\frac{\\partial J}{\\partial b_2} = \\mathbf{1}^T \\frac{\\partial J}{\\partial s_2},

        .. math::

            \\frac{\\partial J}{\\partial s_1} =
            \\Big(\\frac{\\partial J}{\\partial s_2} W_2^T\\Big)
            \\odot [s_1 > 0],\\quad
            \\frac{\\partial J}{\\partial W_1} = X^T \\frac{\\partial J}{\\partial s_1}
            + 2\\lambda W_1,\\quad
            \\frac{\\partial J}{\\partial b_1} = \\mathbf{1}^T \\frac{\\partial J}{\\partial s_1}.

        Parameters
        ----------
        X
            Inputs of shape ``(N, D)``.
        y
            Integer labels of shape ``(N,)``, or ``None``.
        reg
            The L2 strength :math:`\\lambda`.

        Returns
        -------
        numpy.ndarray or (float, dict)
            Probabilities ``(N, C)``; or the loss and a dict of gradients with the same
            keys and shapes as ``params``.

        Examples
        --------
        >>> net = toy_model()
        >>> X, y = toy_data()
        >>> loss, grads = net.loss(X, y, reg=0.05)
        >>> round(loss, 8), sorted(grads)
        (1.30378789, ['W1', 'W2', 'b1', 'b2'])
        """
        X = self._check_X(X)
        p = self.params
        W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
        N = X.shape[0]
        s1 = X @ W1 + b1
        h1 = np.maximum(s1, 0.0)
        s2 = h1 @ W2 + b2
        if y is None:
            return softmax(s2)
        y = np.asarray(y)
        if y.shape != (N,):
            raise ValueError(f"expected y of shape ({N},), got shape {y.shape}")
        if y.dtype.kind not in "iu":
            raise TypeError(f"expected integer class labels y, got dtype {y.dtype}")
        C = s2.shape[1]
        if N and (y.min() < 0 or y.max() >= C):
            raise ValueError(f"expected labels in 0..{C - 1}, got range {y.min()}..{y.max()}")
        z = s2 - s2.max(axis=1, keepdims=True)
        ez = np.exp(z)
        sum_ez = ez.sum(axis=1, keepdims=True)
        rows = np.arange(N)
        data_loss = float(np.mean(np.log(sum_ez[:, 0]) - z[rows, y]))
        loss = data_loss + reg * float(np.sum(W1 * W1) + np.sum(W2 * W2))

        ds2 = ez / sum_ez  # p
        ds2[rows, y] -= 1.0
        ds2 /= N
        dW2 = h1.T @ ds2
        db2 = ds2.sum(axis=0)
        ds1 = ds2 @ W2.T
        ds1 *= s1 > 0
        dW1 = X.T @ ds1
        db1 = ds1.sum(axis=0)
        if reg:
            dW2 += (2.0 * reg) * W2
            dW1 += (2.0 * reg) * W1
        return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted labels :math:`\\hat y_n = \\arg\\max_k s_{2, nk}`, shape ``(N,)``.

        >>> toy_model().predict(toy_data()[0])
        array([2, 0, 0, 0, 0])
        """
        return np.argmax(self.scores(X), axis=1)

    def train(
        self,
        X: np.ndarray,
        y: np.ndarray,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
        **kwargs: Any,
    ) -> Any:
        """Train with mini-batch SGD (keywords go to :func:`backprop_book.numpy_nn.solver.train`).

        Returns the :class:`~backprop_book.numpy_nn.solver.History`.

        >>> net = toy_model()
        >>> X, y = toy_data()
        >>> hist = net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100, rng=0)
        >>> hist.loss[-1] < 0.02
        True
        """
        return train(self, X, y, X_val, y_val, **kwargs)

    def _check_X(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        D = self.params["W1"].shape[0]
        if X.ndim != 2 or X.shape[1] != D:
            raise ValueError(f"expected X with {D} features (shape (N, {D})), got shape {X.shape}")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"expected X of real numbers, got dtype {X.dtype}")
        return X


#: Report B's Q1 toy problem and the exercise's reference values.
TOY_REFERENCE: dict[str, Any] = {
    "input_size": 4,
    "hidden_size": 10,
    "num_classes": 3,
    "num_inputs": 5,
    "std": 0.1,
    # the report quotes the first row of the probabilities
    "first_prob_row": (0.3644621, 0.22911264, 0.40642526),
    # the exercise's reference scores and loss (reg = 0.05)
    "scores": (
        (-0.81233741, -1.27654624, -0.70335995),
        (-0.17129677, -1.18803311, -0.47310444),
        (-0.51590475, -1.01354314, -0.8504215),
        (-0.15419291, -0.48629638, -0.52901952),
        (-0.00618733, -0.12435261, -0.15226949),
    ),
    "loss_reg": 0.05,
    "loss": 1.30378789133,
}


def toy_model(std: float = 0.1) -> TwoLayerNet:
    """The toy model of report B, Q1: ``np.random.seed(0)``, then ``W1`` (4x10), ``W2`` (10x3).

    >>> toy_model().params["W1"][0, :3].round(6)
    array([0.176405, 0.040016, 0.097874])
    """
    ref = TOY_REFERENCE
    return TwoLayerNet(
        ref["input_size"],
        ref["hidden_size"],
        ref["num_classes"],
        std=std,
        rng=np.random.RandomState(0),
    )


def toy_data() -> tuple[np.ndarray, np.ndarray]:
    """The toy data of report B, Q1: ``np.random.seed(1)``, ``X = 10 * randn(5, 4)``, fixed ``y``.

    >>> X, y = toy_data()
    >>> X.shape, y.tolist()
    ((5, 4), [0, 1, 2, 2, 1])
    """
    ref = TOY_REFERENCE
    X = 10 * np.random.RandomState(1).standard_normal((ref["num_inputs"], ref["input_size"]))
    return X, np.array([0, 1, 2, 2, 1])
