"""Box operations as TensorFlow ops, for the model graph (numpy twins in ``ops.boxes``).

Boxes are ``[y1, x1, y2, x2]`` (see ops.boxes for the normalized convention); deltas are
``[dy, dx, log(dh), log(dw)]``. The functions work on any leading shape.
"""
from __future__ import annotations

import tensorflow as tf


def apply_box_deltas_graph(boxes, deltas):
    """Refine boxes by deltas.

    boxes: float32 [..., 4] as (y1, x1, y2, x2); deltas: float32 [..., 4] as
    (dy, dx, log(dh), log(dw)), already multiplied by the std-dev.
    Returns float32 [..., 4] (y1, x1, y2, x2).
    """
    height = boxes[..., 2] - boxes[..., 0]
    width = boxes[..., 3] - boxes[..., 1]
    center_y = boxes[..., 0] + 0.5 * height
    center_x = boxes[..., 1] + 0.5 * width
    center_y += deltas[..., 0] * height
    center_x += deltas[..., 1] * width
    height *= tf.exp(deltas[..., 2])
    width *= tf.exp(deltas[..., 3])
    y1 = center_y - 0.5 * height
    x1 = center_x - 0.5 * width
    return tf.stack([y1, x1, y1 + height, x1 + width], axis=-1)


def box_deltas_graph(boxes, targets):
    """The deltas that take ``boxes`` to ``targets`` (inverse of apply_box_deltas_graph).

    boxes, targets: float32 [..., 4] (y1, x1, y2, x2) with positive sizes.
    Returns float32 [..., 4] (dy, dx, log(dh), log(dw)), not divided by the std-dev.
    """
    boxes = tf.cast(boxes, tf.float32)
    targets = tf.cast(targets, tf.float32)
    height = boxes[..., 2] - boxes[..., 0]
    width = boxes[..., 3] - boxes[..., 1]
    center_y = boxes[..., 0] + 0.5 * height
    center_x = boxes[..., 1] + 0.5 * width
    t_height = targets[..., 2] - targets[..., 0]
    t_width = targets[..., 3] - targets[..., 1]
    t_center_y = targets[..., 0] + 0.5 * t_height
    t_center_x = targets[..., 1] + 0.5 * t_width
    return tf.stack([(t_center_y - center_y) / height, (t_center_x - center_x) / width,
                     tf.math.log(t_height / height), tf.math.log(t_width / width)], axis=-1)


def clip_boxes_graph(boxes, window):
    """Clip boxes to a window.

    boxes: float32 [..., 4] (y1, x1, y2, x2); window: float32 [4] (y1, x1, y2, x2), or
    [B, 4] for boxes of shape [B, N, 4]. Returns boxes of the same shape, every coordinate
    inside the window. A NaN coordinate (deltas that overflowed, from a badly trained model)
    becomes the window's low edge, so every box stays usable downstream.
    """
    window = tf.cast(window, boxes.dtype)
    if window.shape.rank == 2:
        window = window[:, tf.newaxis, :]
    low = tf.stack([window[..., 0], window[..., 1], window[..., 0], window[..., 1]], axis=-1)
    high = tf.stack([window[..., 2], window[..., 3], window[..., 2], window[..., 3]], axis=-1)
    clipped = tf.maximum(tf.minimum(boxes, high), low)
    return tf.where(tf.math.is_nan(boxes), tf.broadcast_to(low, tf.shape(boxes)), clipped)


def norm_boxes_graph(boxes, shape):
    """Tensor version of norm_boxes. boxes: [..., 4] pixels; shape: [2] (height, width)."""
    h, w = tf.split(tf.cast(shape, tf.float32), 2)
    scale = tf.concat([h, w, h, w], axis=-1) - tf.constant(1.0)
    shift = tf.constant([0.0, 0.0, 1.0, 1.0])
    return tf.divide(tf.cast(boxes, tf.float32) - shift, scale)


def box_iou_graph(boxes1, boxes2):
    """IoU matrix of boxes1 [N, 4] and boxes2 [M, 4], both (y1, x1, y2, x2) in the same
    units, as a TensorFlow op (the numpy twin is box_iou). Returns float32 [N, M]; 0 where the
    union is empty."""
    b1 = tf.cast(boxes1, tf.float32)[:, tf.newaxis, :]
    b2 = tf.cast(boxes2, tf.float32)[tf.newaxis, :, :]
    inter_h = tf.maximum(
        tf.minimum(b1[..., 2], b2[..., 2]) - tf.maximum(b1[..., 0], b2[..., 0]), 0.0)
    inter_w = tf.maximum(
        tf.minimum(b1[..., 3], b2[..., 3]) - tf.maximum(b1[..., 1], b2[..., 1]), 0.0)
    intersection = inter_h * inter_w
    area1 = (b1[..., 2] - b1[..., 0]) * (b1[..., 3] - b1[..., 1])
    area2 = (b2[..., 2] - b2[..., 0]) * (b2[..., 3] - b2[..., 1])
    return tf.math.divide_no_nan(intersection, area1 + area2 - intersection)
