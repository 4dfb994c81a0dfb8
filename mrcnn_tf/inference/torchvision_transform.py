"""Molding and unmolding for the torchvision family (torchvision's GeneralizedRCNNTransform).

Preprocess: pixels (0-255, RGB) normalized as (pixel / 255 - mean) / std (MEAN_PIXEL and
PIXEL_STD are in 0-255 units), resized so the short side is IMAGE_MIN_DIM unless the long side
would exceed IMAGE_MAX_DIM (PyTorch's bilinear rule, ops.torchvision_resize), zero padded at
the bottom and right to multiples of 32. The meta vector's window is (0, 0, h, w), the
resized size. Postprocess: boxes scaled back by original / resized per axis, masks pasted as
torchvision's paste_masks_in_image (ops.torchvision_masks); ``rois`` are the boxes rounded
to whole pixels (np.round).
"""
from __future__ import annotations

import numpy as np

from mrcnn_tf.ops.image_meta import compose_image_meta
from mrcnn_tf.ops.torchvision_anchors import anchors_for_padded_shape
from mrcnn_tf.ops.torchvision_masks import paste_masks_torchvision
from mrcnn_tf.ops.torchvision_resize import resize_bilinear, resized_shape

SIZE_DIVISIBLE = 32


def padded_side(side: int) -> int:
    return -(-side // SIZE_DIVISIBLE) * SIZE_DIVISIBLE


def mold_image_torchvision(image, config):
    """One RGB image [H, W, 3] (0-255) to (molded float32 [1, H', W', 3], meta [1, META],
    resized (height, width))."""
    mean = (np.asarray(config.MEAN_PIXEL) / 255.0).astype(np.float32)
    std = (np.asarray(config.PIXEL_STD) / 255.0).astype(np.float32)
    normalized = (np.asarray(image, np.float32) / np.float32(255) - mean) / std
    height, width, scale = resized_shape(image.shape[0], image.shape[1],
                                         min_size=config.IMAGE_MIN_DIM,
                                         max_size=config.IMAGE_MAX_DIM)
    resized = resize_bilinear(normalized, height, width)
    molded = np.zeros((padded_side(height), padded_side(width), resized.shape[2]), np.float32)
    molded[:height, :width] = resized
    meta = compose_image_meta(0, image.shape, molded.shape, (0, 0, height, width), scale,
                              np.zeros([config.NUM_CLASSES], np.int32))
    return molded[np.newaxis], meta[np.newaxis], (height, width)


class TorchvisionTransform:
    """Per-family molding for the Detector: torchvision's resize / normalize / pad and its
    postprocessing. Model outputs used: 0 detections [B, D, 6] pixels, 1 masks [B, D, M, M]."""

    output_names = ("detections", "masks")

    def __init__(self, config):
        self.config = config

    def mold(self, image):
        return mold_image_torchvision(image, self.config)

    fixed_shape = None  # each image molds to its own size

    def molded_shape(self, height: int, width: int) -> tuple:
        """(height, width) mold() gives an image of height x width: torchvision's resize,
        sides rounded up to multiples of SIZE_DIVISIBLE."""
        h, w, _ = resized_shape(height, width, min_size=self.config.IMAGE_MIN_DIM,
                                max_size=self.config.IMAGE_MAX_DIM)
        return padded_side(h), padded_side(w)

    def check_molded_shape(self, shape, index):
        if shape[0] % SIZE_DIVISIBLE or shape[1] % SIZE_DIVISIBLE:  # never after mold()
            raise ValueError(f"image[{index}]: molded size {shape[0]}x{shape[1]} is not a "
                             f"multiple of {SIZE_DIVISIBLE}")

    def anchors(self, molded_shape):
        config = self.config
        return anchors_for_padded_shape(int(molded_shape[0]), int(molded_shape[1]),
                                        tuple(int(s) for s in config.RPN_ANCHOR_SCALES),
                                        tuple(float(r) for r in config.RPN_ANCHOR_RATIOS))

    def unmold(self, detections, masks, original_shape, molded_shape, resized_hw) -> dict:
        """detections [D, 6] (y1, x1, y2, x2 pixels of the resized image, class, score),
        masks [D, M, M] (or None: no ``masks`` in the result) -> result dict (rois int32,
        class_ids int32, scores, masks bool)."""
        count = int(np.sum(detections[:, 4] > 0))
        boxes = detections[:count, :4].astype(np.float32)
        ratio_h = np.float32(original_shape[0]) / np.float32(resized_hw[0])
        ratio_w = np.float32(original_shape[1]) / np.float32(resized_hw[1])
        boxes = boxes * np.array([ratio_h, ratio_w, ratio_h, ratio_w], np.float32)
        result = {"rois": np.round(boxes).astype(np.int32),
                  "class_ids": detections[:count, 4].astype(np.int32),
                  "scores": detections[:count, 5].astype(np.float32)}
        if masks is not None:
            result["masks"] = paste_masks_torchvision(masks[:count], boxes, original_shape)
        return result
