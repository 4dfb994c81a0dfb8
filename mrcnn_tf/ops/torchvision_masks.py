"""torchvision's ``paste_masks_in_image``: box-relative soft masks to full-image masks (numpy).

Each M x M mask is zero padded by one pixel (M + 2 on a side), its box widened by the same
proportion (M + 2) / M about its centre and truncated toward zero to whole pixels (x1, y1,
x2, y2), the padded mask resized bilinearly (PyTorch's align_corners=False rule) to
(y2 - y1 + 1) x (x2 - x1 + 1) and written at (y1, x1), cut to the image.
"""
from __future__ import annotations

import numpy as np

from mrcnn_tf.ops.torchvision_resize import resize_bilinear

PADDING = 1


def expand_boxes(boxes, scale, xp=np):
    """Boxes [N, 4] (y1, x1, y2, x2) scaled by ``scale`` about their centres (float32); one
    description for numpy and the graph (xp=ops.xp_graph)."""
    boxes = xp.asarray(boxes, dtype=np.float32)
    half, scale = xp.asarray(0.5, dtype=np.float32), xp.asarray(scale, dtype=np.float32)
    half_h = (boxes[:, 2] - boxes[:, 0]) * half * scale
    half_w = (boxes[:, 3] - boxes[:, 1]) * half * scale
    ctr_y = (boxes[:, 2] + boxes[:, 0]) * half
    ctr_x = (boxes[:, 3] + boxes[:, 1]) * half
    return xp.stack([ctr_y - half_h, ctr_x - half_w, ctr_y + half_h, ctr_x + half_w], axis=1)


def paste_box(box, side, xp=np):
    """Where a side x side mask of box (float32 [4] y1, x1, y2, x2) goes once zero padded by
    PADDING: the box widened by (side + 2 PADDING) / side, float32 [4]; its whole pixels
    (y1, x1, y2, x2, both corners inclusive) are these truncated toward zero."""
    scale = (side + 2.0 * PADDING) / side
    return expand_boxes(xp.reshape(box, (1, 4)), scale, xp)[0]


def paste_mask(mask, box, height, width) -> np.ndarray:
    """One padded soft mask [M', M'] into a float32 [height, width] image at box: int
    (y1, x1, y2, x2), both corners inclusive."""
    y1, x1, y2, x2 = (int(v) for v in box)
    h = max(y2 - y1 + 1, 1)
    w = max(x2 - x1 + 1, 1)
    resized = resize_bilinear(mask, h, w)
    out = np.zeros((height, width), np.float32)
    top, left = max(y1, 0), max(x1, 0)
    bottom, right = min(y2 + 1, height), min(x2 + 1, width)
    if bottom > top and right > left:
        out[top:bottom, left:right] = resized[top - y1:bottom - y1, left - x1:right - x1]
    return out


def paste_masks_torchvision(masks, boxes, image_shape, threshold=0.5) -> np.ndarray:
    """Full-image masks from box-relative ones.

    masks: float [N, M, M] probabilities; boxes: float [N, 4] (y1, x1, y2, x2) pixels of the
    original image; image_shape: (height, width, ...). Returns bool [height, width, N]:
    pasted probability > threshold.
    """
    height, width = int(image_shape[0]), int(image_shape[1])
    masks = np.asarray(masks, np.float32)
    if len(masks) == 0:
        return np.zeros((height, width, 0), bool)
    side = masks.shape[-1]
    padded = np.pad(masks, [(0, 0), (PADDING, PADDING), (PADDING, PADDING)])
    pasted = [paste_mask(m, np.trunc(paste_box(b, side)).astype(np.int64), height,
                         width) > threshold
              for m, b in zip(padded, np.asarray(boxes, np.float32))]
    return np.stack(pasted, axis=-1)
