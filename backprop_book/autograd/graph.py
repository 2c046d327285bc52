"""Drawing the computation graph: a pure-Python layered layout, an SVG writer, a text view.

No graphviz binary is needed: :func:`graph_of` collects the tensor and op nodes
upstream of a node, :func:`layout` places them in columns (inputs on the left,
the node itself on the right) and orders each column by the barycentre of its
neighbours, :func:`to_svg` writes the picture as SVG text and :func:`to_text`
gives a plain-text view of the same graph.

With ``values=True`` each tensor node of a single number also shows its value
and, once a backward pass has reached it, its gradient :math:`\\partial L /
\\partial v`: the picture of a small scalar graph that a reader can check by
hand, in the manner of micrograd's ``draw_dot``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from backprop_book._io import atomic_write_text
from backprop_book.autograd.core import OpNode, TensorNode

__all__ = ["Graph", "GraphNode", "graph_of", "layout", "to_svg", "to_text", "write_svg"]


@dataclass
class GraphNode:
    """One drawn node: a tensor (label = name and shape) or an op (label = op name)."""

    key: int
    kind: str  # "tensor" or "op"
    label: str
    sublabel: str = ""
    leaf: bool = False
    column: int = 0
    row: float = 0.0
    value: str = ""  # the value, formatted (``values=True``, single-number nodes only)
    grad: str = ""  # the gradient, formatted, once a backward pass has stored one


@dataclass
class Graph:
    """Nodes and directed edges (from producer to consumer) of a computation graph."""

    nodes: dict[int, GraphNode] = field(default_factory=dict)
    edges: list[tuple[int, int]] = field(default_factory=list)


def _tensor_label(t: TensorNode) -> tuple[str, str]:
    name = t.name or ("" if t.source is not None else "leaf" if t.requires_grad else "constant")
    shape = "scalar" if t.value.ndim == 0 else "(" + ", ".join(str(n) for n in t.shape) + ")"
    return name, shape


def _number(x: object, digits: int) -> str:
    """A number in ``digits`` significant digits, never ``-0``."""
    v = float(x)  # type: ignore[arg-type]
    text = f"{v:.{digits}g}"
    if text in ("-0", "-0.0"):
        text = "0"
    return text


def _value_and_grad(t: TensorNode, digits: int) -> tuple[str, str]:
    """The formatted value and gradient of a one-number node (``""`` where there is none)."""
    if t.value.size != 1:
        return "", ""
    value = _number(t.value.reshape(()), digits)
    stored = t._grad  # None until a backward pass reaches the node
    grad = "" if stored is None or not t.requires_grad else _number(stored.reshape(()), digits)
    return value, grad


def _upstream(root: TensorNode) -> Iterator[TensorNode | OpNode]:
    """Every tensor and op node upstream of ``root`` (iterative, each once)."""
    seen: set[int] = set()
    stack: list[TensorNode | OpNode] = [root]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        if isinstance(n, TensorNode):
            if n.source is not None:
                stack.append(n.source)
        else:
            stack.extend(n.inputs)
            if n.output is not None:
                stack.append(n.output)


def graph_of(root: TensorNode, *, values: bool = False, digits: int = 4) -> Graph:
    """Collect the graph upstream of ``root`` (tensor nodes, op nodes, edges).

    With ``values=True`` every tensor node that holds one number records its value
    and its gradient (after a backward pass), formatted to ``digits`` significant
    digits, in :attr:`GraphNode.value` and :attr:`GraphNode.grad`.

    >>> a = TensorNode(1.0, name="a"); b = TensorNode(2.0, name="b"); c = a + b
    >>> g = graph_of(c); sorted(n.label for n in g.nodes.values())
    ['', 'Add', 'a', 'b']
    >>> len(g.edges)
    3
    >>> (a * b).backward()
    >>> sorted((n.label, n.value, n.grad) for n in graph_of(a * b, values=True).nodes.values()
    ...        if n.label in ("a", "b"))
    [('a', '1', '2'), ('b', '2', '1')]
    """
    if not isinstance(digits, int) or isinstance(digits, bool) or digits < 1:
        raise ValueError(f"expected digits as an integer >= 1, got {digits!r}")
    g = Graph()
    for n in _upstream(root):
        if isinstance(n, TensorNode):
            label, sub = _tensor_label(n)
            node = GraphNode(id(n), "tensor", label, sub, leaf=n.source is None)
            if values:
                node.value, node.grad = _value_and_grad(n, digits)
            g.nodes[id(n)] = node
        else:
            g.nodes[id(n)] = GraphNode(id(n), "op", n.op.__name__)
            g.edges.extend((id(i), id(n)) for i in n.inputs)
            if n.output is not None:
                g.edges.append((id(n), id(n.output)))
    return g


def layout(g: Graph, sweeps: int = 4) -> Graph:
    """Assign each node a column (longest path to a sink, mirrored) and a row.

    Columns: a node sits one column left of its leftmost consumer, so the
    inputs are on the left and the drawn node is on the right. Rows: each column
    is ordered by the mean row of its neighbours in the adjacent columns,
    sweeping right-to-left and back ``sweeps`` times (the barycentre heuristic).

    >>> a = TensorNode(1.0, name="a"); c = a * 2
    >>> g = layout(graph_of(c)); sorted((n.column, n.label) for n in g.nodes.values())
    [(0, 'a'), (0, 'constant'), (1, 'Mul'), (2, '')]
    """
    succ: dict[int, list[int]] = {k: [] for k in g.nodes}
    pred: dict[int, list[int]] = {k: [] for k in g.nodes}
    for u, v in g.edges:
        succ[u].append(v)
        pred[v].append(u)
    # depth from the sinks: longest path, computed in a reverse topological order
    order: list[int] = []
    indeg = {k: len(succ[k]) for k in g.nodes}
    stack = [k for k, d in indeg.items() if d == 0]
    while stack:
        k = stack.pop()
        order.append(k)
        for p in pred[k]:
            indeg[p] -= 1
            if indeg[p] == 0:
                stack.append(p)
    depth = {k: 0 for k in g.nodes}
    for k in order:
        for p in pred[k]:
            depth[p] = max(depth[p], depth[k] + 1)
    maxd = max(depth.values(), default=0)
    columns: dict[int, list[int]] = {}
    for k in order:
        g.nodes[k].column = maxd - depth[k]
        columns.setdefault(g.nodes[k].column, []).append(k)
    for col in columns.values():
        for i, k in enumerate(col):
            g.nodes[k].row = float(i)
    ncol = maxd + 1
    for s in range(sweeps):
        rng = range(ncol - 2, -1, -1) if s % 2 == 0 else range(1, ncol)
        for c in rng:
            col = columns.get(c, [])
            nbrs = succ if s % 2 == 0 else pred

            def key(k: int, nbrs: dict[int, list[int]] = nbrs) -> float:
                rows = [g.nodes[n].row for n in nbrs[k]]
                return sum(rows) / len(rows) if rows else g.nodes[k].row

            col.sort(key=key)
            for i, k in enumerate(col):
                g.nodes[k].row = float(i)
    # centre every column vertically
    height = max((len(c) for c in columns.values()), default=1)
    for col in columns.values():
        off = (height - len(col)) / 2
        for k in col:
            g.nodes[k].row += off
    return g


def to_svg(
    root: TensorNode,
    col_width: int = 120,
    row_height: int = 56,
    *,
    values: bool = False,
    digits: int = 4,
    title: str | None = None,
) -> str:
    """The computation graph of ``root`` as an SVG document (text).

    Tensor nodes are boxes labelled with their name and value shape; op nodes
    are ellipses labelled with the op's name; arrows point from inputs to outputs.
    With ``values=True`` a tensor node holding one number shows ``value`` and, once
    a backward pass has reached it, ``grad`` (in red) instead of its shape, and the
    rows and columns grow to make room.

    ``title`` is the picture's text alternative: it becomes the SVG's ``<title>``
    and its ``aria-label`` (``role="img"``), which screen readers read and
    browsers show on hover; without one a sentence counting the nodes is used.

    >>> svg = to_svg(TensorNode([1.0, 2.0], name="x").sum())
    >>> svg.startswith("<svg") and "Sum" in svg and "(2)" in svg
    True
    >>> x = TensorNode(3.0, name="x"); y = x * x; y.backward()
    >>> svg = to_svg(y, values=True, title="y = x * x")
    >>> "value 3" in svg and "grad 6" in svg and "<title>y = x * x</title>" in svg
    True
    """
    g = layout(graph_of(root, values=values, digits=digits))
    w_box, h_box, w_op = 96, 36, 72
    margin = 20
    ncol = max((n.column for n in g.nodes.values()), default=0) + 1
    nrow = max((n.row for n in g.nodes.values()), default=0) + 1
    widths = [float(col_width)] * ncol
    if values:
        h_box = 50
        col_width, row_height = max(col_width, 124), max(row_height, 70)
        # a column of operations only is as narrow as an ellipse and the same gap
        has_tensor = {n.column for n in g.nodes.values() if n.kind == "tensor"}
        gap = col_width - w_box
        widths = [col_width if c in has_tensor else w_op + gap for c in range(ncol)]
    lefts = [margin + sum(widths[:c]) for c in range(ncol)]
    # an edge that skips a column (a value used again further on) runs in a lane of its
    # own below the nodes, so that it never crosses a node it does not touch
    long_edges = [(u, v) for u, v in g.edges if g.nodes[v].column - g.nodes[u].column > 1]
    lanes_top = margin + nrow * row_height - (row_height - h_box) / 2 + 8
    width = int(sum(widths) + 2 * margin)
    height = int(nrow * row_height + 2 * margin + 10 * len(long_edges))
    if title is None:
        n_ops = sum(n.kind == "op" for n in g.nodes.values())
        title = (
            f"Computation graph: {len(g.nodes) - n_ops} tensor nodes (boxes) and {n_ops} "
            "operations (ellipses), inputs on the left, arrows from inputs to outputs"
        )

    def centre(n: GraphNode) -> tuple[float, float]:
        return (
            lefts[n.column] + widths[n.column] / 2,
            margin + n.row * row_height + row_height / 2,
        )

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" '
        f'font-size="{13 if values else 12}" '
        f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#555"/></marker></defs>',
    ]
    lane = {edge: lanes_top + 10 * k for k, edge in enumerate(long_edges)}
    for u, v in g.edges:
        (x1, y1), (x2, y2) = centre(g.nodes[u]), centre(g.nodes[v])
        x1 += w_box / 2 if g.nodes[u].kind == "tensor" else w_op / 2
        x2 -= w_box / 2 if g.nodes[v].kind == "tensor" else w_op / 2
        if (u, v) in lane:
            low, bend = lane[(u, v)], (col_width - w_box) / 2
            out.append(
                f'<path d="M {x1:.1f} {y1:.1f} C {x1 + bend:.1f} {y1:.1f} {x1 + bend:.1f} '
                f"{low:.1f} {x1 + 2 * bend:.1f} {low:.1f} L {x2 - 2 * bend:.1f} {low:.1f} "
                f'C {x2 - bend:.1f} {low:.1f} {x2 - bend:.1f} {y2:.1f} {x2:.1f} {y2:.1f}" '
                'fill="none" stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>'
            )
            continue
        out.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            'stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
    for n in g.nodes.values():
        x, y = centre(n)
        if n.kind == "tensor":
            fill = "#f6f1db" if n.leaf else "#dbe9f6"
            out.append(
                f'<rect x="{x - w_box / 2:.1f}" y="{y - h_box / 2:.1f}" width="{w_box}" '
                f'height="{h_box}" rx="5" fill="{fill}" stroke="#345"/>'
            )
            if n.value:
                lines = [(n.label, ' font-weight="bold"'), (f"value {n.value}", "")]
                if n.grad:
                    lines.append((f"grad {n.grad}", ' fill="#a3162d"'))
            else:
                lines = [(n.label, ' font-weight="bold"'), (n.sublabel, "")]
            lines = [(text, style) for text, style in lines if text]
            top = y - 7 * (len(lines) - 1) + 4
            for i, (text, style) in enumerate(lines):
                out.append(
                    f'<text x="{x:.1f}" y="{top + 14 * i:.1f}" text-anchor="middle"{style}>'
                    f"{escape(text)}</text>"
                )
        else:
            out.append(
                f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{w_op / 2:g}" ry="16" fill="#fbe3d6" '
                'stroke="#834"/>'
            )
            out.append(
                f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{escape(n.label)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out)


def write_svg(
    root: TensorNode,
    path: str | os.PathLike[str],
    *,
    values: bool = False,
    title: str | None = None,
) -> str:
    """Write :func:`to_svg` of ``root`` to ``path`` atomically and return the SVG text.

    ``values`` and ``title`` are passed on to :func:`to_svg`.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = write_svg(TensorNode(1.0) * 2, pathlib.Path(d) / "g.svg")
    ...     (pathlib.Path(d) / "g.svg").read_text().startswith("<svg")
    True
    """
    svg = to_svg(root, values=values, title=title)
    atomic_write_text(path, svg)
    return svg


def to_text(root: TensorNode, *, values: bool = False, digits: int = 4) -> str:
    """A plain-text view of the graph: one line per node, inputs indented below.

    A node met again is printed once more as a reference ``(see #k)``. With
    ``values=True`` a one-number node also shows its value and its gradient (once a
    backward pass has stored one).

    >>> a = TensorNode(1.0, name="a"); print(to_text(a * a))
    #0 tensor scalar  <- Mul
      #1 op Mul
        #2 tensor a scalar
        (see #2)
    >>> b = a * a; b.backward(); print(to_text(b, values=True).splitlines()[2])
        #2 tensor a scalar  value=1 grad=2
    """
    if not isinstance(digits, int) or isinstance(digits, bool) or digits < 1:
        raise ValueError(f"expected digits as an integer >= 1, got {digits!r}")
    lines: list[str] = []
    numbers: dict[int, int] = {}
    stack: list[tuple[TensorNode | OpNode, int]] = [(root, 0)]
    while stack:
        n, level = stack.pop()
        pad = "  " * level
        if id(n) in numbers:
            lines.append(f"{pad}(see #{numbers[id(n)]})")
            continue
        k = numbers[id(n)] = len(numbers)
        if isinstance(n, TensorNode):
            name, shape = _tensor_label(n)
            name = "" if name in ("leaf", "constant") else name
            via = f"  <- {n.source.op.__name__}" if n.source is not None else ""
            numbers_of = ""
            if values:
                value, grad = _value_and_grad(n, digits)
                numbers_of = f"  value={value}" if value else ""
                numbers_of += f" grad={grad}" if grad else ""
            lines.append(f"{pad}#{k} tensor {name + ' ' if name else ''}{shape}{via}{numbers_of}")
            if n.source is not None:
                stack.append((n.source, level + 1))
        else:
            lines.append(f"{pad}#{k} op {n.op.__name__}")
            stack.extend((i, level + 1) for i in reversed(n.inputs))
    return "\n".join(lines)
