"""ops.boxes against small worked examples and numpy references."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from mrcnn_tf.ops.boxes import box_iou, denorm_boxes, norm_boxes
from mrcnn_tf.ops.boxes_graph import (apply_box_deltas_graph, box_deltas_graph, box_iou_graph,
                                     clip_boxes_graph, norm_boxes_graph)


def _np_apply(box, delta):
    """One box refined by one delta, written out by hand."""
    y1, x1, y2, x2 = box
    h, w = y2 - y1, x2 - x1
    cy, cx = y1 + h / 2, x1 + w / 2
    cy, cx = cy + delta[0] * h, cx + delta[1] * w
    h, w = h * np.exp(delta[2]), w * np.exp(delta[3])
    return [cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2]


RNG = np.random.default_rng(0)
CORNERS = RNG.uniform(0, 0.5, (2, 5, 2))
BOXES = np.concatenate([CORNERS, CORNERS + RNG.uniform(0.05, 0.5, (2, 5, 2))], -1)
BOXES = BOXES.astype(np.float32)   # [2, 5, 4], positive sizes


def test_zero_deltas_leave_boxes_unchanged():
    out = apply_box_deltas_graph(tf.constant(BOXES), tf.zeros_like(BOXES)).numpy()
    np.testing.assert_allclose(out, BOXES, atol=1e-6)


def test_worked_example():
    # box 10x20 centred at (15, 20); move by half its height down, a quarter of its width
    # left, double the height, halve the width -> centre (20, 15), size 20 x 10
    box = np.array([10.0, 10.0, 20.0, 30.0], np.float32)
    delta = np.array([0.5, -0.25, np.log(2.0), np.log(0.5)], np.float32)
    out = apply_box_deltas_graph(tf.constant(box), tf.constant(delta)).numpy()
    np.testing.assert_allclose(out, [10.0, 10.0, 30.0, 20.0], atol=1e-5)
    np.testing.assert_allclose(out, _np_apply(box, delta), atol=1e-5)


def test_apply_matches_numpy_reference_on_batch():
    deltas = RNG.normal(0, 0.3, BOXES.shape).astype(np.float32)
    out = apply_box_deltas_graph(tf.constant(BOXES), tf.constant(deltas)).numpy()
    expected = np.array([[_np_apply(b, d) for b, d in zip(bs, ds)]
                         for bs, ds in zip(BOXES, deltas)])
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_deltas_round_trip():
    targets = np.concatenate([BOXES[..., :2] + 0.03, BOXES[..., 2:] + 0.1], -1)
    deltas = box_deltas_graph(tf.constant(BOXES), tf.constant(targets))
    back = apply_box_deltas_graph(tf.constant(BOXES), deltas).numpy()
    np.testing.assert_allclose(back, targets, atol=1e-5)
    # and the other way: deltas -> boxes -> deltas
    deltas0 = RNG.normal(0, 0.3, BOXES.shape).astype(np.float32)
    moved = apply_box_deltas_graph(tf.constant(BOXES), tf.constant(deltas0))
    np.testing.assert_allclose(box_deltas_graph(tf.constant(BOXES), moved).numpy(), deltas0,
                               atol=1e-4)


def test_clip_with_one_window():
    boxes = np.array([[-0.2, 0.1, 0.5, 1.3], [0.3, 0.3, 0.4, 0.4], [0.95, -1.0, 2.0, 0.05]],
                     np.float32)
    window = np.array([0.1, 0.0, 0.9, 1.0], np.float32)
    out = clip_boxes_graph(tf.constant(boxes), tf.constant(window)).numpy()
    expected = boxes.copy()
    for row in expected:
        for i, (lo, hi) in enumerate([(0.1, 0.9), (0.0, 1.0)] * 2):
            row[i] = min(max(row[i], lo), hi)
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(out[0], [0.1, 0.1, 0.5, 1.0])
    np.testing.assert_allclose(out[2], [0.9, 0.0, 0.9, 0.05])


def test_clip_with_a_window_per_image():
    boxes = np.tile(np.array([[[-0.5, -0.5, 1.5, 1.5], [0.4, 0.4, 0.6, 0.6]]], np.float32),
                    (2, 1, 1))
    windows = np.array([[0.0, 0.0, 1.0, 1.0], [0.25, 0.1, 0.75, 0.5]], np.float32)
    out = clip_boxes_graph(tf.constant(boxes), tf.constant(windows)).numpy()
    assert out.shape == (2, 2, 4)
    np.testing.assert_allclose(out[0], [[0, 0, 1, 1], [0.4, 0.4, 0.6, 0.6]])
    np.testing.assert_allclose(out[1], [[0.25, 0.1, 0.75, 0.5], [0.4, 0.4, 0.6, 0.5]])


def test_overflowing_deltas_give_boxes_inside_the_window_in_eager_and_graph():
    """A badly trained head predicts log-size deltas of ~100: exp overflows, inf - inf is NaN.
    Clipping still returns finite boxes inside the window (NaN -> the window's low edge)."""
    anchors = tf.constant([[0.2, 0.2, 0.4, 0.4]] * 4)
    deltas = tf.constant([[0.0, 0.0, 100.0, 100.0], [1.0, -1.0, 100.0, 1.0],
                          [0.0, 0.0, -100.0, -100.0], [0.1, 0.1, 0.0, 0.0]])
    window = tf.constant([0.1, 0.0, 0.9, 1.0])

    def decode(a, d):
        return clip_boxes_graph(apply_box_deltas_graph(a, d), window)

    assert np.isnan(apply_box_deltas_graph(anchors, deltas).numpy()).any()  # the hazard is real
    for out in (decode(anchors, deltas).numpy(), tf.function(decode)(anchors, deltas).numpy()):
        assert np.isfinite(out).all()
        assert (out[:, [0, 2]] >= 0.1).all() and (out[:, [0, 2]] <= 0.9).all()
        assert (out[:, [1, 3]] >= 0.0).all() and (out[:, [1, 3]] <= 1.0).all()
        np.testing.assert_allclose(out[3], [0.22, 0.22, 0.42, 0.42], atol=1e-6)


def test_norm_boxes_convention():
    h, w = 480, 640
    np.testing.assert_allclose(norm_boxes(np.array([[0, 0, h, w]]), (h, w)), [[0, 0, 1, 1]])
    # pixel (y1, x1) -> y1/(h-1); exclusive (y2, x2) -> (y2-1)/(h-1)
    box = np.array([[10, 20, 110, 220]])
    expected = [[10 / 479, 20 / 639, 109 / 479, 219 / 639]]
    np.testing.assert_allclose(norm_boxes(box, (h, w)), expected, rtol=1e-6)
    assert norm_boxes(box, (h, w)).dtype == np.float32
    graph = norm_boxes_graph(tf.constant(box, tf.float32), tf.constant([h, w])).numpy()
    np.testing.assert_allclose(graph, expected, rtol=1e-6)


def test_norm_denorm_round_trip():
    shape = (300, 451)
    boxes = np.array([[0, 0, 300, 451], [5, 7, 100, 200], [150, 1, 299, 450]])
    back = denorm_boxes(norm_boxes(boxes, shape), shape)
    assert back.dtype == np.int32
    np.testing.assert_array_equal(back, boxes)


def test_box_iou_hand_computed():
    a = [[0, 0, 10, 10]]
    b = [[5, 5, 15, 15], [20, 20, 30, 30], [0, 0, 10, 10], [2, 0, 8, 10]]
    iou = box_iou(a, b)
    # overlap 5x5 = 25, union 100 + 100 - 25 = 175
    np.testing.assert_allclose(iou, [[25 / 175, 0.0, 1.0, 60 / 100]])
    assert box_iou(a, [[3, 3, 3, 3]])[0, 0] == 0.0   # empty box, no NaN
    assert box_iou(np.zeros((0, 4)), b).shape == (0, 4)


def test_box_iou_graph_matches_numpy_box_iou():
    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 50, (7, 2))
    boxes1 = np.concatenate([corners, corners + rng.uniform(0, 30, (7, 2))], 1)
    boxes2 = np.concatenate([boxes1[:3], [[0, 0, 0, 0], [10, 10, 40, 40]]])  # empty box: IoU 0
    out = box_iou_graph(tf.constant(boxes1), tf.constant(boxes2)).numpy()
    np.testing.assert_allclose(out, box_iou(boxes1, boxes2), atol=1e-6)
    np.testing.assert_allclose(np.diag(out[:3, :3]), 1.0, atol=1e-6)


def test_iou_of_two_boxes_worked_examples():
    from mrcnn_tf.ops.boxes import iou

    assert iou((0, 0, 2, 2), (1, 1, 3, 3)) == pytest.approx(1 / 7)
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (0, 10, 10, 20)) == 0.0  # touching edges share no area
    assert iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0


def test_mask_iou_and_overlap_matrix_against_a_pixel_count():
    from mrcnn_tf.ops.boxes import mask_iou, mask_overlaps

    a = np.zeros((4, 5), bool)
    a[0:2, 0:3] = True          # 6 pixels
    b = np.zeros((4, 5), bool)
    b[1:3, 1:4] = True          # 6 pixels, 2 shared with a
    empty = np.zeros((4, 5), bool)
    assert mask_iou(a, b) == pytest.approx(2 / 10)
    assert mask_iou(empty, empty) == 1.0 and mask_iou(a, empty) == 0.0
    matrix = mask_overlaps(np.stack([a, b], -1), np.stack([b, empty, a], -1))
    np.testing.assert_allclose(matrix, [[0.2, 0.0, 1.0], [1.0, 0.0, 0.2]])


def test_extract_bboxes_gives_exclusive_pixel_boxes():
    from mrcnn_tf.ops.boxes import extract_bboxes

    masks = np.zeros((6, 7, 2), bool)
    masks[1:4, 2:6, 0] = True
    np.testing.assert_array_equal(extract_bboxes(masks), [[1, 2, 4, 6], [0, 0, 0, 0]])
