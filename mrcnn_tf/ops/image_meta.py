"""matterport's image meta vector: what the model needs to know about each molded image.

Layout of float32 [IMAGE_META_SIZE] = [1 + 3 + 3 + 4 + 1 + NUM_CLASSES]:
image id, original (height, width, channels), molded (height, width, channels),
window (y1, x1, y2, x2) in molded pixels (the image inside the padding), scale, and one
active-class flag per class.
"""
from __future__ import annotations

import numpy as np


def compose_image_meta(image_id, original_image_shape, image_shape, window, scale,
                       active_class_ids) -> np.ndarray:
    """The meta vector of one image (float64 numpy [12 + NUM_CLASSES])."""
    return np.array([image_id] + list(original_image_shape) + list(image_shape) + list(window)
                    + [scale] + list(active_class_ids))


def parse_image_meta(meta):
    """Split meta vectors [B, META_SIZE] (numpy or tensor) into a dict of named slices.

    Returns: image_id [B], original_image_shape [B, 3], image_shape [B, 3], window [B, 4]
    (molded pixels), scale [B], active_class_ids [B, NUM_CLASSES].
    """
    return {
        "image_id": meta[:, 0],
        "original_image_shape": meta[:, 1:4],
        "image_shape": meta[:, 4:7],
        "window": meta[:, 7:11],
        "scale": meta[:, 11],
        "active_class_ids": meta[:, 12:],
    }
