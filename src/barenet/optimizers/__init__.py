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

The package, one concept per module:

    base.py      Optimizer: the step, the state, state_dict / load_state_dict, get_config
    sgd.py       SGD (momentum, Nesterov)
    adam.py      Adam, AdamW
    rmsprop.py   RMSprop
    clipping.py  global_norm, clip_by_global_norm
    flush.py     why and how the state is kept free of subnormal numbers

and here the registry: ``OPTIMIZERS``, ``get`` and ``serialize``.
"""

from __future__ import annotations

from typing import Any

from .._config import find
from .adam import Adam, AdamW
from .base import Optimizer
from .clipping import clip_by_global_norm, global_norm
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "clip_by_global_norm",
    "get",
    "global_norm",
    "serialize",
]

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
