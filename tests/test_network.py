"""DeepNeuralNetwork: backprop against finite differences for every pairing, a hand-worked
step, XOR, initialization, dtypes, and clear errors for bad input."""

import itertools

import numpy as np
import pytest

from barenet import DeepNeuralNetwork, Layer, ReLU, Softmax
from barenet.activations import ACTIVATIONS, Sigmoid
from barenet.losses import LOSSES
from barenet.testing import gradcheck

PROBABILITY_OUTPUTS = ("softmax", "sigmoid")
# every (output activation, loss) pair that is defined: a probability loss needs outputs in
# (0, 1); mean squared error takes any output. Includes the unfused pairings such as
# softmax + mse, sigmoid + mse, tanh + mse and sigmoid + cross_entropy.
PAIRINGS = [
    (out, loss)
    for out, loss in itertools.product(sorted(ACTIVATIONS), sorted(LOSSES))
    if loss == "mse" or out in PROBABILITY_OUTPUTS
]


def targets_for(loss, n, k, rng):
    if loss == "cross_entropy":
        return np.eye(k)[rng.integers(0, k, size=n)]
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, size=(n, k)).astype(float)
    return rng.normal(size=(n, k))


@pytest.mark.parametrize("hidden", sorted(ACTIVATIONS))
@pytest.mark.parametrize(("output", "loss"), PAIRINGS)
def test_gradients_match_finite_differences(hidden, output, loss):
    rng = np.random.default_rng(0)
    model = DeepNeuralNetwork(
        [Layer(3), Layer(5, hidden), Layer(4, hidden), Layer(3, output)],
        loss=loss,
        seed=1,
        dtype=np.float64,
    )
    # biases away from zero so no ReLU sits on its kink for these inputs
    for key in model.params:
        if key.startswith("b"):
            model.params[key] = rng.normal(size=model.params[key].shape) * 0.5
    X = rng.normal(size=(6, 3))
    result = gradcheck(model, X, targets_for(loss, 6, 3, rng))
    assert result.ok, str(result)


def test_gradients_of_wide_layers_match_finite_differences():
    # more than 32 units: the bias gradients take the plain column sums, not ones @ dz
    rng = np.random.default_rng(0)
    model = DeepNeuralNetwork(
        [Layer(3), Layer(40, "tanh"), Layer(36, "softmax")], seed=1, dtype=np.float64
    )
    X = rng.normal(size=(5, 3))
    assert gradcheck(model, X, rng.integers(0, 36, size=5)).ok


def test_the_posts_example_runs_exactly_as_written():
    rng = np.random.default_rng(0)
    X = rng.random((20, 784))
    Y = np.eye(10)[rng.integers(0, 10, size=20)]
    model = DeepNeuralNetwork(
        layers=[
            Layer(size=784, activation_function=ReLU()),
            Layer(size=10, activation_function=ReLU()),
            Layer(size=10, activation_function=Softmax()),
        ],
        learning_rate=0.1,
    )
    model.initialize_params()
    model.initialize_params("glorot_uniform", seed=0)
    before = model.loss(X, Y)
    model.train_model(X, Y, iterations=50)
    assert model.loss(X, Y) < before
    assert model.params["W1"].shape == (784, 10) and model.params["b1"].shape == (10,)
    assert model.params["W2"].shape == (10, 10) and model.params["b2"].shape == (10,)
    assert sorted(model.params) == ["W1", "W2", "b1", "b2"]
    proba = model.predict_proba(X)
    assert proba.shape == (20, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)


def test_one_gradient_descent_step_by_hand():
    # 2 inputs -> 2 ReLU -> 2 softmax, one sample x = [1, 2] of class 0, learning rate 0.5.
    model = DeepNeuralNetwork(
        [Layer(2), Layer(2, "relu"), Layer(2, "softmax")], learning_rate=0.5, dtype=np.float64
    )
    model.params = {
        "W1": np.array([[1.0, -1.0], [0.0, 1.0]]),
        "b1": np.zeros(2),
        "W2": np.eye(2),
        "b2": np.zeros(2),
    }
    X, y = np.array([[1.0, 2.0]]), np.array([0])
    # forward: z1 = [1*1 + 2*0, 1*-1 + 2*1] = [1, 1];  a1 = relu(z1) = [1, 1]
    #          z2 = a1 @ I = [1, 1];  p = softmax(z2) = [0.5, 0.5];  L = -log 0.5 = log 2
    assert model.loss(X, y) == pytest.approx(np.log(2))
    # backward: dz2 = p - y = [-0.5, 0.5]
    #   dW2 = a1.T @ dz2 = [[-0.5, 0.5], [-0.5, 0.5]];  db2 = [-0.5, 0.5]
    #   da1 = dz2 @ W2.T = [-0.5, 0.5];  dz1 = da1 * (z1 > 0) = [-0.5, 0.5]
    #   dW1 = x.T @ dz1 = [[-0.5, 0.5], [-1, 1]];  db1 = [-0.5, 0.5]
    grads = model.gradients(X, y)
    np.testing.assert_allclose(grads["W2"], [[-0.5, 0.5], [-0.5, 0.5]])
    np.testing.assert_allclose(grads["W1"], [[-0.5, 0.5], [-1.0, 1.0]])
    np.testing.assert_allclose(grads["b1"], [-0.5, 0.5])
    np.testing.assert_allclose(grads["b2"], [-0.5, 0.5])
    # step: param -= 0.5 * grad, e.g. W2 = I - 0.5 * dW2 = [[1.25, -0.25], [0.25, 0.75]]
    model.train_model(X, y, iterations=1)
    np.testing.assert_allclose(model.params["W1"], [[1.25, -1.25], [0.5, 0.5]])
    np.testing.assert_allclose(model.params["b1"], [0.25, -0.25])
    np.testing.assert_allclose(model.params["W2"], [[1.25, -0.25], [0.25, 0.75]])
    np.testing.assert_allclose(model.params["b2"], [0.25, -0.25])
    # after: z1 = [1.25 + 1 + 0.25, -1.25 + 1 - 0.25] = [2.5, -0.5];  a1 = [2.5, 0]
    #        z2 = a1 @ W2 + b2 = [2.5 * 1.25 + 0.25, 2.5 * -0.25 - 0.25] = [3.375, -0.875]
    #        L = -log softmax(z2)_0 = log(1 + exp(-4.25)) = 0.014161
    assert model.loss(X, y) == pytest.approx(np.log1p(np.exp(-4.25)))


XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


@pytest.mark.parametrize("hidden", sorted(set(ACTIVATIONS) - {"identity"}))
def test_learns_xor_with_every_nonlinear_hidden_activation(hidden):
    model = DeepNeuralNetwork(
        [Layer(2), Layer(8, hidden), Layer(1, "sigmoid")],
        learning_rate=1.0,
        seed=0,
        dtype=np.float64,
    )
    model.train_model(XOR_X, XOR_Y, iterations=3000)
    np.testing.assert_array_equal(model.predict(XOR_X), XOR_Y)
    assert model.score(XOR_X, XOR_Y) == 1.0
    assert model.loss(XOR_X, XOR_Y) < 0.1


def test_a_linear_network_cannot_learn_xor():
    model = DeepNeuralNetwork(
        [Layer(2), Layer(8, "identity"), Layer(1, "sigmoid")], learning_rate=1.0, seed=0
    )
    model.train_model(XOR_X, XOR_Y, iterations=3000)
    assert model.score(XOR_X, XOR_Y) <= 0.75


def test_zeros_cannot_break_symmetry_but_he_can():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    layers = [Layer(4), Layer(16, "relu"), Layer(2, "softmax")]
    stuck = DeepNeuralNetwork(layers, seed=0)
    stuck.initialize_params("zeros")
    stuck.train_model(X, y, iterations=300)
    assert np.all(stuck.params["W1"] == 0)  # relu(0) = 0 passes no gradient: stuck forever
    learns = DeepNeuralNetwork(layers, seed=0, learning_rate=0.5)
    learns.train_model(X, y, iterations=300)
    assert learns.score(X, y) > 0.9 > stuck.score(X, y)


# ---------------------------------------------------------------- initialization


def test_same_seed_same_parameters_and_results():
    layers = [Layer(5), Layer(7, "tanh"), Layer(3, "softmax")]
    a, b, c = (DeepNeuralNetwork(layers, seed=s) for s in (3, 3, 4))
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    X, y = np.random.default_rng(0).normal(size=(10, 5)), np.arange(10) % 3
    a.train_model(X, y, 20)
    b.train_model(X, y, 20)
    np.testing.assert_array_equal(a.params["W2"], b.params["W2"])
    a.initialize_params()  # the network's own seed again: back to the start
    np.testing.assert_array_equal(a.params["W1"], c.__class__(layers, seed=3).params["W1"])


def test_default_initializers_follow_the_activation():
    model = DeepNeuralNetwork([Layer(1000), Layer(500, "relu"), Layer(300, "tanh")], seed=0)
    np.testing.assert_allclose(model.params["W1"].var(), 2 / 1000, rtol=0.03)  # He
    limit = np.sqrt(6 / (500 + 300))  # Glorot uniform
    assert np.abs(model.params["W2"]).max() <= limit
    np.testing.assert_allclose(model.params["W2"].var(), 2 / 800, rtol=0.03)
    assert all(not model.params[b].any() for b in ("b1", "b2"))


def test_a_layers_own_init_wins_over_the_method():
    model = DeepNeuralNetwork([Layer(4), Layer(3, "relu", init="zeros"), Layer(2, "softmax")])
    model.initialize_params("normal", seed=1)
    assert not model.params["W1"].any()
    assert model.params["W2"].any()

    def halves(fan_in, fan_out, rng):
        return np.full((fan_in, fan_out), 0.5)

    model.initialize_params(halves)
    np.testing.assert_array_equal(model.params["W2"], 0.5)


def test_an_initializer_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"layer 1 returned shape \(3, 4\); expected .* \(4, 3\)"):
        DeepNeuralNetwork([Layer(4), Layer(3, init=lambda i, o, rng: np.zeros((o, i)))])


# ---------------------------------------------------------------- dtypes, params, predictions


def test_float32_by_default_and_float64_throughout():
    X = np.random.default_rng(0).normal(size=(4, 3))
    for dtype in (np.float32, np.float64):
        model = DeepNeuralNetwork([Layer(3), Layer(5, "relu"), Layer(2, "softmax")], dtype=dtype)
        assert all(p.dtype == dtype for p in model.params.values())
        assert model.forward(X).dtype == dtype
        assert all(g.dtype == dtype for g in model.gradients(X, [0, 1, 1, 0]).values())
        model.train_model(X, [0, 1, 1, 0], iterations=2)
        assert all(p.dtype == dtype for p in model.params.values())
    with pytest.raises(ValueError, match="dtype must be float32 or float64; received float16"):
        DeepNeuralNetwork([Layer(3), Layer(2)], dtype=np.float16)


def test_assigning_params_changes_the_network():
    model = DeepNeuralNetwork([Layer(2), Layer(2, "identity")])
    model.params["W1"] = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    model.params["b1"] = np.array([10.0, 20.0], dtype=np.float32)
    np.testing.assert_array_equal(model.forward([[1.0, 1.0]]), [[14.0, 26.0]])


def test_labels_and_one_hot_targets_are_the_same():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 4, size=8)
    model = DeepNeuralNetwork([Layer(3), Layer(4, "softmax")], seed=0)
    assert model.loss(X, y) == model.loss(X, np.eye(4)[y])
    assert model.score(X, y) == model.score(X, np.eye(4)[y])


def test_predict_and_score_for_each_kind_of_output():
    X = np.array([[1.0], [-1.0], [2.0]])
    softmax = DeepNeuralNetwork([Layer(1), Layer(2, "softmax")])
    softmax.params = {"W1": np.array([[1.0, -1.0]], np.float32), "b1": np.zeros(2, np.float32)}
    np.testing.assert_array_equal(softmax.predict(X), [0, 1, 0])
    assert softmax.score(X, [0, 1, 1]) == pytest.approx(2 / 3)  # the post's scoring, fixed

    binary = DeepNeuralNetwork([Layer(1), Layer(1, "sigmoid")])
    binary.params = {"W1": np.array([[1.0]], np.float32), "b1": np.zeros(1, np.float32)}
    np.testing.assert_array_equal(binary.predict(X), [1, 0, 1])
    assert binary.predict_proba(X).shape == (3, 1)
    assert binary.score(X, [1, 1, 1]) == pytest.approx(2 / 3)

    multilabel = DeepNeuralNetwork([Layer(1), Layer(2, "sigmoid")])
    multilabel.params = {"W1": np.array([[1.0, -1.0]], np.float32), "b1": np.zeros(2, np.float32)}
    np.testing.assert_array_equal(multilabel.predict(X), [[1, 0], [0, 1], [1, 0]])
    # exact match: rows 0 and 1 right, row 2 has one of its two labels wrong
    assert multilabel.score(X, [[1, 0], [0, 1], [1, 1]]) == pytest.approx(2 / 3)

    regression = DeepNeuralNetwork([Layer(1), Layer(1, "identity")])
    regression.params = {"W1": np.array([[2.0]], np.float32), "b1": np.ones(1, np.float32)}
    np.testing.assert_allclose(regression.predict(X), [3.0, -1.0, 5.0])
    assert regression.score(X, [3.0, -1.0, 5.0]) == pytest.approx(1.0)  # R^2
    # y = [3, -1, 4]: residual sum (5 - 4)^2 = 1; mean 2, total (1 + 9 + 4) = 14 -> R^2 = 13/14
    assert regression.score(X, [3.0, -1.0, 4.0]) == pytest.approx(1 - 1 / 14)


def test_the_loss_uses_the_fused_form_for_huge_logits():
    model = DeepNeuralNetwork([Layer(1), Layer(2, "softmax")], dtype=np.float64)
    model.params["W1"] = np.array([[1e4, -1e4]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert model.loss([[1.0]], [1]) == pytest.approx(2e4)
        assert np.isfinite(model.gradients([[1.0]], [1])["W1"]).all()


def test_explicit_loss_by_name_or_instance():
    from barenet.losses import MeanSquaredError

    model = DeepNeuralNetwork([Layer(2), Layer(2, Sigmoid())], loss="mse")
    assert isinstance(model.loss_function, MeanSquaredError)
    assert "loss=mse" in repr(model)


# ---------------------------------------------------------------- bad input


def post_net():
    return DeepNeuralNetwork([Layer(4), Layer(3, "relu"), Layer(3, "softmax")], seed=0)


def test_fewer_than_two_layers():
    with pytest.raises(ValueError, match=r"at least two layers .*received 1"):
        DeepNeuralNetwork([Layer(4)])
    with pytest.raises(TypeError, match=r"layer 1 must be a barenet\.Layer; received 10"):
        DeepNeuralNetwork([Layer(4), 10])


def test_unknown_loss_name():
    with pytest.raises(ValueError, match="unknown loss 'categorical_crossentropy'"):
        DeepNeuralNetwork([Layer(4), Layer(3)], loss="categorical_crossentropy")


def test_unknown_initializer_name():
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        post_net().initialize_params("glorot")


def test_x_with_the_wrong_number_of_features():
    with pytest.raises(
        ValueError, match="X has 5 features per sample, but the input layer expects 4"
    ):
        post_net().forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"X must be 2-D \(n, 4\); received shape \(4,\).*reshape"):
        post_net().predict(np.zeros(4))
    with pytest.raises(ValueError, match="X must be a numeric array"):
        post_net().forward([["a", "b", "c", "d"]])


@pytest.mark.parametrize(
    ("labels", "bad"), [([0, 1, 3], "3"), ([0, -1, 2], "-1"), ([0, 1.5, 2], "1.5")]
)
def test_labels_out_of_range(labels, bad):
    with pytest.raises(ValueError, match=f"label {bad}.* at row 1|label {bad}.* at row 2"):
        post_net().train_model(np.zeros((3, 4)), labels, iterations=1)


def test_targets_of_the_wrong_shape_or_count():
    with pytest.raises(ValueError, match=r"Y must be labels \(n,\) or \(n, 3\).*\(3, 2\)"):
        post_net().loss(np.zeros((3, 4)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="X has 3 samples but Y has 2"):
        post_net().loss(np.zeros((3, 4)), [0, 1])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_x_or_y_names_the_row_and_column(bad):
    X = np.zeros((3, 4))
    X[2, 1] = bad
    model = post_net()
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(
        ValueError, match=f"X holds {bad} at row 2, column 1; every value must be finite"
    ):
        model.train_model(X, [0, 1, 2])
    Y = np.eye(3)
    Y[1, 0] = bad
    with pytest.raises(ValueError, match=f"Y holds {bad} at row 1, column 0"):
        model.train_model(np.zeros((3, 4)), Y)
    with pytest.raises(ValueError, match=f"Y holds {bad} at row 2"):
        model.loss(np.zeros((3, 4)), [0, 1, bad])
    for key, value in before.items():  # nothing was updated
        np.testing.assert_array_equal(model.params[key], value)


def test_huge_finite_inputs_are_not_mistaken_for_infinite_ones():
    # their sum overflows float32, which sends the finiteness check the long way round
    X = np.full((4, 3), 3e38, dtype=np.float32)
    model = DeepNeuralNetwork([Layer(3), Layer(2, "softmax")])
    np.testing.assert_array_equal(model._check_X(X), X)
    X[2, 1] = np.inf
    with pytest.raises(ValueError, match="X holds inf at row 2, column 1"):
        model._check_X(X)


def test_unaligned_input_is_copied_to_an_aligned_array():
    raw = np.zeros(4 * 12 + 1, dtype=np.uint8)
    X = np.frombuffer(raw.data, dtype=np.float32, count=12, offset=1).reshape(3, 4)
    assert not X.flags.aligned
    model = post_net()
    assert model._check_X(X).flags.aligned
    np.testing.assert_array_equal(model.forward(X), model.forward(np.zeros((3, 4))))


# ------------------------------------------------------------------------- batched inference

OUTPUTS = ["softmax", "sigmoid", "identity"]


def wide_net(out: str, k: int = 3, dtype=np.float64) -> DeepNeuralNetwork:
    return DeepNeuralNetwork([Layer(20), Layer(16, "relu"), Layer(k, out)], seed=1, dtype=dtype)


@pytest.mark.parametrize("out", OUTPUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batched_inference_equals_one_batch(out, dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 20))
    model = wide_net(out, dtype=dtype)
    whole = model._forward(model._check_X(X))[0]
    # NOTE: not always equal to the bit, in float64 either: BLAS picks kernels by the number of
    # rows (one row goes through gemv), which changes the order of the sums
    tol = {"rtol": 1e-12, "atol": 1e-14} if dtype == np.float64 else {"rtol": 1e-5, "atol": 1e-6}
    y = rng.integers(0, 2, size=(1000, 3)) if out == "sigmoid" else rng.integers(0, 3, size=1000)
    if out == "identity":
        y = rng.normal(size=(1000, 3))
    for batch_size in (None, 1, 7, 64, 999, 1000, 5000):
        np.testing.assert_allclose(model.forward(X, batch_size), whole, **tol)
        np.testing.assert_allclose(model.predict_proba(X, batch_size=batch_size), whole, **tol)
        predicted = model.predict(X, batch_size=batch_size)
        assert predicted.shape == model.predict(X).shape
        if out != "identity":  # labels: equal, as no output is within rounding of a tie
            np.testing.assert_array_equal(predicted, model.predict(X))
        assert model.score(X, y, batch_size=batch_size) == pytest.approx(
            model.score(X, y, batch_size=len(X)), rel=1e-6
        )


def test_the_default_inference_batch_is_sized_by_bytes():
    from barenet import inputs
    from barenet.network import INFERENCE_BATCH_BYTES

    model = DeepNeuralNetwork([Layer(784), Layer(256, "relu"), Layer(10, "softmax")])
    # a row of one batch holds x (784), then z and a of each layer: 2 * (256 + 10)
    size = inputs.inference_batch(model, None)
    assert size == INFERENCE_BATCH_BYTES // ((784 + 2 * 266) * 4)
    assert size == 12748  # 64 MiB / 5264 bytes


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_a_bad_inference_batch_size_is_refused(bad):
    model = wide_net("softmax")
    X = np.zeros((4, 20))
    for call in (model.forward, model.predict, model.predict_proba):
        with pytest.raises(
            ValueError, match=f"batch_size must be a whole number >= 1; received {bad!r}"
        ):
            call(X, batch_size=bad)
    with pytest.raises(ValueError, match="batch_size must be a whole number"):
        model.score(X, [0, 1, 2, 0], batch_size=bad)


def test_a_bad_value_is_named_by_its_row_in_the_whole_input():
    X = np.zeros((1000, 20))
    X[777, 3] = np.nan
    model = wide_net("softmax")
    with pytest.raises(ValueError, match="X holds nan at row 777, column 3"):
        model.predict(X, batch_size=100)
    with pytest.raises(ValueError, match="X holds nan at row 777, column 3"):
        model.score(X, np.zeros(1000, dtype=int), batch_size=64)


def test_an_empty_input_gives_empty_outputs():
    model = wide_net("softmax")
    X = np.zeros((0, 20))
    assert model.forward(X).shape == (0, 3) and model.forward(X).dtype == np.float64
    assert model.predict(X).shape == (0,) and model.predict(X).dtype == np.intp
    assert wide_net("sigmoid").predict(X).shape == (0, 3)
    with pytest.raises(ValueError, match="score needs at least one sample"):
        model.score(X, np.zeros(0))


def test_complex_input_is_refused_before_numpys_warning():
    import warnings

    model = wide_net("softmax")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"X is complex \(complex128\)"):
            model.predict(np.zeros((2, 20)) + 1j)
        with pytest.raises(ValueError, match="Y is complex"):
            model.score(np.zeros((2, 20)), np.zeros(2) + 0j)


def test_a_large_uint8_memmap_is_read_in_batches(tmp_path):
    import tracemalloc

    n, d = 60_000, 784
    path = tmp_path / "pixels.u8"
    X = np.memmap(path, dtype=np.uint8, mode="w+", shape=(n, d))
    for start in range(0, n, 10_000):  # cheap, varied bytes
        X[start : start + 10_000] = (np.arange(10_000 * d).reshape(-1, d) * 40503) >> 8
    X.flush()
    X = np.memmap(path, dtype=np.uint8, mode="r", shape=(n, d))
    model = DeepNeuralNetwork([Layer(d), Layer(32, "relu"), Layer(10, "softmax")], seed=0)
    whole = n * d * 4  # the input converted at once to float32: 180 MiB
    bound = 96 * 2**20  # a 64 MiB batch and what it computes
    for call in (model.forward, model.predict, lambda X: model.score(X, np.zeros(n, int))):
        tracemalloc.start()  # NOTE: NumPy reports its array allocations to tracemalloc
        try:
            out = call(X)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        extra = peak - getattr(out, "nbytes", 0)
        assert extra < bound < whole, f"{extra / 2**20:.0f} MiB beyond the output"
    np.testing.assert_allclose(
        model.forward(X[:500]), model._forward(np.asarray(X[:500], np.float32))[0], rtol=1e-6
    )


# ---------------------------------------------------------------- the task, said aloud


def test_repr_shows_the_task():
    assert "4-3 regression, loss=mse" in repr(DeepNeuralNetwork([Layer(4), Layer(3)]))
    assert "4-3-3 multiclass," in repr(post_net())
    assert " binary," in repr(DeepNeuralNetwork([Layer(4), Layer(1, "sigmoid")]))


def test_class_labels_for_a_regression_network_suggest_softmax():
    import warnings

    X = np.random.default_rng(0).normal(size=(6, 4))
    labels = np.array([0, 1, 2, 0, 1, 2])
    model = DeepNeuralNetwork([Layer(4), Layer(3)], seed=0)  # no activation: regression
    with pytest.warns(UserWarning, match=r'regression network.*Layer\(3, "softmax"\)') as record:
        model.fit(X, labels, epochs=1, verbose=0)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        post_net().fit(X, labels, epochs=1, verbose=0)  # softmax: labels are classes
        model.fit(X, np.eye(3)[labels] * 2.5, epochs=1, verbose=0)  # (n, k) targets
        DeepNeuralNetwork([Layer(4), Layer(1)]).fit(X, labels * 1.5, epochs=1, verbose=0)
