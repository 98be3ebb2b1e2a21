"""One run of the training lab: its data, its network, and the training step that fit uses.

A ``LabRun`` trains with ``TrainingRun.train_step`` on the batches of ``TrainingRun.batches``,
epoch after epoch, one update at a time: the same shuffling by the run's rng and the same batch
cutting as ``fit``. After E whole epochs its weights are those of
``model.fit(X, y, epochs=E, batch_size=..., optimizer=..., seed=seed)``, bit for bit; ``reset``
goes back to the same initial weights and rng, so training again gives the identical curve.

What the lab shows is computed here, from the network as it is: the state (step, epoch, loss
and accuracy on the training and held-out sets), the curves, the decision boundary and each
hidden unit's response over the plane, every layer's gradient norm, one sample's forward and
backward numbers (``trace``), and for MNIST the first-layer weights and a few test digits.
``labcode.script`` writes the Python that reproduces a run.

The settings and the data come from ``labconfig.py``; no HTTP here (see ``lab.py``).
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

from .. import optimizers, schedules
from ..activations import Array
from ..network import DeepNeuralNetwork
from ..training import (
    TrainingDivergedError,
    TrainingRun,
    _hits,
    _metric,
    _total_sum_of_squares,
    evaluate,
)
from . import BadRequest
from .labconfig import RunConfig, classes, load_data, parse_layers

# Limits of a run and of what is drawn from it
MAX_UPDATES = 5000  # per step request
MAX_STEPS = 1_000_000  # per run: then its status is "done"
MAX_BOUNDARY = 200  # side of the boundary grid
MAX_LR_CHANGES = 200
MAX_POINTS = 400  # points per curve: past that, every other one is dropped
EVENT_GRID = 48  # side of the heat map in the events
UNIT_GRID = 16  # side of each hidden unit's thumbnail
MAX_UNIT_VIEWS = 64  # hidden units drawn; the first ones
MNIST_WEIGHTS = 16  # first-layer units shown as images
MNIST_DIGITS = 8  # held-out digits shown with their probabilities
GRADIENT_ROWS = 500  # samples behind the gradient norms in the events


# ------------------------------------------------------------------------------------- the run


def endless_batches(run: TrainingRun) -> Iterator[tuple[Array, Array]]:
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
        self.speed = 100  # updates per second while training in the background
        self.last_seen = clock()
        self.trainer: threading.Thread | None = None  # the thread training it (see lab.py)
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
        return DeepNeuralNetwork(parse_layers(self.config.layers), seed=self.config.seed)

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
        on ``time.monotonic``); returns how many were made."""
        done = 0
        with self.lock, np.errstate(over="ignore", invalid="ignore"):
            for _ in range(updates):
                if self.steps >= MAX_STEPS:
                    self.status = "done"
                    break
                if self.status == "diverged" or (
                    deadline is not None and time.monotonic() > deadline
                ):
                    break
                Xb, Yb = next(self._batches)
                try:
                    loss, a = self.run.train_step(Xb, Yb)
                except TrainingDivergedError:
                    loss = math.nan
                if not math.isfinite(loss):
                    self.status = "diverged"
                    break
                self.steps += 1
                done += 1
                self.batch_loss = loss
                running = self._running
                running[0] += loss * len(Yb)
                running[1] += _hits(self.model, a, Yb)
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
        metric = "r2" if self.model.task == "regression" else "accuracy"
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
        metric = "r2" if self.model.task == "regression" else "accuracy"
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
        return _finite(
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

    def _grid(self, size: int) -> tuple[Array, Array, Array]:
        """x (size,), y (size,) and the plane's points (size * size, 2), row by row of y."""
        assert self.extent is not None
        low, high = self.extent
        xs = np.linspace(low, high, size)
        gx, gy = np.meshgrid(xs, xs)
        return xs, xs, np.column_stack([gx.ravel(), gy.ravel()]).astype(self.model.dtype)

    def boundary(self, size: int) -> dict[str, Any]:
        """The predicted class over a size x size grid of the plane (for sine: the curve).

        Shapes: -> x (S,), y (S,), classes (S, S) with classes[i][j] at (x[j], y[i]),
        confidence (S, S) the winning probability
        """
        if self.config.dataset == "mnist":
            raise BadRequest(
                "MNIST has 784 inputs, not a plane: its events show the first-layer weights "
                "and test digits instead",
                409,
            )
        with self.lock, np.errstate(over="ignore", invalid="ignore"):
            if self.config.dataset == "sine":
                assert self.extent is not None
                line = np.linspace(*self.extent, size)
                fit = self.model._forward(line[:, None].astype(self.model.dtype))[0][:, 0]
                return {"x": _round(line), "prediction": _round(fit)}
            xs, ys, points = self._grid(size)
            proba = self.model._forward(points)[0]
        if proba.shape[1] == 1:  # one sigmoid unit: P(class 1)
            proba = np.column_stack([1 - proba[:, 0], proba[:, 0]])
        return {
            "x": _round(xs),
            "y": _round(ys),
            "classes": proba.argmax(axis=1).reshape(size, size).tolist(),
            "confidence": _round(proba.max(axis=1).reshape(size, size), 2),
        }

    def units(self, size: int = UNIT_GRID) -> list[dict[str, Any]]:
        """Each hidden unit's activation a over a size x size grid (the first MAX_UNIT_VIEWS).

        Shapes: -> per hidden layer l: {"layer": l, "activation", "scale", "a": (units, S, S)}
        with a in percent of the layer's scale, rounded
        """
        if self.config.dataset in ("mnist", "sine"):
            return [] if self.config.dataset == "mnist" else self._sine_units()
        _, _, points = self._grid(size)
        _, cache = self.model._forward(points)
        return self._unit_views(cache, (size, size))

    def _sine_units(self) -> list[dict[str, Any]]:
        assert self.extent is not None
        xs = np.linspace(*self.extent, UNIT_GRID * 2)
        _, cache = self.model._forward(xs[:, None].astype(self.model.dtype))
        return self._unit_views(cache, (len(xs),))

    def _unit_views(self, cache: Any, shape: tuple[int, ...]) -> list[dict[str, Any]]:
        views, left = [], MAX_UNIT_VIEWS
        for l, step in enumerate(cache[:-1], start=1):
            shown = min(left, step.a.shape[1])
            if shown <= 0:
                break
            a = step.a[:, :shown].T.reshape(shown, *shape).astype(np.float64)
            scale = float(np.abs(a).max()) if np.isfinite(a).all() else 0.0
            views.append(
                {
                    "layer": l,
                    "activation": self.model.layers[l].activation_function.name,
                    "units": step.a.shape[1],
                    "scale": scale,  # the layer's largest |a| on the grid
                    "a": _round(100 * a / (scale or 1.0), 0),  # percent of scale
                }
            )
            left -= shown
        return views

    def gradient_norms(self) -> list[dict[str, Any]]:
        """||dW_l|| and ||db_l|| (Frobenius) per layer, of the loss on the first GRADIENT_ROWS
        training samples (all of them for the toy sets) at the current weights."""
        grads = self.model._gradients(self.X[:GRADIENT_ROWS], self.Y[:GRADIENT_ROWS])
        return [
            {
                "layer": l,
                "W": float(np.linalg.norm(grads[f"W{l}"])),
                "b": float(np.linalg.norm(grads[f"b{l}"])),
            }
            for l in range(1, self.model.n_layers + 1)
        ]

    def mnist_views(self) -> dict[str, Any]:
        """The first MNIST_WEIGHTS units' weights as 28x28 images, and the first MNIST_DIGITS
        held-out digits' probabilities.  Shapes: weights (m, 784), probabilities (8, 10)"""
        W1 = self.model.params["W1"]
        m = min(MNIST_WEIGHTS, W1.shape[1])
        proba = self.model._forward(self.X_val[:MNIST_DIGITS])[0]
        return {
            "weights": _round(W1[:, :m].T, 3),
            "units": W1.shape[1],
            "probabilities": _round(proba, 4),
        }

    def snapshot(self) -> dict[str, Any]:
        """Everything the page draws, for one server-sent event; cached per version."""
        with self.lock:
            return self._cached("snapshot", self._snapshot)

    def _snapshot(self) -> dict[str, Any]:
        views: dict[str, Any] = {
            "state": self.state(),
            "curves": {
                "every": self.curve.every,
                **{k: _round(v, 6) for k, v in self.curve.points.items()},
            },
            "gradients": _finite(self.gradient_norms()),
            "units": self.units(),
        }
        if self.config.dataset == "mnist":
            views["mnist"] = self.mnist_views()
        else:
            views["boundary"] = self.boundary(EVENT_GRID)
        return views

    def data(self) -> dict[str, Any]:
        """The samples the page draws: the points (toy sets) or the shown digits (MNIST)."""
        out: dict[str, Any] = {
            "config": self.config.to_dict(),
            "classes": classes(self.config),
            "n": len(self.X),
            "n_val": len(self.X_val),
            "task": self.model.task,
            "layers": [layer.size for layer in self.model.layers],
            "activations": [layer.activation_function.name for layer in self.model.layers[1:]],
            "loss": self.model.loss_function.name,
        }
        if self.config.dataset == "mnist":
            shown = self.X_val[:MNIST_DIGITS]
            out["digits"] = {
                "pixels": _round(shown, 3),
                "labels": self.y_val[:MNIST_DIGITS].tolist(),
            }
        else:
            out["extent"] = list(self.extent) if self.extent else None
            out["X"], out["y"] = _round(self.X, 4), np.asarray(self.y).tolist()
            out["X_val"], out["y_val"] = _round(self.X_val, 4), np.asarray(self.y_val).tolist()
        return out

    def trace(self, index: int, split: str = "train") -> dict[str, Any]:
        """One sample's forward pass (z and a per layer, from ``model.explain``) and backward
        pass (the output delta, each layer's delta, and the sample's dW and db: the gradient
        of the loss on this sample alone, ``model.gradients`` of a batch of one; in a batch
        of n it adds 1/n of it). For one sample, db_l is the delta of layer l.

        Shapes: forward[l-1].z, .a (h_l,); backward[l-1].delta, .db (h_l,), .dW (h_{l-1}, h_l)
        """
        if split not in ("train", "test"):
            raise BadRequest(f'"split" must be "train" or "test"; received {split!r:.40}')
        X, Y = (self.X, self.Y) if split == "train" else (self.X_val, self.Y_val)
        if not 0 <= index < len(X):
            raise BadRequest(f'"index" must be in 0..{len(X) - 1} for the {split} set; got {index}')
        with self.lock, np.errstate(over="ignore", invalid="ignore"):
            model = self.model
            x, t = X[index : index + 1], Y[index : index + 1]
            explanation = model.explain(x)
            grads = model._gradients(x, t)
            a, cache = model._forward(x)
            loss = model._loss_value(a, cache[-1].z, t)
        L = model.n_layers
        fused = model.loss_function.fuses_with(model.output_activation)
        forward = [
            {
                "layer": layer["index"],
                "activation": layer["activation"],
                "z": layer["z"],
                "a": layer["a"],
                "formula": {
                    "z": f"z{layer['index']} = a{layer['index'] - 1} @ W{layer['index']} + "
                    f"b{layer['index']}",
                    "a": f"a{layer['index']} = {layer['activation']}(z{layer['index']})",
                },
            }
            for layer in explanation.to_dict()["layers"]
        ]
        backward = []
        for l in range(L, 0, -1):
            if l == L:
                delta = (
                    f"delta{L} = a{L} - y (fused {model.loss_function.name} and "
                    f"{model.output_activation.name}, divided by n = 1)"
                    if fused
                    else f"delta{L} = dL/da{L} * {model.output_activation.name}'(z{L})"
                )
            else:
                act = model.layers[l].activation_function.name
                delta = f"delta{l} = (delta{l + 1} @ W{l + 1}.T) * {act}'(z{l})"
            backward.append(
                {
                    "layer": l,
                    "delta": grads[f"b{l}"].tolist(),
                    "dW": grads[f"W{l}"].tolist(),
                    "db": grads[f"b{l}"].tolist(),
                    "formula": {
                        "delta": delta,
                        "dW": f"dW{l} = a{l - 1}.T @ delta{l}",
                        "db": f"db{l} = delta{l} (summed over the batch: one row here)",
                    },
                }
            )
        target = Y[index]
        return _finite(
            {
                "index": index,
                "split": split,
                "x": X[index].tolist(),
                "target": int(target.argmax()) if model.task == "multiclass" else float(target[0]),
                "output": a[0].tolist(),
                "prediction": explanation.to_dict()["prediction"],
                "loss": loss,
                "loss_name": model.loss_function.name,
                "forward": forward,
                "output_delta": grads[f"b{L}"].tolist(),
                "backward": backward,
                "step": self.steps,
            }
        )


def _extent(X: Array) -> tuple[float, float]:
    """A square window around the samples with a 10% margin: (low, high) for every axis."""
    low, high = float(X.min()), float(X.max())
    middle, half = (low + high) / 2, max(high - low, 1e-3) / 2 * 1.1
    return (round(middle - half, 4), round(middle + half, 4))


def _round(a: Any, digits: int = 4) -> Any:
    """a as nested lists, rounded; NaN and infinities (a diverged run) as None."""
    a = np.round(np.asarray(a, dtype=np.float64), digits)
    if not np.isfinite(a).all():
        return _finite(a.tolist())
    return a.astype(np.int64).tolist() if digits == 0 else a.tolist()


def _finite(value: Any) -> Any:
    """value with NaN and infinities as None: strict JSON has neither."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
