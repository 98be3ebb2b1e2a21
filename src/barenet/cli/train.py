"""``barenet train``: the recipe, the checks before any data is read, the progress, the files.

The options fill in a recipe (``barenet.recipes``: fast, or the post's); the training itself is
``DeepNeuralNetwork.fit``, watched by ``TrainingProgress``. This module parses nothing but its own
options and trains nothing itself; MNIST comes from ``cli.data``.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import Any

from .. import optimizers, recipes
from ..callbacks import Callback
from ..layers import Layer
from .arguments import (
    DATA_HELP,
    MNIST_CLASSES,
    MNIST_PIXELS,
    CommandError,
    dropout_rate,
    parse_layers,
    positive_float,
    positive_int,
    seed_int,
)
from .data import load_mnist_or_fetch

CHECKPOINT_NAME = "checkpoint.npz"
_FAST, _POST = recipes.get("fast"), recipes.get("post")


def _check_train(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The usage errors of `train` that need more than one argument, before any data is read."""
    if args.resume and not args.checkpoint_dir:
        parser.error("--resume needs --checkpoint-dir, the directory holding the checkpoint")
    if args.layers:
        if args.layers[0].size != MNIST_PIXELS:
            parser.error(
                f"--layers must start with {MNIST_PIXELS}, the pixels of an MNIST image; "
                f"received {args.layers[0].size}"
            )
        if args.layers[-1].size != MNIST_CLASSES:
            parser.error(
                f"--layers must end with {MNIST_CLASSES} units, one per digit; "
                f"received {args.layers[-1].size}"
            )
    if Path(args.out).suffix != ".safetensors":
        suggested = Path(args.out).with_suffix(".safetensors")
        parser.error(
            f"--out must name a .safetensors file; received {args.out!r} (save it as {suggested})"
        )


def _shown(logs: dict[str, float] | None) -> str:
    """Logs as ``loss 0.1234 - accuracy 0.9650 - test_loss ...``: in the command's runs the
    validation data is the test set, reported only."""
    return " - ".join(f"{k.replace('val_', 'test_', 1)} {v:.4f}" for k, v in (logs or {}).items())


class TrainingProgress(Callback):
    """One progress bar for the whole run on stderr (over iterations for a full-batch run, over
    batches otherwise) and, every ``every`` epochs, a line of logs on stdout, above the bar.

    Without tqdm, only the lines. ``close()`` ends the bar, so that an error starts on a line of
    its own; the command calls it however training ends.
    """

    def __init__(self, every: int, full_batch: bool) -> None:
        self.every, self.full_batch = every, full_batch
        self.bar: Any = None

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        try:
            from tqdm import tqdm
        except ImportError:
            return
        per_epoch = self.run.batches_per_epoch
        self.bar = tqdm(
            total=self.run.epochs * per_epoch,
            initial=len(self.run.history.epoch) * per_epoch,  # resumed: the epochs done
            desc="training",
            unit="iteration" if self.full_batch else "batch",
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if self.bar is not None and not self.full_batch:
            self.bar.set_description(f"epoch {epoch + 1}/{self.run.epochs}", refresh=False)

    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(_shown(logs), refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.run.epochs:
            word = "iteration" if self.full_batch else "epoch"
            line = f"{word} {epoch + 1}/{self.run.epochs} - {_shown(logs)}"
            if self.bar is None:
                print(line, flush=True)
            else:
                self.bar.write(line, file=sys.stdout)

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _resume_point(checkpoint: Path) -> int:
    """The epochs a checkpoint has done, read before any data is loaded."""
    from ..checkpoints import CheckpointError, load_checkpoint

    if not checkpoint.is_file():
        raise CommandError(f"--resume: no checkpoint in {checkpoint.parent} to resume")
    meta = load_checkpoint(checkpoint)[2]
    done = meta.get("epochs_done")
    if isinstance(done, bool) or not isinstance(done, int) or done < 0:
        raise CheckpointError(f"{checkpoint}: corrupt checkpoint (epochs_done is {done!r})")
    return done


def cmd_train(args: argparse.Namespace) -> int:
    recipe = recipes.get("post" if args.post else "fast").with_options(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        dropout=args.dropout,
        optimizer=args.optimizer,
    )
    from ..saving import _safetensors_numpy

    _safetensors_numpy()  # NOTE: a missing extra found after training would lose the run
    if args.plots:
        from ..plots import _require_matplotlib

        _require_matplotlib()
    checkpoint, done = None, 0
    if args.checkpoint_dir:
        directory = Path(args.checkpoint_dir)
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"--checkpoint-dir {directory}: exists and is not a directory")
        checkpoint = directory / CHECKPOINT_NAME
        if args.resume:
            done = _resume_point(checkpoint)

    X_train, y_train, X_test, y_test = load_mnist_or_fetch(args.data)
    layers = args.layers or recipe.layers(X_train.shape[1], MNIST_CLASSES)
    if args.layers and args.dropout:  # rebuilt, so Layer checks the value
        layers[1:-1] = [
            Layer(layer.size, layer.activation_function, dropout=args.dropout)
            for layer in layers[1:-1]
        ]
    from ..network import DeepNeuralNetwork

    model = DeepNeuralNetwork(layers, learning_rate=recipe.learning_rate, seed=args.seed)
    kwargs = recipe.fit_kwargs(len(X_train))
    full_batch = recipe.batch_size is None
    word = ("iteration" if full_batch else "epoch") + ("" if recipe.epochs == 1 else "s")
    print(
        f"training {model} ({recipe.name} recipe, {recipe.epochs} {word}) on {len(X_train)} "
        f"images; test_* is measured on the {len(X_test)} test images, reported only, "
        "never used to choose"
    )
    if checkpoint is not None:
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        if args.resume:
            kwargs["resume_from"] = str(checkpoint)
            if done >= recipe.epochs:
                print(f"resuming from {checkpoint}: all {done} {word} are done already")
            else:
                print(
                    f"resuming from {checkpoint}: {done} of {recipe.epochs} {word} done, "
                    f"continuing with {word[:-1]} {done + 1}"
                )
    progress = TrainingProgress(max(1, recipe.epochs // 10) if full_batch else 1, full_batch)
    try:
        history = model.fit(
            X_train,
            y_train,
            validation_data=(X_test, y_test),
            seed=args.seed,
            checkpoint=None if checkpoint is None else str(checkpoint),
            verbose=0,
            callbacks=[progress],
            **kwargs,
        )
    except KeyboardInterrupt:
        progress.close()
        if checkpoint is not None and checkpoint.is_file():
            print(
                f"interrupted: the last completed epoch is in {checkpoint}; continue with --resume",
                file=sys.stderr,
            )
        else:
            print("interrupted", file=sys.stderr)
        return 130
    finally:
        progress.close()  # NOTE: before any error is printed, or it is glued to the bar
    seconds = model.training_summary["seconds"]
    print(f"trained in {seconds:.1f} s; test accuracy {model.score(X_test, y_test):.4f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"model saved to {args.out}")
    if args.plots:
        from .. import plots

        written = plots.save_all(
            model, history, X_test, y_test, args.plots, validation_label="test (reported only)"
        )
        for path in written:
            print(f"plot written to {path}")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Adds ``train`` to barenet's commands."""
    hidden = ",".join(map(str, _FAST.hidden))
    train = commands.add_parser(
        "train",
        help="train a digit recognizer on MNIST",
        description=f"Train on MNIST's 60,000 training images. The default is the fast recipe: "
        f"784-{hidden}-10, Adam, a cosine schedule, {_FAST.epochs} epochs (about 98% test "
        "accuracy).",
    )
    train.add_argument("--data", metavar="DIR", help=DATA_HELP)
    train.add_argument(
        "--post",
        action="store_true",
        help=f"the post's experiment: 784-10-10, full-batch gradient descent, "
        f"learning rate {_POST.learning_rate:g}, {_POST.epochs} iterations",
    )
    train.add_argument(
        "--layers",
        type=parse_layers,
        metavar="SPEC",
        help=f"sizes and activations, from the 784 pixels to the 10 digits, e.g. "
        f"784,256:relu,10:softmax (default: 784,{hidden}:relu,10:softmax; "
        f"with --post 784,10:relu,10:softmax)",
    )
    train.add_argument(
        "--optimizer",
        type=str.lower,
        choices=sorted(optimizers.OPTIMIZERS),
        help=f"how to update the weights (default: {_FAST.optimizer}; with --post plain "
        "gradient descent)",
    )
    train.add_argument(
        "--learning-rate",
        type=positive_float,
        metavar="RATE",
        help=f"the step size (default: {_FAST.learning_rate:g}, decaying on a cosine; "
        f"{_POST.learning_rate:g} with --post)",
    )
    train.add_argument(
        "--epochs",
        type=positive_int,
        metavar="N",
        help=f"passes over the training images (default: {_FAST.epochs}; "
        f"{_POST.epochs} with --post, where each is one iteration)",
    )
    train.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="N",
        help=f"images per update (default: {_FAST.batch_size}; with --post all of them)",
    )
    train.add_argument(
        "--dropout",
        type=dropout_rate,
        metavar="P",
        help="dropout of every hidden layer (default: 0, none)",
    )
    train.add_argument(
        "--seed",
        type=seed_int,
        metavar="N",
        default=0,
        help="seed of the initial weights, the shuffling and dropout",
    )
    train.add_argument(
        "--out", metavar="FILE", default="model.safetensors", help="where to save the model"
    )
    train.add_argument(
        "--plots", metavar="DIR", help="write the training plots (PNG) here (default: no plots)"
    )
    train.add_argument(
        "--checkpoint-dir",
        metavar="DIR",
        help="write a checkpoint here after every epoch (default: none)",
    )
    train.add_argument(
        "--resume", action="store_true", help="continue from the checkpoint in --checkpoint-dir"
    )
    train.set_defaults(func=cmd_train, usage_check=partial(_check_train, train))
