"""MaskRCNN: matterport's user-facing class (build, load_weights, detect) on Keras 3."""
from __future__ import annotations

import os

from mrcnn_tf.config import Config
from mrcnn_tf.inference.detector import Detector
from mrcnn_tf.modeling.mask_rcnn import build_inference_model
from mrcnn_tf.weights import hdf5

MODES = ("inference",)


class MaskRCNN:
    """Mask R-CNN with matterport's interface.

    mode: "inference". config: a Config. model_dir: where training writes logs and
    checkpoints (unused in inference). ``keras_model`` is the Keras 3 functional model.
    """

    def __init__(self, mode="inference", config=None, model_dir=None):
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not supported; valid: {', '.join(MODES)}")
        if not isinstance(config, Config):
            raise ValueError("config: expected a mrcnn_tf.Config instance, e.g. "
                             "CocoConfig() or Config(NUM_CLASSES=...)")
        self.mode = mode
        self.config = config
        self.model_dir = os.fspath(model_dir) if model_dir is not None else None
        self.keras_model = build_inference_model(config)
        self._detector = Detector(self.keras_model, config)

    def load_weights(self, filepath, by_name=True, exclude=None):
        """Load weights from a matterport-layout HDF5 file (e.g. mask_rcnn_coco.h5).

        Layers are always matched by name (matterport's names are the weight format), so
        ``by_name`` is accepted for compatibility only. exclude: layer names to skip.
        Returns a weights.hdf5.LoadReport (also logged).
        """
        return hdf5.load_weights(self.keras_model, filepath, exclude=exclude)

    def save_weights(self, filepath):
        """Save the weights in the same HDF5 layout load_weights reads."""
        hdf5.save_weights(self.keras_model, filepath)

    def detect(self, images, verbose=0, batch_size=None):
        """Detect instances in images.

        images: a list of numpy images (any number; batched internally), a 4-D array
        [N, H, W, C], or one image. Each image: uint8 as is; uint16 scaled to 0-255; floats as
        0-255, or 0-1 when their maximum is <= 1; grayscale [H, W] / [H, W, 1] stacked to RGB;
        RGBA with alpha dropped. Bad images raise ValueError naming the index and the problem.
        batch_size: images per model call (default ``config.BATCH_SIZE``); images that mold to
        different shapes (resize mode "pad64") go in separate calls.
        Returns one dict per image: ``rois`` int32 [N, 4] (y1, x1, y2, x2) pixels,
        ``class_ids`` int32 [N], ``scores`` float32 [N], ``masks`` bool [H, W, N].
        """
        return self._detector.detect(images, verbose=verbose, batch_size=batch_size)
