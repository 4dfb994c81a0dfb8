"""A third model family, defined in the test suite alone: the proof that the seam holds.

"toy" differs from matterport's family where a family can: its own Config class (ARCHITECTURE
"toy_stretch", its own resize mode and field check), its own backbone (the shapes sample's small GroupNorm
CNN, samples/shapes/small_backbone.py, passed as BACKBONE), its own weights files (recognized
by that backbone's layer names), its own molding (the image stretched to SIDE x SIDE, no padding, no
aspect kept) in numpy for detect() and in TensorFlow for the export. It borrows what it may
from matterport's family: the FPN, heads and layer names above the backbone, HDF5 loading and
the unmolding of normalized boxes (a window of the whole molded image maps it back to the
original image, stretched).
"""
from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import cv2
import numpy as np

from mrcnn_tf import Config
from mrcnn_tf.families.matterport import MatterportFamily
from mrcnn_tf.inference.transforms import MatterportTransform
from mrcnn_tf.ops.image_meta import compose_image_meta

SIDE = 128
TOY_LAYER = "small_stage1_conv1"  # the first layer of the shapes sample's backbone


def _small_backbone():
    """The shapes sample's small GroupNorm backbone (samples/shapes/small_backbone.py)."""
    path = Path(__file__).resolve().parents[2] / "samples" / "shapes" / "small_backbone.py"
    spec = importlib.util.spec_from_file_location("shapes_small_backbone", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.small_backbone


class ToyConfig(Config):
    """The toy family's Config: stretch to SIDE x SIDE, a small model, every detection kept."""

    architectures = ("toy_stretch",)
    fast_mode = {}
    ARCHITECTURE = "toy_stretch"
    NAME = "toy"
    NUM_CLASSES = 4
    BACKBONE = _small_backbone()
    IMAGES_PER_GPU = 1
    IMAGE_RESIZE_MODE = "stretch"
    IMAGE_MIN_DIM = SIDE
    IMAGE_MAX_DIM = SIDE
    MEAN_PIXEL = np.array([127.5, 127.5, 127.5])
    TOP_DOWN_PYRAMID_SIZE = 32
    FPN_CLASSIF_FC_LAYERS_SIZE = 64
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
    POST_NMS_ROIS_INFERENCE = 64
    DETECTION_MAX_INSTANCES = 8
    DETECTION_MIN_CONFIDENCE = 0.0

    def validate_family(self):
        if self.IMAGE_RESIZE_MODE != "stretch":
            self._fail("IMAGE_RESIZE_MODE", "the toy family stretches ('stretch')")
        if self.IMAGE_MAX_DIM % 64:
            self._fail("IMAGE_MAX_DIM", "must be a multiple of 64")


def stretch_meta(image_shape, side, num_classes):
    """The meta vector of an image stretched to side x side: window the whole molded image."""
    return compose_image_meta(0, image_shape, (side, side, 3), (0, 0, side, side), 1.0,
                              np.zeros([num_classes], np.int32))


class ToyTransform(MatterportTransform):
    """Molding by stretching (OpenCV's bilinear), in numpy; unmolding is matterport's."""

    @property
    def fixed_shape(self):
        return (self.config.IMAGE_MAX_DIM,) * 2

    def molded_shape(self, height, width):
        return self.fixed_shape

    def check_molded_shape(self, shape, index):
        pass  # always the fixed shape

    def mold(self, image):
        side = self.config.IMAGE_MAX_DIM
        stretched = cv2.resize(np.asarray(image, np.float32), (side, side),
                               interpolation=cv2.INTER_LINEAR)
        molded = stretched - self.config.MEAN_PIXEL.astype(np.float32)
        meta = stretch_meta(image.shape, side, self.config.NUM_CLASSES)
        return molded[None], meta[None], (0, 0, side, side)


class ToyGraph:
    """The toy molding in the graph (TensorFlow's half-pixel bilinear, as OpenCV's); boxes,
    anchors and pasting are matterport's graph functions."""

    def __init__(self, config):
        self.config = config
        self.side = int(config.IMAGE_MAX_DIM)
        self.fixed_shape = (self.side, self.side)
        self.meta_size = int(config.IMAGE_META_SIZE)

    def mold(self, image):
        import tensorflow as tf

        stretched = tf.image.resize(tf.cast(image, tf.float32), self.fixed_shape,
                                    method="bilinear", antialias=False)
        molded = stretched - tf.constant(self.config.MEAN_PIXEL, tf.float32)
        meta = tf.concat([[0.0], tf.cast(tf.shape(image), tf.float32),
                          tf.constant([self.side, self.side, 3, 0, 0, self.side, self.side, 1],
                                      tf.float32),
                          tf.zeros([self.config.NUM_CLASSES])], axis=0)
        return molded, meta

    def anchors(self, molded_hw):
        from mrcnn_tf.ops.anchors import anchors_for_image_shape

        return anchors_for_image_shape(tuple(molded_hw), self.config)

    def outputs(self, detections, masks, metas, max_detections):
        from mrcnn_tf.inference.matterport_graph import serving_outputs

        return serving_outputs(detections, masks, metas, max_detections)

    def paste(self, mask, box, image_hw):
        import tensorflow as tf

        from mrcnn_tf.inference.matterport_graph import paste_mask

        return paste_mask(mask, tf.cast(box, tf.int32), image_hw)


class ToyFamily(MatterportFamily):
    name = "toy"
    architectures = ToyConfig.architectures
    config_class = ToyConfig
    cli_keeps_own_sizes = True  # SIDE unless the user asks for another size
    layer_presets = {"heads": r"(mrcnn\_.*)|(rpn\_.*)|(fpn\_.*)", "all": ".*"}

    def recognizes(self, path) -> bool:
        from mrcnn_tf.weights.h5file import decode_names, open_weights_file

        try:
            f, root = open_weights_file(path)
        except (OSError, ValueError):
            return False
        with f:
            return TOY_LAYER in decode_names(root.attrs.get("layer_names", []))

    def inspect(self, path):
        return dataclasses.replace(super().inspect(path), backbone="toy",
                                   kind="toy (Keras HDF5, stretched input)")

    def config_for_file(self, path, config_class=None, **overrides):
        fields = {"NUM_CLASSES": self.inspect(path).num_classes, **overrides}
        return (config_class or self.config_class)(**fields)

    def transform(self, config):
        return ToyTransform(config)

    def serving(self, config):
        return ToyGraph(config)


TOY = ToyFamily()
