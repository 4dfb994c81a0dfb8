"""The five Mask R-CNN losses (matterport's *_loss_graph functions) and the L2 weight decay.

Shape shorthand: B images, A anchors, T_rpn RPN box targets per image, T ROIs per image,
C classes, S x S mask size. Every loss is a float32 scalar, 0 when it has nothing to average
(e.g. no positive ROI in the batch).
"""
from __future__ import annotations

import tensorflow as tf

LOSS_NAMES = ("rpn_class_loss", "rpn_bbox_loss", "mrcnn_class_loss", "mrcnn_bbox_loss",
              "mrcnn_mask_loss")


def _mean_or_zero(values):
    return tf.cond(tf.size(values) > 0, lambda: tf.reduce_mean(values), lambda: tf.constant(0.0))


def smooth_l1(y_true, y_pred):
    """Elementwise smooth L1 (Huber with delta 1): 0.5 d^2 where |d| < 1, else |d| - 0.5."""
    diff = tf.abs(y_true - y_pred)
    return tf.where(diff < 1.0, 0.5 * diff ** 2, diff - 0.5)


def rpn_class_loss(rpn_match, rpn_class_logits):
    """Cross-entropy of anchor labels. rpn_match: int32 [B, A] in {1, 0, -1} (neutral anchors
    do not count); rpn_class_logits: float32 [B, A, 2] (background, object)."""
    used = tf.where(tf.not_equal(rpn_match, 0))
    labels = tf.cast(tf.equal(tf.gather_nd(rpn_match, used), 1), tf.int32)
    logits = tf.gather_nd(rpn_class_logits, used)
    return _mean_or_zero(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))


def rpn_bbox_loss(target_bbox, rpn_match, rpn_bbox):
    """Smooth L1 of positive anchors' deltas. target_bbox: float32 [B, T_rpn, 4], the positive
    anchors' targets in anchor order, zero padded; rpn_match: int32 [B, A]; rpn_bbox: float32
    [B, A, 4] predicted deltas."""
    positive = tf.equal(rpn_match, 1)
    predicted = tf.boolean_mask(rpn_bbox, positive)
    counts = tf.reduce_sum(tf.cast(positive, tf.int32), axis=1)
    slots = tf.range(tf.shape(target_bbox)[1])[tf.newaxis, :] < counts[:, tf.newaxis]
    target = tf.boolean_mask(target_bbox, slots)
    return _mean_or_zero(smooth_l1(target, predicted))


def mrcnn_class_loss(target_class_ids, pred_class_logits, active_class_ids):
    """Cross-entropy of ROI classes. target_class_ids: int32 [B, T]; pred_class_logits: float32
    [B, T, C]; active_class_ids: float32 [B, C], 1 for the classes of the image's dataset.
    ROIs predicted as a class their dataset does not have are left out (matterport's rule for
    training on several datasets at once)."""
    target_class_ids = tf.cast(target_class_ids, tf.int32)
    pred_class_ids = tf.argmax(pred_class_logits, axis=2, output_type=tf.int32)
    pred_active = tf.gather(tf.cast(active_class_ids, tf.float32), pred_class_ids, batch_dims=1)
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(target_class_ids, pred_class_logits)
    return tf.math.divide_no_nan(tf.reduce_sum(loss * pred_active), tf.reduce_sum(pred_active))


def mrcnn_bbox_loss(target_bbox, target_class_ids, pred_bbox):
    """Smooth L1 of the positive ROIs' deltas for their true class. target_bbox: float32
    [B, T, 4]; target_class_ids: int32 [B, T]; pred_bbox: float32 [B, T, C, 4]."""
    target_class_ids = tf.cast(target_class_ids, tf.int32)
    positive = tf.where(target_class_ids > 0)
    index = tf.concat([positive, tf.cast(tf.gather_nd(target_class_ids, positive), tf.int64)[:, None]],
                      axis=1)
    return _mean_or_zero(smooth_l1(tf.gather_nd(target_bbox, positive),
                                   tf.gather_nd(pred_bbox, index)))


def mrcnn_mask_loss(target_masks, target_class_ids, pred_masks):
    """Binary cross-entropy of the positive ROIs' masks for their true class. target_masks:
    float32 [B, T, S, S] in {0, 1}; target_class_ids: int32 [B, T]; pred_masks: float32
    [B, T, S, S, C] sigmoid probabilities."""
    target_class_ids = tf.cast(target_class_ids, tf.int32)
    positive = tf.where(target_class_ids > 0)
    classes = tf.gather_nd(target_class_ids, positive)
    predicted = tf.gather_nd(tf.transpose(pred_masks, [0, 1, 4, 2, 3]),
                             tf.concat([positive, tf.cast(classes, tf.int64)[:, None]], axis=1))
    epsilon = 1e-7
    predicted = tf.clip_by_value(predicted, epsilon, 1.0 - epsilon)
    target = tf.gather_nd(target_masks, positive)
    bce = -(target * tf.math.log(predicted) + (1.0 - target) * tf.math.log(1.0 - predicted))
    return _mean_or_zero(bce)


def weight_decay_loss(variables, weight_decay):
    """matterport's L2 regularization: sum over weights of weight_decay * sum(w^2) / size(w).

    variables: the trainable variables; BatchNorm gamma and beta are left out (as matterport,
    kernels and biases count). Returns a float32 scalar.
    """
    terms = [weight_decay * tf.reduce_sum(tf.square(v)) / tf.cast(tf.size(v), tf.float32)
             for v in variables if _variable_name(v) not in ("gamma", "beta")]
    return tf.add_n(terms) if terms else tf.constant(0.0)


def _variable_name(variable):
    return variable.name.split(":")[0].split("/")[-1]
