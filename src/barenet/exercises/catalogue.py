"""The workbook's exercises, in the order of the guide: what each is, and in which file.

The templates in ``templates/`` are the one source of each exercise's text and solution: a
region between ``# >>> key`` and ``# <<<`` is the code the learner writes (see ``workbook.py``).
The numbers follow from the order here.
"""

from __future__ import annotations

from dataclasses import dataclass

#: (workbook file, guide section, ((key, title), ...)), in the order of the guide
_FILES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("01_relu.py", "3", (("relu_activate", "ReLU.activate"), ("relu_derive", "ReLU.derive"))),
    (
        "02_sigmoid.py",
        "3",
        (("sigmoid_activate", "Sigmoid.activate"), ("sigmoid_derive", "Sigmoid.derive")),
    ),
    ("03_tanh.py", "3", (("tanh_activate", "Tanh.activate"), ("tanh_derive", "Tanh.derive"))),
    ("04_softmax.py", "4", (("softmax_activate", "Softmax.activate"),)),
    ("05_forward.py", "6", (("forward", "forward"),)),
    ("06_output_delta.py", "6", (("output_delta", "softmax_cross_entropy_delta"),)),
    ("07_backward.py", "6", (("backward", "backward"),)),
    ("08_gradient_descent.py", "7", (("sgd_step", "sgd_step"), ("momentum_step", "momentum_step"))),
    ("09_adam.py", "7", (("adam_step", "adam_step"),)),
    ("10_he_normal.py", "8", (("he_normal", "he_normal"),)),
)


@dataclass(frozen=True)
class Exercise:
    """One thing the learner writes: a function, or one method of an activation class."""

    number: int
    key: str  # the marker in the template: "# >>> key"
    title: str  # what the learner writes, as it is named in the file
    file: str  # the workbook file that holds it
    section: str  # the section of docs/guide.md that explains it


EXERCISES: tuple[Exercise, ...] = tuple(
    Exercise(number, key, title, file, section)
    for number, (file, section, key, title) in enumerate(
        ((f, s, k, t) for f, s, items in _FILES for k, t in items), start=1
    )
)
FILES: tuple[str, ...] = tuple(file for file, _, _ in _FILES)
BY_KEY: dict[str, Exercise] = {exercise.key: exercise for exercise in EXERCISES}
