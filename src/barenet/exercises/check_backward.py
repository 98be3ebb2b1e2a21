"""The check of exercise 10: the backward pass.

The learner's ``backward`` gets barenet's own forward cache and output delta for a small
three-layer network (ReLU, tanh, softmax), so the delta is passed down twice. Its gradients are
compared with barenet's ``_backward`` key by key, from the last layer down; when they differ,
the usual mistakes are replayed to name the hint. Last, the learner's ``backward`` runs inside
barenet's network through the gradient checker (``gradcheck``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..activations import ActivationFunction, Array
from ..testing import gradcheck
from .check_forward import (
    SIZES,
    N,
    Step,
    activations_of,
    copy_params,
    refuse_changed_params,
    sample,
    small_network,
)
from .kit import Fail, Workbook, as_array, close, expect_array


def _backward_reference(
    dz: Array,
    cache: Sequence[Step],
    params: Mapping[str, Array],
    acts: Sequence[ActivationFunction],
    *,
    derive: bool = True,
    own_activation: bool = False,
    db_mean: bool = False,
    dW_scale: float = 1.0,
) -> dict[str, Array]:
    """The backward pass, or one of its usual mistakes (see the flags)."""
    grads: dict[str, Array] = {}
    n = len(dz)
    for l in range(len(acts), 0, -1):
        grads[f"W{l}"] = cache[l - 1].x.T @ dz * dW_scale
        grads[f"b{l}"] = dz.sum(axis=0) / (n if db_mean else 1)
        if l > 1:
            below = cache[l - 2]
            da = dz @ params[f"W{l}"].T
            act = acts[l - 1] if own_activation else acts[l - 2]
            dz = act.derive(da, below.z, below.a) if derive else da
    return grads


def _backward_variants(
    dz: Array, cache: Any, params: Any, acts: Any
) -> list[tuple[str, dict[str, Array]]]:
    n = len(dz)
    carries = "dz already carries the 1/n of the mean loss"

    def ref(**mistake: Any) -> dict[str, Array]:
        return _backward_reference(dz, cache, params, acts, **mistake)

    return [
        (
            "the activation's derivative is missing from the delta passed down (for ReLU: the "
            "mask of the units that were off). After dL/da of the layer below, go through that "
            "layer's derive: activations[l - 2].derive(da, z, a), with its z and a",
            ref(derive=False),
        ),
        (
            "the delta passed down went through the wrong layer's activation: below layer l "
            "is layer l - 1, whose activation is activations[l - 2] (the list counts from 0)",
            ref(own_activation=True),
        ),
        (
            f"a factor of n: the bias gradients are n = {n} times too small. Sum dz over the "
            f"samples; {carries}",
            ref(db_mean=True),
        ),
        (
            f"a factor of n: the weight gradients are n = {n} times too small; {carries}, so "
            "do not divide again",
            ref(dW_scale=1 / n),
        ),
        (
            f"a factor of n: the gradients are n = {n} times too small; {carries}",
            ref(db_mean=True, dW_scale=1 / n),
        ),
    ]


def _check_grad_shapes(grads: Mapping[str, Any], truth: Mapping[str, Array], n: int) -> None:
    missing = [key for key in truth if key not in grads]
    if set(missing) == {"W1", "b1"}:
        raise Fail(
            "grads has no W1 or b1: the loop stops before layer 1. It must run for "
            "l = L, L - 1, ..., 1 (range(L, 0, -1))"
        )
    if missing:
        raise Fail(f"grads has no {missing}: it needs W{{l}} and b{{l}} for every layer 1..L")
    extra = sorted(map(str, set(grads) - set(truth)))
    if extra:
        raise Fail(f"grads has keys {extra}; the parameters are {list(truth)}")
    for key, expected in truth.items():
        got = as_array(grads[key], f"grads[{key!r}]")
        if got.shape == expected.shape:
            continue
        if key.startswith("W") and got.shape == expected.T.shape:
            raise Fail(
                f"grads[{key!r}] has shape {got.shape}, the transpose of {key}'s "
                f"{expected.shape}: the layer's input comes first, x.T (h_{{l-1}}, n) times "
                "dz (n, h_l)"
            )
        if key.startswith("W") and got.shape == (expected.shape[1],) * 2:
            raise Fail(
                f"grads[{key!r}] has shape {got.shape}; expected {expected.shape}, {key}'s: "
                "dW{l} pairs the layer's input x (cache[l - 1].x) with dz, not its output a"
            )
        if key.startswith("b") and got.shape == (n,):
            raise Fail(
                f"grads[{key!r}] has shape {got.shape}, one number per sample: sum dz over "
                f"the samples (axis 0) to get one per unit, {expected.shape}"
            )
        if key.startswith("b") and got.shape == (1, *expected.shape):
            raise Fail(
                f"grads[{key!r}] has shape {got.shape}; {key} has shape {expected.shape}: sum "
                "without keepdims"
            )
        raise Fail(f"grads[{key!r}] has shape {got.shape}; expected {expected.shape}, {key}'s")


def check_backward(wb: Workbook) -> None:
    backward = wb.get("07_backward.py", "backward")
    net = small_network(SIZES, seed=5)
    X, Y = sample(net, seed=6)
    a, barenet_cache = net._forward(X)
    dz = net._output_delta(a, barenet_cache[-1].z, Y)
    cache = [Step(s.x, s.z, s.a) for s in barenet_cache]
    acts = activations_of(net)
    truth = net._backward(dz, barenet_cache)  # barenet's own gradients
    params_in, cache_in = copy_params(net.params), [Step(*(v.copy() for v in s)) for s in cache]
    grads = backward(dz.copy(), cache_in, params_in, list(acts))
    if not isinstance(grads, Mapping):
        raise Fail(
            "backward must return a dict of gradients keyed like params ('W1', 'b1', ...); "
            f"it returned a {type(grads).__name__}"
        )
    _check_grad_shapes(grads, truth, N)
    got = {key: as_array(grads[key], f"grads[{key!r}]") for key in truth}
    if not all(close(got[k], truth[k]) for k in truth):
        for hint, variant in _backward_variants(dz, cache, net.params, acts):
            if all(close(got[k], variant[k]) for k in truth):
                raise Fail(hint)
        L = net.n_layers
        top_right = all(close(got[k], truth[k]) for k in (f"W{L}", f"b{L}"))
        for key in truth:  # from the last layer down
            below = (
                " (the layers above it are right: check the delta passed down, through "
                "W{l} transposed and the layer below's derive)"
                if top_right
                else ""
            )
            expect_array(
                got[key],
                truth[key],
                f"grads[{key!r}]{below}",
                factors={
                    1 / N: f"a factor of n: grads[{key!r}] is n = {N} times too small; dz already "
                    "carries the 1/n of the mean loss",
                    float(N): f"a factor of n: grads[{key!r}] is n = {N} times too large",
                },
            )
    refuse_changed_params(net.params, params_in, "backward")
    for i, (before, after) in enumerate(zip(cache, cache_in, strict=True)):
        if not all(np.array_equal(u, v) for u, v in zip(before, after, strict=True)):
            raise Fail(f"backward changed cache[{i}] in place: it only reads the cache")

    def learner_backward(dz: Array, steps: Any) -> dict[str, Array]:
        return backward(dz, [Step(s.x, s.z, s.a) for s in steps], net.params, list(acts))

    net._backward = learner_backward  # type: ignore[method-assign,assignment]
    result = gradcheck(net, X, Y)
    if not result.ok:
        raise Fail(f"backward disagrees with finite differences of the loss: {result}")


BACKWARD_ERRORS = {
    "matmul": (
        "dW{l} pairs the layer's input with its delta, (h_{l-1}, n) @ (n, h_l), and the "
        "delta goes down through W{l} transposed, (n, h_l) @ (h_l, h_{l-1})"
    ),
    "broadcast": (
        "The delta passed down has the shape of the layer below, (n, h_{l-1}): use that "
        "layer's z and a (cache[l - 2]) and its activation (activations[l - 2])"
    ),
    "'W0'": "The layers count from 1: the loop runs l = L, ..., 1 and stops there",
    "IndexError": (
        "Layer l's Step is cache[l - 1] and its activation activations[l - 1]: the lists count "
        "from 0, the layers from 1"
    ),
}


CHECKS: dict[str, Callable[[Workbook], None]] = {"backward": check_backward}
ERROR_HINTS: dict[str, dict[str, str]] = {"backward": BACKWARD_ERRORS}
