"""One run of the training lab: its data, its network, and the training step that fit uses.

A ``LabRun`` trains with ``TrainingRun.train_step`` on the batches of ``TrainingRun.batches``,
epoch after epoch, one update at a time: the same shuffling by the run's rng and the same batch
cutting as ``fit``. After E whole epochs its weights are those of
``model.fit(X, y, epochs=E, batch_size=..., optimizer=..., seed=seed)``, bit for bit; ``reset``
goes back to the same initial weights and rng, so training again gives the identical curve.

Here: the state (step, epoch, loss and accuracy on the training and held-out sets), the
curves, and the snapshot a server-sent event carries; what it draws is in ``views.py``, one
sample's numbers in ``trace.py``, the script that reproduces a run in ``script.py``. The
settings and the data come from ``config.py``; no HTTP here (see ``__init__.py``).
Left out: dropout, weight decay, schedules, and data sets of one's own.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from ... import optimizers, schedules
from ...activations import Array
from ...network import DeepNeuralNetwork
from ...training import (
    TrainingRun,
    _hits,
    _metric,
    _total_sum_of_squares,
    evaluate,
    metric_name,
)
from .. import BadRequest
from ..http import jsonable
from . import views
from .config import RunConfig, layers_of, load_data
from .views import rounded

MAX_UPDATES = 5000  # per step request
MAX_STEPS = 1_000_000  # per run: then its status is "done"
MAX_LR_CHANGES = 200
DEFAULT_SPEED = 100  # updates per second in the background
MAX_POINTS = 400  # points per curve: past that, every other one is dropped


# ------------------------------------------------------------------------------------- the run


def endless_batches(run: TrainingRun) -> Iterator[tuple[Array, Array, Array | None]]:
    """fit's mini-batches, epoch after epoch: each epoch ``run.batches()`` shuffles anew."""
    while True:
        yield from run.batches()


class Curve:
    """Loss and metric, train and held-out, every ``every`` updates; thinned to MAX_POINTS.

    Points sit at steps 0, every, 2 every, ...; when there are too many, every other one is
    dropped and ``every`` doubles, so the curve depends only on the step count. The training
    values are what fit logs: the mean over the batches since the previous point, of each
    batch's loss (before its update) and hits; the held-out ones are evaluated at the point.
    """

    KEYS = ("step", "loss", "metric", "val_loss", "val_metric")

    def __init__(self, every: int = 1) -> None:
        self.every = every
        self.points: dict[str, list[float]] = {k: [] for k in self.KEYS}

    def add(self, step: int, values: dict[str, float]) -> None:
        self.points["step"].append(step)
        for key in self.KEYS[1:]:
            self.points[key].append(values[key])
        if len(self.points["step"]) > MAX_POINTS:
            self.points = {k: v[::2] for k, v in self.points.items()}
            self.every *= 2


class LabRun:
    """A run of the lab: ``step``, ``reset``, the learning rate, and the views of it.

    Every method that reads or changes the network holds ``lock``; ``version`` grows with
    every change, so views can be cached and streams send only what is new.
    Shapes: X (n, d) and Y (n, k) checked, as ``fit`` checks them; X_val, Y_val likewise
    """

    def __init__(self, config: RunConfig, clock: Any = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.version = 0
        self.speed = DEFAULT_SPEED  # updates per second while training in the background
        self.last_seen = clock()
        self.trainer: threading.Thread | None = None  # the thread training it (runs.py)
        X, y, X_val, y_val = load_data(config)
        probe = self._network()
        self.X, self.Y = probe._check_XY(X, y)
        self.X_val, self.Y_val = probe._check_XY(X_val, y_val)
        self._ss_tot = _total_sum_of_squares(self.Y) if probe.task == "regression" else 0.0
        self.y, self.y_val = np.asarray(y), np.asarray(y_val)
        self.extent = _extent(self.X) if config.dataset != "mnist" else None
        self._cache: dict[str, tuple[int, Any]] = {}
        self.reset()

    def _network(self) -> DeepNeuralNetwork:
        return DeepNeuralNetwork(layers_of(self.config.layers), seed=self.config.seed)

    # ------------------------------------------------------------------ training

    def reset(self) -> None:
        """The initial weights, optimizer and rng again: the same updates give the same curve."""
        with self.lock:
            config = self.config
            model = self._network()
            optimizer = optimizers.get(config.optimizer, learning_rate=config.learning_rate)
            self.run = TrainingRun(
                model=model,
                optimizer=optimizer,
                rng=np.random.default_rng(config.seed),  # as fit(seed=seed)
                epochs=1,
                batch_size=config.batch_size,
                X=self.X,
                Y=self.Y,
                validation=(self.X_val, self.Y_val),
            )
            self._batches = endless_batches(self.run)
            self.steps = 0
            self.learning_rates: list[tuple[int, float]] = [(0, config.learning_rate)]
            self.status = "paused"
            self.batch_loss: float | None = None
            # NOTE: a point costs a pass over the held-out set; about one batch of updates per
            # point keeps that under half the training time
            every = 2 ** math.ceil(math.log2(max(1.0, len(self.X_val) / config.batch_size)))
            self.curve = Curve(every)
            self.curve.add(0, self._measure())
            self._running = [0.0, 0.0, 0]  # since the last point: loss sum, hits, samples
            self.changed()

    def changed(self) -> None:
        self.version += 1

    def touch(self) -> None:
        self.last_seen = self.clock()

    @property
    def model(self) -> DeepNeuralNetwork:
        return self.run.model

    @property
    def batches_per_epoch(self) -> int:
        return self.run.batches_per_epoch

    def step(self, updates: int, deadline: float | None = None) -> int:
        """Up to ``updates`` updates (fewer when diverged, at MAX_STEPS, or past ``deadline``
        on ``time.monotonic``, which is checked after the first update: each call makes
        progress even when it waited for the lock); returns how many were made."""
        done = 0
        with self.lock, np.errstate(over="ignore", invalid="ignore"):
            for _ in range(updates):
                if self.steps >= MAX_STEPS:
                    self.status = "done"
                    break
                if self.status == "diverged" or (
                    done and deadline is not None and time.monotonic() > deadline
                ):
                    break
                Xb, Yb, yb = next(self._batches)
                # NOTE: train_step returns a non-finite loss (and makes no update) rather than
                # raise; fit raises TrainingDivergedError from it, the lab says "diverged"
                loss, a = self.run.train_step(Xb, Yb, yb)
                if not math.isfinite(loss):
                    self.status = "diverged"
                    break
                self.steps += 1
                done += 1
                self.batch_loss = loss
                running = self._running
                running[0] += loss * len(Yb)
                running[1] += _hits(self.model, a, Yb, yb)
                running[2] += len(Yb)
                if self.steps % self.curve.every == 0:
                    self.curve.add(self.steps, self._point())
            self.changed()
        return done

    def set_learning_rate(self, learning_rate: float) -> None:
        """The learning rate from the next update on (at step 0: the run's own, kept by reset)."""
        with self.lock:
            if self.steps == 0:
                self.config = replace(self.config, learning_rate=learning_rate)
                self.learning_rates = [(0, learning_rate)]
            elif self.learning_rates[-1][0] == self.steps:
                self.learning_rates[-1] = (self.steps, learning_rate)
            elif len(self.learning_rates) >= MAX_LR_CHANGES:
                raise BadRequest(
                    f"the learning rate was changed {MAX_LR_CHANGES} times in this run; "
                    "reset it or start a new one",
                    409,
                )
            else:
                self.learning_rates.append((self.steps, learning_rate))
            self.run.optimizer.learning_rate = schedules.get(learning_rate)
            self.changed()

    def schedule(self) -> list[tuple[int, float]]:
        """(updates, learning rate) segments, in order, that add up to ``steps``."""
        bounds = [start for start, _ in self.learning_rates[1:]] + [self.steps]
        return [
            (end - start, lr)
            for (start, lr), end in zip(self.learning_rates, bounds, strict=True)
            if end > start or start == 0
        ]

    # ------------------------------------------------------------------ views

    def _measure(self) -> dict[str, float]:
        """Loss and metric on the whole training and held-out sets, at the current weights."""
        train = evaluate(self.model, self.X, self.Y)
        val = evaluate(self.model, self.X_val, self.Y_val)
        metric = metric_name(self.model)
        return {
            "loss": train["loss"],
            "metric": train[metric],
            "val_loss": val["loss"],
            "val_metric": val[metric],
        }

    def _point(self) -> dict[str, float]:
        """A curve point: fit's running training logs since the last point, held-out now."""
        loss_sum, hits, seen = self._running
        self._running = [0.0, 0.0, 0]
        ss_tot = self._ss_tot * seen / len(self.Y)
        val = evaluate(self.model, self.X_val, self.Y_val)
        metric = metric_name(self.model)
        return {
            "loss": loss_sum / seen,
            "metric": _metric(self.model, hits, int(seen), ss_tot),
            "val_loss": val["loss"],
            "val_metric": val[metric],
        }

    def _cached(self, key: str, compute: Any) -> Any:
        hit = self._cache.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged run overflows
            value = compute()
        self._cache[key] = (self.version, value)
        return value

    def state(self) -> dict[str, Any]:
        """``{"step", "epoch", "loss", "accuracy", "status", ...}``: GET /api/runs/{id}."""
        with self.lock:
            return self._cached("state", self._state)

    def _state(self) -> dict[str, Any]:
        m = self._measure()
        regression = self.model.task == "regression"
        return jsonable(
            {
                "step": self.steps,
                "epoch": self.steps // self.batches_per_epoch,
                "batches_per_epoch": self.batches_per_epoch,
                "loss": m["loss"],
                "accuracy": None if regression else m["metric"],
                "val_loss": m["val_loss"],
                "val_accuracy": None if regression else m["val_metric"],
                **({"r2": m["metric"], "val_r2": m["val_metric"]} if regression else {}),
                "batch_loss": self.batch_loss,
                "learning_rate": self.run.optimizer.current_learning_rate,
                "speed": self.speed,
                "status": self.status,
            }
        )

    def snapshot(self) -> dict[str, Any]:
        """Everything the page draws, for one server-sent event; cached per version."""
        with self.lock:
            return self._cached("snapshot", self._snapshot)

    def _snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "state": self.state(),
            "curves": {
                "every": self.curve.every,
                **{k: rounded(v, 6) for k, v in self.curve.points.items()},
            },
            "gradients": jsonable(views.gradient_norms(self)),
            "units": views.units(self),
        }
        if self.config.dataset == "mnist":
            out["mnist"] = views.mnist_views(self)
        else:
            out["boundary"] = views.boundary(self, views.EVENT_GRID)
        return out


def _extent(X: Array) -> tuple[float, float]:
    """A square window around the samples with a 10% margin: (low, high) for every axis."""
    low, high = float(X.min()), float(X.max())
    middle, half = (low + high) / 2, max(high - low, 1e-3) / 2 * 1.1
    return (round(middle - half, 4), round(middle + half, 4))
