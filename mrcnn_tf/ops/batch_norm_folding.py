"""Folding an inference BatchNorm into the convolution before it.

BatchNorm with moving statistics is an affine map per output channel c:
``y = (x - mean[c]) * gamma[c] / sqrt(variance[c] + epsilon) + beta[c]``. After a convolution
with kernel K and bias b, it equals one convolution with kernel ``K * scale`` and bias
``(b - mean) * scale + beta``, where ``scale = gamma / sqrt(variance + epsilon)``. The folded
model computes the same function with one op less per layer; its float rounding differs from
the unfolded one's (not matterport's numbers to the last bit, so only the fast mode folds).
"""
from __future__ import annotations

import numpy as np


def fold_batch_norm(kernel, bias, gamma, beta, mean, variance, epsilon):
    """(kernel, bias) of the convolution that computes BatchNorm(conv(x, kernel) + bias).

    kernel: [..., C] with output channels last (Conv2D's [kh, kw, C_in, C]); bias: [C] or
    None (no bias: zero); gamma, beta, mean, variance: [C]; epsilon: float.
    Returns float32 (kernel [..., C], bias [C]): the scale and bias computed in float64, the
    kernel as one float32 product (correctly rounded; no float64 copy of a large kernel).
    """
    kernel = np.asarray(kernel, np.float32)
    channels = kernel.shape[-1]
    stats = [np.asarray(v, np.float64) for v in (gamma, beta, mean, variance)]
    for label, value in zip(("gamma", "beta", "moving_mean", "moving_variance"), stats):
        if value.shape != (channels,):
            raise ValueError(f"BatchNorm {label} has shape {value.shape}; the kernel "
                             f"{kernel.shape} has {channels} output channels")
    gamma, beta, mean, variance = stats
    bias = np.zeros(channels) if bias is None else np.asarray(bias, np.float64)
    scale = gamma / np.sqrt(variance + epsilon)
    return kernel * scale.astype(np.float32), ((bias - mean) * scale + beta).astype(np.float32)
