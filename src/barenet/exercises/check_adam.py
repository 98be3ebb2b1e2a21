"""The check of exercise 13: the Adam step.

As for SGD and momentum (``check_optimizers.py``): a hand-worked first step, then three steps
on random gradients (a tiny one and a zero among them) against ``barenet.optimizers.Adam``,
parameters and moments alike, and the usual mistakes replayed to name the hint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..optimizers import Adam
from .check_optimizers import (
    Params,
    Trajectory,
    check_keys,
    copy_params,
    explain,
    random_case,
    reference_steps,
    refuse_unchanged,
)
from .kit import Workbook

ADAM_LR = 0.01


ADAM_HINTS = {
    "no correction": (
        "missing bias-correction: m and v start at zero, so in the first steps they are too "
        "small by the factors (1 - beta1**t) and (1 - beta2**t); divide by those"
    ),
    "eps inside": (
        "eps goes outside the square root: divide by sqrt(v_hat) + eps, not sqrt(v_hat + eps) "
        "(it matters for small gradients)"
    ),
    "no eps": (
        "eps is missing: where a gradient is 0, sqrt(v_hat) is 0 and the step is 0 / 0 = NaN; "
        "divide by sqrt(v_hat) + eps"
    ),
    "no sqrt": "divide by the square root of v_hat (plus eps), not by v_hat itself",
    "not squared": (
        "v must average the squared gradient, g**2: an average of g itself can be negative, and "
        "its square root is NaN"
    ),
    "not kept": (
        "m and v were not kept: after each step m[key] and v[key] must hold the new running "
        "averages (write m[key] = ... or change the arrays in place)"
    ),
    "corrected state": (
        "bias-correct copies (m_hat, v_hat), not m and v themselves: the running averages must "
        "stay uncorrected for the next step"
    ),
    "t from 0": (
        "the bias-correction used t - 1: t counts from 1 (use the t passed in), so the first "
        "step divides by 1 - beta1**1"
    ),
    "sign": "a sign: the parameters moved uphill; Adam steps against m_hat",
    "no learning rate": "the learning rate is missing: the step is learning_rate * m_hat / ...",
}


def _adam_mistake(params: Params, grads: list[Params], kind: str) -> Trajectory:
    """Adam's steps as one usual mistake makes them."""
    b1, b2, eps = 0.9, 0.999, 1e-8
    p = copy_params(params)
    m = {k: np.zeros_like(x) for k, x in params.items()}
    v = {k: np.zeros_like(x) for k, x in params.items()}
    out = []
    with np.errstate(all="ignore"):
        for t, g in enumerate(grads, start=1):
            for key in p:
                g2 = g[key] if kind == "not squared" else g[key] ** 2
                m_new = b1 * m[key] + (1 - b1) * g[key]
                v_new = b2 * v[key] + (1 - b2) * g2
                tc = t - 1 if kind == "t from 0" else t
                c1, c2 = (1.0, 1.0) if kind == "no correction" else (1 - b1**tc, 1 - b2**tc)
                m_hat, v_hat = m_new / c1, v_new / c2
                root = {
                    "eps inside": np.sqrt(v_hat + eps),
                    "no eps": np.sqrt(v_hat),
                    "no sqrt": v_hat + eps,
                }.get(kind, np.sqrt(v_hat) + eps)
                lr = {"sign": -ADAM_LR, "no learning rate": 1.0}.get(kind, ADAM_LR)
                p[key] = p[key] - lr * m_hat / root
                if kind == "corrected state":
                    m[key], v[key] = m_hat, v_hat
                elif kind != "not kept":
                    m[key], v[key] = m_new, v_new
            out.append((copy_params(p), {"m": copy_params(m), "v": copy_params(v)}))
    return out


# one weight, gradient 0.5, learning rate 0.01: m = 0.05, v = 0.00025, m_hat = 0.5,
# v_hat = 0.25, so the first step is 0.01 * 0.5 / (0.5 + 1e-8), almost exactly 0.01:
# w = 1 - 0.01 = 0.99. One bias, gradient 0: m = v = 0 and the bias stays 0.
ADAM_PARAMS = {"W1": np.array([[1.0]]), "b1": np.array([0.0])}
ADAM_GRADS = [{"W1": np.array([[0.5]]), "b1": np.array([0.0])}]
ADAM_HAND = [
    (
        {"W1": np.array([[1.0 - 0.01 * 0.5 / (0.5 + 1e-8)]]), "b1": np.array([0.0])},
        {
            "m": {"W1": np.array([[0.05]]), "b1": np.array([0.0])},
            "v": {"W1": np.array([[0.00025]]), "b1": np.array([0.0])},
        },
    )
]


def _run_adam(step: Callable[..., Any], params: Params, grads: list[Params]) -> Trajectory:
    p = copy_params(params)
    m = {k: np.zeros_like(x) for k, x in params.items()}
    v = {k: np.zeros_like(x) for k, x in params.items()}
    out = []
    for t, g in enumerate(grads, start=1):
        before = copy_params(p)
        returned = step(p, copy_params(g), m, v, t, ADAM_LR, 0.9, 0.999, 1e-8)
        if t == 1:
            refuse_unchanged(before, p, returned)
        check_keys(m, params, "m")
        check_keys(v, params, "v")
        out.append((copy_params(p), {"m": copy_params(m), "v": copy_params(v)}))
    return out


def check_adam_step(wb: Workbook) -> None:
    step = wb.get("09_adam.py", "adam_step")
    random_params, random_grads = random_case(seed=9)
    random_truth = reference_steps(Adam(ADAM_LR), random_params, random_grads)
    for params, grads, truth in (
        (ADAM_PARAMS, ADAM_GRADS, ADAM_HAND),
        (random_params, random_grads, random_truth),
    ):
        mistakes = {hint: _adam_mistake(params, grads, kind) for kind, hint in ADAM_HINTS.items()}
        explain(_run_adam(step, params, grads), truth, mistakes, "m and v")


CHECKS: dict[str, Callable[[Workbook], None]] = {"adam_step": check_adam_step}
