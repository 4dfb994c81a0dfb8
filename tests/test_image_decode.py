"""decode_image_bytes: RGB order, alpha, 16-bit depth, unreadable bytes, and the pixel limit
checked on the header before decoding."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from mrcnn_tf.image_decode import (DEFAULT_MAX_PIXELS, ImageTooLargeError, decode_image_bytes,
                                   describe_pixels, image_size)
from tests.pixel_bombs import png_bomb


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


@pytest.mark.parametrize("width, height", [(12000, 12000), (20000, 20000), (30000, 30000)])
def test_header_size_is_read_without_decoding(width, height):
    """Also above Pillow's own decompression-bomb limit (179 megapixels), which Image.open
    refuses without saying the size."""
    assert image_size(png_bomb(width, height)) == (width, height, "PNG")


@pytest.mark.parametrize("width, height, words", [
    (12000, 12000, "12000x12000 = 144 megapixels"),
    (30000, 30000, "30000x30000 = 900 megapixels")])
def test_images_above_the_limit_are_refused_before_decoding(width, height, words):
    with pytest.raises(ImageTooLargeError) as caught:
        decode_image_bytes(png_bomb(width, height))
    assert str(caught.value) == f"{words}, more than the limit of 40 megapixels"
    assert (caught.value.width, caught.value.height) == (width, height)
    assert DEFAULT_MAX_PIXELS == 40_000_000


def test_the_limit_is_the_header_size_of_real_images():
    data = encode(np.zeros((400, 600, 3), np.uint8), ".jpg")
    assert decode_image_bytes(data, max_pixels=240_000).shape == (400, 600, 3)
    with pytest.raises(ImageTooLargeError, match="600x400 = 0.24 megapixels, more than the "
                                                 "limit of 0.1 megapixels"):
        decode_image_bytes(data, max_pixels=100_000)


def test_without_a_limit_opencv_decodes_what_pillow_cannot_size():
    """Radiance HDR: OpenCV decodes it, Pillow cannot read its header, so with a limit it is
    not decoded (its size is unknown) and without one (max_pixels=None) it is."""
    data = encode(np.full((4, 5, 3), 0.5, np.float32), ".hdr")
    assert image_size(data) is None
    assert decode_image_bytes(data) is None
    assert decode_image_bytes(data, max_pixels=None).shape == (4, 5, 3)


def test_describe_pixels():
    assert [describe_pixels(n) for n in (40_000_000, 12_500_000, 240_000, 1_234_567_890)] == [
        "40 megapixels", "12.5 megapixels", "0.24 megapixels", "1235 megapixels"]
