"""training.rpn_targets / detection_targets on hand-made boxes whose labels are known."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from mrcnn_tf.ops.detection_targets import detection_targets
from mrcnn_tf.training.rpn_targets import rpn_targets

RPN_STD = [0.1, 0.1, 0.2, 0.2]


def _rpn(anchors, class_ids, boxes, per_image=8):
    match, bbox = rpn_targets(tf.constant(anchors, tf.float32), tf.constant(class_ids, tf.int32),
                              tf.constant(boxes, tf.float32), anchors_per_image=per_image,
                              bbox_std_dev=RPN_STD)
    return match.numpy(), bbox.numpy()


def test_rpn_labels_deltas_and_crowds():
    anchors = [[0, 0, 10, 10],        # = gt0: IoU 1, positive
               [0, 0, 10, 20],        # IoU 0.5 with gt0: neutral
               [50, 50, 60, 60],      # overlaps nothing: negative
               [100, 100, 110, 110],  # inside the crowd region: neutral, not negative
               [30, 30, 50, 50]]      # best anchor of gt1 (IoU 0.67 < 0.7): positive
    boxes = [[0, 0, 10, 10], [30, 30, 50, 60], [100, 100, 120, 120], [0, 0, 0, 0]]
    match, bbox = _rpn(anchors, [1, 2, -1, 0], boxes)
    np.testing.assert_array_equal(match, [1, 0, -1, 0, 1])
    # anchor 4 -> gt1: centre (40, 40) -> (40, 45), 20x20 -> 20x30
    expected = np.zeros([8, 4])
    expected[1] = [0, 5 / 20 / 0.1, 0, np.log(1.5) / 0.2]
    np.testing.assert_allclose(bbox, expected, atol=1e-5)


def test_rpn_sampling_caps_positives_and_negatives():
    anchors = [[0, 0, 10, 10]] * 10 + [[50 + 10 * i, 50, 60 + 10 * i, 60] for i in range(5)]
    match, bbox = _rpn(anchors, [1], [[0, 0, 10, 10]], per_image=4)
    assert (match == 1).sum() == 2 and (match == -1).sum() == 2
    assert set(np.where(match == 1)[0]) <= set(range(10))
    assert np.all(bbox == 0)  # identical boxes: zero deltas, and padding


def test_rpn_image_without_instances_is_all_negative():
    match, bbox = _rpn([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 0], np.zeros([2, 4]))
    np.testing.assert_array_equal(match, [-1, -1])
    assert bbox.shape == (8, 4) and not bbox.any()


def _image_targets(mini_mask):
    size = 64
    mask = np.zeros([size, size], bool)
    mask[16:48, 16:32] = True                       # left half of the gt box
    gt_box = np.array([0.25, 0.25, 0.75, 0.75], np.float32)
    if mini_mask:
        from mrcnn_tf.training.image_gt import minimize_masks

        stored = minimize_masks(np.array([[16, 16, 48, 48]]), mask[..., None], (56, 56))[..., 0]
    else:
        stored = mask
    masks = np.zeros(stored.shape + (3,), np.uint8)
    masks[..., 0] = stored
    proposals = np.array([gt_box,                        # positive
                          [0.0, 0.0, 0.1, 0.1],          # negative
                          [0.85, 0.85, 0.95, 0.95],      # overlaps the crowd: neither
                          [0, 0, 0, 0]], np.float32)     # padding
    gt_boxes = np.array([gt_box, [0.8, 0.8, 1.0, 1.0], [0, 0, 0, 0]], np.float32)
    return [t.numpy() for t in detection_targets(
        tf.constant(proposals), tf.constant([2, -1, 0], tf.int32), tf.constant(gt_boxes),
        tf.constant(masks), rois_per_image=6, positive_ratio=0.5, bbox_std_dev=RPN_STD,
        mask_shape=[28, 28], mini_mask=mini_mask)]


def test_detection_targets_sample_and_targets():
    rois, class_ids, deltas, masks = _image_targets(mini_mask=False)
    np.testing.assert_allclose(rois[:2], [[0.25, 0.25, 0.75, 0.75], [0.0, 0.0, 0.1, 0.1]])
    assert not rois[2:].any()
    np.testing.assert_array_equal(class_ids, [2, 0, 0, 0, 0, 0])
    assert not deltas.any()  # the positive ROI is its gt box
    assert masks.shape == (6, 28, 28) and not masks[1:].any()
    assert masks[0, :, :12].mean() > 0.95 and masks[0, :, 16:].mean() < 0.05


def test_mini_mask_targets_match_full_mask_targets():
    full = _image_targets(mini_mask=False)[3][0]
    mini = _image_targets(mini_mask=True)[3][0]
    assert (full == mini).mean() > 0.95


def test_negatives_keep_the_positive_ratio():
    gt = np.array([[0.0, 0.0, 0.5, 0.5]], np.float32)
    proposals = np.concatenate([np.repeat(gt, 2, axis=0),
                                [[0.6 + 0.01 * i, 0.6, 0.7 + 0.01 * i, 0.7] for i in range(20)]])
    rois, class_ids, _, _ = [t.numpy() for t in detection_targets(
        tf.constant(proposals, tf.float32), tf.constant([1]), tf.constant(gt),
        tf.ones([8, 8, 1], tf.uint8), rois_per_image=10, positive_ratio=0.25,
        bbox_std_dev=RPN_STD, mask_shape=[28, 28], mini_mask=True)]
    assert (class_ids > 0).sum() == 2
    assert np.any(rois != 0, axis=1).sum() == 8  # 2 positives + 6 negatives (ratio 0.25)
