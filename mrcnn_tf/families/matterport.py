"""matterport's family: its layer names, HDF5 weights, molding and training graph."""
from __future__ import annotations

from mrcnn_tf.config import Config
from mrcnn_tf.families.base import FamilyInputs, ModelFamily


class MatterportFamily(ModelFamily):
    """matterport's Mask R-CNN (modeling.matterport_rcnn / modeling.matterport_training)."""

    name = "matterport"
    architectures = ("matterport",)
    config_class = Config

    @property
    def layer_presets(self) -> dict:
        from mrcnn_tf.training.layer_selection import LAYER_REGEX

        return LAYER_REGEX

    @property
    def class_specific_layers(self) -> tuple:
        from mrcnn_tf.weights.hdf5 import CLASS_SPECIFIC_LAYERS

        return tuple(CLASS_SPECIFIC_LAYERS)

    def recognizes(self, path) -> bool:
        """Always: the fallback for files no later family claims (its HDF5 reader then says
        what is wrong with a file that is not weights)."""
        return True

    def config_for_file(self, path, config_class=None, **overrides):
        from mrcnn_tf.weights.info import config_from_weights

        return config_from_weights(path, config_class=config_class or self.config_class, **overrides)

    def build(self, config, mode: str):
        if mode == "inference":
            from mrcnn_tf.modeling.matterport_rcnn import build_inference_model

            return build_inference_model(config)
        from mrcnn_tf.modeling.matterport_training import build_training_model

        return build_training_model(config)

    def load_weights(self, keras_model, path, *, exclude=None, strict=True):
        from mrcnn_tf.weights import hdf5

        return hdf5.load_weights(keras_model, path, exclude=exclude, strict=strict)

    def transform(self, config):
        from mrcnn_tf.inference.transforms import MatterportTransform

        return MatterportTransform(config)

    def serving(self, config):
        from mrcnn_tf.inference.matterport_graph import MatterportGraph

        return MatterportGraph(config)

    def boxes_from_serving(self, boxes, image_shape) -> tuple:
        from mrcnn_tf.ops.boxes import denorm_boxes

        rois = denorm_boxes(boxes, image_shape[:2])
        keep = (rois[:, 2] - rois[:, 0]) * (rois[:, 3] - rois[:, 1]) > 0  # as unmold drops
        return rois, keep, rois

    def paste_serving_masks(self, masks, paste_boxes, image_shape, threshold):
        from mrcnn_tf.ops.masks import paste_masks

        return paste_masks(masks, paste_boxes, image_shape, threshold=threshold)

    def training_inputs(self, config) -> FamilyInputs:
        from mrcnn_tf.modeling.training_inputs import gt_mask_shape
        from mrcnn_tf.ops.anchors import anchors_for_image_shape
        from mrcnn_tf.training.image_gt import load_image_gt

        return FamilyInputs(load_image_gt, tuple(int(v) for v in config.IMAGE_SHAPE),
                            gt_mask_shape(config),
                            anchors_for_image_shape(config.IMAGE_SHAPE, config, normalized=False))

    def training_anchors(self, config):
        from mrcnn_tf.ops.anchors import anchors_for_image_shape

        return anchors_for_image_shape(config.IMAGE_SHAPE, config)  # normalized

    def training_losses(self):
        from mrcnn_tf.training.trainer import compute_losses

        return compute_losses


MATTERPORT = MatterportFamily()
