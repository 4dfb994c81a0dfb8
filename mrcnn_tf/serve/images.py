"""Request images: encoded bytes (multipart files or base64 in JSON) -> RGB arrays, checked.

Decoding is OpenCV's, as ``mrcnn-tf detect`` reads files (EXIF orientation applied, 16-bit
kept, alpha dropped later by detect()); Pillow reads the header first (image_decode.image_size),
so an image with too many pixels is refused before it is decoded. Every problem is an ApiError
naming the image: empty (400), not an image (415), corrupt (400), too many pixels (413).
"""
from __future__ import annotations

import base64
import binascii

import numpy as np

from mrcnn_tf.image_decode import ImageTooLargeError, check_pixels, decode_image_bytes
from mrcnn_tf.image_decode import image_size as header_size
from mrcnn_tf.serve.errors import bad_request, too_large, unsupported

# leading bytes of image formats: a file starting so is an image, corrupt if unreadable
SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM",
              b"II*\x00", b"MM\x00*")


def looks_like_image(data: bytes) -> bool:
    """True when the bytes start like a PNG, JPEG, GIF, BMP, TIFF or WebP file."""
    return data.startswith(SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def image_size(data: bytes, name: str) -> tuple:
    """(width, height, format) from the image header (image_decode.image_size: Pillow, no
    decoding). ApiError 415 when the bytes are no image format Pillow knows, 400 when they
    start like one but its header cannot be read."""
    size = header_size(data)
    if size is not None:
        return size
    if looks_like_image(data):
        raise bad_request(f"image {name!r}: corrupt or truncated (its header cannot be read)")
    raise unsupported(f"image {name!r}: not an image (no JPEG, PNG, BMP, TIFF, WebP, ... "
                      "header)")


def decode_image(data: bytes, name: str, *, max_pixels: int) -> np.ndarray:
    """Encoded image bytes -> uint8/uint16 RGB [H, W, 3] (or [H, W] gray; alpha dropped).

    name: how the image is called in error messages. max_pixels: largest width x height.
    Raises ApiError (see the module docstring).
    """
    if not data:
        raise bad_request(f"image {name!r}: empty (0 bytes)")
    width, height, _ = image_size(data, name)
    try:
        check_pixels(width, height, max_pixels)
    except ImageTooLargeError as err:
        raise too_large(f"image {name!r}: {err} (--max-pixels)") from None
    image = decode_image_bytes(data, max_pixels=None)  # checked above
    if image is None:
        raise bad_request(f"image {name!r}: corrupt or truncated (cannot be decoded)")
    return image


def decode_base64(text, name: str) -> bytes:
    """Base64 text (standard or URL-safe alphabet, an optional ``data:...;base64,`` prefix)
    -> bytes. ApiError 400 when it is not base64."""
    if not isinstance(text, str):
        raise bad_request(f"image {name!r}: expected a base64 string, got "
                          f"{type(text).__name__}")
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    text = "".join(text.split())
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"image {name!r}: not valid base64") from None


def encode_png(rgb) -> bytes:
    """uint8 RGB [H, W, 3] -> PNG bytes (OpenCV)."""
    import cv2

    ok, data = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return data.tobytes()
