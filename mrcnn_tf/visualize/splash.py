"""Colour splash: the image in grayscale except the detected objects (matterport's effect)."""
from __future__ import annotations

import cv2
import numpy as np

from mrcnn_tf.results import check_result
from mrcnn_tf.visualize.image import as_rgb_uint8


def color_splash(image, result) -> np.ndarray:
    """uint8 RGB [H, W, 3]: grayscale (R = G = B) outside the union of the result's masks,
    the original colours inside. image: anything detect() accepts; result: its detect()
    result (masks bool [H, W, N]). The input is not modified."""
    rgb = as_rgb_uint8(image)
    result = check_result(result, image_shape=rgb.shape)
    gray = cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    objects = result["masks"].any(axis=2)
    return np.where(objects[:, :, None], rgb, gray)
