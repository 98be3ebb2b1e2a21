"""RMSprop: the gradient divided by a running root mean square, with optional momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..activations import Array
from ..schedules import Schedule, _check_number
from .base import Optimizer, _unit


class RMSprop(Optimizer):
    """RMSprop (Hinton). The update is PyTorch's (coupled L2 decay, eps outside the square
    root); the defaults are Keras's: learning_rate=1e-3, rho=0.9, eps=1e-7 (PyTorch's are
    lr=1e-2, alpha=0.99, eps=1e-8).

        g = g + weight_decay * W                   (weights only: coupled, classic L2)
        s = rho * s + (1 - rho) * g**2
        update = g / (sqrt(s) + eps)
        p -= lr * update                           (momentum 0)
        buf = momentum * buf + update;  p -= lr * buf     (momentum > 0)

    State: ``s/<key>`` and, with momentum, ``velocity/<key>`` (buf), shaped like the parameter.
    """

    name = "rmsprop"

    def __init__(
        self,
        learning_rate: float | Schedule = 1e-3,
        rho: float = 0.9,
        eps: float = 1e-7,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay, clip_norm)
        self.rho = _check_number("RMSprop", "rho", rho, "in [0, 1)", _unit)
        self.eps = _check_number("RMSprop", "eps", eps, "> 0", lambda x: x > 0)
        self.momentum = _check_number("RMSprop", "momentum", momentum, "in [0, 1)", _unit)
        self._state_names = ("s", "velocity") if self.momentum else ("s",)
        self._state_decays = (self.rho, self.momentum) if self.momentum else (self.rho,)
        # the decayed gradient needs a buffer of its own: it is used after g**2 is formed
        self._n_scratch = 2 if self.weight_decay else 1

    def _update(self, key: str, p: Array, g: Array, lr: float) -> None:
        state, scratch = self._buffers(key, p)
        s, tmp = state[0], scratch[0]
        if self.weight_decay and p.ndim >= 2:  # g = g + weight_decay * W
            np.multiply(p, self.weight_decay, out=scratch[1])
            g = np.add(g, scratch[1], out=scratch[1])
        s *= self.rho  # s = rho * s + (1 - rho) * g**2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.rho
        s += tmp
        np.sqrt(s, out=tmp)  # update = g / (sqrt(s) + eps)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)
        if self.momentum:  # buf = momentum * buf + update;  p -= lr * buf
            buf = state[1]
            buf *= self.momentum
            buf += tmp
            np.multiply(buf, lr, out=tmp)
        else:  # p -= lr * update
            tmp *= lr
        p -= tmp

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rho": self.rho,
            "eps": self.eps,
            "momentum": self.momentum,
        }
