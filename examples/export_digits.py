"""Write a few MNIST test digits as PNG files, the way a user's own picture might look:
black ink on white, four times larger. `barenet predict` then has to undo all of that.

Usage: python examples/export_digits.py OUT_DIR [--count N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from barenet.datasets import load_mnist
from barenet.images import to_png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=5)
    args = parser.parse_args(argv)
    _, _, X_test, y_test = load_mnist()
    args.out.mkdir(parents=True, exist_ok=True)
    for i in range(args.count):
        path = args.out / f"test{i}-digit{y_test[i]}.png"
        to_png(1.0 - X_test[i], path, scale=4)  # inverted: dark ink on a light page
        print(f"wrote {path} (a {y_test[i]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
