"""PortableModel: an exported portable graph plus the family's numpy molding and unmolding."""
from __future__ import annotations

import json
import os

import numpy as np

from mrcnn_tf.export.names import CLASS_NAMES_ASSET as CLASS_NAMES_FILE
from mrcnn_tf.export.names import CONFIG_ASSET as CONFIG_FILE
from mrcnn_tf.runtime.backends import SESSIONS, SUFFIXES

META_FILE = "portable.json"
MODEL_FILES = {"onnx": "model.onnx", "openvino": "model.xml", "litert": "model.tflite"}


def _model_file(path) -> tuple:
    """(model file, its kind) for a model file or a folder holding one."""
    path = os.fspath(path)
    if os.path.isdir(path):
        meta_path = os.path.join(path, META_FILE)
        if os.path.isfile(meta_path):
            with open(meta_path, encoding="utf8") as f:
                name = json.load(f).get("model", "")
            path = os.path.join(path, name)
        else:
            found = [os.path.join(path, n) for n in MODEL_FILES.values()
                     if os.path.isfile(os.path.join(path, n))]
            if len(found) != 1:
                raise ValueError(f"{path}: no exported model (model.onnx, model.xml or "
                                 f"model.tflite with {META_FILE}) in this folder")
            path = found[0]
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such model file")
    kind = SUFFIXES.get(os.path.splitext(path)[1].lower())
    if kind is None:
        raise ValueError(f"{path}: not an exported model file (expected .onnx, OpenVINO "
                         f".xml or .tflite from mrcnn-tf export --format)")
    _check_magic(path, kind)
    return path, kind


def _check_magic(path, kind):
    """A cheap look at the file's first bytes, so a wrong kind of file is named as such."""
    with open(path, "rb") as f:
        head = f.read(64)
    if kind == "litert" and head[4:8] != b"TFL3":
        raise ValueError(f"{path}: not a LiteRT flatbuffer (no TFL3 identifier)")
    if kind == "openvino" and b"<" not in head[:16]:
        raise ValueError(f"{path}: not an OpenVINO IR .xml file")
    if kind == "onnx" and (not head or head[:1] == b"<" or head[:2] == b"PK"):
        raise ValueError(f"{path}: not an ONNX model file")


def _read_config(folder):
    """The export's Config, in its family's Config class. A backbone the file can only name
    as text (a function's) is left to the class: the graph holds the backbone already."""
    from mrcnn_tf.config import BACKBONES
    from mrcnn_tf.families import family_for_architecture

    path = os.path.join(folder, CONFIG_FILE)
    try:
        with open(path, encoding="utf8") as f:
            values = json.load(f)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: the model's configuration cannot be read ({error})") from None
    try:
        config_class = family_for_architecture(values.get("ARCHITECTURE", "matterport")) \
            .config_class
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    fields = {k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items()
              if k in config_class.field_names()}
    if fields.get("BACKBONE") not in BACKBONES:
        fields.pop("BACKBONE", None)
    return config_class(**fields)


def _read_class_names(folder, num_classes):
    path = os.path.join(folder, CLASS_NAMES_FILE)
    if not os.path.isfile(path):
        from mrcnn_tf.class_names import generic_class_names
        return generic_class_names(num_classes)
    with open(path, encoding="utf8") as f:
        return tuple(line.rstrip("\n") for line in f)


class ExportFiles:
    """What an export's folder says, read without loading the model: ``path`` (the model
    file), ``kind`` ("onnx", "openvino", "litert"), ``config`` (its family's Config),
    ``class_names``, ``input_shape`` and ``anchors_input`` (portable.json). Raises ValueError
    naming the file."""

    def __init__(self, path):
        self.path, self.kind = _model_file(path)
        folder = os.path.dirname(os.path.abspath(self.path))
        self.config = _read_config(folder)
        self.class_names = _read_class_names(folder, self.config.NUM_CLASSES)
        meta_path = os.path.join(folder, META_FILE)
        if not os.path.isfile(meta_path):
            raise ValueError(f"{self.path}: {META_FILE} is missing beside it")
        with open(meta_path, encoding="utf8") as f:
            meta = json.load(f)
        self.input_shape = tuple(meta["input_shape"])
        self.anchors_input = bool(meta.get("anchors_input", False))


class PortableModel:
    """An exported model: ``detect(images)`` as MaskRCNN.detect, ``class_names``, ``config``,
    ``kind`` ("onnx", "openvino", "litert") and ``path``."""

    def __init__(self, path, *, threads=None, precision=None):
        from mrcnn_tf.families import family_for

        files = ExportFiles(path)
        self.path, self.kind, self.config = files.path, files.kind, files.config
        self.class_names = files.class_names
        self.input_shape, self.anchors_input = files.input_shape, files.anchors_input
        self.transform = family_for(self.config).transform(self.config)
        options = {"threads": threads}
        if precision and self.kind == "openvino":
            options["precision"] = precision
        self._session = SESSIONS[self.kind](self.path, **options)

    def detect(self, images, verbose=0, batch_size=None, masks=True) -> list:
        """Result dicts {rois, class_ids, scores, masks} per image, as MaskRCNN.detect."""
        from mrcnn_tf.inference.images import as_image_list, normalize_image

        channels = self.config.IMAGE_CHANNEL_COUNT
        images = [normalize_image(image, i, channels)
                  for i, image in enumerate(as_image_list(images))]
        return [self._detect_one(image, i, masks) for i, image in enumerate(images)]

    def _detect_one(self, image, index, masks):
        molded, meta, info = self.transform.mold(image)
        self.transform.check_molded_shape(molded.shape[1:3], index)
        molded = np.asarray(molded, np.float32)
        meta = np.asarray(meta, np.float32)
        anchors = None
        if self.anchors_input:  # a graph of any size: the image as molded, its anchors
            anchors = np.asarray(self.transform.anchors(molded.shape[1:3]), np.float32)[None]
        else:
            height, width = self.input_shape[1:3]
            if molded.shape[1:3] != (height, width):
                raise ValueError(f"image[{index}]: molds to {molded.shape[1]}x"
                                 f"{molded.shape[2]}, not the exported model's {height}x{width}")
        detections, mask_probs = self._session.run(molded, meta, anchors)
        detections, mask_probs = detections[0], mask_probs[0]
        if self.transform.output_names[1] == "mrcnn_mask_rois":  # per-class masks expected
            mask_probs = np.broadcast_to(mask_probs[..., None], mask_probs.shape
                                         + (self.config.NUM_CLASSES,))
        return self.transform.unmold(detections, mask_probs if masks else None, image.shape,
                                     molded.shape[1:], info)


def load(path, *, threads=None, precision=None) -> PortableModel:
    """The exported model at path (a model file or its folder); see the module docstring.
    precision: OpenVINO's INFERENCE_PRECISION_HINT ("f32", "bf16"), OpenVINO only."""
    return PortableModel(path, threads=threads, precision=precision)
