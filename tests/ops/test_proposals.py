"""ops.proposals.generate_proposals on a hand-made example and a numpy reference."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from mrcnn_tf.ops.boxes import box_iou
from mrcnn_tf.ops.proposals import generate_proposals

STD = np.array([0.1, 0.1, 0.2, 0.2], np.float32)

ANCHORS = np.array([
    [0.10, 0.10, 0.30, 0.30],   # a0
    [0.11, 0.11, 0.31, 0.31],   # a1: IoU ~0.82 with a0
    [0.50, 0.50, 0.70, 0.70],   # a2
    [0.90, 0.90, 1.10, 1.10],   # a3: outside the image until clipped
    [0.00, 0.50, 0.20, 0.70],   # a4
], np.float32)
DELTAS = np.zeros((5, 4), np.float32)
DELTAS[2] = [1.0, 0.0, 0.0, 0.0]                  # * 0.1 -> centre down by 0.1 * height
DELTAS[3] = [0.0, 0.0, np.log(2.0) / 0.2, 0.0]    # * 0.2 -> height doubled


def _reference(scores, deltas, anchors, pre_nms_limit, proposal_count, nms_threshold):
    """Top-k, apply std-scaled deltas, clip to [0, 1], greedy NMS, zero pad (plain numpy)."""
    order = np.argsort(-scores, kind="stable")[:pre_nms_limit]
    boxes = []
    for i in order:
        y1, x1, y2, x2 = anchors[i]
        dy, dx, dh, dw = deltas[i] * STD
        h, w = y2 - y1, x2 - x1
        cy, cx = y1 + h / 2 + dy * h, x1 + w / 2 + dx * w
        h, w = h * np.exp(dh), w * np.exp(dw)
        boxes.append(np.clip([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], 0, 1))
    kept = []
    for box in boxes:
        if len(kept) < proposal_count and all(box_iou([box], [k])[0, 0] <= nms_threshold
                                               for k in kept):
            kept.append(box)
    out = np.zeros((proposal_count, 4))
    out[:len(kept)] = kept
    return out


def _run(scores, **kwargs):
    batch = len(scores)
    return generate_proposals(
        tf.constant(scores, tf.float32), tf.constant(np.broadcast_to(DELTAS, (batch, 5, 4))),
        tf.constant(np.broadcast_to(ANCHORS, (batch, 5, 4))), bbox_std_dev=STD, **kwargs).numpy()


def test_hand_made_example():
    scores = np.array([[0.9, 0.8, 0.7, 0.6, 0.1]], np.float32)
    out = _run(scores, pre_nms_limit=4, proposal_count=4, nms_threshold=0.7)
    assert out.shape == (1, 4, 4) and out.dtype == np.float32
    expected = [
        [0.10, 0.10, 0.30, 0.30],   # a0 unchanged
        [0.52, 0.50, 0.72, 0.70],   # a2 moved down by 0.1 * 0.2; a1 suppressed by a0
        [0.80, 0.90, 1.00, 1.00],   # a3 doubled in height (0.8..1.2), clipped to 1
        [0.0, 0.0, 0.0, 0.0],       # padding: a4 is cut by pre_nms_limit=4
    ]
    np.testing.assert_allclose(out[0], expected, atol=1e-6)


def test_batch_is_per_image_and_matches_reference():
    scores = np.array([[0.9, 0.8, 0.7, 0.6, 0.1],
                       [0.2, 0.95, 0.3, 0.1, 0.99]], np.float32)
    out = _run(scores, pre_nms_limit=5, proposal_count=3, nms_threshold=0.7)
    for b in range(2):
        np.testing.assert_allclose(out[b], _reference(scores[b], DELTAS, ANCHORS, 5, 3, 0.7),
                                   atol=1e-6)
    # image 1: a4 first, then a1 (a0 suppressed by it), then a2; proposal_count caps at 3
    np.testing.assert_allclose(out[1], [ANCHORS[4], ANCHORS[1], [0.52, 0.5, 0.72, 0.7]],
                               atol=1e-6)


def test_nms_threshold_above_overlap_keeps_both():
    scores = np.array([[0.9, 0.8, 0.7, 0.6, 0.1]], np.float32)
    out = _run(scores, pre_nms_limit=2, proposal_count=3, nms_threshold=0.9)
    np.testing.assert_allclose(out[0], [ANCHORS[0], ANCHORS[1], [0, 0, 0, 0]], atol=1e-6)


def test_pre_nms_limit_larger_than_anchor_count():
    scores = np.array([[0.5, 0.4, 0.3, 0.2, 0.1]], np.float32)
    out = _run(scores, pre_nms_limit=6000, proposal_count=6, nms_threshold=0.7)
    np.testing.assert_allclose(out[0], _reference(scores[0], DELTAS, ANCHORS, 6000, 6, 0.7),
                               atol=1e-6)
    assert (out[0, 4:] == 0).all()
