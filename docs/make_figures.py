"""Make the figures of docs/guide.md from real training runs; writes docs/img/*.png.

Run it from the repository root: ``.venv/bin/python docs/make_figures.py [--iterations N]``.
It trains two networks on the 60,000 MNIST training images, both with seed 0:

- the post's network (recipe ``post``): 784-10 ReLU-10 softmax, full-batch gradient descent,
  learning rate 0.1, 1000 iterations (about 100 s on a 2-core machine);
- the fast recipe (recipe ``fast``): 784-256 ReLU-10 softmax, Adam, batch 128, 5 epochs.

and prints the test accuracy of each, which the captions in the guide quote.
Needs matplotlib (``pip install 'barenet[plot]'``); drawn with its object-oriented API.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from barenet import plots, recipes
from barenet.datasets import load_mnist

IMG = Path(__file__).resolve().parent / "img"
DIGIT = 0  # the test image shown in figures 2 and 3 (a 7)


def train(name: str, X, y, **options):
    recipe = recipes.get(name).with_options(**options)
    model = recipe.build(seed=0)
    start = time.perf_counter()
    history = model.fit(X, y, verbose=0, seed=0, **recipe.fit_kwargs(len(X)))
    seconds = time.perf_counter() - start
    return recipe, model, history, seconds


def layer_values(model, x):
    """Each layer's z and a for one sample x (d,), from the network's own forward pass."""
    _, cache = model._forward(model._check_X(x.reshape(1, -1)))
    return [(step.z[0], step.a[0]) for step in cache]


def activations_figure(model, x, label: int, path: Path) -> None:
    """Figure 2: z and a of every layer for one digit (hidden layer left, output right)."""
    (z1, a1), (z2, a2) = layer_values(model, x)
    fig = Figure(figsize=(10, 6), layout="constrained")
    axes = fig.subplots(2, 2)
    panels = [
        (axes[0, 0], z1, "hidden layer: z1 = x @ W1 + b1"),
        (axes[1, 0], a1, "hidden layer: a1 = relu(z1)"),
        (axes[0, 1], z2, "output layer: z2 = a1 @ W2 + b2 (logits)"),
        (axes[1, 1], a2, "output layer: a2 = softmax(z2)"),
    ]
    for ax, values, title in panels:
        colors = ["tab:red" if v < 0 else "tab:blue" for v in values]
        ax.bar(range(len(values)), values, color=colors)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(values)))
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    axes[1, 0].set_xlabel("hidden unit")
    axes[1, 1].set_xlabel("class")
    fig.suptitle(f"One test digit (a {label}) through the post's trained network")
    fig.savefig(path, dpi=plots.DPI)


def pipeline_figure(model, x, label: int, path: Path) -> None:
    """Figure 3: the 28x28 input, the hidden activations, the 10 probabilities."""
    (_, a1), (_, a2) = layer_values(model, x)
    fig = Figure(figsize=(12, 3.6), layout="constrained")
    ax_image, ax_hidden, ax_proba = fig.subplots(1, 3, width_ratios=[1, 1.4, 1.4])
    ax_image.imshow(x.reshape(28, 28), cmap="gray_r")
    ax_image.set_title(f"input: 784 pixels (a {label})")
    ax_image.set_axis_off()
    ax_hidden.bar(range(len(a1)), a1, color="tab:green")
    ax_hidden.set_xticks(range(len(a1)))
    ax_hidden.set_xlabel("hidden unit")
    ax_hidden.set_title("hidden layer: 10 ReLU activations")
    ax_hidden.grid(axis="y", alpha=0.3)
    best = int(a2.argmax())
    colors = ["tab:orange" if c == best else "tab:blue" for c in range(len(a2))]
    ax_proba.bar(range(len(a2)), a2, color=colors)
    ax_proba.set_xticks(range(len(a2)))
    ax_proba.set_ylim(0, 1.05)
    ax_proba.set_xlabel("class")
    ax_proba.set_title(f"output: softmax, predicts {best} (p = {a2[best]:.3f})")
    ax_proba.grid(axis="y", alpha=0.3)
    fig.savefig(path, dpi=plots.DPI)


def curves_figure(runs, path: Path) -> None:
    """Figure 4: training loss and accuracy against the number of parameter updates."""
    fig = Figure(figsize=(11, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for label, history, updates_per_epoch in runs:
        n = len(history.history["loss"])
        updates = np.arange(1, n + 1) * updates_per_epoch
        marker = "o" if n <= 30 else None
        ax_loss.plot(updates, history.history["loss"], marker=marker, label=label)
        ax_acc.plot(updates, history.history["accuracy"], marker=marker, label=label)
    for ax, title in ((ax_loss, "training loss (cross-entropy)"), (ax_acc, "training accuracy")):
        ax.set_xscale("log")
        ax.set_xlabel("parameter updates (log scale)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.savefig(path, dpi=plots.DPI)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1000, help="of the post's run")
    args = parser.parse_args(argv)
    IMG.mkdir(parents=True, exist_ok=True)
    X, y, X_test, y_test = load_mnist()

    _, post, post_history, post_s = train("post", X, y, epochs=args.iterations)
    fast_recipe, fast, fast_history, fast_s = train("fast", X, y)
    batches = math.ceil(len(X) / fast_recipe.batch_size)
    for name, model, seconds in (("post", post, post_s), ("fast", fast, fast_s)):
        accuracy = model.score(X_test, y_test)
        print(f"{name}: test accuracy {accuracy:.4f}, trained in {seconds:.1f} s")

    x, label = X_test[DIGIT], int(y_test[DIGIT])
    plots.first_layer_weights(post, IMG / "post_weights.png")
    plots.first_layer_weights(fast, IMG / "fast_weights.png", max_units=64)
    activations_figure(post, x, label, IMG / "activations.png")
    pipeline_figure(post, x, label, IMG / "pipeline.png")
    curves_figure(
        [
            (f"post: full batch, {args.iterations} iterations", post_history, 1),
            (f"fast: Adam, batch 128, {fast_recipe.epochs} epochs", fast_history, batches),
        ],
        IMG / "curves.png",
    )
    print(f"wrote {sorted(p.name for p in IMG.glob('*.png'))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
