"""Export a MaskRCNN as a SavedModel for TensorFlow Serving.

Layout written: ``export_dir/<version>/saved_model.pb``, ``variables/``, ``assets/`` (TF Serving
loads the highest version under ``export_dir``). Signatures:

- ``serving_default``: ``image_bytes`` string [B], encoded JPEG/PNG/GIF/BMP images whose sizes
  may differ within the batch.
- ``serving_image_tensor``: ``images`` uint8 [B, H, W, 3] RGB.

Both return ``num_detections`` int32 [B], ``detection_boxes`` float32 [B, N, 4] (y1, x1, y2, x2)
normalized to the original image (see export.outputs), ``detection_classes`` int32 [B, N],
``detection_scores`` float32 [B, N], ``detection_class_names`` string [B, N] and
``detection_masks``: float32 [B, N, 28, 28] soft masks relative to each box
(``mask_format="box"``), or uint8 0/1 [1, num_detections, H, W] at the original image size
(``mask_format="image"``, one image per request, checked at run time). Decoding, resizing,
padding and mean subtraction happen inside the graph. The class names are also stored as
``assets/class_names.txt`` (one a line, index = class id) and as the ``class_names`` variable.
The torchvision family (Config.ARCHITECTURE torchvision_v1 / _v2) exports through
export.torchvision_serving with the same signatures and outputs.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from mrcnn_tf.class_names import check_class_names
from mrcnn_tf.export.molding import MoldingSpec, mold_encoded_images, mold_image_batch
from mrcnn_tf.export.names import (BYTES_INPUT, BYTES_SIGNATURE, CLASS_NAMES_ASSET, CONFIG_ASSET,
                                   INPUT_KINDS, MASK_FORMATS, MASKS, NUM_DETECTIONS,
                                   TENSOR_INPUT, TENSOR_SIGNATURE)
from mrcnn_tf.export.outputs import PIXEL_BOXES, image_masks, serving_outputs
from mrcnn_tf.inference.transforms import MatterportTransform, output_positions
from mrcnn_tf.ops.anchors import anchors_for_image_shape


class ServingModule(tf.Module):
    """The Keras model wrapped with in-graph molding and serving outputs (see module doc)."""

    def __init__(self, keras_model, config, *, class_names, max_detections, mask_format,
                 asset_dir):
        super().__init__(name="mask_rcnn_serving")
        # Track the model's variables, not the Keras model itself: tracking the model makes
        # tf.saved_model.save trace its call functions again (as keras.export does it too).
        self.model_variables = list(keras_model.variables)
        self._run_model = lambda inputs: keras_model(inputs, training=False)
        self._positions = output_positions(keras_model, MatterportTransform)
        self._spec = MoldingSpec.from_config(config)
        self._max_detections = max_detections
        self._mask_format = mask_format
        molded_shape = self._spec.resize.fixed_shape
        self.anchors = tf.Variable(anchors_for_image_shape(molded_shape, config),
                                   trainable=False, name="anchors")
        self.class_names = tf.Variable(list(class_names), dtype=tf.string, trainable=False,
                                       name="class_names")
        self.class_names_file = tf.saved_model.Asset(
            _write_text(asset_dir, CLASS_NAMES_ASSET, "\n".join(class_names) + "\n"))
        self.config_file = tf.saved_model.Asset(
            _write_text(asset_dir, CONFIG_ASSET, _config_json(config)))

    def signature(self, kind):
        """The concrete function of one input kind ("bytes" or "tensor")."""
        if kind == "bytes":
            def serve_bytes(image_bytes):
                image_bytes = self._check_batch(image_bytes)
                return self._detect(*mold_encoded_images(image_bytes, self._spec))
            return tf.function(serve_bytes).get_concrete_function(
                tf.TensorSpec([None], tf.string, name=BYTES_INPUT))

        def serve_images(images):
            images = self._check_batch(images)
            return self._detect(*mold_image_batch(images, self._spec))
        return tf.function(serve_images).get_concrete_function(
            tf.TensorSpec([None, None, None, 3], tf.uint8, name=TENSOR_INPUT))

    def _check_batch(self, inputs):
        """With image masks, fail a request of more than one image (checked at run time: a
        static batch of 1 in the signature is not enforced by signature calls)."""
        if self._mask_format != "image":
            return inputs
        check = tf.debugging.assert_equal(
            tf.shape(inputs)[0], 1,
            message="this model was exported with mask_format='image': one image per request")
        with tf.control_dependencies([check]):
            return tf.identity(inputs)

    def _detect(self, molded, metas):
        anchors = tf.broadcast_to(self.anchors[None], tf.concat(
            [tf.shape(molded)[:1], tf.shape(self.anchors)], axis=0))
        outputs = self._run_model([molded, metas, anchors])
        detections, masks = self._positions
        result = serving_outputs(outputs[detections], outputs[masks], metas,
                                 max_detections=self._max_detections,
                                 class_names=self.class_names)
        pixel_boxes = result.pop(PIXEL_BOXES)
        if self._mask_format == "image":
            image_hw = tf.cast(metas[0, 1:3], tf.int32)
            result[MASKS] = image_masks(result[MASKS][0], pixel_boxes[0],
                                        result[NUM_DETECTIONS][0], image_hw)[None]
        return result


def _write_text(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf8") as f:
        f.write(text)
    return path


def _config_json(config) -> str:
    def plain(value):
        return value.tolist() if isinstance(value, np.ndarray) else value
    return json.dumps({k: plain(v) for k, v in config.to_dict().items()}, indent=1, default=str)


def _check_arguments(config, version, input_kinds, max_detections, mask_format, class_names):
    if not isinstance(version, (int, np.integer)) or isinstance(version, bool) or version < 1:
        raise ValueError(f"version: expected a positive integer (TF Serving's version "
                         f"directory), got {version!r}")
    kinds = tuple(input_kinds)
    if not kinds or any(k not in INPUT_KINDS for k in kinds):
        raise ValueError(f"input_kinds: expected a non-empty subset of {INPUT_KINDS}, got {kinds}")
    if mask_format not in MASK_FORMATS:
        raise ValueError(f"mask_format: expected one of {MASK_FORMATS}, got {mask_format!r}")
    limit = config.DETECTION_MAX_INSTANCES
    max_detections = limit if max_detections is None else max_detections
    if not isinstance(max_detections, (int, np.integer)) or not 1 <= max_detections <= limit:
        raise ValueError(f"max_detections: expected an integer in 1..{limit} "
                         f"(Config.DETECTION_MAX_INSTANCES), got {max_detections!r}")
    return kinds, int(max_detections), list(check_class_names(class_names, config.NUM_CLASSES))


def export_saved_model(model, export_dir, *, version=1, input_kinds=INPUT_KINDS,
                       max_detections=None, mask_format="box", class_names=None,
                       overwrite=False):
    """Write ``model`` (a MaskRCNN) as ``export_dir/<version>/`` for TensorFlow Serving.

    input_kinds: which signatures to write, from ("bytes", "tensor"); "bytes" is
    ``serving_default``, "tensor" is ``serving_image_tensor`` (and also the default when
    "bytes" is not asked for). max_detections: N, rows per image (default and maximum
    DETECTION_MAX_INSTANCES). mask_format: "box" or "image" (see module doc; "image" fixes the
    batch to 1). class_names: one per class id, "BG" first (default: the model's
    class_names).
    overwrite: replace an existing version directory. The version is written to a temporary
    directory beside it and renamed, so a watching TF Serving never sees half a model.
    Returns the version directory path (str).
    """
    config = model.config
    if config.ARCHITECTURE == "matterport":
        MoldingSpec.from_config(config)
        module_class = ServingModule
    else:  # torchvision's family molds and runs each image at its own size
        from mrcnn_tf.export.torchvision_serving import TorchvisionServingModule as module_class
    kinds, max_detections, class_names = _check_arguments(
        config, version, input_kinds, max_detections, mask_format,
        model.class_names if class_names is None else class_names)
    export_dir = os.path.abspath(os.fspath(export_dir))
    target = os.path.join(export_dir, str(int(version)))
    if os.path.exists(target) and not overwrite:
        raise FileExistsError(f"{target} already exists; choose another version or pass "
                              f"overwrite=True")
    os.makedirs(export_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{version}.partial.", dir=export_dir)
    try:
        module = module_class(model.keras_model, config, class_names=class_names,
                              max_detections=max_detections, mask_format=mask_format,
                              asset_dir=staging)
        signatures = {}
        if "bytes" in kinds:
            signatures[BYTES_SIGNATURE] = module.signature("bytes")
        if "tensor" in kinds:
            signatures[TENSOR_SIGNATURE] = module.signature("tensor")
            signatures.setdefault(BYTES_SIGNATURE, signatures[TENSOR_SIGNATURE])
        saved = os.path.join(staging, "model")
        tf.saved_model.save(module, saved, signatures=signatures)
        if os.path.exists(target):
            shutil.rmtree(target)
        os.replace(saved, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
