"""Folding an inference-mode BatchNorm into the convolution before it.

BatchNorm at inference is a per-channel affine map, ``y = gamma * (x - mean) / sqrt(var + eps)
+ beta``; after a convolution ``x = conv(input, kernel) + bias`` it is the convolution with
``kernel * s`` and ``(bias - mean) * s + beta``, where ``s = gamma / sqrt(var + eps)``
scales each output channel. One pass over the activations fewer, and TensorFlow's graph
optimizer can then fuse the ReLU into the convolution as well. The values equal conv + BN up
to float rounding (not to the bit).
"""
from __future__ import annotations

import numpy as np


def fold_batch_norm(kernel, bias, gamma, beta, mean, variance, epsilon):
    """The kernel and bias of a convolution followed by an inference-mode BatchNorm.

    kernel: [..., C_out] (Keras layout: output channels last, any kernel shape); bias: [C_out]
    or None (no bias: zeros); gamma, beta, mean, variance: [C_out]; epsilon: float.
    Returns (kernel, bias) float32 with the kernel's shape and [C_out], computed in float64.
    """
    kernel = np.asarray(kernel, np.float64)
    scale = np.asarray(gamma, np.float64) / np.sqrt(np.asarray(variance, np.float64) + epsilon)
    bias = np.zeros(kernel.shape[-1]) if bias is None else np.asarray(bias, np.float64)
    folded_bias = (bias - np.asarray(mean, np.float64)) * scale + np.asarray(beta, np.float64)
    return (kernel * scale).astype(np.float32), folded_bias.astype(np.float32)
