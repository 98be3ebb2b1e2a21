"""The checks of exercises 11 and 12: the plain SGD and the momentum steps.

An optimizer step is run on a hand-worked case, then for three steps on random gradients, and
compared with barenet's own optimizer (``barenet.optimizers.SGD``) step by step:
the parameters and the state the learner keeps. When they differ, the same steps are replayed
with each usual mistake, and the one that matches names the hint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..activations import Array
from ..optimizers import SGD, Optimizer
from .kit import Fail, Workbook, as_array, close, expect_array

LR, MOMENTUM = 0.1, 0.9
Params = dict[str, Any]  # key -> float64 array
#: after each step: (the parameters, the state dicts by name)
Trajectory = list[tuple[Params, dict[str, Params]]]


def copy_params(d: Mapping[str, Array]) -> Params:
    return {key: np.array(p, dtype=np.float64) for key, p in d.items()}


def random_case(seed: int) -> tuple[Params, list[Params]]:
    """Parameters and three steps' gradients; a few gradients are tiny, one is exactly 0."""
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(size=(2, 3)),
        "b1": rng.normal(size=3),
        "W2": rng.normal(size=(3, 1)),
    }
    grads = []
    for _ in range(3):
        g = {key: rng.normal(size=p.shape) for key, p in params.items()}
        g["W1"][0, 0] = 1e-6  # tiny: sqrt(v) + eps and sqrt(v + eps) differ a lot
        g["b1"][1] = 0.0  # zero: without eps, Adam divides 0 by 0
        grads.append(g)
    return params, grads


def reference_steps(optimizer: Optimizer, params: Params, grads: list[Params]) -> Trajectory:
    p, out = copy_params(params), []
    for g in grads:
        optimizer.step(p, copy_params(g))
        state = optimizer.state_dict()
        names = {name.partition("/")[0] for name in state if "/" in name}
        out.append(
            (copy_params(p), {n: {k: state[f"{n}/{k}"] for k in params} for n in sorted(names)})
        )
    return out


def _compare(got: Trajectory, expected: Trajectory) -> bool:
    return all(
        close(as_array(p_got[k], "p"), p_exp[k])
        and all(close(s_got[n][k], s_exp[n][k]) for n in s_exp)
        for (p_got, s_got), (p_exp, s_exp) in zip(got, expected, strict=True)
        for k in p_exp
    )


def _params_close(got: Trajectory, expected: Trajectory) -> bool:
    return all(
        close(p_got[k], p_exp[k])
        for (p_got, _), (p_exp, _) in zip(got, expected, strict=True)
        for k in p_exp
    )


def explain(
    got: Trajectory, truth: Trajectory, mistakes: dict[str, Trajectory], state: str
) -> None:
    """Fail with the hint of the mistake that gives the learner's trajectory, or the first
    wrong number."""
    if _compare(got, truth):
        return
    for hint, trajectory in mistakes.items():
        if _compare(got, trajectory):
            raise Fail(hint)
    for hint, trajectory in mistakes.items():  # the parameters alone may tell
        if _params_close(got, trajectory) and not _params_close(got, truth):
            raise Fail(hint)
    for t, ((p_got, s_got), (p_exp, s_exp)) in enumerate(zip(got, truth, strict=True), start=1):
        for key in p_exp:
            expect_array(p_got[key], p_exp[key], f"params[{key!r}] after step {t}")
        for name in s_exp:
            for key in p_exp:
                expect_array(s_got[name][key], s_exp[name][key], f"{name}[{key!r}] after step {t}")
    raise Fail(f"the parameters or {state} differ from the expected ones")  # pragma: no cover


def refuse_unchanged(before: Params, after: Params, returned: Any) -> None:
    if any(key not in after for key in before):
        raise Fail(f"params lost its keys {sorted(set(before) - set(after))}")
    if all(np.array_equal(np.asarray(after[k]), before[k]) for k in before):
        if isinstance(returned, Mapping):
            raise Fail(
                "the step returned new parameters but left params as it was: change params "
                "itself (p -= ... changes an array in place, params[key] = ... replaces an "
                "entry); the network never sees the return value"
            )
        raise Fail(
            "params did not change: assigning to a local name (p = p - ...) makes a new array "
            "and leaves params as it was; write p -= ... or params[key] = ..."
        )


# ---------------------------------------------------------------------------- SGD (11)

# W1 - 0.1 * g = [[1 - 0.05, -2 + 0.1], [0.5 - 0.2, 0 - 0.025]]; b1 = [0.1 - 0.1, -0.1 + 0.3]
SGD_PARAMS = {"W1": np.array([[1.0, -2.0], [0.5, 0.0]]), "b1": np.array([0.1, -0.1])}
SGD_GRADS = {"W1": np.array([[0.5, -1.0], [2.0, 0.25]]), "b1": np.array([1.0, -3.0])}
SGD_AFTER = {"W1": np.array([[0.95, -1.9], [0.3, -0.025]]), "b1": np.array([0.0, 0.2])}


def check_sgd_step(wb: Workbook) -> None:
    sgd_step = wb.get("08_gradient_descent.py", "sgd_step")
    random_params, random_grads = random_case(seed=7)
    random_after = reference_steps(SGD(LR), random_params, random_grads[:1])[0][0]
    cases = [(SGD_PARAMS, SGD_GRADS, SGD_AFTER), (random_params, random_grads[0], random_after)]
    for params, grads, after in cases:
        p = copy_params(params)
        returned = sgd_step(p, copy_params(grads), LR)
        refuse_unchanged(params, p, returned)
        for key in params:
            if np.array_equal(np.asarray(p[key]), params[key]):
                raise Fail(f"params[{key!r}] did not change: update every parameter")
            expect_array(
                p[key],
                after[key],
                f"params[{key!r}] after the step",
                variants=[
                    (
                        "a sign: the parameters moved uphill, along the gradient; gradient "
                        "descent steps against it",
                        params[key] + LR * grads[key],
                    ),
                    (
                        "the learning rate is missing: the step is learning_rate times the "
                        "gradient",
                        params[key] - grads[key],
                    ),
                ],
            )


# ------------------------------------------------------------------------- momentum (12)

# one weight, gradient 1 twice: v1 = 1, w1 = 1 - 0.1 * 1 = 0.9; v2 = 0.9 * 1 + 1 = 1.9,
# w2 = 0.9 - 0.1 * 1.9 = 0.71. One bias, gradient -2 twice: v1 = -2, b1 = 0.5 + 0.2 = 0.7;
# v2 = -1.8 - 2 = -3.8, b2 = 0.7 + 0.38 = 1.08
MOMENTUM_PARAMS = {"W1": np.array([[1.0]]), "b1": np.array([0.5])}
MOMENTUM_GRADS = [{"W1": np.array([[1.0]]), "b1": np.array([-2.0])}] * 2
MOMENTUM_HAND = [
    (
        {"W1": np.array([[0.9]]), "b1": np.array([0.7])},
        {"velocity": {"W1": np.array([[1.0]]), "b1": np.array([-2.0])}},
    ),
    (
        {"W1": np.array([[0.71]]), "b1": np.array([1.08])},
        {"velocity": {"W1": np.array([[1.9]]), "b1": np.array([-3.8])}},
    ),
]


def _momentum_mistake(params: Params, grads: list[Params], kind: str) -> Trajectory:
    """The momentum steps as one usual mistake makes them."""
    p, v, out = copy_params(params), {k: np.zeros_like(x) for k, x in params.items()}, []
    for g in grads:
        for key in p:
            old = v[key] if kind != "not kept" else 0.0 * v[key]
            if kind == "no decay":
                new = old + g[key]
            elif kind == "average":
                new = MOMENTUM * old + (1 - MOMENTUM) * g[key]
            elif kind == "learning rate in v":
                new = MOMENTUM * old + LR * g[key]
            elif kind == "keras":
                new = MOMENTUM * old - LR * g[key]
            else:
                new = MOMENTUM * old + g[key]
            step = {"learning rate in v": new, "keras": -new, "sign": -LR * new}.get(kind, LR * new)
            p[key] = p[key] - step
            v[key] = new if kind != "not kept" else v[key]
        out.append((copy_params(p), {"velocity": copy_params(v)}))
    return out


MOMENTUM_HINTS = {
    "not kept": (
        "velocity was not kept: after each step velocity[key] must hold the new v, or the next "
        "step starts from zero again (v = ... makes a new array; write velocity[key] = ... or "
        "change it in place)"
    ),
    "no decay": "the velocity does not fade: multiply the old v by momentum before adding g",
    "average": (
        "that is a running average, v = momentum * v + (1 - momentum) * g; SGD with momentum "
        "adds the whole gradient: v = momentum * v + g"
    ),
    "learning rate in v": (
        "the parameters are right, but velocity holds learning_rate * v: keep "
        "v = momentum * v + g (PyTorch's form) and step learning_rate * v"
    ),
    "keras": (
        "the parameters are right, but velocity holds -learning_rate * v (Keras's form); this "
        "workbook keeps v = momentum * v + g (PyTorch's form) and steps learning_rate * v downhill"
    ),
    "sign": "a sign: the parameters moved uphill; step against the velocity",
}


def _run_momentum(step: Callable[..., Any], params: Params, grads: list[Params]) -> Trajectory:
    p, velocity, out = copy_params(params), {k: np.zeros_like(x) for k, x in params.items()}, []
    for t, g in enumerate(grads):
        before = copy_params(p)
        returned = step(p, copy_params(g), velocity, LR, MOMENTUM)
        if t == 0:
            refuse_unchanged(before, p, returned)
        check_keys(velocity, params, "velocity")
        out.append((copy_params(p), {"velocity": copy_params(velocity)}))
    return out


def check_keys(state: Mapping[str, Any], params: Params, name: str) -> None:
    if set(state) != set(params):
        raise Fail(f"{name} must keep the keys of params, {sorted(params)}; it has {sorted(state)}")


def check_momentum_step(wb: Workbook) -> None:
    step = wb.get("08_gradient_descent.py", "momentum_step")
    random_params, random_grads = random_case(seed=8)
    random_truth = reference_steps(SGD(LR, momentum=MOMENTUM), random_params, random_grads)
    for params, grads, truth in (
        (MOMENTUM_PARAMS, MOMENTUM_GRADS, MOMENTUM_HAND),
        (random_params, random_grads, random_truth),
    ):
        mistakes = {
            hint: _momentum_mistake(params, grads, kind) for kind, hint in MOMENTUM_HINTS.items()
        }
        explain(_run_momentum(step, params, grads), truth, mistakes, "velocity")


CHECKS: dict[str, Callable[[Workbook], None]] = {
    "sgd_step": check_sgd_step,
    "momentum_step": check_momentum_step,
}
