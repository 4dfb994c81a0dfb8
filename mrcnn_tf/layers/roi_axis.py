"""Fold the ROI axis into the batch axis and back, so per-ROI heads run as plain 2-D layers.

matterport wraps each head layer in TimeDistributed; folding [B, N, ...] to [B * N, ...] once
computes the same thing with one convolution per layer instead of one per ROI.
"""
from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class MergeRoiAxis(keras.layers.Layer):
    """[B, N, *rest] -> [B * N, *rest]."""

    def call(self, inputs):
        return tf.reshape(inputs, tf.concat([[-1], tf.shape(inputs)[2:]], axis=0))

    def compute_output_shape(self, input_shape):
        return (None,) + tuple(input_shape[2:])


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class SplitRoiAxis(keras.layers.Layer):
    """Inputs [x [B * N, *rest], reference [B, N, ...]] -> [B, N, *rest]."""

    def call(self, inputs):
        x, reference = inputs
        return tf.reshape(x, tf.concat([tf.shape(reference)[:2], tf.shape(x)[1:]], axis=0))

    def compute_output_shape(self, input_shape):
        x, reference = input_shape
        return tuple(reference[:2]) + tuple(x[1:])
