"""Export a MaskRCNN as a SavedModel for TensorFlow Serving.

Layout written: ``export_dir/<version>/saved_model.pb``, ``variables/``, ``assets/`` (TF Serving
loads the highest version under ``export_dir``). Signatures:

- ``serving_default``: ``image_bytes`` string [B], encoded JPEG/PNG/GIF/BMP images whose sizes
  may differ within the batch.
- ``serving_image_tensor``: ``images`` uint8 [B, H, W, 3] RGB.

Both return ``num_detections`` int32 [B], ``detection_boxes`` float32 [B, N, 4] (y1, x1, y2, x2)
normalized to the original image (see inference.matterport_graph), ``detection_classes`` int32 [B, N],
``detection_scores`` float32 [B, N], ``detection_class_names`` string [B, N] and
``detection_masks``: float32 [B, N, 28, 28] soft masks relative to each box
(``mask_format="box"``), or uint8 0/1 [1, num_detections, H, W] at the original image size
(``mask_format="image"``, one image per request, checked at run time). Decoding, resizing,
padding and mean subtraction happen inside the graph. The class names are also stored as
``assets/class_names.txt`` (one a line, index = class id) and as the ``class_names`` variable.
Every family exports through the one ServingModule, fed by its transform's graph functions
(families.ModelFamily.serving); the families' boxes and pasting differ in detail, and
export.serving_results undoes each as detect() does.
"""
from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from mrcnn_tf.class_names import check_class_names
from mrcnn_tf.export.names import (BOXES, BYTES_INPUT, BYTES_SIGNATURE, CLASS_NAMES,
                                   CLASS_NAMES_ASSET, CLASSES, CONFIG_ASSET, INPUT_KINDS,
                                   MASK_FORMATS, MASKS, NUM_DETECTIONS, SCORES, TENSOR_INPUT,
                                   TENSOR_SIGNATURE)
from mrcnn_tf.families import family_for
from mrcnn_tf.inference.transforms import output_positions


class ServingModule(tf.Module):
    """The Keras model wrapped with its family's in-graph molding and the serving outputs (see
    module doc). ``graph`` is the family's transform as graph functions
    (families.ModelFamily.serving). When every image molds to one shape the batch runs through
    the model together; otherwise each image runs alone (``tf.map_fn``)."""

    def __init__(self, keras_model, config, graph, *, output_positions, class_names,
                 max_detections, mask_format, asset_dir):
        super().__init__(name="mask_rcnn_serving")
        # Track the model's variables, not the Keras model itself: tracking the model makes
        # tf.saved_model.save trace its call functions again (as keras.export does it too).
        self.model_variables = list(keras_model.variables)
        self._run_model = lambda inputs: keras_model(inputs, training=False)
        self._graph = graph
        self._positions = output_positions
        self._channels = int(config.IMAGE_CHANNEL_COUNT)
        self._mask_side = int(config.MASK_SHAPE[0])
        self._max_detections = max_detections
        self._mask_format = mask_format
        if graph.fixed_shape is not None:
            self.anchors = tf.Variable(graph.anchors(graph.fixed_shape), dtype=tf.float32,
                                       trainable=False, name="anchors")
        self.class_names = tf.Variable(list(class_names), dtype=tf.string, trainable=False,
                                       name="class_names")
        self.class_names_file = tf.saved_model.Asset(
            _write_text(asset_dir, CLASS_NAMES_ASSET, "\n".join(class_names) + "\n"))
        self.config_file = tf.saved_model.Asset(
            _write_text(asset_dir, CONFIG_ASSET, config.to_json()))

    def signature(self, kind):
        """The concrete function of one input kind ("bytes" or "tensor")."""
        if kind == "bytes":
            def serve_bytes(image_bytes):
                return self._detect(self._check_batch(image_bytes), decode=True)
            return tf.function(serve_bytes).get_concrete_function(
                tf.TensorSpec([None], tf.string, name=BYTES_INPUT))

        def serve_images(images):
            return self._detect(self._check_batch(images), decode=False)
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

    def _mold(self, item, decode):
        image = (tf.io.decode_image(item, channels=3, dtype=tf.uint8, expand_animations=False)
                 if decode else item)
        return self._graph.mold(image)

    def _model_outputs(self, molded, metas, anchors):
        outputs = self._run_model([molded, metas, anchors])
        return tuple(outputs[i] for i in self._positions)

    def _detect(self, inputs, *, decode):
        graph, n = self._graph, self._max_detections
        molded_spec = (tf.TensorSpec([None, None, self._channels], tf.float32),
                       tf.TensorSpec([graph.meta_size], tf.float32))
        if graph.fixed_shape is not None:  # one molded shape: one model call for the batch
            # The molded height and width stay unknown to the graph, as they are in detect()'s:
            # with them known, graph optimization changes the model's float rounding (by
            # ~1e-6), enough to flip a rounded pixel of a thin box.
            molded, metas = tf.map_fn(lambda item: self._mold(item, decode), inputs,
                                      fn_output_signature=molded_spec)
            anchors = tf.broadcast_to(self.anchors[None], tf.concat(
                [tf.shape(molded)[:1], tf.shape(self.anchors)], axis=0))
            detections, masks = self._model_outputs(molded, metas, anchors)
            result = graph.outputs(detections, masks, metas, n)
        else:  # each image molds to its own size: each runs alone
            def one(item):
                molded, meta = self._mold(item, decode)
                anchors = graph.anchors(tf.shape(molded)[:2])
                detections, masks = self._model_outputs(molded[None], meta[None],
                                                        anchors[None])
                return tuple(v[0] for v in graph.outputs(detections, masks, meta[None], n)) \
                    + (meta,)

            side = self._mask_side
            *result, metas = tf.map_fn(one, inputs, fn_output_signature=(
                tf.TensorSpec([], tf.int32), tf.TensorSpec([n, 4], tf.float32),
                tf.TensorSpec([n], tf.int32), tf.TensorSpec([n], tf.float32),
                tf.TensorSpec([n, side, side], tf.float32), tf.TensorSpec([n, 4], tf.float32),
                molded_spec[1]))
        count, boxes, classes, scores, masks, paste_boxes = result
        if self._mask_format == "image":  # one image (_check_batch)
            image_hw = tf.cast(metas[0, 1:3], tf.int32)
            pasted = tf.map_fn(lambda i: graph.paste(masks[0, i], paste_boxes[0, i], image_hw),
                               tf.range(count[0]),
                               fn_output_signature=tf.TensorSpec([None, None], tf.uint8))
            masks = tf.reshape(pasted, tf.stack([count[0], image_hw[0], image_hw[1]]))[None]
        return {NUM_DETECTIONS: count, BOXES: boxes, CLASSES: classes, SCORES: scores,
                MASKS: masks,
                CLASS_NAMES: tf.where(classes > 0, tf.gather(self.class_names, classes), "")}


def _write_text(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf8") as f:
        f.write(text)
    return path


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
    family = family_for(config)
    graph = family.serving(config)  # ValueError when the config cannot be exported
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
        module = ServingModule(
            model.keras_model, config, graph, class_names=class_names,
            output_positions=output_positions(model.keras_model, family.transform(config)),
            max_detections=max_detections, mask_format=mask_format, asset_dir=staging)
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
