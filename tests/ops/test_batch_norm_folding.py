"""ops.batch_norm_folding: conv + inference BatchNorm as one convolution."""
from __future__ import annotations

import numpy as np

from mrcnn_tf.ops.batch_norm_folding import fold_batch_norm


def _conv1x1(x, kernel, bias):
    return x @ kernel[0, 0] + bias


def _batch_norm(y, gamma, beta, mean, variance, epsilon):
    return gamma * (y - mean) / np.sqrt(variance + epsilon) + beta


def test_worked_example():
    """One channel: y = 2x + 1, then BN with gamma 3, beta 0.5, mean 1, var 4 - eps:
    3 * (2x + 1 - 1) / 2 + 0.5 = 3x + 0.5."""
    kernel, bias = fold_batch_norm(np.full((1, 1, 1, 1), 2.0), [1.0], [3.0], [0.5], [1.0],
                                   [4.0 - 1e-3], 1e-3)
    np.testing.assert_allclose(kernel, np.full((1, 1, 1, 1), 3.0))
    np.testing.assert_allclose(bias, [0.5])
    assert kernel.dtype == bias.dtype == np.float32


def test_folded_convolution_equals_conv_then_batch_norm():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 5))
    kernel, bias = rng.normal(size=(1, 1, 5, 7)), rng.normal(size=7)
    gamma, beta, mean = rng.normal(size=7), rng.normal(size=7), rng.normal(size=7)
    variance = rng.random(7) + 0.1
    expected = _batch_norm(_conv1x1(x, kernel, bias), gamma, beta, mean, variance, 1e-3)
    folded = fold_batch_norm(kernel, bias, gamma, beta, mean, variance, 1e-3)
    np.testing.assert_allclose(_conv1x1(x, *folded), expected, rtol=1e-5, atol=1e-5)


def test_scales_output_channels_of_any_kernel_shape():
    kernel = np.ones((3, 3, 4, 2))
    folded, bias = fold_batch_norm(kernel, None, [1.0, 2.0], [0.0, 0.0], [0.0, 0.0],
                                   [1.0, 1.0], 0.0)
    assert folded.shape == (3, 3, 4, 2)
    np.testing.assert_array_equal(folded[..., 0], 1.0)
    np.testing.assert_array_equal(folded[..., 1], 2.0)
    np.testing.assert_array_equal(bias, [0.0, 0.0])  # no bias: zeros
