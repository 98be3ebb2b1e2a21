"""Configurable: objects described by their constructor arguments.

Activations, losses and schedules are small objects whose whole state is what they were built
with. ``get_config()`` returns those arguments (JSON-able), so ``type(obj)(**config)`` rebuilds
the object: model files and checkpoints store names and configs, never code. The repr,
equality and hash follow from the config.
"""

from __future__ import annotations

from typing import Any


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
