"""Second-stage training targets of torchvision's Mask R-CNN (``RoIHeads.select_training_samples``).

Shape shorthand: B images, P proposals (zero padded), G ground-truth slots (zero padded),
T ROIs per image (TRAIN_ROIS_PER_IMAGE), h x w stored gt mask size, S x S mask target size.
Boxes are float32 (y1, x1, y2, x2) pixels of the padded molded image, as in the rest of the
torchvision family. Deltas are in torchvision's channel order (dx, dy, dw, dh), multiplied by
the BoxCoder weights (wx, wy, ww, wh) = 1 / BBOX_STD_DEV: the layout the box predictor's
``bbox_pred`` produces.

The sampling is the shared one (ops.detection_targets) with torchvision's rules: the gt boxes
join the proposals (``add_gt_proposals``), a proposal is foreground at IoU >= 0.5, and
negatives fill the sample up to T, mask targets are sampled at their bins' centres. Box
deltas and IoUs do not change when all boxes are scaled per axis, so the shared op runs on
boxes divided by (H - 1, W - 1) (the coordinates its mask crop, tf.image.crop_and_resize,
reads) and the ROIs are scaled back.
"""
from __future__ import annotations

import tensorflow as tf

from mrcnn_tf.ops.detection_targets import detection_targets_batch

# (dy, dx, dh, dw) <-> (dx, dy, dw, dh): the same swap either way
SWAP_AXES = (1, 0, 3, 2)


def swap_delta_order(deltas):
    """[..., 4] deltas (dy, dx, dh, dw) -> (dx, dy, dw, dh), and back (the swap is its own
    inverse); also for boxes' (y, x) pairs."""
    return tf.gather(deltas, list(SWAP_AXES), axis=-1)


def add_gt_proposals(proposals, gt_class_ids, gt_boxes):
    """The instances' gt boxes first, then the proposals: float32 [B, G + P, 4] pixels.

    proposals: [B, P, 4]; gt_class_ids: int32 [B, G] (> 0 instance, < 0 crowd, 0 padding);
    gt_boxes: [B, G, 4]. Crowd and padding slots become zero rows (ignored as padding).
    """
    is_instance = tf.cast(gt_class_ids, tf.int32)[..., tf.newaxis] > 0
    gt_rows = tf.where(is_instance, tf.cast(gt_boxes, tf.float32), 0.0)
    return tf.concat([gt_rows, tf.cast(proposals, tf.float32)], axis=1)


def roi_targets_torchvision(proposals, gt_class_ids, gt_boxes, gt_masks, image_hw, *,
                            rois_per_image, positive_ratio, bbox_std_dev, mask_shape,
                            mini_mask, seed=None):
    """Sample ROIs and their targets for a batch.

    proposals: float32 [B, P, 4] pixels, zero rows for padding; gt_class_ids int32 [B, G];
    gt_boxes float32 [B, G, 4] pixels (y2, x2 exclusive); gt_masks uint8 [B, h, w, G] 0/1,
    full-image masks (h x w = H x W) or, with mini_mask, each gt box's mask; image_hw: the
    padded molded (H, W). bbox_std_dev: (dy, dx, dh, dw) std devs, (0.1, 0.1, 0.2, 0.2) for
    torchvision's weights (10, 10, 5, 5).
    Returns rois float32 [B, T, 4] pixels (positives first, zero padded), class_ids int32
    [B, T] (0 background or padding), deltas float32 [B, T, 4] (dx, dy, dw, dh) weighted, zero
    for negatives, masks float32 [B, T, S, S] in {0, 1}, zero for negatives.
    """
    height = tf.cast(image_hw[0], tf.float32) - 1.0
    width = tf.cast(image_hw[1], tf.float32) - 1.0
    scale = tf.stack([height, width, height, width])
    candidates = add_gt_proposals(proposals, gt_class_ids, gt_boxes)
    rois, class_ids, deltas, masks = detection_targets_batch(
        candidates / scale, gt_class_ids, tf.cast(gt_boxes, tf.float32) / scale, gt_masks,
        rois_per_image=rois_per_image, positive_ratio=positive_ratio,
        bbox_std_dev=bbox_std_dev, mask_shape=mask_shape, mini_mask=mini_mask,
        fill_negatives=True, mask_bin_centres=True, seed=seed)
    return rois * scale, class_ids, swap_delta_order(deltas), masks
