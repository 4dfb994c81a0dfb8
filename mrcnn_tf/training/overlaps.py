"""Pairwise IoU of two box sets as a TensorFlow op (the numpy twin is ops.boxes.box_iou)."""
from __future__ import annotations

import tensorflow as tf


def iou_graph(boxes1, boxes2):
    """IoU matrix of boxes1 float32 [N, 4] and boxes2 float32 [M, 4], both (y1, x1, y2, x2) in
    the same units. Returns float32 [N, M]; 0 where the union is empty."""
    boxes1 = tf.cast(boxes1, tf.float32)
    boxes2 = tf.cast(boxes2, tf.float32)
    b1 = boxes1[:, tf.newaxis, :]
    b2 = boxes2[tf.newaxis, :, :]
    inter_h = tf.maximum(tf.minimum(b1[..., 2], b2[..., 2]) - tf.maximum(b1[..., 0], b2[..., 0]), 0.0)
    inter_w = tf.maximum(tf.minimum(b1[..., 3], b2[..., 3]) - tf.maximum(b1[..., 1], b2[..., 1]), 0.0)
    intersection = inter_h * inter_w
    area1 = (b1[..., 2] - b1[..., 0]) * (b1[..., 3] - b1[..., 1])
    area2 = (b2[..., 2] - b2[..., 0]) * (b2[..., 3] - b2[..., 1])
    return tf.math.divide_no_nan(intersection, area1 + area2 - intersection)
