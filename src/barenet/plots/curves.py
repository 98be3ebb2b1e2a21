"""Training curves: the loss and the metric per epoch, train and validation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..callbacks import History
from ._figure import PathLike, _finish, _require_matplotlib

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def training_curves(
    history: History | Mapping[str, Sequence[float]],
    path: PathLike | None = None,
    validation_label: str = "validation",
) -> Figure:
    """Loss and the task's metric per epoch (two panels), train and validation where logged;
    per iteration for the History of ``train_model``.

    ``validation_label`` names the val_* curves in the legend: "test (reported only)" when,
    as in ``barenet train``, the validation data is the test set, never used to choose.

    Shapes: history.history[key] (epochs,) for key in loss, <metric>, val_loss, val_<metric>
    """
    Figure = _require_matplotlib()
    from matplotlib.ticker import MaxNLocator

    logs = dict(history.history if isinstance(history, History) else history)
    if not logs or not logs.get("loss"):
        raise ValueError(f"history holds no epochs to plot; its keys are {sorted(logs)}")
    n = len(logs["loss"])
    epochs = [e + 1 for e in history.epoch] if isinstance(history, History) else range(1, n + 1)
    unit = history.unit if isinstance(history, History) else "epoch"  # "iteration": train_model
    # The metric is whatever fit logged besides the loss: "accuracy" or "r2".
    panels = ["loss", *(k for k in logs if k != "loss" and not k.startswith("val_"))][:2]
    titles = {"loss": "Loss", "accuracy": "Accuracy", "r2": "R²"}

    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, key in zip(axes, panels, strict=False):
        marker = "o" if n <= 30 else None  # NOTE: one epoch is a single point: show it
        ax.plot(epochs, logs[key], marker=marker, label="train")
        if f"val_{key}" in logs:
            ax.plot(epochs, logs[f"val_{key}"], marker=marker, label=validation_label)
        ax.set_title(titles.get(key, key))
        ax.set_xlabel(unit)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    return _finish(fig, path)
