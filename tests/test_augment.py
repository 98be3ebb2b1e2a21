"""random_shift: each image moves by whole pixels within the limit, zeros fill the border."""

import numpy as np
import pytest

from barenet.augment import random_shift


def test_each_image_is_a_shifted_copy():
    rng = np.random.default_rng(0)
    images = rng.random((50, 6, 5)).astype(np.float32) + 1  # no zeros inside
    out = random_shift(2, (6, 5))(images.reshape(50, 30), np.random.default_rng(1))
    out = out.reshape(50, 6, 5)
    seen = set()
    for img, moved in zip(images, out, strict=True):
        found = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if np.array_equal(moved, _shift(img, dy, dx))
        ]
        assert len(found) == 1
        seen.add(found[0])
    assert len(seen) > 10  # many different shifts are drawn


def _shift(img, dy, dx):
    """The reference: np.roll, then zero what rolled in."""
    out = np.roll(img, (dy, dx), axis=(0, 1))
    if dy > 0:
        out[:dy] = 0
    elif dy < 0:
        out[dy:] = 0
    if dx > 0:
        out[:, :dx] = 0
    elif dx < 0:
        out[:, dx:] = 0
    return out


def test_zero_shift_is_the_identity_and_the_input_is_untouched():
    X = np.arange(2 * 784, dtype=np.float32).reshape(2, 784)
    before = X.copy()
    np.testing.assert_array_equal(random_shift(0)(X, np.random.default_rng(0)), X)
    random_shift(3)(X, np.random.default_rng(0))
    np.testing.assert_array_equal(X, before)


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_shift must be in"):
        random_shift(28)
    with pytest.raises(
        ValueError, match="expects images of 28x28 = 784 pixels per row; received 10"
    ):
        random_shift(2)(np.zeros((3, 10)), np.random.default_rng(0))
