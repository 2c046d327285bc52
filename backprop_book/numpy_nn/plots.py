"""Figures for Part II: training curves and first-layer weights as images.

matplotlib is imported inside the functions, so importing the package stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["plot_history", "show_weights", "weight_images"]


def weight_images(W1: np.ndarray, image_shape: tuple[int, int, int] = (32, 32, 3)) -> np.ndarray:
    """Each column of ``W1`` as an image, min-max scaled to [0, 1]: shape ``(H, 32, 32, 3)``.

    :math:`\\tilde w = (w - \\min w) / (\\max w - \\min w)` per hidden unit.

    >>> imgs = weight_images(np.arange(2 * 3072, dtype=float).reshape(3072, 2))
    >>> imgs.shape, float(imgs.min()), float(imgs.max())
    ((2, 32, 32, 3), 0.0, 1.0)
    """
    D = int(np.prod(image_shape))
    if W1.ndim != 2 or W1.shape[0] != D:
        raise ValueError(f"expected W1 of shape ({D}, H), got shape {W1.shape}")
    imgs = W1.T.reshape(-1, *image_shape)
    lo = imgs.min(axis=(1, 2, 3), keepdims=True)
    hi = imgs.max(axis=(1, 2, 3), keepdims=True)
    return (imgs - lo) / np.where(hi > lo, hi - lo, 1.0)


def plot_history(
    histories: Mapping[str, Mapping[str, Any]],
    title: str = "",
    loss_smooth: int = 1,
    reference: Mapping[str, float] | None = None,
    show_train: bool = True,
) -> Any:
    """Loss against iterations and train/validation accuracy against epochs, side by side.

    Parameters
    ----------
    histories
        ``{label: History.as_dict()}`` (the keys ``loss_iteration``, ``loss``,
        ``train_acc``, ``val_acc``, ``epoch_end`` are used).
    loss_smooth
        Width of a moving average applied to the loss curve.
    reference
        ``{label: accuracy}`` drawn as horizontal lines (e.g. the report's numbers).
    show_train
        Also draw the per-epoch accuracy on the last training batch (dashed).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> h = {"loss_iteration": [0, 1, 2], "loss": [2.3, 2.2, 2.0], "train_acc": [0.2],
    ...      "val_acc": [0.25], "epoch_end": [3]}
    >>> fig = plot_history({"run": h}, reference={"report": 0.3})
    >>> len(fig.axes)
    2

    A run that finished no epoch has no accuracy: only the loss panel is drawn.

    >>> short = {**h, "train_acc": [], "val_acc": [], "epoch_end": []}
    >>> len(plot_history({"run": short}, reference={"report": 0.3}).axes)
    1
    """
    import matplotlib.pyplot as plt

    has_acc = any(
        len(h["val_acc"]) or (show_train and len(h["train_acc"])) for h in histories.values()
    )
    if not has_acc:
        # no epoch finished (a quick run shorter than an epoch): an accuracy panel would
        # be empty, so only the loss is drawn, and the reference values go in its title
        fig, ax1 = plt.subplots(figsize=(6, 3.6))
        ax1.set_title(
            "no epoch finished: no accuracy to plot"
            + "".join(f"; {k} {v:.3f}" for k, v in (reference or {}).items()),
            fontsize=9,
        )
    else:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for i, (label, h) in enumerate(histories.items()):
        color = f"C{i}"
        it = np.asarray(h.get("loss_iteration", range(len(h["loss"]))))
        loss = np.asarray(h["loss"], dtype=float)
        if loss_smooth > 1 and loss.size > loss_smooth:
            kernel = np.ones(loss_smooth) / loss_smooth
            loss = np.convolve(loss, kernel, mode="valid")
            it = it[loss_smooth - 1 :]
        ax1.plot(it, loss, color=color, lw=1, label=label)
        if not has_acc:
            continue
        epochs = np.arange(1, len(h["val_acc"]) + 1)
        if show_train and len(h["train_acc"]):
            ax2.plot(
                np.arange(1, len(h["train_acc"]) + 1),
                h["train_acc"],
                color=color,
                ls="--",
                lw=1,
                label=f"{label}: train (batch)",
            )
        if len(h["val_acc"]):
            ax2.plot(epochs, h["val_acc"], color=color, lw=1.5, marker=".", label=f"{label}: val")
    if not has_acc:
        ax1.set_xlabel("iteration")
        ax1.set_ylabel("training loss (mini-batch)")
        if ax1.get_legend_handles_labels()[0]:
            ax1.legend(fontsize=8)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        return fig
    for j, (label, acc) in enumerate((reference or {}).items()):
        ax2.axhline(acc, color="grey", ls=":" if j else "-.", lw=1)
        ax2.annotate(
            label,
            (0.01, acc),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            va="bottom",
            color="grey",
        )
    if reference:
        lo, hi = ax2.get_ylim()
        ax2.set_ylim(min(lo, *reference.values()) - 0.01, max(hi, *reference.values()) + 0.02)
    ax1.set_xlabel("iteration")
    ax1.set_ylabel("training loss (mini-batch)")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    for ax in (ax1, ax2):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_weights(
    W1: np.ndarray, ncols: int = 10, max_units: int | None = None, title: str = ""
) -> Any:
    """Show the first-layer weights of each hidden unit as a 32x32 colour image (a grid).

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = show_weights(np.random.default_rng(0).standard_normal((3072, 12)), ncols=6)
    >>> len(fig.axes)
    12
    """
    import matplotlib.pyplot as plt

    imgs = weight_images(W1)
    if max_units is not None:
        imgs = imgs[:max_units]
    n = imgs.shape[0]
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * 0.9, nrows * 0.9 + (0.4 if title else 0))
    )
    for ax, img in zip(np.ravel(axes), imgs, strict=False):
        ax.imshow(img, interpolation="nearest")
    for ax in np.ravel(axes):
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
