"""Final detections from classifier outputs.

Shape shorthand: B images, N ROIs per image, C classes (background is class 0),
D = max_instances. Boxes are normalized (y1, x1, y2, x2).
"""
from __future__ import annotations

import tensorflow as tf

from mrcnn_tf.ops.boxes_graph import apply_box_deltas_graph, clip_boxes_graph


def refine_detections(rois, probs, deltas, window, *, bbox_std_dev, min_confidence,
                      nms_threshold, max_instances):
    """Detections of one image.

    rois: float32 [N, 4]; probs: float32 [N, C] class probabilities; deltas: float32 [N, C, 4]
    class-specific (dy, dx, log(dh), log(dw)) before bbox_std_dev; window: float32 [4], the
    normalized image area inside the padding.
    Each ROI takes its most probable class; its box is refined by that class's deltas and
    clipped to the window. Background and scores < min_confidence are dropped, NMS runs per
    class at nms_threshold, and the top max_instances by score are kept.
    Returns float32 [D, 6]: (y1, x1, y2, x2, class_id, score), descending score, zero padded.
    """
    class_ids = tf.argmax(probs, axis=1, output_type=tf.int32)
    indices = tf.stack([tf.range(tf.shape(probs)[0]), class_ids], axis=1)
    class_scores = tf.gather_nd(probs, indices)
    specific = tf.gather_nd(deltas, indices) * tf.constant(bbox_std_dev, tf.float32)
    refined = clip_boxes_graph(apply_box_deltas_graph(rois, specific), window)

    keep = tf.where((class_ids > 0) & (class_scores >= min_confidence))[:, 0]
    pre_ids = tf.gather(class_ids, keep)
    pre_scores = tf.gather(class_scores, keep)
    pre_boxes = tf.gather(refined, keep)

    def nms_one_class(class_id):
        ixs = tf.where(tf.equal(pre_ids, class_id))[:, 0]
        chosen = tf.image.non_max_suppression(tf.gather(pre_boxes, ixs), tf.gather(pre_scores, ixs),
                                              max_output_size=max_instances,
                                              iou_threshold=nms_threshold)
        chosen = tf.gather(keep, tf.gather(ixs, chosen))
        return tf.pad(chosen, [(0, max_instances - tf.shape(chosen)[0])], constant_values=-1)

    per_class = tf.map_fn(nms_one_class, tf.unique(pre_ids)[0],
                          fn_output_signature=tf.TensorSpec([max_instances], tf.int64))
    kept = tf.reshape(per_class, [-1])
    kept = tf.sort(tf.boolean_mask(kept, kept > -1))  # ascending ROI index, as matterport
    kept_scores = tf.gather(class_scores, kept)
    top = tf.math.top_k(kept_scores, k=tf.minimum(tf.shape(kept)[0], max_instances),
                        sorted=True).indices
    kept = tf.gather(kept, top)
    detections = tf.concat([tf.gather(refined, kept),
                            tf.cast(tf.gather(class_ids, kept), tf.float32)[:, tf.newaxis],
                            tf.gather(class_scores, kept)[:, tf.newaxis]], axis=1)
    return tf.pad(detections, [(0, max_instances - tf.shape(detections)[0]), (0, 0)])


def detect_batch(rois, probs, deltas, windows, **kwargs):
    """refine_detections over a batch.

    rois: [B, N, 4]; probs: [B, N, C]; deltas: [B, N, C, 4]; windows: [B, 4] normalized.
    kwargs: as refine_detections. Returns float32 [B, D, 6].
    """
    max_instances = kwargs["max_instances"]
    return tf.map_fn(lambda args: refine_detections(*args, **kwargs),
                     (rois, probs, deltas, windows),
                     fn_output_signature=tf.TensorSpec([max_instances, 6], tf.float32))
