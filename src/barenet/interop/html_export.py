"""The draw-a-digit page as one HTML file that runs the network itself: no server, no request.

``barenet export MODEL --html digits.html`` writes the page of ``barenet serve`` (``web/static``:
index.html, style.css, app.js) with everything inlined: the stylesheet, the weights as base64
float32 in a JSON ``<script>``, ``standalone/barenet.js`` (the forward pass of ``network.py`` and
the preprocessing of ``images.py``, in plain JavaScript) and app.js, which uses it instead of the
server. Its Content-Security-Policy allows no request to any host. For 784-256-10 the file is
about 1.1 MB; it opens from ``file://`` in any browser, offline.

NOTE: the weights are float32 whatever the network's dtype; a float64 network's page differs from
it by float32 rounding (about 1e-7 in the probabilities).
Left out: models whose input is not a 28x28 picture (the page draws digits).
"""

from __future__ import annotations

import base64
import json
import os
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import activations
from .._files import atomic_write
from . import supported_activation

if TYPE_CHECKING:
    from ..network import DeepNeuralNetwork

SIDE = 28
OFFLINE = (
    "This page holds the network and runs it in your browser: it works offline and sends nothing."
)
#: the activations standalone/barenet.js computes (its ACTIVATIONS): the built-in ones
SUPPORTED = activations.BUILTIN
# no request to anything: scripts and styles are inline, the favicon a data: URL
POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"


def _tensor(value: np.ndarray) -> dict[str, Any]:
    """{shape, data}: the values as base64 of little-endian float32."""
    data = np.ascontiguousarray(value, dtype="<f4").tobytes()
    return {"shape": list(value.shape), "data": base64.b64encode(data).decode("ascii")}


def weights(model: DeepNeuralNetwork) -> dict[str, Any]:
    """What barenet.js reads: the layers (size, activation and its config), the parameters and
    the architecture the page shows (as /api/model answers it)."""
    from ..web import describe

    layers: list[dict[str, Any]] = [{"size": model.layers[0].size, "activation": "identity"}]
    params: dict[str, Any] = {}
    for l, layer in enumerate(model.layers[1:], start=1):
        act = layer.activation_function
        name = supported_activation(act, l, "the page's JavaScript", SUPPORTED)
        layers.append({"size": layer.size, "activation": name, "config": act.get_config()})
        params[f"W{l}"] = _tensor(model.params[f"W{l}"])
        params[f"b{l}"] = _tensor(model.params[f"b{l}"])
    return {"layers": layers, "params": params, "info": describe(model)}


def _inline(tag: str, text: str) -> str:
    if f"</{tag}" in text.lower():
        raise ValueError(f"cannot inline a text holding </{tag}>")
    return f"<{tag}>\n{text}</{tag}>"


def _replace_once(page: str, old: str, new: str) -> str:
    if page.count(old) != 1:
        raise ValueError(f"web/static/index.html does not hold {old!r} once; cannot inline it")
    return page.replace(old, new)


def page(model: DeepNeuralNetwork) -> str:
    """The whole page for ``model``, as one HTML string."""
    if model.layers[0].size != SIDE * SIDE:
        raise ValueError(
            f"the draw-a-digit page needs a model reading 28x28 = 784 pixels; this one reads "
            f"{model.layers[0].size} features"
        )
    static = resources.files("barenet.web").joinpath("static")
    text = {
        name: static.joinpath(*name.split("/")).read_text(encoding="utf-8")
        for name in ("index.html", "style.css", "app.js", "standalone/barenet.js")
    }
    # NOTE: "<" escaped, so no string in the JSON (a training summary) can end the <script>
    payload = json.dumps(weights(model), separators=(",", ":")).replace("<", "\\u003c")
    scripts = "\n".join(
        [
            f'<script type="application/json" id="barenet-model">{payload}</script>',
            _inline("script", text["standalone/barenet.js"]),
            _inline("script", text["app.js"]),
        ]
    )
    html = text["index.html"]
    html = _replace_once(
        html,
        '<meta charset="utf-8">',
        f'<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
    )
    html = _replace_once(
        html, '<link rel="stylesheet" href="style.css">', _inline("style", text["style.css"])
    )
    html = _replace_once(html, "</header>", f"<p>{OFFLINE}</p>\n</header>")
    return _replace_once(html, '<script src="app.js"></script>', scripts)


def to_html(model: DeepNeuralNetwork, path: str | os.PathLike[str]) -> int:
    """Write ``model``'s self-contained draw-a-digit page to ``path``, atomically; returns the
    number of bytes written."""
    data = page(model).encode("utf-8")
    with atomic_write(path) as f:
        f.write(data)
    return len(data)
