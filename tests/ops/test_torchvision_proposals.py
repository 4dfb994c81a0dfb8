"""ops.torchvision_proposals: per-level top-k and NMS, clipping, small boxes, the final cut,
and the fixed order among equal scores (lowest position first), against a numpy reference."""
import numpy as np
import pytest

from mrcnn_tf.ops.torchvision_proposals import image_proposals

ANCHOR = [0.0, 0.0, 10.0, 10.0]
IMAGE_HW = (20.0, 20.0)


def _run(logits, anchors, **kwargs):
    deltas = [np.zeros((len(level), 4), np.float32) for level in logits]
    args = dict(pre_nms_top_n=2, post_nms_top_n=3, nms_threshold=0.5)
    args.update(kwargs)
    boxes, scores, valid = image_proposals([np.asarray(l, np.float32) for l in logits], deltas,
                                           np.asarray(anchors, np.float32),
                                           np.array(IMAGE_HW, np.float32), **args)
    return boxes.numpy(), scores.numpy(), valid.numpy()


def _iou(box, others):
    """IoU of one (y1, x1, y2, x2) box with [N, 4] boxes, float64."""
    y1 = np.maximum(box[0], others[:, 0])
    x1 = np.maximum(box[1], others[:, 1])
    y2 = np.minimum(box[2], others[:, 2])
    x2 = np.minimum(box[3], others[:, 3])
    inter = np.clip(y2 - y1, 0, None) * np.clip(x2 - x1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def _greedy_nms(boxes, threshold):
    """Indices kept by greedy NMS of boxes [N, 4] already in priority order."""
    kept = []
    for i in range(len(boxes)):
        if not kept or np.all(_iou(boxes[i], boxes[kept]) <= threshold):
            kept.append(i)
    return kept


def reference_proposals(logits, anchors, *, pre_nms_top_n, post_nms_top_n, nms_threshold,
                        min_size=1e-3):
    """The documented rule in numpy, zero deltas (a box is its anchor): per level the
    pre_nms_top_n highest logits (equal logits: lower anchor index first), clip, drop small
    boxes, NMS by probability (equal: earlier first); the post_nms_top_n highest probabilities
    of all levels (equal: earlier level, then earlier in the level). Returns (boxes [n, 4],
    scores [n]) float32, n <= post_nms_top_n."""
    all_boxes, all_scores, offset = [], [], 0
    for level in logits:
        level = np.asarray(level, np.float32)
        boxes = np.asarray(anchors[offset:offset + len(level)], np.float32)
        offset += len(level)
        top = np.argsort(-level, kind="stable")[:pre_nms_top_n]
        boxes = np.clip(boxes[top], 0.0, [IMAGE_HW[0], IMAGE_HW[1]] * 2)
        scores = (1.0 / (1.0 + np.exp(-level[top].astype(np.float64)))).astype(np.float32)
        keep = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) >= min_size
        boxes, scores = boxes[keep], scores[keep]
        order = np.argsort(-scores, kind="stable")
        kept = order[_greedy_nms(boxes[order].astype(np.float64), nms_threshold)]
        all_boxes.append(boxes[kept])
        all_scores.append(scores[kept])
    boxes = np.concatenate(all_boxes)
    scores = np.concatenate(all_scores)
    best = np.argsort(-scores, kind="stable")[:post_nms_top_n]
    return boxes[best], scores[best]


def test_nms_within_a_level_not_across_levels():
    # level 0: two identical boxes (one survives NMS); level 1: the same box again (kept)
    boxes, scores, valid = _run([[2.0, 1.0], [0.5]], [ANCHOR, ANCHOR, ANCHOR])
    assert valid.tolist() == [True, True, False]
    np.testing.assert_allclose(scores[:2], 1 / (1 + np.exp(-np.array([2.0, 0.5]))), rtol=1e-6)
    np.testing.assert_allclose(boxes[:2], [ANCHOR, ANCHOR])


def test_top_k_per_level_clipping_and_small_boxes():
    anchors = [[-5.0, -5.0, 30.0, 8.0],       # clipped to (0, 0, 20, 8)
               [3.0, 3.0, 3.0005, 9.0],       # thinner than min_size: dropped
               [12.0, 12.0, 18.0, 18.0],      # below the level's top 2: dropped
               [0.0, 10.0, 5.0, 15.0]]
    boxes, scores, valid = _run([[3.0, 2.0, 0.0, 1.0]], anchors, pre_nms_top_n=3)
    assert valid.tolist() == [True, True, False]
    np.testing.assert_allclose(boxes[:2], [[0, 0, 20, 8], [0, 10, 5, 15]])


FAR = [[0.0, 0.0, 4.0, 4.0], [10.0, 10.0, 14.0, 14.0], [0.0, 10.0, 4.0, 14.0],
       [10.0, 0.0, 14.0, 4.0]]


def test_equal_logits_in_a_level_keep_the_lower_anchor_index():
    # logits 1, 2, 2, 2 and a top 2 of the level: anchors 1 and 2, not 3
    boxes, _, valid = _run([[1.0, 2.0, 2.0, 2.0]], FAR, pre_nms_top_n=2)
    assert valid.tolist() == [True, True, False]
    np.testing.assert_array_equal(boxes[:2], [FAR[1], FAR[2]])


def test_equal_probabilities_cut_earlier_level_first():
    # float32 sigmoids of 30 and 40 are both 1.0: at the final cut the earlier level goes first
    for logits, kept in (([[30.0], [40.0]], FAR[0]), ([[40.0], [30.0]], FAR[0])):
        boxes, scores, valid = _run(logits, FAR[:2], post_nms_top_n=1)
        assert scores[0] == 1.0 and valid.tolist() == [True]
        np.testing.assert_array_equal(boxes[0], kept)


def test_equal_probabilities_in_nms_keep_the_higher_logit():
    # two overlapping boxes whose probabilities are both 1.0: NMS keeps the one top-k put first
    near = [[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 9.0]]
    boxes, scores, valid = _run([[30.0, 40.0]], near, post_nms_top_n=2)
    assert valid.tolist() == [True, False]
    np.testing.assert_array_equal(boxes[0], near[1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_the_numpy_reference_with_many_ties(seed):
    """Three levels of integer anchors (some outside the image, some empty after clipping)
    and logits from a few values, so equal scores are everywhere, including at the cuts."""
    rng = np.random.default_rng(seed)
    sizes = (30, 20, 12)
    corners = rng.integers(-4, 22, size=(sum(sizes), 2))
    extents = rng.integers(0, 9, size=(sum(sizes), 2))
    anchors = np.concatenate([corners, corners + extents], axis=1).astype(np.float32)
    values = np.array([-1.0, 0.5, 2.0, 30.0, 40.0], np.float32)  # 30 and 40: both 1.0
    logits = [values[rng.integers(0, len(values), size=n)] for n in sizes]
    args = dict(pre_nms_top_n=9, post_nms_top_n=14, nms_threshold=0.45)
    want_boxes, want_scores = reference_proposals(logits, anchors, **args)
    # guard against IoUs that sit on the threshold, where float rounding could decide
    clipped = np.clip(anchors, 0.0, [IMAGE_HW[0], IMAGE_HW[1]] * 2).astype(np.float64)
    ious = [_iou(box, clipped) for box in clipped]
    assert not np.any(np.abs(np.concatenate(ious) - args["nms_threshold"]) < 1e-4)
    boxes, scores, valid = _run(logits, anchors, **args)
    count = len(want_scores)
    assert valid.tolist() == [True] * count + [False] * (args["post_nms_top_n"] - count)
    np.testing.assert_array_equal(boxes[:count], want_boxes)
    np.testing.assert_allclose(scores[:count], want_scores, rtol=1e-6)
    assert (scores[:count] == 1.0).sum() >= 2  # ties at the top, so the order is exercised
