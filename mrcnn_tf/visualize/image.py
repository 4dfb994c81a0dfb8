"""Images for drawing: whatever ``MaskRCNN.detect`` accepts, as uint8 RGB."""
from __future__ import annotations

import numpy as np

from mrcnn_tf.inference.images import normalize_image


def as_rgb_uint8(image) -> np.ndarray:
    """uint8 RGB [H, W, 3] copy of an image in any form detect() accepts.

    uint8 RGB is copied as is; grayscale is stacked, alpha dropped, uint16 scaled to 0-255,
    floats in 0-1 or 0-255 rounded. Raises ValueError for unusable images.
    """
    rgb = normalize_image(image, 0)
    if rgb.dtype != np.uint8:
        rgb = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    return np.array(rgb, dtype=np.uint8, copy=True)
