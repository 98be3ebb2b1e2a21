"""register: your own activation, loss or schedule in barenet's registries.

Layers, losses and optimizers take names (``Layer(64, "swish")``), and model files and
checkpoints store names and configs, never code. A class of your own gets a name by being
registered; then it is found by name, and the files that use it save and load::

    @barenet.register
    class Swish(barenet.ActivationFunction):
        name = "swish"

        def activate(self, z):
            return z / (1 + np.exp(-z))

        def derive(self, da, z, a):
            s = 1 / (1 + np.exp(-z))
            return da * (s + a * (1 - s))

Loading a file that names it needs the class registered again in the loading program (the
file holds its name and ``get_config()``, not its code): run the same ``register`` first.
"""

from __future__ import annotations

from typing import Any, TypeVar

from . import activations, losses, schedules
from ._config import find

C = TypeVar("C", bound=type)

#: base class -> (its registry, what the registry holds)
_REGISTRIES: dict[type, tuple[dict[str, Any], str]] = {
    activations.ActivationFunction: (activations.ACTIVATIONS, "activation"),
    losses.Loss: (losses.LOSSES, "loss"),
    schedules.Schedule: (schedules.SCHEDULES, "schedule"),
}


def register(cls: C) -> C:
    """Add a subclass of ``ActivationFunction``, ``Loss`` or ``Schedule`` to its registry under
    its ``name``; returns the class, so it works as a decorator.

    The class must set ``name`` (a non-empty string) and, when its constructor takes
    arguments, ``get_config()`` returning them: a file rebuilds it as ``cls(**config)``.
    A name (or class name) already taken by another class is refused with ValueError, in any
    case; registering the same class again, or a class of the same module and qualified name
    (a notebook cell run twice), replaces the entry.
    """
    bases = [base for base in _REGISTRIES if isinstance(cls, type) and issubclass(cls, base)]
    if not bases or cls in _REGISTRIES:
        allowed = ", ".join(base.__name__ for base in _REGISTRIES)
        raise TypeError(f"register takes a subclass of {allowed}; received {cls!r}")
    registry, what = _REGISTRIES[bases[0]]
    name = getattr(cls, "name", "")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(
            f"{cls.__name__} needs a class attribute name, the string files will store, "
            f'e.g. name = "{cls.__name__.lower()}"; received {name!r}'
        )
    for key in (name, cls.__name__):
        taken = find(registry, key)
        if taken is not None and not _same_class(taken, cls):
            raise ValueError(
                f"cannot register {cls.__module__}.{cls.__qualname__} as {what} {name!r}: "
                f"{key!r} already names {taken.__module__}.{taken.__qualname__}; "
                "choose another name"
            )
    for key in [k for k, v in registry.items() if _same_class(v, cls)]:
        del registry[key]  # a redefinition replaces its earlier entry, under any old name
    registry[name] = cls
    return cls


def _same_class(a: type, b: type) -> bool:
    """The same class, or the same definition run again (same module and qualified name)."""
    return a is b or (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)
