"""Bad input to Part II: gradient checks that would check nothing, solver settings that
would train to NaN, data of the wrong kind."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_book.numpy_nn import TwoLayerNet
from backprop_book.numpy_nn.gradcheck import check_gradients, directional_check, numerical_gradient
from backprop_book.numpy_nn.layers import softmax_cross_entropy
from backprop_book.numpy_nn.mlp import MLP
from backprop_book.numpy_nn.solver import train

pytestmark = pytest.mark.part2


def _sum_sq(v: np.ndarray) -> float:
    return float(np.sum(np.asarray(v, dtype=np.float64) ** 2))


@pytest.fixture
def net_data() -> tuple[TwoLayerNet, np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).standard_normal((6, 4))
    return TwoLayerNet(4, 5, 3, rng=0), X, np.array([0, 1, 2, 0, 1, 2])


# ----------------------------------------------------------------------------- gradient checks


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_array_is_refused_and_left_untouched(dtype: type) -> None:
    x = np.array([1, 2, 3]).astype(dtype)
    before = x.copy()
    with pytest.raises(TypeError, match=rf"floating-point array, got dtype {np.dtype(dtype)}"):
        numerical_gradient(_sum_sq, x)
    np.testing.assert_array_equal(x, before)


def test_float_copy_gives_the_right_gradient() -> None:
    x = np.array([1, 2, 3]).astype(np.float64)
    np.testing.assert_allclose(numerical_gradient(_sum_sq, x), [2.0, 4.0, 6.0], rtol=1e-8)


@pytest.mark.parametrize("x", [[1.0, 2.0], (1.0,), 3.0])
def test_non_array_is_refused(x: object) -> None:
    with pytest.raises(TypeError, match="expected x to be a NumPy array"):
        numerical_gradient(_sum_sq, x)  # type: ignore[arg-type]


def test_read_only_array_is_refused() -> None:
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        numerical_gradient(_sum_sq, x)


@pytest.mark.parametrize("h", [0, -1e-5, math.nan, math.inf])
def test_bad_step_is_refused(h: float) -> None:
    with pytest.raises(ValueError, match="finite positive step h"):
        numerical_gradient(_sum_sq, np.ones(2), h=h)
    with pytest.raises(ValueError, match="finite positive step h"):
        directional_check(_sum_sq, np.ones(2), 2 * np.ones(2), h=h)


@pytest.mark.parametrize("index", [[2], [-1], [0, 5]])
def test_index_out_of_range(index: list[int]) -> None:
    with pytest.raises(ValueError, match=r"flat indices in 0\.\.1"):
        numerical_gradient(_sum_sq, np.ones(2), index=np.array(index))


def test_float_index_is_refused() -> None:
    with pytest.raises(TypeError, match="integer flat indices"):
        numerical_gradient(_sum_sq, np.ones(2), index=np.array([0.5]))


def test_x_is_restored_when_f_raises() -> None:
    x = np.array([1.0, 2.0])
    calls = []

    def f(v: np.ndarray) -> float:
        calls.append(v.copy())
        if len(calls) == 2:
            raise RuntimeError("boom")
        return _sum_sq(v)

    with pytest.raises(RuntimeError):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    calls.clear()
    with pytest.raises(RuntimeError):
        directional_check(f, x, 2 * x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


@pytest.mark.parametrize("mode", ["sampled", "direction"])
@pytest.mark.parametrize("n", [0, -3])
def test_no_samples_is_refused(net_data, mode: str, n: int) -> None:  # type: ignore[no-untyped-def]
    net, X, y = net_data
    with pytest.raises(ValueError, match="num_samples >= 1"):
        check_gradients(net, X, y, mode=mode, num_samples=n)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["sampled", "direction"])
def test_gradients_100_times_too_large_fail_every_mode(net_data, mode: str) -> None:  # type: ignore[no-untyped-def]
    net, X, y = net_data

    class Wrong:
        params = net.params

        def loss(self, X, y=None, reg=0.0):  # type: ignore[no-untyped-def]
            loss, grads = net.loss(X, y, reg=reg)
            return loss, {k: 100 * g for k, g in grads.items()}

    assert not check_gradients(Wrong(), X, y, mode=mode, num_samples=1, rng=0).passed()


def test_direction_count_and_grad_shape(net_data) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="num_directions >= 1"):
        directional_check(_sum_sq, np.ones(2), np.ones(2), num_directions=0)
    with pytest.raises(TypeError, match="num_directions to be an integer"):
        directional_check(_sum_sq, np.ones(2), np.ones(2), num_directions=2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"grad of the shape of x \(2,\), got \(3,\)"):
        directional_check(_sum_sq, np.ones(2), np.ones(3))


def test_missing_or_misshapen_gradients_are_named(net_data) -> None:  # type: ignore[no-untyped-def]
    net, X, y = net_data

    class Missing:
        params = net.params

        def loss(self, X, y=None, reg=0.0):  # type: ignore[no-untyped-def]
            loss, grads = net.loss(X, y, reg=reg)
            return loss, {k: g for k, g in grads.items() if k != "b2"}

    class Misshapen(Missing):
        def loss(self, X, y=None, reg=0.0):  # type: ignore[no-untyped-def]
            loss, grads = net.loss(X, y, reg=reg)
            return loss, {**grads, "W1": grads["W1"].T}

    with pytest.raises(ValueError, match=r"none for \['b2'\]"):
        check_gradients(Missing(), X, y)
    with pytest.raises(ValueError, match=r"gradient of W1 to have the parameter's shape \(4, 5\)"):
        check_gradients(Misshapen(), X, y)


def test_bad_reg_and_mode(net_data) -> None:  # type: ignore[no-untyped-def]
    net, X, y = net_data
    with pytest.raises(ValueError, match="reg >= 0"):
        check_gradients(net, X, y, reg=math.nan)
    with pytest.raises(ValueError, match="expected mode"):
        check_gradients(net, X, y, mode="every")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the solver


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"learning_rate": math.nan}, "finite positive learning_rate"),
        ({"learning_rate": math.inf}, "finite positive learning_rate"),
        ({"learning_rate": 0.0}, "finite positive learning_rate"),
        ({"learning_rate": -0.1}, "finite positive learning_rate"),
        ({"learning_rate_decay": -0.5}, r"learning_rate_decay in \(0, 1\]"),
        ({"learning_rate_decay": 0.0}, r"learning_rate_decay in \(0, 1\]"),
        ({"learning_rate_decay": math.nan}, r"learning_rate_decay in \(0, 1\]"),
        ({"learning_rate_decay": 1.5}, r"learning_rate_decay in \(0, 1\]"),
        ({"reg": math.nan}, "finite reg >= 0"),
        ({"reg": -1.0}, "finite reg >= 0"),
        ({"momentum": 1.0}, r"momentum in \[0, 1\)"),
        ({"momentum": -0.1}, r"momentum in \[0, 1\)"),
        ({"num_iters": -1}, "num_iters >= 0"),
        ({"batch_size": 0}, "batch_size >= 1"),
        ({"patience": 0}, "patience >= 1"),
    ],
)
def test_solver_settings_are_refused(net_data, kwargs: dict, match: str) -> None:  # type: ignore[no-untyped-def,type-arg]
    net, X, y = net_data
    before = {k: v.copy() for k, v in net.params.items()}
    args = {"learning_rate": 0.1, "num_iters": 2, "batch_size": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        train(net, X, y, X, y, **args)
    for k, v in net.params.items():  # refused before any step
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("kwargs", [{"num_iters": 2.5}, {"batch_size": 2.0}, {"num_iters": True}])
def test_solver_counts_must_be_integers(net_data, kwargs: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    net, X, y = net_data
    with pytest.raises(TypeError, match="integer num_iters and batch_size"):
        train(net, X, y, **{"learning_rate": 0.1, "num_iters": 2, "batch_size": 2, **kwargs})


def test_solver_data(net_data) -> None:  # type: ignore[no-untyped-def]
    net, X, y = net_data
    kw = {"learning_rate": 0.1, "num_iters": 1, "batch_size": 2}
    with pytest.raises(ValueError, match="at least one example"):
        train(net, X[:0], y[:0], **kw)
    with pytest.raises(TypeError, match="integer class labels in y, got dtype float64"):
        train(net, X, y + 0.5, **kw)
    with pytest.raises(TypeError, match="X of real numbers"):
        train(net, X.astype(str), y, **kw)
    with pytest.raises(ValueError, match="finite values in X"):
        train(net, np.where(X > 0, np.nan, X), y, **kw)
    with pytest.raises(ValueError, match=r"X_val of shape \(N, D\)"):
        train(net, X, y, X, y[:3], **kw)
    with pytest.raises(ValueError, match="both X_val and y_val"):
        train(net, X, y, X, None, **kw)


# ----------------------------------------------------------------------------- models and layers


def test_models_refuse_float_labels_and_text_inputs(net_data) -> None:  # type: ignore[no-untyped-def]
    net, X, y = net_data
    mlp = MLP(4, [3], 3, rng=0)
    for model in (net, mlp):
        with pytest.raises(TypeError, match="integer class labels"):
            model.loss(X, y + 0.5)
        with pytest.raises(TypeError, match="X of real numbers"):
            model.loss(X.astype(str), y)
        with pytest.raises(ValueError, match="expected X with 4 features"):
            model.loss(X[:, :3], y)
    with pytest.raises(TypeError, match="integer class labels"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.2, 1.0]))
    with pytest.raises(ValueError, match=r"labels in 0\.\.2"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))


# ----------------------------------------------------------------------------- issue 26: messages


def _messages() -> list[tuple[object, type, str]]:
    from backprop_book.numpy_nn import layers as L

    x, W, b = np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)
    _, cache = L.affine_forward(x, W, b)
    return [
        # 1-D scores gave "tuple index out of range"
        (lambda: L.softmax_cross_entropy(np.ones(3), np.array([0])), ValueError,
         r"expected scores s of shape \(N, C\) \(2-D\), got shape \(3,\); a single example"),
        (lambda: L.softmax(np.ones(3)), ValueError, r"scores s of shape \(N, C\)"),
        (lambda: L.softmax([[1.0, 2.0]]), TypeError, "expected scores s to be a NumPy array"),
        # shapes from inside NumPy: "operands could not be broadcast ..."
        (lambda: L.affine_forward(x, W, np.zeros(3)), ValueError,
         r"expected b of shape \(4,\) for W of shape \(3, 4\), got \(3,\)"),
        (lambda: L.affine_forward(np.ones(3), W, b), ValueError,
         r"expected h_prev of shape \(N, 3\), a batch of rows, got shape \(3,\)"),
        (lambda: L.affine_forward(x.tolist(), W, b), TypeError, "expected h_prev to be a NumPy"),
        (lambda: L.affine_backward(np.ones((2, 5)), cache), ValueError,
         r"expected ds of shape \(2, 4\) .* got shape \(2, 5\)"),
        (lambda: L.affine_backward(np.ones((2, 4)), None), TypeError,
         r"expected the cache \(h_prev, W\) that affine_forward returned, got NoneType"),
        (lambda: L.relu_backward(np.ones((2, 3)), np.ones((3, 2)) > 0), ValueError,
         r"expected dh of the shape of the cache \(3, 2\), got shape \(2, 3\)"),
        (lambda: L.sigmoid_backward(np.ones(3), np.ones(2)), ValueError, "expected dh of the shape"),
        (lambda: L.tanh_backward(np.ones(3), np.ones(2)), ValueError, "expected dh of the shape"),
        (lambda: L.dropout_backward(np.ones(3), np.ones(2)), ValueError, "the mask cache"),
        (lambda: L.dropout_forward(np.ones(3), None), TypeError, "dropout probability p to be a"),
        (lambda: L.l2_penalty(W, -1.0), ValueError, "expected a finite reg >= 0, got -1.0"),
        (lambda: L.l2_penalty(W, "0.1"), TypeError, "expected reg to be a number"),
        # a dict where a model goes: "'dict' object has no attribute 'params'"
        (lambda: check_gradients({"params": {}}, x, np.array([0, 1])), TypeError,
         r"expected a model with \.params .* got dict; pass the model, not its params"),
        (lambda: train({"W1": W}, x, np.array([0, 1])), TypeError,
         r"expected a model with \.params .* got dict; pass the model, not its params"),
        (lambda: numerical_gradient(np.ones(2), np.ones(2)), TypeError,
         "expected f to be a function of the array"),
        (lambda: directional_check("f", np.ones(2), np.ones(2)), TypeError,
         "expected f to be a function"),
        (lambda: MLP(3, "50", 2), TypeError, "expected hidden_sizes to be a list of layer widths"),
        (lambda: MLP(3, [True], 2), ValueError, "expected positive integer layer sizes"),
    ]  # fmt: skip


@pytest.mark.parametrize("index", range(21))
def test_student_mistakes_get_messages_a_student_understands(index: int) -> None:
    cases = _messages()
    assert len(cases) == 21
    make, error, match = cases[index]
    with pytest.raises(error, match=match):
        make()  # type: ignore[operator]
