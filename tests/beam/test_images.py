"""mrcnn_tf.beam.images: decoding file bytes and the molded shape without molding."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

import mrcnn_tf
from mrcnn_tf.beam.images import ImageDecodeError, decode_image, molded_shape
from mrcnn_tf.inference.preprocessing import mold_inputs


def encode(image, ext=".png") -> bytes:
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA if image.shape[2] == 4
                             else cv2.COLOR_RGB2BGR)
    return cv2.imencode(ext, image)[1].tobytes()


def test_decode_rgb_gray_rgba_and_16_bit():
    rgb = skimage.data.astronaut()[:64, :96]
    np.testing.assert_array_equal(decode_image(encode(rgb)), rgb)
    gray = skimage.data.camera()[:50, :70]
    np.testing.assert_array_equal(decode_image(encode(gray)), gray)
    rgba = skimage.data.logo()[:40, :30]
    np.testing.assert_array_equal(decode_image(encode(rgba)), rgba[:, :, :3])
    deep = (np.arange(30 * 20, dtype=np.uint16) * 100).reshape(30, 20)
    out = decode_image(encode(deep))
    assert out.dtype == np.uint16 and np.array_equal(out, deep)


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"GIF89a not really", "not a readable image"),
    (encode(skimage.data.astronaut())[:40], "not a readable image"),
])
def test_decode_errors_say_why(data, reason):
    with pytest.raises(ImageDecodeError, match=reason):
        decode_image(data)


@pytest.mark.parametrize("mode", ["square", "pad64", "fit64", "none"])
@pytest.mark.parametrize("size", [(300, 451), (512, 512), (128, 700), (97, 61)])
def test_molded_shape_is_mold_inputs_shape(mode, size):
    config = mrcnn_tf.Config(NUM_CLASSES=2, IMAGE_RESIZE_MODE=mode, IMAGE_MIN_DIM=192,
                             IMAGE_MAX_DIM=256 if mode != "pad64" else 1024)
    image = np.zeros(size + (3,), np.uint8)
    assert molded_shape(*size, config) == mold_inputs([image], config)[0].shape[1:3]
