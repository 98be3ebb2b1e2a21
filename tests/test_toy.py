"""Toy data sets (barenet.datasets.toy): shapes, determinism, balance, and what each one is."""

from __future__ import annotations

import math

import numpy as np
import pytest

import barenet.datasets
from barenet.datasets import toy
from barenet.datasets.toy import circles, gaussians, moons, sine, spiral, xor

CLASSIFIERS = {
    "spiral": (spiral, {"n_per_class": 50, "classes": 3}, 150, 3),
    "moons": (moons, {"n": 151}, 151, 2),
    "circles": (circles, {"n": 151}, 151, 2),
    "xor": (xor, {"n": 151}, 151, 2),
    "gaussians": (gaussians, {"n_per_class": 40, "classes": 4}, 160, 4),
}


def test_toy_is_a_submodule_of_datasets():
    assert barenet.datasets.toy.spiral is spiral


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_shapes_dtypes_and_balance(name):
    fn, kwargs, n, k = CLASSIFIERS[name]
    X, y = fn(**kwargs)
    assert X.shape == (n, 2) and X.dtype == np.float64 and X.flags.c_contiguous
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == k and counts.max() - counts.min() <= 1, counts
    assert np.isfinite(X).all()


@pytest.mark.parametrize("name", [*CLASSIFIERS, "sine"])
def test_same_seed_same_data_other_seed_other_data(name):
    fn, kwargs = (sine, {"n": 50, "noise": 0.1}) if name == "sine" else CLASSIFIERS[name][:2]
    X1, y1 = fn(**kwargs, seed=7)
    X2, y2 = fn(**kwargs, seed=7)
    X3, _ = fn(**kwargs, seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_rows_come_shuffled(name):
    _, y = CLASSIFIERS[name][0](**CLASSIFIERS[name][1])
    assert np.count_nonzero(np.diff(y)) > len(y) // 4  # sorted labels change only k - 1 times


def test_spiral_arms_without_noise():
    # arm j: angle t = 2 pi j / k + 4 r at radius r, and the point is (r sin t, r cos t)
    X, y = spiral(n_per_class=40, classes=3, noise=0.0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.min() == 0.0 and r.max() == pytest.approx(1.0)
    t = np.arctan2(X[:, 0], X[:, 1])
    offset = np.mod(t - 4 * r - 2 * np.pi * y / 3 + np.pi, 2 * np.pi) - np.pi
    on_arm = r > 1e-9  # the centre has no angle
    np.testing.assert_allclose(offset[on_arm], 0.0, atol=1e-9)


def test_moons_are_two_half_circles():
    X, y = moons(n=200, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()
    noisy, _ = moons(n=2000, noise=0.1, seed=1)
    clean, _ = moons(n=2000, noise=0.0, seed=1)
    # the same rows (the shuffle is drawn after the noise, from the same stream), moved by N(0, 0.1)
    assert np.std(noisy - clean) == pytest.approx(0.1, rel=0.1)


def test_circles_radii():
    X, y = circles(n=200, noise=0.0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)


def test_xor_labels_are_the_quadrant_parity():
    X, y = xor(n=400)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    assert np.abs(X).min() >= 0.05 and np.abs(X).max() <= 1.0
    quadrant = 2 * (X[:, 0] < 0) + (X[:, 1] < 0)
    assert (np.bincount(quadrant) == 100).all()


def test_gaussians_are_centred_on_a_circle_of_radius_two():
    X, y = gaussians(n_per_class=2000, classes=4, noise=0.5)
    for j in range(4):
        centre = 2 * np.array([math.cos(2 * math.pi * j / 4), math.sin(2 * math.pi * j / 4)])
        np.testing.assert_allclose(X[y == j].mean(axis=0), centre, atol=0.05)
        np.testing.assert_allclose(X[y == j].std(axis=0), 0.5, rtol=0.1)


def test_sine():
    X, y = sine(n=300)
    assert X.shape == (300, 1) and y.shape == (300,) and X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(y, np.sin(X[:, 0]))
    assert -np.pi <= X.min() and X.max() <= np.pi
    _, noisy = sine(n=5000, noise=0.2, seed=3)
    X3, _ = sine(n=5000, seed=3)
    assert np.std(noisy - np.sin(X3[:, 0])) == pytest.approx(0.2, rel=0.1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: spiral(n_per_class=0), r"n_per_class must be a whole number >= 1; received 0"),
        (lambda: spiral(n_per_class=2.5), r"received 2\.5"),
        (lambda: spiral(classes=1), r"classes must be a whole number in 2\.\.100"),
        (lambda: spiral(classes=True), r"received True"),
        (lambda: moons(n=1), r"n must be a whole number >= 2"),
        (lambda: moons(noise=-0.1), r"noise must be a finite number >= 0; received -0\.1"),
        (lambda: circles(noise=float("nan")), r"received nan"),
        (lambda: circles(factor=1.0), r"factor must be a number in \(0, 1\)"),
        (lambda: xor(seed=-1), r"seed must be a whole number >= 0; received -1"),
        (lambda: xor(seed="a"), r"received 'a'"),
        (lambda: gaussians(noise=math.inf), r"received inf"),
        (lambda: sine(n=0), r"sine: n must be"),
        (lambda: spiral(n_per_class=toy.MAX_SAMPLES, classes=2), r"at most 10000000"),
    ],
)
def test_bad_arguments_are_refused_with_what_was_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()
