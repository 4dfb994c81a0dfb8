"""In-graph bilinear resize that reproduces scikit-image's, as matterport uses it (ops.resize's
resize in TensorFlow ops, for the export's in-graph molding and mask pasting).

matterport resizes with ``skimage.transform.resize(order=1, mode="constant", cval=0,
clip=True, anti_aliasing=False)``, i.e. ``scipy.ndimage.zoom`` with ``grid_mode=True``:
output pixel ``o`` samples input coordinate ``(o + 0.5) * in / out - 0.5``; neighbours outside
the image count as 0 (so border pixels are darkened, unlike ``tf.image.resize``, which repeats
the edge); the result is clipped to the input's value range. This module computes the same in
float64, with scipy's weights (``w0 = 1 - t``, ``w1 = 1 - w0``) and summation order, so the
result is bit-identical to scikit-image's, not merely close.
"""
from __future__ import annotations

import tensorflow as tf


def _axis_taps(in_size, out_size):
    """Sampling taps along one axis.

    in_size, out_size: int32 scalars. Returns (index int32 [out] of the first neighbour in an
    input padded by one zero on each side, w0 float64 [out], w1 float64 [out]).
    """
    zoom = tf.cast(in_size, tf.float64) / tf.cast(out_size, tf.float64)
    coords = (tf.range(out_size, dtype=tf.float64) + 0.5) * zoom - 0.5
    start = tf.floor(coords)
    w0 = 1.0 - (coords - start)
    w1 = 1.0 - w0
    return tf.cast(start, tf.int32) + 1, w0, w1


def resize_bilinear(image, out_height, out_width):
    """Resize like skimage's ``resize(order=1, mode="constant", clip=True, anti_aliasing=False)``.

    image: [h, w, C] any real dtype (h, w >= 1); out_height, out_width: int32 scalars >= 1.
    Returns float64 [out_height, out_width, C], clipped to [min(image), max(image)].
    """
    image = tf.cast(image, tf.float64)
    shape = tf.shape(image)
    padded = tf.pad(image, [[1, 1], [1, 1], [0, 0]])
    rows, wy0, wy1 = _axis_taps(shape[0], out_height)
    cols, wx0, wx1 = _axis_taps(shape[1], out_width)
    wy0, wy1 = wy0[:, None, None], wy1[:, None, None]
    wx0, wx1 = wx0[None, :, None], wx1[None, :, None]
    top = tf.gather(padded, rows)
    bottom = tf.gather(padded, rows + 1)
    out = (tf.gather(top, cols, axis=1) * wy0) * wx0
    out += (tf.gather(top, cols + 1, axis=1) * wy0) * wx1
    out += (tf.gather(bottom, cols, axis=1) * wy1) * wx0
    out += (tf.gather(bottom, cols + 1, axis=1) * wy1) * wx1
    return tf.clip_by_value(out, tf.reduce_min(image), tf.reduce_max(image))
