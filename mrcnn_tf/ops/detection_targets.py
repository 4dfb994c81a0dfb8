"""Second-stage training targets: sample ROIs from the proposals and give each its class, box
deltas and mask (matterport's detection_targets_graph).

Shape shorthand: P proposals (zero padded), G ground-truth slots (zero padded), T ROIs per
image (TRAIN_ROIS_PER_IMAGE), h x w stored gt mask size, S x S mask target size.
Boxes are normalized (y1, x1, y2, x2). Class ids: > 0 instance, < 0 crowd, 0 padding.
"""
from __future__ import annotations

import tensorflow as tf

from mrcnn_tf.ops.boxes_graph import box_deltas_graph
from mrcnn_tf.ops.gt_matching import match_ground_truth


def _nonzero_rows(boxes):
    return tf.reduce_any(tf.not_equal(boxes, 0.0), axis=1)


def _mask_targets(rois, gt_boxes, gt_masks, mask_shape, mini_mask, bin_centres=False):
    """Crop each ROI's assigned gt mask: rois/gt_boxes [K, 4], gt_masks [K, h, w] -> [K, S, S]
    with values in {0, 1}. Mini masks cover their gt box, so ROIs are mapped into that box.
    crop_and_resize samples from edge to edge of the box; bin_centres samples the centre of each
    of the S x S bins instead (torchvision's roi_align of the gt masks), by shrinking the box
    half a bin on each side."""
    boxes = rois
    if bin_centres:
        y1, x1, y2, x2 = tf.split(rois, 4, axis=1)
        half_h = 0.5 * (y2 - y1) / mask_shape[0]
        half_w = 0.5 * (x2 - x1) / mask_shape[1]
        rois = tf.concat([y1 + half_h, x1 + half_w, y2 - half_h, x2 - half_w], axis=1)
        boxes = rois
    if mini_mask:
        y1, x1, y2, x2 = tf.split(rois, 4, axis=1)
        gy1, gx1, gy2, gx2 = tf.split(gt_boxes, 4, axis=1)
        gh, gw = gy2 - gy1, gx2 - gx1
        boxes = tf.concat([(y1 - gy1) / gh, (x1 - gx1) / gw, (y2 - gy1) / gh, (x2 - gx1) / gw], 1)
    masks = tf.image.crop_and_resize(tf.cast(gt_masks[..., tf.newaxis], tf.float32), boxes,
                                     tf.range(tf.shape(rois)[0]), mask_shape)
    return tf.round(masks[..., 0])


def detection_targets(proposals, gt_class_ids, gt_boxes, gt_masks, *, rois_per_image,
                      positive_ratio, bbox_std_dev, mask_shape, mini_mask, positive_iou=0.5,
                      crowd_iou=0.001, fill_negatives=False, mask_bin_centres=False,
                      seed=None):
    """Sample ROIs of one image and their targets.

    proposals: float32 [P, 4]. gt_class_ids: int32 [G]. gt_boxes: float32 [G, 4].
    gt_masks: bool or uint8 0/1 [h, w, G], full-image masks or, when mini_mask, masks of each gt box.
    A proposal is positive when its best instance IoU is >= positive_iou, negative when it is
    below and the proposal overlaps no crowd region by crowd_iou or more. Up to
    rois_per_image * positive_ratio positives are kept at random, then negatives so that
    positives make up positive_ratio of the sample (matterport's rule), or, with
    fill_negatives, negatives up to rois_per_image in all (torchvision's
    BalancedPositiveNegativeSampler). mask_bin_centres: mask targets sampled at the centres
    of their S x S bins (torchvision) rather than from edge to edge (matterport).
    Returns rois float32 [T, 4] (positives first), class_ids int32 [T], deltas float32 [T, 4]
    ((dy, dx, log(dh), log(dw)) / bbox_std_dev, zero for negatives), masks float32 [T, S, S]
    (zero for negatives); zero padded to T rows.
    """
    proposals = tf.boolean_mask(proposals, _nonzero_rows(proposals))
    valid = tf.not_equal(gt_class_ids, 0)
    gt_class_ids = tf.boolean_mask(gt_class_ids, valid)
    gt_boxes = tf.boolean_mask(tf.cast(gt_boxes, tf.float32), valid)
    gt_masks = tf.boolean_mask(tf.transpose(gt_masks, [2, 0, 1]), valid)     # [G', h, w]

    _, iou_max, best_gt, crowd_max = match_ground_truth(proposals, gt_class_ids, gt_boxes)
    positive = tf.where(iou_max >= positive_iou)[:, 0]
    negative = tf.where((iou_max < positive_iou) & (crowd_max < crowd_iou))[:, 0]

    positive = tf.random.shuffle(positive, seed=seed)[:int(rois_per_image * positive_ratio)]
    positive_count = tf.shape(positive)[0]
    if fill_negatives:
        negative_count = rois_per_image - positive_count
    else:
        negative_count = tf.cast(tf.cast(positive_count, tf.float32) / positive_ratio,
                                 tf.int32) - positive_count
    negative = tf.random.shuffle(negative, seed=seed)[:negative_count]

    positive_rois = tf.gather(proposals, positive)
    assignment = tf.gather(best_gt, positive)
    roi_gt_boxes = tf.gather(gt_boxes, assignment)
    class_ids = tf.gather(gt_class_ids, assignment)
    deltas = box_deltas_graph(positive_rois, roi_gt_boxes) / tf.constant(bbox_std_dev, tf.float32)
    masks = _mask_targets(positive_rois, roi_gt_boxes, tf.gather(gt_masks, assignment),
                          mask_shape, mini_mask, mask_bin_centres)

    rois = tf.concat([positive_rois, tf.gather(proposals, negative)], axis=0)
    pad = tf.maximum(rois_per_image - tf.shape(rois)[0], 0)
    pad_targets = tf.shape(negative)[0] + pad
    rois = tf.pad(rois, [(0, pad), (0, 0)])
    class_ids = tf.pad(class_ids, [(0, pad_targets)])
    deltas = tf.pad(deltas, [(0, pad_targets), (0, 0)])
    masks = tf.pad(masks, [(0, pad_targets), (0, 0), (0, 0)])
    size = list(mask_shape)
    return (tf.ensure_shape(rois, [rois_per_image, 4]),
            tf.ensure_shape(class_ids, [rois_per_image]),
            tf.ensure_shape(deltas, [rois_per_image, 4]),
            tf.ensure_shape(masks, [rois_per_image] + size))


def detection_targets_batch(proposals, gt_class_ids, gt_boxes, gt_masks, **kwargs):
    """detection_targets over a batch: inputs [B, ...], outputs [B, T, ...] (see above)."""
    rois_per_image = kwargs["rois_per_image"]
    size = list(kwargs["mask_shape"])
    signature = (tf.TensorSpec([rois_per_image, 4], tf.float32),
                 tf.TensorSpec([rois_per_image], tf.int32),
                 tf.TensorSpec([rois_per_image, 4], tf.float32),
                 tf.TensorSpec([rois_per_image] + size, tf.float32))
    # one image at a time: the random sampling then runs in a fixed order (reproducible
    # under a global seed)
    return tf.map_fn(lambda args: detection_targets(*args, **kwargs),
                     (proposals, tf.cast(gt_class_ids, tf.int32), gt_boxes, gt_masks),
                     fn_output_signature=signature, parallel_iterations=1)
