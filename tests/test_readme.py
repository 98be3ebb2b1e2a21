"""README.md: every ```python block runs as pasted, in order, in one fresh interpreter.

The blocks are executed one after the other in a single new Python process (its own empty
namespace, a temporary working directory), exactly as written, as if pasted into one script.
Tracebacks name README.md and its line.

The one fixture: a short prelude, run before the first block, cuts
``barenet.datasets.load_mnist`` to the first ``N_TRAIN`` training and ``N_TEST`` test images
of the real MNIST, so that the README's trainings (1000 full-batch iterations, 10 epochs, a
grid search) take seconds instead of minutes. Nothing else changes: same code, same
iterations, epochs and arguments; only the data is smaller, so the numbers printed differ.
The process gets one BLAS thread unless the environment sets one (see ``BLAS_THREADS``).

The numbers in the README's comments (``# prints 0.9...``) are from the full data. With
``BARENET_README_FULL=1`` the test runs without the prelude, on all of MNIST (minutes), and
checks that each ``print(...)  # prints X`` line printed X.

A block may opt out with ``<!-- no-test -->`` on the line before its fence; use it only for
code that cannot run in a test (one that serves forever). Marked ``mnist``.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
N_TRAIN, N_TEST = 1000, 300
NO_TEST = "<!-- no-test -->"
# One BLAS thread unless the environment says otherwise: the sliced trainings' small products
# gain nothing from more, and on a busy machine spinning BLAS threads made the run 7x slower
# (16 s against 113 s of wall time, measured with the other helpers' load).
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

PRELUDE = f"""
import barenet.datasets

_load_mnist = barenet.datasets.load_mnist


def _mnist_slice(*args, **kwargs):
    X, y, X_test, y_test = _load_mnist(*args, **kwargs)
    return X[:{N_TRAIN}], y[:{N_TRAIN}], X_test[:{N_TEST}], y_test[:{N_TEST}]


barenet.datasets.load_mnist = _mnist_slice
"""

RUNNER = """
import json
import sys

blocks = json.load(open(sys.argv[1], encoding="utf-8"))
exec(compile(blocks["prelude"], "test_readme prelude", "exec"), {"__name__": "prelude"})
namespace = {"__name__": "__main__"}
for line, code in blocks["blocks"]:
    print(f"@@ README.md block at line {line}", flush=True)
    # NOTE: padded with blank lines, so tracebacks give the line numbers of README.md
    exec(compile("\\n" * (line - 1) + code, "README.md", "exec"), namespace)
print("@@ done", flush=True)
"""


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(first code line, code) of each ```python block, in order, without the opted-out ones."""
    blocks: list[tuple[int, str]] = []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            previous = next((s.strip() for s in reversed(lines[:i]) if s.strip()), "")
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            if previous != NO_TEST:
                blocks.append((i + 2, "".join(lines[i + 1 : end])))
            i = end
        i += 1
    return blocks


def expected_prints(blocks: list[tuple[int, str]]) -> list[str]:
    """What ``print(...)  # prints X`` lines promise, in order."""
    return [
        match.group(1).strip()
        for _, code in blocks
        for match in re.finditer(r"^\s*print\(.*\)\s+# prints (.+)$", code, re.MULTILINE)
    ]


def test_blocks_are_found_in_order_and_can_opt_out():
    text = (
        "intro\n```python\na = 1\n```\n```sh\nls\n```\n"
        f"{NO_TEST}\n\n```python\nserve()\n```\n```python\nb = a + 1\nc = 2\n```\n"
    )
    assert python_blocks(text) == [(3, "a = 1\n"), (14, "b = a + 1\nc = 2\n")]
    assert expected_prints([(1, "print(b)  # prints 2\nprint(3)  # three\n")]) == ["2"]


def run_readme(tmp_path: Path, prelude: str, timeout: float) -> subprocess.CompletedProcess:
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 3, "README.md should hold its Python examples"
    (tmp_path / "blocks.json").write_text(json.dumps({"prelude": prelude, "blocks": blocks}))
    (tmp_path / "runner.py").write_text(RUNNER)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT / "src"))
    for name in BLAS_THREADS:
        env.setdefault(name, "1")
    return subprocess.run(
        [sys.executable, "runner.py", "blocks.json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def check_ran(result: subprocess.CompletedProcess) -> None:
    if result.returncode != 0 or "@@ done" not in result.stdout:
        started = re.findall(r"@@ (README\.md block at line \d+)", result.stdout)
        where = started[-1] if started else "the prelude"
        err = result.stderr
        traceback = err[err.rfind("Traceback") :] if "Traceback" in err else err[-4000:]
        pytest.fail(f"{where} failed (exit {result.returncode}):\n{traceback}", pytrace=False)


@pytest.mark.mnist
def test_every_python_block_runs_as_pasted(mnist, tmp_path):
    pytest.importorskip("safetensors")
    pytest.importorskip("sklearn")
    if os.environ.get("BARENET_README_FULL") == "1":
        result = run_readme(tmp_path, prelude="", timeout=3600)
        check_ran(result)
        printed = result.stdout
        for expected in expected_prints(python_blocks(README.read_text(encoding="utf-8"))):
            assert expected in printed, f"README promises {expected!r}; it printed:\n{printed}"
    else:
        check_ran(run_readme(tmp_path, PRELUDE, timeout=600))
