"""fit: histories, every kind of task, reproducibility, divergence, checkpoints and resuming."""

import warnings

import numpy as np
import pytest

import barenet
from barenet import DeepNeuralNetwork, Layer, optimizers
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


def unscaled_digits(n=300, seed=0):
    """MNIST-like rows of raw 0..255 pixels (not divided by 255): a pattern per class plus noise."""
    rng = np.random.default_rng(seed)
    patterns = rng.random((10, 784)) > 0.7
    labels = np.arange(n) % 10
    noise = rng.random((n, 784)) > 0.9
    return np.where(patterns[labels] ^ noise, 255, 0).astype(np.float32), labels


def test_a_loss_that_explodes_but_stays_finite_is_divergence():
    # the issue's case: SGD at learning rate 100 on unscaled pixels. Without the check the loss
    # goes to ~1e11 and back down to ~40 with chance accuracy, all finite, and no error
    from barenet.optimizers import SGD

    X, y = unscaled_digits()
    model = mlp(d=784, k=10)
    before = {k: v.copy() for k, v in model.params.items()}
    message = r"epoch 1, batch 2: the loss is .*e\+\d+, over 1000 times its starting level"
    with pytest.raises(TrainingDivergedError, match=message + r".* learning rate 100\. Try"):
        model.fit(X, y, epochs=3, batch_size=32, optimizer=SGD(100.0), verbose=0)
    for key, value in before.items():  # back to the weights of the epoch's start
        np.testing.assert_array_equal(model.params[key], value)


def test_an_overflow_on_the_very_last_update_is_divergence():
    from barenet.optimizers import SGD

    X, y = blobs()
    model = mlp()
    before = {k: v.copy() for k, v in model.params.items()}
    # one full batch, one epoch: its loss is finite, computed before the update that overflows
    with pytest.raises(TrainingDivergedError, match=r"last update \(batch 1\) made the weights"):
        model.fit(X, y, epochs=1, batch_size=None, optimizer=SGD(1e39), verbose=0)
    for key, value in before.items():
        np.testing.assert_array_equal(model.params[key], value)


def test_the_divergence_limit_is_1000_times_the_larger_of_first_and_constant_loss():
    from barenet.optimizers import SGD
    from barenet.training import DIVERGENCE_FACTOR, TrainingRun

    def run(model, Y):
        X = np.zeros((len(Y), model.layers[0].size), dtype=np.float32)
        rng = np.random.default_rng(0)
        return TrainingRun(model, SGD(0.1), rng, 1, 4, X, *model._check_XY(X, Y)[1:])

    assert DIVERGENCE_FACTOR == 1000
    balanced = np.arange(12) % 3  # predicting the class frequencies costs log 3
    classifier = run(mlp(), balanced)
    assert classifier.loss_limit(1e-4) == pytest.approx(1000 * np.log(3), rel=1e-6)
    assert classifier.loss_limit(50.0) == pytest.approx(1000 * 50.0)
    targets = np.array([1.0, 3.0, 1.0, 3.0])  # mean 2, variance 1
    regressor = run(mlp(k=1, out="identity"), targets)
    assert regressor.loss_limit(0.5) == pytest.approx(1000.0)
    constant = run(mlp(k=1, out="identity"), np.full(4, 7.0))
    assert constant.loss_limit(0.0) == np.inf  # no scale to compare with


def test_a_run_whose_first_batch_is_nearly_perfect_may_meet_far_worse_batches():
    X, y = blobs()
    model = mlp()
    model.fit(X, y, epochs=30, batch_size=16, optimizer="adam", verbose=0)
    # the first batch is learned (loss ~0.003); the rest have labels the network contradicts
    wrong = (y + 1) % 3
    X2, y2 = np.concatenate([X[:16], X[:192]]), np.concatenate([y[:16], wrong[:192]])
    totals = []  # after each batch: the sum of the batch losses so far, each times 16

    class RunningTotals(Callback):
        def on_batch_end(self, batch, logs=None):
            totals.append(logs["loss"] * 16 * (batch + 1))

    history = model.fit(
        X2, y2, epochs=1, batch_size=16, shuffle=False, optimizer="sgd", verbose=0,
        callbacks=[RunningTotals()],
    )  # fmt: skip
    batch_losses = np.diff(totals, prepend=0.0) / 16
    assert batch_losses.max() > 1000 * batch_losses[0]  # yet below 1000 x log 3: no error
    assert np.isfinite(history.history["loss"][0])


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
    for bad in (1.7, True, "3", 2.0, None, -1):
        with pytest.raises(
            ValueError, match=f"epochs must be a whole number >= 0; received {bad!r}"
        ):
            mlp().fit(X, y, epochs=bad, verbose=0)
    for bad in (1.7, True, "3", 0):
        with pytest.raises(
            ValueError, match=f"batch_size must be a whole number >= 1; received {bad!r}"
        ):
            mlp().fit(X, y, batch_size=bad, verbose=0)
    mlp().fit(X, y, epochs=np.int64(1), batch_size=np.int32(50), verbose=0)  # NumPy ints are fine
    with pytest.raises(ValueError, match="fit needs at least one sample; X has 0 rows"):
        mlp().fit(np.zeros((0, 4)), np.zeros(0), verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before NumPy's ComplexWarning
        with pytest.raises(ValueError, match=r"X is complex \(complex128\).*X\.real"):
            mlp().fit(X.astype(np.float64) + 1j, y, verbose=0)
        with pytest.raises(ValueError, match=r"X is complex \(complex64\)"):
            mlp().fit(X.astype(np.complex64), y, verbose=0)
        with pytest.raises(ValueError, match="Y is complex"):
            mlp(k=1, out="identity").fit(X, y + 0j, verbose=0)
    one_hot = np.eye(3)[y]
    one_hot[5] = [1, 1, 0]  # two classes at once: softmax + cross-entropy cannot fit that
    with pytest.raises(ValueError, match="row 5 sums to 2"):
        mlp().fit(X, one_hot, verbose=0)
    one_hot[5] = 0
    with pytest.raises(ValueError, match="row 5 sums to 0"):
        mlp().fit(X, one_hot, verbose=0)
    with pytest.raises(ValueError, match="validation_split must be in"):
        mlp().fit(X, y, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be a whole number >= 1; received 0"):
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


@pytest.mark.parametrize("batch_size", [None, 16])
def test_a_learning_rate_decayed_to_zero_moves_nothing(batch_size):
    # CosineDecay(0.1, decay_steps=1): 0.1 for the first update, exactly 0 after it. Plain SGD
    # folds its rate into the output delta: a rate of 0 must scale it by 0, not leave it as is
    from barenet.optimizers import SGD
    from barenet.schedules import CosineDecay

    X, y = blobs(n=50)
    once, thrice = mlp(dtype=np.float64), mlp(dtype=np.float64)
    kw = {"batch_size": batch_size, "shuffle": False, "verbose": 0}
    once.fit(X, y, epochs=1, optimizer=SGD(CosineDecay(0.1, decay_steps=1)), **kw)
    thrice.fit(X, y, epochs=3, optimizer=SGD(CosineDecay(0.1, decay_steps=1)), **kw)
    if batch_size is not None:  # the first epoch's later batches already had rate 0
        once = mlp(dtype=np.float64)
        once.fit(X[:16], y[:16], epochs=1, optimizer=SGD(0.1), **kw)
    for key in once.params:
        np.testing.assert_array_equal(thrice.params[key], once.params[key])


@pytest.mark.parametrize(
    ("optimizer", "out", "clip_norm"),
    [("sgd", "softmax", None), ("adam", "softmax", None), ("sgd", "sigmoid", 0.5),
     ("sgd", "identity", None)],
)  # fmt: skip
def test_a_large_batch_in_row_blocks_is_the_same_step(monkeypatch, optimizer, out, clip_norm):
    # 50 rows in blocks of 16 (ROW_BLOCK patched down from 2048): 16 + 16 + 16 + 2, each
    # block's gradient weighted by n_b / n, summed, then one step: the one-pass step's weights
    import barenet.training as training
    from barenet import optimizers

    X, y = blobs(n=50)
    Y = np.eye(3)[y] if out != "identity" else np.random.default_rng(1).normal(size=(50, 3))
    blocked, whole = mlp(out=out, dtype=np.float64), mlp(out=out, dtype=np.float64)
    monkeypatch.setattr(training, "ROW_BLOCK", 16)
    history = blocked.fit(X, Y, epochs=3, batch_size=None, optimizer=optimizer,
                          clip_norm=clip_norm, verbose=0)  # fmt: skip
    opt = optimizers.get(optimizer)
    for _ in range(3):
        grads = whole.gradients(X, Y)
        if clip_norm is not None:
            optimizers.clip_by_global_norm(grads, clip_norm)
        opt.step(whole.params, grads)
    for key in whole.params:
        np.testing.assert_allclose(blocked.params[key], whole.params[key], rtol=1e-11, atol=1e-14)
    # the logged loss is the whole batch's loss before each step: the last one, recomputed
    monkeypatch.setattr(training, "ROW_BLOCK", 2048)
    before = mlp(out=out, dtype=np.float64)
    before.fit(X, Y, epochs=2, batch_size=None, optimizer=optimizer, clip_norm=clip_norm,
               verbose=0)  # fmt: skip
    assert history.history["loss"][-1] == pytest.approx(before.loss(X, Y), rel=1e-12)


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


@pytest.mark.mnist
def test_the_issues_divergence_on_real_mnist_raises(mnist):
    from barenet.optimizers import SGD

    X_train, y_train, _, _ = mnist
    X = X_train[:2000] * 255  # unscaled pixels
    model = DeepNeuralNetwork([Layer(784), Layer(10, "relu"), Layer(10, "softmax")], seed=0)
    with pytest.raises(TrainingDivergedError, match="over 1000 times its starting level"):
        model.fit(X, y_train[:2000], epochs=3, batch_size=32, optimizer=SGD(100.0), verbose=0)
    assert all(np.isfinite(p).all() for p in model.params.values())


def test_train_model_shows_progress_over_iterations_by_default(capsys):
    X, y = blobs(n=50)
    history = mlp().train_model(X, y, iterations=30)
    err = capsys.readouterr().err
    assert "iterations: 100%" in err and "30/30" in err and "it/s" in err
    assert "loss: " in err and "accuracy: " in err and "Epoch" not in err
    assert history.unit == "iteration" and history.iteration == list(range(30))
    assert len(history.history["loss"]) == 30
    assert repr(history).startswith("<History: 30 iterations, last {'loss': ")
    mlp().train_model(X, y, iterations=3, verbose=0)
    assert capsys.readouterr() == ("", "")
    mlp().train_model(X, y, iterations=3, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[2].startswith("Iteration 3/3 - loss: ")


def pixels(n=60, seed=0):
    """Digit-like images: 0..255 ink on a zero background."""
    rng = np.random.default_rng(seed)
    X = np.where(rng.random((n, 4)) < 0.5, 0, rng.integers(1, 256, size=(n, 4)))
    X[0, 0] = 255
    return X, (X[:, 0] > X[:, 1]).astype(int)


@pytest.mark.parametrize(
    "make",
    [
        lambda X: X.astype(np.uint8),  # raw 8-bit pixels
        lambda X: X.astype(np.float32),  # pixels converted but not scaled
        lambda X: X.tolist(),  # a list of whole numbers
        lambda X: X * 16 // 255,  # 0..16, as in scikit-learn's 8x8 digits
        lambda X: (X - 128).astype(np.int8),  # signed, -128..127
        lambda X: X * 100,  # counts in the thousands
    ],
)
def test_unscaled_inputs_warn(make):
    X, y = pixels()
    with pytest.warns(barenet.DataWarning, match=r"looks unscaled.*divide 8-bit pixels by 255"):
        mlp(k=2).fit(make(X), y, epochs=0, verbose=0)  # NOTE: the warning comes before training


@pytest.mark.parametrize(
    "make",
    [
        lambda X: X / 255.0,  # scaled
        lambda X: (X - X.mean(axis=0)) / X.std(axis=0),  # standardized
        lambda X: X * 0.37,  # measurements up to 94: not whole numbers
        lambda X: X // 20,  # small whole numbers, 0..12: codes, hand-worked examples
        lambda X: X > 0,  # booleans
    ],
)
def test_scaled_or_ordinary_features_do_not_warn(make):
    X, y = pixels()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mlp(k=2).fit(make(X), y, epochs=1, verbose=0)


def test_the_warning_names_the_line_that_called_barenet():
    X, y = pixels()
    with pytest.warns(barenet.DataWarning) as record:
        mlp(k=2).train_model(X, y, iterations=1, verbose=0)  # train_model -> fit -> warn
    assert record[0].filename == __file__


def test_validation_data_and_validation_split_together_are_refused():
    X, y = blobs()
    with pytest.raises(ValueError, match="validation_data or validation_split, not both"):
        mlp().fit(X, y, validation_data=(X, y), validation_split=0.2, verbose=0)


def test_fit_clip_norm_clips_before_any_optimizer():
    X, y = blobs()
    for name in ("sgd", "adam"):
        clipped, inside, free = mlp(), mlp(), mlp()
        kw = {"epochs": 2, "batch_size": 50, "verbose": 0}
        clipped.fit(X, y, optimizer=name, clip_norm=0.01, **kw)
        inside.fit(X, y, optimizer=optimizers.get(name, clip_norm=0.01), **kw)
        free.fit(X, y, optimizer=name, **kw)
        for key in clipped.params:
            np.testing.assert_array_equal(clipped.params[key], inside.params[key])
        assert not np.allclose(clipped.params["W1"], free.params["W1"])
    assert clipped.training_summary["clip_norm"] == 0.01
    assert "clip_norm" not in free.training_summary


def test_fit_clip_norm_is_checked_and_set_in_one_place():
    X, y = blobs()
    with pytest.raises(ValueError, match=r"clip_norm is set twice: fit\(clip_norm=1\)"):
        mlp().fit(X, y, optimizer=Adam(clip_norm=2.0), clip_norm=1.0, verbose=0)
    for bad in (0, -1.0, float("nan"), "1"):
        with pytest.raises(ValueError, match="fit clip_norm must be a finite number > 0"):
            mlp().fit(X, y, clip_norm=bad, verbose=0)
