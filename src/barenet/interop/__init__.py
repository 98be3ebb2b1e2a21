"""Take a model anywhere: ONNX out and in, scikit-learn's MLPs in, a static web page out.

    model.to_onnx("digits.onnx")            onnx_export.py   (extra barenet[onnx])
    barenet.from_onnx("digits.onnx")        onnx_import.py   (extra barenet[onnx])
      ... its tensors in digits.onnx.data   onnx_external.py (the files beside it, read bounded)
    barenet.from_sklearn(mlp)               sklearn_import.py (a fitted MLPClassifier/Regressor)
    barenet export MODEL --html page.html   html_export.py   (nothing but NumPy)

Every exporter walks the layers once, the way ``saving.architecture`` does: one short loop over
(W{l}, b{l}, activation). Every importer builds a plain ``DeepNeuralNetwork`` and sets its
``params``. Optional packages are imported only inside the function that needs them.
Left out: convolutions, recurrent layers, anything that is not a stack of dense layers.
"""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from ..activations import ACTIVATIONS, ActivationFunction


def registered_activation(act: ActivationFunction, l: int, target: str) -> str:
    """The registry name of layer ``l``'s activation, or a ValueError: an exporter only knows
    barenet's own activations, whose math it writes out again in the target's terms."""
    if ACTIVATIONS.get(act.name) is not type(act):
        raise ValueError(
            f"layer {l}: the activation {type(act).__name__} is not one of barenet's "
            f"({sorted(ACTIVATIONS)}), so {target} cannot express it"
        )
    return act.name


def require_onnx() -> ModuleType:
    """The ``onnx`` package, or an ImportError naming the extra that installs it."""
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            f"ONNX export and import need the onnx package, which is not installed ({exc}); "
            "install it with: pip install 'barenet[onnx]'"
        ) from exc
    return onnx


def cmd_export(args: argparse.Namespace) -> int:
    """``barenet export MODEL --onnx out.onnx | --html page.html``: the CLI's export command."""
    from ..saving import load

    if not (args.onnx or args.html):
        raise ValueError("say what to write: --onnx FILE.onnx and/or --html FILE.html")
    model: Any = load(args.model)
    if args.onnx:
        model.to_onnx(args.onnx)
        print(f"wrote {args.onnx} (ONNX, {model})")
    if args.html:
        from .html_export import to_html

        to_html(model, args.html)
        print(f"wrote {args.html} (a page that reads digits offline, {model})")
    return 0
