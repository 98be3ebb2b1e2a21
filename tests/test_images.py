"""Tests for barenet.images: a picture of a digit, prepared the way MNIST was made.

The digits are drawn here with NumPy (anti-aliased strokes from a distance field), so one
drawing can be rendered small and light on dark, as MNIST, or large and dark on light, as a user's
photo or canvas, and the two compared after preprocessing.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("PIL", reason="barenet.images needs the extra barenet[image]")
from PIL import Image, ImageFile

from barenet import images
from barenet.images import (
    ImageError,
    load_image,
    preprocess,
    read_digit,
    require_pillow,
    to_png,
    too_small,
)

SEVEN = [((0.0, 0.0), (0.0, 12.0)), ((0.0, 12.0), (16.0, 4.0))]  # (row, col) in 28-pixel units
ONE = [((0.0, 0.0), (18.0, 0.0))]


def draw(segments, shape=(28, 28), origin=(6.0, 8.0), scale=1.0, width=2.5):
    """Light strokes on black: each segment a line `width` units thick with a 1-pixel soft edge.

    Shapes: -> `shape` float64 in [0, 1]
    """
    rows, cols = np.mgrid[: shape[0], : shape[1]] + 0.5  # pixel centers
    d = np.full(shape, np.inf)
    for (r0, c0), (r1, c1) in segments:
        a = np.array([origin[0] + scale * r0, origin[1] + scale * c0])
        b = np.array([origin[0] + scale * r1, origin[1] + scale * c1])
        ab = b - a
        t = np.clip(((rows - a[0]) * ab[0] + (cols - a[1]) * ab[1]) / (ab @ ab), 0, 1)
        d = np.minimum(d, np.hypot(rows - a[0] - t * ab[0], cols - a[1] - t * ab[1]))
    return np.clip(scale * width / 2 - d + 0.5, 0.0, 1.0)


def center_of_mass(x):
    """(row, column) of the ink's center of mass. Shapes: (784,) -> (2,)"""
    x = np.asarray(x, dtype=np.float64).reshape(28, 28)
    r = np.arange(28)
    return np.array([x.sum(axis=1) @ r, x.sum(axis=0) @ r]) / x.sum()


def box_size(x, threshold=0.05):
    """(height, width) of the box around the pixels above `threshold`."""
    x = np.asarray(x).reshape(28, 28) > threshold
    rows, cols = np.flatnonzero(x.any(axis=1)), np.flatnonzero(x.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def to_uint8(x):
    return np.rint(np.asarray(x) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def big_seven():
    """A 300x200 canvas (rows x columns) with a seven off to one side: light ink on black."""
    return draw(SEVEN, shape=(300, 200), origin=(40.0, 30.0), scale=9.0)


# ------------------------------------------------------------------------------------ round trip


def test_an_mnist_like_digit_survives_to_png_and_preprocess(tmp_path):
    seven = draw(SEVEN)
    to_png(seven, tmp_path / "seven.png")
    with Image.open(tmp_path / "seven.png") as img:
        assert (img.mode, img.size) == ("L", (28, 28))
    x = preprocess(tmp_path / "seven.png")
    assert x.shape == (784,) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() == 1
    assert np.abs(center_of_mass(x) - 14).max() <= 0.5
    assert max(box_size(x)) in (19, 20, 21)
    # the strokes keep their look: what is ink in the drawing is ink after preprocessing
    assert (x > 0.5).sum() == pytest.approx((seven > 0.5).sum(), rel=0.25)


def test_preprocess_is_idempotent():
    x = preprocess(draw(SEVEN, origin=(3.0, 2.0), scale=1.2))
    np.testing.assert_allclose(preprocess(x.reshape(28, 28)), x, atol=1e-6)


def test_to_png_writes_8_bit_white_on_black_upscaled_by_nearest_neighbour(tmp_path):
    x = np.linspace(0, 1, 784).reshape(28, 28)
    to_png(x.reshape(-1), tmp_path / "x.png", scale=3)
    with Image.open(tmp_path / "x.png") as img:
        got = np.asarray(img)
    assert got.shape == (84, 84) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, np.kron(to_uint8(x), np.ones((3, 3), np.uint8)))
    # atomic: only the file itself is left, no temporary file beside it; overwriting works
    to_png(np.zeros(784), tmp_path / "x.png")
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]
    assert load_image(tmp_path / "x.png").shape == (28, 28)


# ----------------------------------------------------------------------- what users hand it


def save(array, path, **options):
    Image.fromarray(array).save(path, **options)
    return path


@pytest.mark.parametrize("kind", ["jpeg", "png-rgb", "png-alpha", "png-gray"])
def test_dark_ink_on_a_light_canvas_gives_the_light_on_dark_result(tmp_path, big_seven, kind):
    expected = preprocess(big_seven)
    dark_on_light = to_uint8(1 - big_seven)
    rgb = np.repeat(dark_on_light[..., None], 3, axis=2)
    if kind == "jpeg":
        path = save(rgb, tmp_path / "seven.jpg", quality=90)
    elif kind == "png-rgb":
        path = save(rgb, tmp_path / "seven.png")
    elif kind == "png-gray":
        path = save(dark_on_light, tmp_path / "seven.png")
    else:  # black ink whose opacity is the drawing, on a transparent background: a web canvas
        rgba = np.zeros((*big_seven.shape, 4), np.uint8)
        rgba[..., 3] = to_uint8(big_seven)
        path = save(rgba, tmp_path / "seven.png")
    x = preprocess(path)
    largest, mean = (0.1, 0.005) if kind == "jpeg" else (0.02, 0.002)  # JPEG: its ringing
    assert np.abs(x - expected).max() < largest
    assert np.abs(x - expected).mean() < mean
    assert np.abs(center_of_mass(x) - center_of_mass(expected)).max() < 0.1


@pytest.mark.parametrize("origin", [(5.0, 5.0), (150.0, 5.0), (5.0, 100.0), (140.0, 90.0)])
def test_off_center_digits_land_with_their_mass_at_14_14(origin):
    x = preprocess(1 - draw(SEVEN, shape=(300, 200), origin=origin, scale=8.0))
    assert np.abs(center_of_mass(x) - 14).max() <= 0.5
    assert max(box_size(x)) in (19, 20, 21)


def test_a_tall_thin_one_stays_tall_and_thin():
    one = draw(ONE, shape=(300, 300), origin=(40.0, 200.0), scale=12.0, width=2.0)
    height, width = box_size(preprocess(one))
    assert height in (19, 20, 21) and width <= 6


def test_shrinking_averages_areas_instead_of_dropping_pixels():
    hatching = np.zeros((300, 300))
    hatching[40:250, 40:250:3] = 1.0  # 1-pixel lines 3 apart: a third of the square is ink
    x = preprocess(hatching).reshape(28, 28)
    inside = x[4:24, 4:24]  # the square lands here; each pixel averages 3 or 4 of the lines
    assert inside.min() > 0.6, "shrinking sampled single lines (nearest neighbour?)"


def test_thin_pencil_on_gray_paper_is_stretched_to_full_contrast():
    stroke = draw(SEVEN, shape=(600, 500), origin=(100.0, 100.0), scale=20.0, width=0.3)
    x = preprocess(0.75 - 0.3 * stroke)  # mid-gray strokes, 6 pixels wide, on gray paper
    assert x.max() == 1 and (x > 0.5).sum() >= 20
    assert np.abs(center_of_mass(x) - 14).max() <= 0.5


def test_color_becomes_luminance(big_seven):
    paper, ink = np.array([255, 250, 200]), np.array([0, 0, 180])  # blue ink on yellow paper
    rgb = big_seven[..., None] * ink + (1 - big_seven[..., None]) * paper
    np.testing.assert_allclose(preprocess(rgb / 255), preprocess(big_seven), atol=1e-5)


@pytest.mark.parametrize("ink", [0, 255], ids=["dark-ink", "light-ink"])
def test_a_transparent_background_is_not_ink(big_seven, ink):
    rgba = np.zeros((*big_seven.shape, 4), np.uint8)
    rgba[..., :3] = ink  # the color under transparent pixels is arbitrary: here the ink's
    rgba[..., 3] = to_uint8(big_seven)
    np.testing.assert_allclose(preprocess(rgba), preprocess(big_seven), atol=0.01)


def test_arrays_pil_images_bytes_and_files_agree(tmp_path, big_seven):
    u8 = to_uint8(big_seven)
    expected = preprocess(u8)
    path = save(u8, tmp_path / "seven.png")
    same = [
        preprocess(u8 / 255.0),
        preprocess((u8 / 255.0).astype(np.float32)[..., None]),
        preprocess(np.repeat(u8[..., None], 3, axis=2)),
        preprocess(Image.fromarray(u8)),
        preprocess(Image.fromarray(u8).convert("RGBA")),
        preprocess(path),
        preprocess(str(path)),
        preprocess(path.read_bytes()),
    ]
    for x in same:
        np.testing.assert_allclose(x, expected, atol=1e-5)
    np.testing.assert_allclose(load_image(path), u8 / 255.0, atol=1e-6)


def test_a_16_bit_png_is_read_at_full_depth(tmp_path, big_seven):
    u16 = np.rint(big_seven * 65535).astype(np.uint16)
    path = save(u16, tmp_path / "seven16.png")
    np.testing.assert_allclose(load_image(path), big_seven, atol=1e-4)
    np.testing.assert_allclose(preprocess(path), preprocess(big_seven), atol=1e-3)


# ---------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("value", [0, 128, 255])
def test_a_blank_image_says_so_and_names_the_file(tmp_path, value):
    path = save(np.full((50, 40), value, np.uint8), tmp_path / "blank.png")
    with pytest.raises(ImageError, match=r"no digit found in .*blank\.png: the image is blank"):
        preprocess(path)
    with pytest.raises(ValueError, match="blank"):
        preprocess(np.full((50, 40), value, np.uint8))


def test_an_unreadable_file_names_the_file_and_what_pillow_said(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture\n")
    with pytest.raises(ValueError, match=r"notes\.png: not a readable image \(Pillow says: "):
        preprocess(path)
    with pytest.raises(ValueError, match="not a readable image"):
        preprocess(b"\x89PNG\r\n\x1a\n truncated")


def test_a_missing_file_or_a_directory_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.png: no such file"):
        preprocess(tmp_path / "nowhere.png")
    with pytest.raises(ValueError, match="is a directory"):
        preprocess(tmp_path)


def test_reading_is_bounded_by_file_size_and_declared_pixels(tmp_path, monkeypatch):
    from barenet import images

    big = tmp_path / "big.png"
    with open(big, "wb") as f:  # sparse: 1 GiB claimed, nothing written
        f.truncate(2**30)
    with pytest.raises(ImageError, match=r"big\.png: 1073741824 bytes; a picture of a digit is"):
        preprocess(big)
    if os.path.exists("/dev/zero"):
        with pytest.raises(ImageError, match="/dev/zero: is not a regular file"):
            preprocess("/dev/zero")
    huge = save(np.zeros((4097, 4096), np.uint8), tmp_path / "huge.png")
    assert huge.stat().st_size < 200_000  # a small file that decodes to 16 MiB of pixels

    def no_decode(self):
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decode)
    with pytest.raises(ImageError, match=r"huge\.png: a 4096x4097 image; at most 16777216 pixels"):
        preprocess(huge)
    with pytest.raises(ImageError, match="a 4096x4097 image"):
        preprocess(huge.read_bytes())
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 100)
    with pytest.raises(ImageError, match=r"the \d+ bytes given: \d+ bytes; at most 100 are read"):
        preprocess(huge.read_bytes())


def test_only_the_listed_formats_are_decoded(tmp_path, big_seven):
    path = save(to_uint8(big_seven), tmp_path / "seven.pcx")  # a format Pillow reads
    with pytest.raises(ImageError, match=r"seven\.pcx: not a readable image .*expected one of PNG"):
        preprocess(path)
    for fmt in ("gif", "bmp", "tiff", "webp"):
        assert preprocess(save(to_uint8(big_seven), tmp_path / f"seven.{fmt}")).shape == (784,)


@pytest.mark.parametrize("cut", [8, 16, 33, 50, 100, -12])
def test_truncated_and_mangled_pngs_give_only_image_errors(tmp_path, big_seven, cut):
    data = (save(to_uint8(big_seven), tmp_path / "s.png")).read_bytes()
    for mangled in (data[:cut], data[:cut] + bytes(200), data[:cut] + b"\xff" * 50 + data[cut:]):
        try:
            preprocess(mangled)  # some still decode (a PNG missing only its end chunk)
        except ImageError as err:
            assert "the " in str(err) and len(str(err)) <= 500


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        (np.zeros((28, 28, 5)), r"expected \(H, W\) gray.*found shape \(28, 28, 5\)"),
        (np.zeros(784), r"found shape \(784,\)"),
        (np.zeros((0, 28)), r"found shape \(0, 28\)"),
        (np.full((28, 28), 255.0), r"float pixels must be finite and in \[0, 1\].*divide by 255"),
        (np.full((28, 28), np.nan), r"must be finite"),
        (np.full((28, 28), 300, np.int64), r"int64 pixels must be in 0..255, found 300..300"),
    ],
)
def test_malformed_arrays_say_what_was_expected(pixels, message):
    with pytest.raises(ValueError, match=message):
        preprocess(pixels)


def test_other_inputs_are_a_type_error():
    with pytest.raises(TypeError, match="a file path, PNG/JPEG bytes, a PIL Image or a NumPy"):
        preprocess([[0, 1], [1, 0]])


@pytest.mark.parametrize(
    ("pixels", "scale", "message"),
    [
        (np.zeros((20, 20)), 1, r"expected pixels of shape \(784,\) or \(28, 28\)"),
        (np.full(784, 2.0), 1, r"expected finite pixels in \[0, 1\], found 2.0..2.0"),
        (np.zeros(784), 0, "scale must be a positive integer, got 0"),
        (np.zeros(784), 2.5, "scale must be a positive integer"),
    ],
)
def test_to_png_rejects_bad_input_and_writes_nothing(tmp_path, pixels, scale, message):
    with pytest.raises(ValueError, match=message):
        to_png(pixels, tmp_path / "x.png", scale=scale)
    assert list(tmp_path.iterdir()) == []


def test_importing_barenet_does_not_import_pillow():
    code = "import sys, barenet, barenet.images; assert 'PIL' not in sys.modules, 'PIL imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_pillow_the_error_names_the_extra(monkeypatch, tmp_path):
    for name in ("PIL", "PIL.Image", "PIL.ImageOps"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `from PIL import Image` fail
    extra = r"pip install 'barenet\[image\]'"
    with pytest.raises(ImportError, match=extra):
        require_pillow()
    with pytest.raises(ImportError, match=extra):
        preprocess(np.eye(28))
    with pytest.raises(ImportError, match=extra):
        to_png(np.eye(28), tmp_path / "x.png")


# ------------------------------------------------------------------------------ the real MNIST


@pytest.mark.mnist
def test_real_mnist_digits_come_back_unchanged(mnist):
    X_test = mnist[2][:200]
    got = np.stack([preprocess(x.reshape(28, 28)) for x in X_test])
    # MNIST is already normalized: only the faintest rim pixels (< 0.05) and the peak may move
    same = np.abs(got - X_test).max(axis=1) < 0.06
    assert same.mean() >= 0.98


@pytest.mark.mnist
def test_real_mnist_digits_as_user_pictures_are_read_as_the_originals(mnist, tmp_path):
    """Upscaled 10x, black on white, off-center on a larger canvas, as PNG and JPEG files:
    a nearest-centroid classifier fit on MNIST must see the same digit as in the original."""
    X_train, y_train, X_test, _ = mnist
    centroids = np.stack([X_train[y_train == k].mean(axis=0) for k in range(10)])

    def predict(X):
        return np.argmin(((X[:, None, :] - centroids) ** 2).sum(axis=2), axis=1)

    rng = np.random.default_rng(0)
    originals = X_test[:200]
    pictures = []
    for i, x in enumerate(originals):
        canvas = np.full((330, 310), 255, np.uint8)
        top, left = rng.integers(0, 50), rng.integers(0, 30)
        big = np.kron(x.reshape(28, 28), np.ones((10, 10)))
        canvas[top : top + 280, left : left + 280] = to_uint8(1 - big)
        path = tmp_path / (f"{i}.jpg" if i % 2 else f"{i}.png")
        options = {"quality": 90} if i % 2 else {"compress_level": 1}
        pictures.append(preprocess(save(canvas, path, **options)))
    agree = predict(np.stack(pictures)) == predict(originals)
    assert agree.mean() >= 0.95, f"only {agree.mean():.1%} of the predictions agree"


# --------------------------------------------------------------------------------- is it a digit?


def test_a_dot_or_a_tiny_scribble_is_too_small_to_read():
    # the page's pen is 1/14 of its 280-pixel canvas: a dot is a disc about 20 pixels across
    dot = draw([((140.0, 140.0), (140.0, 140.01))], shape=(280, 280), origin=(0, 0), width=20)
    digit = read_digit(to_uint8(dot))
    assert digit.too_small.startswith("too small: the ink spans 20 of the picture's 280 pixels")
    assert "draw bigger" in digit.too_small
    np.testing.assert_array_equal(digit.x, preprocess(to_uint8(dot)))  # the same input
    # a seven 60 pixels tall with the same pen: 60 < 0.25 * 280 = 70
    small = draw(SEVEN, shape=(280, 280), origin=(100.0, 100.0), scale=2.5, width=8)
    assert read_digit(small).too_small.startswith("too small: the ink spans 6")
    tall = draw(SEVEN, shape=(280, 280), origin=(60.0, 60.0), scale=8.0, width=20 / 8)
    assert read_digit(tall).too_small is None


def test_specks_far_apart_are_too_sparse_to_read():
    specks = draw([((40.0, 40.0), (40.0, 40.01)), ((240.0, 240.0), (240.0, 240.01))],
                  shape=(280, 280), origin=(0, 0), width=20)  # fmt: skip
    digit = read_digit(specks)
    assert digit.too_small.startswith("too sparse: only ")
    assert (
        int(digit.too_small.split()[3]) < images.MIN_INK_PIXELS and "draw bigger" in digit.too_small
    )


def test_too_small_reads_an_mnist_row_on_its_own():
    x = draw(SEVEN).reshape(-1)
    assert too_small(x) is None
    speck = np.zeros((28, 28))
    speck[10:13, 10:13] = 1.0  # 3 of 28 pixels across, and only 9 of ink
    assert too_small(speck.reshape(-1)).startswith("too small: the ink spans 3 of")
    assert too_small(speck.reshape(-1), ink=np.ones((3, 3))).startswith("too sparse: only 9 ")


@pytest.mark.mnist
def test_real_mnist_digits_are_never_too_small(mnist):
    _, _, X_test, _ = mnist
    flagged = [i for i, x in enumerate(X_test) if too_small(x)]
    assert flagged == [], f"MNIST test digits {flagged[:10]} were called too small"
    # and as pictures, through preprocessing (a sample: it takes ~0.2 ms each)
    flagged = [i for i, x in enumerate(X_test[::5]) if read_digit(x.reshape(28, 28)).too_small]
    assert flagged == []
