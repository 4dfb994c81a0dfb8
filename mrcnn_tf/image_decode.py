"""Decoding image files' bytes with OpenCV, the one way the CLI, the Beam pipeline and the
server read images, and the one pixel limit they all apply before decoding.

The limit (``DEFAULT_MAX_PIXELS``, ``--max-pixels`` of every command) is checked on the size
the file's header states, read with Pillow without decoding the pixels, so a small file that
claims a huge image (a decompression bomb) is refused before any memory is spent on it.
"""
from __future__ import annotations

import io
import struct
import warnings

import numpy as np

MEGAPIXEL = 1_000_000
DEFAULT_MAX_PIXELS = 40 * MEGAPIXEL  # detect, video, detect-beam, serve and the readers


class ImageTooLargeError(ValueError):
    """An image whose header states more pixels than the limit; it was not decoded.

    The message is "[NAME: ]WxH = N megapixels, more than the limit of M megapixels"."""

    def __init__(self, width: int, height: int, max_pixels: int, name: str = ""):
        self.width, self.height, self.max_pixels = int(width), int(height), int(max_pixels)
        super().__init__(f"{name + ': ' if name else ''}{self.width}x{self.height} = "
                         f"{describe_pixels(width * height)}, more than the limit of "
                         f"{describe_pixels(max_pixels)}")


def describe_pixels(pixels: int) -> str:
    """A pixel count for messages: "144 megapixels", "40 megapixels", "0.24 megapixels"."""
    value = pixels / MEGAPIXEL
    return f"{value:.0f} megapixels" if value >= 100 else f"{value:.3g} megapixels"


def check_pixels(width: int, height: int, max_pixels) -> None:
    """Raise ImageTooLargeError when width x height is above max_pixels (None: no limit)."""
    if max_pixels is not None and int(width) * int(height) > max_pixels:
        raise ImageTooLargeError(width, height, max_pixels)


def _open_header(data: bytes):
    """Pillow's Image.open on the bytes (header only), also for images above Pillow's own
    decompression-bomb limit, which Image.open refuses without saying the size: the plugin
    that claims the bytes is then asked directly, as Image.open would."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            pass
    Image.init()
    for name in Image.ID:
        factory, accept = Image.OPEN[name]
        claimed = True if accept is None else accept(bytes(data[:16]))
        if claimed and not isinstance(claimed, str):  # a str is a warning: not this plugin
            try:
                return factory(io.BytesIO(data), "")
            except (SyntaxError, IndexError, TypeError, struct.error, OSError, ValueError):
                continue
    return None


def image_size(data) -> tuple | None:
    """(width, height, format) as the header of the encoded image bytes states them (Pillow,
    nothing decoded), or None when the bytes start with no header Pillow can read (not an
    image, corrupt, or a format Pillow does not know, such as Radiance HDR)."""
    from PIL import UnidentifiedImageError

    data = bytes(data) if isinstance(data, np.ndarray) else data
    try:
        image = _open_header(data)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error,
            IndexError, TypeError):
        return None
    if image is None:
        return None
    with image:
        return int(image.size[0]), int(image.size[1]), image.format


def decode_image_bytes(data, *, max_pixels=DEFAULT_MAX_PIXELS) -> np.ndarray | None:
    """Encoded bytes (JPEG, PNG, TIFF, ... as OpenCV reads them; bytes or a uint8 array) to
    RGB [H, W, 3] or grayscale [H, W] in the file's depth (uint8 or uint16), EXIF orientation
    applied, alpha dropped (IMREAD_ANYCOLOR). None when the bytes are not a readable image.

    max_pixels: the header's width x height is checked first and ImageTooLargeError raised,
    without decoding, above it; bytes whose size Pillow cannot read from the header are then
    not decoded either (None). None: no check, OpenCV decodes whatever it can.
    """
    import cv2

    if max_pixels is not None:
        size = image_size(data)
        if size is None:
            return None
        check_pixels(size[0], size[1], max_pixels)
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8),
                             cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    except cv2.error:
        return None
    if image is None or image.size == 0:
        return None
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image
