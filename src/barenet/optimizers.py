"""Optimizers: how a gradient becomes a parameter update.

An optimizer's ``step(params, grads)`` updates the network's parameters in place, once per
mini-batch. ``params`` and ``grads`` are the network's flat dicts (``W1, b1, W2, ...``); the
optimizer keeps its own state (velocities, moment estimates) in dicts keyed the same way, so
the state never lives on the network and ``state_dict`` saves it as ``"m/W1"``, ``"v/W1"``, ...

Every step runs in four stages: clip the gradients (when ``clip_norm`` is set), read the
learning rate from the schedule at ``iterations``, apply the update rule to each parameter,
count the update. Plain gradient descent can skip the first three: its update is
``p -= lr * g``, so a caller that already multiplied the gradients by the rate
(``foldable_learning_rate``; the training step scales its small output delta) passes
``step(..., learning_rate_applied=True)`` and the step only subtracts.

Weight decay acts on weight matrices only (arrays with ndim >= 2, the ``W`` keys), never on
biases: shrinking a bias towards 0 does not regularize anything. SGD and RMSprop add it to the
gradient (classic L2, ``g + weight_decay * W``); Adam decouples it from the gradient (AdamW).

NOTE: this is the training hot path. The updates use in-place ufuncs with ``out=`` and one
scratch buffer per parameter, allocated on its first step, so a step allocates no arrays after
the first. Hyperparameters and learning rates are Python floats, which NumPy treats as weak
scalars, so float32 parameters and state stay float32.

NOTE: no subnormal numbers in the state. An entry whose gradient stays 0 (a pixel that is
almost always blank) only decays, ``m *= beta1`` step after step, until it falls below the
smallest normal number of its dtype, where every multiplication is many times slower on x86.
So every few steps (``_flush_every``: as many as it takes the fastest-decaying state to shrink
1000-fold, 65 for beta1 = 0.9) each state entry smaller than the smallest normal number times
1000 (at most) is set to 0: none can turn subnormal before the next flush, and such an entry is
far too small to move a parameter. The flush costs one pass over the state every
``_flush_every`` steps (65 for Adam's defaults).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import schedules
from ._config import find
from .activations import Array
from .schedules import Schedule, _check_number


def global_norm(grads: dict[str, Array]) -> float:
    """sqrt(sum over every array of sum(g**2)): the L2 norm of all gradients as one vector."""
    # NOTE: vdot flattens without a copy and accumulates in the arrays' dtype; float32 is
    # precise enough to decide on clipping.
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def clip_by_global_norm(grads: dict[str, Array], max_norm: float) -> float:
    """Scale every gradient by max_norm / norm when their global norm exceeds max_norm.

    The scaling is in place and common to all arrays, so the direction of the whole gradient is
    kept and its norm becomes max_norm. Returns the norm before clipping. A non-finite norm
    (the training diverged) leaves the gradients as they are; check the returned value.
    """
    max_norm = _check_number("clip_by_global_norm", "max_norm", max_norm, "> 0", lambda x: x > 0)
    norm = global_norm(grads)
    if max_norm < norm < math.inf:
        scale = max_norm / norm
        for g in grads.values():
            g *= scale
    return norm


class Optimizer:
    """Base class: subclass it, list the state arrays in ``_state_names`` (and what each decays
    by at a zero gradient in ``_state_decays``) and write ``_update``.

    Parameters
    ----------
    learning_rate:
        A positive number or a ``Schedule`` of the update count (see ``schedules.py``).
    weight_decay:
        Strength of the weight decay; it acts on weight matrices (ndim >= 2) only.
    clip_norm:
        When set, ``step`` first scales the gradients (in place) to a global L2 norm of at
        most ``clip_norm``.
    """

    name: str = ""

    def __init__(
        self,
        learning_rate: float | Schedule,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        owner = type(self).__name__
        self.learning_rate = schedules.get(learning_rate)
        self.weight_decay = _check_number(owner, "weight_decay", weight_decay, ">= 0", _nonneg)
        self.clip_norm = (
            None
            if clip_norm is None
            else _check_number(owner, "clip_norm", clip_norm, "> 0 (or None)", lambda x: x > 0)
        )
        #: the number of updates made so far
        self.iterations = 0
        #: names of the per-parameter state arrays, saved by state_dict as "<name>/<key>"
        self._state_names: tuple[str, ...] = ()
        #: what each state array is multiplied by at a step whose gradient is 0 (its decay)
        self._state_decays: tuple[float, ...] = ()
        #: how many scratch buffers (not saved) the update rule needs per parameter
        self._n_scratch = 1
        # key -> state arrays in _state_names order; key -> scratch buffers
        self._state: dict[str, list[Array]] = {}
        self._scratch: dict[str, list[Array]] = {}

    # ------------------------------------------------------------------ the update

    def step(
        self,
        params: dict[str, Array],
        grads: dict[str, Array],
        learning_rate_applied: bool = False,
    ) -> None:
        """One update of every parameter in ``params``, in place, from ``grads``.

        When ``clip_norm`` is set, ``grads`` is scaled in place first. ``learning_rate_applied``
        says that ``grads`` are already the gradients times ``foldable_learning_rate()``, so
        the update is ``p -= grads[key]``; only an optimizer with a foldable rate takes them.

        Shapes: grads[key] has the shape of params[key], for every key.
        """
        self._check_grads(params, grads)
        if learning_rate_applied:
            if self.foldable_learning_rate() is None:
                raise ValueError(
                    f"{self!r} cannot take gradients with the learning rate applied: its "
                    "update is not p -= learning_rate * g (see foldable_learning_rate)"
                )
            for key, p in params.items():
                p -= grads[key]
            self.iterations += 1
            return
        if self.clip_norm is not None:
            clip_by_global_norm(grads, self.clip_norm)
        lr = self.learning_rate(self.iterations)
        for key, p in params.items():
            self._update(key, p, grads[key], lr)
        self.iterations += 1
        if self._state_decays and self.iterations % self._flush_every == 0:
            self._flush_subnormals()

    def foldable_learning_rate(self) -> float | None:
        """The learning rate of the next step when that step is exactly ``p -= lr * g`` for
        every parameter (plain gradient descent), else None.

        A caller that can multiply the gradients by lr more cheaply than the update can (a
        network scales its small output delta: every gradient is linear in it) then passes
        ``step(params, grads, learning_rate_applied=True)``.
        """
        return None

    @property
    def _flush_every(self) -> int:
        """Steps between two flushes of tiny state entries (see the module docstring)."""
        return min(_steps_to_shrink_1000_fold(d) for d in self._state_decays)

    def _flush_subnormals(self) -> None:
        """Set to 0 each state entry too small to stay normal until the next flush:
        |s| < tiny / decay**_flush_every, where tiny is the dtype's smallest normal number."""
        every = self._flush_every
        for key, arrays in self._state.items():
            scratch = self._scratch.get(key)
            if scratch is None:
                continue
            tmp = scratch[0]
            for s, decay in zip(arrays, self._state_decays, strict=True):
                threshold = float(np.finfo(s.dtype).tiny) / (decay**every if decay else 1.0)
                np.abs(s, out=tmp)
                np.greater_equal(tmp, threshold, out=tmp)  # 1.0 where s stays, 0.0 where not
                s *= tmp

    def _update(self, key: str, p: Array, g: Array, lr: float) -> None:
        """Update p in place from its gradient g with learning rate lr."""
        raise NotImplementedError

    @property
    def current_learning_rate(self) -> float:
        """The learning rate the next step will use."""
        return self.learning_rate(self.iterations)

    def _buffers(self, key: str, p: Array) -> tuple[list[Array], list[Array]]:
        """p's state arrays (in ``_state_names`` order) and scratch buffers, made on first use."""
        scratch = self._scratch.get(key)
        if scratch is None:
            scratch = self._first_use(key, p)
        return self._state[key], scratch

    def _first_use(self, key: str, p: Array) -> list[Array]:
        """Make p's state (or check and cast state loaded by ``load_state_dict``) and scratch."""
        state = self._state.get(key)
        if state is None:
            if self.iterations > 0 and self._state_names:
                raise ValueError(
                    f"no optimizer state {self._state_names[0]}/{key} after {self.iterations} "
                    f"updates; the state holds {sorted(self._state)}. Step the parameters this "
                    "optimizer was made for (or whose state was loaded)."
                )
            state = [np.zeros_like(p) for _ in self._state_names]
        for name, s in zip(self._state_names, state, strict=True):
            if s.shape != p.shape:
                raise ValueError(
                    f"optimizer state {name}/{key} has shape {s.shape}, but parameter {key} "
                    f"has shape {p.shape}; the state belongs to another network"
                )
        self._state[key] = [s.astype(p.dtype, copy=False) for s in state]
        scratch = [np.empty_like(p) for _ in range(self._n_scratch)]
        self._scratch[key] = scratch
        return scratch

    @staticmethod
    def _check_grads(params: dict[str, Array], grads: dict[str, Array]) -> None:
        if grads.keys() != params.keys():
            missing = sorted(params.keys() - grads.keys())
            extra = sorted(grads.keys() - params.keys())
            raise ValueError(
                f"grads must have the keys of params; missing {missing}, unexpected {extra}"
            )
        for key, p in params.items():
            if grads[key].shape != p.shape:
                raise ValueError(
                    f"grads[{key!r}] has shape {grads[key].shape}; params[{key!r}] has {p.shape}"
                )

    # ------------------------------------------------------------------ saving

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of everything needed to resume bit-identically: ``"iterations"`` (a 0-d int64
        array) and each state array as ``"<name>/<key>"``, e.g. ``"m/W1"``."""
        state: dict[str, np.ndarray] = {"iterations": np.array(self.iterations, dtype=np.int64)}
        for i, name in enumerate(self._state_names):
            for key, arrays in self._state.items():
                state[f"{name}/{key}"] = arrays[i].copy()
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore a ``state_dict``: the arrays are copied, and cast to each parameter's dtype.

        Raises ValueError, naming the key, for a missing, unexpected or mis-shaped entry. Shapes
        are checked against the other entries and this optimizer's own state here, and against
        the parameters on the next ``step``.
        """
        owner = type(self).__name__
        if "iterations" not in state:
            raise ValueError(f"{owner} state is missing the key 'iterations'")
        iterations = np.asarray(state["iterations"])
        if iterations.shape != () or iterations.dtype.kind not in "iu" or iterations < 0:
            raise ValueError(
                f"{owner} state 'iterations' must be a 0-d integer array >= 0; "
                f"received {state['iterations']!r}"
            )
        loaded: dict[str, dict[str, np.ndarray]] = {}
        for full_key, value in state.items():
            if full_key == "iterations":
                continue
            name, _, key = full_key.partition("/")
            array = np.asarray(value)
            if name not in self._state_names or not key:
                expected = [f"{n}/<key>" for n in self._state_names]
                raise ValueError(
                    f"unexpected key {full_key!r} in {owner} state; expected 'iterations' and "
                    f"{expected} (was it saved by another optimizer, or with other settings?)"
                )
            if array.dtype.kind != "f":
                raise ValueError(
                    f"{owner} state {full_key!r} must be a float array; received {array.dtype}"
                )
            loaded.setdefault(key, {})[name] = array
        if self._state_names and self._state and loaded.keys() != self._state.keys():
            key = sorted(loaded.keys() ^ self._state.keys())[0]
            raise ValueError(
                f"{owner} state for parameter {key!r} is missing or unexpected: the state "
                f"holds {sorted(loaded)}, this optimizer holds {sorted(self._state)}"
            )
        for key, arrays in loaded.items():
            current = self._state.get(key)
            for i, name in enumerate(self._state_names):
                if name not in arrays:
                    raise ValueError(f"{owner} state is missing the key '{name}/{key}'")
                shape = current[i].shape if current else arrays[self._state_names[0]].shape
                if arrays[name].shape != shape:
                    raise ValueError(
                        f"{owner} state '{name}/{key}' has shape {arrays[name].shape}; "
                        f"expected {shape}"
                    )
        # checked: now replace the state; each array is checked against its parameter (and
        # cast to its dtype) on the next step
        self._state = {
            key: [np.array(arrays[name], copy=True) for name in self._state_names]
            for key, arrays in loaded.items()
        }
        self._scratch = {}
        self.iterations = int(iterations)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able, so ``type(self)(**config)`` rebuilds it."""
        return {
            "learning_rate": schedules.serialize(self.learning_rate),
            "weight_decay": self.weight_decay,
            "clip_norm": self.clip_norm,
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


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


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Adam, AdamW, RMSprop)}


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """``{"name": ..., **config}``: JSON-able, and ``get`` turns it back into the optimizer
    (its hyperparameters; its state travels separately, in ``state_dict``)."""
    return {"name": optimizer.name, **optimizer.get_config()}


def get(identifier: str | Optimizer | dict[str, Any], **overrides: Any) -> Optimizer:
    """An optimizer from a name (``"adam"``; any case, or the class name: ``"Adam"``,
    ``"AdamW"``), a dict ``{"name": ..., **config}`` as written by ``serialize``, or an
    instance (returned as is).

    ``overrides`` go to the constructor, over the defaults or the dict's config:
    ``get("sgd", learning_rate=0.1, momentum=0.9)``.
    """
    if isinstance(identifier, Optimizer):
        if overrides:
            raise TypeError(
                f"cannot apply {sorted(overrides)} to an optimizer instance; "
                "pass its name or config instead"
            )
        return identifier
    config: dict[str, Any] = {}
    name: Any = identifier
    if isinstance(identifier, dict):
        config = dict(identifier)
        name = config.pop("name", None)
    cls = find(OPTIMIZERS, name)
    if cls is None:
        raise ValueError(
            f"unknown optimizer {identifier!r}; expected one of {sorted(OPTIMIZERS)} (any case, "
            "or the class name), a dict {'name': ..., **config} or an Optimizer instance"
        )
    return cls(**{**config, **overrides})


def _steps_to_shrink_1000_fold(decay: float) -> int:
    """How many multiplications by ``decay`` it takes to shrink a number 1000-fold, from 1
    to 1000 (a state that does not decay, decay 0, is flushed every 1000 steps)."""
    if decay <= 0.0:
        return 1000
    return max(1, min(1000, int(math.log(1e-3) / math.log(decay))))


def _nonneg(x: float) -> bool:
    return x >= 0


def _unit(x: float) -> bool:
    """In [0, 1): momentum and the decay rates of moving averages."""
    return 0 <= x < 1
