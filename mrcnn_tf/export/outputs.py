"""In-graph postprocessing for serving: model outputs to the serving outputs.

Shape shorthand: B images, D = DETECTION_MAX_INSTANCES rows of the model, N = max_detections,
C classes. Boxes leave the graph normalized to the *original* image in the package's convention
(ops.boxes: pixel box (y1, x1, y2, x2), y2/x2 exclusive, is (y1, x1, y2 - 1, x2 - 1) /
(H - 1, W - 1)), computed in float32 exactly as inference/postprocessing.py does, so that
``denorm_boxes`` gives detect()'s pixel boxes. Detections whose pixel box has no area are
dropped (as detect() drops them) and the rest moved to the front, in their order.
"""
from __future__ import annotations

import tensorflow as tf

from mrcnn_tf.export import names
from mrcnn_tf.ops.resize_graph import resize_bilinear
from mrcnn_tf.ops.masks import MASK_THRESHOLD

PIXEL_SHIFT = (0.0, 0.0, 1.0, 1.0)
PIXEL_BOXES = "detection_pixel_boxes"  # in-graph only, removed before leaving the graph


def _original_boxes(boxes, metas):
    """Boxes normalized to the molded image [B, D, 4] -> (normalized to the original image
    float32 [B, D, 4], pixel boxes int32 [B, D, 4] of the original image)."""
    original_hw = tf.cast(metas[:, 1:3], tf.float64)
    molded_hw = tf.cast(metas[:, 4:6], tf.float64)
    window = tf.cast(metas[:, 7:11], tf.float64)
    molded_scale = tf.tile(molded_hw - 1.0, [1, 2])
    wy1, wx1, wy2, wx2 = tf.unstack(tf.cast((window - PIXEL_SHIFT) / molded_scale, tf.float32),
                                    axis=1)
    shift = tf.stack([wy1, wx1, wy1, wx1], axis=1)[:, None, :]
    scale = tf.stack([wy2 - wy1, wx2 - wx1, wy2 - wy1, wx2 - wx1], axis=1)[:, None, :]
    normalized = (boxes - shift) / scale
    original_scale = tf.tile(original_hw - 1.0, [1, 2])[:, None, :]
    pixels = tf.round(tf.cast(normalized, tf.float64) * original_scale + PIXEL_SHIFT)
    return normalized, tf.cast(pixels, tf.int32)


def _class_masks(mrcnn_mask, class_ids):
    """mrcnn_mask [B, D, h, w, C], class_ids int32 [B, D] -> each row's class mask [B, D, h, w]."""
    per_class = tf.transpose(mrcnn_mask, [0, 1, 4, 2, 3])
    return tf.gather(per_class, tf.maximum(class_ids, 0), batch_dims=2)


def serving_outputs(detections, mrcnn_mask, metas, *, max_detections, class_names):
    """The serving outputs with box-relative masks.

    detections: float32 [B, D, 6] (y1, x1, y2, x2 normalized to the molded image, class id,
    score), zero padded; mrcnn_mask: float32 [B, D, h, w, C]; metas: float32 [B, META_SIZE];
    class_names: string [C].
    Returns a dict: ``num_detections`` int32 [B], ``detection_boxes`` float32 [B, N, 4],
    ``detection_classes`` int32 [B, N], ``detection_scores`` float32 [B, N],
    ``detection_masks`` float32 [B, N, h, w], ``detection_class_names`` string [B, N];
    rows from ``num_detections`` on are zero (empty names). Also PIXEL_BOXES
    (``detection_pixel_boxes``) int32 [B, N, 4] for in-graph use (not a serving output).
    """
    normalized, pixels = _original_boxes(detections[..., :4], metas)
    class_ids = tf.cast(detections[..., 4], tf.int32)
    present = tf.math.cumprod(tf.cast(class_ids > 0, tf.int32), axis=1) > 0  # up to first pad
    area = (pixels[..., 2] - pixels[..., 0]) * (pixels[..., 3] - pixels[..., 1])
    keep = tf.logical_and(present, area > 0)
    order = tf.argsort(tf.cast(tf.logical_not(keep), tf.int32), axis=1, stable=True)
    order = order[:, :max_detections]
    count = tf.minimum(tf.reduce_sum(tf.cast(keep, tf.int32), axis=1), max_detections)
    valid = tf.range(tf.shape(order)[1])[None, :] < count[:, None]

    def take(values, empty=0):
        values = tf.gather(values, order, batch_dims=1)
        mask = valid[(...,) + (None,) * (values.shape.rank - 2)]
        return tf.where(mask, values, tf.cast(empty, values.dtype))

    classes = take(class_ids)
    return {
        names.NUM_DETECTIONS: count,
        names.BOXES: take(normalized),
        names.CLASSES: classes,
        names.SCORES: take(detections[..., 5]),
        names.MASKS: take(_class_masks(mrcnn_mask, class_ids)),
        names.CLASS_NAMES: tf.where(valid, tf.gather(class_names, classes), ""),
        PIXEL_BOXES: take(pixels),
    }


def paste_mask(mask, box, image_hw, threshold=MASK_THRESHOLD):
    """One box-relative soft mask into a full-image mask, as ops.masks.unmold_mask.

    mask: float32 [h, w]; box: int32 [4] (y1, x1, y2, x2) original pixels, y2/x2 exclusive;
    image_hw: int32 [2]. Returns uint8 [H, W]: 1 where the mask resized to the box is >=
    threshold, else 0.
    """
    y1, x1, y2, x2 = tf.unstack(box)
    height, width = image_hw[0], image_hw[1]

    def paste():
        resized = tf.cast(resize_bilinear(mask[:, :, None], y2 - y1, x2 - x1)[:, :, 0], tf.float32)
        binary = tf.cast(resized >= threshold, tf.uint8)
        top, left = tf.clip_by_value(y1, 0, height), tf.clip_by_value(x1, 0, width)
        bottom, right = tf.clip_by_value(y2, 0, height), tf.clip_by_value(x2, 0, width)
        binary = binary[top - y1:bottom - y1, left - x1:right - x1]
        return tf.pad(binary, [[top, height - bottom], [left, width - right]])

    empty = tf.logical_or(y2 <= y1, x2 <= x1)
    return tf.cond(empty, lambda: tf.zeros(image_hw, tf.uint8), paste)


def image_masks(masks, pixel_boxes, count, image_hw):
    """Full-image masks of one image's first ``count`` detections.

    masks: float32 [N, h, w]; pixel_boxes: int32 [N, 4]; count: int32 scalar; image_hw: int32
    [2]. Returns uint8 [count, H, W] (0/1).
    """
    pasted = tf.map_fn(lambda i: paste_mask(masks[i], pixel_boxes[i], image_hw),
                       tf.range(count), fn_output_signature=tf.TensorSpec([None, None], tf.uint8))
    return tf.reshape(pasted, tf.concat([[count], image_hw], axis=0))
