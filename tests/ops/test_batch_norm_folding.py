"""ops.batch_norm_folding: a worked example, and TensorFlow's conv + fused BatchNorm as the
reference for real shapes."""
from __future__ import annotations

import numpy as np
import pytest

from mrcnn_tf.ops.batch_norm_folding import fold_batch_norm


def test_worked_example():
    # scale = gamma / sqrt(variance + epsilon) = 3 / sqrt(3 + 1) = 1.5 per the one channel
    kernel, bias = fold_batch_norm(np.full((1, 1, 1, 1), 2.0), np.array([1.0]), gamma=[3.0],
                                   beta=[0.5], mean=[1.0], variance=[3.0], epsilon=1.0)
    assert kernel.dtype == bias.dtype == np.float32
    np.testing.assert_array_equal(kernel, np.full((1, 1, 1, 1), 3.0))  # 2 * 1.5
    np.testing.assert_array_equal(bias, [0.5])  # (1 - 1) * 1.5 + 0.5


def test_no_bias_is_a_zero_bias():
    kernel, bias = fold_batch_norm(np.ones((1, 1, 2, 2)), None, gamma=[1.0, 2.0],
                                   beta=[0.0, 1.0], mean=[1.0, -1.0], variance=[0.0, 0.0],
                                   epsilon=1.0)
    np.testing.assert_array_equal(kernel[0, 0], [[1.0, 2.0], [1.0, 2.0]])
    np.testing.assert_array_equal(bias, [-1.0, 3.0])  # (0 - 1) * 1 + 0; (0 + 1) * 2 + 1


@pytest.mark.parametrize("kernel_size", [1, 3, 7])
def test_folded_convolution_computes_conv_then_batch_norm(kernel_size):
    import tensorflow as tf

    rng = np.random.default_rng(kernel_size)
    kernel = rng.normal(0, 0.2, (kernel_size, kernel_size, 5, 6)).astype(np.float32)
    bias = rng.normal(0, 0.5, 6).astype(np.float32)
    gamma, beta = rng.uniform(0.1, 3, 6), rng.normal(0, 1, 6)
    mean, variance = rng.normal(0, 1, 6), rng.uniform(0.01, 10, 6)
    x = rng.normal(0, 1, (2, 9, 9, 5)).astype(np.float32)
    conv = tf.nn.conv2d(x, kernel, strides=1, padding="SAME") + bias
    expected = tf.raw_ops.FusedBatchNormV3(
        x=conv, scale=gamma.astype(np.float32), offset=beta.astype(np.float32),
        mean=mean.astype(np.float32), variance=variance.astype(np.float32), epsilon=1e-3,
        is_training=False)[0]
    folded_kernel, folded_bias = fold_batch_norm(kernel, bias, gamma, beta, mean, variance, 1e-3)
    folded = tf.nn.conv2d(x, folded_kernel, strides=1, padding="SAME") + folded_bias
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(folded, expected, rtol=0, atol=2e-6 * scale)


def test_statistics_must_match_the_output_channels():
    with pytest.raises(ValueError, match=r"moving_variance has shape \(3,\).*4 output channels"):
        fold_batch_norm(np.ones((1, 1, 2, 4)), None, np.ones(4), np.zeros(4), np.zeros(4),
                        np.ones(3), 1e-3)
