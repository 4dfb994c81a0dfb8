"""FusedBatchNorm: Keras's BatchNormalization that, in inference mode, runs TensorFlow's fused
kernel (FusedBatchNormV3), as tf-keras (and so matterport's model) does.

Keras 3 computes inference BatchNorm as separate ops (subtract, rsqrt, multiply, add), whose
float rounding differs from the fused kernel's in the last bit (about two thirds of
``bn_conv1``'s outputs differ by up to ~1e-6); the differences grow through a ResNet and flip
borderline ROIs. The fused kernel reproduces matterport's numbers, and TensorFlow's graph
optimizer can fold it into the preceding convolution as it does for matterport's graph.
Training mode (batch statistics) keeps Keras's own path. Same weights, names and config as
BatchNormalization, so matterport's HDF5 files load unchanged.

Built with ``fold_into=CONV_NAME`` (Config.FOLD_BATCH_NORM, inference only) the layer is the
identity: weights.hdf5.load_weights folds its file values into that convolution's kernel and
bias (ops.batch_norm_folding), saving one pass over every feature map.
"""
from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class FusedBatchNorm(keras.layers.BatchNormalization):
    """BatchNormalization over the last axis of NHWC inputs [B, H, W, C]; inference mode runs
    ``tf.raw_ops.FusedBatchNormV3`` (float32 statistics; float32, bfloat16 or float16 input).

    Built under a pure low-precision policy ("bfloat16", as modeling.precision's
    low_precision_weights sets, or "float16") it takes the mixed one instead, keeping its
    statistics in float32.

    fold_into: None, or the name of the convolution whose outputs this layer normalizes and
    which holds it folded (see the module docstring); the layer then passes its input
    through, in inference only."""

    def __init__(self, *args, dtype=None, fold_into=None, **kwargs):
        policy = keras.config.dtype_policy().name
        if dtype is None and policy in ("bfloat16", "float16"):
            dtype = f"mixed_{policy}"
        super().__init__(*args, dtype=dtype, **kwargs)
        self.fold_into = fold_into

    def call(self, inputs, training=None, mask=None):
        if self.fold_into is not None:
            if training and self.trainable:
                raise ValueError(f"BatchNorm {self.name!r} is folded into {self.fold_into!r} "
                                 "(FOLD_BATCH_NORM, inference only) and cannot train")
            return inputs
        fusable = (len(inputs.shape) == 4 and self.axis in (-1, 3) and self.scale
                   and self.center and mask is None)
        if (training and self.trainable) or not fusable:
            return super().call(inputs, training=training, mask=mask)
        outputs = tf.raw_ops.FusedBatchNormV3(
            x=inputs, scale=tf.cast(self.gamma, tf.float32),
            offset=tf.cast(self.beta, tf.float32),
            mean=tf.cast(self.moving_mean, tf.float32),
            variance=tf.cast(self.moving_variance, tf.float32), epsilon=self.epsilon,
            exponential_avg_factor=1.0, data_format="NHWC", is_training=False)
        return outputs[0]

    def get_config(self):
        return {**super().get_config(), "fold_into": self.fold_into}
