"""The check of exercise 14: He initialization.

The weights are checked by their shape, by their use of the given random generator (the same
seed, the same weights), and by their statistics over 60,000 draws: mean 0, standard deviation
sqrt(2 / fan_in), and a normal distribution's 68.3% within one standard deviation.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .kit import Fail, Workbook, as_array

FAN_IN, FAN_OUT = 300, 200  # 60,000 draws: the sample std is within 0.3% of the true one


def check_he_normal(wb: Workbook) -> None:
    he_normal = wb.get("10_he_normal.py", "he_normal")
    W = as_array(he_normal(FAN_IN, FAN_OUT, np.random.default_rng(0)), "he_normal(300, 200, rng)")
    if W.shape != (FAN_IN, FAN_OUT):
        swapped = ", that is (fan_out, fan_in)" if W.shape == (FAN_OUT, FAN_IN) else ""
        raise Fail(
            f"he_normal(300, 200, rng) has shape {W.shape}{swapped}; W is (fan_in, fan_out) = "
            "(300, 200), one row per unit of the previous layer"
        )
    if not np.isfinite(W).all():
        raise Fail("he_normal returned NaN or inf")
    again = as_array(he_normal(FAN_IN, FAN_OUT, np.random.default_rng(0)), "he_normal")
    if not np.array_equal(W, again):
        raise Fail(
            "two calls with the same seed gave different weights: draw from rng (rng.normal), "
            "not from np.random, so that the same seed always gives the same weights"
        )
    other = as_array(he_normal(FAN_IN, FAN_OUT, np.random.default_rng(1)), "he_normal")
    if np.array_equal(W, other):
        raise Fail("different seeds gave the same weights: draw them from rng")
    std, target = float(W.std()), float(np.sqrt(2 / FAN_IN))
    if abs(float(W.mean())) > 5 * target / np.sqrt(W.size):
        raise Fail(f"the weights have mean {W.mean():.4g}; He draws them around 0")
    if abs(std / target - 1) > 0.03:
        for scale, hint in (
            (
                2 / FAN_IN,
                "the scale of rng.normal is the standard deviation, the square root "
                "of the variance 2 / fan_in",
            ),
            (
                np.sqrt(1 / FAN_IN),
                "variance 1 / fan_in is LeCun's; He's is 2 / fan_in, twice "
                "as much, because ReLU switches off half of the units",
            ),
            (np.sqrt(2 / FAN_OUT), "divide by fan_in (the previous layer's size), not fan_out"),
            (
                np.sqrt(2 / (FAN_IN + FAN_OUT)),
                "2 / (fan_in + fan_out) is Glorot's variance; He's is 2 / fan_in",
            ),
            (1.0, "these are standard normal draws: scale them to variance 2 / fan_in"),
        ):
            if abs(std / scale - 1) < 0.03:
                raise Fail(
                    f"the weights have standard deviation {std:.4g}, not sqrt(2 / fan_in) = "
                    f"{target:.4g}: {hint}"
                )
        raise Fail(
            f"the weights have standard deviation {std:.4g}; variance 2 / fan_in means "
            f"sqrt(2 / 300) = {target:.4g}"
        )
    within = float((np.abs(W) < target).mean())  # 0.683 for a normal, 0.577 for a uniform
    if abs(within - 0.683) > 0.03:
        raise Fail(
            f"{within:.1%} of the weights lie within one standard deviation of 0, where a normal "
            "distribution has 68.3%: draw from rng.normal"
        )


CHECKS: dict[str, Callable[[Workbook], None]] = {"he_normal": check_he_normal}
ERROR_HINTS: dict[str, dict[str, str]] = {
    "he_normal": {"takes": "He draws with the rng it is given: rng.normal(loc, scale, size)"},
}
