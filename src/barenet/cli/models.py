"""``barenet evaluate``, ``predict``, ``explain`` and ``info``: the commands that use a model file.

Each loads the model (``barenet.saving.load``), runs it on MNIST's test set, on images or on a
Kaggle CSV, and prints what ``barenet.reports`` formats. They never train or write a model; image
reading is ``barenet.images``'s, CSV reading ``barenet.datasets``'s.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from functools import partial
from typing import Any

import numpy as np

from .. import datasets, metrics, reports
from .arguments import DATA_HELP, MNIST_PIXELS, MODEL_HELP, CommandError, one_line
from .data import load_mnist_or_fetch

SUBMISSION = "submission.csv"  # what `predict --csv` writes without --out


def _load_model(path: str) -> Any:
    from ..saving import load

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
    _, _, X_test, y_test = load_mnist_or_fetch(args.data)
    predicted = model.predict(X_test)
    n_classes = model.layers[-1].size
    report = metrics.classification_report(y_test, predicted, n_classes=n_classes)
    print(f"accuracy: {metrics.accuracy(y_test, predicted):.4f} on {len(y_test)} test images\n")
    print(reports.format_classification_report(report))
    print("\nconfusion matrix (rows: true digit, columns: predicted)")
    print(reports.format_confusion_matrix(metrics.confusion_matrix(y_test, predicted, n_classes)))
    return 0


def _check_predict(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.csv and args.images:
        parser.error("give IMAGE files or --csv FILE, not both")
    if not args.csv and not args.images:
        parser.error("give one or more IMAGE files, or --csv FILE")
    if args.out and not args.csv:
        parser.error(
            "--out names the file that --csv writes; the answers for IMAGE files are printed"
        )


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
    from ..images import ImageError, read_digit

    failed, shown = [], 0
    for image in args.images:
        try:
            digit = read_digit(image)
        except (ImageError, OSError) as err:  # NOTE: report it, and go on with the others
            print(f"error: predict: {one_line(err)}", file=sys.stderr)
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
    from ..images import read_digit

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


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Adds ``evaluate``, ``predict``, ``explain`` and ``info`` to barenet's commands."""
    evaluate = commands.add_parser("evaluate", help="accuracy, per-class scores, confusion matrix")
    evaluate.add_argument("model", help=MODEL_HELP)
    evaluate.add_argument("--data", metavar="DIR", help=DATA_HELP)
    evaluate.set_defaults(func=cmd_evaluate)

    predict = commands.add_parser("predict", help="read digits from images, or a Kaggle CSV")
    predict.add_argument("model", help=MODEL_HELP)
    predict.add_argument(
        "images",
        nargs="*",
        metavar="IMAGE",
        help="pictures of one digit each (PNG, JPEG, GIF, BMP, TIFF, WebP or PPM), any size, "
        "either polarity",
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
    explain.add_argument("model", help=MODEL_HELP)
    explain.add_argument(
        "image", help="a picture of one digit (PNG, JPEG, GIF, BMP, TIFF, WebP or PPM)"
    )
    explain.set_defaults(func=cmd_explain)

    info = commands.add_parser("info", help="a model file's architecture and training")
    info.add_argument("model", help=MODEL_HELP)
    info.set_defaults(func=cmd_info)
