"""The numpy names that the shared numpy/graph descriptions use (``xp=``), as TensorFlow ops.

ops.torchvision_resize.resize_geometry, ops.torchvision_anchors.grid_anchors and
ops.torchvision_masks.expand_boxes / paste_box are written once against these names; numpy runs
them for detect(), this namespace runs them in the export's graph (where
``tf.experimental.numpy.arange`` cannot take a symbolic size).
"""
from __future__ import annotations

import tensorflow as tf


def asarray(value, dtype=None):
    """A tensor of value, cast to dtype (a numpy or TensorFlow dtype) when given."""
    tensor = tf.convert_to_tensor(value)
    return tensor if dtype is None else tf.cast(tensor, tf.as_dtype(dtype))


def arange(stop):
    return tf.range(stop)


def concatenate(values, axis=0):
    return tf.concat(values, axis=axis)


minimum = tf.minimum
maximum = tf.maximum
floor = tf.floor
meshgrid = tf.meshgrid
stack = tf.stack
reshape = tf.reshape
