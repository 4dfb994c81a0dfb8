"""ROIAlign from gathers and bilinear arithmetic, without CropAndResize (issue 29).

Converters to ONNX, OpenVINO and LiteRT handle ``CropAndResize`` badly or not at all; these ops
give the same results from ops every target has: Gather, Floor, Minimum/Maximum, Select,
arithmetic, Reshape and Mean. No while loops, no map_fn; K, B, H, W and C may be unknown at
trace time, crop and output sizes are Python ints.

Shape shorthand: B images, K boxes, C channels, H x W the feature map.
Feature-pixel coordinates: (0, 0) is the centre of the top-left pixel, (H - 1, W - 1) that of
the bottom-right one.

- ``crop_and_resize_portable``: ``tf.image.crop_and_resize(..., method="bilinear")``.
- ``roi_align_torchvision_portable``: ``torchvision_roi_align.roi_align_torchvision``, i.e.
  ``torchvision.ops.roi_align(..., aligned=False)``.

Both place their samples and decide which are valid, then share ``_bilinear_gather``.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf


def _dim(tensor, axis):
    """Static size of an axis if known, else its dynamic int32 scalar."""
    static = tensor.shape[axis]
    return static if static is not None else tf.shape(tensor)[axis]


def _column(size):
    """size (a Python int, a scalar or int32 [K]) as float32 [K or 1, 1] and int32 likewise."""
    size = tf.reshape(tf.convert_to_tensor(size, tf.int32), [-1, 1])
    return tf.cast(size, tf.float32), size


def _bilinear_gather(table, base, height, width, y, x, valid_y, valid_x, outside_value=0.0):
    """Bilinear samples on the grid y x x of each box, as [K, Sy, Sx, C].

    table: float32 [N, C], feature maps flattened to one row per pixel; base: int32 [K] the
    row of each box's map's pixel (0, 0); height, width: each box's map size (ints, or int32
    [K]); y: float32 [K, Sy], x: float32 [K, Sx] sample coordinates in feature pixels;
    valid_y: bool [K, Sy], valid_x: bool [K, Sx]: sample (i, j) is valid when both are true,
    an invalid sample is outside_value.
    A valid coordinate is first clamped to [0, H - 1] (x: [0, W - 1]); the low neighbour is
    floor(y), the high one floor(y) + 1 capped at H - 1, weights y - floor(y) and its
    complement (at y = H - 1 both neighbours are row H - 1).
    Returns float32 [K, Sy, Sx, C].
    """
    def neighbours(coords, size):
        size_float, size = _column(size)
        coords = tf.clip_by_value(coords, 0.0, size_float - 1.0)
        low = tf.floor(coords)
        low_index = tf.cast(low, tf.int32)
        return low_index, tf.minimum(low_index + 1, size - 1), coords - low

    y_low, y_high, y_frac = neighbours(y, height)
    x_low, x_high, x_frac = neighbours(x, width)
    row_length = _column(width)[1]
    origin = tf.reshape(tf.cast(base, tf.int32), [-1, 1])
    rows_low = origin + y_low * row_length  # [K, Sy] table row of column 0
    rows_high = origin + y_high * row_length

    def corner(rows, columns):
        return tf.gather(table, rows[:, :, None] + columns[:, None, :])  # [K, Sy, Sx, C]

    x_weight = x_frac[:, None, :, None]
    top_left = corner(rows_low, x_low)
    top = top_left + (corner(rows_low, x_high) - top_left) * x_weight
    bottom_left = corner(rows_high, x_low)
    bottom = bottom_left + (corner(rows_high, x_high) - bottom_left) * x_weight
    values = top + (bottom - top) * y_frac[:, :, None, None]
    valid = tf.logical_and(valid_y[:, :, None], valid_x[:, None, :])[..., None]
    return tf.where(valid, values, tf.constant(outside_value, tf.float32))


def _one_map(feature_map, box_indices):
    """(table [B * H * W, C], base int32 [K], H, W) of one feature map [B, H, W, C]."""
    height, width = _dim(feature_map, 1), _dim(feature_map, 2)
    table = tf.reshape(feature_map, tf.stack([-1, _dim(feature_map, 3)]))
    return table, tf.cast(box_indices, tf.int32) * (height * width), height, width


def _pyramid(feature_maps, box_indices, levels):
    """(table, base int32 [K], height int32 [K], width int32 [K]) of each box's own level:
    every level [B, H_l, W_l, C] flattened into one table [sum of B * H_l * W_l, C]; levels:
    int32 [K] each box's position in feature_maps."""
    tables, starts, heights, widths = [], [], [], []
    start = 0
    for feature_map in feature_maps:
        height, width = _dim(feature_map, 1), _dim(feature_map, 2)
        tables.append(tf.reshape(feature_map, tf.stack([-1, _dim(feature_map, 3)])))
        starts.append(start)
        heights.append(height)
        widths.append(width)
        start = start + _dim(feature_map, 0) * height * width
    pick = lambda values: tf.gather(tf.stack(values), levels)  # noqa: E731
    height, width = pick(heights), pick(widths)
    base = pick(starts) + tf.cast(box_indices, tf.int32) * height * width
    return tf.concat(tables, axis=0), base, height, width


def _crop_coordinates(start, end, size, count):
    """crop_and_resize's sample positions: float32 [K, count] feature pixels, and validity.

    start, end: float32 [K] normalized box sides; size: H (or W), an int or int32 [K]. As
    TensorFlow's kernel: start * (size - 1) + i * (end - start) * (size - 1) / (count - 1),
    or for count == 1 the centre 0.5 * (start + end) * (size - 1); valid when inside
    [0, size - 1].
    """
    last = _column(size)[0] - 1.0  # [K or 1, 1]
    if count == 1:
        coords = (0.5 * (start + end))[:, None] * last
    else:
        step = (end - start)[:, None] * last / float(count - 1)
        coords = start[:, None] * last + np.arange(count, dtype=np.float32) * step
    return coords, tf.logical_and(coords >= 0.0, coords <= last)


def _crop_and_resize(table, base, height, width, boxes, crop_size, extrapolation_value):
    crop_h, crop_w = (int(size) for size in crop_size)
    if crop_h < 1 or crop_w < 1:
        raise ValueError(f"crop_size must be positive, got {crop_size}")
    boxes = tf.convert_to_tensor(boxes, tf.float32)
    y, valid_y = _crop_coordinates(boxes[:, 0], boxes[:, 2], height, crop_h)
    x, valid_x = _crop_coordinates(boxes[:, 1], boxes[:, 3], width, crop_w)
    return _bilinear_gather(table, base, height, width, y, x, valid_y, valid_x,
                            extrapolation_value)


def crop_and_resize_portable(feature_map, boxes, box_indices, crop_size,
                             extrapolation_value=0.0):
    """tf.image.crop_and_resize(method="bilinear") from gathers.

    feature_map: float32 [B, H, W, C]; boxes: float32 [K, 4] normalized (y1, x1, y2, x2) where
    (0, 0) is the centre of the top-left pixel and (1, 1) that of the bottom-right one
    (y1 > y2 flips the crop); box_indices: int32 [K] in [0, B); crop_size: (crop_h, crop_w)
    Python ints >= 1. Row i samples y = y1 * (H - 1) + i * (y2 - y1) * (H - 1) / (crop_h - 1)
    (crop_h == 1: y = 0.5 * (y1 + y2) * (H - 1)), columns likewise; samples outside
    [0, H - 1] x [0, W - 1] are extrapolation_value.
    Returns float32 [K, crop_h, crop_w, C].
    """
    feature_map = tf.convert_to_tensor(feature_map, tf.float32)
    return _crop_and_resize(*_one_map(feature_map, box_indices), boxes, crop_size,
                            extrapolation_value)


def pyramid_crop_and_resize_portable(feature_maps, boxes, box_indices, levels, crop_size):
    """crop_and_resize_portable of each box on its own level only: feature_maps a list of
    float32 [B, H_l, W_l, C]; levels int32 [K], each box's position in that list; boxes,
    box_indices, crop_size as crop_and_resize_portable (extrapolation value 0). One gather
    over the levels flattened together, instead of every box on every level.
    Returns float32 [K, crop_h, crop_w, C]."""
    return _crop_and_resize(*_pyramid(feature_maps, box_indices, levels), boxes, crop_size,
                            0.0)


def _roi_coordinates(start, end, size, spatial_scale, output_size, sampling_ratio):
    """torchvision's sample positions: float32 [K, S * ratio] feature pixels, and validity.

    start, end: float32 [K] box sides in image pixels; size: H (or W), an int or int32 [K];
    spatial_scale: a float or float32 [K]. As torchvision's kernel (aligned=False):
    roi_start = start * scale, bin = max(end * scale - roi_start, 1) / S, sample
    ph * ratio + i at roi_start + ph * bin + (i + 0.5) * bin / ratio; valid when inside
    [-1, size].
    """
    roi_start = start * spatial_scale
    bin_size = tf.maximum(end * spatial_scale - roi_start, 1.0) / float(output_size)
    bins = np.repeat(np.arange(output_size), sampling_ratio).astype(np.float32)
    offsets = np.tile(np.arange(sampling_ratio) + 0.5, output_size).astype(np.float32)
    coords = (roi_start[:, None] + bins * bin_size[:, None]
              + offsets * bin_size[:, None] / float(sampling_ratio))
    limit = _column(size)[0]
    return coords, tf.logical_and(coords >= -1.0, coords <= limit)


def _roi_align(table, base, height, width, boxes, spatial_scale, output_size, sampling_ratio):
    output_size, sampling_ratio = int(output_size), int(sampling_ratio)
    if output_size < 1 or sampling_ratio < 1:
        raise ValueError("output_size and sampling_ratio must be positive, got "
                         f"{output_size}, {sampling_ratio}")
    boxes = tf.convert_to_tensor(boxes, tf.float32)
    args = (spatial_scale, output_size, sampling_ratio)
    y, valid_y = _roi_coordinates(boxes[:, 0], boxes[:, 2], height, *args)
    x, valid_x = _roi_coordinates(boxes[:, 1], boxes[:, 3], width, *args)
    samples = _bilinear_gather(table, base, height, width, y, x, valid_y, valid_x)
    # [K, S * r, S * r, C] -> mean over each bin's r rows, then its r columns (4-D at most)
    count = _dim(boxes, 0)
    channels = _dim(table, 1)
    size, ratio = output_size, sampling_ratio
    rows = tf.reduce_mean(tf.reshape(samples, tf.stack([count, size, ratio,
                                                        size * ratio * channels])), axis=2)
    bins = tf.reduce_mean(tf.reshape(rows, tf.stack([count * size, size, ratio, channels])),
                          axis=2)
    return tf.reshape(bins, tf.stack([count, size, size, channels]))


def roi_align_torchvision_portable(feature_map, boxes, box_indices, *, spatial_scale,
                                   output_size, sampling_ratio=2):
    """torchvision.ops.roi_align(..., aligned=False) from gathers; as roi_align_torchvision.

    feature_map: float32 [B, H, W, C]; boxes: float32 [K, 4] (y1, x1, y2, x2) image pixels;
    box_indices: int32 [K] image of each box; spatial_scale: feature pixels per image pixel
    (1/4 for stride 4); output_size: S; sampling_ratio: samples per bin side (> 0).
    The box is scaled with no half-pixel offset, its sides are at least 1 feature pixel; each
    of the S x S bins averages ratio x ratio bilinear samples at
    bin_start + (i + 0.5) * bin_size / ratio; a sample with y < -1 or y > H (x likewise) is
    zero, otherwise y is clamped to [0, H - 1] (x to [0, W - 1]).
    Returns float32 [K, S, S, C].
    """
    feature_map = tf.convert_to_tensor(feature_map, tf.float32)
    return _roi_align(*_one_map(feature_map, box_indices), boxes, spatial_scale, output_size,
                      sampling_ratio)


def pyramid_roi_align_torchvision_portable(feature_maps, boxes, box_indices, levels, *,
                                           spatial_scales, output_size, sampling_ratio=2):
    """roi_align_torchvision_portable of each box on its own level only: feature_maps a list
    of float32 [B, H_l, W_l, C]; levels int32 [K], each box's position in that list;
    spatial_scales: one float per level. One gather over the levels flattened together.
    Returns float32 [K, S, S, C]."""
    scale = tf.gather(tf.constant(spatial_scales, tf.float32), levels)
    return _roi_align(*_pyramid(feature_maps, box_indices, levels), boxes, scale, output_size,
                      sampling_ratio)
