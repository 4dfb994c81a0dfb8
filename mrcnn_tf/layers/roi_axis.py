"""Fold the ROI axis into the batch axis and back, so per-ROI heads run as plain 2-D layers.

matterport wraps each head layer in TimeDistributed; folding [B, N, ...] to [B * N, ...] once
computes the same thing with one convolution per layer instead of one per ROI. With a validity
mask [B, N] only the valid ROIs are folded (K of them) and the others come back as zeros, so a
head does no work on padding rows.

K may be 0 (an image with no detections), and oneDNN's convolution and BatchNorm kernels (used
by default on CPUs with AVX512/AMX) fail on an empty batch ("Incompatible shapes: [0,28,28,256]
vs. [1,1,1,81]"). So the folded batch always carries one extra row after the K valid ones (a
copy of ROI 0 of image 0, whatever its validity), which SplitRoiAxis drops again: the head never
sees an empty batch, on any kernel.
"""
from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class MergeRoiAxis(keras.layers.Layer):
    """x [B, N, *rest] -> [B * N, *rest]; or [x, valid bool [B, N]] -> [K + 1, *rest]: the K
    valid rows, then x[0, 0] as a spare row so the result is never empty (see module docstring)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, inputs):
        if isinstance(inputs, (list, tuple)):
            x, valid = inputs
            return tf.concat([tf.boolean_mask(x, valid), x[:1, 0]], axis=0)
        return tf.reshape(inputs, tf.concat([[-1], tf.shape(inputs)[2:]], axis=0))

    def compute_output_shape(self, input_shape):
        x = input_shape[0] if isinstance(input_shape, (list, tuple)) and isinstance(
            input_shape[0], (list, tuple)) else input_shape
        return (None,) + tuple(x[2:])


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class SplitRoiAxis(keras.layers.Layer):
    """[x [B * N, *rest], reference [B, N, ...]] -> [B, N, *rest]; or
    [x [K + 1, *rest], reference, valid bool [B, N]] -> [B, N, *rest] with zeros where not
    valid (the spare last row of MergeRoiAxis is dropped).
    Always float32: head outputs leave mixed precision here."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, inputs):
        x, reference = inputs[:2]
        shape = tf.concat([tf.shape(reference)[:2], tf.shape(x)[1:]], axis=0)
        if len(inputs) == 3:
            return tf.scatter_nd(tf.where(inputs[2]), x[:-1], tf.cast(shape, tf.int64))
        return tf.reshape(x, shape)

    def compute_output_shape(self, input_shape):
        x, reference = input_shape[:2]
        return tuple(reference[:2]) + tuple(x[1:])
