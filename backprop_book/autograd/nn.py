"""Layers, models and losses built from the engine's ops.

:class:`Linear` stores its weights as the course does, ``W`` of shape
``(out_features, in_features)``, and computes :math:`s = h_{prev} W^T + b`, the
bias added through an :class:`~backprop_book.autograd.ops.Expand` of the
``(1, out)`` row ``b`` to ``(n, out)`` (which is why question 4 asks for the
backward of an expand).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import numpy as np

from backprop_book.autograd import ops
from backprop_book.autograd.core import TensorNode

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "Activation",
    "Dropout",
    "Linear",
    "Module",
    "Parameter",
    "Sequential",
    "cross_entropy",
    "init_std",
    "mlp",
    "report_e_model",
]

Init = Literal["glorot", "course", "he", "he_fanout"]

#: the selectable weight initialisations and the standard deviation each draws
INITS: dict[str, str] = {
    "glorot": "sqrt(2 / (in + out))  -- Glorot/Xavier normal, correct",
    "course": "2 / (in + out)        -- the course library's 'Glorot' (no square root)",
    "he": "sqrt(2 / in)          -- He, fan-in (correct)",
    "he_fanout": "sqrt(2 / out)         -- report E's randn(out, in) / sqrt(out / 2)",
}


def init_std(init: str, fan_in: int, fan_out: int) -> float:
    """Standard deviation of the normal draw for each initialisation in :data:`INITS`.

    :math:`\\sqrt{2/(n_{in}+n_{out})}` (Glorot), :math:`2/(n_{in}+n_{out})` (the
    course's formula), :math:`\\sqrt{2/n_{in}}` (He) and :math:`\\sqrt{2/n_{out}}`
    (report E's fan-out slip).

    >>> round(init_std("glorot", 2, 8), 3), init_std("course", 2, 8)
    (0.447, 0.2)
    >>> init_std("he", 8, 2), init_std("he_fanout", 8, 2)
    (0.5, 1.0)
    """
    if init == "glorot":
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    if init == "course":
        return 2.0 / (fan_in + fan_out)
    if init == "he":
        return float(np.sqrt(2.0 / fan_in))
    if init == "he_fanout":
        return float(np.sqrt(2.0 / fan_out))
    raise ValueError(f"unknown init {init!r}; expected one of {sorted(INITS)}")


class Parameter(TensorNode):
    """A leaf node that a :class:`Module` owns and an optimizer updates.

    >>> Parameter(np.zeros(2)).requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, value: Any, name: str | None = None) -> None:
        super().__init__(value, requires_grad=True, name=name)


class Module:
    """Base class of layers and models: ``forward``, ``parameters()``, ``zero_grad()``.

    Parameters are found by walking the attributes: :class:`Parameter` values,
    sub-:class:`Module` values and lists/tuples of them.  As in torch, a module is
    in training mode until :meth:`eval` (``training`` is False then, and
    :class:`Dropout` passes its input through) and back after :meth:`train`.

    >>> m = Linear(3, 2, rng=0); [p.shape for p in m.parameters()]
    [(2, 3), (1, 2)]
    >>> [name for name, _ in Sequential([m, Activation("relu")]).named_parameters()]
    ['layers.0.W', 'layers.0.b']
    """

    #: Training mode (True) or evaluation mode (False); see :meth:`train` and :meth:`eval`.
    training: bool = True

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every sub-module; returns ``self``."""
        if not isinstance(mode, bool):
            raise TypeError(f"expected mode to be True or False, got {mode!r}")
        stack: list[Module] = [self]
        while stack:
            m = stack.pop()
            m.training = mode
            stack.extend(m.children())
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``): dropout passes its input through."""
        return self.train(False)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs in :meth:`parameters`' order, named as torch names them.

        A parameter's name is the path of attribute names to it, joined by dots, a
        list's position counting as a name (``layers.0.W``).
        """
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            path, m = stack.pop(0)
            children: list[tuple[str, Module]] = []
            for key, v in vars(m).items():
                if isinstance(v, Parameter) and id(v) not in seen:
                    seen.add(id(v))
                    yield path + key, v
                elif isinstance(v, Module):
                    children.append((f"{path}{key}.", v))
                elif isinstance(v, list | tuple):
                    children.extend(
                        (f"{path}{key}.{i}.", c) for i, c in enumerate(v) if isinstance(c, Module)
                    )
            stack[0:0] = children

    def forward(self, x: TensorNode) -> TensorNode:
        """Compute the module's output."""
        raise NotImplementedError

    def __call__(self, x: Any) -> TensorNode:
        return self.forward(_input_node(x))

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for v in vars(self).values():
            if isinstance(v, Module):
                yield v
            elif isinstance(v, list | tuple):
                yield from (m for m in v if isinstance(m, Module))

    def parameters(self) -> list[Parameter]:
        """Every parameter of this module and its sub-modules, each once, in a fixed order."""
        out: list[Parameter] = []
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            m = stack.pop(0)
            for v in vars(m).values():
                if isinstance(v, Parameter) and id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
            stack[0:0] = list(m.children())
        return out

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter."""
        for p in self.parameters():
            p.zero_grad()

    def n_parameters(self) -> int:
        """Number of scalar parameters.

        >>> mlp([2, 8, 2], rng=0).n_parameters()
        42
        """
        return int(sum(p.value.size for p in self.parameters()))


class Linear(Module):
    """Affine layer :math:`s = h_{prev} W^T + b`.

    ``W`` is stored ``(out, in)`` as in the course, ``b`` is a ``(1, out)`` row.

    Parameters
    ----------
    in_features, out_features
        Sizes :math:`n_{in}`, :math:`n_{out}`.
    init
        ``"glorot"``, ``"course"``, ``"he"`` or ``"he_fanout"`` (see :data:`INITS`);
        ``W`` is drawn as ``std * randn(out, in)`` with :func:`init_std`, ``b`` is zero.
    rng
        Seed or generator.
    dtype
        Parameter dtype (``float64`` by default; ``float32`` for speed).

    Examples
    --------
    >>> lin = Linear(2, 8, init="course", rng=0)
    >>> lin.W.shape, lin(np.ones((5, 2))).shape
    ((8, 2), (5, 8))
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        init: Init | str = "glorot",
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, int | np.integer):
                raise TypeError(f"Linear: expected {name} to be an integer, got {n!r}")
            if n < 1:
                raise ValueError(f"Linear: expected {name} >= 1, got {n}")
        gen = np.random.default_rng(rng)
        std = init_std(init, in_features, out_features)
        self.in_features, self.out_features, self.init = in_features, out_features, init
        self.W = Parameter(
            (gen.standard_normal((out_features, in_features)) * std).astype(dtype), name="W"
        )
        self.b = Parameter(np.zeros((1, out_features), dtype=dtype), name="b")

    def forward(self, h_prev: TensorNode) -> TensorNode:
        """:math:`s = h_{prev} W^T + \\operatorname{expand}(b)`."""
        if h_prev.ndim != 2 or h_prev.shape[1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}): expected h_prev with "
                f"{self.in_features} features, shape (n, {self.in_features}); got shape "
                f"{h_prev.shape}"
            )
        return h_prev @ self.W.T + ops.expand(self.b, axis=0, size=h_prev.shape[0])

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features}, init={self.init!r})"


#: The activations by name: the op each :class:`Activation` applies.
ACTIVATIONS: dict[str, Callable[[TensorNode], TensorNode]] = {
    "sigmoid": ops.sigmoid,
    "relu": ops.relu,
    "tanh": ops.tanh,
}


class Activation(Module):
    """An elementwise activation as a layer: :math:`h = f(s)`, ``f`` named in :data:`ACTIVATIONS`.

    (The ops themselves are :class:`~backprop_book.autograd.ops.Sigmoid`,
    :class:`~backprop_book.autograd.ops.ReLU` and :class:`~backprop_book.autograd.ops.Tanh`;
    this module only puts one in a :class:`Sequential`.)

    >>> Activation("relu")(np.array([-1.0, 1.0])).value
    array([0., 1.])
    >>> Activation("sigmoid")
    Activation('sigmoid')
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
        self.name = name

    def forward(self, s: TensorNode) -> TensorNode:
        """:math:`h = f(s)`."""
        return ACTIVATIONS[self.name](s)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


class Dropout(Module):
    """Inverted dropout: in training, zero each entry with probability ``p`` and scale the rest.

    :math:`h = s \\odot m / (1 - p)` with :math:`m_i \\sim \\mathrm{Bernoulli}(1 - p)`, so
    the expected value of :math:`h` is :math:`s`; the gradient flows through the
    same mask, :math:`\\bar s = \\bar h \\odot m / (1 - p)`.  In evaluation mode
    (:meth:`Module.eval`) the input passes through unchanged, as in torch.

    Parameters
    ----------
    p
        Probability of zeroing an entry, in :math:`[0, 1)`.
    rng
        Seed or generator of the masks.

    Examples
    --------
    >>> drop = Dropout(0.5, rng=0); h = drop(np.ones((2, 4))); h.value
    array([[2., 0., 0., 0.],
           [2., 2., 2., 2.]])
    >>> drop.eval()(np.ones((2, 4))).value.sum()
    np.float64(8.0)
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        if isinstance(p, bool) or not isinstance(p, int | float | np.floating):
            raise TypeError(f"expected the dropout probability p to be a number, got {p!r}")
        if not 0.0 <= float(p) < 1.0:
            raise ValueError(f"expected the dropout probability p in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = np.random.default_rng(rng)

    def forward(self, s: TensorNode) -> TensorNode:
        """:math:`s \\odot m / (1 - p)` in training, :math:`s` in evaluation."""
        if not self.training or self.p == 0.0:
            return s
        keep = self.rng.random(s.shape) >= self.p
        dtype = s.dtype if np.issubdtype(s.dtype, np.floating) else np.float64
        mask = TensorNode((keep / (1.0 - self.p)).astype(dtype), requires_grad=False)
        return s * mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class Sequential(Module):
    """Apply modules in order: :math:`h_l = f_l(h_{l-1})`.

    >>> net = Sequential([Linear(2, 3, rng=0), Activation("relu")]); net(np.ones((4, 2))).shape
    (4, 3)
    """

    def __init__(self, layers: Sequence[Module]) -> None:
        if isinstance(layers, Module) or not hasattr(layers, "__iter__"):
            raise TypeError(
                f"Sequential: expected a list of modules, got {type(layers).__name__}; "
                "write Sequential([layer1, layer2, ...])"
            )
        self.layers = list(layers)
        bad = [
            (i, type(m).__name__) for i, m in enumerate(self.layers) if not isinstance(m, Module)
        ]
        if bad:
            raise TypeError(
                f"Sequential: expected modules, got {bad[0][1]} at position {bad[0][0]}"
            )

    def forward(self, x: TensorNode) -> TensorNode:
        """:math:`h_l = f_l(h_{l-1})` for each layer in turn; the last :math:`h_l` is returned."""
        for layer in self.layers:
            x = layer(x)
        return x

    def layer_outputs(self, x: Any) -> list[TensorNode]:
        """The output of every layer, in order, for statistics; the last is the model's output.

        >>> net = mlp([2, 3, 2], "relu", rng=0); outs = net.layer_outputs(np.ones((4, 2)))
        >>> [h.shape for h in outs]
        [(4, 3), (4, 3), (4, 2)]
        """
        outs: list[TensorNode] = []
        h = _input_node(x)
        for layer in self.layers:
            h = layer(h)
            outs.append(h)
        return outs

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(m) for m in self.layers) + ")"


def _input_node(x: Any) -> TensorNode:
    """Arrays fed to a module become constant nodes."""
    return x if isinstance(x, TensorNode) else TensorNode(x, requires_grad=False)


def mlp(
    sizes: Sequence[int],
    activation: str | Sequence[str] = "sigmoid",
    init: Init | str = "glorot",
    rng: np.random.Generator | int | None = None,
    dtype: Any = np.float64,
) -> Sequential:
    """A multi-layer perceptron: Linear layers of ``sizes``, an activation between them.

    :math:`h_l = f_l(h_{l-1} W_l^T + b_l)` for the hidden layers; the last
    Linear gives the scores (the softmax lives in the loss). The course's
    default for the synthetic data is ``mlp([2, 8, 2], "sigmoid", "course")``.

    Parameters
    ----------
    sizes
        ``[n_in, hidden..., n_out]``.
    activation
        One name for every hidden layer, or one per hidden layer
        (``"sigmoid"``, ``"relu"``, ``"tanh"``).
    init, rng, dtype
        Passed to each :class:`Linear` (one generator drives all layers).

    >>> net = mlp([2, 8, 8, 2], "relu", rng=0)
    >>> net.layers[:3]
    [Linear(2, 8, init='glorot'), Activation('relu'), Linear(8, 8, init='glorot')]
    """
    if isinstance(sizes, str | bytes) or not hasattr(sizes, "__len__"):
        raise TypeError(f"mlp: expected a list of layer sizes such as [2, 8, 2], got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least [n_in, n_out], got sizes {list(sizes)}")
    n_hidden = len(sizes) - 2
    acts = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    if len(acts) != n_hidden:
        raise ValueError(f"expected {n_hidden} activations for sizes {list(sizes)}, got {acts}")
    gen = np.random.default_rng(rng)
    layers: list[Module] = []
    for i in range(len(sizes) - 1):
        layers.append(Linear(sizes[i], sizes[i + 1], init=init, rng=gen, dtype=dtype))
        if i < n_hidden:
            layers.append(Activation(acts[i]))
    return Sequential(layers)


def report_e_model(
    hidden: int = 8,
    init: Init | str = "he_fanout",
    rng: np.random.Generator | int | None = None,
) -> Sequential:
    """Report E's model: linear - ReLU - linear - sigmoid - linear (softmax in the loss).

    Report E initialised it with its fan-out "He" formula, the default here.

    >>> report_e_model(rng=0).layers[1:4]
    [Activation('relu'), Linear(8, 8, init='he_fanout'), Activation('sigmoid')]
    """
    return mlp([2, hidden, hidden, 2], ["relu", "sigmoid"], init=init, rng=rng)


def cross_entropy(scores: TensorNode, targets: Any, reduction: str = "mean") -> TensorNode:
    """Softmax cross-entropy, summed or averaged over the batch.

    :math:`L = -\\sum_i \\log \\operatorname{softmax}(s_i)_{y_i}` (``"sum"``)
    or :math:`L/n` (``"mean"``).

    ``reduction="sum"`` is what the course library does: summed over the batch,
    so the gradient, and the effective step, grows with the batch size.

    >>> s = TensorNode(np.zeros((4, 2))); round(float(cross_entropy(s, [0, 1, 0, 1]).value), 4)
    0.6931
    >>> round(float(cross_entropy(s, [0, 1, 0, 1], "sum").value), 4)
    2.7726
    """
    if not isinstance(scores, TensorNode):
        raise TypeError(
            f"cross_entropy: expected scores as a TensorNode (the model's output), got "
            f"{type(scores).__name__}; wrap an array as TensorNode(scores)"
        )
    targets = np.asarray(targets)
    if scores.ndim != 2 or targets.shape != (scores.shape[0],):
        raise ValueError(
            f"cross_entropy: expected scores (n, k) and n integer targets, got scores "
            f"{scores.shape} and targets {targets.shape}"
        )
    picked = ops.select(ops.log_softmax(scores, axis=1), targets)
    if reduction == "sum":
        return -ops.sum(picked)
    if reduction == "mean":
        return -ops.mean(picked)
    raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
