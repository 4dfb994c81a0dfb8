"""Boxes against ground-truth slots: the best instance of each box and its overlap with crowds
(shared by the RPN and the second-stage targets)."""
from __future__ import annotations

import tensorflow as tf

from mrcnn_tf.ops.boxes_graph import box_iou_graph


def match_ground_truth(boxes, gt_class_ids, gt_boxes):
    """boxes float32 [N, 4]; gt_class_ids int32 [G] (> 0 instance, < 0 crowd, 0 padding);
    gt_boxes float32 [G, 4], same units as boxes.

    Returns (instance_overlaps float32 [N, G], the IoU with instances and -1 with other slots;
    iou_max float32 [N], the best instance IoU, -1 without instances; best_gt int32 [N], its
    slot; crowd_max float32 [N], the best IoU with a crowd region, 0 without crowds).
    """
    overlaps = box_iou_graph(boxes, gt_boxes)                                # [N, G]
    instance_overlaps = tf.where(gt_class_ids[tf.newaxis, :] > 0, overlaps, -1.0)
    crowd_overlaps = tf.where(gt_class_ids[tf.newaxis, :] < 0, overlaps, 0.0)
    # an extra column (-1 for instances, 0 for crowds) keeps max/argmax defined when G = 0
    extra = tf.ones_like(overlaps[:, :1])
    padded = tf.concat([instance_overlaps, -extra], axis=1)
    iou_max = tf.reduce_max(padded, axis=1)
    best_gt = tf.argmax(padded, axis=1, output_type=tf.int32)
    crowd_max = tf.reduce_max(tf.concat([crowd_overlaps, 0.0 * extra], axis=1), axis=1)
    return instance_overlaps, iou_max, best_gt, crowd_max
