"""torchvision's RoIAlign (``aligned=False``) and ``MultiScaleRoIAlign`` with its LevelMapper.

Shape shorthand: B images, N boxes per image, K boxes in all, S output size, C channels.
Boxes are float32 (y1, x1, y2, x2) in pixels of the padded input image (torchvision's ROI
heads work in pixels).

torchvision's RoIAlign is not ``tf.image.crop_and_resize``: each of the S x S output bins
averages a sampling_ratio x sampling_ratio grid of bilinear samples, the box is scaled by the
level's spatial scale with no half-pixel offset, its sides are at least 1 feature pixel, and
a sample (y, x) outside [-1, H] x [-1, W] is zero while one inside is clamped to
[0, H - 1] x [0, W - 1]. Here: the feature map is padded by one replicated pixel on each side
(so a sample in [-1, 0) reads row 0, as the clamp does, and one beyond [-1, H] falls outside
and reads crop_and_resize's zero extrapolation), crop_and_resize samples the
(S * ratio) x (S * ratio) grid, and an average pool of ratio x ratio makes the bins.
"""
from __future__ import annotations

import tensorflow as tf

CANONICAL_SCALE = 224.0  # torchvision LevelMapper defaults (Eqn. 1 in the FPN paper)
CANONICAL_LEVEL = 4
LEVEL_EPS = 1e-6


def roi_align_torchvision(feature_map, boxes, box_indices, *, spatial_scale, output_size,
                          sampling_ratio=2):
    """RoIAlign of one feature map, as torchvision.ops.roi_align(..., aligned=False).

    feature_map: float32 [B, H, W, C]; boxes: float32 [K, 4] (y1, x1, y2, x2) image pixels;
    box_indices: int32 [K] image of each box; spatial_scale: feature pixels per image pixel
    (1/4 for stride 4); output_size: S; sampling_ratio: samples per bin side (> 0).
    Returns float32 [K, S, S, C].
    """
    grid = output_size * sampling_ratio
    shape = tf.shape(feature_map)
    height = tf.cast(shape[1], tf.float32)
    width = tf.cast(shape[2], tf.float32)
    padded = tf.pad(feature_map, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC")
    start = boxes * spatial_scale
    size_y = tf.maximum(start[:, 2] - start[:, 0], 1.0)
    size_x = tf.maximum(start[:, 3] - start[:, 1], 1.0)
    step_y = size_y / grid
    step_x = size_x / grid
    # first and last sample, +1 for the padding; crop_and_resize spaces the rest evenly
    # between them and maps normalized 0..1 to padded pixels 0..H + 1
    y_first = start[:, 0] + 0.5 * step_y + 1.0
    x_first = start[:, 1] + 0.5 * step_x + 1.0
    y_last = start[:, 0] + (grid - 0.5) * step_y + 1.0
    x_last = start[:, 1] + (grid - 0.5) * step_x + 1.0
    crop_boxes = tf.stack([y_first / (height + 1.0), x_first / (width + 1.0),
                           y_last / (height + 1.0), x_last / (width + 1.0)], axis=1)
    samples = tf.image.crop_and_resize(padded, crop_boxes, box_indices, [grid, grid],
                                       method="bilinear", extrapolation_value=0.0)
    return tf.nn.avg_pool2d(samples, sampling_ratio, sampling_ratio, "VALID")


def roi_levels_torchvision(boxes, *, k_min=2, k_max=5, canonical_scale=CANONICAL_SCALE,
                           canonical_level=CANONICAL_LEVEL, eps=LEVEL_EPS):
    """torchvision's LevelMapper: int32 [...] pyramid level in [k_min, k_max] per box.

    boxes: float32 [..., 4] (y1, x1, y2, x2) pixels.
    level = floor(canonical_level + log2(sqrt(area) / canonical_scale) + eps), clamped
    (floor, not matterport's round); empty or NaN boxes get k_min.
    """
    area = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    scale = tf.sqrt(area)
    level = tf.floor(canonical_level + tf.math.log(scale / canonical_scale) / tf.math.log(2.0)
                     + eps)
    level = tf.clip_by_value(level, float(k_min), float(k_max))
    level = tf.where(tf.math.is_nan(level), float(k_min), level)
    return tf.cast(level, tf.int32)


def multiscale_roi_align_torchvision(boxes, feature_maps, *, output_size, sampling_ratio=2,
                                     min_level=2):
    """torchvision's MultiScaleRoIAlign over [P2, P3, P4, P5] (strides 2**level).

    boxes: float32 [B, N, 4] (y1, x1, y2, x2) pixels of the padded image; feature_maps: list
    of float32 [B, Hl, Wl, C] for levels min_level, min_level + 1, ...
    Returns float32 [B, N, S, S, C], boxes in their original order.
    """
    batch = tf.shape(boxes)[0]
    count = tf.shape(boxes)[1]
    flat_boxes = tf.reshape(boxes, [-1, 4])
    box_images = tf.repeat(tf.range(batch), count)
    max_level = min_level + len(feature_maps) - 1
    levels = roi_levels_torchvision(flat_boxes, k_min=min_level, k_max=max_level)
    positions, crops = [], []
    for level, feature_map in enumerate(feature_maps, start=min_level):
        ix = tf.cast(tf.where(tf.equal(levels, level))[:, 0], tf.int32)
        positions.append(ix)
        crops.append(roi_align_torchvision(
            feature_map, tf.gather(flat_boxes, ix), tf.gather(box_images, ix),
            spatial_scale=2.0 ** -level, output_size=output_size,
            sampling_ratio=sampling_ratio))
    pooled = tf.dynamic_stitch(positions, crops)
    channels = feature_maps[0].shape[-1]
    return tf.reshape(pooled, [batch, count, output_size, output_size, channels])
