"""Names in every registry, in any case; ``barenet.register`` for a user's own activation, loss
and schedule, and the model files and checkpoints that use them."""

import json

import numpy as np
import pytest

import barenet
from barenet import (
    ActivationFunction,
    DeepNeuralNetwork,
    Layer,
    Loss,
    ModelFileError,
    activations,
    initializers,
    losses,
    optimizers,
    schedules,
)
from barenet.schedules import Schedule
from barenet.testing import gradcheck, gradcheck_activation

# ---------------------------------------------------------------- names in any case


@pytest.mark.parametrize(
    ("get", "name", "expected"),
    [
        (activations.get, "Softmax", activations.Softmax),
        (activations.get, "RELU", activations.ReLU),
        (activations.get, "LeakyReLU", activations.LeakyReLU),  # the class name
        (activations.get, "Leaky_ReLU", activations.LeakyReLU),
        (losses.get, "CrossEntropy", losses.CrossEntropy),
        (losses.get, "MSE", losses.MeanSquaredError),
        (losses.get, "MeanSquaredError", losses.MeanSquaredError),
        (optimizers.get, "Adam", optimizers.Adam),
        (optimizers.get, "AdamW", optimizers.AdamW),
        (optimizers.get, "RMSprop", optimizers.RMSprop),
        (optimizers.get, {"name": "SGD", "learning_rate": 0.5}, optimizers.SGD),
        (
            schedules.get,
            {"name": "CosineDecay", "initial_learning_rate": 0.1, "decay_steps": 10},
            schedules.CosineDecay,
        ),
        (schedules.get, {"name": "Constant", "learning_rate": 0.1}, schedules.Constant),
    ],
)
def test_names_match_in_any_case_and_by_class_name(get, name, expected):
    assert type(get(name)) is expected


def test_initializer_names_in_any_case():
    assert initializers.get("He_Normal") is initializers.he_normal
    assert initializers.get("GLOROT_UNIFORM") is initializers.glorot_uniform


def test_the_issue_examples_and_files_keep_the_canonical_names(tmp_path):
    model = DeepNeuralNetwork(
        [Layer(4), Layer(5, "ReLU"), Layer(3, "Softmax")], loss="CrossEntropy"
    )
    assert model.task == "multiclass" and model.loss_function.name == "cross_entropy"
    X = np.random.default_rng(0).normal(size=(12, 4))
    model.fit(X, np.arange(12) % 3, epochs=1, optimizer="Adam", verbose=0)
    assert model.training_summary["optimizer"]["name"] == "adam"
    pytest.importorskip("safetensors")
    model.save(tmp_path / "m.safetensors")
    meta = barenet.saving.architecture(model)
    assert [spec["activation"] for spec in meta["layers"]] == ["identity", "relu", "softmax"]
    loaded = barenet.load(tmp_path / "m.safetensors")  # and the file says so
    assert [layer.activation_function.name for layer in loaded.layers] == [
        "identity",
        "relu",
        "softmax",
    ]
    assert loaded.loss_function.name == "cross_entropy"
    assert loaded.training_summary["optimizer"]["name"] == "adam"


@pytest.mark.parametrize(
    ("get", "name"),
    [
        (activations.get, "Relu6"),
        (losses.get, "Hinge"),
        (optimizers.get, "Adamax"),
        (initializers.get, "Xavier"),
    ],
)
def test_unknown_names_are_still_refused(get, name):
    with pytest.raises(ValueError, match=f"unknown .*{name!r}.*any case"):
        get(name)


# ---------------------------------------------------------------- register


@pytest.fixture(autouse=True)
def clean_registries():
    """Every test starts and ends with barenet's own registries."""
    saved = [(r, dict(r)) for r in (activations.ACTIVATIONS, losses.LOSSES, schedules.SCHEDULES)]
    yield
    for registry, entries in saved:
        registry.clear()
        registry.update(entries)


class Swish(ActivationFunction):
    """a = z * sigmoid(beta * z);  da/dz = s + beta * z * s * (1 - s), s = sigmoid(beta * z)."""

    name = "swish"

    def __init__(self, beta: float = 1.0) -> None:
        self.beta = float(beta)

    def activate(self, z):
        return z / (1.0 + np.exp(-self.beta * z))

    def derive(self, da, z, a):
        s = 1.0 / (1.0 + np.exp(-self.beta * z))
        return da * (s + self.beta * z * s * (1.0 - s))

    def get_config(self):
        return {"beta": self.beta}


class Huber(Loss):
    """L = mean(0.5 r**2 where |r| <= delta, else delta * (|r| - 0.5 delta)), r = a - Y."""

    name = "huber"

    def __init__(self, delta: float = 1.0) -> None:
        self.delta = float(delta)

    def __call__(self, a, Y):
        r = np.abs(a - Y)
        return float(
            np.where(r <= self.delta, 0.5 * r**2, self.delta * (r - 0.5 * self.delta)).mean()
        )

    def grad(self, a, Y):
        return np.clip(a - Y, -self.delta, self.delta) / a.size

    def get_config(self):
        return {"delta": self.delta}


class Halving(Schedule):
    """lr = initial * 0.5 ** (step // every)."""

    name = "halving"

    def __init__(self, initial: float, every: int) -> None:
        self.initial, self.every = float(initial), int(every)

    def __call__(self, step):
        return self.initial * 0.5 ** (step // self.every)

    def get_config(self):
        return {"initial": self.initial, "every": self.every}


def test_the_custom_classes_are_correct():
    """The test's own classes are right (so a failed round trip is the files' fault)."""
    result = gradcheck_activation(Swish(1.5), np.linspace(-4, 4, 12).reshape(3, 4))
    assert result.ok, str(result)
    model = DeepNeuralNetwork(
        [Layer(3), Layer(4, Swish()), Layer(2)], loss=Huber(0.3), seed=0, dtype=np.float64
    )
    rng = np.random.default_rng(1)
    result = gradcheck(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 2)) * 2)
    assert result.ok, str(result)


def test_register_is_a_decorator_and_names_work_everywhere():
    assert barenet.register(Swish) is Swish
    assert activations.ACTIVATIONS["swish"] is Swish
    assert type(Layer(4, "swish").activation_function) is Swish
    assert type(Layer(4, "Swish").activation_function) is Swish  # any case, class name
    barenet.register(Huber)
    assert type(losses.get("huber")) is Huber
    barenet.register(Halving)
    config = {"name": "halving", "initial": 0.1, "every": 2}
    assert schedules.get(config) == Halving(0.1, 2)


def test_model_file_round_trip_with_a_custom_activation_and_loss(tmp_path):
    pytest.importorskip("safetensors")
    barenet.register(Swish)
    barenet.register(Huber)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))
    model = DeepNeuralNetwork([Layer(3), Layer(6, Swish(2.0)), Layer(2)], loss=Huber(0.5), seed=0)
    model.fit(X, Y, epochs=3, batch_size=10, optimizer="adam", verbose=0)
    path = tmp_path / "custom.safetensors"
    model.save(path)
    loaded = barenet.load(path)
    assert loaded.layers[1].activation_function == Swish(2.0)
    assert loaded.loss_function == Huber(0.5)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.loss(X, Y) == model.loss(X, Y)


def test_unregistered_classes_are_refused_with_the_fix(tmp_path):
    pytest.importorskip("safetensors")
    model = DeepNeuralNetwork([Layer(3), Layer(6, Swish()), Layer(2)], seed=0)
    with pytest.raises(ModelFileError, match=r"barenet.register\(Swish\)"):
        model.save(tmp_path / "m.safetensors")
    barenet.register(Swish)
    model.save(tmp_path / "m.safetensors")
    del activations.ACTIVATIONS["swish"]  # a new program that did not register it
    with pytest.raises(ModelFileError, match=r"unknown activation 'swish'.*barenet\.register"):
        barenet.load(tmp_path / "m.safetensors")


def test_checkpoint_round_trip_with_a_custom_schedule(tmp_path):
    barenet.register(Halving)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)

    def model():
        return DeepNeuralNetwork([Layer(3), Layer(5, "tanh"), Layer(2, "softmax")], seed=0)

    def adam():
        return optimizers.Adam(Halving(0.05, every=3))

    straight = model()
    straight.fit(X, y, epochs=4, batch_size=10, optimizer=adam(), verbose=0)
    path = str(tmp_path / "run.npz")
    first = model()
    first.fit(X, y, epochs=2, batch_size=10, optimizer=adam(), checkpoint=path, verbose=0)
    resumed = model()
    resumed.fit(X, y, epochs=4, batch_size=10, optimizer=adam(), resume_from=path, verbose=0)
    for key, value in straight.params.items():
        np.testing.assert_array_equal(resumed.params[key], value)
    # the checkpoint names the schedule: it rebuilds the same optimizer by name
    from barenet.checkpoints import load_checkpoint

    meta = load_checkpoint(path)[2]
    again = optimizers.get(json.loads(json.dumps(meta["optimizer"])))
    assert again.learning_rate == Halving(0.05, every=3)
    del schedules.SCHEDULES["halving"]
    with pytest.raises(ValueError, match=r"unknown schedule name 'halving'.*barenet\.register"):
        optimizers.get(meta["optimizer"])


def test_a_taken_name_is_refused_in_any_case():
    class MyReLU(activations.ReLU):  # inherits name = "relu"
        pass

    with pytest.raises(ValueError, match=r"'relu' already names barenet\.activations\.ReLU"):
        barenet.register(MyReLU)

    class Shout(Swish):
        name = "SWISH"

    barenet.register(Swish)
    with pytest.raises(ValueError, match="'SWISH' already names"):
        barenet.register(Shout)

    class ReLU(ActivationFunction):  # a name of its own, but the class name of another
        name = "my_relu"

    with pytest.raises(ValueError, match=r"'ReLU' already names barenet\.activations\.ReLU"):
        barenet.register(ReLU)
    assert activations.ACTIVATIONS["relu"] is activations.ReLU
    assert "my_relu" not in activations.ACTIVATIONS


def test_registering_again_or_redefining_replaces_the_entry():
    barenet.register(Swish)
    barenet.register(Swish)
    assert activations.ACTIVATIONS["swish"] is Swish
    namespace: dict = {"ActivationFunction": ActivationFunction, "__name__": __name__}
    # the same definition run again (a notebook cell): same module and qualified name
    exec("class Swish(ActivationFunction):\n    name = 'swish2'\n", namespace)
    redefined = namespace["Swish"]
    barenet.register(redefined)
    assert activations.ACTIVATIONS.get("swish2") is redefined
    assert "swish" not in activations.ACTIVATIONS


@pytest.mark.parametrize(
    "bad", [int, ActivationFunction, Loss, Schedule, Swish(), optimizers.Adam, "swish"]
)
def test_register_takes_subclasses_only(bad):
    with pytest.raises(TypeError, match="subclass of ActivationFunction, Loss, Schedule"):
        barenet.register(bad)


def test_register_needs_a_name():
    class Nameless(ActivationFunction):
        pass

    with pytest.raises(ValueError, match=r'Nameless needs a class attribute name.*"nameless"'):
        barenet.register(Nameless)
