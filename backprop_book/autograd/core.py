"""The engine: tensor nodes, op nodes, the op protocol and the backward pass.

The design follows the small NumPy autograd library of the course that reports C
and E worked with, so that every question of the assignment reads naturally
against it:

* a :class:`TensorNode` holds a ``value`` (a NumPy array), its ``grad`` and its
  ``source``, the :class:`OpNode` that computed it (``None`` for a leaf);
* an :class:`OpNode` records one application of an op: the ``op`` class, its
  ``inputs`` and ``output`` (tensor nodes) and a ``context`` dict in which the
  forward leaves whatever the backward will need;
* an :class:`Op` is a class with two static methods, ``forward(context, *inputs,
  **kwargs)`` on arrays and ``backward(context, goutput)`` returning one gradient
  per input, and a class method :meth:`Op.do_forward` that runs the forward on
  tensor nodes and builds the graph.

:meth:`TensorNode.backward` walks the graph *iteratively* in reverse topological
order, so a chain of any depth works, and sums the gradients of a node that is
used more than once.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "Op",
    "OpNode",
    "TensorNode",
    "as_node",
    "free_graph",
    "topological_order",
]

Array = np.ndarray


class TensorNode:
    """A value in the computation graph, with its gradient and the op that made it.

    Parameters
    ----------
    value
        The array (anything :func:`numpy.asarray` accepts; Python numbers become
        0-d arrays, integer data stays integer).
    source
        The :class:`OpNode` that produced this node, or ``None`` for a leaf.
    requires_grad
        Whether gradients should flow to (and be stored on) this node.
    name
        An optional label, shown when the graph is drawn.

    Notes
    -----
    ``grad`` holds :math:`\\partial L / \\partial \\text{value}` after
    ``L.backward()``; before any backward it reads as zeros shaped like
    ``value``, as in the course library. Gradients *accumulate* over backward
    calls; :meth:`zero_grad` resets them. Each node's gradient is a writable
    array of its own, as each torch tensor's ``.grad`` is: clipping or scaling
    one in place (``a.grad *= 0.5``) changes no other node's.

    Examples
    --------
    >>> a = TensorNode([1.0, 2.0])
    >>> a.value, a.grad, a.source
    (array([1., 2.]), array([0., 0.]), None)
    """

    __slots__ = ("__weakref__", "_freed", "_grad", "name", "requires_grad", "source", "value")

    #: Let NumPy defer to our reflected operators (``array + node`` -> ``node.__radd__``).
    __array_ufunc__ = None

    def __init__(
        self,
        value: Any,
        source: OpNode | None = None,
        requires_grad: bool = True,
        name: str | None = None,
    ) -> None:
        self.value: Array = np.asarray(value)
        if self.value.dtype.kind not in "biuf":
            raise TypeError(
                f"expected a value of real numbers (bool, int or float), got dtype "
                f"{self.value.dtype}"
            )
        self.source = source
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._grad: Array | None = None
        self._freed = False  # set by free_graph on every node it cut from its source

    # -- gradient storage ---------------------------------------------------------------
    @property
    def grad(self) -> Array:
        """The accumulated gradient (zeros shaped like ``value`` before any backward)."""
        if self._grad is None:
            return np.zeros_like(self.value, dtype=np.result_type(self.value.dtype, np.float32))
        return self._grad

    @grad.setter
    def grad(self, g: Any) -> None:
        if g is None:
            self._grad = None
            return
        g = np.asarray(g)
        if g.shape != self.value.shape:
            raise ValueError(
                f"gradient must have the value's shape {self.value.shape}, got shape {g.shape}"
            )
        self._grad = np.array(g)  # a copy of its own: the caller's array stays the caller's

    def zero_grad(self, *, graph: bool = False) -> None:
        """Forget the accumulated gradient (it reads as zeros again).

        By default only this node's gradient is cleared, as torch clears one
        tensor's ``.grad`` (and :meth:`Module.zero_grad
        <backprop_book.autograd.nn.Module.zero_grad>` clears each parameter's).
        With ``graph=True`` every node this one depends on is cleared too, leaves
        and intermediate nodes alike, as the course library's ``zero_grad`` does.

        >>> a = TensorNode(2.0); b = a * a; b.backward(); a.grad
        array(4.)
        >>> b.zero_grad(); a.grad, b.grad
        (array(4.), array(0.))
        >>> b.zero_grad(graph=True); a.grad
        array(0.)
        """
        self._grad = None
        if graph:
            for opnode in topological_order(self):
                for node in opnode.inputs:
                    node._grad = None

    # -- shape helpers ------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``value``."""
        return tuple(self.value.shape)

    @property
    def ndim(self) -> int:
        """Number of dimensions of ``value``."""
        return int(self.value.ndim)

    @property
    def dtype(self) -> np.dtype[Any]:
        """Data type of ``value``."""
        return self.value.dtype

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        src = f", source={self.source.op.__name__}" if self.source is not None else ""
        return f"TensorNode(shape={self.shape}, dtype={self.value.dtype}{src}{label})"

    # -- the backward pass ----------------------------------------------------------------
    def backward(self, grad: Any = None, *, free: bool = False) -> None:
        """Backpropagate from this node to every node it depends on.

        Computes, for every node :math:`v` upstream of this node :math:`y`, the
        vector-Jacobian product :math:`\\bar v = \\sum_{\\text{uses}}
        (\\partial y / \\partial v)^T \\bar y` and *adds* it to ``v.grad``.

        Parameters
        ----------
        grad
            The seed :math:`\\bar y`; may be omitted only when this node holds a
            single number (a scalar loss), then it is 1.
        free
            Free the graph afterwards (:func:`free_graph`), releasing the arrays
            the ops kept for the backward.

        Raises
        ------
        ValueError
            If this node is not a scalar and no seed is given, or the seed's
            shape differs from the value's.
        RuntimeError
            If the graph below this node was freed by an earlier
            ``backward(free=True)`` (run the forward again to rebuild it).

        Examples
        --------
        >>> x = TensorNode([1.0, 2.0, 3.0])
        >>> y = (x * x).sum()
        >>> y.backward(); x.grad
        array([2., 4., 6.])
        """
        if self._freed:
            raise RuntimeError(
                "backward() through a graph that backward(free=True) or free_graph() already "
                "freed: the values its ops kept are gone; run the forward pass again to "
                "rebuild the graph"
            )
        if grad is None:
            if self.value.size != 1:
                raise ValueError(
                    f"backward() without a seed gradient needs a scalar node, but this node has "
                    f"shape {self.shape}; pass grad= with that shape"
                )
            grad = np.ones_like(self.value, dtype=np.result_type(self.value.dtype, np.float32))
        else:
            grad = np.asarray(grad)
            if grad.shape != self.value.shape:
                raise ValueError(
                    f"seed gradient must have shape {self.shape}, got shape {grad.shape}"
                )
        run_backward(self, grad)
        if free:
            free_graph(self)

    # -- Python operators and method forms --------------------------------------------------
    # ``x + y``, ``x @ W``, ``x < y``, ``x.T``, ``x.relu()``, ``x.sum(axis=0)``, ... are the ops
    # of ops.py, attached to this class there, once (``ops.TENSOR_METHODS``): ops.py imports
    # this module, so they cannot be written here. Declared here for readers and type checkers.
    __neg__: ClassVar[Callable[..., TensorNode]]
    __add__: ClassVar[Callable[..., TensorNode]]
    __radd__: ClassVar[Callable[..., TensorNode]]
    __sub__: ClassVar[Callable[..., TensorNode]]
    __rsub__: ClassVar[Callable[..., TensorNode]]
    __mul__: ClassVar[Callable[..., TensorNode]]
    __rmul__: ClassVar[Callable[..., TensorNode]]
    __truediv__: ClassVar[Callable[..., TensorNode]]
    __rtruediv__: ClassVar[Callable[..., TensorNode]]
    __pow__: ClassVar[Callable[..., TensorNode]]
    __rpow__: ClassVar[Callable[..., TensorNode]]
    __matmul__: ClassVar[Callable[..., TensorNode]]
    __rmatmul__: ClassVar[Callable[..., TensorNode]]
    __lt__: ClassVar[Callable[..., TensorNode]]
    __le__: ClassVar[Callable[..., TensorNode]]
    __gt__: ClassVar[Callable[..., TensorNode]]
    __ge__: ClassVar[Callable[..., TensorNode]]
    __eq__: ClassVar[Callable[..., TensorNode]]  # type: ignore[assignment]
    __ne__: ClassVar[Callable[..., TensorNode]]  # type: ignore[assignment]
    T: TensorNode
    neg: ClassVar[Callable[..., TensorNode]]
    exp: ClassVar[Callable[..., TensorNode]]
    log: ClassVar[Callable[..., TensorNode]]
    sigmoid: ClassVar[Callable[..., TensorNode]]
    tanh: ClassVar[Callable[..., TensorNode]]
    relu: ClassVar[Callable[..., TensorNode]]
    softmax: ClassVar[Callable[..., TensorNode]]
    log_softmax: ClassVar[Callable[..., TensorNode]]
    normalize: ClassVar[Callable[..., TensorNode]]
    sum: ClassVar[Callable[..., TensorNode]]
    mean: ClassVar[Callable[..., TensorNode]]
    max: ClassVar[Callable[..., TensorNode]]
    maximum: ClassVar[Callable[..., TensorNode]]
    prod: ClassVar[Callable[..., TensorNode]]
    matmul: ClassVar[Callable[..., TensorNode]]
    expand: ClassVar[Callable[..., TensorNode]]
    select: ClassVar[Callable[..., TensorNode]]
    reshape: ClassVar[Callable[..., TensorNode]]
    transpose: ClassVar[Callable[..., TensorNode]]

    #: Nodes hash by identity (the backward pass keeps them in dicts), while ``==``
    #: compares values elementwise like NumPy's and torch's and returns a constant node.
    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        """The truth of a one-element node, so that ``if x.max() > 0:`` reads as it does in NumPy.

        >>> bool(TensorNode(3.0) > 2.0)
        True
        """
        if self.value.size != 1:
            raise ValueError(
                f"the truth value of a node of shape {self.shape} is ambiguous; "
                "test its .value with .any() or .all()"
            )
        return bool(self.value)


def as_node(x: Any, like: TensorNode | None = None) -> TensorNode:
    """Return ``x`` if it is a :class:`TensorNode`, else wrap it as a constant node.

    A plain number next to a floating-point node takes that node's dtype, so
    ``0.5 * node`` stays ``float32`` when ``node`` is ``float32``.

    >>> as_node(2.0).requires_grad
    False
    >>> as_node(2.0, like=TensorNode(np.ones(2, np.float32))).value.dtype
    dtype('float32')
    """
    if isinstance(x, TensorNode):
        return x
    if like is not None and np.issubdtype(like.value.dtype, np.floating):
        if isinstance(x, int | float | np.number):
            return TensorNode(np.asarray(x, dtype=like.value.dtype), requires_grad=False)
    return TensorNode(x, requires_grad=False)


class OpNode:
    """One application of an op in the graph.

    It holds the ``op`` (the :class:`Op` subclass that ran), its ``inputs`` (the
    input tensor nodes, in order), its ``output`` (the tensor node it computed,
    held weakly, so that the graph has no reference cycle and is freed as soon as
    the loss is dropped) and the ``context`` (a dict of what the forward saved for
    the backward). Every op has one output, so the course library's list
    ``outputs`` is the one node ``output`` here.

    Examples
    --------
    >>> from backprop_book.autograd import TensorNode
    >>> a, b = TensorNode(1.0), TensorNode(2.0)
    >>> c = a + b
    >>> c.source.op.__name__, c.source.inputs[0] is a, c.source.output is c
    ('Add', True, True)
    """

    __slots__ = ("__weakref__", "_output", "context", "inputs", "op")

    def __init__(self, op: type[Op], inputs: Sequence[TensorNode], context: dict[str, Any]):
        self.op = op
        self.inputs: list[TensorNode] = list(inputs)
        self.context = context
        self._output: weakref.ref[TensorNode] | None = None

    @property
    def output(self) -> TensorNode | None:
        """The output node, or ``None`` once nothing else refers to it."""
        return None if self._output is None else self._output()

    def __repr__(self) -> str:
        shapes = ", ".join(str(i.shape) for i in self.inputs)
        return f"OpNode(op={self.op.__name__}, inputs=[{shapes}])"


class Op:
    """Base class of every op: paired ``forward`` / ``backward`` static methods.

    A subclass implements

    * ``forward(context, *inputs, **kwargs) -> array`` on NumPy arrays, saving in
      ``context`` what the backward needs, and
    * ``backward(context, goutput) -> array | tuple[array | None, ...]``: given
      :math:`\\bar y = \\partial L/\\partial y` for the output, return
      :math:`\\bar x_i = (\\partial y / \\partial x_i)^T \\bar y` for each input,
      each shaped like that input (``None`` for an input that needs no gradient).

    Before the backward runs, ``context["needs_input_grad"]`` is a tuple of
    booleans, one per input, so an op can skip gradients nobody wants.

    Examples
    --------
    >>> class Square(Op):
    ...     @staticmethod
    ...     def forward(context, x):
    ...         context["x"] = x
    ...         return x * x
    ...     @staticmethod
    ...     def backward(context, goutput):
    ...         return (2 * context["x"] * goutput,)
    >>> x = TensorNode(3.0)
    >>> y = Square.do_forward(x)
    >>> y.backward(); y.value, x.grad
    (array(9.), array(6.))
    """

    #: ``forward(context, *inputs, **kwargs)``: the output array(s) from the input arrays
    forward: ClassVar[Callable[..., Any]]
    #: ``backward(context, goutput)``: the gradient of each input given the output gradient
    backward: ClassVar[Callable[..., Any]]

    @classmethod
    def do_forward(cls, *inputs: Any, **kwargs: Any) -> TensorNode:
        """Run ``forward`` on the inputs' values and record the graph.

        Plain numbers and arrays among ``inputs`` become constant nodes. The
        result is a :class:`TensorNode` whose ``source`` is a new :class:`OpNode`
        linking the op, its inputs, its output and the context.
        """
        like = next((i for i in inputs if isinstance(i, TensorNode)), None)
        nodes = [as_node(i, like) for i in inputs]
        context: dict[str, Any] = {}
        value = cls.forward(context, *[n.value for n in nodes], **kwargs)
        source = OpNode(cls, nodes, context)
        out = TensorNode(value, source=source, requires_grad=any(n.requires_grad for n in nodes))
        source._output = weakref.ref(out)
        return out


def topological_order(root: TensorNode) -> list[OpNode]:
    """The op nodes upstream of ``root``, each after all op nodes it depends on.

    An iterative depth-first search (no recursion, so any depth works); only
    nodes that require gradients are followed.

    >>> a = TensorNode(1.0); b = a * 2; c = b + a
    >>> [n.op.__name__ for n in topological_order(c)]
    ['Mul', 'Add']
    """
    order: list[OpNode] = []
    if root.source is None:
        return order
    visited: set[int] = {id(root.source)}
    # stack of (op node, iterator over its inputs)
    stack: list[tuple[OpNode, Iterator[TensorNode]]] = [(root.source, iter(root.source.inputs))]
    while stack:
        node, it = stack[-1]
        for inp in it:
            src = inp.source
            if src is not None and inp.requires_grad and id(src) not in visited:
                visited.add(id(src))
                stack.append((src, iter(src.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def run_backward(root: TensorNode, seed: Array) -> None:
    """Propagate ``seed`` from ``root`` back through the graph (see :meth:`TensorNode.backward`).

    The gradients of *this* pass are gathered in a dict keyed by node (nodes hash
    by identity), summing contributions of a node used several times, and only
    then added to each node's ``grad``: a second backward through the same graph
    therefore adds exactly one more gradient, never a re-propagated old one.

    >>> a = TensorNode(3.0); b = a * a; run_backward(b, np.asarray(1.0)); a.grad
    array(6.)
    """
    grads: dict[TensorNode, Array] = {root: seed}
    order = topological_order(root)
    _check_not_freed(order)
    for opnode in reversed(order):
        out = opnode.output
        if out is None or (goutput := grads.pop(out, None)) is None:
            continue  # no gradient reached this op's output
        _store(out, goutput)
        for inp, g in _input_gradients(opnode, goutput):
            grads[inp] = grads[inp] + g if inp in grads else g
    for leaf, g in grads.items():
        _store(leaf, g)


def _check_not_freed(order: list[OpNode]) -> None:
    """Refuse a backward pass through a graph that ``free_graph`` has cut."""
    for opnode in order:
        for inp in opnode.inputs:
            if inp._freed:
                raise RuntimeError(
                    f"backward() reaches a node (shape {inp.shape}) whose graph was freed by "
                    "backward(free=True) or free_graph(); run the forward pass again to "
                    "rebuild it"
                )


def _input_gradients(opnode: OpNode, goutput: Array) -> Iterator[tuple[TensorNode, Array]]:
    """Call the op's backward; yield (input, gradient) for each input that wants one."""
    needs = tuple(i.requires_grad for i in opnode.inputs)
    opnode.context["needs_input_grad"] = needs
    gin = opnode.op.backward(opnode.context, goutput)
    if not isinstance(gin, tuple | list):
        gin = (gin,)
    if len(gin) != len(opnode.inputs):
        raise RuntimeError(
            f"{opnode.op.__name__}.backward returned {len(gin)} gradients for "
            f"{len(opnode.inputs)} inputs"
        )
    for inp, g, need in zip(opnode.inputs, gin, needs, strict=True):
        if g is None or not need:
            continue
        g = np.asarray(g)
        if g.shape != inp.value.shape:
            raise RuntimeError(
                f"{opnode.op.__name__}.backward returned a gradient of shape {g.shape} "
                f"for an input of shape {inp.value.shape}"
            )
        yield inp, g


def _store(node: TensorNode, g: Array) -> None:
    """Add ``g`` to ``node``'s gradient, as a new writable array that only this node holds.

    An op's backward may hand the same array to several inputs (``Add`` passes its
    output gradient on unchanged) or a read-only broadcast view (``Sum``), so the
    first gradient is copied; a sum is a new array already.
    """
    if not node.requires_grad:
        return
    if node._grad is None:
        node._grad = np.array(g)
    else:
        node._grad = np.asarray(node._grad + g)


def free_graph(root: TensorNode) -> None:
    """Cut the graph below ``root``: drop every op node's inputs and context.

    Gradients already stored stay; values stay; ``source`` links are set to
    ``None``, so nothing keeps the intermediate arrays alive.

    >>> a = TensorNode(2.0); b = (a * a) * a; free_graph(b); b.source is None
    True
    """
    for opnode in topological_order(root):
        if (out := opnode.output) is not None:
            out.source = None
            out._freed = True
        opnode.context.clear()
        opnode.inputs = []
    if root.source is not None:
        root._freed = True
    root.source = None
