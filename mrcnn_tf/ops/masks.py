"""Mask pasting: from the mask head's box-relative masks to full-image masks.

Boxes here are int pixel boxes (y1, x1, y2, x2) of the original image, y2/x2 exclusive.
"""
from __future__ import annotations

import numpy as np

from mrcnn_tf.inference.preprocessing import resize

MASK_THRESHOLD = 0.5


def unmold_mask(mask, box, image_shape, threshold=MASK_THRESHOLD) -> np.ndarray:
    """Paste one soft mask into a full-image boolean mask.

    mask: float [h, w] (e.g. 28x28 sigmoid output) covering ``box``; box: int (y1, x1, y2, x2);
    image_shape: (height, width, ...). The mask is resized bilinearly to the box size and
    thresholded at ``threshold`` (>=). Returns bool [height, width].
    """
    y1, x1, y2, x2 = (int(v) for v in box)
    full = np.zeros(tuple(image_shape[:2]), dtype=bool)
    if y2 <= y1 or x2 <= x1:
        return full
    resized = resize(np.asarray(mask, dtype=np.float32), (y2 - y1, x2 - x1))
    full[y1:y2, x1:x2] = resized >= threshold
    return full


def paste_masks(masks, boxes, image_shape, threshold=MASK_THRESHOLD) -> np.ndarray:
    """Paste N soft masks [N, h, w] into bool [height, width, N] full-image masks."""
    full = np.zeros(tuple(image_shape[:2]) + (len(boxes),), dtype=bool)
    for i, (mask, box) in enumerate(zip(masks, boxes)):
        full[..., i] = unmold_mask(mask, box, image_shape, threshold)
    return full
