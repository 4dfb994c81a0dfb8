"""Per-family molding and unmolding: what the Detector calls around the compiled graph.

A transform has ``mold(image) -> (molded [1, H', W', C], meta [1, META], info)``,
``check_molded_shape(shape, index)``, ``anchors(molded_shape) -> [A, 4]``,
``unmold(detections, masks, original_shape, molded_shape, info) -> result dict`` and
``output_indices`` (positions of the detections and masks among the model's outputs).
"""
from __future__ import annotations

from mrcnn_tf.inference.postprocessing import unmold_detections
from mrcnn_tf.inference.preprocessing import mold_inputs
from mrcnn_tf.inference.torchvision_transform import TorchvisionTransform
from mrcnn_tf.ops.anchors import anchors_for_image_shape


class MatterportTransform:
    """matterport's molding (inference.preprocessing) and unmolding (inference.postprocessing).
    Model outputs used: 0 mrcnn_detection, 3 mrcnn_mask."""

    output_indices = (0, 3)

    def __init__(self, config):
        self.config = config

    def mold(self, image):
        molded, metas, windows = mold_inputs([image], self.config)
        return molded, metas, windows[0]

    def check_molded_shape(self, shape, index):
        if shape[0] % 64 or shape[1] % 64:
            raise ValueError(
                f"image[{index}]: size {shape[0]}x{shape[1]} after resizing is not a multiple "
                f"of 64, which the feature pyramid needs; use IMAGE_RESIZE_MODE 'square' or "
                f"'pad64', or pass images whose sides are multiples of 64")

    def anchors(self, molded_shape):
        return anchors_for_image_shape(molded_shape, self.config)

    def unmold(self, detections, masks, original_shape, molded_shape, window) -> dict:
        return unmold_detections(detections, masks, original_shape, molded_shape, window)


def transform_for(config):
    """The transform of config.ARCHITECTURE's family."""
    if config.ARCHITECTURE == "matterport":
        return MatterportTransform(config)
    return TorchvisionTransform(config)
