"""Anchor boxes for the feature pyramid.

Shape shorthand: L pyramid levels (P2..P6), A anchors in total. Ratios are width / height:
a ratio-2 anchor is twice as wide as it is tall. Anchor centres lie at ``index * stride`` of
the feature map cell (no half-cell offset), as in matterport. Within a level, anchors are
ordered by cell (row-major, y then x) and, inside a cell, by ratio; that is the order of the
RPN head's outputs.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from mrcnn_tf.ops.boxes import norm_boxes


def backbone_shapes(image_shape, strides) -> np.ndarray:
    """Feature map sizes [L, 2] (height, width) for an image (height, width, ...)."""
    return np.array([[int(math.ceil(image_shape[0] / s)), int(math.ceil(image_shape[1] / s))]
                     for s in strides])


def level_anchors(scale, ratios, shape, feature_stride, anchor_stride=1) -> np.ndarray:
    """Anchors of one pyramid level in pixels.

    scale: side of the ratio-1 anchor in pixels; ratios: widths / heights; shape: feature map
    (height, width); feature_stride: pixels per feature cell; anchor_stride: cells between
    anchor positions. Returns float64 [rows * cols * len(ratios), 4] (y1, x1, y2, x2).
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    heights = scale / np.sqrt(ratios)
    widths = scale * np.sqrt(ratios)
    centers_y = np.arange(0, shape[0], anchor_stride) * feature_stride
    centers_x = np.arange(0, shape[1], anchor_stride) * feature_stride
    cy, cx = np.meshgrid(centers_y, centers_x, indexing="ij")          # [rows, cols]
    centers = np.stack([cy, cx], axis=-1).reshape(-1, 1, 2)           # [cells, 1, 2]
    sizes = np.stack([heights, widths], axis=-1).reshape(1, -1, 2)    # [1, ratios, 2]
    boxes = np.concatenate([centers - 0.5 * sizes, centers + 0.5 * sizes], axis=-1)
    return boxes.reshape(-1, 4)


def pyramid_anchors(scales, ratios, feature_shapes, feature_strides, anchor_stride=1):
    """Anchors of all levels, concatenated level by level: float64 [A, 4] pixels."""
    return np.concatenate([
        level_anchors(scale, ratios, shape, stride, anchor_stride)
        for scale, shape, stride in zip(scales, feature_shapes, feature_strides)])


@functools.lru_cache(maxsize=16)
def _anchors(image_hw, scales, ratios, strides, anchor_stride, normalized):
    shapes = backbone_shapes(image_hw, strides)
    anchors = pyramid_anchors(scales, ratios, shapes, strides, anchor_stride)
    anchors = norm_boxes(anchors, image_hw) if normalized else anchors.astype(np.float32)
    anchors.setflags(write=False)
    return anchors


def anchors_for_image_shape(image_shape, config, *, normalized=True) -> np.ndarray:
    """Anchors float32 [A, 4] (y1, x1, y2, x2) for a molded image shape, cached per shape:
    normalized (the model's input), or in pixels with normalized=False (training targets).

    image_shape: (height, width[, channels]) of the molded image. The result is read-only and
    shared between calls.
    """
    return _anchors(
        (int(image_shape[0]), int(image_shape[1])), tuple(config.RPN_ANCHOR_SCALES),
        tuple(float(r) for r in config.RPN_ANCHOR_RATIOS), tuple(config.BACKBONE_STRIDES),
        int(config.RPN_ANCHOR_STRIDE), bool(normalized))
