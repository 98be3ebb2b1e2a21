"""The post's experiment on the real MNIST, end to end (marked ``mnist``: needs the data)."""

import numpy as np
import pytest

from barenet import DeepNeuralNetwork, Layer, ReLU, Softmax

#: the post's iterations, and how often the test accuracy is read while they run
ITERATIONS, EVERY = 1000, 50


@pytest.mark.mnist
def test_the_posts_network_reaches_90_percent(mnist):
    """The post's network and recipe (784-10 ReLU-10 softmax, full-batch gradient descent with
    learning rate 0.1) must reach the post's "about 90%" test accuracy within its 1000
    iterations. Full-batch descent is deterministic, so training in rounds of EVERY iterations
    is the same run as one call of 1000; the test stops at the first round that reaches 90%
    (seed 0: 90.1% after 350 iterations, 18 s instead of 45 s on a 2-core machine). The whole
    run, 91.95% after 1000 iterations, is measured by benchmarks/accuracy.py and by README's
    full check (BARENET_README_FULL=1)."""
    X_train, y_train, X_test, y_test = mnist
    model = DeepNeuralNetwork(
        layers=[
            Layer(size=784, activation_function=ReLU()),
            Layer(size=10, activation_function=ReLU()),
            Layer(size=10, activation_function=Softmax()),
        ],
        learning_rate=0.1,
        seed=0,
    )
    done, accuracies, losses = 0, [], []
    while done < ITERATIONS and (not accuracies or accuracies[-1] < 0.90):
        history = model.train_model(X_train, y_train, iterations=EVERY, verbose=0)
        done += EVERY
        losses += history.history["loss"]
        accuracies.append(model.score(X_test, y_test))
    assert accuracies[-1] >= 0.90, (
        f"the post's network reached only {accuracies[-1]:.4f} on the test set after {done} "
        f"iterations (every {EVERY}: {accuracies})"
    )
    assert len(losses) == done and losses[-1] < losses[0] / 2, "the loss did not fall"
    proba = model.predict_proba(X_test[:1])
    assert proba.shape == (1, 10) and np.isclose(proba.sum(), 1, atol=1e-5)
