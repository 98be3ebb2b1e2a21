"""fit: mini-batch training, the glue between network, loss, optimizer and callbacks.

One training step reads as four lines (see ``TrainingRun.train_step``): forward, output
delta, backward, optimizer step. Around it, ``fit`` shuffles once per epoch, cuts batches,
applies augmentation and dropout (training only), keeps running loss and metric, validates,
writes checkpoints and reports through callbacks. The same seed gives bit-identical weights.

Left out on purpose: no second "fast" engine. Speed comes from how the one path is written.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from . import optimizers
from ._buffers import Buffers
from .activations import Array
from .callbacks import Callback, History, ModelCheckpoint, progress_callbacks
from .checkpoints import CheckpointError, load_checkpoint, save_checkpoint

if TYPE_CHECKING:
    from .network import DeepNeuralNetwork

Augment = Callable[[Array, np.random.Generator], Array]
Logs = dict[str, float]


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite: the learning rate is almost always too high."""


def metric_name(model: DeepNeuralNetwork) -> str:
    """The task's natural metric: "accuracy" for classifiers, "r2" for regression."""
    return "r2" if model.task == "regression" else "accuracy"


def _hits(model: DeepNeuralNetwork, a: Array, Y: Array, labels: Array | None = None) -> float:
    """The metric's numerator for one batch: right rows for classifiers (every label right,
    for multilabel), the sum of squared residuals for regression. ``labels``, when given, is
    Y.argmax(axis=1), computed once per fit."""
    if model.task == "multiclass":
        labels = Y.argmax(axis=1) if labels is None else labels
        return float(np.count_nonzero(a.argmax(axis=1) == labels))
    if model.task == "regression":
        return float(np.square(Y - a).sum())
    return float(np.count_nonzero(((a >= 0.5) == (Y >= 0.5)).all(axis=1)))


def _metric(model: DeepNeuralNetwork, hits: float, n: int, ss_tot: float) -> float:
    if model.task == "regression":
        return 1.0 - hits / ss_tot if ss_tot > 0 else 0.0
    return hits / n


def _total_sum_of_squares(Y: Array) -> float:
    return float(np.square(Y - Y.mean(axis=0)).sum())


def _class_labels(model: DeepNeuralNetwork, Y: Array) -> tuple[Array | None, bool]:
    """For a softmax network, each target row's class Y.argmax(axis=1) as integers, and
    whether every row of Y is one-hot; (None, False) for other tasks.

    Kept once per fit, so that a batch's running accuracy needs no argmax of the target rows
    and, for one-hot rows, its loss is read at the labels (``CrossEntropy.at_labels``).
    """
    if model.task != "multiclass":
        return None, False
    labels = Y.argmax(axis=1)
    # NOTE: with targets in [0, 1], n nonzero entries and a 1 at each row's argmax leave
    # exactly one 1 per row
    one_hot = np.count_nonzero(Y) == len(Y) and bool((Y[np.arange(len(Y)), labels] == 1).all())
    return labels, one_hot


def evaluate(model: DeepNeuralNetwork, X: Array, Y: Array, batch_size: int = 4096) -> Logs:
    """Mean loss and the task's metric over checked (X, Y), in batches to bound memory."""
    loss_sum = hits = 0.0
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start : start + batch_size], Y[start : start + batch_size]
        a, cache = model._forward(Xb)
        loss_sum += model._loss_value(a, cache[-1].z, Yb) * len(Xb)
        hits += _hits(model, a, Yb)
    name = metric_name(model)
    return {"loss": loss_sum / len(X), name: _metric(model, hits, len(X), _total_sum_of_squares(Y))}


@dataclass
class TrainingRun:
    """The state of one ``fit``: what callbacks see as ``self.run``, and what checkpoints keep."""

    model: DeepNeuralNetwork
    optimizer: optimizers.Optimizer
    rng: np.random.Generator
    epochs: int
    batch_size: int
    X: Array
    Y: Array
    validation: tuple[Array, Array] | None = None
    shuffle: bool = True
    augment: Augment | None = None
    callbacks: Sequence[Callback] = ()
    history: History = field(default_factory=History)
    # per fit, not saved: the batches' reused arrays, and the targets' classes (_class_labels)
    _buffers: Buffers = field(init=False, repr=False)
    _labels: Array | None = field(init=False, repr=False)
    _one_hot: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._buffers = Buffers(self.model.dtype)
        self._labels, self._one_hot = _class_labels(self.model, self.Y)

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def train_epoch(self, epoch: int) -> Logs:
        """One pass over the training data in shuffled batches; returns the epoch's logs."""
        model, X, Y, n, size = self.model, self.X, self.Y, len(self.X), self.batch_size
        name = metric_name(model)
        ss_tot = _total_sum_of_squares(Y) if model.task == "regression" else 0.0
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch)
        order = self.rng.permutation(n) if self.shuffle else None
        snapshot = {k: v.copy() for k, v in model.params.items()}
        loss_sum = hits = 0.0
        labels, yb = self._labels, None
        for batch, start in enumerate(range(0, n, size)):
            if order is None:
                Xb, Yb = X[start : start + size], Y[start : start + size]
                if labels is not None:
                    yb = labels[start : start + size]
            else:
                idx = order[start : start + size]
                # NOTE: mode="clip" (idx is always in range): "raise" copies through a buffer
                out = self._buffers.get("X", len(idx), X.shape[1])
                Xb, Yb = X.take(idx, axis=0, out=out, mode="clip"), Y.take(idx, axis=0)
                if labels is not None:
                    yb = labels.take(idx)
            if self.augment is not None:
                Xb = self.augment(Xb, self.rng)
            loss, a = self.train_step(Xb, Yb, yb if self._one_hot else None)
            if not math.isfinite(loss):
                self._diverged(snapshot, epoch, batch, loss)
            loss_sum += loss * len(Xb)
            hits += _hits(model, a, Yb, yb)
            if self.callbacks:  # NOTE: no running logs to build when nobody listens
                seen = min(start + size, n)
                running = {
                    "loss": loss_sum / seen,
                    name: _metric(model, hits, seen, ss_tot * seen / n),
                }
                for cb in self.callbacks:
                    cb.on_batch_end(batch, running)
        logs = {"loss": loss_sum / n, name: _metric(model, hits, n, ss_tot)}
        if self.validation is not None:
            logs.update({f"val_{k}": v for k, v in evaluate(model, *self.validation).items()})
        self.history.append(epoch, logs)
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)
        return logs

    def train_step(self, X: Array, Y: Array, labels: Array | None = None) -> tuple[float, Array]:
        """One update on a batch; returns the batch's loss (before the update) and outputs.

        ``labels``: when Y's rows are one-hot, their classes as integers (the loss is then read
        at the labels, more cheaply). The step's intermediate arrays (the forward cache, the
        deltas, the gradients) live in buffers that the next step overwrites; the returned
        outputs are a new array.
        """
        model, optimizer = self.model, self.optimizer
        rng = self.rng if model._has_dropout else None
        a, cache = model._forward(X, rng=rng, buffers=self._buffers)
        loss = model._loss_value(a, cache[-1].z, Y, labels)
        if not math.isfinite(loss):
            return loss, a  # the caller raises; no update with a non-finite loss
        dz = model._output_delta(a, cache[-1].z, Y)
        # NOTE: plain gradient descent is p -= lr * g, and every gradient is linear in dz:
        # scaling the small delta by lr spares a pass over every large gradient
        lr = optimizer.foldable_learning_rate()
        if lr is not None:
            dz *= lr
        grads = model._backward(dz, cache, buffers=self._buffers)
        optimizer.step(model.params, grads, learning_rate_applied=lr is not None)
        return loss, a

    def _diverged(self, snapshot: dict[str, Array], epoch: int, batch: int, loss: float) -> None:
        """Keep the last finite weights, then raise TrainingDivergedError."""
        params = self.model.params
        if not all(np.isfinite(p).all() for p in params.values()):
            for key, value in snapshot.items():  # the last step overflowed: back to the epoch start
                np.copyto(params[key], value)
        lr = self.optimizer.current_learning_rate
        raise TrainingDivergedError(
            f"training diverged at epoch {epoch + 1}, batch {batch + 1}: the loss is {loss} "
            f"with learning rate {lr:g}. Try a lower learning rate, such as {lr / 10:g}."
        )

    def save_checkpoint(self, path: str, epochs_done: int) -> None:
        """Weights, optimizer state, random state, completed epochs and history, atomically."""
        save_checkpoint(
            path,
            params=self.model.params,
            optimizer_state=self.optimizer.state_dict(),
            meta={
                "epochs_done": epochs_done,
                "optimizer": optimizers.serialize(self.optimizer),
                "rng": self.rng.bit_generator.state,
                "history": {"epoch": self.history.epoch, "history": self.history.history},
                "layer_sizes": [layer.size for layer in self.model.layers],
            },
        )

    def restore(self, path: str) -> int:
        """Load a checkpoint into this run; returns the number of epochs it had completed."""
        params, state, meta = load_checkpoint(path)
        model = self.model
        sizes = [layer.size for layer in model.layers]
        if meta.get("layer_sizes") != sizes:
            raise CheckpointError(
                f"{path}: written for layer sizes {meta.get('layer_sizes')}, "
                f"but this network has {sizes}"
            )
        for key, value in model.params.items():
            if key not in params or params[key].shape != value.shape:
                found = params[key].shape if key in params else "nothing"
                raise CheckpointError(f"{path}: {key} should be {value.shape}; found {found}")
            np.copyto(value, params[key])
        try:
            saved = meta["optimizer"]["name"]
            if saved != self.optimizer.name:
                raise CheckpointError(
                    f"{path}: written by optimizer {saved!r}, but this fit uses "
                    f"{self.optimizer.name!r}; pass the same optimizer to resume"
                )
            self.optimizer.load_state_dict(state)
            self.rng.bit_generator.state = meta["rng"]
            self.history.epoch = list(meta["history"]["epoch"])
            self.history.history = {k: list(v) for k, v in meta["history"]["history"].items()}
            return int(meta["epochs_done"])
        except (KeyError, TypeError, ValueError) as err:
            if isinstance(err, CheckpointError):
                raise
            raise CheckpointError(f"{path}: incomplete or corrupt checkpoint ({err!r})") from None


def _split_validation(
    model: DeepNeuralNetwork,
    X: Array,
    Y: Array,
    validation_data: tuple[ArrayLike, ArrayLike] | None,
    validation_split: float,
) -> tuple[Array, Array, tuple[Array, Array] | None]:
    """Keras's rule: validation_data wins; else the last ``validation_split`` of the samples
    (taken before any shuffling) are held out."""
    if validation_data is not None:
        try:
            Xv, yv = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, y_val)") from None
        return X, Y, model._check_XY(Xv, yv)
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1); received {validation_split!r}")
    n_val = int(len(X) * validation_split)
    if n_val == 0:
        return X, Y, None
    return X[:-n_val], Y[:-n_val], (X[-n_val:], Y[-n_val:])


def fit(
    model: DeepNeuralNetwork,
    X: ArrayLike,
    y: ArrayLike,
    *,
    epochs: int = 10,
    batch_size: int | None = 32,
    optimizer: str | optimizers.Optimizer | None = None,
    validation_data: tuple[ArrayLike, ArrayLike] | None = None,
    validation_split: float = 0.0,
    shuffle: bool = True,
    seed: int | None = None,
    callbacks: Iterable[Callback] = (),
    verbose: int = 1,
    checkpoint: str | None = None,
    resume_from: str | None = None,
    augment: Augment | None = None,
) -> History:
    """Train with mini-batches; returns the ``History`` of per-epoch loss and metric.

    Parameters
    ----------
    X, y:
        Samples (n, d) and targets: labels (n,) or (n, k), as everywhere in barenet.
    epochs, batch_size:
        Passes over the data, and samples per update (None: the whole set, one batch).
    optimizer:
        An optimizer or its name ("sgd", "adam", "adamw", "rmsprop"). None: plain gradient
        descent with the network's ``learning_rate``.
    validation_data, validation_split:
        A held-out (X, y), or the fraction of the samples (the last ones) to hold out.
    shuffle, seed:
        Reshuffle every epoch; ``seed`` (default: the network's) drives shuffling, dropout and
        augmentation, so the same seed gives bit-identical weights.
    callbacks, verbose:
        ``Callback``s; 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
    checkpoint, resume_from:
        Write a checkpoint at the end of every epoch (atomically); continue from one, running
        only the epochs that remain.
    augment:
        ``augment(X_batch, rng) -> X_batch``, applied to each training batch, e.g.
        ``barenet.augment.random_shift(2)``.

    Raises ``TrainingDivergedError`` when the loss becomes NaN or infinite; the network then
    keeps its last finite weights. On Ctrl-C the last completed epoch's checkpoint (if asked
    for) is on disk and KeyboardInterrupt propagates.
    """
    X, Y = model._check_XY(X, y)
    X, Y, validation = _split_validation(model, X, Y, validation_data, validation_split)
    n = len(X)
    batch_size = n if batch_size is None else int(batch_size)
    if batch_size < 1 or int(epochs) < 0:
        raise ValueError(
            f"batch_size must be >= 1 and epochs >= 0; received {batch_size}, {epochs}"
        )
    run = TrainingRun(
        model=model,
        optimizer=optimizers.SGD(model.learning_rate)
        if optimizer is None
        else optimizers.get(optimizer),
        rng=np.random.default_rng(model.seed if seed is None else seed),
        epochs=int(epochs),
        batch_size=batch_size,
        X=X,
        Y=Y,
        validation=validation,
        shuffle=shuffle,
        augment=augment,
        callbacks=[
            *callbacks,
            *([ModelCheckpoint(checkpoint)] if checkpoint is not None else []),
            *progress_callbacks(verbose),
        ],
    )
    started = time.perf_counter()
    first_epoch = run.restore(resume_from) if resume_from is not None else 0
    for cb in run.callbacks:
        cb.set_run(run)
        cb.on_train_begin()
    model.stop_training = False
    logs: Logs = {}
    # NOTE: a diverging run overflows; the non-finite loss is reported as one clear error
    # instead of a stream of NumPy warnings first
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(first_epoch, run.epochs):
            logs = run.train_epoch(epoch)
            if model.stop_training:
                break
    for cb in run.callbacks:
        cb.on_train_end(logs)
    model.training_summary = {
        "epochs": len(run.history.epoch),
        "samples": len(X),
        "batch_size": run.batch_size,
        "optimizer": optimizers.serialize(run.optimizer),
        "seed": model.seed if seed is None else seed,
        "seconds": round(time.perf_counter() - started, 3),
        "final": logs,
    }
    return run.history
