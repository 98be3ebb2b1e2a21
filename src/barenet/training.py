"""fit: mini-batch training, the glue between network, loss, optimizer and callbacks.

One training step is forward, output delta, backward (``TrainingRun._block_gradients``), then
the optimizer's step (``TrainingRun.train_step``, which takes a very large batch in row
blocks). Around it, ``fit`` shuffles once per epoch, cuts batches, applies augmentation and
dropout (training only), keeps running loss and metric, validates, writes checkpoints and
reports through callbacks. The same seed gives bit-identical weights.

Left out on purpose: no second "fast" engine. Speed comes from how the one path is written.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from . import optimizers
from ._buffers import Buffers
from ._checks import whole_number
from .activations import Array
from .callbacks import Callback, History, ModelCheckpoint, progress_callbacks
from .checkpoints import restore_run, save_run
from .exceptions import DataWarning, warn
from .schedules import _check_number

if TYPE_CHECKING:
    from .network import DeepNeuralNetwork

Augment = Callable[[Array, np.random.Generator], Array]
Logs = dict[str, float]


#: Training has diverged when a batch's loss exceeds this many times its reference: the
#: larger of the first batch's loss and the loss of the best constant prediction.
DIVERGENCE_FACTOR = 1e3
#: a batch of more rows than twice this goes through the network in blocks of this many rows
ROW_BLOCK = 2048


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite, or exploded (see ``DIVERGENCE_FACTOR``), or the weights
    became non-finite: the learning rate is almost always too high."""


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


def _class_labels(model: DeepNeuralNetwork, Y: Array) -> Array | None:
    """For a softmax network whose every target row is one-hot, each row's class
    Y.argmax(axis=1) as integers; None otherwise (other tasks, soft targets).

    Kept once per fit, so that a batch's running accuracy needs no argmax of the target rows
    and its loss is read at the labels (``CrossEntropy.at_labels``).
    """
    if model.task != "multiclass":
        return None
    labels = Y.argmax(axis=1)
    # NOTE: with targets in [0, 1], n nonzero entries and a 1 at each row's argmax leave
    # exactly one 1 per row
    one_hot = np.count_nonzero(Y) == len(Y) and bool((Y[np.arange(len(Y)), labels] == 1).all())
    return labels if one_hot else None


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
    #: a batch loss above this (or NaN) is divergence; set after the first batch by loss_limit
    max_loss: float | None = None
    clip_norm: float | None = None  # fit's clip_norm: the gradients' global norm, at most
    # per fit, not saved: the batches' reused arrays, and the one-hot targets' classes
    _buffers: Buffers = field(init=False, repr=False)
    _labels: Array | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._buffers = Buffers(self.model.dtype)
        self._labels = _class_labels(self.model, self.Y)

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def train_epoch(self, epoch: int) -> Logs:
        """One pass over the training data in shuffled batches; returns the epoch's logs."""
        model, Y, n, size = self.model, self.Y, len(self.X), self.batch_size
        name = metric_name(model)
        ss_tot = _total_sum_of_squares(Y) if model.task == "regression" else 0.0
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch)
        snapshot = {k: v.copy() for k, v in model.params.items()}
        loss_sum = hits = 0.0
        for batch, (Xb, Yb, yb) in enumerate(self.batches()):
            start = batch * size
            loss, a = self.train_step(Xb, Yb, yb)
            if self.max_loss is None:
                self.max_loss = self.loss_limit(loss)
            if not math.isfinite(loss) or loss > self.max_loss:
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
        if not all(np.isfinite(p).all() for p in model.params.values()):
            # NOTE: the last update of the epoch has no loss of its own that would show it
            self._diverged(snapshot, epoch, batch, loss, weights=True)
        logs = {"loss": loss_sum / n, name: _metric(model, hits, n, ss_tot)}
        if self.validation is not None:
            logs.update({f"val_{k}": v for k, v in evaluate(model, *self.validation).items()})
        self.history.append(epoch, logs)
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)
        return logs

    def batches(self) -> Iterator[tuple[Array, Array, Array | None]]:
        """One epoch's mini-batches, in the order ``train_epoch`` trains on them: the rows
        shuffled by the run's rng (when ``shuffle``, and there is more than one batch), cut
        every ``batch_size`` rows (the last batch may be smaller), each augmented (when
        ``augment``) just before it is yielded.
        With each batch come its classes as integers when the targets are one-hot rows (for
        ``train_step`` and the running accuracy), else None.

        A shuffled batch is gathered into an array that the next batch overwrites.
        Shapes: -> (Xb (b, d), Yb (b, k), yb (b,) or None) per batch, b <= batch_size
        """
        X, Y, labels, n, size = self.X, self.Y, self._labels, len(self.X), self.batch_size
        # NOTE: one batch of all the rows: shuffling would only copy X
        order = self.rng.permutation(n) if self.shuffle and size < n else None
        yb = None
        for start in range(0, n, size):
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
            yield Xb, Yb, yb

    def train_step(self, X: Array, Y: Array, labels: Array | None = None) -> tuple[float, Array]:
        """One update on a batch; returns the batch's loss (before the update) and outputs.

        ``labels``: when Y's rows are one-hot, their classes as integers (the loss is then read
        at the labels, more cheaply). The step's intermediate arrays (the forward cache, the
        deltas, the gradients) live in buffers that the next step overwrites; the returned
        outputs are a new array.

        A batch of more than 2 * ROW_BLOCK rows (full-batch training: the post's experiment)
        goes through the network in blocks of ROW_BLOCK rows, and the one update uses their
        gradients summed. The loss is a mean over the batch's n samples, so with n_b samples
        in block b, L = sum_b (n_b / n) * L_b and dL/dp = sum_b (n_b / n) * dL_b/dp: the same
        update, to float rounding. Each block's x is still in the CPU's cache when its
        backward pass reads it again, which makes a full-batch MNIST step about a quarter
        faster than one pass over all 60,000 rows. When a block's loss is not finite, the step
        makes no update and returns at once, with the outputs of the blocks so far.
        """
        model, optimizer = self.model, self.optimizer
        n = len(X)
        block = n if n <= 2 * ROW_BLOCK else ROW_BLOCK
        # NOTE: plain gradient descent is p -= lr * g, and every gradient is linear in dz:
        # scaling the small delta by lr spares a pass over every large gradient
        lr = None if self.clip_norm is not None else optimizer.foldable_learning_rate()
        loss, outputs, grads = 0.0, [], {}
        for start in range(0, n, block):
            rows = slice(start, start + block)
            share = min(block, n - start) / n  # n_b / n
            loss_b, a, block_grads = self._block_gradients(
                X[rows],
                Y[rows],
                None if labels is None else labels[rows],
                share if lr is None else share * lr,
            )
            loss += share * loss_b
            outputs.append(a)
            if not math.isfinite(loss):
                break  # the caller raises; no update with a non-finite loss
            if block == n:
                grads = block_grads
            else:  # NOTE: block_grads are buffers the next block overwrites: sum into others
                for key, g in block_grads.items():
                    grads[key] = total = self._buffers.get(f"sum/{key}", *g.shape)
                    if start:
                        total += g
                    else:
                        np.copyto(total, g)
        a = outputs[0] if len(outputs) == 1 else np.concatenate(outputs)
        if not math.isfinite(loss):
            return loss, a
        if self.clip_norm is not None:
            optimizers.clip_by_global_norm(grads, self.clip_norm)
        optimizer.step(model.params, grads, learning_rate_applied=lr is not None)
        return loss, a

    def _block_gradients(
        self, X: Array, Y: Array, labels: Array | None, scale: float
    ) -> tuple[float, Array, dict[str, Array]]:
        """Forward, loss, output delta (times ``scale``) and backward for some rows of a batch:
        their mean loss, their outputs, and ``scale`` times their loss's gradients (empty when
        the loss is not finite)."""
        model = self.model
        rng = self.rng if model._has_dropout else None
        a, cache = model._forward(X, rng=rng, buffers=self._buffers)
        loss = model._loss_value(a, cache[-1].z, Y, labels)
        if not math.isfinite(loss):
            return loss, a, {}
        dz = model._output_delta(a, cache[-1].z, Y)
        if scale != 1.0:
            dz *= scale
        return loss, a, model._backward(dz, cache, buffers=self._buffers)

    def loss_limit(self, first_loss: float) -> float:
        """The largest batch loss that is not divergence: DIVERGENCE_FACTOR times the larger
        of the first batch's loss and the loss of predicting the mean target for every sample
        (the class entropy, at most log k, for cross-entropy; the targets' variance for mse),
        so a run that starts with a small loss (resumed, or nearly fitted) may still rise."""
        Y = self.Y
        constant = self.model.loss_function(np.tile(Y.mean(axis=0), (len(Y), 1)), Y)
        reference = max(first_loss, constant)
        return DIVERGENCE_FACTOR * reference if reference > 0 else math.inf

    def _diverged(
        self,
        snapshot: dict[str, Array],
        epoch: int,
        batch: int,
        loss: float,
        weights: bool = False,
    ) -> None:
        """Go back to the weights of the epoch's start, then raise TrainingDivergedError."""
        for key, value in snapshot.items():
            np.copyto(self.model.params[key], value)
        if weights:
            what = f"its last update (batch {batch + 1}) made the weights non-finite"
        elif math.isfinite(loss):
            start = (self.max_loss or 0.0) / DIVERGENCE_FACTOR
            what = f"batch {batch + 1}: the loss is {loss:.3g}, over {DIVERGENCE_FACTOR:g}"
            what += f" times its starting level {start:.3g}"
        else:
            what = f"batch {batch + 1}: the loss is {loss}"
        lr = self.optimizer.current_learning_rate
        raise TrainingDivergedError(
            f"training diverged at epoch {epoch + 1}, {what}, with learning rate {lr:g}. "
            f"Try a lower learning rate, such as {lr / 10:g}."
        )

    def save_checkpoint(self, path: str, epochs_done: int) -> None:
        """Weights, optimizer state, random state, completed epochs and history, atomically
        (``checkpoints.save_run``)."""
        save_run(self, path, epochs_done)

    def restore(self, path: str) -> int:
        """Load a checkpoint into this run, everything checked before anything changes
        (``checkpoints.restore_run``); returns the number of epochs it had completed."""
        return restore_run(self, path)


def _split_validation(
    model: DeepNeuralNetwork,
    X: Array,
    Y: Array,
    validation_data: tuple[ArrayLike, ArrayLike] | None,
    validation_split: float,
) -> tuple[Array, Array, tuple[Array, Array] | None]:
    """validation_data, or else the last ``validation_split`` of the samples (taken before any
    shuffling) held out; not both (Keras lets validation_data win silently)."""
    if validation_data is not None and validation_split:
        raise ValueError(
            f"pass validation_data or validation_split, not both (received validation_split="
            f"{validation_split!r} and validation_data); the split would be ignored"
        )
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
    clip_norm: float | None = None,
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
        ``Callback``s; 0 silent, 1 a progress bar per epoch (one bar over the run when each
        epoch is a single batch), 2 one line per epoch.
    checkpoint, resume_from:
        Write a checkpoint at the end of every epoch (atomically); continue from one, running
        only the epochs that remain.
    augment:
        ``augment(X_batch, rng) -> X_batch``, applied to each training batch, e.g.
        ``barenet.augment.random_shift(2)``.
    clip_norm:
        Scale each batch's gradients to a global L2 norm of at most ``clip_norm`` before the
        optimizer's step (``optimizers.clip_by_global_norm``), whatever the optimizer. An
        optimizer built with its own ``clip_norm`` does the same: set it in one place, not
        both (ValueError).

    Warns ``DataWarning`` when X looks unscaled, such as raw 0..255 pixels (the rule is in
    ``warn_if_unscaled``).

    Raises ``TrainingDivergedError`` when a batch's loss becomes NaN, infinite or more than
    ``DIVERGENCE_FACTOR`` (1000) times the loss it started from (see ``TrainingRun.loss_limit``),
    or when an epoch ends with non-finite weights; the network then has the weights it had
    at the start of that epoch, so ``fit`` never leaves non-finite weights. ValueError for
    0 samples, complex or non-finite X, bad targets (see ``Loss.check_targets``), and
    ``epochs`` or ``batch_size`` that are not whole numbers (1.7, True and "3" are refused).
    On Ctrl-C the last completed epoch's checkpoint (if asked
    for) is on disk and KeyboardInterrupt propagates.
    """
    epochs = whole_number("epochs", epochs, minimum=0)
    if batch_size is not None:
        batch_size = whole_number("batch_size", batch_size, minimum=1)
    X, Y = model._check_XY(X, y)
    if len(X) == 0:
        raise ValueError("fit needs at least one sample; X has 0 rows")
    warn_if_unscaled(X)
    X, Y, validation = _split_validation(model, X, Y, validation_data, validation_split)
    batch_size = len(X) if batch_size is None else batch_size
    run_optimizer = (
        optimizers.SGD(model.learning_rate) if optimizer is None else optimizers.get(optimizer)
    )
    if clip_norm is not None:
        clip_norm = _check_number("fit", "clip_norm", clip_norm, "> 0 (or None)", lambda x: x > 0)
        if run_optimizer.clip_norm is not None:
            raise ValueError(
                f"clip_norm is set twice: fit(clip_norm={clip_norm:g}) and the optimizer's "
                f"clip_norm={run_optimizer.clip_norm:g}; set it in one place"
            )
    run = TrainingRun(
        model=model,
        optimizer=run_optimizer,
        rng=np.random.default_rng(model.seed if seed is None else seed),
        epochs=epochs,
        batch_size=batch_size,
        X=X,
        Y=Y,
        validation=validation,
        shuffle=shuffle,
        augment=augment,
        clip_norm=clip_norm,
        callbacks=[
            *callbacks,
            *([ModelCheckpoint(checkpoint)] if checkpoint is not None else []),
            *(reporters := progress_callbacks(verbose)),
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
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(first_epoch, run.epochs):
                logs = run.train_epoch(epoch)
                if model.stop_training:
                    break
    except BaseException:
        for cb in reporters:  # NOTE: close the epoch's progress bar: the error gets its own line
            cb.on_train_end(logs)
        raise
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
    if clip_norm is not None:
        model.training_summary["clip_norm"] = clip_norm
    return run.history


def warn_if_unscaled(X: Array) -> None:
    """Warn ``DataWarning`` when X looks unscaled: raw pixels, counts, codes.

    The rule: the values of about 100 evenly spaced rows are all whole numbers, and the
    largest magnitude in X is 16 or more. 8-bit pixels (0..255, as uint8 or converted to float)
    and scikit-learn's 8x8 digits (0..16) warn; scaled or standardized data, measurements with
    fractions, 0/1 features and small whole numbers (hand-worked examples, codes 0..15) pass in
    silence. The cost: one pass for the maximum, one for the minimum.
    """
    if X.size == 0:
        return
    low, high = float(X.min()), float(X.max())
    if max(high, -low) < 16.0:
        return
    rows = X[:: max(1, len(X) // 100)]
    if not np.array_equal(rows, np.floor(rows)):
        return
    warn(
        f"X holds whole numbers from {low:g} to {high:g}: it looks unscaled (raw pixels, "
        "counts), and unscaled inputs train badly (a huge loss, chance accuracy). Scale it "
        "first: divide 8-bit pixels by 255 (X / 255), or standardize the features (e.g. "
        "scikit-learn's StandardScaler).",
        DataWarning,
    )
