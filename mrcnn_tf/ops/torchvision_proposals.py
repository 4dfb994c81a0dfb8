"""Region proposals as torchvision's ``RegionProposalNetwork.filter_proposals`` (inference).

Shape shorthand: B images, L levels, A_l anchors of level l, P = post_nms_top_n.
Boxes are float32 (y1, x1, y2, x2) pixels; deltas (dx, dy, dw, dh) (see ops.torchvision_boxes).

Per image: decode every anchor; per level keep the pre_nms_top_n highest objectness logits;
clip to the image, drop boxes smaller than min_size and probabilities (sigmoid) below
score_threshold; NMS within each level; then the P best of all levels by probability.

Equal scores are taken in a fixed order, lowest position first: within a level by anchor
index (tf.math.top_k), in NMS by top-k position (tf.image.non_max_suppression prefers the
lower index on equal scores), and at the final cut by level, then by top-k position
(tf.math.top_k over the levels concatenated in order). torchvision leaves that order to
PyTorch's sort, which is not stable on the CPU; the two agree whenever no tie straddles a cut.
"""
from __future__ import annotations

import tensorflow as tf

from mrcnn_tf.ops.torchvision_boxes import clip_boxes, decode_boxes, large_enough


def image_proposals(logits, deltas, anchors, image_hw, *, pre_nms_top_n, post_nms_top_n,
                    nms_threshold, min_size=1e-3, score_threshold=0.0,
                    weights=(1.0, 1.0, 1.0, 1.0)):
    """One image's proposals.

    logits: list of L float32 [A_l] objectness logits; deltas: list of L float32 [A_l, 4];
    anchors: float32 [sum A_l, 4] pixels, levels concatenated in order; image_hw: float32 [2]
    resized image (height, width) inside the padding.
    Returns (boxes float32 [P, 4] zero padded, scores float32 [P] sigmoid probabilities,
    zero padded, valid bool [P]).
    """
    kept_boxes, kept_scores = [], []
    offset = 0
    for level_logits, level_deltas in zip(logits, deltas):
        count = tf.shape(level_logits)[0]
        level_anchors = anchors[offset:offset + count]
        offset = offset + count
        top_logits, top = tf.math.top_k(level_logits, tf.minimum(pre_nms_top_n, count))
        boxes = decode_boxes(tf.gather(level_deltas, top), tf.gather(level_anchors, top),
                             weights)
        boxes = clip_boxes(boxes, image_hw[0], image_hw[1])
        scores = tf.sigmoid(top_logits)
        keep = tf.logical_and(large_enough(boxes, min_size), scores >= score_threshold)
        boxes = tf.boolean_mask(boxes, keep)
        scores = tf.boolean_mask(scores, keep)
        selected = tf.image.non_max_suppression(boxes, scores, post_nms_top_n, nms_threshold)
        kept_boxes.append(tf.gather(boxes, selected))
        kept_scores.append(tf.gather(scores, selected))
    boxes = tf.concat(kept_boxes, axis=0)
    scores = tf.concat(kept_scores, axis=0)
    scores, best = tf.math.top_k(scores, tf.minimum(post_nms_top_n, tf.shape(scores)[0]))
    boxes = tf.gather(boxes, best)
    missing = post_nms_top_n - tf.shape(scores)[0]
    valid = tf.pad(tf.ones_like(scores, tf.bool), [[0, missing]])
    return (tf.pad(boxes, [[0, missing], [0, 0]]), tf.pad(scores, [[0, missing]]), valid)


def batch_proposals(logits, deltas, anchors, image_hw, **kwargs):
    """image_proposals over a batch: logits list of L [B, A_l], deltas list of L [B, A_l, 4],
    anchors [B, A, 4], image_hw [B, 2]. Returns (boxes [B, P, 4], scores [B, P], valid [B, P])."""
    count = kwargs["post_nms_top_n"]

    def one(inputs):
        level_logits, level_deltas, image_anchors, hw = inputs
        return image_proposals(level_logits, level_deltas, image_anchors, hw, **kwargs)

    return tf.map_fn(one, (list(logits), list(deltas), anchors, image_hw),
                     fn_output_signature=(tf.TensorSpec([count, 4], tf.float32),
                                          tf.TensorSpec([count], tf.float32),
                                          tf.TensorSpec([count], tf.bool)))
