"""Schedules: hand-worked values, the warmup and decay boundaries, the registry, validation,
and an optimizer stepping with the scheduled rate."""

import json
import math

import numpy as np
import pytest

from barenet import schedules
from barenet.optimizers import SGD, Adam
from barenet.schedules import (
    SCHEDULES,
    Constant,
    CosineDecay,
    ExponentialDecay,
    Schedule,
    StepDecay,
)

EXAMPLES = [
    Constant(0.1),
    StepDecay(0.1, drop=0.5, step_size=10),
    ExponentialDecay(0.1, decay_rate=0.5, decay_steps=10),
    ExponentialDecay(0.1, decay_rate=0.5, decay_steps=10, staircase=True),
    CosineDecay(1.0, decay_steps=10, alpha=0.1, warmup_steps=4),
]


def test_constant():
    assert [Constant(0.1)(step) for step in (0, 1, 10**9)] == [0.1, 0.1, 0.1]


def test_step_decay_by_hand():
    lr = StepDecay(0.1, drop=0.5, step_size=10)
    # steps 0..9: 0.1;  10..19: 0.1 * 0.5 = 0.05;  20..29: 0.1 * 0.25 = 0.025
    assert [lr(s) for s in (0, 9, 10, 19, 20, 25)] == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rel=1e-15
    )


def test_exponential_decay_by_hand():
    smooth = ExponentialDecay(0.1, decay_rate=0.5, decay_steps=10)
    stairs = ExponentialDecay(0.1, decay_rate=0.5, decay_steps=10, staircase=True)
    # step 5: 0.1 * 0.5 ** 0.5 = 0.07071067812;  step 10: 0.1 * 0.5 = 0.05
    # step 15: 0.1 * 0.5 ** 1.5 = 0.03535533906, with the staircase 0.1 * 0.5 ** 1 = 0.05
    assert [smooth(s) for s in (0, 5, 10, 15)] == pytest.approx(
        [0.1, 0.07071067812, 0.05, 0.03535533906], rel=1e-10
    )
    assert [stairs(s) for s in (0, 5, 9, 10, 15, 20)] == pytest.approx(
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.025], rel=1e-15
    )


def test_cosine_decay_with_warmup_by_hand():
    lr = CosineDecay(1.0, decay_steps=10, alpha=0.1, warmup_steps=4)
    # warmup, lr = (step + 1) / 4:  0.25, 0.5, 0.75, 1.0 at steps 0..3
    assert [lr(s) for s in range(4)] == pytest.approx([0.25, 0.5, 0.75, 1.0], rel=1e-15)
    # decay, s = step - 4:  lr = 0.1 + 0.9 * 0.5 * (1 + cos(pi * s / 10))
    # s = 0: 1.0;  s = 5: 0.1 + 0.45 = 0.55;  s = 10 and after: 0.1
    assert lr(4) == pytest.approx(1.0, rel=1e-15)
    assert lr(9) == pytest.approx(0.55, rel=1e-15)
    assert [lr(s) for s in (14, 15, 1000)] == pytest.approx([0.1, 0.1, 0.1], rel=1e-15)
    assert lr(5) == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi / 10)), rel=1e-15)


def test_cosine_decay_without_warmup_by_hand():
    lr = CosineDecay(2.0, decay_steps=4)
    # 2 * 0.5 * (1 + cos(pi * s / 4)) = 1 + cos(pi s / 4): 2, 1.7071068, 1, 0.2928932, 0
    expected = [2.0, 1.7071067812, 1.0, 0.2928932188, 0.0, 0.0]
    assert [lr(s) for s in range(6)] == pytest.approx(expected, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("schedule", EXAMPLES, ids=repr)
def test_serialize_and_get_round_trip_through_json(schedule):
    config = json.loads(json.dumps(schedules.serialize(schedule)))
    assert config["name"] == schedule.name
    again = schedules.get(config)
    assert type(again) is type(schedule) and again == schedule
    assert [again(s) for s in range(30)] == [schedule(s) for s in range(30)]


def test_get_accepts_instances_and_numbers():
    lr = StepDecay(0.1, step_size=3)
    assert schedules.get(lr) is lr
    assert schedules.get(0.5) == Constant(0.5)
    assert schedules.get(1) == Constant(1.0)
    assert schedules.get(np.float32(0.25)) == Constant(0.25)
    assert type(schedules.get(1)(0)) is float


@pytest.mark.parametrize("identifier", [{"name": "cyclic"}, {"learning_rate": 0.1}])
def test_unknown_schedule_lists_the_valid_names(identifier):
    with pytest.raises(ValueError, match="unknown schedule") as err:
        schedules.get(identifier)
    for name in SCHEDULES:
        assert repr(name) in str(err.value)


@pytest.mark.parametrize("identifier", ["0.1", None, True, [0.1]])
def test_get_rejects_other_types(identifier):
    with pytest.raises(TypeError, match="Schedule"):
        schedules.get(identifier)


@pytest.mark.parametrize(
    ("make", "bad"),
    [
        (lambda: Constant(0), "learning_rate.*> 0; received 0"),
        (lambda: Constant(-0.1), "received -0.1"),
        (lambda: Constant(float("inf")), "received inf"),
        (lambda: Constant(float("nan")), "received nan"),
        (lambda: Constant(True), "received True"),
        (lambda: StepDecay(0.1, drop=0, step_size=1), r"drop.*\(0, 1\]; received 0"),
        (lambda: StepDecay(0.1, drop=1.5, step_size=1), "drop.*received 1.5"),
        (lambda: StepDecay(0.1, step_size=0), "step_size.*>= 1; received 0"),
        (lambda: ExponentialDecay(0.1, 0.5, decay_steps=0), "decay_steps.*received 0"),
        (lambda: ExponentialDecay(0.1, 0.0, decay_steps=5), "decay_rate.*received 0.0"),
        (lambda: ExponentialDecay(0.1, 0.5, 5, staircase=1), "staircase.*received 1"),
        (lambda: CosineDecay(0.1, decay_steps=2.5), "decay_steps.*whole.*received 2.5"),
        (lambda: CosineDecay(0.1, decay_steps=10, alpha=-0.1), "alpha.*received -0.1"),
        (lambda: CosineDecay(0.1, decay_steps=10, alpha=1.5), r"alpha.*\[0, 1\]; received 1.5"),
        (lambda: CosineDecay(0.1, decay_steps=10, warmup_steps=-1), "warmup_steps.*>= 0"),
        (lambda: CosineDecay(0.0, decay_steps=10), "initial_learning_rate.*received 0.0"),
    ],
)
def test_bad_arguments_say_what_was_received_and_what_is_allowed(make, bad):
    with pytest.raises(ValueError, match=bad):
        make()


def test_whole_float_steps_are_accepted():
    assert CosineDecay(0.1, decay_steps=1e4).get_config()["decay_steps"] == 10000


def test_every_registered_schedule_is_a_schedule_with_its_name():
    for name, cls in SCHEDULES.items():
        assert issubclass(cls, Schedule) and cls.name == name


def test_sgd_steps_with_the_scheduled_rate():
    # lr = 1.0, 1.0, 0.5, 0.5, 0.25 at updates 0..4; with a gradient of 1, W moves by lr
    opt = SGD(learning_rate=StepDecay(1.0, drop=0.5, step_size=2))
    params = {"W": np.zeros((1, 1))}
    moves, rates = [], []
    for _ in range(5):
        rates.append(opt.current_learning_rate)
        before = params["W"][0, 0]
        opt.step(params, {"W": np.ones((1, 1))})
        moves.append(before - params["W"][0, 0])
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert moves == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert opt.current_learning_rate == 0.25  # update 5 shares the drop of update 4


def test_adam_steps_with_the_scheduled_rate():
    # Adam's first update is lr * g / (|g| + eps), about lr in size, whatever g is
    lr = CosineDecay(0.1, decay_steps=10, warmup_steps=5)
    opt = Adam(learning_rate=lr)
    params = {"W": np.zeros((1, 1))}
    opt.step(params, {"W": np.full((1, 1), 3.0)})
    assert -params["W"][0, 0] == pytest.approx(lr(0), rel=1e-8)  # 0.1 / 5 = 0.02
    assert lr(0) == pytest.approx(0.02, rel=1e-15)
