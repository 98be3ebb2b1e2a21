"""The post's experiment, exactly: 784 -> 10 (ReLU) -> 10 (Softmax) on MNIST, learning rate
0.1, 1000 full-batch gradient-descent iterations over the 60,000 training images.

Run it with `make demo`, or `python examples/post.py [--data DIR] [--iterations N]`.
MNIST is read from DIR, $BARENET_DATA or the cache, and fetched into the cache when missing.
"""

from __future__ import annotations

import argparse
import time

from barenet import DeepNeuralNetwork, Layer, ReLU, Softmax
from barenet.datasets import load_mnist
from barenet.reports import format_probabilities


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory holding MNIST (IDX, CSV or mnist.npz)")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X_train, y_train, X_test, y_test = load_mnist(args.data)
    print(
        f"MNIST: {len(X_train)} training and {len(X_test)} test images of {X_train.shape[1]} pixels"
    )

    model = DeepNeuralNetwork(
        layers=[
            Layer(size=784, activation_function=ReLU()),
            Layer(size=10, activation_function=ReLU()),
            Layer(size=10, activation_function=Softmax()),
        ],
        learning_rate=0.1,
        seed=args.seed,
    )
    print(f"training {model} for {args.iterations} full-batch iterations ...")
    start = time.perf_counter()
    model.train_model(X_train, y_train, iterations=args.iterations)
    seconds = time.perf_counter() - start

    print(f"trained in {seconds:.1f} s")
    print(f"training accuracy: {model.score(X_train, y_train):.4f}")
    print(f"test accuracy:     {model.score(X_test, y_test):.4f}")
    print(f"\ntest image 0 is a {y_test[0]}; the network says:")
    print(format_probabilities(model.predict_proba(X_test[:1])[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
