"""The workbook's files: rendering them from the templates, writing them, loading them back.

A template (``templates/NN_name.py``) is the solved file, with each exercise's code between two
marker comments, ``# >>> key`` and ``# <<<``. Rendering replaces each region with a
``raise NotImplementedError`` (the blank workbook), keeps it (the solutions), or puts other code
there (the tests plant mistakes that way), so the exercise text and the solution come from one
place. Loading runs a learner's file by its path, as a module of its own: the learner's folder
never goes on ``sys.path``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from string import Template
from types import ModuleType

from .._files import atomic_write
from .catalogue import BY_KEY, EXERCISES, FILES, Exercise

README = "README.md"
#: how long one exercise's check may run, in seconds (see grading.py)
DEFAULT_TIMEOUT = 10.0
#: full-batch iterations of the final training (see driver.py); the post ran 1000
DEFAULT_ITERATIONS = 200


def _template(name: str) -> str:
    return (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")


def _region(exercise: Exercise, indent: str, solution: list[str], body: str | None) -> list[str]:
    """The lines that replace one marked region of a template."""
    n, title = exercise.number, exercise.title
    if body is not None:
        code = textwrap.indent(textwrap.dedent(body).strip("\n") + "\n", indent)
        return [f"{indent}# Exercise {n}: {title}\n", *code.splitlines(keepends=True)]
    if solution:
        return [f"{indent}# Exercise {n}: {title} (solution)\n", *solution]
    return [
        f"{indent}# Exercise {n}: write {title} here, in place of the raise.\n",
        f'{indent}raise NotImplementedError("exercise {n} ({title}) is not written yet")\n',
    ]


def render_file(
    name: str, *, solutions: bool = False, bodies: Mapping[str, str] | None = None
) -> str:
    """One workbook file: blank, solved, or with ``bodies[key]`` as an exercise's code."""
    bodies = bodies or {}
    expected = [e for e in EXERCISES if e.file == name]
    out: list[str] = []
    region: list[str] | None = None
    found: list[str] = []
    indent = ""
    for line in _template(name).splitlines(keepends=True):
        marker = line.strip()
        if marker.startswith("# >>> "):
            key, indent, region = (
                marker[len("# >>> ") :],
                line[: len(line) - len(line.lstrip())],
                [],
            )
            found.append(key)
        elif marker == "# <<<" and region is not None:
            exercise = BY_KEY[found[-1]]
            out += _region(exercise, indent, region if solutions else [], bodies.get(exercise.key))
            region = None
        elif region is not None:
            region.append(line)
        else:
            # NOTE: numpy is imported for the learner's code; the noqa is for barenet's linter
            out.append(line.replace("  # noqa: F401 (the learner's code may need it)", ""))
    if found != [e.key for e in expected] or region is not None:
        # NOTE: a bug in barenet, not in the learner's work: the templates and the catalogue
        # disagree (tests/test_exercises.py guards this)
        raise RuntimeError(
            f"template {name} marks {found}; the catalogue expects {[e.key for e in expected]}"
        )
    return "".join(out)


def render(
    *, solutions: bool = False, bodies: Mapping[str, str] | None = None, directory: str = "DIR"
) -> dict[str, str]:
    """Every file of the workbook, by name: the exercise files and the README."""
    unknown = sorted(set(bodies or {}) - set(BY_KEY))
    if unknown:
        raise ValueError(f"no exercise {unknown}; the exercises are {sorted(BY_KEY)}")
    files = {name: render_file(name, solutions=solutions, bodies=bodies) for name in FILES}
    table = "\n".join(f"| {e.number} | `{e.title}` | `{e.file}` | {e.section} |" for e in EXERCISES)
    files[README] = Template(_template(README)).substitute(
        count=len(EXERCISES),
        directory=directory,
        table=table,
        timeout=f"{DEFAULT_TIMEOUT:g}",
        iterations=DEFAULT_ITERATIONS,
        note=(
            "\nThese are barenet's solutions: every exercise is written, and `--check` passes.\n"
            if solutions
            else ""
        ),
    )
    return files


def write(
    directory: str | os.PathLike[str],
    *,
    solutions: bool = False,
    force: bool = False,
    bodies: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write the workbook (blank, or solved with ``solutions``) into ``directory``.

    The directory is made if needed. When any of the files already exists, nothing is written
    and FileExistsError names them, unless ``force``: then they are overwritten, each
    atomically, keeping its permissions (a link is followed, so the file it points to changes).
    Returns the paths written, in order.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"{directory} is not a directory; the workbook needs one")
    files = render(solutions=solutions, bodies=bodies, directory=str(directory))
    existing = [name for name in files if os.path.lexists(directory / name)]
    if existing and not force:
        raise FileExistsError(
            f"{directory} already holds {', '.join(existing)}: your work, perhaps. Nothing was "
            "written. Pass --force to overwrite these files, or choose another directory."
        )
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = directory / name
        with atomic_write(path) as f:  # NOTE: through a link, keeping the file's mode
            f.write(text.encode("utf-8"))
        written.append(path)
    return written


def load_module(path: Path) -> ModuleType:
    """Run one workbook file as a module of its own, from its path, and return it.

    The module is registered in ``sys.modules`` under a name of its own (``barenet_workbook_``
    and the file's stem), as importing by path requires, and the learner's folder is never put
    on ``sys.path``. No bytecode cache is written into the learner's folder.
    """
    name = f"barenet_workbook_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a loader
        raise ImportError(f"cannot load {path} as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        sys.dont_write_bytecode = dont_write
    return module
