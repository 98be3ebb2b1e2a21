"""DeepNeuralNetwork: the post's network, its parameters, forward pass and backpropagation.

This is the one file a learner must read. Conventions, stated once:

- Rows are samples, as in NumPy, scikit-learn, Keras and PyTorch. X is (n, d), the targets
  Y (n, k), and layer l maps (n, h_{l-1}) to (n, h_l).
- The parameters live in one flat dict, ``params``, with the post's keys ``W1, b1, W2, b2, ...``:
  ``W{l}`` is (h_{l-1}, h_l) and ``b{l}`` is (h_l,). The post stores samples as columns, so its
  W is our W.T and its ``W @ A`` is our ``A @ W``.
- Gradients are dicts with the same keys, so an optimizer zips ``params`` with ``grads``.

Forward, for l = 1..L:        z_l = a_{l-1} @ W_l + b_l,     a_l = f_l(z_l),     a_0 = X
Backward, for l = L..1:       dW_l = a_{l-1}.T @ dz_l,        db_l = sum over rows of dz_l
                              dz_{l-1} = f_{l-1}.derive(dz_l @ W_l.T, z_{l-1}, a_{l-1})
where dz_L, the output delta, comes from the loss (see ``losses.py``).

The math trusts its input: the public methods check and convert X and Y first, and run
inference in batches of rows, with the functions of ``inputs.py``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from . import initializers, inputs, losses, saving, training
from ._buffers import Buffers, _buffer
from .activations import ActivationFunction, Array, Sigmoid, Softmax
from .callbacks import History, progress_callbacks
from .initializers import Initializer
from .inputs import INFERENCE_BATCH_BYTES as INFERENCE_BATCH_BYTES
from .layers import Layer
from .losses import Loss
from .reports import format_table

if TYPE_CHECKING:
    from .explain import Explanation


class Step(NamedTuple):
    """What one layer's forward step keeps for backpropagation."""

    x: Array  # the layer's input: the previous layer's output after its dropout
    z: Array  # the pre-activation x @ W + b
    a: Array  # the activation f(z), before this layer's dropout
    mask: Array | None  # this layer's dropout mask, already scaled by 1 / (1 - p); or None


Cache = list[Step]


class DeepNeuralNetwork:
    """A fully connected feed-forward network: the post's ``DeepNeuralNetwork``.

    Parameters
    ----------
    layers:
        At least two ``Layer``s: the input layer (only its size matters), then each layer of
        units in order. The last one is the output.
    learning_rate:
        Step size of gradient descent in ``train_model``.
    loss:
        A ``Loss`` or its name. None picks the one that matches the output activation:
        softmax -> cross_entropy, sigmoid -> binary_cross_entropy, anything else -> mse.
    seed:
        Seed of the ``np.random.Generator`` that initializes the parameters.
    dtype:
        ``np.float32`` (default) or ``np.float64``: every parameter and computation uses it.
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        learning_rate: float = 0.1,
        loss: str | Loss | None = None,
        seed: int | None = None,
        dtype: DTypeLike = np.float32,
        *,
        _init: bool = True,
    ) -> None:
        layers = list(layers)
        if len(layers) < 2:
            raise ValueError(
                f"a network needs at least two layers (input and output); received {len(layers)}"
            )
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} must be a barenet.Layer; received {layer!r}")
        if layers[-1].dropout:
            raise ValueError(
                f"the output layer cannot have dropout (received {layers[-1].dropout}); "
                "put it on a hidden layer"
            )
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64; received {self.dtype}")
        self.layers = layers
        self.learning_rate = float(learning_rate)
        self.loss_function = (
            losses.get(loss) if loss is not None else losses.default_for(self.output_activation)
        )
        self.seed = seed
        self.params: dict[str, Array] = {}
        self.stop_training = False  # set by a callback to end fit after this epoch
        self.training_summary: dict[str, Any] = {}  # set by fit, kept in model files
        if _init:  # NOTE: saving.load passes False, then sets the params it read: no random draw
            self.initialize_params()

    @property
    def output_activation(self) -> ActivationFunction:
        """The last layer's activation function."""
        return self.layers[-1].activation_function

    @property
    def task(self) -> str:
        """What the output layer does: "multiclass" (softmax), "binary" (one sigmoid unit),
        "multilabel" (several sigmoid units) or "regression" (anything else)."""
        if isinstance(self.output_activation, Softmax):
            return "multiclass"
        if isinstance(self.output_activation, Sigmoid):
            return "binary" if self.layers[-1].size == 1 else "multilabel"
        return "regression"

    @property
    def _has_dropout(self) -> bool:
        return any(layer.dropout for layer in self.layers)

    @property
    def n_layers(self) -> int:
        """L, the number of layers with parameters (all but the input layer)."""
        return len(self.layers) - 1

    def __repr__(self) -> str:
        sizes = "-".join(str(layer.size) for layer in self.layers)
        return (
            f"<DeepNeuralNetwork {sizes} {self.task}, loss={self.loss_function.name}, {self.dtype}>"
        )

    # ------------------------------------------------------------------ parameters

    def initialize_params(
        self, method: str | Initializer | None = None, seed: int | None = None
    ) -> None:
        """(Re)draw every weight from its initializer and set every bias to zero.

        A layer's own ``init`` wins; otherwise ``method``; otherwise the activation's default
        (He for the ReLU family, Glorot for the rest). ``seed`` defaults to the network's seed,
        so the same seed always gives the same parameters.

        Shapes: W{l} (h_{l-1}, h_l), b{l} (h_l,)
        """
        rng = np.random.default_rng(self.seed if seed is None else seed)
        params: dict[str, Array] = {}
        for l, (prev, layer) in enumerate(pairwise(self.layers), start=1):
            init = layer.init or method or layer.activation_function.default_init
            W = np.asarray(initializers.get(init)(prev.size, layer.size, rng), dtype=self.dtype)
            if W.shape != (prev.size, layer.size):
                raise ValueError(
                    f"initializer {initializers.name_of(init)!r} of layer {l} returned shape "
                    f"{W.shape}; expected (fan_in, fan_out) = {(prev.size, layer.size)}"
                )
            params[f"W{l}"] = np.ascontiguousarray(W)
            params[f"b{l}"] = np.zeros(layer.size, dtype=self.dtype)
        self.params = params

    # ------------------------------------------------------------------ the math

    def _forward(
        self,
        X: Array,
        rng: np.random.Generator | None = None,
        buffers: Buffers | None = None,
    ) -> tuple[Array, Cache]:
        """Output activations, and per layer the ``Step`` that backprop needs.

        For each layer, z = x @ W + b and a = f(z). With ``rng`` (while training), layers with
        dropout zero a random part of their output. With ``buffers`` (training only) the hidden
        layers write z, the dropout masks and the dropped-out outputs into arrays reused from
        batch to batch, so the cache holds arrays that the next training step overwrites; the
        output layer's z and a are always new arrays.
        Shapes: X (n, d) -> a_L (n, k); cache[l-1].x (n, h_{l-1}), .z and .a (n, h_l)
        """
        cache: Cache = []
        x = X if rng is None else _dropout(X, self.layers[0].dropout, rng, buffers, "x0")
        for l, layer in enumerate(self.layers[1:], start=1):
            out = _buffer(buffers, f"z{l}", len(x), layer.size) if l < self.n_layers else None
            z = np.matmul(x, self.params[f"W{l}"], out=out)  # z = x @ W + b, in place
            z += self.params[f"b{l}"]
            a = layer.activation_function.activate(z)
            mask = None if rng is None else _dropout_mask(a, layer.dropout, rng, buffers, f"m{l}")
            cache.append(Step(x, z, a, mask))
            x = a if mask is None else np.multiply(a, mask, out=_buffer(buffers, f"x{l}", *a.shape))
        return x, cache

    def _output_delta(self, a: Array, z: Array, Y: Array) -> Array:
        """dL/dz of the output layer: fused (a - Y) / N when the loss allows, else the chain rule.

        Shapes: a, z, Y (n, k) -> (n, k)
        """
        if self.loss_function.fuses_with(self.output_activation):  # NOTE: a new array,
            return self.loss_function.delta(z, a, Y)  # which the training step scales in place
        return self.output_activation.derive(self.loss_function.grad(a, Y), z, a)

    def _backward(
        self, dz: Array, cache: Cache, buffers: Buffers | None = None
    ) -> dict[str, Array]:
        """Gradients of the loss for every parameter, from the output delta dz = dL/dz_L.

        For each layer, from the last:
            dW = x.T @ dz
            db = dz summed over the rows        (see ``_column_sums``)
            dz = f.derive(dz @ W.T, z, a)       for the layer below, back through its dropout
        Every gradient is linear in dz: given c * dz, every gradient comes out multiplied by c
        (plain SGD folds its learning rate in that way). With ``buffers`` (training only), the
        gradients and deltas are written into arrays that the next training step overwrites.
        Shapes: dz (n, k) -> {W{l}: (h_{l-1}, h_l), b{l}: (h_l,)}
        """
        grads: dict[str, Array] = {}
        for l in range(self.n_layers, 0, -1):
            W, x = self.params[f"W{l}"], cache[l - 1].x
            dW, db = _buffer(buffers, f"dW{l}", *W.shape), _buffer(buffers, f"db{l}", W.shape[1])
            grads[f"W{l}"] = np.matmul(x.T, dz, out=dW)  # dW = x.T @ dz
            grads[f"b{l}"] = _column_sums(dz, out=db)  # db = dz.sum(axis=0)
            if l > 1:  # NOTE: no dL/dX for the first layer: nothing uses it
                prev = cache[l - 2]
                da = np.matmul(dz, W.T, out=_buffer(buffers, f"da{l - 1}", *prev.a.shape))
                if prev.mask is not None:  # back through dropout: the same units are dropped
                    da *= prev.mask
                dz = self.layers[l - 1].activation_function.derive(da, prev.z, prev.a)
        return grads

    def _loss_value(self, a: Array, z: Array, Y: Array, labels: Array | None = None) -> float:
        """The mean loss from the output layer's a and z: from the logits when fused.

        With ``labels``, the classes of one-hot rows Y as integers, softmax + cross-entropy
        reads the loss at the labels instead: -mean(log a[i, labels[i]]), the same value for
        less work (see ``CrossEntropy.at_labels``).
        """
        loss = self.loss_function
        if loss.fuses_with(self.output_activation):
            if labels is not None and isinstance(loss, losses.CrossEntropy):
                return loss.at_labels(a, z, labels)
            return loss.from_logits(z, Y)
        return loss(a, Y)

    # ------------------------------------------------------------------ public API

    def forward(self, X: ArrayLike, batch_size: int | None = None) -> Array:
        """The output layer's activations for X.  Shapes: X (n, d) -> (n, k).

        X is converted to the network's dtype and checked ``batch_size`` rows at a time (None:
        as many rows as keep a batch near ``inputs.INFERENCE_BATCH_BYTES``), so a large input,
        such as a uint8 ``np.memmap``, is never copied whole: the extra memory is the output
        plus a few batches. Any batch size gives the same results up to rounding: BLAS picks
        its kernels by the number of rows, so they are not always equal to the bit.
        """
        return inputs.map_batches(self, X, batch_size, lambda a: a)

    def loss(self, X: ArrayLike, Y: ArrayLike) -> float:
        """The mean loss over the samples of X against targets Y (labels (n,) or (n, k))."""
        X, Y = self._check_XY(X, Y)
        a, cache = self._forward(X)
        return self._loss_value(a, cache[-1].z, Y)

    def gradients(self, X: ArrayLike, Y: ArrayLike) -> dict[str, Array]:
        """The gradient of ``loss(X, Y)`` for every parameter, keyed like ``params``."""
        return self._gradients(*self._check_XY(X, Y))

    def _gradients(self, X: Array, Y: Array) -> dict[str, Array]:
        a, cache = self._forward(X)
        return self._backward(self._output_delta(a, cache[-1].z, Y), cache)

    fit = training.fit

    def train_model(
        self, X: ArrayLike, Y: ArrayLike, iterations: int = 1000, verbose: int = 1
    ) -> History:
        """Full-batch gradient descent, as in the post: ``iterations`` steps of
        ``params[key] -= learning_rate * grads[key]`` over the whole of X. That is ``fit``
        with the whole set as one batch, in order, and plain gradient descent: each of fit's
        epochs is one iteration.

        ``verbose``: 1 (the default) one progress bar over the iterations with the loss and
        the metric, 2 one line per iteration, 0 silence. Returns the ``History``, one entry per
        iteration: ``history.iteration`` (0, 1, ...) and ``history.history["loss"]``.
        """
        history = self.fit(
            X,
            Y,
            epochs=iterations,
            batch_size=None,
            shuffle=False,
            verbose=0,
            callbacks=progress_callbacks(verbose, unit="iteration"),
        )
        history.unit = "iteration"
        return history

    def predict_proba(self, X: ArrayLike, batch_size: int | None = None) -> Array:
        """Probabilities (or output values) per sample, in batches as ``forward``.

        Shapes: X (n, d) -> (n, k)
        """
        return self.forward(X, batch_size)

    def predict(self, X: ArrayLike, batch_size: int | None = None) -> NDArray[Any]:
        """Predictions: for a softmax output the class labels (n,); for sigmoid outputs 0/1;
        else the output values. One output unit gives (n,), several give (n, k).
        Computed in batches as ``forward``."""
        return inputs.map_batches(self, X, batch_size, self._predictions)

    def _predictions(self, a: Array) -> NDArray[Any]:
        """``predict`` of a batch's output activations a (n, k)."""
        if isinstance(self.output_activation, Softmax):
            return a.argmax(axis=1)
        if isinstance(self.output_activation, Sigmoid):
            a = (a >= 0.5).astype(np.int64)
        return a[:, 0] if a.shape[1] == 1 else a

    def score(self, X: ArrayLike, y: ArrayLike, batch_size: int | None = None) -> float:
        """Accuracy for classifiers (the fraction of samples whose every label is right),
        R^2 for regression (an identity or other non-probability output).

        The post's scoring function, fixed: any number of classes, labels or one-hot targets.
        accuracy = mean over rows of [argmax a == argmax Y] (sigmoid: every (a >= 0.5) ==
        (Y >= 0.5)); R^2 = 1 - sum((Y - a)**2) / sum((Y - mean(Y))**2).
        X is read in batches as in ``forward``; the targets are checked whole (they are the
        size of the output).
        """
        A = inputs.input_array(self, X)
        Y = inputs.check_Y(self, y, len(A))
        if len(A) == 0:
            raise ValueError("score needs at least one sample; X has 0 rows")
        size = inputs.inference_batch(self, batch_size)
        hits = 0.0  # classifiers: rows with every label right; regression: squared residuals
        for start in range(0, len(A), size):
            a = self._forward(inputs.rows(self, A, start, start + size))[0]
            hits += training._hits(self, a, Y[start : start + size])
        ss_tot = training._total_sum_of_squares(Y) if self.task == "regression" else 0.0
        return training._metric(self, hits, len(A), ss_tot)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write this network to a safetensors model file, ``*.safetensors`` (see ``saving.py``)."""
        saving.save(self, path)

    def to_onnx(self, path: str | os.PathLike[str]) -> None:
        """Write this network as an ONNX graph: Gemm + activation per layer (``interop``)."""
        from .interop.onnx_export import to_onnx

        to_onnx(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DeepNeuralNetwork:
        """A new network read from a model file written by ``save``; ``barenet.load(path)``
        is the same. It does not change the network it is called on."""
        return saving.load(path)

    def summary(self) -> str:
        """The architecture as a table: layer, size, activation, parameter count, initializer."""
        rows: list[list[Any]] = [["0 (input)", self.layers[0].size, "-", 0, "-"]]
        for l, layer in enumerate(self.layers[1:], start=1):
            count = self.params[f"W{l}"].size + self.params[f"b{l}"].size
            init = layer.init or layer.activation_function.default_init
            act = repr(layer.activation_function)
            if layer.dropout:
                act += f" + dropout {layer.dropout:g}"
            rows.append([l, layer.size, act, count, initializers.name_of(init)])
        table = format_table(["layer", "size", "activation", "parameters", "initializer"], rows)
        total = sum(p.size for p in self.params.values())
        return (
            f"{table}\n{total} parameters, {self.dtype}, loss {self.loss_function.name}, "
            f"task {self.task}"
        )

    def explain(self, X_one: ArrayLike) -> Explanation:
        """One sample's trip through the network: each layer's z and a, top units, output."""
        from .explain import explain

        return explain(self, X_one)

    # ------------------------------------------------------------------ input checks

    def _check_X(self, X: ArrayLike) -> Array:
        """X as the math takes it, or a ValueError saying why not (``inputs.check_X``)."""
        return inputs.check_X(self, X)

    def _check_XY(self, X: ArrayLike, Y: ArrayLike) -> tuple[Array, Array]:
        """X and the targets Y as the math takes them (``inputs.check_XY``)."""
        return inputs.check_XY(self, X, Y)


def _column_sums(dz: Array, out: Array | None = None) -> Array:
    """dz.sum(axis=0).  Shapes: dz (n, k) -> (k,)

    NOTE: NumPy adds the rows one at a time, slow when they are short and many (the post's
    (60000, 10) deltas); there the product ones @ dz, one BLAS call, is several times faster.
    For wider rows the plain sum is as fast, and needs no second thread.
    """
    if dz.shape[1] <= 32:
        return np.matmul(np.ones(len(dz), dz.dtype), dz, out=out)
    return np.sum(dz, axis=0, out=out)


def _dropout_mask(
    a: Array, p: float, rng: np.random.Generator, buffers: Buffers | None = None, name: str = ""
) -> Array | None:
    """Inverted dropout: 0 with probability p, else 1 / (1 - p); None when p is 0."""
    if not p:
        return None
    u = rng.random(a.shape, dtype=a.dtype, out=_buffer(buffers, name, *a.shape))
    return np.multiply(u >= p, a.dtype.type(1.0 / (1.0 - p)), out=u)


def _dropout(
    x: Array, p: float, rng: np.random.Generator, buffers: Buffers | None = None, name: str = ""
) -> Array:
    mask = _dropout_mask(x, p, rng, buffers, f"m{name}")
    return x if mask is None else np.multiply(x, mask, out=_buffer(buffers, name, *x.shape))
