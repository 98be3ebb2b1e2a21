"""The ``barenet`` command: train, evaluate, predict, explain, info, serve and data.

    barenet train [--post] [--layers 784,256:relu,10:softmax] [--epochs N] ... [--out FILE]
    barenet evaluate MODEL [--data DIR]
    barenet predict MODEL IMAGE... | --csv test.csv --out submission.csv
    barenet explain MODEL IMAGE
    barenet info MODEL
    barenet serve MODEL [--host 127.0.0.1] [--port 8000]
    barenet data fetch|info|path

Errors print one line, ``error: <command>: <why>``, and exit 1; usage errors exit 2; Ctrl-C
during training exits 130 after saying where the last checkpoint is. ``--debug`` shows the
traceback instead. This is the only module that prints (besides fit's progress reporters).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, datasets, metrics, recipes, reports
from .callbacks import Callback
from .layers import Layer

CHECKPOINT_NAME = "checkpoint.npz"


class CommandError(Exception):
    """A failure to report as one line and exit 1."""


def parse_layers(spec: str) -> list[Layer]:
    """``"784,256:relu,10:softmax"`` -> layers; the first entry is the input size.

    A hidden layer without an activation gets relu, the output layer softmax.
    """
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if len(parts) < 2:
        raise argparse.ArgumentTypeError(
            f"--layers needs the input size and at least one layer, e.g. 784,256:relu,10:softmax;"
            f" received {spec!r}"
        )
    layers = []
    for i, part in enumerate(parts):
        size, _, activation = part.partition(":")
        default = None if i == 0 else ("softmax" if i == len(parts) - 1 else "relu")
        try:
            layers.append(Layer(int(size), activation or default))
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"--layers entry {part!r}: {err}") from None
    return layers


class PrintEvery(Callback):
    """One line every ``every`` epochs: for full-batch runs, where an epoch is one iteration."""

    def __init__(self, every: int) -> None:
        self.every = every

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.run.epochs:
            text = " - ".join(f"{k}: {v:.4f}" for k, v in (logs or {}).items())
            print(f"iteration {epoch + 1}/{self.run.epochs} - {text}", flush=True)


def _load_model(path: str) -> Any:
    from .saving import load

    return load(path)


def cmd_train(args: argparse.Namespace) -> int:
    recipe = recipes.get("post" if args.post else "fast").with_options(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        dropout=args.dropout,
        optimizer=args.optimizer,
    )
    from .saving import check_suffix

    check_suffix(args.out)  # NOTE: before training: --out model.npz would lose the model
    X_train, y_train, X_test, y_test = datasets.load_mnist(args.data)
    n_classes = int(y_train.max()) + 1
    layers = args.layers or recipe.layers(X_train.shape[1], n_classes)
    if args.layers and args.dropout:  # rebuilt, so Layer checks the value
        layers[1:-1] = [
            Layer(layer.size, layer.activation_function, dropout=args.dropout)
            for layer in layers[1:-1]
        ]
    from .network import DeepNeuralNetwork

    model = DeepNeuralNetwork(layers, learning_rate=recipe.learning_rate, seed=args.seed)
    kwargs = recipe.fit_kwargs(len(X_train))
    checkpoint = None
    if args.checkpoint_dir:
        Path(args.checkpoint_dir).mkdir(parents=True, exist_ok=True)
        checkpoint = str(Path(args.checkpoint_dir) / CHECKPOINT_NAME)
        if args.resume:
            if not Path(checkpoint).is_file():
                raise CommandError(f"--resume: no checkpoint in {args.checkpoint_dir} to resume")
            kwargs["resume_from"] = checkpoint
    full_batch = recipe.batch_size is None
    print(
        f"training {model} ({recipe.name} recipe, {recipe.epochs} epochs) on {len(X_train)} "
        f"images; val_* is the {len(X_test)} test images, reported only, never used to choose"
    )
    try:
        history = model.fit(
            X_train,
            y_train,
            validation_data=(X_test, y_test),
            seed=args.seed,
            checkpoint=checkpoint,
            verbose=0 if full_batch else 1,
            callbacks=[PrintEvery(max(1, recipe.epochs // 10))] if full_batch else [],
            **kwargs,
        )
    except KeyboardInterrupt:
        if checkpoint and Path(checkpoint).is_file():
            print(
                f"\ninterrupted: the last completed epoch is in {checkpoint}; "
                "continue with --resume",
                file=sys.stderr,
            )
        else:
            print("\ninterrupted", file=sys.stderr)
        return 130
    seconds = model.training_summary["seconds"]
    print(f"trained in {seconds:.1f} s; test accuracy {model.score(X_test, y_test):.4f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"model saved to {args.out}")
    if args.plots:
        from . import plots

        for path in plots.save_all(model, history, X_test, y_test, args.plots):
            print(f"plot written to {path}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    _, _, X_test, y_test = datasets.load_mnist(args.data)
    predicted = model.predict(X_test)
    n_classes = model.layers[-1].size
    report = metrics.classification_report(y_test, predicted, n_classes=n_classes)
    print(f"accuracy: {metrics.accuracy(y_test, predicted):.4f} on {len(y_test)} test images\n")
    print(reports.format_classification_report(report))
    print("\nconfusion matrix (rows: true digit, columns: predicted)")
    print(reports.format_confusion_matrix(metrics.confusion_matrix(y_test, predicted, n_classes)))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    if args.csv:
        if not args.out:
            raise CommandError("--csv needs --out FILE for the submission")
        X, _ = datasets.read_csv(args.csv)
        labels = model.predict(X)
        datasets.write_submission(args.out, labels)
        print(f"wrote {len(labels)} predictions to {args.out}")
        return 0
    if not args.images:
        raise CommandError("give one or more image files, or --csv FILE --out FILE")
    from .images import preprocess

    for image in args.images:
        proba = model.predict_proba(preprocess(image)[None, :])[0]
        print(f"{image}: {int(np.argmax(proba))}")
        print(reports.format_probabilities(proba))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    from .images import preprocess

    print(model.explain(preprocess(args.image)))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    print(f"{args.model} ({os.path.getsize(args.model)} bytes)")
    print(model.summary())
    if model.training_summary:
        print("training:")
        for key, value in model.training_summary.items():
            print(f"  {key}: {value}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .web import serve

    serve(args.model, host=args.host, port=args.port)
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    if args.action == "path":
        env = os.environ.get("BARENET_DATA")
        print(env if env else datasets.cache_dir())
        return 0
    return datasets.main([args.action])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="barenet", description="Neural networks from scratch.")
    parser.add_argument("--version", action="version", version=f"barenet {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a digit recognizer on MNIST")
    train.add_argument("--data", help="directory holding MNIST (default: cache, then fetch)")
    train.add_argument("--post", action="store_true", help="the post's exact experiment")
    train.add_argument("--layers", type=parse_layers, help="e.g. 784,256:relu,10:softmax")
    train.add_argument("--optimizer", choices=["sgd", "adam", "adamw", "rmsprop"])
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--dropout", type=float, help="dropout of every hidden layer")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="model.safetensors", help="where to save the model")
    train.add_argument("--plots", metavar="DIR", help="write training plots (PNG) here")
    train.add_argument("--checkpoint-dir", metavar="DIR", help="checkpoint every epoch here")
    train.add_argument("--resume", action="store_true", help="continue from --checkpoint-dir")
    train.set_defaults(func=cmd_train)

    evaluate = commands.add_parser("evaluate", help="accuracy, per-class scores, confusion matrix")
    evaluate.add_argument("model")
    evaluate.add_argument("--data")
    evaluate.set_defaults(func=cmd_evaluate)

    predict = commands.add_parser("predict", help="read digits from images, or a Kaggle CSV")
    predict.add_argument("model")
    predict.add_argument("images", nargs="*", metavar="IMAGE")
    predict.add_argument("--csv", help="a Kaggle test.csv to predict")
    predict.add_argument("--out", help="the submission file to write (with --csv)")
    predict.set_defaults(func=cmd_predict)

    explain = commands.add_parser("explain", help="one image's trip through the network")
    explain.add_argument("model")
    explain.add_argument("image")
    explain.set_defaults(func=cmd_explain)

    info = commands.add_parser("info", help="a model file's architecture and training")
    info.add_argument("model")
    info.set_defaults(func=cmd_info)

    serve = commands.add_parser("serve", help="a web page to draw digits for the model to read")
    serve.add_argument("model")
    serve.add_argument("--host", default="127.0.0.1", help="default: this machine only")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    data = commands.add_parser("data", help="MNIST in the cache: fetch, info, path")
    data.add_argument("action", choices=["fetch", "info", "path"])
    data.set_defaults(func=cmd_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "train" and args.resume and not args.checkpoint_dir:
        parser.error("--resume needs --checkpoint-dir")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("\ninterrupted", file=sys.stderr)
        return 130
    except (CommandError, ValueError, OSError, ImportError, FloatingPointError) as err:
        if args.debug:
            raise
        why = " ".join(str(err).split())
        print(f"error: {args.command}: {why}", file=sys.stderr)
        return 1
