"""The five losses of torchvision's Mask R-CNN (``rpn.py`` and ``roi_heads.py``), under the
matterport family's loss names so LOSS_WEIGHTS, logs and TrainingStep are shared.

Shape shorthand: B images, A anchors, T_rpn RPN box targets per image, T ROIs per image,
C classes, M x M mask size. Deltas are torchvision's (dx, dy, dw, dh) times the BoxCoder
weights; the RPN box targets of training.rpn_targets come in matterport's (dy, dx, dh, dw)
order (with RPN_BBOX_STD_DEV 1 the same numbers) and are swapped here. Every loss is a float32
scalar, 0 when it has nothing to count.

- rpn_class_loss: binary cross-entropy of the objectness logit, mean over sampled anchors.
- rpn_bbox_loss: smooth L1 (beta 1/9) summed over positive anchors / sampled anchors.
- mrcnn_class_loss: cross-entropy of the ROI class, mean over sampled ROIs.
- mrcnn_bbox_loss: smooth L1 (beta 1/9) of the gt class's deltas summed over positive ROIs /
  sampled ROIs.
- mrcnn_mask_loss: binary cross-entropy of the gt class's mask, mean over positive ROIs' pixels.
"""
from __future__ import annotations

import tensorflow as tf

from mrcnn_tf.ops.torchvision_targets import swap_delta_order
from mrcnn_tf.training import losses as L

SMOOTH_L1_BETA = 1.0 / 9


def smooth_l1_beta(y_true, y_pred, beta=SMOOTH_L1_BETA):
    """Elementwise smooth L1 as torch's: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""
    diff = tf.abs(y_true - y_pred)
    return tf.where(diff < beta, 0.5 * diff ** 2 / beta, diff - 0.5 * beta)


def _count(mask):
    return tf.reduce_sum(tf.cast(mask, tf.float32))


def rpn_objectness_loss(rpn_match, rpn_logits):
    """rpn_match int32 [B, A] in {1, 0, -1} (0 not sampled); rpn_logits float32 [B, A]."""
    used = tf.not_equal(rpn_match, 0)
    labels = tf.cast(tf.equal(tf.boolean_mask(rpn_match, used), 1), tf.float32)
    loss = tf.nn.sigmoid_cross_entropy_with_logits(labels, tf.boolean_mask(rpn_logits, used))
    return tf.math.divide_no_nan(tf.reduce_sum(loss), _count(used))


def rpn_box_loss(target_bbox, rpn_match, rpn_bbox):
    """target_bbox float32 [B, T_rpn, 4] (dy, dx, dh, dw) of the positive anchors in anchor
    order, zero padded; rpn_match int32 [B, A]; rpn_bbox float32 [B, A, 4] (dx, dy, dw, dh)."""
    positive = tf.equal(rpn_match, 1)
    predicted = tf.boolean_mask(rpn_bbox, positive)
    counts = tf.reduce_sum(tf.cast(positive, tf.int32), axis=1)
    slots = tf.range(tf.shape(target_bbox)[1])[tf.newaxis, :] < counts[:, tf.newaxis]
    target = swap_delta_order(tf.boolean_mask(target_bbox, slots))
    return tf.math.divide_no_nan(tf.reduce_sum(smooth_l1_beta(target, predicted)),
                                 _count(tf.not_equal(rpn_match, 0)))


def _sampled(rois):
    return tf.reduce_any(tf.not_equal(rois, 0.0), axis=-1)


def box_class_loss(rois, target_class_ids, class_logits):
    """rois [B, T, 4] (zero rows are padding); target_class_ids int32 [B, T]; class_logits
    float32 [B, T, C]."""
    sampled = _sampled(rois)
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(
        tf.boolean_mask(tf.cast(target_class_ids, tf.int32), sampled),
        tf.boolean_mask(class_logits, sampled))
    return tf.math.divide_no_nan(tf.reduce_sum(loss), _count(sampled))


def box_regression_loss(rois, target_bbox, target_class_ids, pred_bbox):
    """target_bbox float32 [B, T, 4]; pred_bbox float32 [B, T, C, 4] (dx, dy, dw, dh)."""
    target_class_ids = tf.cast(target_class_ids, tf.int32)
    positive = tf.where(target_class_ids > 0)
    classes = tf.cast(tf.gather_nd(target_class_ids, positive), tf.int64)[:, None]
    predicted = tf.gather_nd(pred_bbox, tf.concat([positive, classes], axis=1))
    loss = smooth_l1_beta(tf.gather_nd(target_bbox, positive), predicted)
    return tf.math.divide_no_nan(tf.reduce_sum(loss), _count(_sampled(rois)))


def compute_losses(batch, outputs) -> dict:
    """The five unweighted losses {name: float32 scalar} of a batch (training.batches) and the
    outputs of modeling.torchvision_training."""
    rois = outputs["rois"]
    return {
        "rpn_class_loss": rpn_objectness_loss(batch["input_rpn_match"],
                                              outputs["rpn_class_logits"]),
        "rpn_bbox_loss": rpn_box_loss(batch["input_rpn_bbox"], batch["input_rpn_match"],
                                      outputs["rpn_bbox"]),
        "mrcnn_class_loss": box_class_loss(rois, outputs["target_class_ids"],
                                           outputs["mrcnn_class_logits"]),
        "mrcnn_bbox_loss": box_regression_loss(rois, outputs["target_bbox"],
                                               outputs["target_class_ids"], outputs["mrcnn_bbox"]),
        "mrcnn_mask_loss": L.mrcnn_mask_loss(outputs["target_mask"], outputs["target_class_ids"],
                                             outputs["mrcnn_mask"]),
    }
