"""Final detections as torchvision's ``RoIHeads.postprocess_detections``.

Shape shorthand: B images, N proposals per image, C classes (background 0 included),
D = max_detections. Boxes are float32 (y1, x1, y2, x2) pixels; deltas (dx, dy, dw, dh).

Per image: softmax over classes; one decoded box per proposal and class, clipped to the
image; background dropped; keep class scores > score_threshold on boxes at least min_size on
each side; NMS per class; the D best by score (``tf.image.combined_non_max_suppression``
does the per-class NMS and the best-D selection).
"""
from __future__ import annotations

import tensorflow as tf

from mrcnn_tf.ops.torchvision_boxes import clip_boxes, decode_boxes, large_enough

TINY_SCORE = 1e-30  # masked scores are 0: a threshold of 0 must still drop them


def detect_batch(proposals, valid, class_logits, box_deltas, image_hw, *, weights,
                 score_threshold, nms_threshold, max_detections, min_size=1e-2):
    """Detections of a batch.

    proposals: float32 [B, N, 4] pixels; valid: bool [B, N] (padding rows False);
    class_logits: float32 [B, N, C]; box_deltas: float32 [B, N, C, 4]; image_hw: float32
    [B, 2] resized image (height, width). weights: BoxCoder (wx, wy, ww, wh).
    Returns float32 [B, D, 6] (y1, x1, y2, x2, class_id, score) by descending score, zero
    padded (class_id 0 marks padding).
    """
    probs = tf.nn.softmax(class_logits, axis=-1)[:, :, 1:]
    boxes = decode_boxes(box_deltas[:, :, 1:], proposals[:, :, tf.newaxis], weights)
    boxes = clip_boxes(boxes, image_hw[:, 0, tf.newaxis, tf.newaxis],
                       image_hw[:, 1, tf.newaxis, tf.newaxis])
    keep = (probs > score_threshold) & large_enough(boxes, min_size) & valid[:, :, tf.newaxis]
    scores = tf.where(keep, probs, 0.0)
    nmsed = tf.image.combined_non_max_suppression(
        boxes, scores, max_output_size_per_class=max_detections, max_total_size=max_detections,
        iou_threshold=nms_threshold, score_threshold=max(float(score_threshold), TINY_SCORE),
        pad_per_class=False, clip_boxes=False)
    is_detection = tf.range(max_detections)[tf.newaxis] < nmsed.valid_detections[:, tf.newaxis]
    classes = tf.where(is_detection, nmsed.nmsed_classes + 1.0, 0.0)
    out_scores = tf.where(is_detection, nmsed.nmsed_scores, 0.0)
    out_boxes = tf.where(is_detection[..., tf.newaxis], nmsed.nmsed_boxes, 0.0)
    return tf.concat([out_boxes, classes[..., tf.newaxis], out_scores[..., tf.newaxis]], axis=-1)
