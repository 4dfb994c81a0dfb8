"""Images in a Beam pipeline: decode file bytes, check them, and the shape they mold to.

An image is numpy RGB uint8/uint16 [H, W, 3] or grayscale [H, W] as the file holds it
(``MaskRCNN.detect`` accepts both). The molded shape is (height, width) of the padded image the
model sees (``inference.preprocessing.mold_inputs``), without resizing anything.
"""
from __future__ import annotations

import numpy as np

from mrcnn_tf.families import family_for
from mrcnn_tf.image_decode import DEFAULT_MAX_PIXELS, ImageTooLargeError, decode_image_bytes
from mrcnn_tf.inference.images import normalize_image


class ImageDecodeError(ValueError):
    """File bytes that are not an image detect() can take; the message says why."""


def decode_image(data: bytes, *, max_pixels=DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode encoded image bytes (JPEG, PNG, TIFF, ... as OpenCV reads them) to RGB [H, W, 3]
    or grayscale [H, W], in the file's depth (uint8 or uint16); EXIF orientation applied,
    alpha dropped. Raises ImageDecodeError with a short reason.

    max_pixels: bytes whose header states more pixels (width x height) are not decoded
    (ImageDecodeError naming the size), nor are bytes whose header does not state a size
    (image_decode.decode_image_bytes); None: no limit.
    """
    if not data:
        raise ImageDecodeError("empty file")
    try:
        image = decode_image_bytes(data, max_pixels=max_pixels)
    except ImageTooLargeError as err:
        raise ImageDecodeError(f"{err} (--max-pixels); not decoded") from None
    if image is None:
        raise ImageDecodeError("not a readable image (corrupt, truncated or unsupported format)")
    try:
        normalize_image(image, 0)  # the checks detect() makes, so bad images fail here
    except ValueError as err:
        raise ImageDecodeError(str(err).replace("image[0]: ", "")) from None
    return image


def molds_to_one_shape(config) -> bool:
    """Whether every image molds to the same shape under the Config (its family's transform:
    matterport's "square" mode)."""
    return family_for(config).transform(config).fixed_shape is not None


def molded_shape(height: int, width: int, config) -> tuple:
    """(height, width) of the molded image for an input of height x width under the Config
    (its family's transform, inference.transforms)."""
    return family_for(config).transform(config).molded_shape(height, width)
