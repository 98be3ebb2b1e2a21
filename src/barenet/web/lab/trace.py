"""One sample's trip through the network and back, with the formula beside each number.

The forward numbers are ``model.explain``'s (z and a per layer); the backward ones are
``model.gradients`` of a batch of one: the output delta, each layer's delta and the sample's
dW and db. For one sample db_l is the delta of layer l, so the deltas are read from it
rather than computed by a second backward loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import BadRequest
from ..http import jsonable

if TYPE_CHECKING:
    from .run import LabRun


def trace(lab: LabRun, index: int, split: str = "train") -> dict[str, Any]:
    """One sample's forward pass (z and a per layer, from ``model.explain``) and backward
    pass (the output delta, each layer's delta, and the sample's dW and db: the gradient
    of the loss on this sample alone, ``model.gradients`` of a batch of one; in a batch
    of n it adds 1/n of it). For one sample, db_l is the delta of layer l.

    Shapes: forward[l-1].z, .a (h_l,); backward[l-1].delta, .db (h_l,), .dW (h_{l-1}, h_l)
    """
    if split not in ("train", "test"):
        raise BadRequest(f'"split" must be "train" or "test"; received {split!r:.40}')
    X, Y = (lab.X, lab.Y) if split == "train" else (lab.X_val, lab.Y_val)
    if not 0 <= index < len(X):
        raise BadRequest(f'"index" must be in 0..{len(X) - 1} for the {split} set; got {index}')
    with lab.lock, np.errstate(over="ignore", invalid="ignore"):
        model = lab.model
        x, t = X[index : index + 1], Y[index : index + 1]
        explanation = model.explain(x)
        grads = model._gradients(x, t)
        a, cache = model._forward(x)
        loss = model._loss_value(a, cache[-1].z, t)
    explained = explanation.to_dict()
    L = model.n_layers
    fused = model.loss_function.fuses_with(model.output_activation)
    forward = [
        {
            "layer": layer["index"],
            "activation": layer["activation"],
            "z": layer["z"],
            "a": layer["a"],
            "formula": {
                "z": f"z{layer['index']} = a{layer['index'] - 1} @ W{layer['index']} + "
                f"b{layer['index']}",
                "a": f"a{layer['index']} = {layer['activation']}(z{layer['index']})",
            },
        }
        for layer in explained["layers"]
    ]
    backward = []
    for l in range(L, 0, -1):
        if l == L:
            delta = (
                f"delta{L} = a{L} - y (fused {model.loss_function.name} and "
                f"{model.output_activation.name}, divided by n = 1)"
                if fused
                else f"delta{L} = dL/da{L} * {model.output_activation.name}'(z{L})"
            )
        else:
            act = model.layers[l].activation_function.name
            delta = f"delta{l} = (delta{l + 1} @ W{l + 1}.T) * {act}'(z{l})"
        backward.append(
            {
                "layer": l,
                "delta": grads[f"b{l}"].tolist(),
                "dW": grads[f"W{l}"].tolist(),
                "db": grads[f"b{l}"].tolist(),
                "formula": {
                    "delta": delta,
                    "dW": f"dW{l} = a{l - 1}.T @ delta{l}",
                    "db": f"db{l} = delta{l} (summed over the batch: one row here)",
                },
            }
        )
    target = Y[index]
    return jsonable(
        {
            "index": index,
            "split": split,
            "x": X[index].tolist(),
            "target": int(target.argmax()) if model.task == "multiclass" else float(target[0]),
            "output": a[0].tolist(),
            "prediction": explained["prediction"],
            "loss": loss,
            "loss_name": model.loss_function.name,
            "forward": forward,
            "output_delta": grads[f"b{L}"].tolist(),
            "backward": backward,
            "step": lab.steps,
        }
    )
