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
    owns. fast_mode: Config fields of its fast mode (``mrcnn-tf --fast``). cli_keeps_own_sizes:
    the CLI's default --image-*-dim leave the family's own Config sizes alone. layer_presets:
    ``layers=`` name -> regex of layer names.
    """

    name: str = ""
    architectures: tuple = ()
    fast_mode: dict = {}
    cli_keeps_own_sizes: bool = False
    layer_presets: dict = {}

    def owns(self, config) -> bool:
        """True when config (a Config) is one of this family's."""
        return config.ARCHITECTURE in self.architectures

    def recognizes(self, path) -> bool:
        """True when the weights file at path is this family's own kind (read from the file)."""
        raise NotImplementedError

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
