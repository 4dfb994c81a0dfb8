"""Anchors as torchvision's ``AnchorGenerator`` makes them (numpy; fed to the model as input).

Ratios here are height / width (torchvision's convention, the opposite of matterport's): a
ratio-0.5 anchor is twice as wide as it is tall. Cell anchors are centred on 0 and rounded to
whole pixels (``round`` half to even, in float32) before the grid shifts are added; a level's
stride is ``image_size // feature_size`` per axis (integer division, so the max-pooled "pool"
level of an 800-pixel side has 13 cells at stride 61, not 64). Within a level anchors are
ordered by cell (row-major) and then by ratio: the order of the RPN head's outputs.
"""
from __future__ import annotations

import functools

import numpy as np


def cell_anchors(size, ratios) -> np.ndarray:
    """Anchors of one cell centred on (0, 0): float32 [len(ratios), 4] (y1, x1, y2, x2).

    size: side of the ratio-1 anchor in pixels; ratios: heights / widths. Width is
    size / sqrt(ratio), height size * sqrt(ratio), each half rounded half to even.
    """
    scales = np.asarray([size], np.float32)
    ratios = np.asarray(ratios, np.float32)
    h_ratios = np.sqrt(ratios)
    w_ratios = np.float32(1) / h_ratios
    ws = (w_ratios[:, None] * scales[None, :]).reshape(-1)
    hs = (h_ratios[:, None] * scales[None, :]).reshape(-1)
    boxes = np.stack([-hs, -ws, hs, ws], axis=1) / np.float32(2)
    return np.round(boxes).astype(np.float32)


def pyramid_shapes(image_shape, levels=5) -> list:
    """Feature map sizes (height, width) of the torchvision ResNet-FPN for a padded image
    (height, width, ...): strides 4, 8, 16, 32 (sides divisible by 32), then the "pool" level,
    a max-pool of kernel 1 and stride 2 over the last (ceil(side / 2))."""
    h, w = int(image_shape[0]), int(image_shape[1])
    shapes = [(h // s, w // s) for s in (4, 8, 16, 32)][:levels]
    while len(shapes) < levels:
        ph, pw = shapes[-1]
        shapes.append(((ph - 1) // 2 + 1, (pw - 1) // 2 + 1))
    return shapes


def grid_anchors(image_shape, feature_shapes, sizes, ratios) -> np.ndarray:
    """All anchors of a padded image: float32 [A, 4] (y1, x1, y2, x2) pixels.

    image_shape: padded (height, width, ...); feature_shapes: (height, width) per level;
    sizes: one anchor size per level; ratios: heights / widths, shared by the levels.
    A = sum over levels of height * width * len(ratios).
    """
    h, w = int(image_shape[0]), int(image_shape[1])
    per_level = []
    for (fh, fw), size in zip(feature_shapes, sizes):
        stride_y, stride_x = h // fh, w // fw
        shift_y, shift_x = np.meshgrid(np.arange(fh) * stride_y, np.arange(fw) * stride_x,
                                       indexing="ij")
        shifts = np.stack([shift_y, shift_x, shift_y, shift_x], axis=-1).reshape(-1, 1, 4)
        base = cell_anchors(size, ratios).reshape(1, -1, 4)
        per_level.append((shifts.astype(np.float32) + base).reshape(-1, 4))
    return np.concatenate(per_level, axis=0)


@functools.lru_cache(maxsize=16)
def anchors_for_padded_shape(height, width, sizes, ratios) -> np.ndarray:
    """grid_anchors for the torchvision ResNet-FPN levels of a padded height x width image
    (cached; sizes and ratios as tuples). float32 [A, 4] (y1, x1, y2, x2) pixels; read-only."""
    anchors = grid_anchors((height, width), pyramid_shapes((height, width), len(sizes)),
                           sizes, ratios)
    anchors.setflags(write=False)
    return anchors
