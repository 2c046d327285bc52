"""A general N-layer perceptron built from the forward/backward pairs of :mod:`.layers`.

Same conventions as :class:`~backprop_book.numpy_nn.two_layer_net.TwoLayerNet`:
parameters ``W1, b1, ..., WL, bL`` in ``params``, ``loss(X, y=None, reg=0.0)``,
``predict``, ``train``. Hidden sizes are given as a list, as in report B's deeper
models (e.g. ``[70, 70]`` for 3072-70-70-10).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from backprop_book.numpy_nn import layers
from backprop_book.numpy_nn._rng import RngLike, as_generator
from backprop_book.numpy_nn.solver import train

__all__ = ["ACTIVATIONS", "MLP"]

#: activation name -> (forward, backward)
ACTIVATIONS: dict[
    str,
    tuple[Callable[[np.ndarray], tuple[np.ndarray, Any]], Callable[[np.ndarray, Any], np.ndarray]],
] = {
    "relu": (layers.relu_forward, layers.relu_backward),
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward),
    "tanh": (layers.tanh_forward, layers.tanh_backward),
}


class MLP:
    """Multi-layer perceptron :math:`h_l = f(s_l)`, :math:`s_l = h_{l-1} W_l + b_l`.

    The softmax acts on :math:`s_L`.

    For :math:`l = 1..L` with :math:`h_0 = X` (rows are examples); the last layer has
    no activation. The loss is the mean cross-entropy plus
    :math:`\\lambda \\sum_l \\lVert W_l \\rVert^2`, and the backward pass is the chain rule
    of report A:
    :math:`\\partial J/\\partial h_{l-1} = (\\partial J/\\partial s_l) W_l^T`,
    :math:`\\partial J/\\partial s_l = \\partial J/\\partial h_l \\odot f'(s_l)`,
    :math:`\\partial J/\\partial W_l = h_{l-1}^T \\partial J/\\partial s_l + 2\\lambda W_l`.

    Parameters
    ----------
    input_size, hidden_sizes, output_size
        Layer widths; ``hidden_sizes`` may be empty (softmax regression).
    std
        Weights are ``std * standard_normal``; biases zero. ``W1`` is drawn first.
    activation
        ``"relu"``, ``"sigmoid"`` or ``"tanh"``.
    dropout
        Probability of dropping a hidden unit during training (inverted dropout).
    rng
        Seed or generator for the weights and the dropout masks.

    Examples
    --------
    >>> net = MLP(4, [10], 3, std=0.1, rng=np.random.RandomState(0))
    >>> X = 10 * np.random.RandomState(1).standard_normal((5, 4))
    >>> round(net.loss(X, np.array([0, 1, 2, 2, 1]), reg=0.05)[0], 8)  # same as TwoLayerNet
    1.30378789
    >>> [k for k in MLP(3, [5, 4], 2).params]
    ['W1', 'b1', 'W2', 'b2', 'W3', 'b3']
    """

    def __init__(
        self,
        input_size: int,
        hidden_sizes: Sequence[int],
        output_size: int,
        std: float = 1e-4,
        activation: str = "relu",
        dropout: float = 0.0,
        rng: RngLike = None,
        dtype: type[np.floating[Any]] | np.dtype[Any] = np.float64,
    ) -> None:
        if isinstance(hidden_sizes, str | bytes) or not hasattr(hidden_sizes, "__iter__"):
            raise TypeError(
                f"expected hidden_sizes to be a list of layer widths such as [100, 50], got "
                f"{hidden_sizes!r}"
            )
        sizes = [input_size, *hidden_sizes, output_size]
        if any(isinstance(s, bool) or not isinstance(s, int | np.integer) or s <= 0 for s in sizes):
            raise ValueError(f"expected positive integer layer sizes, got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"expected activation in {sorted(ACTIVATIONS)}, got {activation!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"expected dropout in [0, 1), got {dropout!r}")
        self.sizes = sizes
        self.activation = activation
        self.dropout = dropout
        self.num_layers = len(sizes) - 1
        self._rng = as_generator(rng)
        self.params: dict[str, np.ndarray] = {}
        for l in range(1, self.num_layers + 1):
            self.params[f"W{l}"] = (
                std * self._rng.standard_normal((sizes[l - 1], sizes[l]))
            ).astype(dtype)
            self.params[f"b{l}"] = np.zeros(sizes[l], dtype=dtype)

    def loss(
        self, X: np.ndarray, y: np.ndarray | None = None, reg: float = 0.0
    ) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        """Class probabilities if ``y`` is None (no dropout), else ``(loss, grads)`` (dropout on).

        >>> net = MLP(3, [4, 4], 2, std=1.0, activation="tanh", rng=0)
        >>> loss, g = net.loss(np.ones((2, 3)), np.array([0, 1]), reg=0.1)
        >>> sorted(g) == sorted(net.params), g["W2"].shape
        (True, (4, 4))
        """
        X = np.asarray(X)
        D = self.sizes[0]
        if X.ndim != 2 or X.shape[1] != D:
            raise ValueError(f"expected X with {D} features (shape (N, {D})), got shape {X.shape}")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"expected X of real numbers, got dtype {X.dtype}")
        train = y is not None
        fwd, bwd = ACTIVATIONS[self.activation]
        h = X
        caches: list[tuple[Any, Any, Any]] = []
        L = self.num_layers
        for l in range(1, L + 1):
            s, c_aff = layers.affine_forward(h, self.params[f"W{l}"], self.params[f"b{l}"])
            if l == L:
                caches.append((c_aff, None, None))
                h = s
                break
            h, c_act = fwd(s)
            c_drop = None
            if train and self.dropout:
                h, c_drop = layers.dropout_forward(h, self.dropout, rng=self._rng_gen())
            caches.append((c_aff, c_act, c_drop))
        if y is None:
            return layers.softmax(h)
        loss, dh = layers.softmax_cross_entropy(h, np.asarray(y))
        grads: dict[str, np.ndarray] = {}
        for l in range(L, 0, -1):
            c_aff, c_act, c_drop = caches[l - 1]
            if l < L:
                dh = bwd(layers.dropout_backward(dh, c_drop), c_act)
            dh, dW, db = layers.affine_backward(dh, c_aff)
            if reg:
                r, dr = layers.l2_penalty(self.params[f"W{l}"], reg)
                loss += r
                dW += dr
            grads[f"W{l}"], grads[f"b{l}"] = dW, db
        return loss, {k: grads[k] for k in self.params}

    def _rng_gen(self) -> np.random.Generator:
        if isinstance(self._rng, np.random.Generator):
            return self._rng
        return np.random.default_rng(self._rng.randint(2**31))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted labels :math:`\\arg\\max_k p_{nk}`.

        >>> MLP(2, [3], 4, rng=0).predict(np.zeros((2, 2))).shape
        (2,)
        """
        probs = cast(np.ndarray, self.loss(X))
        return np.argmax(probs, axis=1)

    def train(
        self,
        X: np.ndarray,
        y: np.ndarray,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
        **kwargs: Any,
    ) -> Any:
        """Train with :func:`backprop_book.numpy_nn.solver.train` and return its history.

        >>> X, y = np.eye(3), np.arange(3)
        >>> net = MLP(3, [8], 3, std=0.5, rng=0)
        >>> h = net.train(X, y, learning_rate=0.5, learning_rate_decay=1.0, reg=0.0,
        ...               num_iters=200, batch_size=3, rng=0)
        >>> h.loss[-1] < 0.05
        True
        """
        return train(self, X, y, X_val, y_val, **kwargs)
