"""torchvision's family (maskrcnn_resnet50_fpn v1 / _v2): its state dicts, its resize and
normalization, its training inputs and losses; v1's FrozenBatchNorm never trains."""
from __future__ import annotations

from mrcnn_tf.config import TorchvisionConfig
from mrcnn_tf.families.base import FamilyInputs, ModelFamily


class TorchvisionFamily(ModelFamily):
    """torchvision's Mask R-CNN v1 and v2 (modeling.torchvision_rcnn / _training)."""

    name = "torchvision"
    architectures = ("torchvision_v1", "torchvision_v2")
    config_class = TorchvisionConfig
    cli_keeps_own_sizes = True  # torchvision's 800 / 1333 unless the user asks for others
    # v1's FrozenBatchNorm2d: the backbone's norm layers never train
    frozen_by_architecture = {
        "torchvision_v1": r"backbone\.body\.(bn1|layer\d\.\d+\.(bn\d|downsample\.1))"}

    @property
    def layer_presets(self) -> dict:
        from mrcnn_tf.training.layer_selection import TORCHVISION_LAYER_REGEX

        return TORCHVISION_LAYER_REGEX

    def frozen(self, config) -> str | None:
        """Regex of the layers that never train for config's version (None: none)."""
        return self.frozen_by_architecture.get(config.ARCHITECTURE)

    @property
    def class_specific_layers(self) -> tuple:
        from mrcnn_tf.weights.torchvision_loader import CLASS_SPECIFIC_LAYERS

        return tuple(CLASS_SPECIFIC_LAYERS)

    def inspect(self, path):
        """A state dict as weights.info reads it; an HDF5 checkpoint of this family's training
        with its version and class count from its layers (checkpoint_fields), ResNet-50."""
        import dataclasses

        from mrcnn_tf.weights import torchvision_loader

        info = super().inspect(path)
        fields = torchvision_loader.checkpoint_fields(path)
        if fields is None:
            return info
        version = fields["ARCHITECTURE"].rsplit("_", 1)[-1]
        return dataclasses.replace(info, backbone="resnet50", version=version,
                                   num_classes=fields.get("NUM_CLASSES"),
                                   kind=f"torchvision {version} checkpoint (Keras HDF5)")

    def recognizes(self, path) -> bool:
        from mrcnn_tf.weights import torchvision_loader

        return (torchvision_loader.is_state_dict_file(path)
                or torchvision_loader.checkpoint_fields(path) is not None)

    def config_for_file(self, path, config_class=None, **overrides):
        from mrcnn_tf.weights import torchvision_loader

        checkpoint = torchvision_loader.checkpoint_fields(path)
        if checkpoint is not None:  # written by this family's training
            return (config_class or self.config_class)(**{**checkpoint, **overrides})
        from mrcnn_tf.weights.state_dict import read_state_dict

        return torchvision_loader.config_for_state_dict(read_state_dict(path), config_class,
                                                        **overrides)

    def build(self, config, mode: str):
        if mode == "inference":
            from mrcnn_tf.modeling.torchvision_rcnn import build_torchvision_model

            return build_torchvision_model(config)
        from mrcnn_tf.modeling.torchvision_training import build_torchvision_training_model

        return build_torchvision_training_model(config)

    def load_weights(self, keras_model, path, *, exclude=None, strict=True):
        from mrcnn_tf.weights import hdf5, torchvision_loader

        if torchvision_loader.is_state_dict_file(path):
            return torchvision_loader.load_file(keras_model, path, exclude=exclude,
                                                strict=strict)
        return hdf5.load_weights(keras_model, path, exclude=exclude, strict=strict)

    def transform(self, config):
        from mrcnn_tf.inference.torchvision_transform import TorchvisionTransform

        return TorchvisionTransform(config)

    def serving(self, config):
        from mrcnn_tf.inference.torchvision_graph import TorchvisionGraph

        return TorchvisionGraph(config)

    def boxes_from_serving(self, boxes, image_shape) -> tuple:
        """Inverts inference.torchvision_graph's normalization; detect() keeps every box and
        pastes from the unrounded ones."""
        import numpy as np

        h, w = image_shape[:2]
        scale = np.array([max(h - 1, 1), max(w - 1, 1)] * 2, np.float32)
        pixels = boxes * scale + np.array([0, 0, 1, 1], np.float32)
        return np.round(pixels).astype(np.int32), np.ones(len(pixels), bool), pixels

    def paste_serving_masks(self, masks, paste_boxes, image_shape, threshold):
        from mrcnn_tf.ops.torchvision_masks import paste_masks_torchvision

        return paste_masks_torchvision(masks, paste_boxes, image_shape, threshold=threshold)

    def training_inputs(self, config) -> FamilyInputs:
        from mrcnn_tf.modeling.torchvision_training import training_image_shape
        from mrcnn_tf.modeling.training_inputs import gt_mask_shape
        from mrcnn_tf.training.torchvision_inputs import (load_image_gt_torchvision,
                                                          training_anchors)

        image_shape = training_image_shape(config)
        return FamilyInputs(load_image_gt_torchvision, image_shape,
                            gt_mask_shape(config, image_shape), training_anchors(config))

    def training_anchors(self, config):
        from mrcnn_tf.training.torchvision_inputs import training_anchors

        return training_anchors(config)  # pixels

    def training_losses(self):
        from mrcnn_tf.training import torchvision_losses

        return torchvision_losses.compute_losses

    def trains_batch_norm(self, config) -> bool:
        return bool(config.TRAIN_BN) and self.frozen(config) is None


TORCHVISION = TorchvisionFamily()
