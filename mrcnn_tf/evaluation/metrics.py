"""Detection metrics as matterport's utils: overlaps, matches, AP at an IoU threshold, recall.

Boxes are (y1, x1, y2, x2) pixels, y2/x2 exclusive; masks are bool [H, W, N] (instances on the
last axis, as detect() returns them). Ground truth and predictions of one image.
"""
from __future__ import annotations

import numpy as np

from mrcnn_tf.ops.boxes import box_iou, mask_overlaps


def compute_overlaps(boxes1, boxes2) -> np.ndarray:
    """IoU of every box of boxes1 [N, 4] with every box of boxes2 [M, 4]: float [N, M]."""
    return box_iou(boxes1, boxes2)


def compute_overlaps_masks(masks1, masks2) -> np.ndarray:
    """IoU of every mask of masks1 [H, W, N] with every mask of masks2 [H, W, M]: [N, M];
    all zeros when either set is empty."""
    masks1 = np.asarray(masks1)
    masks2 = np.asarray(masks2)
    if masks1.shape[-1] == 0 or masks2.shape[-1] == 0:
        return np.zeros((masks1.shape[-1], masks2.shape[-1]))
    if masks1.shape[:2] != masks2.shape[:2]:
        raise ValueError(f"masks of different sizes: {masks1.shape[:2]} and {masks2.shape[:2]}")
    return mask_overlaps(masks1, masks2)


def _trim_zero_boxes(boxes, *others):
    keep = np.any(np.asarray(boxes) != 0, axis=1)
    return (np.asarray(boxes)[keep],) + tuple(np.asarray(o)[..., keep] if np.ndim(o) == 3
                                               else np.asarray(o)[keep] for o in others)


def compute_matches(gt_boxes, gt_class_ids, gt_masks, pred_boxes, pred_class_ids, pred_scores,
                    pred_masks, iou_threshold=0.5, score_threshold=0.0):
    """Match predictions to ground truth greedily by descending score (matterport's rule).

    Each prediction takes the unmatched ground-truth instance of highest mask IoU if that IoU
    is >= iou_threshold and the classes agree. Zero-padded boxes are dropped first.
    Returns (gt_match [G] index of the matched prediction or -1, pred_match [P] index of the
    matched ground truth or -1, overlaps [P, G] mask IoUs), predictions sorted by score.
    """
    gt_boxes, gt_class_ids, gt_masks = _trim_zero_boxes(gt_boxes, gt_class_ids, gt_masks)
    pred_boxes, pred_class_ids, pred_scores, pred_masks = _trim_zero_boxes(
        pred_boxes, pred_class_ids, pred_scores, pred_masks)
    order = np.argsort(pred_scores, kind="stable")[::-1]
    pred_class_ids = pred_class_ids[order]
    pred_masks = pred_masks[..., order]
    overlaps = compute_overlaps_masks(pred_masks, gt_masks)
    gt_match = -np.ones(len(gt_class_ids), dtype=int)
    pred_match = -np.ones(len(pred_class_ids), dtype=int)
    for i in range(len(pred_class_ids)):
        candidates = np.argsort(overlaps[i], kind="stable")[::-1]
        low = np.where(overlaps[i, candidates] < score_threshold)[0]
        if low.size:
            candidates = candidates[:low[0]]
        for j in candidates:
            if gt_match[j] > -1:
                continue
            if overlaps[i, j] < iou_threshold:
                break
            if pred_class_ids[i] == gt_class_ids[j]:
                gt_match[j] = i
                pred_match[i] = j
                break
    return gt_match, pred_match, overlaps


def compute_ap(gt_boxes, gt_class_ids, gt_masks, pred_boxes, pred_class_ids, pred_scores,
               pred_masks, iou_threshold=0.5):
    """Average precision at one mask-IoU threshold (matterport's compute_ap, VOC-style:
    area under the precision envelope at the recall steps).

    Returns (mAP float, precisions [P + 2], recalls [P + 2], overlaps [P, G]).
    """
    gt_match, pred_match, overlaps = compute_matches(
        gt_boxes, gt_class_ids, gt_masks, pred_boxes, pred_class_ids, pred_scores, pred_masks,
        iou_threshold)
    hits = np.cumsum(pred_match > -1)
    precisions = hits / (np.arange(len(pred_match)) + 1)
    recalls = hits.astype(np.float64) / max(len(gt_match), 1)
    precisions = np.concatenate([[0], precisions, [0]])
    recalls = np.concatenate([[0], recalls, [1]])
    for i in range(len(precisions) - 2, -1, -1):
        precisions[i] = max(precisions[i], precisions[i + 1])
    steps = np.where(recalls[:-1] != recalls[1:])[0] + 1
    m_ap = float(np.sum((recalls[steps] - recalls[steps - 1]) * precisions[steps]))
    return m_ap, precisions, recalls, overlaps


def compute_ap_range(gt_box, gt_class_id, gt_mask, pred_box, pred_class_id, pred_score,
                     pred_mask, iou_thresholds=None, verbose=0) -> float:
    """Mean of compute_ap over IoU thresholds (default 0.5, 0.55, ..., 0.95)."""
    thresholds = np.arange(0.5, 1.0, 0.05) if iou_thresholds is None else iou_thresholds
    aps = [compute_ap(gt_box, gt_class_id, gt_mask, pred_box, pred_class_id, pred_score,
                      pred_mask, iou_threshold=t)[0] for t in thresholds]
    if verbose:
        print(f"AP @{thresholds[0]:.2f}-{thresholds[-1]:.2f}:\t {np.mean(aps):.3f}")
    return float(np.mean(aps))


def compute_recall(pred_boxes, gt_boxes, iou):
    """Share of ground-truth boxes [G, 4] covered by a predicted box [P, 4] with IoU >= iou.

    Returns (recall float, indices of the predictions that cover one)."""
    overlaps = compute_overlaps(pred_boxes, gt_boxes)
    if overlaps.size == 0:
        return 0.0, np.zeros([0], dtype=int)
    best = overlaps.max(axis=1)
    best_gt = overlaps.argmax(axis=1)
    positive_ids = np.where(best >= iou)[0]
    return len(set(best_gt[positive_ids])) / np.asarray(gt_boxes).shape[0], positive_ids
