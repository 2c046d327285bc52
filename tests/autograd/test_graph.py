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


# -- values and gradients on the drawing (the foundations part draws scalar graphs) ------

SVG_NS = "{http://www.w3.org/2000/svg}"


def _boxes(svg: str) -> dict[str, list[str]]:
    """The text lines of each drawn tensor box, keyed by its bold name line (name them all)."""
    texts = list(ET.fromstring(svg).iter(f"{SVG_NS}text"))
    boxes: dict[str, list[str]] = {}
    current: list[str] | None = None
    for t in texts:
        if t.get("font-weight") == "bold":
            current = boxes.setdefault(t.text or "", [])
        elif current is not None and t.text and t.text.split()[0] in ("value", "grad"):
            current.append(t.text)
    return boxes


def _circuit() -> dict[str, TensorNode]:
    x, y, z = TensorNode(-2.0, name="x"), TensorNode(5.0, name="y"), TensorNode(-4.0, name="z")
    q = x + y
    q.name = "q"
    f = q * z
    f.name = "f"
    f.backward()
    return {"x": x, "y": y, "z": z, "q": q, "f": f}


def test_drawn_values_and_gradients_are_the_nodes_own() -> None:
    nodes = _circuit()
    boxes = _boxes(to_svg(nodes["f"], values=True))
    # by hand: q = 3, f = -12; df/dz = q = 3, df/dq = z = -4, df/dx = df/dy = -4
    assert boxes == {
        "x": ["value -2", "grad -4"],
        "y": ["value 5", "grad -4"],
        "z": ["value -4", "grad 3"],
        "q": ["value 3", "grad -4"],
        "f": ["value -12", "grad 1"],
    }
    g = graph_of(nodes["f"], values=True)
    drawn = {n.label: (n.value, n.grad) for n in g.nodes.values() if n.kind == "tensor"}
    for name, node in nodes.items():
        assert drawn[name] == (f"{float(node.value):.4g}", f"{float(node.grad):.4g}")


def test_a_reused_value_shows_the_sum_of_its_gradients() -> None:
    a = TensorNode(3.0, name="a")
    aa = a * a
    aa.name = "aa"
    f = aa + a  # df/da = 2a + 1 = 7, not the 6 or 1 of one use alone
    f.name = "f"
    f.backward()
    assert _boxes(to_svg(f, values=True))["a"] == ["value 3", "grad 7"]
    assert "value=3 grad=7" in to_text(f, values=True)


def test_no_gradient_is_drawn_before_a_backward_pass_or_for_a_constant() -> None:
    x = TensorNode(0.5, name="x")
    y = x * 2.0
    y.name = "y"
    boxes = _boxes(to_svg(y, values=True))
    assert boxes["x"] == ["value 0.5"] and boxes["y"] == ["value 1"]
    y.backward()
    svg = to_svg(y, values=True)
    assert _boxes(svg)["x"] == ["value 0.5", "grad 2"]
    assert "grad 1</text>" in svg  # the output's seed
    constant = [n for n in graph_of(y, values=True).nodes.values() if n.label == "constant"]
    assert constant[0].value == "2" and constant[0].grad == ""


def test_arrays_keep_their_shape_label_and_digits_are_checked() -> None:
    x = TensorNode(np.ones((2, 3)), name="x")
    s = x.sum()
    s.name = "s"
    s.backward()
    assert _boxes(to_svg(s, values=True)) == {"x": [], "s": ["value 6", "grad 1"]}
    assert "(2, 3)" in to_svg(s, values=True)
    assert graph_of(TensorNode(1 / 3), values=True, digits=2).nodes.popitem()[1].value == "0.33"
    with pytest.raises(ValueError, match="digits as an integer >= 1, got 0"):
        graph_of(s, values=True, digits=0)
    with pytest.raises(ValueError, match="digits"):
        to_text(s, values=True, digits=True)


def test_title_is_the_text_alternative_and_is_escaped() -> None:
    x = TensorNode(1.0, name="x")
    root = ET.fromstring(to_svg(x * 2.0, title='f = x < 2 & "more"'))
    assert root.get("role") == "img"
    assert root.get("aria-label") == 'f = x < 2 & "more"'
    assert root.find(f"{SVG_NS}title").text == 'f = x < 2 & "more"'
    default = ET.fromstring(to_svg(x * 2.0)).get("aria-label")
    assert default.startswith("Computation graph: 3 tensor nodes (boxes) and 1 operations")


def test_an_edge_that_skips_columns_runs_below_the_nodes() -> None:
    a = TensorNode(2.0, name="a")
    f = (a * 3.0).relu() * a  # a feeds the first Mul and, three columns on, the last
    svg = to_svg(f, values=True)
    root = ET.fromstring(svg)
    paths = list(root.iter(f"{SVG_NS}path"))
    curves = [p for p in paths if p.get("fill") == "none"]
    assert len(curves) == 1
    lowest_box = max(float(r.get("y")) + float(r.get("height")) for r in root.iter(f"{SVG_NS}rect"))
    lane_y = float(curves[0].get("d").split(" L ")[1].split()[1])
    assert lane_y > lowest_box
    assert float(root.get("height")) > lane_y
