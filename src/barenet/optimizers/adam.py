"""Adam and AdamW: moment estimates with bias correction, decoupled weight decay."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..activations import Array
from ..schedules import Schedule, _check_number
from .base import Optimizer, _unit


class Adam(Optimizer):
    """Adam (Kingma & Ba) with decoupled weight decay, i.e. AdamW (Loshchilov & Hutter).

        W -= lr * weight_decay * W                 (weights only, before the moments)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p -= lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps),   t = iterations + 1

    The decay is scaled by the scheduled lr, as in PyTorch's AdamW. State: ``m/<key>`` and
    ``v/<key>``, shaped like the parameter.
    """

    name = "adam"

    def __init__(
        self,
        learning_rate: float | Schedule = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay, clip_norm)
        owner = type(self).__name__
        self.beta1 = _check_number(owner, "beta1", beta1, "in [0, 1)", _unit)
        self.beta2 = _check_number(owner, "beta2", beta2, "in [0, 1)", _unit)
        self.eps = _check_number(owner, "eps", eps, "> 0", lambda x: x > 0)
        self._state_names = ("m", "v")
        self._state_decays = (self.beta1, self.beta2)

    def _update(self, key: str, p: Array, g: Array, lr: float) -> None:
        (m, v), (tmp,) = self._buffers(key, p)
        b1, b2 = self.beta1, self.beta2
        t = self.iterations + 1
        # NOTE: Python floats, so that float32 arrays stay float32
        correction1, correction2 = 1.0 - b1**t, 1.0 - b2**t
        if self.weight_decay and p.ndim >= 2:  # W -= lr * weight_decay * W
            p *= 1.0 - lr * self.weight_decay
        m *= b1  # m = beta1 * m + (1 - beta1) * g
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp
        v *= b2  # v = beta2 * v + (1 - beta2) * g**2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v += tmp
        # p -= lr * m_hat / (sqrt(v_hat) + eps), computed as Kingma & Ba's section 2 suggests:
        # p -= lr * sqrt(c2) / c1 * m / (sqrt(v) + eps * sqrt(c2)), with c = 1 - beta**t:
        # the same value, and no pass to form v_hat
        root_c2 = math.sqrt(correction2)
        np.sqrt(v, out=tmp)
        tmp += self.eps * root_c2
        np.divide(m, tmp, out=tmp)
        tmp *= lr * root_c2 / correction1
        p -= tmp

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta1": self.beta1,
            "beta2": self.beta2,
            "eps": self.eps,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay on by default (weight_decay=0.01, as in PyTorch)."""

    name = "adamw"

    def __init__(
        self,
        learning_rate: float | Schedule = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        clip_norm: float | None = None,
    ) -> None:
        super().__init__(learning_rate, beta1, beta2, eps, weight_decay, clip_norm)
