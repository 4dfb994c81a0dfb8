"""torchvision's transform as graph functions (the export's, families.ModelFamily.serving).

Each image is molded as inference.torchvision_transform does (normalize, torchvision's resize
rule with PyTorch's bilinear sampling, which is ``tf.image.resize``'s half-pixel bilinear, zero
padding to multiples of 32) and gets the anchors of its own padded size, so the export runs
each image alone and every image of a batch gives what detect() gives it. Outputs: the
unrounded boxes of the original image normalized in the package's convention (pixel = value x
(H - 1), plus 1 for y2/x2; families.torchvision's boxes_from_serving inverts it), torchvision's
28x28 mask probabilities of each detection's class relative to its box, and the masks pasted
as torchvision pastes them (ops.torchvision_masks) for image masks.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from mrcnn_tf.ops import xp_graph
from mrcnn_tf.ops.torchvision_anchors import grid_anchors, pyramid_shapes
from mrcnn_tf.ops.torchvision_masks import PADDING, paste_box
from mrcnn_tf.ops.torchvision_resize import resize_geometry

SIZE_DIVISIBLE = 32


def mold_image(image, config):
    """uint8 [h, w, 3] -> (molded float32 [H', W', 3], meta float32 [META], resized hw
    float32 [2])."""
    shape = tf.shape(image)
    hw = tf.cast(shape[:2], tf.float64)
    new_h, new_w, scale = resize_geometry(hw[0], hw[1], float(config.IMAGE_MIN_DIM),
                                          float(config.IMAGE_MAX_DIM), xp=xp_graph)
    size = tf.cast(tf.stack([new_h, new_w]), tf.int32)
    mean = tf.constant(np.asarray(config.MEAN_PIXEL) / 255.0, tf.float32)
    std = tf.constant(np.asarray(config.PIXEL_STD) / 255.0, tf.float32)
    normalized = (tf.cast(image, tf.float32) / 255.0 - mean) / std
    resized = tf.image.resize(normalized, size, method="bilinear", antialias=False)
    padded = -(-size // SIZE_DIVISIBLE) * SIZE_DIVISIBLE
    molded = tf.pad(resized, [[0, padded[0] - size[0]], [0, padded[1] - size[1]], [0, 0]])
    meta = tf.concat([tf.zeros([1], tf.float64), tf.cast(shape, tf.float64),
                      tf.cast(tf.concat([padded, [3]], 0), tf.float64),
                      tf.cast(tf.concat([[0, 0], size], 0), tf.float64), scale[None],
                      tf.zeros([config.NUM_CLASSES], tf.float64)], axis=0)
    return molded, tf.cast(meta, tf.float32), tf.cast(size, tf.float32)


def anchors_for_padded_hw(padded_hw, sizes, ratios):
    """ops.torchvision_anchors' anchors in the graph: padded_hw int32 [2] (multiples of 32)
    -> float32 [A, 4] (y1, x1, y2, x2) pixels."""
    shapes = pyramid_shapes((padded_hw[0], padded_hw[1]), len(sizes))
    return grid_anchors((padded_hw[0], padded_hw[1]), shapes, sizes, ratios, xp=xp_graph)


def paste_mask(mask, box, image_hw, threshold=0.5):
    """ops.torchvision_masks.paste_mask in the graph: mask float32 [M, M] probabilities, box
    float32 [4] (y1, x1, y2, x2) original pixels, image_hw int32 [2] -> uint8 [H, W]."""
    side = int(mask.shape[0])
    padded = tf.pad(mask, [[PADDING, PADDING], [PADDING, PADDING]])
    y1, x1, y2, x2 = tf.unstack(tf.cast(paste_box(box, side, xp=xp_graph), tf.int32))  # to zero
    h, w = tf.maximum(y2 - y1 + 1, 1), tf.maximum(x2 - x1 + 1, 1)
    resized = tf.image.resize(padded[:, :, None], [h, w], method="bilinear")[:, :, 0]
    binary = tf.cast(resized > threshold, tf.uint8)
    top, left = tf.clip_by_value(y1, 0, image_hw[0]), tf.clip_by_value(x1, 0, image_hw[1])
    bottom = tf.clip_by_value(y2 + 1, top, image_hw[0])
    right = tf.clip_by_value(x2 + 1, left, image_hw[1])
    binary = binary[top - y1:bottom - y1, left - x1:right - x1]
    return tf.pad(binary, [[top, image_hw[0] - bottom], [left, image_hw[1] - right]])


class TorchvisionGraph:
    """torchvision's transform in the graph (the interface export.saved_model.ServingModule
    takes). Each image molds to its own size (fixed_shape None): the export runs images alone."""

    fixed_shape = None

    def __init__(self, config):
        self.config = config
        self.meta_size = int(config.IMAGE_META_SIZE)

    def mold(self, image):
        """uint8 [h, w, 3] -> (molded float32 [H', W', 3], meta float32 [META])."""
        molded, meta, _ = mold_image(image, self.config)
        return molded, meta

    def anchors(self, molded_hw):
        """molded_hw int32 [2] -> float32 [A, 4] pixels of that padded size."""
        return anchors_for_padded_hw(molded_hw, tuple(self.config.RPN_ANCHOR_SCALES),
                                     tuple(float(r) for r in self.config.RPN_ANCHOR_RATIOS))

    def outputs(self, detections, masks, metas, max_detections):
        """detections float32 [B, D, 6] (y1, x1, y2, x2 pixels of the resized image, class,
        score; detections first), masks float32 [B, D, M, M], metas [B, META] -> (count int32
        [B], boxes float32 [B, N, 4] normalized to the original image, classes int32 [B, N],
        scores [B, N], masks [B, N, M, M], pixel boxes float32 [B, N, 4] of the original image,
        unrounded: what paste takes)."""
        detections, masks = detections[:, :max_detections], masks[:, :max_detections]
        original_hw = metas[:, 1:3]
        resized_hw = metas[:, 9:11]  # the window (0, 0, h, w): the resized size
        ratio = tf.tile(original_hw / resized_hw, [1, 2])[:, None, :]
        boxes = detections[..., :4] * ratio
        valid = detections[..., 4] > 0
        scale = tf.tile(tf.maximum(original_hw - 1.0, 1.0), [1, 2])[:, None, :]
        normalized = (boxes - tf.constant([0.0, 0.0, 1.0, 1.0])) / scale
        return (tf.reduce_sum(tf.cast(valid, tf.int32), axis=1),
                tf.where(valid[..., None], normalized, tf.zeros_like(normalized)),
                tf.cast(detections[..., 4], tf.int32), detections[..., 5], masks, boxes)

    def paste(self, mask, box, image_hw):
        return paste_mask(mask, box, image_hw)
