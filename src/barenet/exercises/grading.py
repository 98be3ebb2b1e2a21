"""Grading a workbook in a child process, so that no learner's code can hang or kill the grader.

``check(directory)`` starts ``python -m barenet.exercises.worker`` and reads its verdicts, one
JSON line per exercise. The child runs the checks in order and arms ``faulthandler`` before
each: if one runs past its time limit, faulthandler writes where the code was to a file and
ends the child. The parent then reports that exercise as a FAIL naming the file and line, and
starts a fresh child for the rest. The same happens, with the exit code, when the learner's
code ends the process itself (``os._exit``, a crash). The parent also kills a child that
outlives its deadline by more than a few seconds.

The child's stdout carries the verdicts only: what the learner's code prints goes to stderr.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .catalogue import BY_KEY, EXERCISES, FILES, Exercise
from .workbook import DEFAULT_TIMEOUT

#: how long the child may take to start (import NumPy and barenet) before the parent gives up
STARTUP_TIMEOUT = 60.0
#: how much longer than the time limit the parent waits before it kills the child itself
GRACE = 5.0


@dataclass(frozen=True)
class Result:
    """One exercise's verdict: PASS, or FAIL with a hint that names what is wrong."""

    exercise: Exercise
    passed: bool
    hint: str = ""

    def __str__(self) -> str:
        e = self.exercise
        verdict = "PASS" if self.passed else "FAIL"
        line = f"{e.number:>2}. {e.title:<28} {verdict}"
        return line if self.passed else f"{line}  {e.file}: {self.hint}"


def check(
    directory: str | os.PathLike[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Grade every exercise of the workbook in ``directory``; one Result each, in order.

    ``timeout`` is the time limit of one exercise's check, in seconds. ``on_result`` is called
    with each Result as it arrives. Raises FileNotFoundError when the directory holds none of
    the workbook's files, and ChildProcessError when the grading process cannot start.
    """
    folder = Path(directory).resolve()
    if not folder.is_dir() or not any((folder / name).exists() for name in FILES):
        raise FileNotFoundError(
            f"{directory} holds no workbook (none of {FILES[0]} ... {FILES[-1]}); "
            f"write one with: barenet exercises {directory}"
        )
    results: list[Result] = []
    remaining = list(EXERCISES)
    while remaining:
        for result in _run_child(folder, remaining, timeout):
            results.append(result)
            remaining.remove(result.exercise)
            if on_result is not None:
                on_result(result)
    return results


def _child_env() -> dict[str, str]:
    """The environment of the child: this barenet first on its path, one BLAS thread."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])  # the folder that holds barenet/
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")  # NOTE: the checks multiply tiny matrices; threads only cost
    return env


def _reader(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _run_child(folder: Path, exercises: Sequence[Exercise], timeout: float) -> list[Result]:
    """Run one child for ``exercises``; the Results it gave, ending with a FAIL for the
    exercise it died on (if it did)."""
    with tempfile.TemporaryDirectory(prefix="barenet-grading-") as scratch:
        dump = Path(scratch) / "traceback.txt"
        command = [
            sys.executable,
            "-m",
            "barenet.exercises.worker",
            str(folder),
            str(timeout),
            str(dump),
            *(e.key for e in exercises),
        ]
        # NOTE: cwd is barenet's own folder, so the child's sys.path[0] never points into the
        # learner's folder (or wherever the grader was started)
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,  # input() in the learner's code fails instead of waiting
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=_child_env(),
            cwd=Path(__file__).resolve().parents[2],
        )
        assert process.stdout is not None  # stdout=PIPE
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
        try:
            return _collect(process, lines, exercises, timeout, dump)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()


def _collect(
    process: subprocess.Popen[str],
    lines: queue.Queue[str | None],
    exercises: Sequence[Exercise],
    timeout: float,
    dump: Path,
) -> list[Result]:
    results: list[Result] = []
    running: Exercise | None = None
    deadline = time.monotonic() + STARTUP_TIMEOUT
    started = killed = False
    while len(results) < len(exercises):
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            line, killed = None, True
            process.kill()
        if line is None:  # the child ended, or was killed
            process.wait()
            if not started:
                raise ChildProcessError(
                    f"the grading process could not start (exit code {process.returncode}); "
                    "its messages are above"
                )
            if running is None:  # pragma: no cover - the child died between two exercises
                running = exercises[len(results)]
            hint = _died(process.returncode, killed, timeout, dump)
            results.append(Result(running, False, hint))
            return results
        message = json.loads(line)
        if message["event"] == "ready":
            started = True
            deadline = time.monotonic() + timeout + GRACE
        elif message["event"] == "start":
            running = BY_KEY[message["key"]]
            deadline = time.monotonic() + timeout + GRACE
        else:
            results.append(Result(BY_KEY[message["key"]], message["passed"], message["hint"]))
            running = None
    return results


def _died(returncode: int | None, killed: bool, timeout: float, dump: Path) -> str:
    """The hint for an exercise whose check never finished."""
    text = dump.read_text(encoding="utf-8", errors="replace") if dump.exists() else ""
    where = _learner_frame(text)
    if text or killed:
        at = f"; it was running {where}" if where else ""
        return f"did not finish within {timeout:g} s: an endless loop?{at}"
    return (
        f"the grading process ended (exit code {returncode}) while running your code: does it "
        "call os._exit, or crash Python?"
    )


def _learner_frame(dump: str) -> str:
    """'01_relu.py, line 12: <code>' for the innermost workbook frame of a faulthandler dump."""
    # NOTE: faulthandler lists the most recent call first
    for path, number in re.findall(r'File "([^"]+)", line (\d+)', dump):
        file = Path(path)
        if file.name in FILES:
            try:
                code = file.read_text(encoding="utf-8").splitlines()[int(number) - 1].strip()
            except (OSError, IndexError):
                code = ""
            return f"{file.name}, line {number}" + (f": {code}" if code else "")
    return ""
