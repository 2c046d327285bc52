"""Part II's figures: weight images, training curves, the weight grid."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from backprop_book.numpy_nn.plots import plot_history, show_weights, weight_images

pytestmark = pytest.mark.part2


def test_weight_images_are_the_columns_scaled_per_unit() -> None:
    rng = np.random.default_rng(0)
    W1 = rng.standard_normal((3072, 3))
    W1[:, 2] = 4.0  # a constant unit: no division by zero
    imgs = weight_images(W1)
    assert imgs.shape == (3, 32, 32, 3)
    col = W1[:, 0]
    np.testing.assert_allclose(imgs[0].ravel(), (col - col.min()) / (col.max() - col.min()))
    assert imgs[1].min() == 0.0 and imgs[1].max() == 1.0
    np.testing.assert_array_equal(imgs[2], 0.0)
    with pytest.raises(ValueError, match=r"expected W1 of shape \(3072, H\), got shape \(10, 3\)"):
        weight_images(np.ones((10, 3)))


def test_plot_history_draws_smoothed_loss_accuracies_and_references() -> None:
    h = {
        "loss_iteration": list(range(10)),
        "loss": [float(v) for v in range(10, 0, -1)],
        "train_acc": [0.3, 0.5],
        "val_acc": [0.25, 0.4],
        "epoch_end": [5, 10],
    }
    fig = plot_history({"run": h}, title="t", loss_smooth=3, reference={"report": 0.9})
    ax1, ax2 = fig.axes
    (loss_line,) = ax1.get_lines()
    np.testing.assert_allclose(
        loss_line.get_ydata(), np.convolve(h["loss"], np.ones(3) / 3, "valid")
    )
    np.testing.assert_array_equal(loss_line.get_xdata(), range(2, 10))
    assert [line.get_label() for line in ax2.get_lines()[:2]] == ["run: train (batch)", "run: val"]
    assert ax2.get_ylim()[1] >= 0.9 + 0.02  # the reference line is in view
    plt.close(fig)
    fig = plot_history({"run": h}, show_train=False)
    assert [line.get_label() for line in fig.axes[1].get_lines()] == ["run: val"]
    plt.close(fig)


def test_show_weights_lays_out_a_grid_and_limits_units() -> None:
    W1 = np.random.default_rng(1).standard_normal((3072, 25))
    fig = show_weights(W1, ncols=10, max_units=15, title="W1")
    assert len(fig.axes) == 20  # two rows of ten, the last five empty
    assert sum(bool(ax.get_images()) for ax in fig.axes) == 15
    plt.close(fig)


def test_a_run_without_a_finished_epoch_draws_no_empty_accuracy_panel() -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from backprop_book.book.sitecheck import empty_axes
    from backprop_book.numpy_nn.plots import plot_history

    h = {"loss_iteration": [0, 1, 2], "loss": [2.3, 2.2, 2.0], "train_acc": [], "val_acc": []}
    for hist in (h, {**h, "train_acc": [0.2], "val_acc": [0.25]}):
        fig = plot_history({"run": hist}, reference={"report B": 0.48})
        out = io.StringIO()
        fig.savefig(out, format="svg")
        plt.close(fig)
        assert empty_axes(out.getvalue()) == [], hist
    assert len(plot_history({"run": h}).axes) == 1
