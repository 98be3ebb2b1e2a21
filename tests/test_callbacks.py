"""Callbacks: early stopping with best weights restored, checkpoints, the call order."""

import numpy as np
import pytest

from barenet import DeepNeuralNetwork, Layer
from barenet.callbacks import Callback, EarlyStopping, History, ModelCheckpoint


def data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int)


def net():
    return DeepNeuralNetwork([Layer(3), Layer(8, "tanh"), Layer(2, "softmax")], seed=0)


class Recorder(Callback):
    """Records every call, and the weights and logs at each epoch's end."""

    def __init__(self):
        self.calls, self.weights, self.logs = [], [], []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_batch_end(self, batch, logs=None):
        self.calls.append(f"batch {batch}")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"epoch_end {epoch}")
        self.weights.append({k: v.copy() for k, v in self.model.params.items()})
        self.logs.append(dict(logs))

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


def test_call_order():
    rec = Recorder()
    X, y = data(n=20)
    net().fit(X, y, epochs=2, batch_size=10, callbacks=[rec], verbose=0)
    assert rec.calls == [
        "train_begin",
        "epoch_begin 0", "batch 0", "batch 1", "epoch_end 0",
        "epoch_begin 1", "batch 0", "batch 1", "epoch_end 1",
        "train_end",
    ]  # fmt: skip


class ScriptedLoss(Callback):
    """Overwrites val_loss with a script, so early stopping's decisions are known in advance."""

    def __init__(self, values):
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    X, y = data()
    # best at epoch 2 (0.5); epochs 3 and 4 do not improve: with patience 2, stop after epoch 4
    script, rec = ScriptedLoss([0.9, 0.7, 0.5, 0.6, 0.55, 0.1, 0.1]), Recorder()
    stopper = EarlyStopping(monitor="val_loss", patience=2)
    model = net()
    history = model.fit(
        X,
        y,
        epochs=7,
        validation_split=0.2,
        verbose=0,
        optimizer="adam",
        callbacks=[script, rec, stopper],
    )
    assert history.epoch == [0, 1, 2, 3, 4]
    assert stopper.stopped_epoch == 4 and stopper.best_epoch == 2 and stopper.best == 0.5
    for key, value in rec.weights[2].items():
        np.testing.assert_array_equal(model.params[key], value)


def test_early_stopping_min_delta_and_max_mode():
    X, y = data()
    stopper = EarlyStopping(monitor="accuracy", patience=0, min_delta=0.5)  # "acc": maximize
    history = net().fit(X, y, epochs=5, verbose=0, callbacks=[stopper])
    assert len(history.epoch) == 2  # epoch 0 sets the best; epoch 1 cannot gain 0.5


def test_monitoring_a_missing_quantity_says_what_is_logged():
    X, y = data()
    with pytest.raises(ValueError, match=r"cannot monitor 'val_loss'.*\['accuracy', 'loss'\]"):
        net().fit(X, y, epochs=2, verbose=0, callbacks=[EarlyStopping()])


def test_model_checkpoint_save_best_only_and_epoch_names(tmp_path):
    X, y = data()
    script = ScriptedLoss([0.9, 0.95, 0.5, 0.6])
    ckpt = ModelCheckpoint(str(tmp_path / "best-{epoch}.npz"), save_best_only=True)
    every = ModelCheckpoint(str(tmp_path / "every.npz"))
    net().fit(X, y, epochs=4, validation_split=0.2, verbose=0, callbacks=[script, ckpt, every])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best-1.npz", "best-3.npz", "every.npz"]
    assert ckpt.last_saved.endswith("best-3.npz")


def test_history_repr_and_append():
    h = History()
    h.append(0, {"loss": 1.0})
    h.append(1, {"loss": 0.5})
    assert h.history == {"loss": [1.0, 0.5]} and h.epoch == [0, 1]
    assert repr(h) == "<History: 2 epochs, last {'loss': 0.5}>"


def test_a_full_batch_run_shows_one_bar_over_the_epochs(capsys):
    X, y = data(n=20)
    net().fit(X, y, epochs=7, batch_size=None, verbose=1)
    err = capsys.readouterr().err
    assert "epochs: 100%" in err and "7/7" in err and "accuracy: " in err
    assert "Epoch 1/7" not in err  # not seven bars of one batch each
    net().fit(X, y, epochs=2, batch_size=5, verbose=1)  # several batches: a bar per epoch
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "4/4" in err


def test_a_resumed_full_batch_bar_starts_at_the_epochs_done(tmp_path, capsys):
    X, y = data(n=20)
    path = str(tmp_path / "run.npz")
    net().fit(X, y, epochs=3, batch_size=None, checkpoint=path, verbose=0)
    net().fit(X, y, epochs=5, batch_size=None, resume_from=path, verbose=1)
    err = capsys.readouterr().err
    assert "3/5" in err and "5/5" in err and "0/5" not in err


def test_epoch_logger_every_and_units(capsys):
    from barenet.callbacks import EpochLogger

    X, y = data(n=20)
    net().fit(X, y, epochs=25, batch_size=None, verbose=0, callbacks=[EpochLogger(every=None)])
    lines = capsys.readouterr().out.splitlines()
    # one update per epoch: about ten lines, every 25 // 10 = 2 epochs, and the last
    shown = [line.split(" - ")[0] for line in lines]
    assert shown == [f"Epoch {e}/25" for e in (*range(2, 25, 2), 25)]
    net().fit(X, y, epochs=3, batch_size=5, verbose=0, callbacks=[EpochLogger("iteration")])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == [f"Iteration {e}/3" for e in (1, 2, 3)]
    with pytest.raises(ValueError, match="every must be"):
        EpochLogger(every=0)


def test_without_tqdm_the_bar_becomes_about_ten_lines(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import tqdm.auto fails
    X, y = data(n=20)
    net().train_model(X, y, iterations=50)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10 and lines[-1].startswith("Iteration 50/50 - loss: ")


def test_history_speaks_of_its_unit():
    h = History(unit="iteration")
    h.append(0, {"loss": 1.0})
    assert h.iteration == h.epoch == [0]
    assert repr(h) == "<History: 1 iteration, last {'loss': 1.0}>"
