"""The lab's runs, as a learner asks for them: the settings checked, and the data they train on.

``parse_config`` turns the JSON body of ``POST /api/runs`` into a ``RunConfig``, with defaults
for what is left out, refusing (``BadRequest``, 400) anything outside the limits below before
a single weight or sample is allocated. ``load_data`` draws the toy set (training, and held
out with the next seed) or slices MNIST from the cache (409 when it is not there).

Layers are written in the CLI's ``--layers`` syntax, read by ``layers.parse_layers``.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, replace
from itertools import pairwise
from numbers import Integral, Real
from pathlib import Path
from typing import Any

from ... import optimizers
from ..._config import find
from ...activations import Array, Sigmoid, Softmax
from ...datasets import MNIST_FILES, DataError, cache_dir, load_mnist, toy
from ...layers import Layer, parse_layers
from .. import BadRequest

TOY = ("spiral", "moons", "circles", "xor", "gaussians", "sine")
DATASETS = (*TOY, "mnist")
INPUTS = {"sine": 1, "mnist": 784}  # the others: 2
DEFAULT_LAYERS = {
    "spiral": "2,16:tanh,16:tanh,3:softmax",
    "moons": "2,8:tanh,8:tanh,2:softmax",
    "circles": "2,8:tanh,8:tanh,2:softmax",
    "xor": "2,8:tanh,8:tanh,2:softmax",
    "gaussians": "2,8:tanh,3:softmax",
    "sine": "1,16:tanh,16:tanh,1:identity",
    "mnist": "784,32:relu,10:softmax",
}
DEFAULT_N = {"mnist": 2000}  # the others: 300
DEFAULTS: dict[str, Any] = {
    "dataset": "spiral",
    "optimizer": "adam",
    "learning_rate": 0.01,
    "batch_size": 32,
    "seed": 0,
}
FIELDS = ("dataset", "layers", "optimizer", "learning_rate", "batch_size", "seed", "n", "noise")

# Limits: each keeps one request, or one run, small
MAX_N = 5000  # training samples (toy sets and MNIST); the held-out set is a quarter (MNIST: 500)
MAX_LAYERS = 6  # entries in the layers spec, the input included
MAX_WIDTH = 128  # units per layer
MAX_PARAMETERS = 150_000
MAX_NOISE = 5.0
MAX_LEARNING_RATE = 10.0
MAX_SEED = 2**32 - 1
MNIST_VAL = 500


@dataclass(frozen=True)
class RunConfig:
    """What a run is made of: the JSON body of ``POST /api/runs``, checked and completed."""

    dataset: str
    layers: str
    optimizer: str
    learning_rate: float
    batch_size: int
    seed: int
    n: int
    noise: float | None  # None for MNIST

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


def layers_of(spec: str) -> list[Layer]:
    """The CLI's ``--layers`` syntax, e.g. ``"2,16:tanh,16:tanh,3:softmax"``, as Layers;
    BadRequest (400) names the entry that is wrong."""
    try:
        return parse_layers(spec, name='"layers"')
    except ValueError as err:
        raise BadRequest(str(err)) from None


def parse_config(data: Any) -> RunConfig:
    """Check a ``POST /api/runs`` body and fill in the defaults; BadRequest (400) says why not."""
    if not isinstance(data, dict):
        raise BadRequest(f"expected a JSON object with keys among {list(FIELDS)}")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise BadRequest(f"unknown keys {unknown}; a run takes {list(FIELDS)}")
    dataset = data.get("dataset", DEFAULTS["dataset"])
    if dataset not in DATASETS:
        raise BadRequest(f'"dataset" must be one of {list(DATASETS)}; received {_shown(dataset)}')
    spec = data.get("layers", DEFAULT_LAYERS[dataset])
    if not isinstance(spec, str) or len(spec) > 200:
        raise BadRequest(f'"layers" must be a string such as {DEFAULT_LAYERS[dataset]!r}')
    # NOTE: found as every registry finds a name (any case, or the class name); the JSON value
    # may be anything, so no `in` on the dict (an object or list is unhashable)
    name = data.get("optimizer", DEFAULTS["optimizer"])
    optimizer = find(optimizers.OPTIMIZERS, name)
    if optimizer is None:
        raise BadRequest(
            f'"optimizer" must be one of {sorted(optimizers.OPTIMIZERS)} (any case); received '
            f"{_shown(name)}"
        )
    n_default = DEFAULT_N.get(dataset, 300)
    config = RunConfig(
        dataset=dataset,
        layers=spec,
        optimizer=optimizer.name,
        learning_rate=check_learning_rate(data.get("learning_rate", DEFAULTS["learning_rate"])),
        batch_size=_integer(data, "batch_size", DEFAULTS["batch_size"], 1, MAX_N),
        seed=_integer(data, "seed", DEFAULTS["seed"], 0, MAX_SEED),
        n=_integer(data, "n", n_default, 8, MAX_N),
        noise=None,
    )
    if dataset == "mnist":
        if data.get("noise") is not None:
            raise BadRequest('"noise" is for the toy sets; MNIST is what it is')
    else:
        noise = data.get("noise")
        if noise is None:
            noise = DEFAULT_NOISE[dataset]
        if (
            isinstance(noise, bool)
            or not isinstance(noise, Real)
            or not 0 <= float(noise) <= MAX_NOISE
        ):
            raise BadRequest(
                f'"noise" must be a number in [0, {MAX_NOISE:g}]; received {_shown(noise)}'
            )
        config = replace(config, noise=float(noise))
    if config.batch_size > config.n:
        raise BadRequest(
            f'"batch_size" is {config.batch_size}, more than the {config.n} training samples'
        )
    _check_layers(config)
    return config


DEFAULT_NOISE = {"spiral": 0.2, "moons": 0.1, "circles": 0.05, "xor": 0.0}
DEFAULT_NOISE |= {"gaussians": 0.5, "sine": 0.1}


def check_learning_rate(value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not 0 < float(value) <= MAX_LEARNING_RATE
    ):
        raise BadRequest(
            f'"learning_rate" must be a number in (0, {MAX_LEARNING_RATE:g}]; '
            f"received {_shown(value)}"
        )
    return float(value)


def _shown(value: Any) -> str:
    """A JSON value as the client wrote it (``true``, not Python's ``True``), cut short."""
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _integer(data: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= int(value) <= high:
        raise BadRequest(
            f'"{key}" must be a whole number in {low}..{high}; received {_shown(value)}'
        )
    return int(value)


def _check_layers(config: RunConfig) -> None:
    """The layers fit the data set and the limits; checked before any weight is allocated."""
    dataset, layers = config.dataset, layers_of(config.layers)
    sizes = [layer.size for layer in layers]
    if len(layers) > MAX_LAYERS or max(sizes[1:]) > MAX_WIDTH:
        raise BadRequest(
            f'"layers" {config.layers!r}: at most {MAX_LAYERS} entries (the input included) of '
            f"at most {MAX_WIDTH} units each"
        )
    parameters = sum((a + 1) * b for a, b in pairwise(sizes))
    if parameters > MAX_PARAMETERS:
        raise BadRequest(
            f'"layers": {parameters} parameters; the lab trains at most {MAX_PARAMETERS}'
        )
    d = INPUTS.get(dataset, 2)
    if sizes[0] != d:
        raise BadRequest(
            f'"layers" starts with the input size: {dataset} has {d} inputs, the layers say '
            f"{sizes[0]} (e.g. {DEFAULT_LAYERS[dataset]!r})"
        )
    out = layers[-1]
    act = out.activation_function
    if dataset == "sine":
        if out.size != 1 or isinstance(act, (Softmax, Sigmoid)):
            raise BadRequest(
                '"layers": sine is a regression; the output layer must be 1 unit without softmax '
                f"or sigmoid, e.g. {DEFAULT_LAYERS['sine']!r}"
            )
        return
    fixed = {"mnist": 10, "moons": 2, "circles": 2, "xor": 2}.get(dataset)
    ok = (isinstance(act, Softmax) and out.size >= 2) or (
        isinstance(act, Sigmoid) and out.size == 1
    )
    classes = 2 if out.size == 1 else out.size
    if not ok or (fixed is not None and classes != fixed) or classes > 10:
        want = f"{fixed} classes" if fixed else "2 to 10 classes (one arm or blob per class)"
        raise BadRequest(
            f'"layers": {dataset} has {want}; the output layer must be softmax with one unit '
            f"per class (or 1 sigmoid unit for 2 classes), e.g. {DEFAULT_LAYERS[dataset]!r}"
        )


# ------------------------------------------------------------------------------------ the data


def classes(config: RunConfig) -> int:
    """The number of classes (0 for the regression)."""
    if config.dataset == "sine":
        return 0
    size = layers_of(config.layers)[-1].size
    return 2 if size == 1 else size


def toy_calls(config: RunConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keyword arguments of the toy generator for the training and the held-out set.

    ``n`` counts all training samples (for spiral and gaussians rounded down to a multiple of
    the classes); the held-out set is a quarter as large, drawn with ``seed + 1``.
    """
    noise, seed, n = config.noise, config.seed, config.n
    if config.dataset in ("spiral", "gaussians"):
        k = classes(config)
        per_class = max(1, n // k)
        train = {"n_per_class": per_class, "classes": k}
        val = {"n_per_class": max(1, per_class // 4), "classes": k}
    else:
        train, val = {"n": n}, {"n": max(2, n // 4)}
    return {**train, "noise": noise, "seed": seed}, {**val, "noise": noise, "seed": seed + 1}


@functools.lru_cache(maxsize=1)
def mnist_slice() -> tuple[Array, Array, Array, Array]:
    """The first MAX_N training and MNIST_VAL test digits, from the cache (never downloaded)."""
    try:
        X_train, y_train, X_test, y_test = load_mnist(download=False)
    except DataError as err:
        raise BadRequest(
            "MNIST is not on this machine: fetch it with `barenet data fetch`, or choose a toy "
            f"data set ({err})",
            409,
        ) from None
    return (
        X_train[:MAX_N].copy(),
        y_train[:MAX_N].copy(),
        X_test[:MNIST_VAL].copy(),
        y_test[:MNIST_VAL].copy(),
    )


def mnist_present() -> bool:
    """Whether MNIST's files are where ``load_mnist`` looks ($BARENET_DATA, then the cache),
    without reading them: GET /api/lab answers at once. Whether they load is told, with a
    409, when a run asks for them."""
    if mnist_slice.cache_info().currsize:
        return True
    env = os.environ.get("BARENET_DATA")
    for directory in ([Path(env)] if env else []) + [cache_dir()]:
        idx = all(
            (directory / name).is_file() or (directory / f"{name}.gz").is_file()
            for name in MNIST_FILES
        )
        csv = all((directory / f"mnist_{part}.csv").is_file() for part in ("train", "test"))
        if idx or csv or (directory / "mnist.npz").is_file():
            return True
    return False


def load_data(config: RunConfig) -> tuple[Array, Any, Array, Any]:
    """(X, y, X_val, y_val) for a run. MNIST absent: BadRequest 409."""
    if config.dataset == "mnist":
        X, y, X_val, y_val = mnist_slice()
        return X[: config.n], y[: config.n], X_val, y_val
    make = getattr(toy, config.dataset)
    train, val = toy_calls(config)
    return (*make(**train), *make(**val))
