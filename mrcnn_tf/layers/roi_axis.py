"""Fold the ROI axis into the batch axis and back, so per-ROI heads run as plain 2-D layers.

matterport wraps each head layer in TimeDistributed; folding [B, N, ...] to [B * N, ...] once
computes the same thing with one convolution per layer instead of one per ROI. With a validity
mask [B, N] only the valid ROIs are folded (K of them) and the others come back as zeros, so a
head does no work on padding rows.
"""
from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class MergeRoiAxis(keras.layers.Layer):
    """x [B, N, *rest] -> [B * N, *rest]; or [x, valid bool [B, N]] -> [K, *rest], the valid rows."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, inputs):
        if isinstance(inputs, (list, tuple)):
            x, valid = inputs
            return tf.boolean_mask(x, valid)
        return tf.reshape(inputs, tf.concat([[-1], tf.shape(inputs)[2:]], axis=0))

    def compute_output_shape(self, input_shape):
        x = input_shape[0] if isinstance(input_shape, (list, tuple)) and isinstance(
            input_shape[0], (list, tuple)) else input_shape
        return (None,) + tuple(x[2:])


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class SplitRoiAxis(keras.layers.Layer):
    """[x [B * N, *rest], reference [B, N, ...]] -> [B, N, *rest]; or
    [x [K, *rest], reference, valid bool [B, N]] -> [B, N, *rest] with zeros where not valid.
    Always float32: head outputs leave mixed precision here."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, inputs):
        x, reference = inputs[:2]
        shape = tf.concat([tf.shape(reference)[:2], tf.shape(x)[1:]], axis=0)
        if len(inputs) == 3:
            return tf.scatter_nd(tf.where(inputs[2]), x, tf.cast(shape, tf.int64))
        return tf.reshape(x, shape)

    def compute_output_shape(self, input_shape):
        x, reference = input_shape[:2]
        return tuple(reference[:2]) + tuple(x[1:])
