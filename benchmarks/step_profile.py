"""Where barenet's training step spends its time above the matrix-product floor.

Usage:
    python benchmarks/step_profile.py [--workloads w1,w2,w3] [--epochs 3]

For each workload of ``speed.py``, barenet's own ``fit`` runs with a timer around each phase of
its step (the phases are barenet's methods, wrapped at class level; nothing else changes):

- *batch*: shuffling and gathering the batch's rows (``TrainingRun.batches``);
- *forward*: ``x @ W + b`` and the activation for every layer (``_forward``);
- *loss*: the loss value and the output delta (``_loss_value``, ``_output_delta``);
- *backward*: ``x.T @ dz``, the bias sums and ``dz @ W.T`` times the activation's derivative
  (``_backward``);
- *update*: the optimizer's step over every parameter (``optimizer.step``);
- *rest*: what ``fit`` spends outside those (the running loss and accuracy, the Python loop).

Beside them, the same run's matrix products alone (``peers.floor_numpy``'s products, split into
the forward ones and the backward ones) give what forward and backward cannot go below. Medians
over ``--epochs`` epochs, milliseconds per epoch. Needs `pip install -e ".[bench]"`.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import _machine  # beside this script
import peers
from speed import TRAINING

PHASES = ("batch", "forward", "loss", "backward", "update", "rest")


class Timers:
    def __init__(self) -> None:
        self.seconds = dict.fromkeys(PHASES, 0.0)

    def wrap(self, owner: type, name: str, phase: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - start

        setattr(owner, name, timed)

    def wrap_generator(self, owner: type, name: str, phase: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            items = original(*args, **kwargs)
            while True:
                start = time.perf_counter()
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    self.seconds[phase] += time.perf_counter() - start
                yield item

        setattr(owner, name, timed)


def barenet_epochs(X, y, sizes, optimizer, lr, batch, epochs, seed) -> list[dict[str, float]]:
    """Per epoch, seconds per phase of barenet's ``fit`` (see the module's docstring)."""
    from barenet import callbacks, optimizers, training
    from barenet.network import DeepNeuralNetwork as Network

    timers = Timers()
    timers.wrap_generator(training.TrainingRun, "batches", "batch")
    timers.wrap(Network, "_forward", "forward")
    timers.wrap(Network, "_loss_value", "loss")
    timers.wrap(Network, "_output_delta", "loss")
    timers.wrap(Network, "_backward", "backward")
    timers.wrap(type(optimizers.get(optimizer)), "step", "update")

    per_epoch: list[dict[str, float]] = []
    clock = {"start": 0.0}

    class Epochs(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            timers.seconds = dict.fromkeys(PHASES, 0.0)
            clock["start"] = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            total = time.perf_counter() - clock["start"]
            phases = dict(timers.seconds)
            phases["rest"] = total - sum(phases.values())
            per_epoch.append(phases)

    peers.train_barenet(X, y, sizes, optimizer, lr, batch, epochs, seed, callbacks=[Epochs()])
    return per_epoch


def floor_split(X, sizes, batch, repeats, seed) -> tuple[float, float]:
    """Seconds per epoch of the forward products and of the backward products alone (the
    median of ``repeats`` epochs), on ``peers.floor_numpy``'s arrays, the two timed apart but
    run in turn, batch by batch, as in a training step."""
    Ws, dWs, arrays = peers.floor_arrays(X, sizes, batch, seed)
    forward, backward = [], []
    for _ in range(repeats + 1):  # the first is a warm-up
        f = b = 0.0
        for m in peers._batch_sizes(len(X), batch):
            xs, dzs, zs, das = arrays[m]
            start = time.perf_counter()
            peers.floor_forward(Ws, xs, zs)
            middle = time.perf_counter()
            peers.floor_backward(Ws, dWs, xs, dzs, das)
            f, b = f + middle - start, b + time.perf_counter() - middle
        forward.append(f)
        backward.append(b)
    return statistics.median(forward[1:]), statistics.median(backward[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="w1,w2,w3")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    from barenet.datasets import load_mnist

    X, y, _, _ = load_mnist()
    print(f"Machine: {_machine.describe()}\n")
    print(
        "| workload | batch | forward (products) | loss | backward (products) | update "
        "| rest | epoch | floor | epoch / floor |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.workloads.split(","):
        _, sizes, optimizer, lr, batch, _ = TRAINING[name]
        if batch is None:
            raise SystemExit(f"{name}: a full-batch workload; this profile is for mini-batches")
        epochs = barenet_epochs(X, y, sizes, optimizer, lr, batch, args.epochs + 1, seed=0)[1:]
        med = {p: 1e3 * statistics.median(e[p] for e in epochs) for p in PHASES}
        total = 1e3 * statistics.median(sum(e.values()) for e in epochs)
        f_floor, b_floor = (1e3 * s for s in floor_split(X, sizes, batch, 3, seed=0))
        floor = f_floor + b_floor
        print(
            f"| {name} | {med['batch']:.0f} | {med['forward']:.0f} ({f_floor:.0f}) "
            f"| {med['loss']:.0f} | {med['backward']:.0f} ({b_floor:.0f}) "
            f"| {med['update']:.0f} | {med['rest']:.0f} | {total:.0f} | {floor:.0f} "
            f"| {total / floor:.2f}× |"
        )


if __name__ == "__main__":
    main()
