"""MaskRCNN: matterport's user-facing class (build, load_weights, detect, train) on Keras 3."""
from __future__ import annotations

import logging
import os

from mrcnn_tf.class_names import check_class_names, default_class_names
from mrcnn_tf.config import Config
from mrcnn_tf.families import family_for, family_for_file
from mrcnn_tf.inference.detector import Detector
from mrcnn_tf.modeling.precision import resolve_compute_dtype
from mrcnn_tf.weights import hdf5
from mrcnn_tf.weights.h5file import read_class_names

MODES = ("inference", "training")


class MaskRCNN:
    """Mask R-CNN with matterport's interface.

    mode: "inference" or "training". config: a Config. model_dir: where training writes logs
    and checkpoints (unused in inference). strategy: training only, a tf.distribute strategy
    (default: MirroredStrategy over GPU_COUNT GPUs when GPU_COUNT > 1). ``keras_model`` is
    the Keras 3 functional model (see modeling.matterport_rcnn / modeling.matterport_training);
    ``compute_dtype`` (inference) the precision its convolution stacks run in, which
    ``COMPUTE_DTYPE="auto"`` picks for the machine (modeling.precision).
    ``class_names`` (index = class id, "BG" first) travel with the model: from the preset,
    from a weights file that carries them (save_weights writes them), else the family's COCO
    names for a COCO class count, else "class_1", ...; assignable.
    """

    def __init__(self, mode="inference", config=None, model_dir=None, strategy=None, *,
                 class_names=None):
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not supported; valid: {', '.join(MODES)}")
        if not isinstance(config, Config):
            raise ValueError("config: expected a mrcnn_tf.Config instance, e.g. "
                             "CocoConfig() or Config(NUM_CLASSES=...)")
        self.mode = mode
        self.config = config
        self.family = family_for(config)
        self.class_names = class_names
        self.model_dir = os.fspath(model_dir) if model_dir is not None else None
        if mode == "training":
            self._build_training(strategy)
            return
        self.compute_dtype, why = resolve_compute_dtype(config.COMPUTE_DTYPE)
        if config.COMPUTE_DTYPE == "auto":
            logging.getLogger("mrcnn_tf").info("COMPUTE_DTYPE auto: %s (%s)",
                                               self.compute_dtype, why)
        self.keras_model = self.family.build(config, "inference")
        self._detector = Detector(self.keras_model, config, self.family.transform(config))

    @property
    def class_names(self) -> tuple:
        """Names of the model's classes, index = class id ("BG" first)."""
        return self._class_names

    @class_names.setter
    def class_names(self, names):
        """names: one per class id (None: the default for the config, see the class doc)."""
        if names is None:
            names = default_class_names(self.config.NUM_CLASSES, self.family.name)
        self._class_names = check_class_names(names, self.config.NUM_CLASSES)

    @classmethod
    def from_preset(cls, preset, **config_overrides) -> "MaskRCNN":
        """An inference model for published weights or a weights file, in one call:
        ``MaskRCNN.from_preset("coco")``, ``"torchvision-v1"``, ``"torchvision-v2"`` (see
        ``mrcnn_tf.presets()``; downloaded once into the cache and verified, weights.fetch) or
        a path (as from_weights). config_overrides: Config fields, e.g.
        ``DETECTION_MIN_CONFIDENCE=0.5``. The model's class_names are the preset's, or the
        file's. Raises ValueError for an unknown preset or bad fields, weights.fetch's
        DownloadError when the download fails."""
        from mrcnn_tf.weights.fetch import resolve_weights
        from mrcnn_tf.weights.published import preset_named

        model = cls.from_weights(resolve_weights(preset), **config_overrides)
        spec = preset_named(preset)
        if spec is not None:
            model.class_names = spec.class_names
        return model

    @classmethod
    def from_weights(cls, path, *, config_class=Config, **config_overrides) -> "MaskRCNN":
        """An inference model with a matterport-layout weights file loaded, e.g.
        ``MaskRCNN.from_weights("mask_rcnn_balloon.h5", DETECTION_MIN_CONFIDENCE=0.9)``.

        path: the ``.h5`` file. BACKBONE and NUM_CLASSES are read from it (unless given in
        config_overrides or declared by config_class); every other field is config_class's
        (default Config) or from config_overrides (see weights.info.config_from_weights).
        A torchvision ``maskrcnn_resnet50_fpn`` / ``_v2`` state dict (.pth, .npz,
        .safetensors) builds the torchvision family instead: ARCHITECTURE and NUM_CLASSES
        from its keys, other fields TorchvisionConfig's (e.g. DETECTION_MIN_CONFIDENCE 0.05);
        so does an HDF5 checkpoint written by that family's training (ARCHITECTURE and
        NUM_CLASSES from its layers; give the sizes it was trained at, e.g. IMAGE_MAX_DIM).
        The model's class_names are those the file carries (see save_weights), else the
        default for its class count.
        Raises ValueError for an unknown or bad Config field, a file that does not tell its
        backbone or class count, or weights that do not fit the model; OSError when the file
        cannot be read.
        """
        family = family_for_file(path)
        default_class = None if config_class is Config else config_class
        config = family.config_for_file(path, default_class, **config_overrides)
        model = cls(mode="inference", config=config)
        model.load_weights(path)
        return model

    def _build_training(self, strategy):
        from mrcnn_tf.training.train import choose_strategy

        if self.model_dir is None:
            raise ValueError("model_dir: training needs a folder for logs and checkpoints")
        self.strategy = choose_strategy(self.config, strategy)
        with self.strategy.scope():
            self.keras_model = self.family.build(self.config, "training")
        self.epoch = 0
        self.last_checkpoint = None
        self.set_log_dir()

    def set_log_dir(self, model_path=None):
        """Set log_dir, checkpoint_path and epoch as matterport: a new timestamped folder, or
        the folder and next epoch of model_path when it is a checkpoint written by training."""
        from mrcnn_tf.training.checkpoints import log_dir_for

        self.log_dir, self.checkpoint_path, self.epoch = log_dir_for(
            self.model_dir, self.config, model_path)

    def find_last(self):
        """Path of the last checkpoint of the newest training folder for config.NAME in
        model_dir (FileNotFoundError when there is none)."""
        from mrcnn_tf.training.checkpoints import find_last

        return find_last(self.model_dir, self.config)

    def train(self, train_dataset, val_dataset, learning_rate, epochs, layers,
              augmentation=None, custom_callbacks=None, *, verbose=1, seed=None,
              optimizer="sgd"):
        """Train from self.epoch up to ``epochs`` (matterport's train).

        train_dataset / val_dataset: prepared mrcnn_tf.data.Dataset (val may be None).
        layers: "heads", "3+", "4+", "5+", "all" or a regex of layer names to train.
        augmentation: callable (image, masks, rng) -> (image, masks), see
        training.augmentation. custom_callbacks: extra Keras callbacks. Each epoch writes
        mask_rcnn_<name>_<epoch:04d>.h5 to self.log_dir. optimizer: "sgd" (matterport's,
        momentum LEARNING_MOMENTUM) or "adam" (faster from scratch); both clip gradients at
        GRADIENT_CLIP_NORM. Returns the Keras History.
        """
        if self.mode != "training":
            raise ValueError("train() needs a model built with mode=\"training\"")
        from mrcnn_tf.training.train import train_model

        return train_model(self, train_dataset, val_dataset, learning_rate=learning_rate,
                           epochs=epochs, layers=layers, augmentation=augmentation,
                           custom_callbacks=custom_callbacks, verbose=verbose, seed=seed,
                           optimizer=optimizer)

    def load_weights(self, filepath, by_name=True, exclude=None, *, strict=True):
        """Load weights from a matterport-layout HDF5 file (e.g. mask_rcnn_coco.h5), or, for
        the torchvision family, a torchvision state dict (.pth, .npz, .safetensors) or a
        checkpoint its training wrote (HDF5 with the same layer names).

        Layers are always matched by name (matterport's names are the weight format), so
        ``by_name`` is accepted for compatibility only. exclude: layer names to skip, e.g.
        ``weights.hdf5.CLASS_SPECIFIC_LAYERS`` to fine-tune a file's weights on other classes.
        strict (default True): a file whose backbone, NUM_CLASSES (class-specific layers not
        excluded) or layers differ from the model's is a ValueError naming both (build the
        model for a file with ``MaskRCNN.from_weights``); strict=False loads only the layers
        they share, on purpose (e.g. a ResNet-50 model from the ResNet-101 COCO file).
        A torchvision state dict with another class count needs
        ``exclude=weights.torchvision_loader.CLASS_SPECIFIC_LAYERS`` (else a ValueError naming
        those layers); strict=False there leaves layers the file lacks as they are.
        Returns a weights.hdf5.LoadReport (also logged). In training mode, a checkpoint
        written by training also sets the log folder and epoch to resume from. A file that
        carries class names (save_weights writes them) sets ``class_names`` when its class
        layers were loaded.
        """
        report = self.family.load_weights(self.keras_model, filepath, exclude=exclude,
                                          strict=strict)
        stored = read_class_names(filepath)
        if stored is not None and len(stored) == self.config.NUM_CLASSES and not exclude:
            self.class_names = stored
        if self.mode == "training":
            self.set_log_dir(filepath)
        return report

    def save_weights(self, filepath):
        """Save the weights, and the class names, in the same HDF5 layout load_weights reads."""
        hdf5.save_weights(self.keras_model, filepath, class_names=self.class_names)

    def detect(self, images, verbose=0, batch_size=None, masks=True):
        """Detect instances in images.

        images: a list of numpy images (any number; batched internally), a 4-D array
        [N, H, W, C], or one image. Each image: uint8 as is; uint16 scaled to 0-255; floats as
        0-255, or 0-1 when their maximum is <= 1; grayscale [H, W] / [H, W, 1] stacked to RGB;
        RGBA with alpha dropped. Bad images raise ValueError naming the index and the problem.
        batch_size: images per model call (default ``config.BATCH_SIZE``); images that mold to
        different shapes (resize mode "pad64") go in separate calls.
        Returns one dict per image: ``rois`` int32 [N, 4] (y1, x1, y2, x2) pixels,
        ``class_ids`` int32 [N], ``scores`` float32 [N], ``masks`` bool [H, W, N].
        masks=False: boxes only. A second compiled graph (built on first use) stops at the
        detections, so the mask head and mask pasting are skipped; the results have no
        ``masks`` key, and rois, class_ids and scores are those of masks=True.
        """
        if self.mode != "inference":
            raise ValueError("detect() needs a model built with mode=\"inference\"; load the "
                             "trained weights into one")
        return self._detector.detect(images, verbose=verbose, batch_size=batch_size,
                                     masks=masks)
