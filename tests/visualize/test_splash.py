"""color_splash: gray everywhere except the detected objects."""
from __future__ import annotations

import cv2
import numpy as np

from mrcnn_tf.visualize import color_splash


def test_gray_outside_the_objects_colour_inside(photo, result):
    before = photo.copy()
    out = color_splash(photo, result)
    assert out.shape == photo.shape and out.dtype == np.uint8
    objects = result["masks"].any(axis=2)
    np.testing.assert_array_equal(out[objects], photo[objects])
    gray = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    for channel in range(3):
        np.testing.assert_array_equal(out[..., channel][~objects], gray[~objects])
    np.testing.assert_array_equal(photo, before)


def test_no_detections_gives_a_gray_image(photo, result):
    empty = {key: value[..., :0] if key == "masks" else value[:0] for key, value in result.items()}
    out = color_splash(photo, empty)
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
