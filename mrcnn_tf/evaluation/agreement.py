"""How far two detection sets of one image agree (the parity criterion of shared/parity).

Walk the reference detections by descending score; match each to the unmatched detection of
ours with the same class and the highest box IoU, if that IoU is >= ``min_box_iou`` (two
identical boxes have IoU 1, also when rounding left them no area).
Sets agree when matched / reference and matched / ours are both >= ``min_recall``, every
matched score differs by <= ``max_score_diff``, the mean mask IoU over matched pairs is
>= ``min_mask_iou``, and our masks have the expected height and width.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from mrcnn_tf.ops.boxes import box_iou, mask_iou


@dataclasses.dataclass
class Agreement:
    matched: int
    reference_count: int
    our_count: int
    max_score_diff: float
    mean_mask_iou: float
    mask_shape_ok: bool

    @property
    def recall(self) -> float:
        return self.matched / self.reference_count if self.reference_count else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.our_count if self.our_count else 1.0

    def passes(self, *, min_recall=0.95, max_score_diff=0.02, min_mask_iou=0.95) -> bool:
        return (self.recall >= min_recall and self.precision >= min_recall
                and self.max_score_diff <= max_score_diff and self.mean_mask_iou >= min_mask_iou
                and self.mask_shape_ok)

    def __str__(self):
        return (f"matched {self.matched} of {self.reference_count} reference / {self.our_count} "
                f"ours (recall {self.recall:.3f}, precision {self.precision:.3f}), max score diff "
                f"{self.max_score_diff:.4f}, mean mask IoU {self.mean_mask_iou:.4f}, "
                f"mask shape {'ok' if self.mask_shape_ok else 'WRONG'}")


def matching_box_iou(reference_rois, our_rois) -> np.ndarray:
    """Box IoU [R, O] for matching: ops.boxes.box_iou, except that two identical boxes count
    1.0 even when their area is zero (a thin box rounds to y1 == y2; both sides agree on it,
    as two empty masks do in mask_iou)."""
    reference_rois = np.asarray(reference_rois).reshape(-1, 4)
    our_rois = np.asarray(our_rois).reshape(-1, 4)
    identical = (reference_rois[:, None, :] == our_rois[None, :, :]).all(axis=-1)
    return np.where(identical, 1.0, box_iou(reference_rois, our_rois))


def compare_detections(reference: dict, ours: dict, image_hw, min_box_iou=0.9) -> Agreement:
    """Match two result dicts (rois, class_ids, scores, masks) of one image; see module doc."""
    order = np.argsort(-np.asarray(reference["scores"]), kind="stable")
    ious = matching_box_iou(reference["rois"], ours["rois"])
    used = np.zeros(len(ours["class_ids"]), dtype=bool)
    score_diffs, mask_ious = [], []
    for r in order:
        candidates = (~used) & (np.asarray(ours["class_ids"]) == reference["class_ids"][r])
        if not candidates.any():
            continue
        scores = np.where(candidates, ious[r], -1.0)
        best = int(np.argmax(scores))
        if scores[best] < min_box_iou:
            continue
        used[best] = True
        score_diffs.append(abs(float(reference["scores"][r]) - float(ours["scores"][best])))
        mask_ious.append(mask_iou(reference["masks"][..., r], ours["masks"][..., best]))
    return Agreement(
        matched=len(score_diffs), reference_count=len(reference["class_ids"]),
        our_count=len(ours["class_ids"]), max_score_diff=max(score_diffs, default=0.0),
        mean_mask_iou=float(np.mean(mask_ious)) if mask_ious else 1.0,
        mask_shape_ok=tuple(ours["masks"].shape[:2]) == tuple(image_hw[:2]))
