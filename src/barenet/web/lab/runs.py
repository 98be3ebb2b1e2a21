"""The lab's live runs: a bounded registry by id, and the threads that train them.

``Runs`` holds at most ``max_runs`` runs and forgets one nobody asked about for
``idle_seconds``; when full, the least recently seen run idle for EVICT_SECONDS makes room.
``start_training`` gives a run one background thread that makes ``run.speed`` updates a second
in chunks of at most CHUNK_SECONDS under the run's lock, and stops when the run is paused,
reset, diverged, forgotten, or unwatched for AUTO_PAUSE_SECONDS.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

from .. import BadRequest
from .run import LabRun

MAX_RUNS = 4
IDLE_SECONDS = 900.0  # a run nobody asked about for 15 minutes is forgotten
EVICT_SECONDS = 60.0  # with MAX_RUNS runs, one idle this long makes room for a new one
AUTO_PAUSE_SECONDS = 60.0  # background training stops when nobody watches
TICK_SECONDS = 0.04  # the background trainer's tick
CHUNK_SECONDS = 0.05  # the longest it holds a run's lock at a time


class Runs:
    """The live runs by id: at most ``max_runs``, each forgotten after ``idle_seconds``."""

    def __init__(self, max_runs: int, idle_seconds: float, clock: Callable[[], float]) -> None:
        self.max_runs, self.idle_seconds, self.clock = max_runs, idle_seconds, clock
        self.runs: dict[str, LabRun] = {}
        self.pending = 0
        self.streams = 0
        self.lock = threading.Lock()

    def _sweep(self) -> None:
        now = self.clock()
        for key, run in list(self.runs.items()):
            if now - run.last_seen > self.idle_seconds:
                self._drop(key)

    def _drop(self, key: str) -> None:
        run = self.runs.pop(key)
        # NOTE: not under run.lock, which the trainer may hold for a chunk of updates; it reads
        # the status at its next tick and stops
        if run.status == "training":
            run.status = "paused"
        run.changed()

    def reserve(self) -> None:
        """Make room for one more run, or BadRequest 429."""
        with self.lock:
            self._sweep()
            if len(self.runs) + self.pending >= self.max_runs:
                idle = [
                    (run.last_seen, key)
                    for key, run in self.runs.items()
                    if run.status != "training" and self.clock() - run.last_seen >= EVICT_SECONDS
                ]
                if not idle:
                    raise BadRequest(
                        f"at most {self.max_runs} runs at once, and all are in use; DELETE "
                        "/api/runs/{id} one you no longer need, or try again in a minute",
                        429,
                    )
                self._drop(min(idle)[1])
            self.pending += 1

    def add(self, run: LabRun | None) -> str:
        with self.lock:
            self.pending -= 1
            if run is None:
                return ""
            key = secrets.token_hex(6)
            self.runs[key] = run
            return key

    def open_stream(self, limit: int) -> None:
        """Take one of ``limit`` places for an event stream, or BadRequest 429; the stream
        gives it back with ``close_stream`` when it ends."""
        with self.lock:
            if self.streams >= limit:
                raise BadRequest(f"at most {limit} event streams at once", 429)
            self.streams += 1

    def close_stream(self) -> None:
        with self.lock:
            self.streams -= 1

    def get(self, key: str) -> LabRun:
        with self.lock:
            self._sweep()
            run = self.runs.get(key)
        if run is None:
            raise BadRequest(
                f"no run {key[:40]!r}: runs are forgotten after {self.idle_seconds / 60:g} "
                "minutes without a request; create one with POST /api/runs",
                404,
            )
        run.touch()
        return run

    def delete(self, key: str) -> None:
        self.get(key)
        with self.lock:
            if key in self.runs:
                self._drop(key)


# ------------------------------------------------------------------------- background training


def start_training(run: LabRun, clock: Callable[[], float]) -> None:
    """Set ``run`` training and make sure one thread trains it, at ``run.speed`` updates/s."""
    with run.lock:
        if run.status in ("diverged", "done"):
            raise finished(run)
        run.status = "training"
        run.changed()
        if run.trainer is None:
            run.trainer = threading.Thread(
                target=_train, args=(run, clock), name="barenet-lab-trainer", daemon=True
            )
            run.trainer.start()


def _train(run: LabRun, clock: Callable[[], float]) -> None:
    """The trainer's loop: every tick, the updates due at ``run.speed``, for at most a chunk of
    time under the run's lock; it ends (under the lock) when the run stops training."""
    credit, last = 0.0, time.monotonic()
    while True:
        with run.lock:
            if run.status == "training" and clock() - run.last_seen > AUTO_PAUSE_SECONDS:
                run.status = "paused"  # nobody is watching
                run.changed()
            if run.status != "training":
                run.trainer = None
                return
            now = time.monotonic()
            # NOTE: capped, so a slow tick does not turn into a burst of updates later
            credit = min(credit + (now - last) * run.speed, max(1.0, run.speed * 2 * TICK_SECONDS))
            last = now
            if credit >= 1:
                credit -= run.step(int(credit), deadline=now + CHUNK_SECONDS)
            if run.status != "training":
                run.trainer = None
                return
        time.sleep(TICK_SECONDS)


def set_controls(run: LabRun, learning_rate: float | None, speed: int | None) -> None:
    with run.lock:
        if learning_rate is not None:
            run.set_learning_rate(learning_rate)
        if speed is not None:
            run.speed = speed
            run.changed()


def pause_training(run: LabRun) -> None:
    with run.lock:
        if run.status == "training":
            run.status = "paused"
            run.changed()


def finished(run: LabRun) -> BadRequest:
    if run.status == "diverged":
        return BadRequest(
            f"the run diverged at step {run.steps} (the loss is no longer finite); reset it, "
            "and try a lower learning rate",
            409,
        )
    return BadRequest(
        f"the run reached its last step ({run.steps}); reset it or start another", 409
    )
