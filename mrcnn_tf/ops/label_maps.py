"""Per-pixel label maps from instances, in numpy: one value per pixel, overlaps by score.

Shape shorthand: H, W image size; N instances. Masks are bool [H, W, N]; boxes int
(y1, x1, y2, x2) pixels with y2/x2 exclusive.
"""
from __future__ import annotations

import numpy as np


def paint_label_map(masks, scores, labels) -> np.ndarray:
    """int32 [H, W]: labels[i] on the pixels of instance i, 0 where no instance is.

    masks: bool [H, W, N]; scores: [N]; labels: int [N] (e.g. class ids, or i + 1).
    Where instances overlap, the one with the higher score wins; on equal scores, the one
    that comes first. E.g. masks of columns 0-1 (score 0.5, label 7) and 1-2 (score 0.9,
    label 3) in a 1x4 image give [[7, 3, 3, 0]].
    """
    masks = np.asarray(masks, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if masks.ndim != 3:
        raise ValueError(f"masks: expected bool [H, W, N], got shape {masks.shape}")
    if not masks.shape[2] == len(scores) == len(labels):
        raise ValueError(f"masks, scores, labels: {masks.shape[2]}, {len(scores)} and "
                         f"{len(labels)} instances; expected the same number")
    out = np.zeros(masks.shape[:2], np.int32)
    order = np.argsort(-scores, kind="stable")  # best first
    for i in order[::-1]:  # paint the worst first, so better instances paint over it
        out[masks[:, :, i]] = labels[i]
    return out


def box_masks(boxes, shape) -> np.ndarray:
    """bool [H, W, N]: each box (y1, x1, y2, x2) filled, clipped to the image of shape
    (H, W, ...). E.g. the box (1, 0, 2, 2) in a 3x3 image fills row 1, columns 0-1."""
    height, width = int(shape[0]), int(shape[1])
    boxes = np.asarray(boxes).reshape(-1, 4)
    out = np.zeros((height, width, len(boxes)), bool)
    for i, (y1, x1, y2, x2) in enumerate(boxes.astype(np.int64)):
        out[max(y1, 0):max(y2, 0), max(x1, 0):max(x2, 0), i] = True
    return out
