from __future__ import annotations

import pytest
import torch

from backprop_book.torch_nn import models as M

pytestmark = pytest.mark.part4


@pytest.mark.parametrize(
    ("make", "count"),
    [
        (M.TutorialCNN, 62_006),
        (lambda: M.FullyConnectedNet(2), 369_970),
        (lambda: M.FullyConnectedNet(3), 379_774),
        (lambda: M.FullyConnectedNet(4), 828_542),
        (lambda: M.FullyConnectedNet(5), 1_746_558),
        (lambda: M.ConvNet(n_conv=1), 152_710),
        (lambda: M.ConvNet(n_conv=2), 62_006),
        (lambda: M.ConvNet(n_conv=3), 114_646),
        (lambda: M.ConvNet(activation="tanh"), 62_006),
        (M.DoubleChannelCNN, 260_718),
        (M.MLP, 154_160),
        (lambda: M.MLP([30]), 92_500),
        (lambda: M.MLP([70]), 215_820),
        (lambda: M.MLP([50, 70]), 157_930),
        (lambda: M.MLP([70, 70]), 220_790),
        (lambda: M.MLP([50, 70, 50]), 161_280),
        (lambda: M.MLP([50, 70, 70, 50]), 166_250),
        (M.LeNet5, 61_706),
        (lambda: M.LeNet5(in_channels=3), 62_006),
        (M.AlexNetCIFAR, 23_272_266),
        (M.GrayscaleNet, 103_510),
        (lambda: M.GrayscaleNet(hidden=1000), 1_035_010),
        (lambda: M.GrayscaleNet(hidden=100, n_hidden=2), 113_610),
    ],
)
def test_parameter_counts_are_pinned(make, count):
    assert M.count_parameters(make()) == count


def test_alexnet_batch_norm_adds_two_parameters_per_channel():
    extra = 2 * (64 + 192 + 384 + 256 + 256)
    assert M.count_parameters(M.AlexNetCIFAR(batch_norm=True)) == 23_272_266 + extra


def test_lenet5_layer_counts_match_report_d_with_full_c3():
    rows = [r.parameters for r in M.summary(M.LeNet5()) if r.parameters]
    assert rows == [156, 2416, 48120, 10164, 850]


def test_double_channel_mistake_is_caught_at_construction():
    with pytest.raises(ValueError, match=r"expects 512 input features.*\(32, 8, 8\) = 2048"):
        M.DoubleChannelCNN(fc_in=32 * 4 * 4)


def test_summary_shapes_of_tutorial_cnn():
    rows = M.summary(M.TutorialCNN(), batch_size=2)
    shapes = [r.output_shape for r in rows if r.kind in ("Conv2d", "MaxPool2d", "Linear")]
    assert shapes == [
        (2, 6, 28, 28), (2, 6, 14, 14), (2, 16, 10, 10), (2, 16, 5, 5),
        (2, 120), (2, 84), (2, 10),
    ]  # fmt: skip
    assert "62,006" in M.format_summary(M.TutorialCNN())


@pytest.mark.parametrize("name", sorted(M.MODELS))
def test_every_model_gives_scores_for_its_input(name):
    model = M.build_model(name)
    x = torch.zeros(3, *model.input_shape)
    assert model(x).shape == (3, 10)


def test_softmax_output_net_outputs_probabilities():
    torch.manual_seed(0)
    p = M.GrayscaleNet(softmax_output=True)(torch.randn(4, 1, 32, 32))
    torch.testing.assert_close(p.sum(1), torch.ones(4))


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="activation must be one of"):
        M.ConvNet(activation="swish")
    with pytest.raises(ValueError, match="n_conv must be 1, 2 or 3, got 4"):
        M.ConvNet(n_conv=4)
    with pytest.raises(ValueError, match="n_linear must be one of"):
        M.FullyConnectedNet(6)
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        M.build_model("resnet")
    with pytest.raises(TypeError, match="bad arguments"):
        M.build_model("mlp", hidden=3)
    with pytest.raises(
        ValueError, match=r"hidden_sizes: expected positive integers, got \[50, 0\]"
    ):
        M.MLP([50, 0])


def test_small_init_std_is_applied():
    m = M.MLP([50, 70, 50], init_std=1e-4)
    w = m.classifier[1].weight.detach()
    assert abs(float(w.std()) - 1e-4) < 1e-5
    assert float(m.classifier[1].bias.detach().abs().max()) == 0.0


def test_three_pooling_conv3_layout_has_a_net2_fc1_and_its_hand_count():
    """A's Net2 listing feeds ``32 * 4 * 4`` to fc1: three conv-and-pool stages of 3x3, pad 1."""
    m = M.ConvNet(n_conv=3, layout="pool3")
    rows = [(r.kind, r.output_shape[1:], r.parameters) for r in M.summary(m)]
    pools = [shape for kind, shape, _ in rows if kind == "MaxPool2d"]
    assert pools == [(6, 16, 16), (16, 8, 8), (32, 4, 4)]
    assert [n for kind, _, n in rows if kind in ("Conv2d", "Linear")] == [
        3 * 6 * 9 + 6,  # conv1 3->6 k3: 168
        6 * 16 * 9 + 16,  # conv2 6->16 k3: 880
        16 * 32 * 9 + 32,  # conv3 16->32 k3: 4,640
        32 * 4 * 4 * 120 + 120,  # fc1 512->120: 61,560
        120 * 84 + 84,  # fc2: 10,164
        84 * 10 + 10,  # fc3: 850
    ]
    # 168 + 880 + 4,640 + 61,560 + 10,164 + 850 = 78,262
    assert M.count_parameters(m) == 78_262
    assert m(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    # fewer than the one-conv net still: one pooling leaves fc1 6 * 14 * 14 inputs
    assert M.count_parameters(M.ConvNet(n_conv=1)) > M.count_parameters(m)
    # the book's layout is the default and unchanged
    assert M.count_parameters(M.ConvNet(n_conv=3, layout="book")) == 114_646
    tanh = M.ConvNet(n_conv=3, layout="pool3", activation="tanh")
    assert sum(isinstance(x, torch.nn.Tanh) for x in tanh.modules()) == 5


def test_conv3_layout_is_checked_at_the_boundary():
    with pytest.raises(ValueError, match=r"layout must be one of \['book', 'pool3'\], got 'p3'"):
        M.ConvNet(n_conv=3, layout="p3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"three-conv net \(n_conv=3\), got n_conv=1"):
        M.ConvNet(n_conv=1, layout="pool3")
    M.check_model_args("cnn", {"n_conv": 3, "layout": "pool3"})
    with pytest.raises(ValueError, match=r"takes layout of type Literal\['book', 'pool3'\]"):
        M.check_model_args("cnn", {"n_conv": 3, "layout": "three"})
    assert M.count_parameters(M.build_model("cnn", n_conv=3, layout="pool3")) == 78_262
