"""The checks of exercises 1-6: ReLU, Sigmoid and Tanh, ``activate`` and ``derive``.

Each ``activate`` is compared with a hand-worked case and with barenet's own activation on
extreme inputs (z = +-1000); each ``derive`` with a hand-worked case, then with barenet's
gradient checker, which differentiates barenet's ``activate`` numerically. A ``derive`` is
always given barenet's own a = activate(z), so a mistake in the learner's ``activate`` never
fails their ``derive``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import activations as reference
from ..activations import ActivationFunction, Array
from ..testing import gradcheck_activation
from .kit import Fail, Variants, Workbook, expect_array, grid

LN2, LN3, LN4, LN5, LN9 = (float(np.log(x)) for x in (2, 3, 4, 5, 9))
EXTREME = np.array([[-1000.0, -50.0, -1.0, 1.0, 50.0, 1000.0]])

#: what the extreme inputs do to exp, for the hints
OVERFLOW = "exp overflows for large |z| (exp(1000) is inf in float64, and inf / inf is NaN)"


class _Hybrid(ActivationFunction):
    """barenet's activate with the learner's derive: what gradcheck_activation checks."""

    def __init__(self, forward: ActivationFunction, backward: ActivationFunction) -> None:
        self.forward, self.backward = forward, backward

    def activate(self, z: Array) -> Array:
        return self.forward.activate(z)

    def derive(self, da: Array, z: Array, a: Array) -> Array:
        return self.backward.derive(da, z, a)


def _check_activate(
    wb: Workbook,
    file: str,
    name: str,
    z: Array,
    expected: Array,
    variants: Callable[[Array], Variants],
    nonfinite: str = "",
) -> None:
    """The hand-worked case, z left unchanged, then the extreme inputs."""
    learner = wb.get(file, name)()
    z_in = z.copy()
    got = learner.activate(z_in)
    if not np.array_equal(z_in, z):
        raise Fail(
            f"{name}.activate changed z in place: the network keeps z for the backward pass, "
            "so return a new array and leave z as it was"
        )
    what = f"{name}.activate(z)"
    expect_array(got, expected, what, variants=variants(z), where=grid("z", z))
    truth = getattr(reference, name)().activate(EXTREME)
    got = learner.activate(EXTREME.copy())
    expect_array(
        got, truth, what, variants=variants(EXTREME), where=grid("z", EXTREME), nonfinite=nonfinite
    )


def _check_derive(
    wb: Workbook,
    file: str,
    name: str,
    z: Array,
    da: Array,
    expected: Array,
    variants: Callable[[Array, Array, Array], Variants],
) -> None:
    """The hand-worked case, then barenet's gradient checker on random z."""
    learner = wb.get(file, name)()
    truth: ActivationFunction = getattr(reference, name)()
    a = truth.activate(z)
    got = learner.derive(da.copy(), z.copy(), a.copy())

    def where(i: tuple[int, ...]) -> str:
        return f"z = {z[i]:.6g} (a = {a[i]:.6g}) and da = {da[i]:.6g}"

    expect_array(
        got, expected, f"{name}.derive(da, z, a)", variants=variants(da, z, a), where=where
    )
    rng = np.random.default_rng(0)
    z_random = rng.choice([-1.0, 1.0], size=(3, 4)) * rng.uniform(0.1, 3.0, size=(3, 4))
    result = gradcheck_activation(_Hybrid(truth, learner), z_random)
    if not result.ok:
        raise Fail(
            f"{name}.derive disagrees with finite differences of {name}.activate on random z: "
            f"{result}"
        )


# ------------------------------------------------------------------------------ ReLU (1, 2)

RELU_Z = np.array([[-2.0, -0.5, 0.0, 0.3, 1.7], [1.5, -3.0, 0.25, -0.01, 4.0]])
RELU_A = np.array([[0.0, 0.0, 0.0, 0.3, 1.7], [1.5, 0.0, 0.25, 0.0, 4.0]])  # negatives -> 0
# derive: z with no element at the kink z = 0
RELU_DZ_Z = np.array([[-2.0, -0.5, 0.3, 1.7], [1.5, -3.0, 0.25, -0.01]])
RELU_DA = np.array([[0.5, -1.0, 2.0, -0.3], [0.7, 0.2, -1.5, 0.9]])
RELU_DZ = np.array([[0.0, 0.0, 2.0, -0.3], [0.7, 0.0, -1.5, 0.0]])  # da where z > 0, else 0

RELU_NOT_ZERO = "ReLU.activate must turn every negative z into 0"


def _relu_activate_variants(z: Array) -> Variants:
    reduction = (
        "np.max reduces: np.max(z, 0) is the largest element of each column. ReLU compares "
        "every element with 0 on its own (np.maximum does that)"
    )
    return [
        (reduction, z.max(axis=0)),
        (reduction, z.max()),
        (f"{RELU_NOT_ZERO}, not into |z|", np.abs(z)),
        (f"{RELU_NOT_ZERO}; it returned z unchanged", z),
        (f"{RELU_NOT_ZERO} and keep the positive ones; it kept the negatives", np.minimum(z, 0)),
        (
            "that is ReLU's slope, the mask z > 0, which belongs in derive; activate returns "
            "the values max(z, 0)",
            z > 0,
        ),
    ]


def check_relu_activate(wb: Workbook) -> None:
    _check_activate(wb, "01_relu.py", "ReLU", RELU_Z, RELU_A, _relu_activate_variants)


def _relu_derive_variants(da: Array, z: Array, a: Array) -> Variants:
    return [
        (
            "the mask is missing: where z <= 0 ReLU is flat, so dL/dz must be 0 there; "
            "it returned da everywhere",
            da,
        ),
        (
            "derive returned ReLU's slope f'(z) alone; it must return dL/dz = da * f'(z): "
            "multiply by da",
            z > 0,
        ),
        ("ReLU's slope is 1 where z > 0 and 0 elsewhere, not a: the mask, not the values", da * a),
        ("ReLU's slope is 1 where z > 0 and 0 elsewhere, not z: the mask, not the values", da * z),
        ("the mask is upside down: keep da where z > 0 and put 0 where z <= 0", da * (z <= 0)),
    ]


def check_relu_derive(wb: Workbook) -> None:
    _check_derive(wb, "01_relu.py", "ReLU", RELU_DZ_Z, RELU_DA, RELU_DZ, _relu_derive_variants)


# --------------------------------------------------------------------------- Sigmoid (3, 4)

# sigmoid(ln 3) = 1 / (1 + 1/3) = 0.75, sigmoid(-ln 3) = 0.25, sigmoid(ln 9) = 1 / (1 + 1/9) = 0.9
SIGMOID_Z = np.array([[0.0, LN3, -LN3], [LN9, -LN9, 0.0]])
SIGMOID_A = np.array([[0.5, 0.75, 0.25], [0.9, 0.1, 0.5]])
# slope a * (1 - a): 0.25, 0.1875, 0.1875 / 0.09, 0.09, 0.25; times da
SIGMOID_DA = np.array([[1.0, 2.0, -4.0], [0.5, -1.0, 3.0]])
SIGMOID_DZ = np.array([[0.25, 0.375, -0.75], [0.045, -0.09, 0.75]])


def _sigmoid(z: Array) -> Array:
    return reference.Sigmoid().activate(z)


def _sigmoid_activate_variants(z: Array) -> Variants:
    with np.errstate(all="ignore"):
        return [
            (
                "a sign: that is sigmoid(-z) = 1 / (1 + exp(z)); the sigmoid is "
                "1 / (1 + exp(-z)), with the minus sign inside exp",
                _sigmoid(-z),
            ),
            (
                f"{OVERFLOW}. exp(z) / (1 + exp(z)) is safe only for z < 0: use "
                "1 / (1 + exp(-z)) where z >= 0, or write both with exp(-|z|)",
                np.exp(z) / (1 + np.exp(z)),
            ),
            (
                "that is tanh(z), which ranges over (-1, 1); the sigmoid ranges over (0, 1)",
                np.tanh(z),
            ),
        ]


def check_sigmoid_activate(wb: Workbook) -> None:
    _check_activate(
        wb,
        "02_sigmoid.py",
        "Sigmoid",
        SIGMOID_Z,
        SIGMOID_A,
        _sigmoid_activate_variants,
        nonfinite=f"{OVERFLOW}. Arrange the formula so that exp only ever sees -|z|",
    )


def _sigmoid_derive_variants(da: Array, z: Array, a: Array) -> Variants:
    wrong_slope = (
        "that is not the sigmoid's slope: work out the derivative of 1 / (1 + exp(-z)) and "
        "write it with a = sigmoid(z)"
    )
    return [
        (
            "derive returned the sigmoid's slope f'(z) alone; it must return dL/dz = "
            "da * f'(z): multiply by da",
            a * (1 - a),
        ),
        (
            "the slope was computed from z where a belongs: the sigmoid's slope is written with "
            "a = sigmoid(z), which derive receives as a",
            da * z * (1 - z),
        ),
        (wrong_slope, da * a),
        (wrong_slope, da * (1 - a)),
        ("derive returned da unchanged: multiply it by the sigmoid's slope", da),
    ]


def check_sigmoid_derive(wb: Workbook) -> None:
    _check_derive(
        wb, "02_sigmoid.py", "Sigmoid", SIGMOID_Z, SIGMOID_DA, SIGMOID_DZ, _sigmoid_derive_variants
    )


# ------------------------------------------------------------------------------ Tanh (5, 6)

# tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6, tanh(ln 3) = (3 - 1/3) / (3 + 1/3) = 0.8
TANH_Z = np.array([[0.0, LN2, -LN2], [LN3, -LN3, 0.0]])
TANH_A = np.array([[0.0, 0.6, -0.6], [0.8, -0.8, 0.0]])
# slope 1 - a**2: 1, 0.64, 0.64 / 0.36, 0.36, 1; times da
TANH_DA = np.array([[1.0, 2.0, -4.0], [0.5, -1.0, 3.0]])
TANH_DZ = np.array([[1.0, 1.28, -2.56], [0.18, -0.36, 3.0]])


def _tanh_activate_variants(z: Array) -> Variants:
    with np.errstate(all="ignore"):
        return [
            (
                f"{OVERFLOW}. np.tanh computes it without overflow",
                (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
            ),
            (
                "that is the sigmoid, which ranges over (0, 1); tanh ranges over (-1, 1)",
                _sigmoid(z),
            ),
            ("Tanh.activate returned z unchanged", z),
        ]


def check_tanh_activate(wb: Workbook) -> None:
    _check_activate(
        wb,
        "03_tanh.py",
        "Tanh",
        TANH_Z,
        TANH_A,
        _tanh_activate_variants,
        nonfinite=f"{OVERFLOW}. np.tanh computes it without overflow",
    )


def _tanh_derive_variants(da: Array, z: Array, a: Array) -> Variants:
    return [
        ("derive returned da unchanged: multiply it by the slope of tanh", da),
        ("the slope of tanh squares a: it returned da * (1 - a)", da * (1 - a)),
        (
            "the slope was computed from z where a belongs: tanh's slope is written with "
            "a = tanh(z), which derive receives as a",
            da * (1 - z * z),
        ),
        (
            "derive returned the slope f'(z) alone; it must return dL/dz = da * f'(z): "
            "multiply by da",
            1 - a * a,
        ),
        ("a sign inside the slope: it is 1 minus a**2, not 1 plus", da * (1 + a * a)),
        ("that is the sigmoid's slope, a * (1 - a); tanh's is different", da * a * (1 - a)),
    ]


def check_tanh_derive(wb: Workbook) -> None:
    _check_derive(wb, "03_tanh.py", "Tanh", TANH_Z, TANH_DA, TANH_DZ, _tanh_derive_variants)


CHECKS: dict[str, Callable[[Workbook], None]] = {
    "relu_activate": check_relu_activate,
    "relu_derive": check_relu_derive,
    "sigmoid_activate": check_sigmoid_activate,
    "sigmoid_derive": check_sigmoid_derive,
    "tanh_activate": check_tanh_activate,
    "tanh_derive": check_tanh_derive,
}
