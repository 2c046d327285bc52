"""Shared hypothesis strategies and reference helpers for the autograd tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FLOATS = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False, width=64)
POSITIVE = st.floats(0.2, 3.0, allow_nan=False, allow_infinity=False, width=64)

small_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
matrix_shapes = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5)


def arrays(
    shape: tuple[int, ...], elements: st.SearchStrategy[float] = FLOATS
) -> st.SearchStrategy:
    """Float64 arrays of ``shape``."""
    return hnp.arrays(np.float64, shape, elements=elements)


@st.composite
def broadcast_pair(draw: st.DrawFn, elements_b: st.SearchStrategy[float] = FLOATS):
    """Two arrays whose shapes broadcast together (one may have fewer dimensions or size-1 axes)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    a = draw(arrays(shapes.input_shapes[0]))
    b = draw(arrays(shapes.input_shapes[1], elements_b))
    return a, b


@st.composite
def matmul_pair(draw: st.DrawFn):
    """(n, k) and (k, m) arrays."""
    n, k, m = (draw(st.integers(1, 5)) for _ in range(3))
    return draw(arrays((n, k))), draw(arrays((k, m)))


@st.composite
def distinct_arrays(draw: st.DrawFn, shapes: st.SearchStrategy = small_shapes):
    """Float64 arrays whose elements all differ by at least 0.1 (no ties, a clean maximum)."""
    shape = draw(shapes)
    order = draw(st.permutations(range(int(np.prod(shape)))))
    return (np.asarray(order, dtype=np.float64) * 0.1 - 0.5).reshape(shape)


def tied_arrays(shapes: st.SearchStrategy = small_shapes) -> st.SearchStrategy:
    """Float64 arrays drawn from three values, so that maxima are often tied."""
    return shapes.flatmap(lambda s: arrays(s, st.sampled_from([-1.0, 0.5, 2.0])))


@st.composite
def same_shape_arrays(
    draw: st.DrawFn, names: tuple[str, ...], elements: st.SearchStrategy[float] = FLOATS
) -> dict[str, np.ndarray]:
    """One float64 array per name, all of one small shape (keyword inputs of a grader)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    return {name: draw(arrays(shape, elements)) for name in names}


#: The binary steps of :func:`programs`: each combines two earlier values.
PROGRAM_OPS = ("add", "sub", "mul", "div_smooth", "relu_add")


@st.composite
def programs(draw: st.DrawFn, n_inputs: int = 2, max_steps: int = 8):
    """Inputs and a straight-line program over them: ``(op, i, j)`` steps, each reading
    two earlier values (inputs or step results, often the same one twice)."""
    inputs = [draw(FLOATS) for _ in range(n_inputs)]
    steps = []
    for k in range(draw(st.integers(1, max_steps))):
        available = n_inputs + k
        op = draw(st.sampled_from(PROGRAM_OPS))
        steps.append((op, draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1))))
    return inputs, steps
