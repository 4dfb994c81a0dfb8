"""Mask pasting: from the mask head's box-relative masks to full-image masks.

Boxes here are int pixel boxes (y1, x1, y2, x2) of the original image, y2/x2 exclusive.
"""
from __future__ import annotations

import numpy as np

from mrcnn_tf.ops.resize import resize

MASK_THRESHOLD = 0.5


def box_mask(mask, box, threshold=MASK_THRESHOLD, library="skimage") -> np.ndarray:
    """A soft mask resized to its box and thresholded: bool [y2 - y1, x2 - x1].

    mask: float [h, w] (e.g. 28x28 sigmoid output); box: int (y1, x1, y2, x2). Resizing is
    bilinear without anti-aliasing, zero outside the mask (matterport's skimage resize, or
    with library="opencv" the same computed by ops.resize.resize_opencv); pixels >= threshold
    are in the object.
    """
    y1, x1, y2, x2 = (int(v) for v in box)
    if y2 <= y1 or x2 <= x1:
        return np.zeros((max(y2 - y1, 0), max(x2 - x1, 0)), dtype=bool)
    return resize(np.asarray(mask, dtype=np.float32), (y2 - y1, x2 - x1),
                  library=library) >= threshold


def _clipped(box, image_shape):
    """The part of a box inside the image, and where that part starts inside the box."""
    y1, x1, y2, x2 = (int(v) for v in box)
    h, w = image_shape[:2]
    cy1, cx1, cy2, cx2 = max(y1, 0), max(x1, 0), min(y2, h), min(x2, w)
    return (cy1, cx1, cy2, cx2), (cy1 - y1, cx1 - x1)


def unmold_mask(mask, box, image_shape, threshold=MASK_THRESHOLD) -> np.ndarray:
    """Paste one soft mask into a full-image boolean mask.

    mask: float [h, w] covering ``box``; box: int (y1, x1, y2, x2); image_shape: (height,
    width, ...). Returns bool [height, width]; the box part outside the image is dropped.
    """
    full = np.zeros(tuple(image_shape[:2]), dtype=bool)
    (cy1, cx1, cy2, cx2), (oy, ox) = _clipped(box, image_shape)
    if cy2 > cy1 and cx2 > cx1:
        full[cy1:cy2, cx1:cx2] = box_mask(mask, box, threshold)[oy:oy + cy2 - cy1,
                                                                ox:ox + cx2 - cx1]
    return full


def paste_masks(masks, boxes, image_shape, threshold=MASK_THRESHOLD,
                library="skimage") -> np.ndarray:
    """Paste N soft masks [N, h, w] into bool [height, width, N] full-image masks.

    Only each box's pixels are written, so the cost follows the boxes' area. library: see
    box_mask. The result is a view of an [N, height, width] array, so each
    ``masks[:, :, i]`` is contiguous.
    """
    full = np.zeros((len(boxes),) + tuple(image_shape[:2]), dtype=bool)
    for i, (mask, box) in enumerate(zip(masks, boxes)):
        (cy1, cx1, cy2, cx2), (oy, ox) = _clipped(box, image_shape)
        if cy2 > cy1 and cx2 > cx1:
            full[i, cy1:cy2, cx1:cx2] = box_mask(mask, box, threshold, library)[
                oy:oy + cy2 - cy1, ox:ox + cx2 - cx1]
    return np.moveaxis(full, 0, -1)
