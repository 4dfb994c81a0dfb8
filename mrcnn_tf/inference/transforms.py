"""Molding and unmolding around the compiled graph: what the Detector calls (each model family
gives its transform, families.ModelFamily.transform).

A transform has ``mold(image) -> (molded [1, H', W', C], meta [1, META], info)``,
``molded_shape(height, width) -> (H', W')`` and ``fixed_shape`` ((H', W') of every image, or
None),
``check_molded_shape(shape, index)``, ``anchors(molded_shape) -> [A, 4]``,
``unmold(detections, masks, original_shape, molded_shape, info) -> result dict`` and
``output_names`` (the names of the detections and masks outputs of the family's Keras model;
``output_positions`` turns them into positions).
"""
from __future__ import annotations

import numpy as np

from mrcnn_tf.inference.postprocessing import unmold_detections
from mrcnn_tf.inference.preprocessing import mold_inputs
from mrcnn_tf.ops.anchors import anchors_for_image_shape
from mrcnn_tf.ops.resize import ResizeSpec


class MatterportTransform:
    """matterport's molding (inference.preprocessing) and unmolding (inference.postprocessing).
    Model outputs used: mrcnn_detection [B, D, 6] and the masks [B, D, 28, 28, C]."""

    output_names = ("mrcnn_detection", "mrcnn_mask_rois")

    def __init__(self, config):
        self.config = config

    def mold(self, image):
        molded, metas, windows = mold_inputs([image], self.config)
        return molded, metas, windows[0]

    @property
    def fixed_shape(self):
        """(height, width) every image molds to ("square" mode), or None."""
        return ResizeSpec.from_config(self.config).fixed_shape

    def molded_shape(self, height: int, width: int) -> tuple:
        """(height, width) mold() gives an image of height x width (ops.resize.ResizeSpec:
        "square" always IMAGE_MAX_DIM x IMAGE_MAX_DIM; "pad64" / "fit64" the resized sides
        rounded up to multiples of 64)."""
        layout = ResizeSpec.from_config(self.config).layout(np.float64(height),
                                                            np.float64(width))
        return int(layout.padded_height), int(layout.padded_width)

    def check_molded_shape(self, shape, index):
        if shape[0] % 64 or shape[1] % 64:
            raise ValueError(
                f"image[{index}]: size {shape[0]}x{shape[1]} after resizing is not a multiple "
                f"of 64, which the feature pyramid needs; use IMAGE_RESIZE_MODE 'square' or "
                f"'pad64', or pass images whose sides are multiples of 64")

    def anchors(self, molded_shape):
        return anchors_for_image_shape(molded_shape, self.config)

    def unmold(self, detections, masks, original_shape, molded_shape, window) -> dict:
        return unmold_detections(detections, masks, original_shape, molded_shape, window,
                                 resize_library=self.config.RESIZE_LIBRARY)


def output_positions(keras_model, transform) -> tuple:
    """(detections position, masks position) among keras_model's outputs, found by name."""
    return tuple(keras_model.output_names.index(name) for name in transform.output_names)
