"""What the lab draws from a run: the boundary, the hidden units, the gradient norms, MNIST's
weights and digits, the samples. Each is computed from the network as it is, under the run's
lock, and sent as plain JSON: NaN and infinities (a diverged run) become None.

The plane is the run's square ``extent`` around the samples, as a grid of S x S points whose
row i is y[i] and column j is x[j].
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ...activations import Array
from .. import BadRequest
from ..http import jsonable
from .config import classes

if TYPE_CHECKING:
    from .run import LabRun

MAX_BOUNDARY = 200  # side of the boundary grid
EVENT_GRID = 48  # side of the heat map in the events
UNIT_GRID = 16  # side of each hidden unit's thumbnail
MAX_UNIT_VIEWS = 64  # hidden units drawn; the first ones
MNIST_WEIGHTS = 16  # first-layer units shown as images
MNIST_DIGITS = 8  # held-out digits shown with their probabilities
GRADIENT_ROWS = 500  # samples behind the gradient norms in the events


def grid(lab: LabRun, size: int) -> tuple[Array, Array, Array]:
    """x (size,), y (size,) and the plane's points (size * size, 2), row by row of y."""
    assert lab.extent is not None
    low, high = lab.extent
    xs = np.linspace(low, high, size)
    gx, gy = np.meshgrid(xs, xs)
    return xs, xs, np.column_stack([gx.ravel(), gy.ravel()]).astype(lab.model.dtype)


def boundary(lab: LabRun, size: int) -> dict[str, Any]:
    """The predicted class over a size x size grid of the plane (for sine: the curve).

    Shapes: -> x (S,), y (S,), classes (S, S) with classes[i][j] at (x[j], y[i]),
    confidence (S, S) the winning probability
    """
    if lab.config.dataset == "mnist":
        raise BadRequest(
            "MNIST has 784 inputs, not a plane: its events show the first-layer weights "
            "and test digits instead",
            409,
        )
    with lab.lock, np.errstate(over="ignore", invalid="ignore"):
        if lab.config.dataset == "sine":
            assert lab.extent is not None
            line = np.linspace(*lab.extent, size)
            fit = lab.model._forward(line[:, None].astype(lab.model.dtype))[0][:, 0]
            return {"x": rounded(line), "prediction": rounded(fit)}
        xs, ys, points = grid(lab, size)
        proba = lab.model._forward(points)[0]
    if proba.shape[1] == 1:  # one sigmoid unit: P(class 1)
        proba = np.column_stack([1 - proba[:, 0], proba[:, 0]])
    return {
        "x": rounded(xs),
        "y": rounded(ys),
        "classes": proba.argmax(axis=1).reshape(size, size).tolist(),
        "confidence": rounded(proba.max(axis=1).reshape(size, size), 2),
    }


def units(lab: LabRun, size: int = UNIT_GRID) -> list[dict[str, Any]]:
    """Each hidden unit's activation a over a size x size grid (the first MAX_UNIT_VIEWS).

    Shapes: -> per hidden layer l: {"layer": l, "activation", "scale", "a": (units, S, S)}
    with a in percent of the layer's scale, rounded
    """
    if lab.config.dataset in ("mnist", "sine"):
        return [] if lab.config.dataset == "mnist" else _sine_units(lab)
    _, _, points = grid(lab, size)
    _, cache = lab.model._forward(points)
    return _unit_views(lab, cache, (size, size))


def _sine_units(lab: LabRun) -> list[dict[str, Any]]:
    assert lab.extent is not None
    xs = np.linspace(*lab.extent, UNIT_GRID * 2)
    _, cache = lab.model._forward(xs[:, None].astype(lab.model.dtype))
    return _unit_views(lab, cache, (len(xs),))


def _unit_views(lab: LabRun, cache: Any, shape: tuple[int, ...]) -> list[dict[str, Any]]:
    views, left = [], MAX_UNIT_VIEWS
    for l, step in enumerate(cache[:-1], start=1):
        shown = min(left, step.a.shape[1])
        if shown <= 0:
            break
        a = step.a[:, :shown].T.reshape(shown, *shape).astype(np.float64)
        scale = float(np.abs(a).max()) if np.isfinite(a).all() else 0.0
        views.append(
            {
                "layer": l,
                "activation": lab.model.layers[l].activation_function.name,
                "units": step.a.shape[1],
                "scale": scale,  # the layer's largest |a| on the grid
                "a": rounded(100 * a / (scale or 1.0), 0),  # percent of scale
            }
        )
        left -= shown
    return views


def gradient_norms(lab: LabRun) -> list[dict[str, Any]]:
    """||dW_l|| and ||db_l|| (Frobenius) per layer, of the loss on the first GRADIENT_ROWS
    training samples (all of them for the toy sets) at the current weights."""
    grads = lab.model._gradients(lab.X[:GRADIENT_ROWS], lab.Y[:GRADIENT_ROWS])
    return [
        {
            "layer": l,
            "W": float(np.linalg.norm(grads[f"W{l}"])),
            "b": float(np.linalg.norm(grads[f"b{l}"])),
        }
        for l in range(1, lab.model.n_layers + 1)
    ]


def mnist_views(lab: LabRun) -> dict[str, Any]:
    """The first MNIST_WEIGHTS units' weights as 28x28 images, and the first MNIST_DIGITS
    held-out digits' probabilities.  Shapes: weights (m, 784), probabilities (8, 10)"""
    W1 = lab.model.params["W1"]
    m = min(MNIST_WEIGHTS, W1.shape[1])
    proba = lab.model._forward(lab.X_val[:MNIST_DIGITS])[0]
    return {
        "weights": rounded(W1[:, :m].T, 3),
        "units": W1.shape[1],
        "probabilities": rounded(proba, 4),
    }


def data(lab: LabRun) -> dict[str, Any]:
    """The samples the page draws: the points (toy sets) or the shown digits (MNIST)."""
    out: dict[str, Any] = {
        "config": lab.config.to_dict(),
        "classes": classes(lab.config),
        "n": len(lab.X),
        "n_val": len(lab.X_val),
        "task": lab.model.task,
        "layers": [layer.size for layer in lab.model.layers],
        "activations": [layer.activation_function.name for layer in lab.model.layers[1:]],
        "loss": lab.model.loss_function.name,
    }
    if lab.config.dataset == "mnist":
        shown = lab.X_val[:MNIST_DIGITS]
        out["digits"] = {
            "pixels": rounded(shown, 3),
            "labels": lab.y_val[:MNIST_DIGITS].tolist(),
        }
    else:
        out["extent"] = list(lab.extent) if lab.extent else None
        out["X"], out["y"] = rounded(lab.X, 4), np.asarray(lab.y).tolist()
        out["X_val"], out["y_val"] = rounded(lab.X_val, 4), np.asarray(lab.y_val).tolist()
    return out


def rounded(a: Any, digits: int = 4) -> Any:
    """a as nested lists, rounded; NaN and infinities (a diverged run) as None."""
    a = np.round(np.asarray(a, dtype=np.float64), digits)
    if not np.isfinite(a).all():
        return jsonable(a.tolist())
    return a.astype(np.int64).tolist() if digits == 0 else a.tolist()
