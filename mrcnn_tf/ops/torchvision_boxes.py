"""Box maths of torchvision's detection models (``BoxCoder``, ``clip_boxes_to_image``,
``remove_small_boxes``), in this package's (y1, x1, y2, x2) order.

torchvision computes boxes in pixels of the resized (unpadded) image, so these ops do too:
boxes are float32 [..., 4] (y1, x1, y2, x2) pixels. Deltas keep torchvision's channel order
(dx, dy, dw, dh), the order its heads' weights produce them in. No "+1" anywhere: a box's width
is x2 - x1.
"""
from __future__ import annotations

import math

import tensorflow as tf

# torchvision's _utils.BoxCoder default: exp() of a scale delta is capped at 1000/16
BBOX_XFORM_CLIP = math.log(1000.0 / 16)


def delta_weights_from_std(std_dev) -> tuple:
    """torchvision's BoxCoder weights (wx, wy, ww, wh) from a std-dev vector in this package's
    (dy, dx, dh, dw) order: weight = 1 / std. (0.1, 0.1, 0.2, 0.2) -> (10, 10, 5, 5)."""
    dy, dx, dh, dw = (float(v) for v in std_dev)
    return (1.0 / dx, 1.0 / dy, 1.0 / dw, 1.0 / dh)


def decode_boxes(deltas, boxes, weights=(1.0, 1.0, 1.0, 1.0), clip=BBOX_XFORM_CLIP):
    """Apply deltas to reference boxes (torchvision's BoxCoder.decode_single).

    deltas: float32 [..., 4] (dx, dy, dw, dh); boxes: float32 [..., 4] (y1, x1, y2, x2) pixels,
    broadcastable to deltas. weights: (wx, wy, ww, wh) the deltas are divided by; dw and dh are
    capped at ``clip`` before exp. Returns float32 [..., 4] (y1, x1, y2, x2) pixels.
    """
    wx, wy, ww, wh = weights
    heights = boxes[..., 2] - boxes[..., 0]
    widths = boxes[..., 3] - boxes[..., 1]
    ctr_y = boxes[..., 0] + 0.5 * heights
    ctr_x = boxes[..., 1] + 0.5 * widths
    dx = deltas[..., 0] / wx
    dy = deltas[..., 1] / wy
    dw = tf.minimum(deltas[..., 2] / ww, clip)
    dh = tf.minimum(deltas[..., 3] / wh, clip)
    pred_ctr_x = dx * widths + ctr_x
    pred_ctr_y = dy * heights + ctr_y
    half_w = 0.5 * (tf.exp(dw) * widths)
    half_h = 0.5 * (tf.exp(dh) * heights)
    return tf.stack([pred_ctr_y - half_h, pred_ctr_x - half_w,
                     pred_ctr_y + half_h, pred_ctr_x + half_w], axis=-1)


def clip_boxes(boxes, height, width):
    """Clamp boxes [..., 4] (y1, x1, y2, x2) pixels to y in [0, height], x in [0, width]
    (height, width: scalars or tensors broadcastable to boxes[..., 0])."""
    height = tf.cast(height, boxes.dtype)
    width = tf.cast(width, boxes.dtype)
    y1 = tf.clip_by_value(boxes[..., 0], 0.0, height)
    x1 = tf.clip_by_value(boxes[..., 1], 0.0, width)
    y2 = tf.clip_by_value(boxes[..., 2], 0.0, height)
    x2 = tf.clip_by_value(boxes[..., 3], 0.0, width)
    return tf.stack([y1, x1, y2, x2], axis=-1)


def large_enough(boxes, min_size):
    """bool [...]: boxes whose height and width are both >= min_size pixels
    (torchvision's remove_small_boxes keeps these)."""
    return tf.logical_and(boxes[..., 2] - boxes[..., 0] >= min_size,
                          boxes[..., 3] - boxes[..., 1] >= min_size)
