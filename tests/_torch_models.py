"""PyTorch networks that barenet.from_onnx must read, as both of torch's ONNX exporters write them.

`python tests/_torch_models.py` (with torch 2.13.0 and onnxscript installed) rewrites the fixture
files in tests/data/torch_onnx/: NAME-torchscript.onnx (``dynamo=False``), NAME-dynamo.onnx
(``dynamo=True``, ``external_data=False``) and NAME.npz (an input X and torch's output Y for it);
for EXTERNAL, a 784-16-10 network, what the dynamo exporter writes by default: EXTERNAL-dynamo.onnx
and its weight matrices in EXTERNAL-dynamo.onnx.data (50 KB). The fixtures let every machine
test the import against real exporter output; tests/test_onnx_import.py also exports these
models afresh when torch is installed, so a change in torch's exporters is noticed.
"""

from __future__ import annotations

import contextlib
import io
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

FIXTURES = Path(__file__).parent / "data" / "torch_onnx"
EXPORTERS = ("torchscript", "dynamo")
NAMES = ("relu_softmax", "every_activation", "float64_tanh", "flatten_nobias_sigmoid")
EXTERNAL = "mnist_external_data"


def build(name: str) -> tuple[Any, np.ndarray]:
    """The network `name` (seeded, in eval mode) and an input for it."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    if name == "relu_softmax":
        net = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 4), nn.Softmax(dim=-1))
    elif name == "every_activation":  # regression: no final activation
        net = nn.Sequential(
            nn.Linear(8, 7), nn.ReLU(), nn.Linear(7, 6), nn.LeakyReLU(0.2), nn.Linear(6, 5),
            nn.Sigmoid(), nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3),
        )  # fmt: skip
    elif name == "float64_tanh":
        net = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3), nn.Softmax(dim=1))
        net = net.double()
    elif name == EXTERNAL:  # MNIST-shaped but small, so that its .data file is small
        net = nn.Sequential(nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 10), nn.Softmax(dim=-1))
    elif name == "flatten_nobias_sigmoid":  # binary; a Linear without bias, dropout in eval mode
        net = nn.Sequential(
            nn.Flatten(), nn.Linear(8, 6, bias=False), nn.Dropout(0.5), nn.LeakyReLU(),
            nn.Linear(6, 1), nn.Sigmoid(),
        )  # fmt: skip
    else:
        raise KeyError(name)
    width = net[1].in_features if isinstance(net[0], nn.Flatten) else net[0].in_features
    dtype = np.float64 if name.startswith("float64") else np.float32
    X = np.random.default_rng(1).normal(size=(5, width)).astype(dtype) * 2
    return net.eval(), X


def export(
    net: Any, X: np.ndarray, exporter: str, path: Path, *, external_data: bool = False
) -> np.ndarray:
    """Write `net` to `path` with torch's `exporter`, the batch dimension dynamic; returns torch's
    output for X. `external_data=True` is the dynamo exporter's default: every tensor of 1 KB or
    more goes to a second file, PATH.data."""
    import torch

    x = torch.from_numpy(X)
    if exporter == "torchscript":
        kwargs: dict[str, Any] = {
            "dynamo": False,
            "input_names": ["x"],
            "output_names": ["y"],
            "dynamic_axes": {"x": {0: "batch"}, "y": {0: "batch"}},
        }
    else:
        kwargs = {
            "dynamo": True,
            "dynamic_shapes": ({0: torch.export.Dim("batch")},),
            "external_data": external_data,
        }
    # NOTE: the exporters print progress and warn about deprecations; neither matters here
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (x,), str(path), **kwargs)
    with torch.no_grad():
        return net(x).numpy()


def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        net, X = build(name)
        outputs = [export(net, X, e, FIXTURES / f"{name}-{e}.onnx") for e in EXPORTERS]
        np.testing.assert_array_equal(outputs[0], outputs[1])
        np.savez(FIXTURES / f"{name}.npz", X=X, Y=outputs[0])
        print(f"wrote {name}: {[f'{name}-{e}.onnx' for e in EXPORTERS]} and {name}.npz")
    net, X = build(EXTERNAL)
    Y = export(net, X, "dynamo", FIXTURES / f"{EXTERNAL}-dynamo.onnx", external_data=True)
    np.savez(FIXTURES / f"{EXTERNAL}.npz", X=X, Y=Y)
    print(f"wrote {EXTERNAL}: {EXTERNAL}-dynamo.onnx, its .onnx.data and {EXTERNAL}.npz")


if __name__ == "__main__":
    sys.exit(main())
