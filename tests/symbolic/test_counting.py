"""Counting helpers: output sizes, parameters and operations (report D, Q3 and Q4)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_book.symbolic.counting import (
    conv_multiplies_adds,
    conv_operations,
    conv_output_size,
    conv_params,
    dense_params,
    lenet5_table,
    pool_operations,
    report_d_q3,
)

from .strategies import channels, conv_geometry

pytestmark = pytest.mark.part1


def test_report_d_q3() -> None:
    assert report_d_q3() == {
        "conv": 1_151_280,
        "conv+pool": 1_153_840,
        "conv+pool+bias": 1_154_560,
    }
    assert conv_operations(20, 6, 800) == 20 * 36 * (800 + 799)
    assert conv_multiplies_adds(20, 6, 800) == (20 * 36 * 800, 20 * 36 * 799)
    assert pool_operations(20, 6, F=3, S=1) == 2_560
    # a 2x2/2 pool gives 540, not the report's 2,560
    assert pool_operations(20, 6, F=2, S=2) == 540


def test_lenet5_report_and_standard() -> None:
    report = {layer.name: layer.params for layer in lenet5_table("report")}
    assert report == {
        "C1": 156, "S2": 0, "C3": 2_496, "S4": 0, "C5": 48_120, "F6": 10_164, "output": 850,
    }  # fmt: skip
    assert sum(report.values()) == 61_786
    standard = lenet5_table("standard")
    assert next(x.params for x in standard if x.name == "C3") == 2_416
    assert sum(x.params for x in standard) == 61_706
    assert sum(x.params for x in lenet5_table("original")) == 60_806
    shapes = [x.output for x in standard]
    assert shapes[:5] == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1)]
    with pytest.raises(ValueError, match="c3"):
        lenet5_table("dense")  # type: ignore[arg-type]


def test_known_sizes_and_errors() -> None:
    assert conv_output_size(32, 5) == 28
    assert conv_output_size(227, 11, 0, 4) == 55
    assert conv_output_size(32, 3, 1, 1) == 32
    with pytest.raises(
        ValueError, match=r"stride 2 does not divide W - F \+ 2P = 32 - 3 \+ 2\*1 = 31"
    ):
        conv_output_size(32, 3, 1, 2)
    assert conv_output_size(32, 3, 1, 2, floor=True) == 16
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_output_size(3, 5)
    with pytest.raises(ValueError, match="positive stride"):
        conv_output_size(3, 1, 0, 0)
    with pytest.raises(ValueError, match="non-negative padding"):
        conv_output_size(3, 1, -1)
    with pytest.raises(TypeError, match="expected input size W to be an int, got float"):
        conv_output_size(3.0, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        conv_output_size(True, 1)  # type: ignore[arg-type]


def test_param_counts() -> None:
    assert conv_params(3, 6, 5) == 456  # the tutorial CNN's first conv
    assert conv_params(3, 6, 5, bias=False) == 450
    assert dense_params(3072, 120) == 368_760
    assert dense_params(84, 10, bias=False) == 840
    # report A's tutorial CNN: 62,006 parameters
    total = (
        conv_params(3, 6, 5) + conv_params(6, 16, 5)
        + dense_params(400, 120) + dense_params(120, 84) + dense_params(84, 10)
    )  # fmt: skip
    assert total == 62_006


@given(conv_geometry())
def test_output_size_inverts_the_geometry(geom: tuple[int, int, int, int, int]) -> None:
    W, F, P, S, W2 = geom
    assert conv_output_size(W, F, P, S) == W2
    # the last window ends inside the padded input, one more stride would leave it
    assert (W2 - 1) * S + F <= W + 2 * P < W2 * S + F


@given(st.integers(1, 200), st.integers(1, 15), st.integers(0, 5), st.integers(1, 6))
def test_output_size_raises_or_is_exact(W: int, F: int, P: int, S: int) -> None:
    span = W - F + 2 * P
    if span < 0:
        with pytest.raises(ValueError):
            conv_output_size(W, F, P, S)
        return
    floor = conv_output_size(W, F, P, S, floor=True)
    assert floor == span // S + 1
    if span % S:
        with pytest.raises(ValueError, match="does not divide"):
            conv_output_size(W, F, P, S)
    else:
        assert conv_output_size(W, F, P, S) == floor


@given(channels, channels, st.integers(1, 7))
def test_conv_params_formula(cin: int, cout: int, F: int) -> None:
    with_bias = conv_params(cin, cout, F)
    assert with_bias - conv_params(cin, cout, F, bias=False) == cout
    assert with_bias == cout * (F * F * cin + 1)
    assert conv_params(cin, cout + 1, F) - with_bias == F * F * cin + 1


@given(st.integers(1, 64), st.integers(1, 32), st.integers(1, 2000))
def test_conv_operations_formula(cout: int, w2: int, K: int) -> None:
    ops = conv_operations(cout, w2, K)
    assert ops == cout * w2 * w2 * (2 * K - 1)
    mults, adds = conv_multiplies_adds(cout, w2, K)
    assert (mults, adds) == (cout * w2 * w2 * K, cout * w2 * w2 * (K - 1))
    assert conv_operations(cout, w2, K, count_bias=True) - ops == cout * w2 * w2


@given(channels, st.integers(2, 64), st.integers(1, 4))
def test_pool_operations_formula(c: int, W: int, F: int) -> None:
    if F > W:
        return
    ops = pool_operations(c, W, F, 1)
    assert ops == c * (W - F + 1) ** 2 * (F * F - 1)


@pytest.mark.slow  # importing torch takes a few seconds on a busy 2-core machine
def test_counts_agree_with_torch_modules() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn

    def count(module: object) -> int:
        return sum(p.numel() for p in module.parameters())  # type: ignore[attr-defined]

    lenet = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),
        nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )  # fmt: skip
    assert count(lenet) == sum(layer.params for layer in lenet5_table("standard"))
    x = torch.zeros(1, 1, 32, 32)
    shapes = []
    for layer in lenet:
        x = layer(x)
        if isinstance(layer, nn.Conv2d | nn.AvgPool2d):
            shapes.append(tuple(x.shape[1:]))
    assert shapes == [layer.output for layer in lenet5_table()[:5]]
    # report E's AlexNet for CIFAR-10: stride-2 conv1 needs PyTorch's rounding down
    convs = [(3, 64, 2), (64, 192, 1), (192, 384, 1), (384, 256, 1), (256, 256, 1)]
    meta = {"device": "meta"}  # count parameters without allocating 23 million of them
    alex = nn.Sequential(
        *[nn.Conv2d(a, b, 3, stride=s, padding=1, **meta) for a, b, s in convs],
        nn.Linear(1024, 4096, **meta), nn.Linear(4096, 4096, **meta), nn.Linear(4096, 10, **meta),
    )  # fmt: skip
    ours = sum(conv_params(a, b, 3) for a, b, _ in convs) + sum(
        dense_params(a, b) for a, b in [(1024, 4096), (4096, 4096), (4096, 10)]
    )
    assert count(alex) == ours == 23_272_266
    out = nn.Conv2d(3, 64, 3, stride=2, padding=1)(torch.zeros(1, 3, 32, 32))
    assert out.shape[-1] == conv_output_size(32, 3, 1, 2, floor=True) == 16


def test_mlp_params_sums_dense_layers_and_matches_torch():
    import torch

    from backprop_book.symbolic.counting import mlp_params

    sizes = (3072, 512, 256, 120, 84, 10)
    layers = [torch.nn.Linear(a, b) for a, b in itertools.pairwise(sizes)]
    assert mlp_params(sizes) == sum(p.numel() for m in layers for p in m.parameters()) == 1_746_558
    assert mlp_params(sizes, bias=False) == 1_746_558 - sum(sizes[1:])
    with pytest.raises(ValueError, match="at least two layer sizes"):
        mlp_params(())
