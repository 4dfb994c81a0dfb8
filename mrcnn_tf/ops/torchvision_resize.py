"""torchvision's image resizing (``GeneralizedRCNNTransform``) and PyTorch's bilinear rule.

``F.interpolate(mode="bilinear", align_corners=False)`` samples output pixel i of an axis at
source coordinate (i + 0.5) * in / out - 0.5, clamped below at 0, and blends the two source
pixels around it (the upper one clamped to the last); that is separable, so a resize is one
[out, in] interpolation matrix per axis.
"""
from __future__ import annotations

import numpy as np


def resize_geometry(height, width, min_size, max_size, xp=np) -> tuple:
    """(new_height, new_width, scale) torchvision gives an image, one description for numpy
    and the graph: scale = min(min_size / short side, max_size / long side), sides
    floor(side * scale) (F.interpolate with scale_factor and recompute_scale_factor=True).
    height, width: float64 (numpy, or tensors with xp=ops.xp_graph)."""
    scale = xp.minimum(min_size / xp.minimum(height, width), max_size / xp.maximum(height, width))
    return xp.floor(height * scale), xp.floor(width * scale), scale


def resized_shape(height, width, *, min_size=800, max_size=1333) -> tuple:
    """resize_geometry in float64 for whole-pixel sides: (new_height, new_width, scale) as
    (int, int, float)."""
    new_h, new_w, scale = resize_geometry(np.float64(height), np.float64(width),
                                          float(min_size), float(max_size))
    return int(new_h), int(new_w), float(scale)


def bilinear_matrix(in_size: int, out_size: int) -> np.ndarray:
    """float32 [out_size, in_size]: row i holds the weights output pixel i gives the source
    pixels under PyTorch's bilinear align_corners=False rule (scale in / out)."""
    scale = np.float32(in_size) / np.float32(out_size)
    src = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    src = np.maximum(src, 0)
    low = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    high = np.minimum(low + 1, in_size - 1)
    frac = (src - low).astype(np.float32)
    frac = np.where(low == in_size - 1, 0, frac)
    matrix = np.zeros((out_size, in_size), np.float32)
    rows = np.arange(out_size)
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix


def resize_bilinear(image, out_height, out_width) -> np.ndarray:
    """image float32 [H, W] or [H, W, C] resized to [out_height, out_width(, C)] with PyTorch's
    bilinear align_corners=False rule (no anti-aliasing)."""
    image = np.asarray(image, np.float32)
    rows = bilinear_matrix(image.shape[0], out_height)
    cols = bilinear_matrix(image.shape[1], out_width)
    if image.ndim == 2:
        return rows @ image @ cols.T
    return np.einsum("oh,hwc,pw->opc", rows, image, cols, optimize=True)
