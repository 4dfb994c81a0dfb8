"""Anchors as torchvision's ``AnchorGenerator`` makes them (numpy; fed to the model as input).

Ratios are width / height, as Config.RPN_ANCHOR_RATIOS everywhere (torchvision's own
``aspect_ratios`` are their inverse, height / width: its (0.5, 1.0, 2.0) is (2.0, 1.0, 0.5)
here, in the same order). Cell anchors are centred on 0 and rounded to
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

    size: side of the ratio-1 anchor in pixels; ratios: widths / heights. With torchvision's
    aspect = 1 / ratio (height / width), width is size / sqrt(aspect), height
    size * sqrt(aspect), each half rounded half to even.
    """
    scales = np.asarray([size], np.float32)
    aspects = np.float32(1) / np.asarray(ratios, np.float32)
    h_ratios = np.sqrt(aspects)
    w_ratios = np.float32(1) / h_ratios
    ws = (w_ratios[:, None] * scales[None, :]).reshape(-1)
    hs = (h_ratios[:, None] * scales[None, :]).reshape(-1)
    boxes = np.stack([-hs, -ws, hs, ws], axis=1) / np.float32(2)
    return np.round(boxes).astype(np.float32)


def pyramid_shapes(image_shape, levels=5) -> list:
    """Feature map sizes (height, width) of the torchvision ResNet-FPN for a padded image
    (height, width, ...): strides 4, 8, 16, 32 (sides divisible by 32), then the "pool" level,
    a max-pool of kernel 1 and stride 2 over the last (ceil(side / 2)). The sides are ints,
    or int32 scalar tensors in the graph."""
    h, w = image_shape[0], image_shape[1]
    shapes = [(h // s, w // s) for s in (4, 8, 16, 32)][:levels]
    while len(shapes) < levels:
        ph, pw = shapes[-1]
        shapes.append(((ph - 1) // 2 + 1, (pw - 1) // 2 + 1))
    return shapes


def grid_anchors(image_shape, feature_shapes, sizes, ratios, xp=np):
    """All anchors of a padded image: float32 [A, 4] (y1, x1, y2, x2) pixels.

    image_shape: padded (height, width, ...); feature_shapes: (height, width) per level;
    sizes: one anchor size per level; ratios: widths / heights, shared by the levels.
    A = sum over levels of height * width * len(ratios). One description for numpy and the
    graph (xp=ops.xp_graph, the sides int32 scalar tensors).
    """
    h, w = image_shape[0], image_shape[1]
    per_level = []
    for (fh, fw), size in zip(feature_shapes, sizes):
        stride_y, stride_x = h // fh, w // fw
        shift_y, shift_x = xp.meshgrid(xp.arange(fh) * stride_y, xp.arange(fw) * stride_x,
                                       indexing="ij")
        shifts = xp.reshape(xp.stack([shift_y, shift_x, shift_y, shift_x], axis=-1), (-1, 1, 4))
        base = xp.asarray(cell_anchors(size, ratios).reshape(1, -1, 4))
        per_level.append(xp.reshape(xp.asarray(shifts, dtype=np.float32) + base, (-1, 4)))
    return xp.concatenate(per_level, axis=0)


@functools.lru_cache(maxsize=16)
def anchors_for_padded_shape(height, width, sizes, ratios) -> np.ndarray:
    """grid_anchors for the torchvision ResNet-FPN levels of a padded height x width image
    (cached; sizes and ratios as tuples). float32 [A, 4] (y1, x1, y2, x2) pixels; read-only."""
    height, width = int(height), int(width)
    anchors = grid_anchors((height, width), pyramid_shapes((height, width), len(sizes)),
                           sizes, ratios)
    anchors.setflags(write=False)
    return anchors
