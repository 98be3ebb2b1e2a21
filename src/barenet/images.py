"""A picture of a digit, prepared the way MNIST was made, so a network trained on MNIST reads it.

MNIST's recipe (LeCun et al.): the bilevel NIST digit was scaled, keeping its aspect ratio, to fit a
20x20 box (anti-aliasing makes the gray levels), then placed in a 28x28 field so that its center of
mass is at the center; white ink (1.0) on black (0.0). `preprocess` repeats those steps for any
picture: a PNG/JPEG file, PNG bytes (a web canvas), a PIL Image or a NumPy array. The one
implementation serves `barenet predict IMAGE` and the web page's drawing canvas.
`read_digit` also says when the ink is too small or too sparse to be a digit (a dot, a
speck), so that the command and the page ask for a bigger drawing instead of a confident guess.

Pillow is the optional extra `barenet[image]`, imported only when a function here needs it.
Left out: deskewing, thinning or thickening strokes, splitting a picture holding several digits.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ._files import atomic_write, read_bounded
from .exceptions import ShortError, without_reprs

if TYPE_CHECKING:
    from types import ModuleType

    from PIL.Image import Image as PILImage

PathLike = str | os.PathLike[str]

BOX = 20  # MNIST fits the digit's longer side to 20 pixels...
SIDE = 28  # ...and centers it by mass in a 28x28 field, at (14, 14) in row/column indices
INK_THRESHOLD = 0.2  # the digit's box holds the pixels above this (0 = background, 1 = darkest)
RIM, RIM_THRESHOLD = 0.1, 0.05  # ...plus fainter pixels within 10% of its size outside it
MIN_CONTRAST = 0.1  # a darkest-to-lightest spread below this (about 25 of 255 levels) is blank
MAX_IMAGE_BYTES = 32 * 2**20  # a phone photo is a few MB; refused unread beyond this
MAX_PIXELS = 4096 * 4096  # width x height from the header, checked before decoding
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM")  # what Pillow may decode here
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as Pillow's convert("L")


class ImageError(ShortError):
    """A picture that cannot be read, or holds no digit. The message names the file."""


def require_pillow() -> ModuleType:
    """The `PIL.Image` module, or an ImportError saying which extra installs it."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(
            f"reading and writing images needs Pillow, which is not installed ({exc}); "
            "install it with: pip install 'barenet[image]'"
        ) from exc
    return Image


# ----------------------------------------------------------------------------------------- reading


def load_image(path: PathLike) -> np.ndarray:
    """The image file at `path` as grayscale in [0, 1], transparency composited onto white.

    One of FORMATS (PNG, JPEG, ...), color or gray, with or without alpha; a phone photo's EXIF
    rotation is applied. Light ink on a transparent background would vanish on white, so when
    white leaves no contrast the image is composited onto black instead.
    Bounded: a regular file of at most MAX_IMAGE_BYTES, whose header declares at most MAX_PIXELS
    pixels, checked before anything is decoded.
    Shapes: -> (H, W) float32
    Raises FileNotFoundError for a missing file, ImageError for anything else that is not a
    readable image (whatever the bytes, nothing else escapes but OSError for I/O).
    """
    path = Path(path)
    try:
        data = read_bounded(path, MAX_IMAGE_BYTES, ImageError, "picture of a digit")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path}: no such file; expected a picture of a digit ({', '.join(FORMATS)})"
        ) from None
    return _to_gray(_read_pil(data, str(path)))


def _read_pil(data: bytes, name: str) -> np.ndarray:
    """Decode an image's bytes with Pillow, after checking its size and its declared pixel count.

    Shapes: -> (H, W) or (H, W, 3|4) float32
    """
    Image = require_pillow()
    from PIL import ImageOps

    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"{name}: {len(data)} bytes; at most {MAX_IMAGE_BYTES} are read")
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:  # reads the header only
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"{name}: a {width}x{height} image; at most {MAX_PIXELS} pixels "
                    "(4096x4096) are decoded"
                )
            img.load()
            return _pil_array(ImageOps.exif_transpose(img), name)
    except ImageError:
        raise
    except Exception as exc:
        # NOTE: Pillow's decoders raise many types for hostile bytes (OSError, SyntaxError,
        # ValueError, struct.error, EOFError, ...): all mean the same here
        raise ImageError(
            f"{name}: not a readable image (Pillow says: {without_reprs(str(exc))[:200]}); "
            f"expected one of "
            f"{', '.join(FORMATS)}"
        ) from None


def _pil_array(img: PILImage, name: str) -> np.ndarray:
    """A PIL Image of any mode as floats in [0, 1]. Shapes: -> (H, W) or (H, W, 3|4) float32."""
    if img.mode in ("I", "F") or img.mode.startswith("I;"):  # 16/32-bit gray: convert() clips
        a = np.asarray(img, dtype=np.float32)
        if np.isnan(a).any():  # NOTE: float TIFF and PFM images can hold NaN; no ink is NaN
            raise ImageError(f"{name}: {img.mode} pixels hold NaN; expected numbers")
        full = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
        return np.clip(a / (1.0 if img.mode == "F" and a.max() <= 1 else full), 0, 1)
    alpha = "A" in img.getbands() or "transparency" in img.info
    return np.asarray(img.convert("RGBA" if alpha else "RGB"), dtype=np.float32) / 255.0


def _array(a: np.ndarray, name: str) -> np.ndarray:
    """Check a user's array and scale it to [0, 1]. Shapes: (H, W) or (H, W, 1|2|3|4) -> same."""
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 2, 3, 4)) or 0 in a.shape:
        raise ImageError(
            f"{name}: expected (H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA pixels, "
            f"found shape {a.shape}"
        )
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):
        full = 65535 if a.dtype == np.uint16 else 255
        if a.min() < 0 or a.max() > full:
            raise ImageError(
                f"{name}: {a.dtype} pixels must be in 0..{full}, found {a.min()}..{a.max()}"
            )
        return a.astype(np.float32) / full
    if not np.issubdtype(a.dtype, np.floating):
        raise ImageError(f"{name}: expected integer or float pixels, found dtype {a.dtype}")
    if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
        raise ImageError(
            f"{name}: float pixels must be finite and in [0, 1], found {a.min()}..{a.max()}; "
            "for 0..255 values pass a uint8 array or divide by 255"
        )
    return a.astype(np.float32)


def _to_gray(a: np.ndarray) -> np.ndarray:
    """Luminance, alpha composited onto white (onto black when white leaves no contrast).

    gray = alpha * luma + (1 - alpha) * background
    Shapes: (H, W) or (H, W, 1|2|3|4) in [0, 1] -> (H, W) float32
    """
    if a.ndim == 2:
        return a.astype(np.float32)
    channels = a.shape[2]
    color = a[..., : 3 if channels >= 3 else 1]
    luma = color @ _LUMA if color.shape[2] == 3 else color[..., 0]
    if channels in (1, 3):
        return luma.astype(np.float32)
    alpha = a[..., -1]
    on_white = alpha * luma + (1 - alpha)
    if np.ptp(on_white) < MIN_CONTRAST <= np.ptp(alpha):
        return (alpha * luma).astype(np.float32)  # light ink on a transparent background
    return on_white.astype(np.float32)


# ----------------------------------------------------------------------------------- preprocessing


def preprocess(image: PathLike | bytes | PILImage | np.ndarray) -> np.ndarray:
    """A picture of one digit as an MNIST row: light ink on black, 20-pixel box, centered by mass.

    Steps: grayscale (alpha onto white); invert if the border is light; subtract the background and
    stretch so the darkest ink is 1; crop to the ink's bounding box (pixels above INK_THRESHOLD,
    then the faint anti-aliased rim around them); scale, keeping the aspect ratio, so the longer
    side is 20 pixels (BOX area-averaging when shrinking, LANCZOS when enlarging); paste into
    28x28 with the center of mass at row 14, column 14 (shifted by whole pixels and clipped so
    nothing falls off, as MNIST did).

    Parameters
    ----------
    image : a path to an image file, its bytes, a PIL Image, or a NumPy array of pixels:
        (H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA; uint8 in 0..255 or float in [0, 1].

    Returns
    -------
    (784,) float32 in [0, 1], the 28x28 image row by row, ready for `model.predict(x[None])`.

    Raises FileNotFoundError for a missing file; ImageError (a ValueError) for an unreadable file,
    a malformed array, or a picture with no digit in it.
    Shapes: (H, W) or (H, W, C) -> (784,)
    """
    return _mnistify(_ink(*_gray(image)))


def _gray(image: PathLike | bytes | PILImage | np.ndarray) -> tuple[np.ndarray, str]:
    """Any picture preprocess accepts as grayscale, and a name for it in messages.

    Shapes: -> (H, W) float32 in [0, 1]
    """
    if isinstance(image, (str, os.PathLike)):
        return load_image(image), str(image)
    if isinstance(image, bytes):
        name = f"the {len(image)} bytes given"
        return _to_gray(_read_pil(image, name)), name
    if isinstance(image, np.ndarray):
        name = f"the {image.dtype} array of shape {image.shape}"
        return _to_gray(_array(image, name)), name
    Image = require_pillow()
    if not isinstance(image, Image.Image):
        raise TypeError(
            "preprocess expects a file path, PNG/JPEG bytes, a PIL Image or a NumPy array, "
            f"got {type(image).__name__}"
        )
    name = f"the PIL image ({image.mode}, {image.width}x{image.height})"
    return _to_gray(_pil_array(image, name)), name


def _mnistify(ink: np.ndarray) -> np.ndarray:
    """MNIST's normalization of one picture's ink (see `_ink`). Shapes: (H, W) -> (784,) float32."""
    Image = require_pillow()
    top, bottom, left, right = _bounding_box(ink > INK_THRESHOLD)
    # NOTE: the threshold would shave off the faint anti-aliased rim of the strokes; take back
    # what lies just outside the box, or MNIST's own digits would not come back unchanged
    rim = max(2, round(RIM * max(bottom - top + 1, right - left + 1)))
    top, left = max(top - rim, 0), max(left - rim, 0)
    window = ink[top : bottom + rim + 1, left : right + rim + 1]
    top, bottom, left, right = _bounding_box(window > RIM_THRESHOLD)
    crop = window[top : bottom + 1, left : right + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # Pillow wants (width, height)
    resample = Image.BOX if scale < 1 else Image.LANCZOS
    # NOTE: mode "F" (float32) keeps the gray levels exact; LANCZOS rings below 0, hence the clip
    patch = np.clip(
        np.asarray(Image.fromarray(crop.astype(np.float32)).resize(size, resample)), 0.0, 1.0
    )
    patch = patch / patch.max()

    mass = patch.sum()
    r = (patch.sum(axis=1) @ np.arange(patch.shape[0])) / mass
    c = (patch.sum(axis=0) @ np.arange(patch.shape[1])) / mass
    top = min(max(int(np.floor(SIDE / 2 - r + 0.5)), 0), SIDE - patch.shape[0])
    left = min(max(int(np.floor(SIDE / 2 - c + 0.5)), 0), SIDE - patch.shape[1])
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    out[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
    return out.reshape(-1)


def _ink(gray: np.ndarray, name: str) -> np.ndarray:
    """How much ink each pixel holds: 0 for the background, 1 for the darkest ink.

    The background is the median of the border; a light one (paper) is inverted first.
    Shapes: (H, W) -> (H, W) float32 in [0, 1]
    """
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    if background > 0.5:  # dark ink on paper: MNIST is light ink on black
        gray, background = 1.0 - gray, 1.0 - background
    contrast = float(gray.max()) - background
    if contrast < MIN_CONTRAST:
        raise ImageError(f"no digit found in {name}: the image is blank")
    return np.clip((gray - background) / contrast, 0.0, 1.0)


def _bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """First and last row, first and last column where `mask` is True (it has a True)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


# ------------------------------------------------------------------------------ is it a digit?

# A picture is refused as "too small" or "too sparse" (see `too_small`) by two rules, measured on
# the 70,000 MNIST digits: their ink spans at least 14 of 28 pixels (half the picture; a dot on
# the 280-pixel page is about 21 of 280, 8%), and at least 15 of their 784 pixels are above 0.5
# (two dots far apart leave about 8 after scaling). The limits sit well inside both gaps.
MIN_BOX_FRACTION = 0.25  # the ink's longer side must span this much of the picture's shorter side
MIN_INK_PIXELS = 12  # and the 28x28 input must have at least this many pixels above 0.5


class Digit(NamedTuple):
    """A picture read as an MNIST row, and why it may not be a digit at all."""

    x: np.ndarray  # (784,) float32: what `preprocess` returns
    too_small: str | None  # the reason the ink is too small or too sparse to read, or None


def read_digit(image: PathLike | bytes | PILImage | np.ndarray) -> Digit:
    """`preprocess(image)` and `too_small`'s verdict on it, from one decoding of the picture.

    Takes what `preprocess` takes and raises what it raises.
    Shapes: (H, W) or (H, W, C) -> Digit(x (784,), too_small str | None)
    """
    ink = _ink(*_gray(image))
    x = _mnistify(ink)
    return Digit(x, too_small(x, ink))


def too_small(x: np.ndarray, ink: np.ndarray | None = None) -> str | None:
    """Why the 28x28 input `x` is no digit to read, or None when it may be one.

    Two rules, so that a dot or a speck is not read confidently as "8":
    - too small: the ink's bounding box (pixels above INK_THRESHOLD in `ink`, the picture that
      `x` was made from, 0 = background and 1 = darkest ink; default: `x` itself) spans, on its
      longer side, less than MIN_BOX_FRACTION of the picture's shorter side;
    - too sparse: fewer than MIN_INK_PIXELS pixels of `x` are above 0.5.
    Shapes: x (784,) in [0, 1]; ink (H, W) in [0, 1] -> str or None
    """
    picture = np.asarray(x).reshape(SIDE, SIDE) if ink is None else np.asarray(ink)
    mask = picture > INK_THRESHOLD
    if mask.any():
        top, bottom, left, right = _bounding_box(mask)
        span, side = max(bottom - top, right - left) + 1, min(picture.shape)
        if span < MIN_BOX_FRACTION * side:
            return (
                f"too small: the ink spans {span} of the picture's {side} pixels "
                f"({span / side:.0%}); draw bigger, across at least "
                f"{MIN_BOX_FRACTION:.0%} of the picture"
            )
    count = int(np.count_nonzero(np.asarray(x) > 0.5))
    if count < MIN_INK_PIXELS:
        return (
            f"too sparse: only {count} of the {SIDE * SIDE} input pixels hold ink, fewer than "
            f"{MIN_INK_PIXELS}; draw bigger, in connected strokes"
        )
    return None


# ----------------------------------------------------------------------------------------- writing


def to_png(pixels: np.ndarray, path: PathLike, scale: int = 1) -> None:
    """Write an MNIST image as an 8-bit grayscale PNG, white ink on black, atomically.

    `scale` repeats each pixel scale x scale times (nearest neighbour), to make it viewable.
    The file appears complete or not at all: a temporary file next to it is renamed over it.
    Shapes: pixels (784,) or (28, 28) in [0, 1] -> a (28*scale)x(28*scale) PNG
    """
    Image = require_pillow()
    a = np.asarray(pixels)
    if a.shape not in ((SIDE * SIDE,), (SIDE, SIDE)):
        raise ValueError(f"{path}: expected pixels of shape (784,) or (28, 28), found {a.shape}")
    if a.dtype == np.bool_ or not np.issubdtype(a.dtype, np.number):
        raise ValueError(f"{path}: expected numeric pixels in [0, 1], found dtype {a.dtype}")
    if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
        raise ValueError(f"{path}: expected finite pixels in [0, 1], found {a.min()}..{a.max()}")
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"{path}: scale must be a positive integer, got {scale!r}")
    a8 = np.rint(a.reshape(SIDE, SIDE) * 255).astype(np.uint8)
    a8 = np.repeat(np.repeat(a8, scale, axis=0), scale, axis=1)
    with atomic_write(path) as f:
        Image.fromarray(a8).save(f, format="PNG")
