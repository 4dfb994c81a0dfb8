"""Box and mask geometry in numpy (no TensorFlow): conversions, areas, IoU, overlap matrices.

Shape shorthand: N, M boxes or masks. Box format everywhere inside the package:
``[y1, x1, y2, x2]``; *normalized* boxes are fractions of the (molded) image where pixel
``(H - 1, W - 1)`` maps to ``(1, 1)`` and the pixel box ``(y1, x1, y2, x2)`` with exclusive
``y2, x2`` becomes ``(y1, x1, y2 - 1, x2 - 1) / (H - 1, W - 1)`` (matterport's convention).
Deltas are ``[dy, dx, log(dh), log(dw)]`` relative to the box's centre and size.

The TensorFlow versions used inside the model graph are in ``ops.boxes_graph``.
"""
from __future__ import annotations

import numpy as np


def norm_boxes(boxes, shape):
    """Pixel boxes to normalized boxes.

    boxes: [N, 4] (y1, x1, y2, x2) in pixels, y2/x2 exclusive; shape: (height, width).
    Returns float32 [N, 4] normalized (see module docstring).
    """
    h, w = shape
    scale = np.array([h - 1, w - 1, h - 1, w - 1])
    shift = np.array([0, 0, 1, 1])
    return np.divide(np.asarray(boxes) - shift, scale).astype(np.float32)


def denorm_boxes(boxes, shape):
    """Normalized boxes to int32 pixel boxes (y2/x2 exclusive), rounded to the nearest pixel."""
    h, w = shape
    scale = np.array([h - 1, w - 1, h - 1, w - 1])
    shift = np.array([0, 0, 1, 1])
    return np.around(np.multiply(boxes, scale) + shift).astype(np.int32)


def box_area(boxes):
    """Areas of boxes [N, 4] (y1, x1, y2, x2), numpy. Returns [N]."""
    boxes = np.asarray(boxes, dtype=np.float64)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1, boxes2):
    """IoU matrix of boxes1 [N, 4] and boxes2 [M, 4] (y1, x1, y2, x2), numpy. Returns [N, M]."""
    boxes1 = np.asarray(boxes1, dtype=np.float64).reshape(-1, 4)
    boxes2 = np.asarray(boxes2, dtype=np.float64).reshape(-1, 4)
    y1 = np.maximum(boxes1[:, None, 0], boxes2[None, :, 0])
    x1 = np.maximum(boxes1[:, None, 1], boxes2[None, :, 1])
    y2 = np.minimum(boxes1[:, None, 2], boxes2[None, :, 2])
    x2 = np.minimum(boxes1[:, None, 3], boxes2[None, :, 3])
    inter = np.clip(y2 - y1, 0, None) * np.clip(x2 - x1, 0, None)
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def iou(box1, box2) -> float:
    """IoU of two boxes (y1, x1, y2, x2) in the same units: intersection area over union area,
    0.0 when they do not overlap (or both are empty). E.g. iou((0, 0, 2, 2), (1, 1, 3, 3))
    = 1 / 7."""
    return float(box_iou(np.asarray(box1)[None], np.asarray(box2)[None])[0, 0])


def mask_iou(mask1, mask2) -> float:
    """IoU of two bool masks of one size [H, W]: shared pixels over pixels in either; 1.0
    when both are empty (two empty masks agree)."""
    union = np.logical_or(mask1, mask2).sum()
    return float(np.logical_and(mask1, mask2).sum() / union) if union else 1.0


def mask_overlaps(masks1, masks2) -> np.ndarray:
    """IoU matrix of masks [H, W, N] and [H, W, M] of one size (bool, or soft masks taken as
    > 0.5): float64 [N, M]; 0 where both masks are empty."""
    a = np.reshape(np.asarray(masks1) > 0.5, (-1, masks1.shape[-1])).astype(np.float64)
    b = np.reshape(np.asarray(masks2) > 0.5, (-1, masks2.shape[-1])).astype(np.float64)
    inter = a.T @ b
    union = a.sum(axis=0)[:, None] + b.sum(axis=0)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def extract_bboxes(masks) -> np.ndarray:
    """Boxes of bool masks [H, W, N]: int32 [N, 4] (y1, x1, y2, x2), y2/x2 exclusive; zeros for
    an empty mask."""
    boxes = np.zeros([masks.shape[-1], 4], dtype=np.int32)
    for i in range(masks.shape[-1]):
        rows = np.where(np.any(masks[:, :, i], axis=1))[0]
        cols = np.where(np.any(masks[:, :, i], axis=0))[0]
        if rows.size:
            boxes[i] = [rows[0], cols[0], rows[-1] + 1, cols[-1] + 1]
    return boxes
