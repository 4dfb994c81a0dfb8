"""Region proposals from RPN outputs.

Shape shorthand: B images, A anchors, K = pre-NMS limit, R = proposal count.
Boxes are normalized (y1, x1, y2, x2).
"""
from __future__ import annotations

import tensorflow as tf

from mrcnn_tf.ops.boxes_graph import apply_box_deltas_graph, clip_boxes_graph


def generate_proposals(fg_scores, deltas, anchors, *, pre_nms_limit, proposal_count,
                       nms_threshold, bbox_std_dev):
    """Turn RPN scores and deltas into proposals.

    fg_scores: float32 [B, A] foreground probability per anchor.
    deltas: float32 [B, A, 4] (dy, dx, log(dh), log(dw)), not yet multiplied by bbox_std_dev.
    anchors: float32 [B, A, 4] normalized (y1, x1, y2, x2).
    Keeps the top ``pre_nms_limit`` anchors by score, applies the deltas, clips to [0, 1], and
    runs NMS at ``nms_threshold`` keeping at most ``proposal_count`` boxes per image.
    Returns float32 [B, R, 4] normalized boxes in descending score order, zero padded.
    """
    deltas = deltas * tf.reshape(tf.constant(bbox_std_dev, tf.float32), [1, 1, 4])
    k = tf.minimum(pre_nms_limit, tf.shape(anchors)[1])
    top = tf.math.top_k(fg_scores, k, sorted=True).indices
    scores = tf.gather(fg_scores, top, batch_dims=1)
    deltas = tf.gather(deltas, top, batch_dims=1)
    anchors = tf.gather(anchors, top, batch_dims=1)
    boxes = apply_box_deltas_graph(anchors, deltas)
    boxes = clip_boxes_graph(boxes, tf.constant([0.0, 0.0, 1.0, 1.0]))

    def nms_one(args):
        image_boxes, image_scores = args
        keep = tf.image.non_max_suppression(image_boxes, image_scores, proposal_count,
                                            nms_threshold)
        proposals = tf.gather(image_boxes, keep)
        padding = tf.maximum(proposal_count - tf.shape(proposals)[0], 0)
        return tf.pad(proposals, [(0, padding), (0, 0)])

    proposals = tf.map_fn(nms_one, (boxes, scores),
                          fn_output_signature=tf.TensorSpec([proposal_count, 4], tf.float32))
    return proposals
