"""fit: histories, every kind of task, reproducibility, divergence, checkpoints and resuming."""

import warnings

import numpy as np
import pytest

from barenet import DeepNeuralNetwork, Layer
from barenet.callbacks import Callback
from barenet.optimizers import Adam
from barenet.training import TrainingDivergedError, evaluate


def blobs(n=200, d=4, k=3, seed=0):
    """k well-separated Gaussian clusters: an easy multiclass problem."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    centers = rng.normal(size=(k, d)) * 4
    return (centers[y] + rng.normal(size=(n, d))).astype(np.float32), y


def mlp(d=4, k=3, out="softmax", hidden=16, dropout=0.0, seed=0, **kw):
    return DeepNeuralNetwork(
        [Layer(d), Layer(hidden, "relu", dropout=dropout), Layer(k, out)], seed=seed, **kw
    )


def test_fit_returns_a_keras_style_history():
    X, y = blobs()
    history = mlp().fit(
        X, y, epochs=5, batch_size=16, optimizer="adam", validation_split=0.25, verbose=0
    )
    assert history.epoch == [0, 1, 2, 3, 4]
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(v) == 5 for v in history.history.values())
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.9


def test_validation_split_holds_out_the_last_samples():
    X, y = blobs()
    model = mlp()
    history = model.fit(X, y, epochs=2, validation_split=0.25, verbose=0, optimizer="sgd")
    Xv, Yv = model._check_XY(X[150:], y[150:])
    assert history.history["val_loss"][-1] == pytest.approx(evaluate(model, Xv, Yv)["loss"])


def test_same_seed_bit_identical_weights_with_shuffle_dropout_and_augment():
    X, y = blobs()

    def jitter(Xb, rng):
        return Xb + rng.normal(size=Xb.shape).astype(Xb.dtype) * 0.1

    def run(seed):
        model = mlp(dropout=0.3)
        model.fit(
            X, y, epochs=3, batch_size=8, optimizer="adam", seed=seed, augment=jitter, verbose=0
        )
        return model.params

    a, b, c = run(1), run(1), run(2)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["W1"], c["W1"])


def test_binary_task():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int)
    model = mlp(d=5, k=1, out="sigmoid")
    assert model.task == "binary"
    history = model.fit(X, y, epochs=40, batch_size=32, optimizer=Adam(0.01), verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    assert model.predict_proba(X).shape == (300, 1)
    assert set(np.unique(model.predict(X))) <= {0, 1} and model.predict(X).shape == (300,)
    assert model.score(X, y) > 0.9


def test_multilabel_task():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6)).astype(np.float32)
    Y = np.stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] * X[:, 4] > 0], axis=1).astype(int)
    model = mlp(d=6, k=3, out="sigmoid", hidden=32)
    assert model.task == "multilabel"
    history = model.fit(X, Y, epochs=40, batch_size=32, optimizer=Adam(0.01), verbose=0)
    assert model.predict(X).shape == (400, 3)
    assert history.history["accuracy"][-1] > 0.8  # every label of a row right
    assert model.score(X, Y) > 0.8


def test_regression_task():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 2)).astype(np.float32)
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    model = mlp(d=2, k=1, out="identity", hidden=32)
    assert model.task == "regression"
    history = model.fit(
        X, y, epochs=60, batch_size=32, optimizer=Adam(0.01), verbose=0, validation_split=0.2
    )
    assert list(history.history) == ["loss", "r2", "val_loss", "val_r2"]
    assert model.score(X, y) > 0.95
    assert history.history["r2"][-1] == pytest.approx(model.score(X[:320], y[:320]), abs=0.05)


def test_nan_in_x_is_refused_before_any_update():
    X, y = blobs()
    X[17, 2] = np.nan
    model = mlp()
    before = model.params["W1"].copy()
    with pytest.raises(ValueError, match="X holds nan at row 17, column 2"):
        model.fit(X, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.params["W1"], before)


def test_divergence_is_reported_and_the_weights_stay_finite():
    from barenet.optimizers import SGD

    X, y = blobs()
    model = mlp()
    message = r"epoch \d+, batch \d+: the loss is .* learning rate 100\. Try .* such as 10"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one clear error, no NumPy warnings before it
        with pytest.raises(TrainingDivergedError, match=message):
            model.fit(X * 100, y, epochs=50, batch_size=200, optimizer=SGD(100.0), verbose=0)
    assert all(np.isfinite(p).all() for p in model.params.values())
    assert issubclass(TrainingDivergedError, FloatingPointError)


class InterruptAt(Callback):
    """Raises KeyboardInterrupt in the middle of the given epoch, like Ctrl-C."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if self._current == self.epoch and batch == 2:
            raise KeyboardInterrupt

    def on_epoch_begin(self, epoch, logs=None):
        self._current = epoch


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path):
    X, y = blobs()
    kwargs = dict(epochs=5, batch_size=16, optimizer="adam", seed=3, verbose=0)
    straight = mlp(dropout=0.2)
    straight_history = straight.fit(X, y, **kwargs)

    path = tmp_path / "ckpt.npz"
    first = mlp(dropout=0.2)
    with pytest.raises(KeyboardInterrupt):
        first.fit(X, y, checkpoint=str(path), callbacks=[InterruptAt(epoch=3)], **kwargs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]  # no temp file left

    resumed = mlp(dropout=0.2, seed=99)  # other initial weights: the checkpoint replaces them
    history = resumed.fit(X, y, resume_from=str(path), **kwargs)
    for key in straight.params:
        np.testing.assert_array_equal(resumed.params[key], straight.params[key])
    assert history.epoch == [0, 1, 2, 3, 4]
    assert history.history == straight_history.history


def test_resume_refuses_a_checkpoint_of_another_network_or_optimizer(tmp_path):
    from barenet.checkpoints import CheckpointError

    X, y = blobs()
    path = str(tmp_path / "c.npz")
    mlp().fit(X, y, epochs=1, optimizer="adam", checkpoint=path, verbose=0)
    with pytest.raises(CheckpointError, match=r"layer sizes \[4, 16, 3\], but this network has"):
        mlp(hidden=8).fit(X, y, epochs=2, optimizer="adam", resume_from=path, verbose=0)
    with pytest.raises(CheckpointError, match=r"written by optimizer 'adam'.*'sgd'"):
        mlp().fit(X, y, epochs=2, optimizer="sgd", resume_from=path, verbose=0)
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        mlp().fit(X, y, epochs=2, resume_from=str(tmp_path / "missing.npz"), verbose=0)


def test_bad_arguments():
    X, y = blobs()
    with pytest.raises(ValueError, match="validation_split must be in"):
        mlp().fit(X, y, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        mlp().fit(X, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="verbose must be 0, 1 or 2"):
        mlp().fit(X, y, verbose=3)
    with pytest.raises(ValueError, match="unknown optimizer"):
        mlp().fit(X, y, optimizer="adamax", verbose=0)
    with pytest.raises(ValueError, match="output layer cannot have dropout"):
        DeepNeuralNetwork([Layer(2), Layer(2, "softmax", dropout=0.5)])


def test_verbose_levels(capsys):
    X, y = blobs(n=64)
    mlp().fit(X, y, epochs=2, verbose=0)
    assert capsys.readouterr() == ("", "")
    mlp().fit(X, y, epochs=2, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[1].startswith("Epoch 2/2 - loss: ") and "accuracy: " in out[1]
    mlp().fit(X, y, epochs=2, verbose=1)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "batch" in err


def test_dropout_is_off_at_prediction_and_its_backward_pass_is_exact():
    from barenet.testing import _numeric_gradient

    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4))
    Y = np.eye(3)[rng.integers(0, 3, size=6)]
    model = DeepNeuralNetwork(
        [
            Layer(4, dropout=0.25),
            Layer(8, "tanh", dropout=0.5),
            Layer(5, "relu", dropout=0.3),
            Layer(3, "softmax"),
        ],
        seed=0,
        dtype=np.float64,
    )
    np.testing.assert_array_equal(model.forward(X), model.forward(X))  # no dropout: deterministic

    # with a generator of a fixed seed the masks are fixed, so the loss is a smooth function
    def loss():
        a, cache = model._forward(X, rng=np.random.default_rng(5))
        return model._loss_value(a, cache[-1].z, Y)

    a, cache = model._forward(X, rng=np.random.default_rng(5))
    assert not np.allclose(a, model.forward(X))
    assert any((step.mask == 0).any() for step in cache if step.mask is not None)
    grads = model._backward(model._output_delta(a, cache[-1].z, Y), cache)
    for key, param in model.params.items():
        np.testing.assert_allclose(grads[key], _numeric_gradient(loss, param, 1e-6), atol=1e-7)


def test_train_model_is_full_batch_gradient_descent():
    # float64, so that the training step's order of operations (it folds the learning rate
    # into the output delta) rounds far below the tolerance
    X, y = blobs(n=50)
    a, b = (mlp(learning_rate=0.05, dtype=np.float64) for _ in range(2))
    history = a.train_model(X, y, iterations=3)
    assert len(history.epoch) == 3
    for _ in range(3):
        for key, grad in b.gradients(X, y).items():
            b.params[key] -= 0.05 * grad
    for key in a.params:
        np.testing.assert_allclose(a.params[key], b.params[key], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_training_steps_equal_the_plain_formulas(optimizer):
    # fit's steps reuse buffers, fold plain SGD's learning rate into the output delta, read
    # the loss at the labels and sum columns as ones @ dz: the same epochs written plainly,
    # with model.gradients, must give the same weights and the same logs. 70 samples in
    # batches of 16: four full batches and one of 6, so two sets of buffers take turns.
    from barenet import optimizers

    X, y = blobs(n=70)
    model, plain = mlp(dtype=np.float64), mlp(dtype=np.float64)
    history = model.fit(
        X,
        y,
        epochs=2,
        batch_size=16,
        seed=3,
        verbose=0,
        optimizer=optimizers.get(optimizer, learning_rate=0.05),
    )
    reference = optimizers.get(optimizer, learning_rate=0.05)
    rng = np.random.default_rng(3)
    Xc, Yc = plain._check_XY(X, y)
    for epoch in range(2):
        order = rng.permutation(70)
        loss_sum = hits = 0.0
        for start in range(0, 70, 16):
            idx = order[start : start + 16]
            loss_sum += plain.loss(Xc[idx], Yc[idx]) * len(idx)
            hits += np.count_nonzero(plain.predict(Xc[idx]) == y[idx])
            reference.step(plain.params, plain.gradients(Xc[idx], Yc[idx]))
        assert history.history["loss"][epoch] == pytest.approx(loss_sum / 70, rel=1e-12)
        assert history.history["accuracy"][epoch] == hits / 70
    for key in model.params:
        np.testing.assert_allclose(model.params[key], plain.params[key], rtol=1e-12, atol=1e-14)


def test_training_steps_with_dropout_equal_the_plain_formulas():
    from barenet.optimizers import SGD

    def net():
        layers = [Layer(4, dropout=0.2), Layer(16, "relu", dropout=0.5), Layer(3, "softmax")]
        return DeepNeuralNetwork(layers, seed=0, dtype=np.float64)

    X, y = blobs(n=40)
    model, plain = net(), net()
    model.fit(X, y, epochs=3, batch_size=None, shuffle=False, optimizer=SGD(0.1), seed=4, verbose=0)
    rng = np.random.default_rng(4)
    Xc, Yc = plain._check_XY(X, y)
    for _ in range(3):
        a, cache = plain._forward(Xc, rng=rng)
        grads = plain._backward(plain._output_delta(a, cache[-1].z, Yc), cache)
        for key, grad in grads.items():
            plain.params[key] -= 0.1 * grad
    for key in model.params:
        np.testing.assert_allclose(model.params[key], plain.params[key], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("out", ["softmax", "identity"])
def test_what_a_training_step_hands_out_is_not_overwritten_by_the_next(out):
    from barenet.optimizers import SGD
    from barenet.training import TrainingRun

    X, y = blobs(n=40)
    model = mlp(out=out)
    Xc, Yc = model._check_XY(X, y if out == "softmax" else np.eye(3)[y])
    run = TrainingRun(model, SGD(0.1), np.random.default_rng(0), 1, 20, Xc, Yc)
    _, a = run.train_step(Xc[:20], Yc[:20])
    outputs, cache = model._forward(Xc[:20])  # outside training: new arrays
    kept = [a.copy(), outputs.copy()] + [s.z.copy() for s in cache] + [s.a.copy() for s in cache]
    run.train_step(Xc[20:], Yc[20:])
    run.train_step(Xc[:20], Yc[:20])
    now = [a, outputs] + [s.z for s in cache] + [s.a for s in cache]
    for before, after in zip(kept, now, strict=True):
        np.testing.assert_array_equal(after, before)


def test_a_corrupt_checkpoint_is_refused_with_its_name(tmp_path):
    import json

    from barenet.checkpoints import CheckpointError

    X, y = blobs()
    path = tmp_path / "c.npz"
    mlp().fit(X, y, epochs=1, optimizer="adam", checkpoint=str(path), verbose=0)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["rng"]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    with pytest.raises(
        CheckpointError, match=r"c\.npz: incomplete or corrupt checkpoint \(KeyError"
    ):
        mlp().fit(X, y, epochs=2, optimizer="adam", resume_from=str(path), verbose=0)
