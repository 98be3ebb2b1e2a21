"""Learning-rate schedules: the learning rate as a function of the update count.

A schedule maps ``step``, the number of updates the optimizer has made before this one
(0, 1, 2, ...), to the learning rate of this update. Optimizers call it once per step with
their ``iterations``, so a schedule counts mini-batches, not epochs: for a decay per epoch,
pass ``step_size`` or ``decay_steps`` in updates (batches per epoch times epochs).

Schedules are pure functions of the step and hold no state, so resuming training only needs
the optimizer's ``iterations``. Plateau-driven decay (which watches the validation loss) is a
callback's job, not a schedule's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real
from typing import Any

from ._checks import whole_number
from ._config import Configurable, find


class Schedule(Configurable):
    """Base class: subclass it and implement ``__call__`` (and ``get_config`` for saving)."""

    name: str = ""

    def __call__(self, step: int) -> float:
        """The learning rate of the update made after ``step`` earlier updates."""
        raise NotImplementedError


class Constant(Schedule):
    """lr = learning_rate at every step."""

    name = "constant"

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _check_number("Constant", "learning_rate", learning_rate, "> 0", _pos)

    def __call__(self, step: int) -> float:
        return self.learning_rate

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate}


class StepDecay(Schedule):
    """lr = initial_learning_rate * drop ** (step // step_size): a drop every ``step_size`` updates.

    ``step_size`` has no default: it is a number of updates, which depends on the batch size
    and the data set (for "halve every 10 epochs", pass 10 * batches per epoch).
    """

    name = "step_decay"

    def __init__(self, initial_learning_rate: float, drop: float = 0.5, *, step_size: int) -> None:
        self.initial_learning_rate = _check_number(
            "StepDecay", "initial_learning_rate", initial_learning_rate, "> 0", _pos
        )
        self.drop = _check_number("StepDecay", "drop", drop, "in (0, 1]", lambda x: 0 < x <= 1)
        self.step_size = whole_number("StepDecay step_size", step_size, minimum=1, floats=True)

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate * self.drop ** (step // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "drop": self.drop,
            "step_size": self.step_size,
        }


class ExponentialDecay(Schedule):
    """lr = initial_learning_rate * decay_rate ** (step / decay_steps), as in Keras.

    With ``staircase=True`` the exponent is floored, step // decay_steps, so the rate drops
    by ``decay_rate`` once every ``decay_steps`` updates instead of smoothly.
    """

    name = "exponential_decay"

    def __init__(
        self,
        initial_learning_rate: float,
        decay_rate: float,
        decay_steps: int,
        staircase: bool = False,
    ) -> None:
        self.initial_learning_rate = _check_number(
            "ExponentialDecay", "initial_learning_rate", initial_learning_rate, "> 0", _pos
        )
        self.decay_rate = _check_number(
            "ExponentialDecay", "decay_rate", decay_rate, "in (0, 1]", lambda x: 0 < x <= 1
        )
        self.decay_steps = whole_number(
            "ExponentialDecay decay_steps", decay_steps, minimum=1, floats=True
        )
        if not isinstance(staircase, bool):
            raise ValueError(
                f"ExponentialDecay staircase must be True or False; received {staircase!r}"
            )
        self.staircase = staircase

    def __call__(self, step: int) -> float:
        exponent = step // self.decay_steps if self.staircase else step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate**exponent

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_rate": self.decay_rate,
            "decay_steps": self.decay_steps,
            "staircase": self.staircase,
        }


class CosineDecay(Schedule):
    """Linear warmup, then a half cosine from the initial rate down to ``alpha`` times it.

    With lr0 = initial_learning_rate, w = warmup_steps and D = decay_steps:

        warmup, step < w:    lr = lr0 * (step + 1) / w
        then, s = step - w:  lr = lr0 * (alpha + (1 - alpha) * 0.5 * (1 + cos(pi * min(s, D) / D)))

    So the first update gets lr0 / w (never 0, which would waste it), the last warmup update
    (step w - 1) and the first decay update (step w) both get lr0, and from step w + D on the
    rate stays at lr0 * alpha. ``warmup_steps=0`` skips the warmup: step 0 gets lr0.
    """

    name = "cosine_decay"

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        warmup_steps: int = 0,
    ) -> None:
        self.initial_learning_rate = _check_number(
            "CosineDecay", "initial_learning_rate", initial_learning_rate, "> 0", _pos
        )
        self.decay_steps = whole_number(
            "CosineDecay decay_steps", decay_steps, minimum=1, floats=True
        )
        self.alpha = _check_number(
            "CosineDecay", "alpha", alpha, "in [0, 1]", lambda x: 0 <= x <= 1
        )
        self.warmup_steps = whole_number(
            "CosineDecay warmup_steps", warmup_steps, minimum=0, floats=True
        )

    def __call__(self, step: int) -> float:
        lr0, w, D = self.initial_learning_rate, self.warmup_steps, self.decay_steps
        if step < w:
            return lr0 * (step + 1) / w
        cosine = 0.5 * (1.0 + math.cos(math.pi * min(step - w, D) / D))
        return lr0 * (self.alpha + (1.0 - self.alpha) * cosine)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "warmup_steps": self.warmup_steps,
        }


SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (Constant, StepDecay, ExponentialDecay, CosineDecay)
}


def serialize(schedule: Schedule) -> dict[str, Any]:
    """``{"name": ..., **config}``: JSON-able, and ``get`` turns it back into the schedule."""
    return {"name": schedule.name, **schedule.get_config()}


def get(identifier: Schedule | float | dict[str, Any]) -> Schedule:
    """A schedule from an instance (returned as is), a number (a ``Constant`` learning rate)
    or a dict ``{"name": ..., **config}`` as written by ``serialize`` (the name in any case,
    or the class name: "cosine_decay", "CosineDecay")."""
    if isinstance(identifier, Schedule):
        return identifier
    if isinstance(identifier, Real) and not isinstance(identifier, bool):
        return Constant(float(identifier))
    if isinstance(identifier, dict):
        config = dict(identifier)
        name = config.pop("name", None)
        cls = find(SCHEDULES, name)
        if cls is None:
            raise ValueError(
                f"unknown schedule name {name!r} in {identifier!r}; expected one of "
                f"{sorted(SCHEDULES)} (any case, or the class name), or your own class after "
                "barenet.register"
            )
        return cls(**config)
    raise TypeError(
        f"a learning rate must be a positive number, a Schedule or a dict "
        f"{{'name': ..., **config}} with a name in {sorted(SCHEDULES)}; received {identifier!r}"
    )


# ---------------------------------------------------------------- argument checks


def _pos(x: float) -> bool:
    return x > 0


def _check_number(
    owner: str, name: str, value: Any, allowed: str, ok: Callable[[float], bool]
) -> float:
    """``value`` as a Python float when it is a finite real number for which ``ok`` holds.

    Python floats stay weak scalars in NumPy arithmetic, so float32 arrays stay float32.
    """
    if isinstance(value, Real) and not isinstance(value, bool):
        x = float(value)
        if math.isfinite(x) and ok(x):
            return x
    raise ValueError(f"{owner} {name} must be a finite number {allowed}; received {value!r}")
