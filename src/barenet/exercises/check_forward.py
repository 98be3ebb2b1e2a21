"""The checks of exercises 8 and 9: the forward pass and the output delta.

Each runs the learner's function with barenet's own activations and network around it:
``forward`` against a hand-worked case and a plain rewrite of barenet's ``_forward``
(``_forward_reference``); the delta against a
hand-worked case, then inside barenet's network through its gradient checker (``gradcheck``),
which compares the gradients with finite differences of the loss. The small networks and
samples here serve the backward check too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..activations import ActivationFunction, Array, ReLU, Softmax
from ..layers import Layer
from ..network import DeepNeuralNetwork
from ..testing import gradcheck
from .kit import Fail, Variants, Workbook, expect_array, grid


class Step(NamedTuple):
    """A layer's forward step as the workbook's 05_forward.py keeps it."""

    x: Array
    z: Array
    a: Array


def small_network(sizes: Sequence[tuple[int, str | None]], seed: int) -> DeepNeuralNetwork:
    """A small float64 network with random, non-zero biases."""
    net = DeepNeuralNetwork([Layer(n, act) for n, act in sizes], seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed)
    for key, p in net.params.items():
        if key.startswith("b"):
            p[:] = rng.normal(scale=0.5, size=p.shape)
    return net


#: 4 inputs -> 5 ReLU -> 3 tanh -> 2 softmax: no two sizes equal, so a transposed or
#: misplaced array has the wrong shape, and three layers pass the delta down twice
SIZES = ((4, None), (5, "relu"), (3, "tanh"), (2, "softmax"))
N = 6


def sample(net: DeepNeuralNetwork, seed: int) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, net.layers[0].size))
    labels = np.arange(N) % net.layers[-1].size
    return X, np.eye(net.layers[-1].size)[labels]


def activations_of(net: DeepNeuralNetwork) -> list[ActivationFunction]:
    return [layer.activation_function for layer in net.layers[1:]]


def copy_params(params: Mapping[str, Array]) -> dict[str, Array]:
    return {key: p.copy() for key, p in params.items()}


def refuse_changed_params(before: Mapping[str, Array], after: Mapping[str, Any], who: str) -> None:
    for key, p in before.items():
        if key not in after or not np.array_equal(np.asarray(after[key]), p):
            raise Fail(
                f"{who} changed params[{key!r}]: it only reads the parameters; the optimizer "
                "is what changes them"
            )


# --------------------------------------------------------------------------- forward (8)

# X = [1, 2]; z1 = X @ W1 + b1 = [1 + 1 + 0, -1 + 1 - 3, 0.5 - 2 + 1] = [2, -3, -0.5];
# a1 = relu(z1) = [2, 0, 0]; z2 = a1 @ W2 + b2 = [2, 0] + [0, 2] = [2, 2]; a2 = softmax = [.5, .5]
HAND_X = np.array([[1.0, 2.0]])
HAND_PARAMS = {
    "W1": np.array([[1.0, -1.0, 0.5], [0.5, 0.5, -1.0]]),
    "b1": np.array([0.0, -3.0, 1.0]),
    "W2": np.array([[1.0, 0.0], [2.0, 1.0], [0.0, -1.0]]),
    "b2": np.array([0.0, 2.0]),
}
HAND_OUT = np.array([[0.5, 0.5]])


def _forward_reference(
    X: Array,
    params: Mapping[str, Array],
    acts: Sequence[ActivationFunction],
    *,
    bias: bool = True,
    last: bool = True,
) -> tuple[Array, list[Step]]:
    """The forward pass, or one of its usual mistakes (no bias, no last activation)."""
    cache, x = [], X
    for l, act in enumerate(acts, start=1):
        z = x @ params[f"W{l}"] + (params[f"b{l}"] if bias else 0.0)
        a = act.activate(z) if last or l < len(acts) else z
        cache.append(Step(x, z, a))
        x = a
    return x, cache


def _forward_variants(X: Array, params: Mapping[str, Array], acts: Any) -> Variants:
    return [
        ("forward returned X itself: run it through every layer, in order", X),
        (
            "the bias is missing: each layer's pre-activation adds b{l} to the product of its "
            "input and W{l}",
            _forward_reference(X, params, acts, bias=False)[0],
        ),
        (
            "the output is the last layer's z: apply the last layer's activation too "
            "(activations[L - 1], here the softmax)",
            _forward_reference(X, params, acts, last=False)[0],
        ),
    ]


def _steps(cache: Any, L: int) -> list[tuple[Any, Any, Any]]:
    if not isinstance(cache, Sequence):
        raise Fail(f"forward's cache is a {type(cache).__name__}; expected a list of Steps")
    if len(cache) != L:
        raise Fail(f"forward's cache holds {len(cache)} Steps; expected one per layer, {L}")
    steps = []
    for i, step in enumerate(cache):
        try:
            steps.append((step.x, step.z, step.a))
        except AttributeError:
            raise Fail(
                f"cache[{i}] is a {type(step).__name__} without .x, .z and .a: keep "
                "Step(x, z, a) for every layer"
            ) from None
    return steps


def check_forward(wb: Workbook) -> None:
    forward = wb.get("05_forward.py", "forward")
    hand_acts = [ReLU(), Softmax()]
    cases = [(HAND_X, HAND_PARAMS, hand_acts)]
    net = small_network(SIZES, seed=1)
    cases.append((sample(net, seed=2)[0], net.params, activations_of(net)))
    for X, params, acts in cases:
        params_in = copy_params(params)
        result = forward(X.copy(), params_in, list(acts))
        if not isinstance(result, Sequence) or len(result) != 2:
            raise Fail(
                "forward must return two things, (output, cache); it returned a "
                f"{type(result).__name__}"
            )
        out, cache = result
        truth, steps = _forward_reference(X, params, acts)
        expect_array(out, truth, "forward's output", variants=_forward_variants(X, params, acts))
        for l, ((x, z, a), step) in enumerate(
            zip(_steps(cache, len(acts)), steps, strict=True), start=1
        ):
            i = l - 1
            expect_array(
                x,
                step.x,
                f"cache[{i}].x",
                variants=[
                    (
                        f"cache[{i}].x holds layer {l}'s output; it must hold the layer's "
                        "input (X for layer 1, the previous layer's output after that)",
                        step.a,
                    )
                ],
            )
            expect_array(z, step.z, f"cache[{i}].z (layer {l}'s pre-activation)")
            expect_array(a, step.a, f"cache[{i}].a (layer {l}'s output)")
        refuse_changed_params(params, params_in, "forward")


FORWARD_ERRORS = {
    "matmul": (
        "Rows are samples: a layer's input x is (n, h_{l-1}) and W{l} is (h_{l-1}, h_l), so "
        "their product is x @ W{l} (the post's W @ A, transposed)"
    ),
    "broadcast": "b{l} has shape (h_l,): it adds to every row of x @ W{l}, which is (n, h_l)",
    "'W0'": "The layers count from 1: params holds W1, b1, ..., WL, bL",
    "IndexError": (
        "Layer l's activation is activations[l - 1]: the list counts from 0, the layers from 1"
    ),
}


# ------------------------------------------------------------------------ output delta (9)

# a = softmax(z) for both rows (z = log a, shifted per row), Y one-hot, n = 2 samples:
# (a - Y) / n = [[0.125, 0.25, 0.625 - 1], [0.5 - 1, 0.25, 0.25]] / 2
DELTA_A = np.array([[0.125, 0.25, 0.625], [0.5, 0.25, 0.25]])
DELTA_Z = np.log(DELTA_A) + np.array([[1.0], [-2.0]])
DELTA_Y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
DELTA = np.array([[0.0625, 0.125, -0.1875], [-0.25, 0.125, 0.125]])


def _delta_variants(z: Array, a: Array, Y: Array) -> Variants:
    n, k = a.shape
    mean = f"the loss is the mean over the n = {n} samples, so every dL/dz carries a 1/n"
    da = (
        "that is dL/da, the gradient with respect to the softmax's output; the exercise asks "
        "for dL/dz, one link further back, through the softmax (the two together simplify a lot)"
    )
    return [
        (f"a factor of n: {mean}. Divide by n, the number of rows", a - Y),
        (
            f"divided by n * k = {n * k}, every element: the loss averages over the n = {n} "
            f"samples only (it sums over the k = {k} classes), so divide by n",
            (a - Y) / (n * k),
        ),
        (f"divided by k = {k}, the number of classes: divide by n = {n}, the samples", (a - Y) / k),
        (f"a sign and a factor of n: it is a minus Y, and {mean}", Y - a),
        (da, -Y / a / n),
        (da, -Y / a),
    ]


def check_output_delta(wb: Workbook) -> None:
    delta = wb.get("06_output_delta.py", "softmax_cross_entropy_delta")
    got = delta(DELTA_Z.copy(), DELTA_A.copy(), DELTA_Y.copy())
    expect_array(
        got,
        DELTA,
        "softmax_cross_entropy_delta(z, a, Y)",
        variants=_delta_variants(DELTA_Z, DELTA_A, DELTA_Y),
        where=grid("a", DELTA_A),
        factors={2.0: "a factor of n = 2: divide by n, the number of samples (rows)"},
    )
    net = small_network(((3, None), (4, "relu"), (3, "softmax")), seed=3)
    X, Y = sample(net, seed=4)
    net._output_delta = lambda a, z, Y: delta(z, a, Y)  # type: ignore[method-assign]
    result = gradcheck(net, X, Y)
    if not result.ok:
        raise Fail(
            "with this delta, barenet's backward pass disagrees with finite differences of the "
            f"cross-entropy: {result}"
        )


CHECKS: dict[str, Callable[[Workbook], None]] = {
    "forward": check_forward,
    "output_delta": check_output_delta,
}
ERROR_HINTS: dict[str, dict[str, str]] = {"forward": FORWARD_ERRORS}
