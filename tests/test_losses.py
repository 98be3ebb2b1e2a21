"""Losses: hand-computed values, fused forms against the long way, extreme logits."""

import numpy as np
import pytest

from barenet import losses
from barenet.activations import Identity, ReLU, Sigmoid, Softmax
from barenet.losses import LOSSES, BinaryCrossEntropy, CrossEntropy, MeanSquaredError

RAISE = {"over": "raise", "invalid": "raise", "divide": "raise"}


def test_cross_entropy_by_hand():
    # Two samples. Sample 0 gives its true class probability 0.5, sample 1 gives 0.25:
    # L = -(log 0.5 + log 0.25) / 2 = (0.693147 + 1.386294) / 2 = 1.039721
    a = np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]])
    Y = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    assert CrossEntropy()(a, Y) == pytest.approx((np.log(2) + np.log(4)) / 2)


def test_binary_cross_entropy_by_hand():
    # Elements (a, y): (0.8, 1) -> -log 0.8;  (0.2, 0) -> -log 0.8;
    #                 (0.5, 1) -> log 2;      (0.9, 0) -> -log 0.1
    a = np.array([[0.8, 0.2], [0.5, 0.9]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0]])
    expected = (-2 * np.log(0.8) + np.log(2) - np.log(0.1)) / 4
    assert BinaryCrossEntropy()(a, Y) == pytest.approx(expected)


def test_mse_by_hand():
    # errors 1, -2, 0, 3 -> squares 1, 4, 0, 9 -> mean 3.5
    a = np.array([[1.0, 0.0], [2.0, 3.0]])
    Y = np.array([[0.0, 2.0], [2.0, 0.0]])
    assert MeanSquaredError()(a, Y) == 3.5
    np.testing.assert_allclose(MeanSquaredError().grad(a, Y), 2 * (a - Y) / 4)


@pytest.mark.parametrize(
    ("loss", "activation"), [(CrossEntropy(), Softmax()), (BinaryCrossEntropy(), Sigmoid())]
)
def test_fused_forms_equal_the_long_way(loss, activation):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6, 4)) * 3
    Y = np.eye(4)[rng.integers(0, 4, size=6)]
    a = activation.activate(z)
    assert loss.fuses_with(activation)
    assert loss.from_logits(z, Y) == pytest.approx(loss(a, Y), rel=1e-12)
    long_way = activation.derive(loss.grad(a, Y), z, a)
    np.testing.assert_allclose(loss.delta(z, a, Y), long_way, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_from_extreme_logits(dtype):
    big = dtype(1e36) if dtype == np.float32 else dtype(1e300)
    z = np.array([[1e4, 0, -1e4], [1e4, 1e4, 0], [big, -big, 0]], dtype=dtype)
    right = np.eye(3, dtype=dtype)[[0, 0, 0]]
    wrong = np.eye(3, dtype=dtype)[[2, 2, 2]]
    with np.errstate(**RAISE):
        a = Softmax().activate(z)
        assert CrossEntropy().from_logits(z[:1], right[:1]) == 0.0
        # the true class is 2e4 below the winner: L = 2e4 exactly
        assert CrossEntropy().from_logits(z[:1], wrong[:1]) == pytest.approx(2e4)
        # a tie of two: L = log 2
        assert CrossEntropy().from_logits(z[1:2], right[1:2]) == pytest.approx(np.log(2))
        assert np.isfinite(CrossEntropy().from_logits(z, wrong))
        delta = CrossEntropy().delta(z, a, wrong)
    assert np.isfinite(delta).all()
    np.testing.assert_array_equal(delta[0], np.array([1, 0, -1], dtype=dtype) / 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_at_labels_equals_the_loss_from_the_logits(dtype):
    rng = np.random.default_rng(0)
    z = (rng.normal(size=(50, 7)) * 4).astype(dtype)
    labels = rng.integers(0, 7, size=50)
    # rows whose true class lies so far below the winner that a rounds to 0 (float32 below
    # e**-87, float64 below e**-708): their loss must come from the logits
    z[3, labels[3]] -= 1e4
    z[7, labels[7]] -= 800
    Y = np.eye(7, dtype=dtype)[labels]
    loss = CrossEntropy()
    with np.errstate(**RAISE):
        a = Softmax().activate(z)
        assert a[3, labels[3]] == 0
        value = loss.at_labels(a, z, labels)
        assert value == pytest.approx(
            loss.from_logits(z, Y), rel=1e-6 if dtype == np.float32 else 1e-12
        )
        # without the far rows the values agree as closely, through the fast path alone
        keep = np.ones(50, bool)
        keep[[3, 7]] = False
        fast = loss.at_labels(a[keep], z[keep], labels[keep])
        assert fast == pytest.approx(loss.from_logits(z[keep], Y[keep]), rel=1e-6)
    assert value > 1e4 / 50  # row 3 alone costs 1e4, averaged over 50


def test_cross_entropy_at_labels_with_infinite_and_nan_logits():
    z = np.array([[0.0, -np.inf, 1.0], [2.0, 0.0, 0.0]])
    a = Softmax().activate(z)
    loss = CrossEntropy()
    # a -inf logit of a class that is not the target costs nothing: a finite loss
    expected = (np.logaddexp(0, 1) - 0.0 + np.log(np.exp(2) + 2) - 2) / 2
    assert loss.at_labels(a, z, np.array([0, 0])) == pytest.approx(expected, rel=1e-12)
    # a -inf logit of the target class: an infinite loss
    with np.errstate(divide="ignore", invalid="ignore"):
        assert loss.at_labels(a, z, np.array([1, 0])) == np.inf
        z[1, 1] = np.nan
        assert np.isnan(loss.at_labels(Softmax().activate(z), z, np.array([0, 0])))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_from_extreme_logits(dtype):
    big = 1e36 if dtype == np.float32 else 1e300
    z = np.array([[1e4, -1e4, 0, big, -big]], dtype=dtype)
    Y = np.array([[1, 0, 1, 1, 0]], dtype=dtype)
    with np.errstate(**RAISE):
        a = Sigmoid().activate(z)
        # only the middle element costs anything: softplus(0) - 0 = log 2, mean over 5
        assert BinaryCrossEntropy().from_logits(z, Y) == pytest.approx(np.log(2) / 5)
        # all wrong: each costs |z|
        assert BinaryCrossEntropy().from_logits(z[:, :2], 1 - Y[:, :2]) == pytest.approx(1e4)
        delta = BinaryCrossEntropy().delta(z, a, Y)
    np.testing.assert_array_equal(a, [[1, 0, 0.5, 1, 0]])
    np.testing.assert_array_equal(delta, np.array([[0, 0, -0.5, 0, 0]], dtype=dtype) / 5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probability_losses_survive_exact_zeros_and_ones(dtype):
    a = np.array([[1.0, 0.0]], dtype=dtype)
    Y = np.array([[0.0, 1.0]], dtype=dtype)
    with np.errstate(**RAISE):
        for loss in (CrossEntropy(), BinaryCrossEntropy()):
            assert np.isfinite(loss(a, Y)) and loss(a, Y) > 10
            assert np.isfinite(loss.grad(a, Y)).all()


def test_default_loss_follows_the_output_activation():
    assert isinstance(losses.default_for(Softmax()), CrossEntropy)
    assert isinstance(losses.default_for(Sigmoid()), BinaryCrossEntropy)
    assert isinstance(losses.default_for(Identity()), MeanSquaredError)
    assert isinstance(losses.default_for(ReLU()), MeanSquaredError)


def test_fusion_only_for_the_matching_pairs():
    assert not MeanSquaredError().fuses_with(Softmax())
    assert not CrossEntropy().fuses_with(Sigmoid())
    assert not BinaryCrossEntropy().fuses_with(Softmax())
    with pytest.raises(NotImplementedError):
        MeanSquaredError().from_logits(np.zeros((1, 1)), np.zeros((1, 1)))


def test_registry():
    assert set(LOSSES) == {"cross_entropy", "binary_cross_entropy", "mse"}
    assert isinstance(losses.get("mse"), MeanSquaredError)
    ce = CrossEntropy()
    assert losses.get(ce) is ce
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; expected one of \["):
        losses.get("hinge")


@pytest.mark.parametrize("loss", [CrossEntropy(), BinaryCrossEntropy()])
def test_probability_targets_must_lie_in_the_unit_interval(loss):
    with pytest.raises(ValueError, match=r"targets in \[0, 1\]; found 2 at row 1, column 0"):
        loss.check_targets(np.array([[0.0, 1.0], [2.0, 0.0]]))
    MeanSquaredError().check_targets(np.array([[-5.0, 7.0]]))  # any value is a fine target


# ------------------------------------------------------------------------------ target checks


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_targets_are_rows_that_sum_to_1(dtype):
    ce = CrossEntropy()
    ce.check_targets(np.eye(3, dtype=dtype))  # one-hot
    ce.check_targets(np.array([[0.1, 0.2, 0.7]], dtype=dtype))  # soft labels
    # soft labels made in float64 and rounded to float32 still pass
    soft = np.random.default_rng(0).dirichlet(np.ones(1000), size=5)
    ce.check_targets(soft.astype(dtype))
    ce.check_targets(np.zeros((0, 3), dtype=dtype))  # no rows: nothing to refuse
    for row, total in (([1.0, 1.0, 0.0], "2"), ([0.0, 0.0, 0.0], "0"), ([0.5, 0.4, 0.0], "0.9")):
        Y = np.array([[0.0, 1.0, 0.0], row], dtype=dtype)
        with pytest.raises(ValueError, match=f"sum to 1.*row 1 sums to {total}"):
            ce.check_targets(Y)
    off = np.array([[0.0, 1.0 + 1e-3, 0.0]], dtype=dtype)
    with pytest.raises(ValueError, match=r"targets in \[0, 1\]"):
        ce.check_targets(off)


def test_multi_hot_targets_are_for_sigmoid_outputs():
    Y = np.array([[1.0, 1.0, 0.0]])
    BinaryCrossEntropy().check_targets(Y)  # two labels at once: fine for sigmoid outputs
    with pytest.raises(ValueError, match="binary cross-entropy"):
        CrossEntropy().check_targets(Y)


# ----------------------------------------------------------- the non-finite policy (docstrings)

INF, NAN = np.inf, np.nan


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_of_a_minus_inf_logit_is_its_true_value(dtype):
    Y = np.array([[0, 1, 0]], dtype=dtype)
    ce = CrossEntropy()
    with np.errstate(**RAISE):
        # target 0: costs exactly 0, so the row costs what the finite logits say
        z = np.array([[-INF, 2.0, 0.0]], dtype=dtype)
        expected = -np.log(np.exp(2.0) / (np.exp(2.0) + 1.0))
        assert ce.from_logits(z, Y) == pytest.approx(expected, rel=1e-6)
        a = Softmax().activate(z)
        delta = ce.delta(z, a, Y)
        # target > 0: the true class has probability 0, the loss is +inf
        assert ce.from_logits(np.array([[1.0, -INF, 0.0]], dtype=dtype), Y) == INF
    assert np.isfinite(delta).all()
    np.testing.assert_allclose(delta, (a - Y) / 1)
    assert delta[0, 0] == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_from_nan_or_plus_inf_logits_is_nan(dtype):
    Y = np.array([[0, 1, 0]], dtype=dtype)
    with np.errstate(invalid="ignore"):
        for z in ([NAN, 0, 0], [0, 0, NAN], [INF, 0, 0], [0, INF, 0], [-INF, -INF, -INF]):
            assert np.isnan(CrossEntropy().from_logits(np.array([z], dtype=dtype), Y)), z


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_of_infinite_logits_is_its_true_value(dtype):
    bce = BinaryCrossEntropy()
    with np.errstate(**RAISE):
        agree = np.array([[INF, -INF]], dtype=dtype)
        assert bce.from_logits(agree, np.array([[1, 0]], dtype=dtype)) == 0.0
        for z, y in ((INF, 0.0), (-INF, 1.0), (INF, 0.5), (-INF, 0.5)):
            Z, Y = np.array([[z]], dtype=dtype), np.array([[y]], dtype=dtype)
            assert bce.from_logits(Z, Y) == INF
            assert np.isfinite(bce.delta(Z, Sigmoid().activate(Z), Y)).all()
    assert np.isnan(bce.from_logits(np.array([[NAN, 0]], dtype=dtype), np.zeros((1, 2))))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probability_losses_clip_infinite_outputs_and_keep_nan(dtype):
    tiny = np.finfo(dtype).tiny
    Y = np.array([[0, 1, 0]], dtype=dtype)
    with np.errstate(**RAISE):
        # a = 0 for the true class costs -log(tiny), not inf
        assert CrossEntropy()(np.array([[1, 0, 0]], dtype=dtype), Y) == pytest.approx(
            -np.log(tiny), rel=1e-6
        )
        assert np.isfinite(CrossEntropy().grad(np.array([[1, 0, 0]], dtype=dtype), Y)).all()
        a = np.array([[INF, -INF, 0.5]], dtype=dtype)
        assert np.isfinite(BinaryCrossEntropy()(a, np.array([[1, 0, 1]], dtype=dtype)))
        assert np.isfinite(BinaryCrossEntropy().grad(a, np.array([[1, 0, 1]], dtype=dtype))).all()
    nan_a = np.array([[NAN, 1, 0]], dtype=dtype)
    for loss in (CrossEntropy(), BinaryCrossEntropy(), MeanSquaredError()):
        assert np.isnan(loss(nan_a, Y)), loss
        assert np.isnan(loss.grad(nan_a, Y)[0, 0]), loss
        assert np.isnan(loss(np.array([[0, 1, 0]], dtype=dtype), np.array([[NAN, 1, 0]]))), loss


def test_mse_of_infinite_outputs_is_inf():
    a = np.array([[INF, -INF]])
    assert MeanSquaredError()(a, np.zeros((1, 2))) == INF
    np.testing.assert_array_equal(MeanSquaredError().grad(a, np.zeros((1, 2))), [[INF, -INF]])
