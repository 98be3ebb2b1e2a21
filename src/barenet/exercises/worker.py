"""The grading process: ``python -m barenet.exercises.worker FOLDER TIMEOUT DUMP KEY...``.

Started by ``grading.check``, never by hand. It grades the given exercises in order and writes
one JSON line per event to its stdout: ``ready`` once NumPy and barenet are imported, then
``start`` and ``result`` for each exercise. Before each check it arms ``faulthandler``, which
writes where the code was to DUMP and ends this process when the check runs past TIMEOUT
seconds: an endless loop in the learner's code cannot hang the grader.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any


def main(argv: Sequence[str]) -> int:
    """Grade ``keys`` of the workbook in ``folder``, one JSON line per event on stdout."""
    folder, timeout, dump_path, *keys = argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it ends this child
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # NOTE: whatever the learner's code prints goes to stderr, not into the verdicts
    sys.stdout = sys.stderr
    sys.dont_write_bytecode = True  # no __pycache__ in the learner's folder

    def emit(**message: Any) -> None:
        out.write(json.dumps(message) + "\n")

    from .checks import run_check
    from .kit import Workbook

    workbook = Workbook(folder)
    emit(event="ready")
    with open(dump_path, "w", encoding="utf-8") as dump:
        for key in keys:
            emit(event="start", key=key)
            faulthandler.dump_traceback_later(float(timeout), exit=True, file=dump)
            passed, hint = run_check(workbook, key)
            faulthandler.cancel_dump_traceback_later()
            emit(event="result", key=key, passed=passed, hint=hint)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
