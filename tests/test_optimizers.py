"""Optimizers: hand-worked steps, NumPy reference formulas, dtypes, in-place and allocation-free
updates, convergence, gradient clipping, state round trips and the registry."""

import json
import tracemalloc

import numpy as np
import pytest

from barenet import optimizers
from barenet.optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    AdamW,
    RMSprop,
    clip_by_global_norm,
    global_norm,
)
from barenet.schedules import CosineDecay

# (name, constructor arguments): every update rule and every option of it
CONFIGS = [
    ("sgd", {"learning_rate": 0.1}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("sgd", {"learning_rate": 0.1, "weight_decay": 0.3}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.3}),
    ("adam", {"learning_rate": 0.01}),
    ("adam", {"learning_rate": 0.01, "beta1": 0.5, "beta2": 0.9, "weight_decay": 0.3}),
    ("adamw", {"learning_rate": 0.01}),
    ("rmsprop", {"learning_rate": 0.01}),
    ("rmsprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("rmsprop", {"learning_rate": 0.01, "momentum": 0.5, "weight_decay": 0.3, "rho": 0.8}),
]


def config_id(config):
    name, kw = config
    return "-".join([name, *(f"{k}={v}" for k, v in kw.items())])


IDS = [config_id(c) for c in CONFIGS]


def make_params(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    shapes = {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}
    return {k: rng.normal(size=s).astype(dtype) for k, s in shapes.items()}


def grad_sequence(params, n, seed=1):
    rng = np.random.default_rng(seed)
    return [
        {k: rng.normal(size=p.shape).astype(p.dtype) for k, p in params.items()} for _ in range(n)
    ]


def copy(arrays):
    return {k: v.copy() for k, v in arrays.items()}


# ---------------------------------------------------------------- NumPy references


def reference(name, params, grad_seq, **kw):
    """The textbook formulas, written plainly, one allocation per operation."""
    lr = kw.get("learning_rate")
    wd = kw.get("weight_decay", 0.01 if name == "adamw" else 0.0)
    p = copy(params)
    state = {
        k: {"v": np.zeros_like(w), "m": np.zeros_like(w), "s": np.zeros_like(w)}
        for k, w in p.items()
    }
    for t, grads in enumerate(grad_seq, start=1):
        for k in p:
            g, st, is_weight = grads[k], state[k], p[k].ndim >= 2
            if name == "sgd":
                mu = kw.get("momentum", 0.0)
                if is_weight:
                    g = g + wd * p[k]
                if mu:
                    st["v"] = mu * st["v"] + g
                    update = g + mu * st["v"] if kw.get("nesterov") else st["v"]
                else:
                    update = g
                p[k] = p[k] - lr * update
            elif name in ("adam", "adamw"):
                b1, b2, eps = kw.get("beta1", 0.9), kw.get("beta2", 0.999), kw.get("eps", 1e-8)
                if is_weight:
                    p[k] = p[k] - lr * wd * p[k]
                st["m"] = b1 * st["m"] + (1 - b1) * g
                st["v"] = b2 * st["v"] + (1 - b2) * g**2
                m_hat, v_hat = st["m"] / (1 - b1**t), st["v"] / (1 - b2**t)
                p[k] = p[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
            else:
                rho, eps, mu = kw.get("rho", 0.9), kw.get("eps", 1e-7), kw.get("momentum", 0.0)
                if is_weight:
                    g = g + wd * p[k]
                st["s"] = rho * st["s"] + (1 - rho) * g**2
                update = g / (np.sqrt(st["s"]) + eps)
                if mu:
                    st["v"] = mu * st["v"] + update
                    update = st["v"]
                p[k] = p[k] - lr * update
    return p


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=IDS)
def test_matches_the_reference_formulas_over_20_steps(name, kw):
    params = make_params()
    grad_seq = grad_sequence(params, 20)
    expected = reference(name, params, grad_seq, **kw)
    opt = optimizers.get(name, **kw)
    for grads in grad_seq:
        opt.step(params, copy(grads))
    assert opt.iterations == 20
    for k in params:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12, atol=1e-12, err_msg=k)


# ---------------------------------------------------------------- hand-worked steps
# One weight W (1x1) and one bias b, both starting at 1; gradients 1 then 2 for both.


def two_steps(opt):
    params = {"W": np.array([[1.0]]), "b": np.array([1.0])}
    out = []
    for g in (1.0, 2.0):
        opt.step(params, {"W": np.array([[g]]), "b": np.array([g])})
        out.append((params["W"][0, 0], params["b"][0]))
    return out


def test_sgd_momentum_by_hand():
    # step 1: v = 0.9 * 0 + 1 = 1;     W = 1 - 0.1 * 1 = 0.9
    # step 2: v = 0.9 * 1 + 2 = 2.9;   W = 0.9 - 0.1 * 2.9 = 0.61
    (w1, b1), (w2, b2) = two_steps(SGD(0.1, momentum=0.9))
    assert (w1, w2) == pytest.approx((0.9, 0.61), rel=1e-15)
    assert (b1, b2) == pytest.approx((0.9, 0.61), rel=1e-15)


def test_sgd_nesterov_by_hand():
    # step 1: v = 1;     update = g + 0.9 v = 1 + 0.9 = 1.9;     W = 1 - 0.19 = 0.81
    # step 2: v = 2.9;   update = 2 + 0.9 * 2.9 = 4.61;          W = 0.81 - 0.461 = 0.349
    (w1, _), (w2, _) = two_steps(SGD(0.1, momentum=0.9, nesterov=True))
    assert (w1, w2) == pytest.approx((0.81, 0.349), rel=1e-14)


def test_sgd_weight_decay_by_hand_spares_the_bias():
    # W step 1: g = 1 + 0.5 * 1 = 1.5;        W = 1 - 0.1 * 1.5 = 0.85
    # W step 2: g = 2 + 0.5 * 0.85 = 2.425;   W = 0.85 - 0.2425 = 0.6075
    # b: no decay: 1 - 0.1 = 0.9, then 0.9 - 0.2 = 0.7
    (w1, b1), (w2, b2) = two_steps(SGD(0.1, weight_decay=0.5))
    assert (w1, w2) == pytest.approx((0.85, 0.6075), rel=1e-15)
    assert (b1, b2) == pytest.approx((0.9, 0.7), rel=1e-15)


def test_adamw_by_hand():
    # lr 0.1, weight_decay 0.5 (decoupled), betas 0.9 / 0.999, eps 1e-8
    # W step 1: W = 1 - 0.1 * 0.5 * 1 = 0.95;  m = 0.1,  v = 0.001
    #           m_hat = 0.1 / 0.1 = 1,  v_hat = 0.001 / 0.001 = 1
    #           W = 0.95 - 0.1 * 1 / (1 + 1e-8) = 0.850000001
    # W step 2: W = 0.850000001 * 0.95 = 0.80750000095
    #           m = 0.09 + 0.2 = 0.29,            m_hat = 0.29 / 0.19 = 1.526315789...
    #           v = 0.000999 + 0.004 = 0.004999,  v_hat = 0.004999 / 0.001999 = 2.500750375...
    #           W = 0.80750000095 - 0.1 * 1.526315789 / (1.581376102 + 1e-8) = 0.710981799
    # b: no decay: 1 - 0.1 / (1 + 1e-8) = 0.900000001, then 0.900000001 - 0.096518202 = 0.803481799
    (w1, b1), (w2, b2) = two_steps(AdamW(0.1, weight_decay=0.5))
    assert (w1, w2) == pytest.approx((0.850000001, 0.7109817990), rel=1e-9)
    assert (b1, b2) == pytest.approx((0.900000001, 0.803481799), rel=1e-9)


def test_rmsprop_by_hand():
    # lr 0.01, rho 0.9, eps 1e-12 (too small to show in 10 digits)
    # step 1: s = 0.1 * 1 = 0.1;               update = 1 / sqrt(0.1) = 3.16227766
    #         W = 1 - 0.0316227766 = 0.9683772234
    # step 2: s = 0.09 + 0.1 * 4 = 0.49;       update = 2 / 0.7 = 2.857142857
    #         W = 0.9683772234 - 0.02857142857 = 0.9398057948
    (w1, _), (w2, _) = two_steps(RMSprop(0.01, eps=1e-12))
    assert (w1, w2) == pytest.approx((0.9683772234, 0.9398057948), rel=1e-10)
    # with momentum 0.5: buf = 3.16227766, then 0.5 * 3.16227766 + 2.857142857 = 4.438281687
    #         W = 0.9683772234 - 0.04438281687 = 0.9239944065
    (w1, _), (w2, _) = two_steps(RMSprop(0.01, eps=1e-12, momentum=0.5))
    assert (w1, w2) == pytest.approx((0.9683772234, 0.9239944065), rel=1e-10)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(0.1, weight_decay=0.5),
        lambda: SGD(0.1, 0.9, True, 0.5),
        lambda: AdamW(0.1, weight_decay=0.5),
        lambda: RMSprop(0.1, momentum=0.5, weight_decay=0.5),
    ],
    ids=["sgd", "sgd-nesterov", "adamw", "rmsprop-momentum"],
)
def test_weight_decay_shrinks_weights_and_never_biases(make):
    opt = make()
    params = {"W": np.full((2, 3), 2.0), "b": np.full(3, 2.0)}
    zero = {"W": np.zeros((2, 3)), "b": np.zeros(3)}
    for _ in range(3):
        opt.step(params, copy(zero))
    np.testing.assert_array_equal(params["b"], 2.0)
    assert (np.abs(params["W"]) < 2.0).all()


# ---------------------------------------------------------------- dtypes, in place, allocation


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=IDS)
def test_float32_stays_float32_and_updates_in_place(name, kw):
    params = make_params(np.float32)
    ids = {k: id(p) for k, p in params.items()}
    opt = optimizers.get(name, **kw)
    for grads in grad_sequence(params, 3):
        opt.step(params, grads)
    assert {k: id(p) for k, p in params.items()} == ids
    assert all(p.dtype == np.float32 for p in params.values())
    state = opt.state_dict()
    assert state.pop("iterations").dtype == np.int64
    assert all(s.dtype == np.float32 for s in state.values())
    # the float32 run follows the float64 one to float32 precision
    expected = reference(name, make_params(), grad_sequence(make_params(), 3), **kw)
    for k in params:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(0.1),
        lambda: SGD(0.1, 0.9, True, 0.1, clip_norm=1.0),
        lambda: Adam(weight_decay=0.1, clip_norm=1.0),
        lambda: RMSprop(momentum=0.9, weight_decay=0.1, clip_norm=1.0),
    ],
    ids=["sgd", "sgd-nesterov-decay-clip", "adam-decay-clip", "rmsprop-momentum-decay-clip"],
)
def test_step_allocates_nothing_after_the_first(make):
    opt = make()
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(500, 500)), "b": np.zeros(500)}
    grads = {"W": rng.normal(size=(500, 500)), "b": np.ones(500)}
    opt.step(params, grads)
    buffers = [id(a) for a in opt._state["W"] + opt._scratch["W"]]
    tracemalloc.start()
    try:
        for _ in range(10):
            opt.step(params, grads)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < params["W"].nbytes / 20  # one temporary array would be 2 MB; this is 100 kB
    assert [id(a) for a in opt._state["W"] + opt._scratch["W"]] == buffers


# ---------------------------------------------------------------- subnormal numbers

DECAYING = [
    ("adam", {"learning_rate": 1e-3}),
    ("adamw", {"learning_rate": 1e-3}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("rmsprop", {"learning_rate": 1e-3}),
    ("rmsprop", {"learning_rate": 1e-3, "momentum": 0.9}),
]


def subnormal_count(opt):
    tiny = np.finfo(np.float32).tiny
    state = opt.state_dict()
    state.pop("iterations")
    return sum(int(np.count_nonzero((s != 0) & (np.abs(s) < tiny))) for s in state.values())


def border_pixel_run(opt, steps=1200):
    """Float32 W (3, 4): column 0 gets a gradient at every step, the other entries only at
    the first step and 0 ever after, like a pixel that is almost always blank. Their state
    only decays (m *= 0.9 per step) and, unflushed, passes below the smallest normal float32
    (1.2e-38) after about 700 steps. Returns the parameters and the most subnormal entries
    the state held after any step."""
    rng = np.random.default_rng(0)
    params = {"W": np.ones((3, 4), np.float32), "b": np.zeros(4, np.float32)}
    worst = 0
    for t in range(steps):
        grads = {"W": np.zeros((3, 4), np.float32), "b": np.zeros(4, np.float32)}
        grads["W"][:, 0] = rng.normal(size=3)
        if t == 0:
            grads["W"][:] = grads["b"][:] = 1e-3
        opt.step(params, grads)
        worst = max(worst, subnormal_count(opt))
    return params, worst


@pytest.mark.parametrize(("name", "kw"), DECAYING, ids=[config_id(c) for c in DECAYING])
def test_state_holds_no_subnormal_numbers_after_many_zero_gradients(name, kw, monkeypatch):
    flushed = optimizers.get(name, **kw)
    params, worst = border_pixel_run(flushed)
    assert worst == 0
    # the same run without the flush does hold subnormals (so this test can fail) and moves
    # the parameters exactly as far: the flushed entries were too small to matter
    plain = optimizers.get(name, **kw)
    monkeypatch.setattr(plain, "_flush_subnormals", lambda: None)
    plain_params, plain_worst = border_pixel_run(plain)
    assert plain_worst > 0
    for key in params:
        np.testing.assert_array_equal(params[key], plain_params[key])
    tiny = float(np.finfo(np.float32).tiny)
    for key, value in plain.state_dict().items():
        mine = flushed.state_dict()[key]
        kept = mine != 0
        np.testing.assert_array_equal(mine[kept], value[kept], err_msg=key)
        assert (np.abs(value[~kept]) < 1000 * tiny).all(), key  # only tiny entries were zeroed


def test_the_flush_interval_follows_the_fastest_decay():
    # 0.9**65 = 1.05e-3: 65 steps shrink an entry 1000-fold; 0.999 needs 6904, capped at 1000
    assert Adam()._flush_every == 65
    assert Adam(beta1=0.0)._flush_every == 1000  # m = g: it does not decay at all
    assert SGD(momentum=0.5)._flush_every == 9  # 0.5**9 = 1 / 512, 0.5**10 < 1e-3
    assert RMSprop(rho=0.99)._flush_every == 687


# ---------------------------------------------------------------- the learning rate folded in


def test_plain_sgd_takes_gradients_with_the_learning_rate_applied():
    params, folded = make_params(), make_params()
    grads = grad_sequence(params, 3)
    opt, opt_folded = SGD(CosineDecay(0.1, 3)), SGD(CosineDecay(0.1, 3))
    for g in grads:
        lr = opt_folded.foldable_learning_rate()
        assert lr == opt.current_learning_rate
        opt.step(params, copy(g))
        opt_folded.step(folded, {k: lr * v for k, v in g.items()}, learning_rate_applied=True)
    assert opt_folded.iterations == 3
    for k in params:
        np.testing.assert_allclose(folded[k], params[k], rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(0.1, momentum=0.9),
        lambda: SGD(0.1, weight_decay=0.1),
        lambda: SGD(0.1, clip_norm=1.0),
        lambda: Adam(),
        lambda: RMSprop(),
    ],
    ids=["momentum", "weight-decay", "clip", "adam", "rmsprop"],
)
def test_only_plain_gradient_descent_can_fold_its_learning_rate(make):
    opt = make()
    params = make_params()
    assert opt.foldable_learning_rate() is None
    with pytest.raises(ValueError, match="learning rate applied"):
        opt.step(params, grad_sequence(params, 1)[0], learning_rate_applied=True)
    assert opt.iterations == 0


# ---------------------------------------------------------------- convergence


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("sgd", {"learning_rate": 0.1}),
        ("sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
        ("adam", {"learning_rate": 0.05}),
        ("adamw", {"learning_rate": 0.05, "weight_decay": 0.0}),
        # RMSprop's steps stay near lr in size: it needs a decaying rate to settle
        ("rmsprop", {"learning_rate": CosineDecay(0.01, 1000), "momentum": 0.5}),
    ],
    ids=["sgd", "sgd-nesterov", "adam", "adamw", "rmsprop-cosine"],
)
def test_minimizes_a_quadratic(name, kw):
    # f(W) = ||W - T||^2, gradient 2 (W - T), minimum at W = T
    rng = np.random.default_rng(0)
    T = rng.normal(size=(4, 3))
    params = {"W": np.zeros((4, 3))}
    opt = optimizers.get(name, **kw)
    for _ in range(1000):
        opt.step(params, {"W": 2 * (params["W"] - T)})
    np.testing.assert_allclose(params["W"], T, atol=1e-3)


# ---------------------------------------------------------------- clipping


def test_clip_by_global_norm_scales_to_exactly_max_norm():
    grads = {"W": np.array([[3.0, 0.0]]), "b": np.array([4.0])}  # norm sqrt(9 + 16) = 5
    W = grads["W"]
    assert clip_by_global_norm(grads, 1.0) == 5.0
    assert grads["W"] is W
    assert global_norm(grads) == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_allclose(grads["W"], [[0.6, 0.0]], rtol=1e-15)  # direction kept
    np.testing.assert_allclose(grads["b"], [0.8], rtol=1e-15)


def test_clip_by_global_norm_leaves_small_gradients_alone():
    grads = {"W": np.array([[3.0, 0.0]]), "b": np.array([4.0])}
    assert clip_by_global_norm(grads, 10.0) == 5.0
    np.testing.assert_array_equal(grads["W"], [[3.0, 0.0]])
    np.testing.assert_array_equal(grads["b"], [4.0])
    with pytest.raises(ValueError, match=r"max_norm.*received 0"):
        clip_by_global_norm(grads, 0)


def test_global_norm_of_float32_is_a_python_float():
    norm = global_norm({"W": np.full((10, 10), 0.5, dtype=np.float32)})
    assert type(norm) is float and norm == 5.0


def test_step_clips_before_the_update():
    # gradient (3, 4) has norm 5; clipped to norm 1 it is (0.6, 0.8); lr 1 moves W by that
    params = {"W": np.zeros((1, 2))}
    SGD(1.0, clip_norm=1.0).step(params, {"W": np.array([[3.0, 4.0]])})
    np.testing.assert_allclose(params["W"], [[-0.6, -0.8]], rtol=1e-15)


# ---------------------------------------------------------------- state


STATEFUL = [(n, kw) for n, kw in CONFIGS if n != "sgd" or kw.get("momentum")] + [CONFIGS[0]]


@pytest.mark.parametrize(("name", "kw"), STATEFUL, ids=[config_id(c) for c in STATEFUL])
def test_state_dict_round_trip_resumes_bit_identically(name, kw):
    params_a = make_params()
    grad_seq = grad_sequence(params_a, 10)
    a = optimizers.get(name, **kw)
    for grads in grad_seq[:5]:
        a.step(params_a, copy(grads))
    b = optimizers.get(name, **kw)
    params_b = copy(params_a)
    b.load_state_dict(a.state_dict())
    assert b.iterations == 5
    for grads in grad_seq[5:]:
        a.step(params_a, copy(grads))
        b.step(params_b, copy(grads))
    for k in params_a:
        np.testing.assert_array_equal(params_a[k], params_b[k])
    state_a, state_b = a.state_dict(), b.state_dict()
    assert state_a.keys() == state_b.keys()
    for k in state_a:
        np.testing.assert_array_equal(state_a[k], state_b[k])


def test_state_dict_keys_are_flat_and_copies():
    opt = Adam()
    params = make_params()
    opt.step(params, grad_sequence(params, 1)[0])
    state = opt.state_dict()
    assert sorted(state) == sorted(["iterations"] + [f"{s}/{k}" for s in "mv" for k in params])
    assert state["iterations"].shape == () and state["iterations"] == 1
    state["m/W1"][...] = 7.0
    assert not (opt.state_dict()["m/W1"] == 7.0).any()
    assert SGD().state_dict().keys() == {"iterations"}  # plain gradient descent has no state


def adam_state():
    opt = Adam()
    params = make_params()
    opt.step(params, grad_sequence(params, 1)[0])
    return opt.state_dict()


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda s: s.pop("v/W1"), "v/W1"),
        (lambda s: s.pop("iterations"), "iterations"),
        (lambda s: s.__setitem__("v/W1", np.zeros((4, 3))), "v/W1"),
        (lambda s: s.__setitem__("velocity/W1", np.zeros((3, 4))), "velocity/W1"),
        (lambda s: s.__setitem__("iterations", np.array([1, 2])), "iterations"),
        (lambda s: s.__setitem__("m/b1", np.zeros(4, dtype=np.int64)), "m/b1"),
    ],
    ids=["missing", "no-iterations", "shape", "unexpected", "iterations-shape", "int-dtype"],
)
def test_load_state_dict_names_the_bad_key(edit, key):
    state = adam_state()
    edit(state)
    opt = Adam()
    with pytest.raises(ValueError, match=key):
        opt.load_state_dict(state)
    assert opt.iterations == 0 and opt.state_dict().keys() == {"iterations"}  # unchanged


def test_loaded_state_is_checked_against_the_params_on_the_next_step():
    state = adam_state()
    params = make_params()
    # every state array misshaped alike: only the parameter can tell
    state["m/W1"] = state["v/W1"] = np.zeros((4, 3))
    opt = Adam()
    opt.load_state_dict(state)
    with pytest.raises(ValueError, match="m/W1"):
        opt.step(params, grad_sequence(params, 1)[0])
    # a parameter that the loaded state does not know
    opt = Adam()
    opt.load_state_dict(adam_state())
    params["W3"] = np.zeros((2, 2))
    grads = grad_sequence(params, 1)[0]
    with pytest.raises(ValueError, match="W3"):
        opt.step(params, grads)


def test_load_state_dict_into_a_stepped_optimizer_checks_shapes_and_keys():
    params = make_params()
    opt = Adam()
    opt.step(params, grad_sequence(params, 1)[0])
    state = adam_state()
    state["m/b2"] = state["v/b2"] = np.zeros(5)
    with pytest.raises(ValueError, match="m/b2"):
        opt.load_state_dict(state)
    state = adam_state()
    del state["m/b2"], state["v/b2"]
    with pytest.raises(ValueError, match="b2"):
        opt.load_state_dict(state)


@pytest.mark.parametrize("stepped", [False, True], ids=["fresh", "stepped"])
def test_loaded_float64_state_is_cast_to_float32_params(stepped):
    params = make_params(np.float32)
    opt = Adam()
    if stepped:
        opt.step(params, grad_sequence(params, 1)[0])
    opt.load_state_dict(adam_state())
    opt.step(params, grad_sequence(params, 1)[0])
    assert opt.iterations == 2
    assert all(v.dtype == np.float32 for k, v in opt.state_dict().items() if k != "iterations")


def test_step_rejects_gradients_that_do_not_match():
    params = make_params()
    grads = grad_sequence(params, 1)[0]
    del grads["b2"]
    with pytest.raises(ValueError, match="b2"):
        SGD().step(params, grads)
    grads = grad_sequence(params, 1)[0]
    grads["W1"] = grads["W1"].T
    with pytest.raises(ValueError, match="W1"):
        SGD().step(params, grads)


# ---------------------------------------------------------------- registry and validation


def test_registry_names():
    assert sorted(OPTIMIZERS) == ["adam", "adamw", "rmsprop", "sgd"]
    assert AdamW().weight_decay == 0.01 and Adam().weight_decay == 0.0


def test_get_with_overrides_instances_and_configs():
    opt = optimizers.get("sgd", learning_rate=0.5, momentum=0.9)
    assert type(opt) is SGD and opt.momentum == 0.9 and opt.current_learning_rate == 0.5
    assert optimizers.get(opt) is opt
    with pytest.raises(TypeError, match="learning_rate"):
        optimizers.get(opt, learning_rate=0.1)
    config = optimizers.serialize(opt)
    assert config["name"] == "sgd"
    again = optimizers.get(json.loads(json.dumps(config)))
    assert type(again) is SGD and again.get_config() == opt.get_config()
    assert optimizers.get(config, momentum=0.5).momentum == 0.5


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_serialize_round_trips_through_json(name):
    opt = optimizers.get(
        name,
        learning_rate={"name": "cosine_decay", "initial_learning_rate": 0.1, "decay_steps": 100},
        clip_norm=2.0,
    )
    again = optimizers.get(json.loads(json.dumps(optimizers.serialize(opt))))
    assert type(again) is type(opt) and again.name == name
    assert again.get_config() == opt.get_config()
    assert again.learning_rate == opt.learning_rate


@pytest.mark.parametrize("identifier", ["adagrad", {"name": "lbfgs"}, {"learning_rate": 1.0}, 3])
def test_unknown_optimizer_lists_the_valid_names(identifier):
    with pytest.raises(ValueError, match="unknown optimizer") as err:
        optimizers.get(identifier)
    for name in OPTIMIZERS:
        assert repr(name) in str(err.value)


@pytest.mark.parametrize(
    ("make", "bad"),
    [
        (lambda: SGD(momentum=1.0), "momentum.*received 1.0"),
        (lambda: SGD(momentum=-0.1), "momentum.*received -0.1"),
        (lambda: SGD(nesterov=True), "nesterov"),
        (lambda: SGD(learning_rate=0), "learning_rate.*received 0"),
        (lambda: SGD(learning_rate=float("nan")), "learning_rate.*received nan"),
        (lambda: SGD(weight_decay=-1e-4), "weight_decay.*received -0.0001"),
        (lambda: SGD(clip_norm=0.0), "clip_norm.*received 0.0"),
        (lambda: Adam(beta1=1.0), "beta1.*received 1.0"),
        (lambda: Adam(beta2=-0.5), "beta2.*received -0.5"),
        (lambda: Adam(eps=0), "eps.*received 0"),
        (lambda: AdamW(eps=float("inf")), "eps.*received inf"),
        (lambda: RMSprop(rho=1), "rho.*received 1"),
        (lambda: RMSprop(momentum="0.9"), "momentum.*received '0.9'"),
    ],
)
def test_bad_hyperparameters_say_what_was_received(make, bad):
    with pytest.raises(ValueError, match=bad):
        make()
