"""Callbacks: code that ``fit`` calls at the edges of epochs and batches, Keras-style.

``fit`` calls, in order: ``on_train_begin``, then per epoch ``on_epoch_begin``,
``on_batch_end`` after each update, ``on_epoch_end`` with the epoch's logs (``loss``, the task's
metric, ``val_loss``, ``val_<metric>``), and finally ``on_train_end``. Each callback sees the
network as ``self.model`` and the run (optimizer, random generator, history) as ``self.run``.
A callback stops training by setting ``self.model.stop_training = True``.

Also here: ``History`` (what ``fit`` returns), ``EarlyStopping``, ``ModelCheckpoint`` and the
two progress reporters behind ``fit``'s ``verbose`` (the only printing in the library).
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .network import DeepNeuralNetwork
    from .training import TrainingRun

Logs = dict[str, float]


class History:
    """Per-epoch results: ``history.history["loss"][i]`` is epoch ``history.epoch[i]``'s loss.

    ``unit`` names what one entry is: "epoch" for ``fit``, "iteration" for ``train_model``,
    whose every epoch is one full-batch update; ``history.iteration`` is ``history.epoch``
    under that name.
    """

    def __init__(self, unit: str = "epoch") -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.unit = unit

    @property
    def iteration(self) -> list[int]:
        """The entries' indices, 0, 1, ...: ``epoch`` by the name ``train_model`` uses."""
        return self.epoch

    def append(self, epoch: int, logs: Logs) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        last = {k: round(v[-1], 4) for k, v in self.history.items()}
        n = len(self.epoch)
        return f"<History: {n} {self.unit}{'' if n == 1 else 's'}, last {last}>"


class Callback:
    """Base class: override any of the ``on_*`` methods; the rest do nothing."""

    model: DeepNeuralNetwork
    run: TrainingRun

    def set_run(self, run: TrainingRun) -> None:
        self.run = run
        self.model = run.model

    def on_train_begin(self, logs: Logs | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        pass

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        pass

    def on_train_end(self, logs: Logs | None = None) -> None:
        pass


class _Monitor:
    """Tracks the best value of one logged quantity; "auto" mode maximizes accuracy-like
    quantities (accuracy, r2, f1) and minimizes everything else."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        if mode == "auto":
            mode = "max" if any(s in monitor for s in ("acc", "r2", "f1")) else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max'; received {mode!r}")
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(float(min_delta))
        self.best = math.inf if mode == "min" else -math.inf

    def improved(self, logs: Logs | None) -> bool:
        """True (and remembers the value) when logs[monitor] beats the best by min_delta."""
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(
                f"cannot monitor {self.monitor!r}: this run logs {sorted(logs)}. "
                "Monitoring 'val_*' needs validation_data or validation_split."
            )
        value = logs[self.monitor]
        if self.mode == "min":
            better = value < self.best - self.min_delta
        else:
            better = value > self.best + self.min_delta
        if better:
            self.best = value
        return better


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights``, the network ends with the weights of its best epoch.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
        mode: str = "auto",
    ) -> None:
        if patience < 0:
            raise ValueError(f"patience must be >= 0; received {patience}")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.restore_best_weights = restore_best_weights
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._tracker = _Monitor(self.monitor, self.mode, self.min_delta)
        self._wait = 0
        self._best_weights: dict[str, np.ndarray] | None = None
        self.stopped_epoch = self.best_epoch = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self._tracker.improved(logs):
            self._wait, self.best_epoch = 0, epoch
            if self.restore_best_weights:
                self._best_weights = {k: v.copy() for k, v in self.model.params.items()}
            return
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch is not None and self._best_weights is not None:
            for key, best in self._best_weights.items():
                np.copyto(self.model.params[key], best)

    @property
    def best(self) -> float:
        return self._tracker.best


class ModelCheckpoint(Callback):
    """Write a training checkpoint at the end of each epoch (atomically), or with
    ``save_best_only`` only when ``monitor`` improves.

    ``path`` may hold ``{epoch}`` and any logged name, e.g. ``"ckpt-{epoch:02d}.npz"``.
    ``fit(..., resume_from=path)`` continues from the file.
    """

    def __init__(
        self,
        path: str,
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
    ) -> None:
        self.path, self.monitor, self.save_best_only, self.mode = (
            str(path),
            monitor,
            save_best_only,
            mode,
        )
        self.last_saved: str | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._tracker = _Monitor(self.monitor, self.mode, 0.0)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_best_only and not self._tracker.improved(logs):
            return
        path = self.path.format(epoch=epoch + 1, **(logs or {}))
        self.run.save_checkpoint(path, epochs_done=epoch + 1)
        self.last_saved = path


def _format_logs(logs: Logs) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class EpochLogger(Callback):
    """``verbose=2``: one line per epoch on standard output ("Epoch 3/10 - loss: ...").

    ``unit`` names the epochs ("iteration" for ``train_model``). ``every=k`` prints every k-th
    epoch and the last; ``every=None`` prints about ten lines in all when each epoch is a
    single update (a full-batch run), else every epoch.
    """

    def __init__(self, unit: str = "epoch", every: int | None = 1) -> None:
        if every is not None and (isinstance(every, bool) or not 1 <= every):
            raise ValueError(f"every must be a whole number >= 1 or None; received {every!r}")
        self.unit, self.every = unit, every

    def on_train_begin(self, logs: Logs | None = None) -> None:
        single = self.run.batches_per_epoch == 1
        auto = max(1, self.run.epochs // 10) if single else 1
        self._every = auto if self.every is None else self.every

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if (epoch + 1) % self._every and epoch + 1 != self.run.epochs:
            return
        line = f"{self.unit.capitalize()} {epoch + 1}/{self.run.epochs}"
        print(f"{line} - {_format_logs(logs or {})}", flush=True)


class ProgressBar(Callback):
    """``verbose=1``: a tqdm bar per epoch with the running loss and metric.

    When each epoch is a single update (full-batch training, as in ``train_model``), a bar per
    epoch would be a screenful of one-step bars: there is one bar over the whole run instead,
    counting ``unit``s ("epoch", or "iteration" for ``train_model``) with the last logs.
    """

    def __init__(self, unit: str = "epoch") -> None:
        from tqdm.auto import tqdm  # NOTE: optional dependency, imported only when used

        self._tqdm = tqdm
        self.unit = unit
        self._bar: Any = None
        self._whole_run = False

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._whole_run = self.run.batches_per_epoch == 1
        if self._whole_run:
            self._bar = self._tqdm(
                total=self.run.epochs,
                initial=len(self.run.history.epoch),  # resumed: the epochs already done
                desc=f"{self.unit}s",
                unit="it" if self.unit == "iteration" else self.unit,
                leave=True,
                file=sys.stderr,
            )

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self._whole_run:
            return
        self._bar = self._tqdm(
            total=self.run.batches_per_epoch,
            desc=f"{self.unit.capitalize()} {epoch + 1}/{self.run.epochs}",
            unit="batch",
            leave=True,
            file=sys.stderr,
        )

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._whole_run:
            return
        self._bar.update(1)
        if batch % 20 == 0 or batch + 1 == self.run.batches_per_epoch:
            self._bar.set_postfix_str(_format_logs(logs or {}), refresh=False)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self._whole_run:
            self._bar.set_postfix_str(_format_logs(logs or {}), refresh=False)
            self._bar.update(1)  # NOTE: tqdm redraws at most every 0.1 s, postfix included
            return
        self._bar.set_postfix_str(_format_logs(logs or {}))
        self._bar.close()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._bar is not None:
            self._bar.close()


def progress_callbacks(verbose: int, unit: str = "epoch") -> list[Callback]:
    """The reporters for ``fit``'s ``verbose``: 0 silent, 1 a bar (``ProgressBar``; without
    tqdm, ``EpochLogger(every=None)``), 2 one line per epoch. ``unit`` names the epochs in
    what they print: "epoch", or "iteration" for ``train_model``."""
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2; received {verbose!r}")
    if verbose == 1:
        try:
            return [ProgressBar(unit)]
        except ImportError:
            return [EpochLogger(unit, every=None)]
    return [EpochLogger(unit)] if verbose == 2 else []
