"""barenet: a from-scratch neural network library in NumPy.

The post "Building a simple Rust Neural Network from scratch", in Python:

    from barenet import DeepNeuralNetwork, Layer, ReLU, Softmax
    model = DeepNeuralNetwork([Layer(784, ReLU()), Layer(10, ReLU()), Layer(10, Softmax())])
    model.train_model(X, Y, iterations=1000)

This module holds the public API only and imports no optional dependency.
"""

from . import activations, initializers, losses
from .activations import (
    ActivationFunction,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .layers import Layer
from .losses import BinaryCrossEntropy, CrossEntropy, Loss, MeanSquaredError
from .network import DeepNeuralNetwork

__version__ = "0.1.0"

__all__ = [
    "ActivationFunction",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "DeepNeuralNetwork",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Loss",
    "MeanSquaredError",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "__version__",
    "activations",
    "initializers",
    "losses",
]
