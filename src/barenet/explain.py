"""A look inside the network for one input: each layer's z and a, which units fired, the output.

``explain(model, x)`` runs the forward pass (no dropout) on one sample and keeps, per layer, the
pre-activation z and activation a with their summary statistics; per hidden layer the most active
units; and the output's probabilities and prediction. ``Explanation`` renders itself as plain-text
tables (``str``) or as a JSON-able dict (``to_dict``).

Left out: gradients and saliency maps (why the network answered what it did), and batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .activations import ActivationFunction, Array, LeakyReLU, ReLU, Softmax
from .reports import format_probabilities, format_table

if TYPE_CHECKING:
    from .network import DeepNeuralNetwork

TOP_K = 5  # how many of each hidden layer's most active units to report


class TopUnits(NamedTuple):
    """A hidden layer's most active units, most active first.  Shapes: units, a (min(k, h),)."""

    units: NDArray[np.intp]
    a: Array


@dataclass(frozen=True, eq=False)  # NOTE: no ==: it would compare arrays element-wise
class LayerTrace:
    """One layer's forward step for one sample.

    ``stats`` holds {"z": {min, max, mean, std}, "a": {min, max, mean, std}}; for the ReLU
    family "a" also holds "active", the fraction of units with a > 0.
    Shapes: z, a (h,)
    """

    index: int  # l, 1..L
    size: int  # h, the number of units
    activation: str
    z: Array
    a: Array
    stats: dict[str, dict[str, float]]

    @property
    def active(self) -> float | None:
        """The fraction of units with a > 0 for the ReLU family, else None."""
        return self.stats["a"].get("active")


@dataclass(frozen=True, eq=False)  # NOTE: no ==: it would compare arrays element-wise
class Explanation:
    """What the network did with one input: a ``LayerTrace`` per layer, then the output.

    Shapes: probabilities (k,); prediction a class for a softmax output, else as
    ``model.predict`` gives for one sample (a scalar for one output unit, else (k,)).
    """

    layers: tuple[LayerTrace, ...]
    top_units: dict[int, TopUnits]  # hidden layer index l -> its most active units
    probabilities: Array
    prediction: Any
    is_classifier: bool  # a softmax output: the probabilities are of classes

    def __str__(self) -> str:
        rows = [
            [
                t.index,
                t.size,
                t.activation,
                str(t.z.shape),
                t.stats["z"]["min"],
                t.stats["z"]["mean"],
                t.stats["z"]["max"],
                t.stats["a"]["min"],
                t.stats["a"]["mean"],
                t.stats["a"]["max"],
                "-" if t.active is None else f"{100 * t.active:.1f}%",
            ]
            for t in self.layers
        ]
        headers = ["layer", "size", "activation", "z shape", "z min", "z mean", "z max"]
        headers += ["a min", "a mean", "a max", "active"]
        top = [
            [l, rank, int(unit), float(a)]
            for l, units in self.top_units.items()
            for rank, (unit, a) in enumerate(zip(units.units, units.a, strict=True), start=1)
        ]
        sections = [format_table(headers, rows)]
        if top:
            table = format_table(["layer", "rank", "unit", "a"], top)
            sections.append(f"most active hidden units\n{table}")
        title, answer = (
            ("probabilities", "predicted digit")
            if self.is_classifier
            else ("outputs", "prediction")
        )
        table = format_probabilities(self.probabilities)
        sections.append(f"{title}\n{table}\n{answer}: {self.prediction}")
        return "\n\n".join(sections)

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, numbers and strings only, ready for ``json.dumps``."""
        prediction = self.prediction
        return {
            "layers": [
                {
                    "index": t.index,
                    "size": t.size,
                    "activation": t.activation,
                    "z": t.z.tolist(),
                    "a": t.a.tolist(),
                    "stats": t.stats,
                }
                for t in self.layers
            ],
            "top_units": [
                {"layer": l, "units": top.units.tolist(), "a": top.a.tolist()}
                for l, top in self.top_units.items()
            ],
            "probabilities": self.probabilities.tolist(),
            "prediction": prediction.tolist() if isinstance(prediction, np.ndarray) else prediction,
        }


def explain(model: DeepNeuralNetwork, x: ArrayLike, k: int = TOP_K) -> Explanation:
    """Run the forward pass (no dropout) on one sample and trace every layer.

    Shapes: x (d,) or (1, d) -> layers[l-1].z, .a (h_l,); probabilities (k,)
    Raises ValueError for more than one sample, or as ``model.predict`` does for a bad x.
    """
    X = np.asarray(x)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    elif X.ndim == 2 and X.shape[0] != 1:
        raise ValueError(
            f"explain takes one sample, (d,) or (1, d); received {X.shape[0]} samples of shape "
            f"{X.shape}: pass one row, e.g. X[0]"
        )
    X = model._check_X(X)
    out, cache = model._forward(X)
    traces = []
    top_units: dict[int, TopUnits] = {}
    for l, (layer, step) in enumerate(zip(model.layers[1:], cache, strict=True), start=1):
        fn = layer.activation_function
        z, a = step.z[0], step.a[0]
        traces.append(LayerTrace(l, layer.size, _name(fn), z, a, _stats(z, a, fn)))
        if l < model.n_layers:
            # NOTE: a stable sort of -a keeps ties in unit order, so the ranking is reproducible
            units = np.argsort(-a, kind="stable")[:k]
            top_units[l] = TopUnits(units, a[units])
    prediction = model.predict(X)[0]
    if isinstance(prediction, np.generic):
        prediction = prediction.item()
    return Explanation(
        tuple(traces),
        top_units,
        out[0],
        prediction,
        isinstance(model.output_activation, Softmax),
    )


def _name(fn: ActivationFunction) -> str:
    return fn.name or type(fn).__name__


def _stats(z: Array, a: Array, fn: ActivationFunction) -> dict[str, dict[str, float]]:
    """min, max, mean and std of z and a; "active" (fraction a > 0) for the ReLU family."""

    def summary(v: Array) -> dict[str, float]:
        return {
            "min": float(v.min()),
            "max": float(v.max()),
            "mean": float(v.mean()),
            "std": float(v.std()),
        }

    stats = {"z": summary(z), "a": summary(a)}
    if isinstance(fn, ReLU | LeakyReLU):
        stats["a"]["active"] = float((a > 0).mean())
    return stats
