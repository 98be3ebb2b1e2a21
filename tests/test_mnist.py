"""The post's experiment on the real MNIST, end to end (marked ``mnist``: needs the data)."""

import numpy as np
import pytest

from barenet import DeepNeuralNetwork, Layer, ReLU, Softmax


@pytest.mark.mnist
def test_the_posts_network_reaches_90_percent(mnist):
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
    model.train_model(X_train, y_train, iterations=1000)
    accuracy = model.score(X_test, y_test)
    assert accuracy >= 0.90, f"the post's network reached only {accuracy:.4f} on the test set"
    proba = model.predict_proba(X_test[:1])
    assert proba.shape == (1, 10) and np.isclose(proba.sum(), 1, atol=1e-5)
