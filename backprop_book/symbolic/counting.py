"""Counting: conv/pool output sizes, parameters and operations.

Conventions, stated once and used throughout:

* output size of a convolution or pooling window: :math:`W_2 = (W_1 - F + 2P)/S + 1`,
  which must be a positive integer;
* a convolution filter of :math:`K = F \\cdot F \\cdot C_{in}` weights computes one
  output with :math:`K` multiplications and :math:`K - 1` additions, plus one
  addition for its bias if bias additions are counted;
* a max-pool window of :math:`k` elements costs :math:`k - 1` comparisons.

These reproduce report D's counts of question 3 and the LeNet-5 parameter table of
question 4 (D's figures are in :mod:`backprop_book.reports.d`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "LayerCount",
    "conv_multiplies_adds",
    "conv_operations",
    "conv_output_size",
    "conv_params",
    "dense_params",
    "lenet5_table",
    "mlp_params",
    "pool_operations",
    "report_d_q3",
]


def _positive_int(name: str, value: object, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected {name} to be an int, got {type(value).__name__} {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"expected a {kind} {name}, got {value}")
    return value


def conv_output_size(W: int, F: int, P: int = 0, S: int = 1, *, floor: bool = False) -> int:
    """Output size of a convolution or pooling window sliding over ``W`` positions.

    .. math:: W_2 = \\frac{W - F + 2P}{S} + 1

    Parameters
    ----------
    W
        Input width (or height).
    F
        Window (filter) size.
    P
        Zero padding on each side.
    S
        Stride.
    floor
        Round down instead of raising when ``S`` does not divide ``W - F + 2P``
        (what PyTorch's ``Conv2d`` and ``MaxPool2d`` do: the last positions are dropped).

    Raises
    ------
    ValueError
        If the window does not fit, or (unless ``floor``) the stride does not divide
        ``W - F + 2P``.

    Examples
    --------
    >>> conv_output_size(32, 5)
    28
    >>> conv_output_size(32, 2, S=2)
    16
    >>> conv_output_size(32, 3, P=1, S=2, floor=True)  # PyTorch's rounding
    16
    >>> conv_output_size(7, 2, S=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: stride 2 does not divide W - F + 2P = 7 - 2 + 2*0 = 5: ... (output size 3.5)
    """
    W, F = _positive_int("input size W", W), _positive_int("window size F", F)
    P, S = _positive_int("padding P", P, allow_zero=True), _positive_int("stride S", S)
    span = W - F + 2 * P
    if span < 0:
        raise ValueError(
            f"window F={F} is larger than the padded input W + 2P = {W + 2 * P}; no output position"
        )
    if span % S and not floor:
        raise ValueError(
            f"stride {S} does not divide W - F + 2P = {W} - {F} + 2*{P} = {span}: "
            f"the window would not tile the input (output size {span / S + 1:g})"
        )
    return span // S + 1


def conv_params(in_channels: int, out_channels: int, F: int, *, bias: bool = True) -> int:
    """Parameters of a fully connected convolution layer.

    .. math:: C_{out} \\, (F^2 C_{in} + 1)  \\quad\\text{(without bias: } C_{out} F^2 C_{in})

    >>> conv_params(6, 16, 5)
    2416
    >>> conv_params(1, 6, 5)
    156
    """
    cin, cout = (
        _positive_int("in_channels", in_channels),
        _positive_int("out_channels", out_channels),
    )
    F = _positive_int("F", F)
    return cout * (F * F * cin + (1 if bias else 0))


def dense_params(n_in: int, n_out: int, *, bias: bool = True) -> int:
    """Parameters of a fully connected layer: :math:`n_{out}(n_{in} + 1)`.

    >>> dense_params(120, 84)
    10164
    """
    n_in, n_out = _positive_int("n_in", n_in), _positive_int("n_out", n_out)
    return n_out * (n_in + (1 if bias else 0))


def mlp_params(sizes: tuple[int, ...] | list[int], *, bias: bool = True) -> int:
    r"""Parameters of a fully connected net with layer sizes ``sizes`` (input first).

    :math:`\sum_l n_l (n_{l-1} + 1)`, the sum of :func:`dense_params` over
    consecutive pairs.

    >>> mlp_params((3072, 120, 10))  # report A's two-layer net
    369970
    >>> mlp_params([3072])
    Traceback (most recent call last):
    ...
    ValueError: expected at least two layer sizes (input and output), got [3072]
    """
    if len(sizes) < 2:
        raise ValueError(f"expected at least two layer sizes (input and output), got {list(sizes)}")
    return sum(dense_params(a, b, bias=bias) for a, b in itertools.pairwise(sizes))


def conv_multiplies_adds(
    out_channels: int, out_size: int, weights_per_filter: int, *, count_bias: bool = False
) -> tuple[int, int]:
    """Multiplications and additions of a convolution layer, separately.

    .. math:: N_\\times = C_{out} W_2^2 K, \\qquad N_+ = C_{out} W_2^2 (K - 1 + [\\text{bias}])

    >>> conv_multiplies_adds(20, 6, 800)
    (576000, 575280)
    >>> sum(conv_multiplies_adds(20, 6, 800, count_bias=True))
    1152000
    """
    cout, w2 = _positive_int("out_channels", out_channels), _positive_int("out_size", out_size)
    K = _positive_int("weights_per_filter", weights_per_filter)
    outputs = cout * w2 * w2
    return outputs * K, outputs * (K - 1 + (1 if count_bias else 0))


def conv_operations(
    out_channels: int, out_size: int, weights_per_filter: int, *, count_bias: bool = False
) -> int:
    """Multiplications plus additions of a convolution layer.

    Each of the :math:`C_{out} \\cdot W_2^2` outputs is a dot product of
    :math:`K` weights with :math:`K` inputs: :math:`K` multiplications and
    :math:`K - 1` additions, plus one addition for the bias when counted.

    .. math:: N = C_{out} W_2^2 \\,(K + (K - 1) + [\\text{bias}])

    >>> conv_operations(20, 6, 800)
    1151280
    >>> conv_operations(20, 6, 800, count_bias=True)
    1152000
    """
    return sum(
        conv_multiplies_adds(out_channels, out_size, weights_per_filter, count_bias=count_bias)
    )


def pool_operations(channels: int, in_size: int, F: int, S: int) -> int:
    """Comparisons of a max-pool layer: :math:`C \\, W_2^2 (F^2 - 1)`.

    ``W_2`` is :func:`conv_output_size` of the window (no padding).

    >>> pool_operations(20, 6, F=3, S=1)
    2560
    """
    c = _positive_int("channels", channels)
    w2 = conv_output_size(in_size, F, 0, S)
    return c * w2 * w2 * (F * F - 1)


@dataclass(frozen=True)
class LayerCount:
    """One row of a parameter table: layer name, output shape and parameters.

    >>> lenet5_table()[2]
    LayerCount(name='C3', output=(16, 10, 10), params=2416)
    """

    name: str
    output: tuple[int, int, int] | tuple[int]
    params: int


def lenet5_table(c3: Literal["standard", "report", "original"] = "standard") -> list[LayerCount]:
    """LeNet-5's layers with output sizes from :func:`conv_output_size` and parameter counts.

    Sub-sampling layers are counted without parameters (as report D does; LeCun
    et al.'s S2 and S4 have a trainable coefficient and bias per map, 12 and 32).

    Parameters
    ----------
    c3
        ``"standard"``: C3 connects all 6 input maps to each of its 16 maps,
        :math:`16(6 \\cdot 25 + 1) = 2416`; ``"report"``: report D's count, a bias per
        input-output map pair, :math:`16 \\cdot 6 (25 + 1) = 2496`; ``"original"``:
        LeCun et al.'s sparse table of 60 map pairs, :math:`60 \\cdot 25 + 16 = 1516`.

    Examples
    --------
    >>> sum(layer.params for layer in lenet5_table())
    61706
    >>> sum(layer.params for layer in lenet5_table("report"))
    61786
    """
    if c3 not in ("standard", "report", "original"):
        raise ValueError(f"expected c3 to be 'standard', 'report' or 'original', got {c3!r}")
    F = 5
    w1 = conv_output_size(32, F)  # C1: 28
    s2 = conv_output_size(w1, 2, 0, 2)  # 14
    w3 = conv_output_size(s2, F)  # 10
    s4 = conv_output_size(w3, 2, 0, 2)  # 5
    w5 = conv_output_size(s4, F)  # 1
    c3_params = {
        "standard": conv_params(6, 16, F),
        "report": 16 * 6 * (F * F + 1),
        "original": 60 * F * F + 16,
    }[c3]
    return [
        LayerCount("C1", (6, w1, w1), conv_params(1, 6, F)),
        LayerCount("S2", (6, s2, s2), 0),
        LayerCount("C3", (16, w3, w3), c3_params),
        LayerCount("S4", (16, s4, s4), 0),
        LayerCount("C5", (120, w5, w5), conv_params(16, 120, F)),
        LayerCount("F6", (84,), dense_params(120, 84)),
        LayerCount("output", (10,), dense_params(84, 10)),
    ]


def report_d_q3() -> dict[str, int]:
    """Report D's question 3, counted under the module's conventions.

    Twenty filters of :math:`K = 5 \\cdot 5 \\cdot 32 = 800` weights produce a
    :math:`6 \\times 6` output (a :math:`10 \\times 10 \\times 32` input, ``F = 5``); the
    pooling that gives the report's count is a :math:`3 \\times 3` max-pool with
    stride 1 (:math:`20 \\cdot 4^2 \\cdot 8`), the only window and stride that do.

    >>> report_d_q3()
    {'conv': 1151280, 'conv+pool': 1153840, 'conv+pool+bias': 1154560}
    """
    out = conv_output_size(10, 5)
    conv = conv_operations(20, out, 5 * 5 * 32)
    pool = pool_operations(20, out, F=3, S=1)
    bias = 20 * out * out
    return {"conv": conv, "conv+pool": conv + pool, "conv+pool+bias": conv + pool + bias}
