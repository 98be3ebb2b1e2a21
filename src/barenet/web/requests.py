"""Reading a request to the draw-a-digit API: its body, strict JSON, the pixels or image it sends.

Everything here refuses with ``BadRequest`` (a ValueError carrying the HTTP status: 400, 413,
or 503 from the decode slots) and a message saying what was received and what is allowed:

- the body: at most ``MAX_BODY`` bytes, by Content-Length and while streaming a chunked body;
- JSON: ``_json.loads_strict`` (UTF-8 only, numbers of at most 40 characters, no duplicate keys,
  no NaN/Infinity), nested at most ``MAX_JSON_DEPTH`` deep;
- ``{"pixels": [784 numbers in 0..1]}``, used as it is, or ``{"image": "<base64 PNG>"}``: at most
  ``MAX_IMAGE_SIDE`` pixels on a side and ``MAX_IMAGE_PIXELS`` in all, read from its header
  before anything is decoded, then prepared by ``images.read_digit``.

``clean_message`` makes any error message fit for a client. The limits are read when a request
arrives: to change one, set it on this module. Left out: the routes, the responses and the
concurrency limits (``app``, ``http``); Starlette appears only as the type of ``_read_body``'s
request.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .._json import loads_strict
from ..exceptions import MAX_MESSAGE, cut_middle, without_reprs

if TYPE_CHECKING:
    from starlette.requests import Request

    from ..images import Digit
    from .app import Slots

MAX_BODY = 2**20  # 1 MiB: a 280x280 canvas PNG is a few kilobytes
# NOTE: a small PNG can claim a huge canvas; both are read from its header, before decoding.
# Preparing an image takes about 42 bytes per pixel at its peak (float32 RGBA copies).
MAX_IMAGE_SIDE = 4096
MAX_IMAGE_PIXELS = 2**22  # 4.2 megapixels (2048x2048): about 170 MiB to prepare
MAX_JSON_DEPTH = 16  # a request body is 2 deep: {"pixels": [...]}
SIDE = 28


class BadRequest(ValueError):
    """A request the API refuses; ``status`` is the HTTP status to answer with, and
    ``retry_after`` (seconds) when trying again later may work (503)."""

    def __init__(self, message: str, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def loads(body: bytes) -> Any:
    """The JSON value of a request body, within limits, or BadRequest (400) saying why not:
    ``_json.loads_strict``, the parser of barenet's own files, nested at most MAX_JSON_DEPTH
    deep (a request body is 2 deep)."""
    return loads_strict(body, BadRequest, "the body", max_depth=MAX_JSON_DEPTH)


def parse_body(body: bytes, decodes: Slots | None = None) -> Digit:
    """The MNIST row a request body asks about: its ``pixels`` as sent, or its ``image`` prepared
    (in one of the ``decodes`` slots, when given), with ``images.too_small``'s verdict on it.

    Raises BadRequest (400, 413 or 503) saying what is wrong.
    Shapes: -> Digit(x (784,) float32 in [0, 1], reason or None)
    """
    from ..images import Digit, too_small

    data = loads(body)
    if not isinstance(data, dict):
        raise BadRequest(
            'expected a JSON object {"pixels": [784 numbers]} or {"image": "<base64 PNG>"}, '
            f"got a JSON {type(data).__name__}"
        )
    keys = sorted(data)
    if keys == ["pixels"]:
        x = _parse_pixels(data["pixels"])
        return Digit(x, too_small(x))
    if keys == ["image"]:
        return _parse_image(data["image"], decodes)
    shown = json.dumps(keys[:5])[:200] + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
    raise BadRequest(f'expected exactly one key, "pixels" or "image"; got keys {shown}')


def _parse_pixels(pixels: Any) -> np.ndarray:
    n = SIDE * SIDE
    if not isinstance(pixels, list):
        raise BadRequest(f'"pixels" must be a list of {n} numbers, got {type(pixels).__name__}')
    if len(pixels) != n:
        raise BadRequest(f'"pixels" must hold {n} numbers (28x28), got {len(pixels)}')
    for i, p in enumerate(pixels):
        if isinstance(p, bool) or not isinstance(p, (int, float)):
            raise BadRequest(f'"pixels"[{i}] must be a number, got {json.dumps(p)[:40]}')
    x = np.array(pixels, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(x) | (x < 0) | (x > 1))
    if bad.size:
        i = int(bad[0])
        raise BadRequest(f'"pixels"[{i}] is {pixels[i]}; every pixel must be in [0, 1]')
    if x.max() - x.min() < 0.1:
        raise BadRequest('"pixels" is blank: no digit to read')
    return x.astype(np.float32)


def _parse_image(image: Any, decodes: Slots | None = None) -> Digit:
    from PIL import Image

    from ..images import read_digit

    if not isinstance(image, str):
        raise BadRequest(f'"image" must be a base64 PNG string, got {type(image).__name__}')
    if image.startswith("data:"):
        header, sep, image = image.partition(",")
        if not sep or not header.endswith(";base64"):
            raise BadRequest('"image" is a data URL without ";base64,"; send a base64 PNG')
    try:
        data = base64.b64decode(image, validate=True)
    except (binascii.Error, ValueError) as err:
        raise BadRequest(f'"image" is not valid base64 ({err})') from None
    if not data:
        raise BadRequest('"image" is empty; send a base64 PNG of the drawing')
    try:
        with Image.open(io.BytesIO(data)) as img:  # reads the header only
            width, height = img.size
    except Image.UnidentifiedImageError:
        raise BadRequest(
            '"image" is not a readable image (an unknown format); send a PNG'
        ) from None
    except Exception as err:  # NOTE: Pillow raises many types for a bad header
        raise BadRequest(f'"image" is not a readable image ({err}); send a PNG') from None
    if max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
        side = math.isqrt(MAX_IMAGE_PIXELS)
        raise BadRequest(
            f'"image" is {width}x{height} pixels; at most {MAX_IMAGE_SIDE} on a side and '
            f"{MAX_IMAGE_PIXELS} in all are read ({side}x{side}); send it smaller",
            413,
        )
    try:
        return read_digit(data) if decodes is None else decodes.run(read_digit, data)
    except (BadRequest, MemoryError):
        raise
    except Exception as err:  # NOTE: ImageError, or whatever Pillow raises on corrupt data
        raise BadRequest(f'"image" could not be read: {err}') from None


def is_ascii_digits(text: str) -> bool:
    """Whether ``text`` is one or more of 0-9. NOTE: not ``str.isdigit``, which is also true
    for "²" (int() then raises) and for "٣" (int() reads it as 3)."""
    return text.isascii() and text.isdigit()


async def _read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refusing more than ``limit`` bytes (413) whether or not Content-Length
    says so: a declared larger body is refused before a byte is read, a chunked one as soon as
    it passes the limit."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not is_ascii_digits(declared):
            raise BadRequest(f"bad Content-Length {declared[:40]!r}")
        if int(declared) > limit:
            raise BadRequest(f"the body is {declared} bytes; at most {limit} are read", 413)
    body = bytearray()
    async for chunk in request.stream():  # NOTE: a chunked body has no Content-Length to check
        body += chunk
        if len(body) > limit:
            raise BadRequest(f"the body is over {limit} bytes; at most {limit} are read", 413)
    return bytes(body)


def clean_message(message: str) -> str:
    """An error message fit for a client: no Python object reprs, at most MAX_MESSAGE long."""
    return cut_middle(without_reprs(" ".join(message.split())), MAX_MESSAGE)
