"""The systems the speed benchmark compares, each training the same MLP the same way.

- ``barenet``: ``DeepNeuralNetwork.fit``, the library under test;
- ``numpy``: the same math written straightforwardly in NumPy (new arrays everywhere, fancy
  indexing per batch): the reference barenet must beat by how it is written;
- ``torch``: idiomatic PyTorch on the CPU (``nn.Sequential``, autograd, ``torch.optim``);
- ``sklearn``: scikit-learn's ``MLPClassifier`` with its SGD or Adam solver;
- ``floor`` and ``torch-floor``: not systems but the matrix-product floor: the matrix products
  that barenet's training step needs (``x @ W``, ``x.T @ dz`` and ``dz @ W.T``), on arrays of
  the same shapes, and nothing else; through NumPy (OpenBLAS) and through PyTorch (its BLAS).
  Their ratio is the BLAS libraries' difference at the workload's shapes.

Every system: ReLU hidden layers, softmax + cross-entropy, He-normal hidden weights and zero
biases (barenet's softmax layer takes its default Glorot-uniform weights, the NumPy and PyTorch
peers He-normal ones; scikit-learn uses its own Glorot-style init), float32 (scikit-learn
keeps float32 input), a new shuffle every epoch, the same seed. ``train`` returns a predict
function.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Predict = Callable[[np.ndarray], np.ndarray]


def train_barenet(X, y, sizes, optimizer, lr, batch, epochs, seed, callbacks=None) -> Predict:
    from barenet import DeepNeuralNetwork, Layer, optimizers

    layers = [Layer(sizes[0])] + [Layer(h, "relu") for h in sizes[1:-1]]
    model = DeepNeuralNetwork([*layers, Layer(sizes[-1], "softmax")], learning_rate=lr, seed=seed)
    opt = None if optimizer == "gd" else optimizers.get(optimizer, learning_rate=lr)
    model.fit(
        X,
        y,
        epochs=epochs,
        batch_size=batch,
        optimizer=opt,
        seed=seed,
        verbose=0,
        shuffle=batch is not None,
        callbacks=callbacks or (),
    )
    return model.predict


def train_numpy(X, y, sizes, optimizer, lr, batch, epochs, seed) -> Predict:
    """The textbook loop: forward, softmax, backward, update, with nothing reused."""
    rng = np.random.default_rng(seed)
    Ws = [
        rng.normal(0, np.sqrt(2 / i), (i, o)).astype(np.float32)
        for i, o in itertools.pairwise(sizes)
    ]
    bs = [np.zeros(o, np.float32) for o in sizes[1:]]
    params = [p for pair in zip(Ws, bs, strict=False) for p in pair]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    Y = np.eye(sizes[-1], dtype=np.float32)[y]
    n, batch, t = len(X), batch or len(X), 0

    def forward(x):
        acts, zs = [x], []
        for W, b in zip(Ws[:-1], bs[:-1], strict=False):
            zs.append(acts[-1] @ W + b)
            acts.append(np.maximum(zs[-1], 0))
        z = acts[-1] @ Ws[-1] + bs[-1]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return acts, zs, e / e.sum(axis=1, keepdims=True)

    for _ in range(epochs):
        order = rng.permutation(n) if batch < n else np.arange(n)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            xb, yb = X[idx], Y[idx]
            acts, zs, p = forward(xb)
            dz = (p - yb) / len(xb)
            grads = []
            for l in range(len(Ws) - 1, -1, -1):
                grads[:0] = [acts[l].T @ dz, dz.sum(axis=0)]
                if l > 0:
                    dz = (dz @ Ws[l].T) * (zs[l - 1] > 0)
            t += 1
            for i, (param, g) in enumerate(zip(params, grads, strict=False)):
                if optimizer == "adam":
                    m[i] = 0.9 * m[i] + 0.1 * g
                    v[i] = 0.999 * v[i] + 0.001 * g * g
                    param -= lr * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-8)
                else:
                    param -= lr * g
    return lambda x: forward(x)[2].argmax(axis=1)


def train_torch(X, y, sizes, optimizer, lr, batch, epochs, seed) -> Predict:
    import torch
    from torch import nn

    torch.manual_seed(seed)
    modules: list[Any] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        linear = nn.Linear(a, b)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        modules += [linear] if i == len(sizes) - 2 else [linear, nn.ReLU()]
    model = nn.Sequential(*modules)
    opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)(model.parameters(), lr=lr)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    n, batch = len(X), batch or len(X)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen) if batch < n else None
        for start in range(0, n, batch):
            if order is None:
                xb, yb = Xt[start : start + batch], yt[start : start + batch]
            else:
                idx = order[start : start + batch]
                xb, yb = Xt[idx], yt[idx]
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model(torch.from_numpy(x)).argmax(dim=1).numpy()

    return predict


def train_sklearn(X, y, sizes, optimizer, lr, batch, epochs, seed) -> Predict:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=tuple(sizes[1:-1]),
        activation="relu",
        solver="adam" if optimizer == "adam" else "sgd",
        learning_rate_init=lr,
        momentum=0.0,
        nesterovs_momentum=False,
        batch_size=batch or len(X),
        max_iter=epochs,
        alpha=0.0,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        shuffle=batch is not None,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return clf.predict


def _batch_sizes(n: int, batch: int | None) -> list[int]:
    """The size of every batch of one epoch, in order."""
    batch = batch or n
    return [min(batch, n - start) for start in range(0, n, batch)]


def floor_arrays(X, sizes, batch, seed):
    """``floor_numpy``'s operands: (Ws, dWs, {batch size: (xs, dzs, zs, das)}), where the first
    layer's input is rows of X and the other operands are random arrays of the right shapes."""
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(0, 0.1, (i, o)).astype(np.float32) for i, o in itertools.pairwise(sizes)]
    dWs = [np.empty_like(W) for W in Ws]
    arrays = {}
    for m in set(_batch_sizes(len(X), batch)):
        xs = [np.ascontiguousarray(X[:m])]
        xs += [rng.random((m, h), dtype=np.float32) for h in sizes[1:-1]]
        dzs = [rng.random((m, h), dtype=np.float32) - 0.5 for h in sizes[1:]]
        arrays[m] = (xs, dzs, [np.empty_like(dz) for dz in dzs], [np.empty_like(x) for x in xs])
    return Ws, dWs, arrays


def floor_forward(Ws, xs, zs) -> None:
    """A batch's forward products: z_l = x_l @ W_l for every layer."""
    for x, W, z in zip(xs, Ws, zs, strict=True):
        np.matmul(x, W, out=z)


def floor_backward(Ws, dWs, xs, dzs, das) -> None:
    """A batch's backward products: dW_l = x_l.T @ dz_l, and da_{l-1} = dz_l @ W_l.T for every
    layer but the first."""
    for layer in range(len(Ws) - 1, -1, -1):
        np.matmul(xs[layer].T, dzs[layer], out=dWs[layer])
        if layer > 0:
            np.matmul(dzs[layer], Ws[layer].T, out=das[layer])


def floor_numpy(X, y, sizes, optimizer, lr, batch, epochs, seed) -> None:
    """The matrix products of barenet's training step, and nothing else, in NumPy.

    Per batch: z_l = x_l @ W_l and dW_l = x_l.T @ dz_l for every layer, da_{l-1} = dz_l @ W_l.T
    for every layer but the first. Every output goes into a preallocated array (``out=``) that
    is never read back (no values drift towards overflow or subnormals); the first layer's
    input is rows of X, the other operands are random arrays of the right shapes.
    """
    Ws, dWs, arrays = floor_arrays(X, sizes, batch, seed)
    for _ in range(epochs):
        for m in _batch_sizes(len(X), batch):
            xs, dzs, zs, das = arrays[m]
            floor_forward(Ws, xs, zs)
            floor_backward(Ws, dWs, xs, dzs, das)


def floor_torch(X, y, sizes, optimizer, lr, batch, epochs, seed) -> None:
    """``floor_numpy``'s products through PyTorch (``torch.matmul(..., out=)``, x.T @ dz)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    Ws = [torch.randn(i, o, generator=gen) * 0.1 for i, o in itertools.pairwise(sizes)]
    dWs = [torch.empty_like(W) for W in Ws]
    arrays = {}
    for m in set(_batch_sizes(len(X), batch)):
        xs = [torch.from_numpy(X[:m]).contiguous()]
        xs += [torch.rand(m, h, generator=gen) for h in sizes[1:-1]]
        dzs = [torch.rand(m, h, generator=gen) - 0.5 for h in sizes[1:]]
        arrays[m] = (
            xs,
            dzs,
            [torch.empty_like(dz) for dz in dzs],
            [torch.empty_like(x) for x in xs],
        )
    with torch.no_grad():
        for _ in range(epochs):
            for m in _batch_sizes(len(X), batch):
                xs, dzs, zs, das = arrays[m]
                for x, W, z in zip(xs, Ws, zs, strict=True):
                    torch.matmul(x, W, out=z)
                for l in range(len(Ws) - 1, -1, -1):
                    torch.matmul(xs[l].T, dzs[l], out=dWs[l])
                    if l > 0:
                        torch.matmul(dzs[l], Ws[l].T, out=das[l])


SYSTEMS: dict[str, Callable[..., Predict | None]] = {
    "floor": floor_numpy,
    "barenet": train_barenet,
    "numpy": train_numpy,
    "torch": train_torch,
    "torch-floor": floor_torch,
    "sklearn": train_sklearn,
}


def training_flops(sizes: Sequence[int], n_samples: int, epochs: int) -> float:
    """Multiply-adds x 2 of forward (x @ W), dW (x.T @ dz) and dX (dz @ W.T, not for layer 1)."""
    per_sample = sum(
        2 * a * b * (2 if i == 0 else 3) for i, (a, b) in enumerate(itertools.pairwise(sizes))
    )
    return float(per_sample) * n_samples * epochs
