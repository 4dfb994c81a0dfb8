"""evaluation.metrics against an example worked out by hand (see the comments)."""
from __future__ import annotations

import numpy as np
import pytest

from mrcnn_tf.evaluation.metrics import (compute_ap, compute_ap_range, compute_matches,
                                         compute_overlaps, compute_overlaps_masks,
                                         compute_recall)
from mrcnn_tf.ops.boxes import extract_bboxes


def _masks(*regions, shape=(10, 10)):
    masks = np.zeros(shape + (len(regions),), bool)
    for i, (rows, cols) in enumerate(regions):
        masks[rows, cols, i] = True
    return masks


A = (slice(0, 2), slice(0, 10))
B = (slice(4, 6), slice(0, 10))
C = (slice(8, 10), slice(0, 10))
HALF_B = (slice(4, 6), slice(0, 5))


@pytest.fixture
def example():
    """Three gt instances (A, B class 1; C class 2) and four predictions, which by score are:
    A 0.9 (TP), half of B 0.8 (mask IoU 0.5: TP at threshold 0.5), A again 0.7 (duplicate:
    FP), C 0.6 with the wrong class (FP). They are given out of score order, followed by a
    zero-padded prediction that must be ignored."""
    gt_masks = _masks(A, B, C)
    pred_masks = np.concatenate([_masks(C, A, A, HALF_B), np.zeros([10, 10, 1], bool)], axis=2)
    pred_boxes = np.concatenate([extract_bboxes(pred_masks[..., :4]), np.zeros([1, 4])])
    return dict(gt_boxes=extract_bboxes(gt_masks), gt_class_ids=np.array([1, 1, 2]),
                gt_masks=gt_masks, pred_boxes=pred_boxes,
                pred_class_ids=np.array([1, 1, 1, 1, 0]),
                pred_scores=np.array([0.6, 0.9, 0.7, 0.8, 0.0]), pred_masks=pred_masks)


def test_matches(example):
    gt_match, pred_match, overlaps = compute_matches(**example)  # predictions by score
    np.testing.assert_array_equal(pred_match, [0, 1, -1, -1])
    np.testing.assert_array_equal(gt_match, [0, 1, -1])
    np.testing.assert_allclose(overlaps[1], [0, 0.5, 0])


def test_ap_by_hand(example):
    # precisions 1, 1, 2/3, 1/2 at recalls 1/3, 2/3, 2/3, 2/3: area = 1/3 + 1/3 = 2/3
    m_ap, precisions, recalls, _ = compute_ap(**example)
    assert m_ap == pytest.approx(2 / 3)
    np.testing.assert_allclose(precisions, [1, 1, 1, 2 / 3, 1 / 2, 0])
    np.testing.assert_allclose(recalls, [0, 1 / 3, 2 / 3, 2 / 3, 2 / 3, 1])
    # at IoU 0.6 the half-B prediction misses: only A counts, AP = 1/3
    assert compute_ap(**example, iou_threshold=0.6)[0] == pytest.approx(1 / 3)
    # thresholds 0.5 (2/3) and 0.55..0.95 (1/3 each, A is exact)
    assert compute_ap_range(*example.values()) == pytest.approx((2 / 3 + 9 / 3) / 10)


def test_perfect_and_empty_predictions(example):
    perfect = dict(example, pred_boxes=example["gt_boxes"], pred_class_ids=np.array([1, 1, 2]),
                   pred_scores=np.array([0.9, 0.8, 0.7]), pred_masks=example["gt_masks"])
    assert compute_ap(**perfect)[0] == pytest.approx(1.0)
    empty = dict(example, pred_boxes=np.zeros([0, 4]), pred_class_ids=np.zeros([0], int),
                 pred_scores=np.zeros([0]), pred_masks=np.zeros([10, 10, 0], bool))
    assert compute_ap(**empty)[0] == 0.0


def test_overlaps():
    np.testing.assert_allclose(compute_overlaps([[0, 0, 10, 10]], [[0, 5, 10, 15], [20, 20, 30, 30]]),
                               [[1 / 3, 0]])
    masks = _masks(A, HALF_B)
    np.testing.assert_allclose(compute_overlaps_masks(masks, _masks(B, A)), [[0, 1], [0.5, 0]])
    assert compute_overlaps_masks(masks, np.zeros([10, 10, 0])).shape == (2, 0)
    with pytest.raises(ValueError, match="different sizes"):
        compute_overlaps_masks(masks, np.zeros([5, 5, 1]))


def test_recall():
    gt = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]])
    pred = np.array([[0, 0, 10, 10], [0, 1, 10, 10], [20, 25, 30, 30], [60, 60, 70, 70]])
    recall, positive = compute_recall(pred, gt, 0.5)
    assert recall == pytest.approx(2 / 3)  # gt 0 (twice) and gt 1 (IoU 0.5)
    np.testing.assert_array_equal(positive, [0, 1, 2])
