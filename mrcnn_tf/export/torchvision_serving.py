"""Serving for the torchvision family: in-graph molding, model call and outputs per image.

Same signatures and output names as export.saved_model's matterport module. Each image is
molded as inference.torchvision_transform does (normalize, torchvision's resize rule with
PyTorch's bilinear sampling, which is ``tf.image.resize``'s half-pixel bilinear, zero padding
to multiples of 32), gets the anchors of its own padded size and runs the model alone
(``tf.map_fn``), so every image of a batch gives what detect() gives it. Outputs:
``detection_boxes`` are the unrounded boxes of the original image normalized in the package's
convention (export.outputs: pixel = value x (H - 1), plus 1 for y2/x2), ``detection_masks``
torchvision's 28x28 mask probabilities of each detection's class relative to its box
(``mask_format="box"``; ``results_from_serving(..., family="torchvision")`` pastes them as
detect() does), or the masks pasted as torchvision pastes them (ops.torchvision_masks), uint8
0/1 at the original image size (``mask_format="image"``, one image per request).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from mrcnn_tf.export import names
from mrcnn_tf.ops.torchvision_anchors import cell_anchors
from mrcnn_tf.ops.torchvision_masks import PADDING

SIZE_DIVISIBLE = 32


def mold_image(image, config):
    """uint8 [h, w, 3] -> (molded float32 [H', W', 3], meta float32 [META], resized hw
    float32 [2])."""
    shape = tf.shape(image)
    hw = tf.cast(shape[:2], tf.float64)
    scale = tf.minimum(float(config.IMAGE_MIN_DIM) / tf.reduce_min(hw),
                       float(config.IMAGE_MAX_DIM) / tf.reduce_max(hw))
    size = tf.cast(tf.floor(hw * scale), tf.int32)
    mean = tf.constant(np.asarray(config.MEAN_PIXEL) / 255.0, tf.float32)
    std = tf.constant(np.asarray(config.PIXEL_STD) / 255.0, tf.float32)
    normalized = (tf.cast(image, tf.float32) / 255.0 - mean) / std
    resized = tf.image.resize(normalized, size, method="bilinear", antialias=False)
    padded = -(-size // SIZE_DIVISIBLE) * SIZE_DIVISIBLE
    molded = tf.pad(resized, [[0, padded[0] - size[0]], [0, padded[1] - size[1]], [0, 0]])
    meta = tf.concat([tf.zeros([1], tf.float64), tf.cast(shape, tf.float64),
                      tf.cast(tf.concat([padded, [3]], 0), tf.float64),
                      tf.cast(tf.concat([[0, 0], size], 0), tf.float64), scale[None],
                      tf.zeros([config.NUM_CLASSES], tf.float64)], axis=0)
    return molded, tf.cast(meta, tf.float32), tf.cast(size, tf.float32)


def grid_anchors(padded_hw, sizes, ratios):
    """ops.torchvision_anchors.grid_anchors in the graph: padded_hw int32 [2] (multiples of
    32) -> float32 [A, 4] (y1, x1, y2, x2) pixels."""
    shapes = [padded_hw // s for s in (4, 8, 16, 32)]
    while len(shapes) < len(sizes):
        shapes.append((shapes[-1] - 1) // 2 + 1)
    per_level = []
    for shape, size in zip(shapes, sizes):
        stride = padded_hw // shape
        ys = tf.cast(tf.range(shape[0]) * stride[0], tf.float32)
        xs = tf.cast(tf.range(shape[1]) * stride[1], tf.float32)
        y, x = tf.meshgrid(ys, xs, indexing="ij")
        shifts = tf.reshape(tf.stack([y, x, y, x], axis=-1), [-1, 1, 4])
        base = tf.constant(cell_anchors(size, ratios)[None], tf.float32)
        per_level.append(tf.reshape(shifts + base, [-1, 4]))
    return tf.concat(per_level, axis=0)


def paste_mask(mask, box, image_hw, threshold=0.5):
    """ops.torchvision_masks.paste_mask in the graph: mask float32 [M, M] probabilities, box
    float32 [4] (y1, x1, y2, x2) original pixels, image_hw int32 [2] -> uint8 [H, W]."""
    side = tf.cast(tf.shape(mask)[0], tf.float32)
    padded = tf.pad(mask, [[PADDING, PADDING], [PADDING, PADDING]])
    scale = (side + 2.0 * PADDING) / side
    half_h = (box[2] - box[0]) * 0.5 * scale
    half_w = (box[3] - box[1]) * 0.5 * scale
    cy, cx = (box[2] + box[0]) * 0.5, (box[3] + box[1]) * 0.5
    y1, x1, y2, x2 = tf.unstack(tf.cast(tf.stack([cy - half_h, cx - half_w, cy + half_h,
                                                  cx + half_w]), tf.int32))  # toward zero
    h, w = tf.maximum(y2 - y1 + 1, 1), tf.maximum(x2 - x1 + 1, 1)
    resized = tf.image.resize(padded[:, :, None], [h, w], method="bilinear")[:, :, 0]
    binary = tf.cast(resized > threshold, tf.uint8)
    top, left = tf.clip_by_value(y1, 0, image_hw[0]), tf.clip_by_value(x1, 0, image_hw[1])
    bottom = tf.clip_by_value(y2 + 1, top, image_hw[0])
    right = tf.clip_by_value(x2 + 1, left, image_hw[1])
    binary = binary[top - y1:bottom - y1, left - x1:right - x1]
    return tf.pad(binary, [[top, image_hw[0] - bottom], [left, image_hw[1] - right]])


class TorchvisionServingModule(tf.Module):
    """The torchvision-family Keras model with in-graph molding and the serving outputs
    (interface of export.saved_model.ServingModule)."""

    def __init__(self, keras_model, config, *, class_names, max_detections, mask_format,
                 asset_dir):
        super().__init__(name="mask_rcnn_serving")
        from mrcnn_tf.export.saved_model import _config_json, _write_text

        self.model_variables = list(keras_model.variables)
        self._run_model = lambda inputs: keras_model(inputs, training=False)
        self._config = config
        self._max_detections = max_detections
        self._mask_format = mask_format
        self.class_names = tf.Variable(list(class_names), dtype=tf.string, trainable=False,
                                       name="class_names")
        self.class_names_file = tf.saved_model.Asset(
            _write_text(asset_dir, names.CLASS_NAMES_ASSET, "\n".join(class_names) + "\n"))
        self.config_file = tf.saved_model.Asset(
            _write_text(asset_dir, names.CONFIG_ASSET, _config_json(config)))

    def signature(self, kind):
        """The concrete function of one input kind ("bytes" or "tensor")."""
        if kind == "bytes":
            def serve_bytes(image_bytes):
                return self._detect(image_bytes, decode=True)
            return tf.function(serve_bytes).get_concrete_function(
                tf.TensorSpec([None], tf.string, name=names.BYTES_INPUT))

        def serve_images(images):
            return self._detect(images, decode=False)
        return tf.function(serve_images).get_concrete_function(
            tf.TensorSpec([None, None, None, 3], tf.uint8, name=names.TENSOR_INPUT))

    def _one_image(self, image):
        config = self._config
        molded, meta, resized_hw = mold_image(image, config)
        anchors = grid_anchors(tf.shape(molded)[:2], tuple(config.RPN_ANCHOR_SCALES),
                               tuple(float(r) for r in config.RPN_ANCHOR_RATIOS))
        detections, masks = self._run_model([molded[None], meta[None], anchors[None]])
        detections, masks = detections[0, :self._max_detections], masks[0, :self._max_detections]
        original_hw = tf.cast(tf.shape(image)[:2], tf.float32)
        ratio = tf.tile(original_hw / resized_hw, [2])
        boxes = detections[:, :4] * ratio
        valid = detections[:, 4] > 0
        scale = tf.tile(tf.maximum(original_hw - 1.0, 1.0), [2])
        normalized = (boxes - tf.constant([0.0, 0.0, 1.0, 1.0])) / scale
        zero = tf.zeros_like(normalized)
        return (tf.reduce_sum(tf.cast(valid, tf.int32)),
                tf.where(valid[:, None], normalized, zero),
                tf.cast(detections[:, 4], tf.int32),
                detections[:, 5], masks, boxes)

    def _detect(self, inputs, *, decode):
        if self._mask_format == "image":
            check = tf.debugging.assert_equal(
                tf.shape(inputs)[0], 1, message="this model was exported with "
                "mask_format='image': one image per request")
            with tf.control_dependencies([check]):
                inputs = tf.identity(inputs)

        def one(item):
            image = (tf.io.decode_image(item, channels=3, dtype=tf.uint8,
                                        expand_animations=False) if decode else item)
            count, boxes, classes, scores, masks, pixel_boxes = self._one_image(image)
            out = [count, boxes, classes, scores, masks]
            if self._mask_format == "image":
                hw = tf.shape(image)[:2]
                pasted = tf.map_fn(lambda mb: paste_mask(mb[0], mb[1], hw),
                                   (masks[:count], pixel_boxes[:count]),
                                   fn_output_signature=tf.TensorSpec([None, None], tf.uint8))
                return out + [pasted]
            return out

        mask_side = 2 * self._config.MASK_POOL_SIZE
        n = self._max_detections
        signature = [tf.TensorSpec([], tf.int32), tf.TensorSpec([n, 4], tf.float32),
                     tf.TensorSpec([n], tf.int32), tf.TensorSpec([n], tf.float32),
                     tf.TensorSpec([n, mask_side, mask_side], tf.float32)]
        if self._mask_format == "image":
            signature.append(tf.TensorSpec([None, None, None], tf.uint8))
        outputs = tf.map_fn(one, inputs, fn_output_signature=signature)
        count, boxes, classes, scores, masks = outputs[:5]
        if self._mask_format == "image":
            masks = outputs[5]
        return {names.NUM_DETECTIONS: count, names.BOXES: boxes, names.CLASSES: classes,
                names.SCORES: scores, names.MASKS: masks,
                names.CLASS_NAMES: tf.where(classes > 0, tf.gather(self.class_names, classes),
                                            "")}
