"""The reports' PyTorch models, one class per architecture.

Every class builds, with no arguments, the configuration a report used; other
configurations come from arguments.  Each image model is a ``features`` stack
(convolutions and pooling, possibly empty) followed by a ``classifier`` stack
(flatten and linear layers), and checks at construction time that the two fit
together (:func:`check_shapes`): report A's "double channels" net, which feeds
``32*4*4`` features to a layer that receives ``32*8*8``, is rejected with a clear
message instead of failing at the first batch.

Parameter counts (pinned in the tests):

=========================================  ==========
model                                      parameters
=========================================  ==========
``TutorialCNN()``                              62,006
``FullyConnectedNet(2)`` .. ``(5)``          369,970 / 379,774 / 828,542 / 1,746,558
``LeNet5()`` (grayscale, full C3)              61,706
``AlexNetCIFAR()``                         23,272,266
=========================================  ==========
"""

from __future__ import annotations

import collections.abc
import inspect
import itertools
import math
import numbers
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

__all__ = [
    "CONV3_LAYOUTS",
    "MODELS",
    "AlexNetCIFAR",
    "ConvNet",
    "DoubleChannelCNN",
    "FullyConnectedNet",
    "GrayscaleNet",
    "ImageClassifier",
    "LayerSummary",
    "LeNet5",
    "TutorialCNN",
    "build_model",
    "check_model_args",
    "check_shapes",
    "count_parameters",
    "summary",
]

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def _activation(name: str) -> nn.Module:
    key = name.lower().replace("-", "_")
    if key not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {name!r}")
    return _ACTIVATIONS[key]()


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters, :math:`\\sum_p |p|` over ``requires_grad`` tensors.

    >>> count_parameters(TutorialCNN())
    62006
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class ImageClassifier(nn.Module):
    """Base class: ``scores = classifier(features(x))`` for images of ``input_shape``.

    Subclasses build ``self.features`` and ``self.classifier`` (``nn.Sequential``)
    and call :meth:`_finish`, which runs :func:`check_shapes`.

    >>> m = TutorialCNN()
    >>> m(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """

    input_shape: tuple[int, int, int] = (3, 32, 32)
    num_classes: int = 10
    features: nn.Sequential
    classifier: nn.Sequential

    def _finish(self, input_shape: tuple[int, int, int], num_classes: int) -> None:
        self.input_shape = tuple(int(v) for v in input_shape)  # type: ignore[assignment]
        self.num_classes = int(num_classes)
        check_shapes(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores (logits), shape ``(N, num_classes)``, for ``x`` of shape (N, C, H, W).

        Images of another size are refused here, with the size the model was built
        for, rather than deep inside a layer (``mat1 and mat2 shapes cannot be
        multiplied``) or, for a fully connected net given as many numbers in
        another shape, not at all.

        >>> TutorialCNN()(torch.zeros(2, 3, 28, 28))
        Traceback (most recent call last):
        ...
        ValueError: TutorialCNN expects images of shape (3, 32, 32) (channels, height, width), a batch of shape (N, 3, 32, 32); got shape (2, 3, 28, 28)
        """
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"{type(self).__name__} expects a torch.Tensor of images, got {type(x).__name__}"
            )
        if x.ndim != 4 or tuple(x.shape[1:]) != tuple(self.input_shape):
            shape = tuple(self.input_shape)
            raise ValueError(
                f"{type(self).__name__} expects images of shape {shape} (channels, height, "
                f"width), a batch of shape (N, {', '.join(map(str, shape))}); got shape "
                f"{tuple(x.shape)}"
            )
        return self.classifier(self.features(x))

    def extra_repr(self) -> str:
        return f"input_shape={self.input_shape}, num_classes={self.num_classes}"


def check_shapes(model: ImageClassifier) -> None:
    """Check that the feature stack's output size is what the first linear layer expects.

    Runs the feature stack on one zero image of ``model.input_shape`` and compares
    ``C * H * W`` with ``in_features`` of the first ``nn.Linear`` in the classifier.

    Raises
    ------
    ValueError
        Naming the model, the size the linear layer expects and the shape the
        features actually have.

    >>> DoubleChannelCNN(fc_in=32 * 4 * 4)
    Traceback (most recent call last):
    ...
    ValueError: DoubleChannelCNN: the first linear layer expects 512 input features, but the \
feature stack turns a (3, 32, 32) image into (32, 8, 8) = 2048 features; set its in_features to 2048
    """
    name = type(model).__name__
    linear = next((m for m in model.classifier.modules() if isinstance(m, nn.Linear)), None)
    if linear is None:
        raise ValueError(f"{name}: the classifier has no linear layer")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            feats = model.features(torch.zeros(1, *model.input_shape))
    except RuntimeError as exc:
        raise ValueError(
            f"{name}: the feature stack cannot take a {model.input_shape} image: {exc}"
        ) from exc
    finally:
        model.train(was_training)
    shape = tuple(feats.shape[1:])
    n = int(feats[0].numel())
    if n != linear.in_features:
        raise ValueError(
            f"{name}: the first linear layer expects {linear.in_features} input features, but the "
            f"feature stack turns a {model.input_shape} image into {shape} = {n} features; "
            f"set its in_features to {n}"
        )


def _mlp_layers(
    sizes: Sequence[int], activation: str = "relu", dropout: float = 0.0
) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return layers


def _check_sizes(name: str, sizes: Sequence[int]) -> list[int]:
    """Layer widths as a list of positive integers; a string (``"8"``) is refused, not iterated."""
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Iterable):
        raise TypeError(
            f"{name}: expected a sequence of positive integers such as [50, 70], got "
            f"{sizes!r} ({type(sizes).__name__})"
        )
    out = list(sizes)
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v <= 0 for v in out):
        raise ValueError(f"{name}: expected positive integers, got {out}")
    return [int(v) for v in out]


class TutorialCNN(ImageClassifier):
    """The PyTorch CIFAR-10 tutorial network (62,006 parameters).

    conv 3->6 k5, ReLU, max-pool 2, conv 6->16 k5, ReLU, max-pool 2,
    then fully connected 400-120-84-10 with ReLU.

    >>> count_parameters(TutorialCNN())
    62006
    """

    def __init__(self, activation: str = "relu", in_channels: int = 3, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5),
            _activation(activation),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5),
            _activation(activation),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            *_mlp_layers([16 * 5 * 5, 120, 84, num_classes], activation)
        )
        self._finish((in_channels, 32, 32), num_classes)


#: Report A's fully connected nets: hidden widths for 2, 3, 4 and 5 linear layers.
A_FC_HIDDEN: dict[int, tuple[int, ...]] = {
    2: (120,),
    3: (120, 84),
    4: (256, 120, 84),
    5: (512, 256, 120, 84),
}


class FullyConnectedNet(ImageClassifier):
    """Report A's fully connected nets: ``3072 - hidden... - 10`` with ReLU between layers.

    ``n_linear`` (2 to 5) picks A's widths from :data:`A_FC_HIDDEN`; ``hidden``
    overrides them.  :math:`h_l = \\mathrm{ReLU}(W_l h_{l-1} + b_l)`, scores
    :math:`s = W_L h_{L-1} + b_L`.

    >>> [count_parameters(FullyConnectedNet(k)) for k in (2, 3, 4, 5)]
    [369970, 379774, 828542, 1746558]
    """

    def __init__(
        self,
        n_linear: int = 2,
        hidden: Sequence[int] | None = None,
        activation: str = "relu",
        num_classes: int = 10,
    ):
        super().__init__()
        if hidden is None:
            if n_linear not in A_FC_HIDDEN:
                raise ValueError(f"n_linear must be one of {sorted(A_FC_HIDDEN)}, got {n_linear!r}")
            hidden = A_FC_HIDDEN[n_linear]
        hidden = _check_sizes("hidden sizes", hidden)
        self.features = nn.Sequential()
        self.classifier = nn.Sequential(*_mlp_layers([3072, *hidden, num_classes], activation))
        self._finish((3, 32, 32), num_classes)


class MLP(ImageClassifier):
    """Report B's torch MLP: ``in_features - hidden_sizes... - 10``, ReLU between layers.

    ``init_std`` (optional) redraws every weight from :math:`\\mathcal{N}(0, \\sigma^2)`
    and zeroes the biases, as the NumPy exercise does (``std * randn``); ``None``
    keeps PyTorch's default (Kaiming-uniform) initialisation.

    >>> count_parameters(MLP())
    154160
    >>> count_parameters(MLP([70, 70]))
    220790
    """

    def __init__(
        self,
        hidden_sizes: Sequence[int] = (50,),
        in_shape: tuple[int, int, int] = (3, 32, 32),
        num_classes: int = 10,
        init_std: float | None = None,
    ):
        super().__init__()
        hidden = _check_sizes("hidden_sizes", hidden_sizes)
        n_in = int(in_shape[0] * in_shape[1] * in_shape[2])
        self.features = nn.Sequential()
        self.classifier = nn.Sequential(*_mlp_layers([n_in, *hidden, num_classes]))
        if init_std is not None:
            if init_std <= 0:
                raise ValueError(f"init_std must be positive or None, got {init_std!r}")
            for m in self.classifier:
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, init_std)
                    nn.init.zeros_(m.bias)
        self._finish(in_shape, num_classes)


#: The layouts of :class:`ConvNet`'s three-conv net (``layout``).
CONV3_LAYOUTS = ("book", "pool3")


class ConvNet(ImageClassifier):
    """Report A's CNN variants of the tutorial net: activation and number of conv layers.

    * ``n_conv=1``: conv 3->6 k5, pool -> fc 1176-120-84-10;
    * ``n_conv=2``: the tutorial net (62,006 parameters);
    * ``n_conv=3``, ``layout="book"``: adds conv 16->32 k3 pad 1 after the second
      pool (A does not give its third layer; this is our choice) -> fc 800-120-84-10;
    * ``n_conv=3``, ``layout="pool3"``: the layout A's Net2 listing (its Figure 6)
      points to, three conv-and-pool stages before an ``fc1`` of ``32 * 4 * 4``.

    The ``pool3`` layout.  A's Net2 keeps a layer named ``conv3`` (12->32) and an
    ``fc1 = nn.Linear(32 * 4 * 4, 120)``: 4 x 4 is what three 2 x 2 poolings leave of
    a 32 x 32 image when every convolution keeps the size, as Net2's 3 x 3, padding-1
    convolutions do (:math:`32 \\to 16 \\to 8 \\to 4`).  With the tutorial's 5 x 5
    convolutions without padding, two stages leave 5 x 5 and a third 5 x 5 conv a
    1 x 1 map that no 2 x 2 pooling can take.  The text fixes the last conv's 32
    output channels and nothing before it; we take the tutorial's 6 and 16 for the
    first two (conv 3->6, 6->16, 16->32), as Net2 starts from them (it doubles 6 and
    16 to 12 and 32).  Net2's 12 channels for the first layer are another choice the
    text allows, not run; the parameter count hardly depends on it, since ``fc1``
    alone holds :math:`512 \\cdot 120 + 120 = 61{,}560` of the 78,262.  Shapes for
    one image:

    ========================  ============  ==========
    layer                     output        parameters
    ========================  ============  ==========
    conv 3->6 k3 p1, pool     (6, 16, 16)          168
    conv 6->16 k3 p1, pool    (16, 8, 8)           880
    conv 16->32 k3 p1, pool   (32, 4, 4)         4,640
    fc 512-120-84-10          (10,)             72,574
    ========================  ============  ==========

    >>> [count_parameters(ConvNet(n_conv=k)) for k in (1, 2, 3)]
    [152710, 62006, 114646]
    >>> count_parameters(ConvNet(n_conv=3, layout="pool3"))
    78262
    >>> ConvNet(n_conv=2, layout="pool3")
    Traceback (most recent call last):
    ...
    ValueError: layout 'pool3' is a layout of the three-conv net (n_conv=3), got n_conv=2
    """

    def __init__(
        self,
        activation: str = "relu",
        n_conv: int = 2,
        num_classes: int = 10,
        layout: Literal["book", "pool3"] = "book",
    ):
        super().__init__()
        if layout not in CONV3_LAYOUTS:
            raise ValueError(f"layout must be one of {list(CONV3_LAYOUTS)}, got {layout!r}")
        if layout != "book" and n_conv != 3:
            raise ValueError(
                f"layout {layout!r} is a layout of the three-conv net (n_conv=3), got "
                f"n_conv={n_conv!r}"
            )
        act = lambda: _activation(activation)  # noqa: E731
        if n_conv == 1:
            feats = [nn.Conv2d(3, 6, 5), act(), nn.MaxPool2d(2)]
            n = 6 * 14 * 14
        elif n_conv == 2:
            feats = [
                nn.Conv2d(3, 6, 5),
                act(),
                nn.MaxPool2d(2),
                nn.Conv2d(6, 16, 5),
                act(),
                nn.MaxPool2d(2),
            ]
            n = 16 * 5 * 5
        elif n_conv == 3 and layout == "pool3":
            feats = [
                nn.Conv2d(3, 6, 3, padding=1), act(), nn.MaxPool2d(2),
                nn.Conv2d(6, 16, 3, padding=1), act(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), act(), nn.MaxPool2d(2),
            ]  # fmt: skip
            n = 32 * 4 * 4
        elif n_conv == 3:
            feats = [
                nn.Conv2d(3, 6, 5), act(), nn.MaxPool2d(2),
                nn.Conv2d(6, 16, 5), act(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), act(),
            ]  # fmt: skip
            n = 32 * 5 * 5
        else:
            raise ValueError(f"n_conv must be 1, 2 or 3, got {n_conv!r}")
        self.layout = layout
        self.features = nn.Sequential(*feats)
        self.classifier = nn.Sequential(*_mlp_layers([n, 120, 84, num_classes], activation))
        self._finish((3, 32, 32), num_classes)


class DoubleChannelCNN(ImageClassifier):
    """Report A's "double channels" net with the shapes made right.

    conv 3->12 k3 pad 1, ReLU, pool 2 (16x16); conv 12->32 k3 pad 1, ReLU, pool 2
    (8x8); fc ``fc_in``-120-84-10.  The right ``fc_in`` is ``32*8*8 = 2048``; the
    report's ``32*4*4`` is rejected by :func:`check_shapes`.

    >>> count_parameters(DoubleChannelCNN())
    260718
    """

    def __init__(self, fc_in: int = 32 * 8 * 8, activation: str = "relu", num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 12, 3, padding=1),
            _activation(activation),
            nn.MaxPool2d(2),
            nn.Conv2d(12, 32, 3, padding=1),
            _activation(activation),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(*_mlp_layers([fc_in, 120, 84, num_classes], activation))
        self._finish((3, 32, 32), num_classes)


class LeNet5(ImageClassifier):
    """LeNet-5 for 32x32 inputs: C1-S2-C3-S4-C5-F6-output, with a fully connected C3.

    C1 conv 6@5x5 (28x28), S2 average-pool 2, C3 conv 16@5x5 connected to all six
    maps (10x10), S4 average-pool 2, C5 conv 120@5x5 (1x1), F6 84 units, output 10;
    tanh activations.  Parameters per layer, :math:`(F^2 C_{in} + 1) C_{out}`:
    156, 2,416, 48,120, 10,164, 850 = 61,706 for one input channel.

    >>> count_parameters(LeNet5())
    61706
    >>> count_parameters(LeNet5(in_channels=3))
    62006
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5),  # C1
            nn.Tanh(),
            nn.AvgPool2d(2),  # S2
            nn.Conv2d(6, 16, 5),  # C3 (every input map connected)
            nn.Tanh(),
            nn.AvgPool2d(2),  # S4
            nn.Conv2d(16, 120, 5),  # C5
            nn.Tanh(),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes)
        )
        self._finish((in_channels, 32, 32), num_classes)


class AlexNetCIFAR(ImageClassifier):
    """Report E's AlexNet adapted to 32x32 CIFAR-10 (23,272,266 parameters).

    conv 3->64 k3 s2 p1, ReLU, pool; conv 64->192 k3 p1, ReLU, pool; conv
    192->384, 384->256, 256->256 (k3 p1, ReLU); pool; dropout, fc 1024->4096, ReLU,
    dropout, fc 4096->4096, ReLU, fc 4096->10.  ``batch_norm=True`` adds a
    ``BatchNorm2d`` after every convolution.

    >>> count_parameters(AlexNetCIFAR())
    23272266
    """

    def __init__(self, batch_norm: bool = False, dropout: float = 0.5, num_classes: int = 10):
        super().__init__()

        def block(cin: int, cout: int, **kw: Any) -> list[nn.Module]:
            out: list[nn.Module] = [nn.Conv2d(cin, cout, 3, padding=1, **kw)]
            if batch_norm:
                out.append(nn.BatchNorm2d(cout))
            out.append(nn.ReLU(inplace=True))
            return out

        self.features = nn.Sequential(
            *block(3, 64, stride=2), nn.MaxPool2d(2),
            *block(64, 192), nn.MaxPool2d(2),
            *block(192, 384), *block(384, 256), *block(256, 256), nn.MaxPool2d(2),
        )  # fmt: skip
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(256 * 2 * 2, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )
        self._finish((3, 32, 32), num_classes)


class GrayscaleNet(ImageClassifier):
    """Report D's small fully connected net on grayscale images.

    ``in_shape`` (1, 32, 32) flattened, then one or two hidden layers of
    ``hidden`` ReLU units (optional dropout), then ``num_classes`` scores.
    ``softmax_output=True`` reproduces D's mistake: a ``Softmax`` as the last layer,
    in front of ``CrossEntropyLoss`` (which applies log-softmax again), so the loss
    cannot fall below :math:`\\log(e + K - 1) - 1` (1.4612 for ``K = 10``).

    >>> count_parameters(GrayscaleNet())
    103510
    >>> count_parameters(GrayscaleNet(hidden=500, n_hidden=2, dropout=0.5))
    768010
    """

    def __init__(
        self,
        hidden: int = 100,
        n_hidden: int = 1,
        dropout: float = 0.0,
        softmax_output: bool = False,
        in_shape: tuple[int, int, int] = (1, 32, 32),
        num_classes: int = 10,
    ):
        super().__init__()
        if n_hidden not in (1, 2):
            raise ValueError(f"n_hidden must be 1 or 2, got {n_hidden!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        n_in = int(in_shape[0] * in_shape[1] * in_shape[2])
        layers = _mlp_layers([n_in, *[int(hidden)] * n_hidden, num_classes], dropout=dropout)
        if softmax_output:
            layers.append(nn.Softmax(dim=1))
        self.features = nn.Sequential()
        self.classifier = nn.Sequential(*layers)
        self._finish(in_shape, num_classes)


#: Models by the name the trainer and the CLI use.
MODELS: dict[str, type[ImageClassifier]] = {
    "tutorial_cnn": TutorialCNN,
    "fc": FullyConnectedNet,
    "mlp": MLP,
    "cnn": ConvNet,
    "double_channel_cnn": DoubleChannelCNN,
    "lenet5": LeNet5,
    "alexnet": AlexNetCIFAR,
    "grayscale_net": GrayscaleNet,
}


def build_model(name: str, **kwargs: Any) -> ImageClassifier:
    """Construct the model registered as ``name`` in :data:`MODELS` with ``kwargs``.

    >>> type(build_model("fc", n_linear=3)).__name__
    'FullyConnectedNet'
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    takes = [n for n in inspect.signature(MODELS[name].__init__).parameters if n != "self"]
    unknown = sorted(set(kwargs) - set(takes))
    if unknown:
        raise TypeError(
            f"bad arguments {kwargs} for model {name!r}: no argument(s) {unknown}; it takes {takes}"
        )
    check_model_args(name, kwargs, where="build_model")
    try:
        return MODELS[name](**kwargs)
    except TypeError as exc:
        raise TypeError(f"bad arguments {kwargs} for model {name!r}: {exc}") from exc


@dataclass(frozen=True)
class LayerSummary:
    """One row of :func:`summary`: a leaf layer, its output shape and parameter count."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    parameters: int


def summary(model: ImageClassifier, batch_size: int = 1) -> list[LayerSummary]:
    """Per-layer output shape and parameter count, from one forward pass of zeros.

    >>> rows = summary(TutorialCNN())
    >>> [(r.kind, r.output_shape, r.parameters) for r in rows][:3]
    [('Conv2d', (1, 6, 28, 28), 456), ('ReLU', (1, 6, 28, 28), 0), ('MaxPool2d', (1, 6, 14, 14), 0)]
    >>> sum(r.parameters for r in rows)
    62006
    """
    rows: list[LayerSummary] = []
    hooks = []
    for name, mod in model.named_modules():
        if len(list(mod.children())) > 0:
            continue

        def hook(m: nn.Module, _inp: Any, out: torch.Tensor, name: str = name) -> None:
            n = sum(p.numel() for p in m.parameters(recurse=False))
            rows.append(LayerSummary(name, type(m).__name__, tuple(out.shape), int(n)))

        hooks.append(mod.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        with torch.no_grad():
            model(torch.zeros(batch_size, *model.input_shape, device=device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return rows


def format_summary(model: ImageClassifier) -> str:
    """:func:`summary` as a text table with a total line.

    >>> print(format_summary(LeNet5()).splitlines()[-1])
    total                                                     61,706
    """
    rows = summary(model)
    lines = [f"{'layer':<22}{'kind':<12}{'output shape':<20}{'params':>10}"]
    for r in rows:
        lines.append(f"{r.name:<22}{r.kind:<12}{r.output_shape!s:<20}{r.parameters:>10,}")
    lines.append(f"{'total':<54}{count_parameters(model):>10,}")
    return "\n".join(lines)


def check_model_args(
    model: str, args: dict[str, Any], where: str = "TrainConfig.model_args"
) -> None:
    """Refuse model arguments that the model's constructor does not take, or of the wrong type.

    Each argument is checked against the annotation of the model class's
    ``__init__`` (``hidden_sizes: Sequence[int]`` takes a list of integers, not the
    string ``"123"``, which would build layers of 1, 2 and 3 units).

    >>> check_model_args("mlp", {"hidden_sizes": [70, 70]})
    >>> check_model_args("mlp", {"hidden_sizes": "123"})
    Traceback (most recent call last):
    ...
    ValueError: TrainConfig.model_args: model 'mlp' takes hidden_sizes of type Sequence[int], got '123' (str)
    """
    cls = MODELS.get(model)
    if cls is None:
        return  # the model field's own check names the choices
    params = inspect.signature(cls.__init__).parameters
    names = [n for n in params if n != "self"]
    unknown = sorted(set(args) - set(names))
    if unknown:
        raise ValueError(f"{where}: model {model!r} has no argument(s) {unknown}; it takes {names}")
    hints = typing.get_type_hints(cls.__init__)
    for key, value in args.items():
        hint = hints.get(key, Any)
        if not _matches(value, hint):
            raise ValueError(
                f"{where}: model {model!r} takes {key} of type "
                f"{_type_name(hint)}, got {value!r} ({type(value).__name__})"
            )


def _matches(value: Any, hint: Any) -> bool:
    """Whether a (JSON-like) value fits a type annotation; unknown annotations accept."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin in (types.UnionType, typing.Union):
        return any(_matches(value, a) for a in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if hint is str:
        return isinstance(value, str)
    if origin is typing.Literal:
        return value in args
    if origin is tuple:
        if not isinstance(value, list | tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in value)
        return len(value) == len(args) and all(
            _matches(v, a) for v, a in zip(value, args, strict=True)
        )
    if origin in (list, collections.abc.Sequence):
        return isinstance(value, list | tuple) and all(_matches(v, args[0]) for v in value)
    return True


def _type_name(hint: Any) -> str:
    text = str(hint) if typing.get_origin(hint) else getattr(hint, "__name__", str(hint))
    return text.replace("collections.abc.", "").replace("typing.", "")
