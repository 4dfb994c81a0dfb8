"""Pyramid ROIAlign: crop each box from the pyramid level that suits its size.

Shape shorthand: B images, N boxes per image, L levels (P2..P5), S pool size, C channels.
Boxes are normalized (y1, x1, y2, x2).
"""
from __future__ import annotations

import tensorflow as tf

MIN_LEVEL, MAX_LEVEL = 2, 5
CANONICAL_SIZE = 224.0  # a 224x224 box (ImageNet size) maps to level 4 (Eqn. 1, FPN paper)
CANONICAL_LEVEL = 4


def roi_levels(boxes, image_area):
    """Pyramid level per box: int32 [...] in [2, 5], for any input.

    boxes: float32 [..., 4] normalized; image_area: molded image area in pixels (scalar).
    Level = min(5, max(2, 4 + round(log2(sqrt(h * w) / (224 / sqrt(image_area)))))), with h, w
    normalized; round is half-to-even, as tf.round.
    """
    h = boxes[..., 2] - boxes[..., 0]
    w = boxes[..., 3] - boxes[..., 1]
    scale = CANONICAL_SIZE / tf.sqrt(tf.cast(image_area, tf.float32))
    level = tf.math.log(tf.sqrt(h * w) / scale) / tf.math.log(2.0)
    # zero-size (padding) boxes give -inf: clip in float before the cast; NaN boxes (never
    # from clipped boxes) get the lowest level rather than none
    level = tf.clip_by_value(CANONICAL_LEVEL + tf.round(level), MIN_LEVEL, MAX_LEVEL)
    level = tf.where(tf.math.is_nan(level), float(MIN_LEVEL), level)
    return tf.cast(level, tf.int32)


def pyramid_roi_align(boxes, feature_maps, image_shape, pool_size):
    """Crop and resize every box from its pyramid level.

    boxes: float32 [B, N, 4] normalized. feature_maps: list of L float32 [B, Hl, Wl, C] for
    P2..P5. image_shape: int [>=2] molded (height, width, ...), used for the box levels.
    pool_size: S. Returns float32 [B, N, S, S, C], boxes in their original order; each crop is
    ``tf.image.crop_and_resize`` (bilinear) of its level's map.
    """
    batch = tf.shape(boxes)[0]
    count = tf.shape(boxes)[1]
    flat_boxes = tf.reshape(boxes, [-1, 4])
    box_images = tf.repeat(tf.range(batch), count)
    image_area = tf.cast(image_shape[0], tf.float32) * tf.cast(image_shape[1], tf.float32)
    levels = roi_levels(flat_boxes, image_area)
    positions, crops = [], []
    for level, feature_map in zip(range(MIN_LEVEL, MAX_LEVEL + 1), feature_maps):
        ix = tf.cast(tf.where(tf.equal(levels, level))[:, 0], tf.int32)
        positions.append(ix)
        crops.append(tf.image.crop_and_resize(
            feature_map, tf.stop_gradient(tf.gather(flat_boxes, ix)),
            tf.stop_gradient(tf.gather(box_images, ix)), [pool_size, pool_size],
            method="bilinear"))
    pooled = tf.dynamic_stitch(positions, crops)
    channels = feature_maps[0].shape[-1]
    return tf.reshape(pooled, [batch, count, pool_size, pool_size, channels])
