"""inference.images: input normalization to RGB 0-255 and one-line errors naming the image."""
from __future__ import annotations

import numpy as np
import pytest

from mrcnn_tf.inference.images import as_image_list, normalize_image

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (6, 7, 3)).astype(np.uint8)


def test_uint8_rgb_kept_as_is():
    out = normalize_image(RGB, 0)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, RGB)


def test_uint16_scaled_to_0_255():
    image = (RGB.astype(np.uint16) * 257)   # 255 -> 65535
    out = normalize_image(image, 0)
    np.testing.assert_allclose(out, RGB.astype(np.float32), atol=1e-3)


def test_float_ranges():
    np.testing.assert_allclose(normalize_image(RGB / 255.0, 0), RGB, atol=1e-3)
    np.testing.assert_allclose(normalize_image(RGB.astype(np.float64), 0), RGB)
    ints = normalize_image(RGB.astype(np.int64), 0)
    assert ints.dtype == np.uint8 and np.array_equal(ints, RGB)
    assert normalize_image(np.ones((2, 2, 3), bool), 0).max() == 255


@pytest.mark.parametrize("make", [lambda g: g, lambda g: g[:, :, None]])
def test_grayscale_stacked_to_rgb(make):
    gray = RGB[..., 0]
    out = normalize_image(make(gray), 0)
    assert out.shape == (6, 7, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], gray)


def test_rgba_loses_alpha():
    rgba = np.concatenate([RGB, np.full((6, 7, 1), 7, np.uint8)], axis=-1)
    np.testing.assert_array_equal(normalize_image(rgba, 0), RGB)


@pytest.mark.parametrize("image, words", [
    (None, "None"),
    (np.zeros((0, 5, 3), np.uint8), "empty"),
    (np.zeros((5, 0), np.uint8), "empty"),
    (np.full((4, 4, 3), np.nan, np.float32), "NaN"),
    (np.full((4, 4, 3), np.inf), "infinite"),
    (np.zeros((4, 4, 2), np.uint8), "shape"),
    (np.zeros((1, 4, 4, 3), np.uint8), "shape"),
    (np.zeros((4,), np.uint8), "shape"),
    (np.array([["a", "b"], ["c", "d"]]), "dtype"),
    (np.full((4, 4, 3), -1.0), "float values"),
    (np.full((4, 4, 3), 300, np.int32), "0-255"),
    ([[1, 2], [3]], "array"),
])
def test_bad_images_raise_naming_the_index(image, words):
    with pytest.raises(ValueError) as err:
        normalize_image(image, 1)
    message = str(err.value)
    assert message.startswith("image[1]:") and words in message
    assert "\n" not in message


def test_as_image_list():
    assert len(as_image_list([RGB, RGB])) == 2
    assert len(as_image_list((RGB,))) == 1
    assert len(as_image_list(np.stack([RGB] * 3))) == 3
    assert len(as_image_list(RGB)) == 1
    assert len(as_image_list(RGB[..., 0])) == 1
    with pytest.raises(ValueError, match="images"):
        as_image_list("image.jpg")
    with pytest.raises(ValueError, match="images"):
        as_image_list(np.zeros((1, 1, 2, 2, 3)))
