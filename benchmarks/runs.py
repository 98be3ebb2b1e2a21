"""Whole training runs for speed.py: the epoch time while a run converges, and the time to 98%.

- ``slowdown``: 784-256-10 on the first 20,000 MNIST images, 14 epochs of batch 128 in
  float32, with Adam or SGD with momentum. Returns every epoch's time and, at the end, how many
  entries of the optimizer state are subnormal numbers (below the smallest normal float32,
  where x86 arithmetic is many times slower: a run that slows down as it converges).
- ``to_accuracy``: the ``fast`` recipe (784-256-10, Adam with a cosine decay from 3e-3 to 0,
  batch 128, 5 epochs) in barenet, and the same recipe written in PyTorch. After each epoch the
  clock stops while the test accuracy is measured; returns the training time at each epoch's
  end and the accuracy reached.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

SLOWDOWN = {
    "adam": ("Adam 1e-3", {"name": "adam", "learning_rate": 1e-3}),
    "sgdm": ("SGD 0.05, momentum 0.9", {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9}),
}
SLOWDOWN_EPOCHS, SLOWDOWN_SAMPLES = 14, 20_000
TARGET_ACCURACY = 0.98


def slowdown(X, y, optimizer: str, seed: int) -> dict[str, Any]:
    from barenet import DeepNeuralNetwork, Layer, optimizers
    from barenet.callbacks import Callback

    class EpochTimer(Callback):
        def on_train_begin(self, logs=None):
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

        def on_train_end(self, logs=None):
            state = self.run.optimizer.state_dict()
            state.pop("iterations")
            tiny = np.finfo(np.float32).tiny
            self.subnormal = sum(
                int(np.count_nonzero((s != 0) & (abs(s) < tiny))) for s in state.values()
            )
            self.entries = sum(s.size for s in state.values())

    model = DeepNeuralNetwork(
        [Layer(784), Layer(256, "relu"), Layer(10, "softmax")], seed=seed, dtype=np.float32
    )
    timer = EpochTimer()
    model.fit(
        X[:SLOWDOWN_SAMPLES],
        y[:SLOWDOWN_SAMPLES],
        epochs=SLOWDOWN_EPOCHS,
        batch_size=128,
        optimizer=optimizers.get(SLOWDOWN[optimizer][1]),
        seed=seed,
        verbose=0,
        callbacks=[timer],
    )
    return {"epoch_seconds": timer.seconds, "subnormal": timer.subnormal, "entries": timer.entries}


def to_accuracy_barenet(X, y, X_test, y_test, seed: int) -> dict[str, Any]:
    from barenet import recipes
    from barenet.callbacks import Callback

    recipe = recipes.get("fast")
    model = recipe.build(seed=seed)
    marks: list[tuple[float, float]] = []
    paused = 0.0

    class Score(Callback):
        def on_epoch_end(self, epoch, logs=None):
            nonlocal paused
            now = time.perf_counter()
            marks.append((now - start - paused, model.score(X_test, y_test)))
            paused += time.perf_counter() - now

    start = time.perf_counter()
    model.fit(X, y, seed=seed, verbose=0, callbacks=[Score()], **recipe.fit_kwargs(len(X)))
    return {"marks": marks}


def to_accuracy_torch(X, y, X_test, y_test, seed: int) -> dict[str, Any]:
    """The fast recipe in idiomatic PyTorch: the same network, optimizer, schedule (per
    update), batch size, epochs and shuffling; He-normal weights in both layers (barenet's
    softmax layer is Glorot-uniform)."""
    import torch
    from torch import nn

    from barenet import recipes

    recipe = recipes.get("fast")
    torch.manual_seed(seed)
    first, second = nn.Linear(784, recipe.hidden[0]), nn.Linear(recipe.hidden[0], 10)
    for linear in (first, second):
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
    model = nn.Sequential(first, nn.ReLU(), second)
    n, batch = len(X), recipe.batch_size or len(X)
    steps = recipe.epochs * math.ceil(n / batch)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: 0.5 * (1 + math.cos(math.pi * min(t, steps) / steps))
    )
    Xt, yt, X_test_t = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(X_test)
    gen = torch.Generator().manual_seed(seed)
    marks: list[tuple[float, float]] = []
    paused = 0.0
    start = time.perf_counter()
    for _ in range(recipe.epochs):
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
            opt.step()
            schedule.step()
        now = time.perf_counter()
        with torch.inference_mode():
            accuracy = float((model(X_test_t).argmax(dim=1).numpy() == y_test).mean())
        marks.append((now - start - paused, accuracy))
        paused += time.perf_counter() - now
    return {"marks": marks}


def time_to_target(marks: list[tuple[float, float]]) -> tuple[float, int] | None:
    """The training time at the end of the first epoch at or above the target, and its number."""
    for epoch, (seconds, accuracy) in enumerate(marks, start=1):
        if accuracy >= TARGET_ACCURACY:
            return seconds, epoch
    return None
