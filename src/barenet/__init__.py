"""barenet: a from-scratch neural network library in NumPy.

The post "Building a simple Rust Neural Network from scratch", in Python:

    from barenet import DeepNeuralNetwork, Layer, ReLU, Softmax
    model = DeepNeuralNetwork([Layer(784, ReLU()), Layer(10, ReLU()), Layer(10, Softmax())])
    model.train_model(X, Y, iterations=1000)              # the post: full-batch descent
    model.fit(X, y, epochs=10, batch_size=128, optimizer="adam")  # mini-batches

This module holds the public API only and imports no optional dependency.
"""

from . import (
    activations,
    augment,
    callbacks,
    initializers,
    losses,
    metrics,
    optimizers,
    schedules,
)
from .activations import (
    ActivationFunction,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .callbacks import History
from .checkpoints import CheckpointError
from .datasets import DataError
from .exceptions import ConvergenceWarning, DataWarning
from .images import ImageError
from .interop.onnx_import import from_onnx  # onnx itself is imported only when called
from .interop.sklearn_import import from_sklearn  # scikit-learn too
from .layers import Layer
from .losses import BinaryCrossEntropy, CrossEntropy, Loss, MeanSquaredError
from .network import DeepNeuralNetwork
from .registry import register
from .saving import ModelFileError, load
from .training import TrainingDivergedError

__version__ = "0.1.0"

__all__ = [
    "ActivationFunction",
    "BinaryCrossEntropy",
    "CheckpointError",
    "ConvergenceWarning",
    "CrossEntropy",
    "DataError",
    "DataWarning",
    "DeepNeuralNetwork",
    "History",
    "Identity",
    "ImageError",
    "Layer",
    "LeakyReLU",
    "Loss",
    "MeanSquaredError",
    "ModelFileError",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "TrainingDivergedError",
    "__version__",
    "activations",
    "augment",
    "callbacks",
    "from_onnx",
    "from_sklearn",
    "initializers",
    "load",
    "losses",
    "metrics",
    "optimizers",
    "register",
    "schedules",
]
