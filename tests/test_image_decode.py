"""decode_image_bytes: RGB order, alpha, 16-bit depth and unreadable bytes."""
from __future__ import annotations

import cv2
import numpy as np

from mrcnn_tf.image_decode import decode_image_bytes


def encode(image, ext=".png"):
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


def test_colour_order_alpha_and_depth():
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 200  # red
    np.testing.assert_array_equal(decode_image_bytes(encode(rgb[..., ::-1])), rgb)
    bgra = np.dstack([rgb[..., ::-1], np.full((4, 5), 7, np.uint8)])
    np.testing.assert_array_equal(decode_image_bytes(encode(bgra)), rgb)  # alpha dropped
    gray16 = np.arange(20, dtype=np.uint16).reshape(4, 5) * 3000
    np.testing.assert_array_equal(decode_image_bytes(encode(gray16)), gray16)


def test_unreadable_bytes_give_none():
    assert decode_image_bytes(b"") is None
    assert decode_image_bytes(b"\xff\xd8\xff\xe0 not a JPEG") is None
