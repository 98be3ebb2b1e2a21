"""Toy data sets for learning: small 2-D classification problems and a 1-D regression.

Each function draws its samples with ``np.random.default_rng(seed)``: the same arguments give
the same data, bit for bit. Rows come in random order; the classes are balanced (their sizes
differ by at most one).

    spiral(n_per_class, classes, noise, seed)   arms of a spiral, one per class
    moons(n, noise, seed)                       two interleaving half circles
    circles(n, noise, factor, seed)             a circle inside a ring
    xor(n, noise, seed)                         the four quadrants, diagonal ones alike
    gaussians(n_per_class, classes, noise, seed) round blobs on a circle of radius 2
    sine(n, noise, seed)                        y = sin(x) on [-pi, pi], for regression

Shapes: classification X (n, 2) float64, y (n,) int64 in 0..classes-1;
        sine X (n, 1) float64, y (n,) float64.

NumPy only. Left out: more than two input dimensions, label noise, and loaders for real data
(see ``barenet.datasets``).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from numpy.typing import NDArray

__all__ = ["circles", "gaussians", "moons", "sine", "spiral", "xor"]

MAX_SAMPLES = 10_000_000  # 160 MB of float64 X: far beyond a toy, refused before allocating
MAX_CLASSES = 100

Data = tuple[NDArray[np.float64], NDArray[np.int64]]


def spiral(n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int = 0) -> Data:
    """Arms of a spiral, one per class, each turning 4 radians from the centre to radius 1.

    Sample i of arm j sits at radius r_i = i / (n_per_class - 1) and angle
    t = 2 pi j / classes + 4 r_i + noise * N(0, 1), at (r sin t, r cos t).
    Shapes: -> X (n_per_class * classes, 2), y (n_per_class * classes,)
    """
    n_per_class = _count("spiral", "n_per_class", n_per_class, 1)
    classes = _classes("spiral", classes)
    noise = _noise("spiral", noise)
    _total("spiral", n_per_class * classes)
    rng = _rng("spiral", seed)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), classes)
    y = np.repeat(np.arange(classes), n_per_class)
    t = 2 * np.pi * y / classes + 4 * r + noise * rng.standard_normal(len(r))
    return _shuffled(np.column_stack([r * np.sin(t), r * np.cos(t)]), y, rng)


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> Data:
    """Two interleaving half circles of radius 1, with N(0, noise**2) added to each coordinate.

    Class 0: (cos t, sin t), the upper half circle around (0, 0);
    class 1: (1 - cos t, 0.5 - sin t), the lower one around (1, 0.5); t evenly in [0, pi].
    Shapes: -> X (n, 2), y (n,)
    """
    n = _count("moons", "n", n, 2)
    noise = _noise("moons", noise)
    rng = _rng("moons", seed)
    n0 = n - n // 2
    t0, t1 = np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n // 2)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.concatenate([upper, lower])
    y = np.repeat([0, 1], [n0, n // 2])
    return _shuffled(X + noise * rng.standard_normal(X.shape), y, rng)


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Data:
    """A ring of radius 1 (class 0) around a circle of radius ``factor`` (class 1), both centred
    at (0, 0), with N(0, noise**2) added to each coordinate. Angles are evenly spaced.

    Shapes: -> X (n, 2), y (n,)
    """
    n = _count("circles", "n", n, 2)
    noise = _noise("circles", noise)
    if isinstance(factor, bool) or not isinstance(factor, Real) or not 0 < factor < 1:
        raise ValueError(f"circles: factor must be a number in (0, 1); received {factor!r}")
    rng = _rng("circles", seed)
    n0 = n - n // 2
    t0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2 * np.pi, n // 2, endpoint=False)
    radius = np.concatenate([np.ones(n0), np.full(n // 2, float(factor))])
    t = np.concatenate([t0, t1])
    X = radius[:, None] * np.column_stack([np.cos(t), np.sin(t)])
    y = np.repeat([0, 1], [n0, n // 2])
    return _shuffled(X + noise * rng.standard_normal(X.shape), y, rng)


def xor(n: int = 200, noise: float = 0.0, seed: int = 0) -> Data:
    """Points in the four quadrants of [-1, 1]^2: class 0 where x1 and x2 have the same sign,
    class 1 where they differ (x1 * x2 < 0), N(0, noise**2) added after labelling.

    Each coordinate's size is uniform in [0.05, 1], so without noise no point lies on an axis;
    the quadrants take turns, so each holds n/4 points (give or take one).
    Shapes: -> X (n, 2), y (n,)
    """
    n = _count("xor", "n", n, 2)
    noise = _noise("xor", noise)
    rng = _rng("xor", seed)
    quadrant = np.arange(n) % 4  # 0: (+, +), 1: (+, -), 2: (-, -), 3: (-, +)
    signs = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]], dtype=np.float64)[quadrant]
    X = signs * rng.uniform(0.05, 1.0, size=(n, 2))
    y = quadrant % 2
    return _shuffled(X + noise * rng.standard_normal(X.shape), y, rng)


def gaussians(n_per_class: int = 100, classes: int = 3, noise: float = 0.5, seed: int = 0) -> Data:
    """Blobs: class j drawn from N(c_j, noise**2 I), centres c_j = 2 (cos 2 pi j/k, sin 2 pi j/k)
    evenly on a circle of radius 2.

    Shapes: -> X (n_per_class * classes, 2), y (n_per_class * classes,)
    """
    n_per_class = _count("gaussians", "n_per_class", n_per_class, 1)
    classes = _classes("gaussians", classes)
    noise = _noise("gaussians", noise)
    _total("gaussians", n_per_class * classes)
    rng = _rng("gaussians", seed)
    y = np.repeat(np.arange(classes), n_per_class)
    angle = 2 * np.pi * y / classes
    X = 2 * np.column_stack([np.cos(angle), np.sin(angle)])
    return _shuffled(X + noise * rng.standard_normal(X.shape), y, rng)


def sine(
    n: int = 1000, noise: float = 0.0, seed: int = 0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Regression: x uniform in [-pi, pi], y = sin(x) + noise * N(0, 1).

    Shapes: -> X (n, 1), y (n,) float64
    """
    n = _count("sine", "n", n, 1)
    noise = _noise("sine", noise)
    rng = _rng("sine", seed)
    x = rng.uniform(-np.pi, np.pi, size=n)
    y = np.sin(x) + noise * rng.standard_normal(n)
    return x[:, None], y


# ------------------------------------------------------------------------ argument checks


def _count(fn: str, name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{fn}: {name} must be a whole number >= {minimum}; received {value!r}")
    _total(fn, int(value))
    return int(value)


def _total(fn: str, n: int) -> None:
    if n > MAX_SAMPLES:
        raise ValueError(f"{fn}: {n} samples asked for; at most {MAX_SAMPLES} are drawn")


def _classes(fn: str, value: object) -> int:
    if isinstance(value, Integral) and not isinstance(value, bool):
        if 2 <= int(value) <= MAX_CLASSES:
            return int(value)
    raise ValueError(
        f"{fn}: classes must be a whole number in 2..{MAX_CLASSES}; received {value!r}"
    )


def _noise(fn: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= float(value) < math.inf:
        raise ValueError(f"{fn}: noise must be a finite number >= 0; received {value!r}")
    return float(value)


def _rng(fn: str, seed: object) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"{fn}: seed must be a whole number >= 0; received {seed!r}")
    return np.random.default_rng(int(seed))


def _shuffled(X: NDArray[np.float64], y: NDArray[np.int64], rng: np.random.Generator) -> Data:
    """The rows in a random order (drawn last, after the noise), labels as int64."""
    order = rng.permutation(len(X))
    return np.ascontiguousarray(X[order], dtype=np.float64), y[order].astype(np.int64)
