"""SGD: plain gradient descent, momentum, Nesterov momentum, L2 weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..activations import Array
from ..schedules import Schedule, _check_number
from .base import Optimizer, _unit


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (PyTorch's form) and L2 decay.

        g = g + weight_decay * W                  (weights only: coupled, classic L2)
        p -= lr * g                                (momentum 0: plain gradient descent)
        v = momentum * v + g                       (momentum > 0)
        p -= lr * v                                (or, with nesterov, lr * (g + momentum * v))

    Plain gradient descent keeps no state. State: ``velocity/<key>``, shaped like the parameter.
    """

    name = "sgd"

    def __init__(
        self,
        learning_rate: float | Schedule = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay, clip_norm)
        self.momentum = _check_number("SGD", "momentum", momentum, "in [0, 1)", _unit)
        if not isinstance(nesterov, bool):
            raise ValueError(f"SGD nesterov must be True or False; received {nesterov!r}")
        if nesterov and self.momentum == 0:
            raise ValueError("SGD nesterov=True needs a momentum > 0; received momentum=0")
        self.nesterov = nesterov
        self._state_names = ("velocity",) if self.momentum else ()
        self._state_decays = (self.momentum,) if self.momentum else ()

    def foldable_learning_rate(self) -> float | None:
        if self.momentum or self.weight_decay or self.clip_norm is not None:
            return None
        return self.learning_rate(self.iterations)

    def _update(self, key: str, p: Array, g: Array, lr: float) -> None:
        state, (tmp,) = self._buffers(key, p)
        if self.weight_decay and p.ndim >= 2:  # g = g + weight_decay * W
            np.multiply(p, self.weight_decay, out=tmp)
            g = np.add(g, tmp, out=tmp)
        if not self.momentum:  # p -= lr * g
            np.multiply(g, lr, out=tmp)
            p -= tmp
            return
        (v,) = state
        v *= self.momentum  # v = momentum * v + g
        v += g
        if self.nesterov:  # p -= lr * (g + momentum * v), in two subtractions
            np.multiply(g, lr, out=tmp)
            p -= tmp
            np.multiply(v, lr * self.momentum, out=tmp)
        else:  # p -= lr * v
            np.multiply(v, lr, out=tmp)
        p -= tmp

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "nesterov": self.nesterov,
        }
