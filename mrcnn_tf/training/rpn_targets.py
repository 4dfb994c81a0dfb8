"""RPN training targets: which anchors are objects, and the deltas that fit them to objects.

Shape shorthand: A anchors, G ground-truth slots (zero padded), T = anchors_per_image.
Boxes are (y1, x1, y2, x2) in pixels of the molded image, as in matterport's build_rpn_targets.
Class ids: > 0 an instance, < 0 a crowd region (COCO iscrowd), 0 padding.
"""
from __future__ import annotations

import tensorflow as tf

from mrcnn_tf.ops.boxes_graph import box_deltas_graph
from mrcnn_tf.ops.gt_matching import match_ground_truth

POSITIVE, NEUTRAL, NEGATIVE = 1, 0, -1


def _keep_random(match, value, limit, seed=None):
    """Reset all but ``limit`` randomly chosen entries equal to ``value`` to NEUTRAL.
    seed: None (TensorFlow's random state) or an int [2] tensor (reproducible choice)."""
    ids = tf.where(tf.equal(match, value))[:, 0]
    ids = (tf.random.shuffle(ids) if seed is None
           else tf.random.experimental.stateless_shuffle(ids, seed=seed))
    extra = ids[limit:]
    return tf.tensor_scatter_nd_update(match, extra[:, tf.newaxis],
                                       tf.fill(tf.shape(extra), NEUTRAL))


def rpn_targets(anchors, gt_class_ids, gt_boxes, *, anchors_per_image, bbox_std_dev,
                positive_iou=0.7, negative_iou=0.3, crowd_iou=0.001, seed=None):
    """Anchor labels and box targets of one image (matterport's build_rpn_targets).

    anchors: float32 [A, 4] pixels. gt_class_ids: int32 [G]. gt_boxes: float32 [G, 4] pixels.
    An anchor is positive when its IoU with an instance is >= positive_iou, or when it is (one
    of) the best anchor(s) of an instance; negative when its best instance IoU is
    < negative_iou and it overlaps no crowd region by crowd_iou or more; neutral otherwise.
    Positives are subsampled to half of anchors_per_image and negatives fill the rest, at
    random; seed: optional int [2] tensor that makes the choice reproducible.
    Returns (rpn_match int32 [A] in {1, 0, -1}, rpn_bbox float32 [T, 4]): the deltas
    (dy, dx, log(dh), log(dw)) / bbox_std_dev of the positive anchors in anchor order, zero padded.
    """
    gt_class_ids = tf.cast(gt_class_ids, tf.int32)
    gt_boxes = tf.cast(gt_boxes, tf.float32)
    instance_overlaps, iou_max, best_gt, crowd_max = match_ground_truth(
        anchors, gt_class_ids, gt_boxes)
    no_crowd = crowd_max < crowd_iou

    match = tf.where((iou_max < negative_iou) & no_crowd, NEGATIVE, NEUTRAL)
    # Every instance gets its best anchor(s), whatever their IoU, if they overlap it at all
    # (crowd and padding slots are -1 in instance_overlaps, so they get none).
    per_gt_max = tf.reduce_max(instance_overlaps, axis=0)                     # [G]
    is_best = tf.equal(instance_overlaps, per_gt_max[tf.newaxis, :]) & (
        per_gt_max[tf.newaxis, :] > 0)
    match = tf.where(tf.reduce_any(is_best, axis=1), POSITIVE, match)
    match = tf.where(iou_max >= positive_iou, POSITIVE, match)

    seeds = (None, None) if seed is None else (seed, seed + tf.constant([0, 1], seed.dtype))
    match = _keep_random(match, POSITIVE, anchors_per_image // 2, seeds[0])
    positives = tf.reduce_sum(tf.cast(tf.equal(match, POSITIVE), tf.int32))
    match = _keep_random(match, NEGATIVE, anchors_per_image - positives, seeds[1])

    positive_ids = tf.where(tf.equal(match, POSITIVE))[:, 0]
    deltas = box_deltas_graph(tf.gather(anchors, positive_ids),
                              tf.gather(gt_boxes, tf.gather(best_gt, positive_ids)))
    deltas /= tf.constant(bbox_std_dev, tf.float32)
    deltas = tf.pad(deltas, [(0, anchors_per_image - tf.shape(deltas)[0]), (0, 0)])
    return match, tf.ensure_shape(deltas, [anchors_per_image, 4])
