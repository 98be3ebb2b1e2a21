"""How accurate, how fast: barenet's MNIST recipes on the full data set, and the binary,
multilabel and regression examples side by side with scikit-learn.

Usage:
    python benchmarks/accuracy.py                      # fast recipe, 3 seeds, and the tasks
    python benchmarks/accuracy.py --recipes fast,best,post --seeds 1
    python benchmarks/accuracy.py --no-tasks

Prints Markdown tables for BENCHMARKS.md. Training time is fit's wall-clock time (data
already in memory); test accuracy is on the 10,000 MNIST test images. The tasks need
scikit-learn (`pip install -e ".[bench]"`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import _machine

from barenet import recipes
from barenet.datasets import load_mnist

# the task examples live in examples/
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))


def run_recipe(name: str, seed: int, data: tuple) -> tuple[float, float]:
    X_train, y_train, X_test, y_test = data
    recipe = recipes.get(name)
    model = recipe.build(seed=seed)
    start = time.perf_counter()
    model.fit(X_train, y_train, seed=seed, verbose=0, **recipe.fit_kwargs(len(X_train)))
    seconds = time.perf_counter() - start
    return seconds, model.score(X_test, y_test)


def recipes_table(names: list[str], seeds: int) -> str:
    data = load_mnist()
    lines = [
        "| recipe | network | epochs | seeds | train time, median (min–max) "
        "| test accuracy, median (min–max) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name in names:
        recipe = recipes.get(name)
        results = [run_recipe(name, seed, data) for seed in range(seeds)]
        times, accs = zip(*results, strict=True)
        sizes = "-".join(str(layer.size) for layer in recipe.layers())
        lines.append(
            f"| {name} | {sizes} | {recipe.epochs} | {seeds} | "
            f"{statistics.median(times):.1f} s ({min(times):.1f}–{max(times):.1f}) | "
            f"{statistics.median(accs):.2%} ({min(accs):.2%}–{max(accs):.2%}) |"
        )
        print(f"{name}: {results}", file=sys.stderr, flush=True)
    return "\n".join(lines)


def tasks_tables(seeds: int) -> str:
    import breast_cancer
    import diabetes
    import multilabel

    out = []
    for module in (breast_cancer, multilabel, diabetes):
        print(f"running {module.__name__} ...", file=sys.stderr, flush=True)
        out.append(module.format_results(module.main(seeds=range(seeds))))
    return "\n\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", default="fast")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--task-seeds", type=int, default=5)
    parser.add_argument("--no-tasks", action="store_true")
    args = parser.parse_args()
    print(f"Machine: {_machine.describe()}\n")
    print(recipes_table(args.recipes.split(","), args.seeds))
    if not args.no_tasks:
        print()
        print(tasks_tables(args.task_seeds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
