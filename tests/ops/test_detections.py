"""ops.detections.refine_detections on a hand-made example."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from mrcnn_tf.ops.detections import detect_batch, refine_detections

STD = [0.1, 0.1, 0.2, 0.2]
ROIS = np.array([
    [0.10, 0.10, 0.40, 0.40],   # r0 class 1, 0.90
    [0.12, 0.12, 0.42, 0.42],   # r1 class 1, 0.80: overlaps r0 -> suppressed
    [0.11, 0.11, 0.41, 0.41],   # r2 class 2, 0.75: overlaps r0 but another class -> kept
    [0.50, 0.50, 0.60, 0.60],   # r3 background
    [0.60, 0.10, 0.70, 0.20],   # r4 class 1, 0.60 < min_confidence
    [0.70, 0.70, 0.95, 0.95],   # r5 class 2, 0.85: refined, then clipped by the window
], np.float32)
PROBS = np.array([
    [0.05, 0.90, 0.05],
    [0.10, 0.80, 0.10],
    [0.10, 0.15, 0.75],
    [0.80, 0.10, 0.10],
    [0.30, 0.60, 0.10],
    [0.05, 0.10, 0.85],
], np.float32)
DELTAS = np.zeros((6, 3, 4), np.float32)
DELTAS[5, 2] = [0.0, 0.0, np.log(1.2) / 0.2, 0.0]   # height x1.2 -> 0.675..0.975
DELTAS[5, 1] = [5.0, 5.0, 5.0, 5.0]                  # another class's deltas: must be ignored
DELTAS[3, 0] = [1.0, 1.0, 1.0, 1.0]
WINDOW = np.array([0.0, 0.0, 0.9, 0.9], np.float32)


def _refine(rois=ROIS, probs=PROBS, deltas=DELTAS, window=WINDOW, **overrides):
    kwargs = dict(bbox_std_dev=STD, min_confidence=0.7, nms_threshold=0.3, max_instances=5)
    kwargs.update(overrides)
    return refine_detections(tf.constant(rois), tf.constant(probs), tf.constant(deltas),
                             tf.constant(window), **kwargs).numpy()


EXPECTED = np.array([
    [0.10, 0.10, 0.40, 0.40, 1, 0.90],
    [0.675, 0.70, 0.90, 0.90, 2, 0.85],
    [0.11, 0.11, 0.41, 0.41, 2, 0.75],
    [0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0],
])


def test_hand_made_example():
    out = _refine()
    assert out.shape == (5, 6) and out.dtype == np.float32
    np.testing.assert_allclose(out, EXPECTED, atol=1e-5)


def test_max_instances_keeps_the_best():
    out = _refine(max_instances=2)
    np.testing.assert_allclose(out, EXPECTED[:2], atol=1e-5)


def test_min_confidence_is_inclusive_and_lowering_it_keeps_more():
    out = _refine(min_confidence=0.6)
    # r4 (class 1, 0.60) does not overlap r0, so it survives NMS at the end of the list
    np.testing.assert_allclose(out[3], [0.6, 0.1, 0.7, 0.2, 1, 0.6], atol=1e-5)
    np.testing.assert_allclose(out[:3], EXPECTED[:3], atol=1e-5)


def test_same_class_overlap_kept_when_nms_threshold_is_high():
    out = _refine(nms_threshold=0.9)
    assert out[:, 5].tolist() == sorted(out[:, 5].tolist(), reverse=True)
    np.testing.assert_allclose(out[:4, 5], [0.90, 0.85, 0.80, 0.75], atol=1e-6)


def test_all_background_gives_all_zero_rows():
    probs = np.tile([[0.9, 0.05, 0.05]], (6, 1)).astype(np.float32)
    out = _refine(probs=probs)
    np.testing.assert_array_equal(out, np.zeros((5, 6)))


def test_detect_batch_uses_each_image_window():
    windows = np.array([WINDOW, [0.0, 0.0, 1.0, 1.0]], np.float32)
    out = detect_batch(tf.constant(np.stack([ROIS] * 2)), tf.constant(np.stack([PROBS] * 2)),
                       tf.constant(np.stack([DELTAS] * 2)), tf.constant(windows),
                       bbox_std_dev=STD, min_confidence=0.7, nms_threshold=0.3,
                       max_instances=5).numpy()
    assert out.shape == (2, 5, 6)
    np.testing.assert_allclose(out[0], EXPECTED, atol=1e-5)
    np.testing.assert_allclose(out[1, 1, :4], [0.675, 0.7, 0.975, 0.95], atol=1e-5)
