"""ModelFamily: what a model family tells the rest of the package (see families/__init__)."""
from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class FamilyInputs:
    """What the training input pipeline needs from a family: load(dataset, config, image_id,
    augmentation=, rng=) -> sample dict (training.image_gt), the molded image shape (H, W, 3),
    the stored gt mask shape (h, w), and the pixel anchors float32 [A, 4] (RPN targets)."""

    load: object
    image_shape: tuple
    mask_shape: tuple
    pixel_anchors: np.ndarray


class ModelFamily:
    """A family of Mask R-CNN models. Subclasses set the attributes and implement the methods.

    name: the family's name ("matterport"). architectures: the Config.ARCHITECTURE values it
    owns. config_class: its Config class (its defaults, its fields' checks in
    ``validate_family``, its fast mode in ``fast_mode``). cli_keeps_own_sizes:
    the CLI's default --image-*-dim leave the family's own Config sizes alone. layer_presets:
    ``layers=`` name -> regex of layer names.
    """

    name: str = ""
    architectures: tuple = ()
    config_class = None
    cli_keeps_own_sizes: bool = False
    layer_presets: dict = {}

    @property
    def fast_mode(self) -> dict:
        """Config fields of the family's fast mode (``mrcnn-tf --fast``)."""
        return dict(self.config_class.fast_mode)

    def owns(self, config) -> bool:
        """True when config (a Config) is one of this family's."""
        return config.ARCHITECTURE in self.architectures

    @property
    def class_specific_layers(self) -> tuple:
        """The layers whose shapes follow NUM_CLASSES (``exclude=`` them to fine-tune a file's
        weights on other classes)."""
        raise NotImplementedError

    def recognizes(self, path) -> bool:
        """True when the weights file at path is this family's own kind (read from the file)."""
        raise NotImplementedError

    def inspect(self, path):
        """What the weights file holds (weights.info.WeightsInfo: backbone, NUM_CLASSES,
        counts), read without building a model, with ``family`` this family's name."""
        from mrcnn_tf.weights.info import inspect_weights

        return dataclasses.replace(inspect_weights(path), family=self.name)

    def config_for_file(self, path, config_class=None, **overrides):
        """A Config for the weights file (its architecture, backbone, class count), with
        config_class (None: the family's default) and the overrides."""
        raise NotImplementedError

    def build(self, config, mode: str):
        """The Keras model for a validated Config; mode "inference" or "training"."""
        raise NotImplementedError

    def load_weights(self, keras_model, path, *, exclude=None, strict=True):
        """Load a weights file into keras_model; returns a weights.hdf5.LoadReport."""
        raise NotImplementedError

    def transform(self, config):
        """The inference transform (inference.transforms: mold, check_molded_shape, anchors,
        unmold, output_names)."""
        raise NotImplementedError

    def serving(self, config):
        """The transform as graph functions, for the export (export.saved_model.ServingModule):
        ``fixed_shape`` ((H', W') of every molded image, or None: each image runs alone),
        ``meta_size``, ``mold(image uint8 [h, w, 3]) -> (molded float32 [H', W', 3], meta
        float32 [META])``, ``anchors(molded_hw) -> [A, 4]`` (the model's anchors input),
        ``outputs(detections, masks, metas, max_detections) -> (count [B], boxes [B, N, 4]
        normalized to the original image, classes [B, N], scores [B, N], box masks
        [B, N, M, M], paste boxes float32 [B, N, 4])`` from the model's outputs named by the transform's
        output_names, and ``paste(mask [M, M], paste box [4], image_hw [2]) -> uint8 [H, W]``.
        ValueError when the config cannot be exported."""
        raise NotImplementedError

    def boxes_from_serving(self, boxes, image_shape) -> tuple:
        """The export's normalized boxes float32 [N, 4] (y1, x1, y2, x2) of one image ->
        (rois int32 [N, 4] pixels as detect() gives them, keep bool [N]: the rows detect()
        keeps, paste boxes [N, 4]: what paste_serving_masks takes)."""
        raise NotImplementedError

    def paste_serving_masks(self, masks, paste_boxes, image_shape, threshold):
        """The export's box masks float32 [K, M, M] -> bool [H, W, K] full-image masks, pasted
        as detect() pastes them (paste_boxes: from boxes_from_serving, kept rows)."""
        raise NotImplementedError

    def training_inputs(self, config) -> FamilyInputs:
        """What training.batches needs to make this family's training batches."""
        raise NotImplementedError

    def training_anchors(self, config) -> np.ndarray:
        """The anchors the training graph takes, float32 [A, 4]."""
        raise NotImplementedError

    def training_losses(self):
        """The function computing the training losses from the training graph's outputs
        (training.trainer.compute_losses' signature)."""
        raise NotImplementedError

    def frozen(self, config) -> str | None:
        """Regex of the layers that never train (None: none)."""
        return None

    def trains_batch_norm(self, config) -> bool:
        """True when the BatchNorm layers train (config.TRAIN_BN, unless the family's norm
        layers are frozen)."""
        return bool(config.TRAIN_BN)
