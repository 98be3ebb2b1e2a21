"""Configurable: objects described by their constructor arguments.

Activations, losses and schedules are small objects whose whole state is what they were built
with. ``get_config()`` returns those arguments (JSON-able), so ``type(obj)(**config)`` rebuilds
the object: model files and checkpoints store names and configs, never code. The repr,
equality and hash follow from the config.

Also here: ``find``, the one name lookup every registry's ``get`` uses.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def find(registry: dict[str, T], name: object) -> T | None:
    """The entry registered as ``name``, matched case-insensitively against both its registry
    name and its class (or function) name: "softmax", "Softmax" and "SOFTMAX" find softmax,
    "leaky_relu" and "LeakyReLU" find leaky_relu. None when nothing matches (or ``name`` is no
    string)."""
    if not isinstance(name, str):
        return None
    if name in registry:  # the common case: the registry's own spelling
        return registry[name]
    key = name.lower()
    for registered, entry in registry.items():
        if key in (registered.lower(), getattr(entry, "__name__", "").lower()):
            return entry
    return None


class Configurable:
    """Base class: override ``get_config`` when the constructor takes arguments."""

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, so ``type(self)(**config)`` rebuilds this object."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(self.get_config().items()))))
