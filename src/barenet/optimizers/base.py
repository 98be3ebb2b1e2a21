"""The ``Optimizer`` base class: the step, the per-parameter state, and saving that state.

A subclass (``sgd.py``, ``adam.py``, ``rmsprop.py``) names its state arrays and writes
``_update``, the rule for one parameter; the base class runs the step around it (clipping, the
scheduled learning rate, the update count, the flush of tiny state entries in ``flush.py``)
and turns the state into flat dicts for checkpoints (``state_dict``, ``load_state_dict``).

NOTE: this is the training hot path. The updates use in-place ufuncs with ``out=`` and one
scratch buffer per parameter, allocated on its first step, so a step allocates no arrays after
the first. Hyperparameters and learning rates are Python floats, which NumPy treats as weak
scalars, so float32 parameters and state stay float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import schedules
from ..activations import Array
from ..schedules import Schedule, _check_number
from .clipping import clip_by_global_norm
from .flush import flush_interval, flush_subnormals


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
        """Steps between two flushes of tiny state entries (see ``flush.py``)."""
        return flush_interval(self._state_decays)

    def _flush_subnormals(self) -> None:
        """Set to 0 each state entry too small to stay normal until the next flush."""
        flush_subnormals(self._state, self._scratch, self._state_decays, self._flush_every)

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


def _nonneg(x: float) -> bool:
    return x >= 0


def _unit(x: float) -> bool:
    """In [0, 1): momentum and the decay rates of moving averages."""
    return 0 <= x < 1
