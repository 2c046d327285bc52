"""The graph drawing: nodes, layout and the SVG/text output."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from backprop_book.autograd import TensorNode, relu
from backprop_book.autograd.graph import graph_of, layout, to_svg, to_text, write_svg
from backprop_book.autograd.nn import cross_entropy, mlp

pytestmark = pytest.mark.part3


def test_graph_of_a_plus_b() -> None:
    a, b = TensorNode(np.ones((2, 3)), name="a"), TensorNode(np.ones((2, 3)), name="b")
    g = layout(graph_of(a + b))
    cols = {n.label: n.column for n in g.nodes.values()}
    assert cols == {"a": 0, "b": 0, "Add": 1, "": 2}
    assert len(g.edges) == 3


def test_svg_is_well_formed_and_labels_shapes_and_ops(tmp_path) -> None:
    net = mlp([2, 8, 2], "sigmoid", rng=0)
    loss = cross_entropy(net(np.ones((5, 2))), [0, 1, 0, 1, 1])
    svg = write_svg(loss, tmp_path / "g.svg")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for op in (
        "MatMul",
        "Transpose",
        "Expand",
        "Add",
        "Sigmoid",
        "LogSoftmax",
        "Select",
        "Mean",
        "Neg",
    ):
        assert op in texts
    assert "(5, 8)" in texts and "(8, 2)" in texts and "W" in texts
    assert (tmp_path / "g.svg").read_text() == svg


def test_text_view_marks_shared_nodes() -> None:
    x = TensorNode(np.ones(3), name="x")
    text = to_text((relu(x) * x).sum())
    assert text.splitlines()[0] == "#0 tensor scalar  <- Sum"
    assert "(see #" in text and text.count("tensor x (3)") == 1


def test_deep_graph_draws_without_recursion() -> None:
    x = TensorNode(np.ones(1))
    y = x
    for _ in range(3000):
        y = y + 1.0
    assert to_svg(y).count("<ellipse") == 3000
    assert len(to_text(y).splitlines()) == 1 + 3000 * 3
