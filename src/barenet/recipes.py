"""Recipes: the documented ways to train an MNIST digit recognizer, by name.

- ``post``: the post's experiment, exactly: 784-10-10, full-batch gradient descent, learning
  rate 0.1, 1000 iterations (about 90% test accuracy);
- ``fast``: 98% in seconds: 784-256-10, Adam with a cosine schedule, 5 epochs;
- ``best``: 99%: a wide network with dropout, random shifts of the images and a cosine
  schedule with warmup.

A recipe is plain data; ``build`` makes the network, ``fit_kwargs`` the arguments of ``fit``.
The figures they reach, and how to reproduce them, are in BENCHMARKS.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from . import augment, optimizers, schedules
from .layers import Layer
from .network import DeepNeuralNetwork


@dataclass(frozen=True)
class Recipe:
    """How to build and train one network. ``optimizer=None`` is plain gradient descent."""

    name: str
    hidden: tuple[int, ...]
    activation: str = "relu"
    dropout: float = 0.0
    optimizer: str | None = "adam"
    learning_rate: float = 1e-3
    cosine: bool = False  # cosine decay of the learning rate over the whole run
    warmup_epochs: float = 0.0
    epochs: int = 5
    batch_size: int | None = 128  # None: the whole training set as one batch
    shift: int = 0  # random shifts of up to this many pixels (0: no augmentation)

    def layers(self, n_inputs: int = 784, n_classes: int = 10) -> list[Layer]:
        hidden = [Layer(size, self.activation, dropout=self.dropout) for size in self.hidden]
        return [Layer(n_inputs), *hidden, Layer(n_classes, "softmax")]

    def build(self, n_inputs: int = 784, n_classes: int = 10, seed: int = 0) -> DeepNeuralNetwork:
        return DeepNeuralNetwork(
            self.layers(n_inputs, n_classes), learning_rate=self.learning_rate, seed=seed
        )

    def fit_kwargs(self, n_train: int) -> dict[str, Any]:
        """The arguments of ``fit`` for a training set of ``n_train`` samples."""
        batch = n_train if self.batch_size is None else self.batch_size
        steps = self.epochs * math.ceil(n_train / batch)
        rate: float | schedules.Schedule = self.learning_rate
        if self.cosine:
            warmup = int(self.warmup_epochs * math.ceil(n_train / batch))
            rate = schedules.CosineDecay(self.learning_rate, steps, warmup_steps=warmup)
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "optimizer": None
            if self.optimizer is None
            else optimizers.get(self.optimizer, learning_rate=rate),
            "shuffle": self.batch_size is not None,
            "augment": augment.random_shift(self.shift) if self.shift else None,
        }

    def with_options(self, **options: Any) -> Recipe:
        """A copy with some fields changed; options that are None are ignored."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})


RECIPES = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            "post",
            hidden=(10,),
            optimizer=None,
            learning_rate=0.1,
            epochs=1000,
            batch_size=None,
        ),
        Recipe("fast", hidden=(256,), learning_rate=3e-3, cosine=True, epochs=5),
        Recipe(
            "best",
            hidden=(1024,),
            dropout=0.3,
            learning_rate=1e-3,
            cosine=True,
            warmup_epochs=0.5,
            epochs=30,
            shift=2,
        ),
    )
}


def get(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise ValueError(f"unknown recipe {name!r}; expected one of {sorted(RECIPES)}") from None
