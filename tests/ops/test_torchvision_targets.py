"""ops.torchvision_targets (and detection_targets' fill_negatives) on hand-made boxes whose
targets are worked out in numpy with torchvision's BoxCoder.encode formula."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from mrcnn_tf.ops.detection_targets import detection_targets
from mrcnn_tf.ops.torchvision_targets import (add_gt_proposals, roi_targets_torchvision,
                                              swap_delta_order)

WEIGHTS = (10.0, 10.0, 5.0, 5.0)  # torchvision's ROI-head BoxCoder (wx, wy, ww, wh)
STD = (0.1, 0.1, 0.2, 0.2)        # the same in (dy, dx, dh, dw) std devs


def _encode(proposal, gt):
    """torchvision's BoxCoder.encode_single for one (y1, x1, y2, x2) pair -> (dx, dy, dw, dh)."""
    py1, px1, py2, px2 = proposal
    gy1, gx1, gy2, gx2 = gt
    pw, ph, gw, gh = px2 - px1, py2 - py1, gx2 - gx1, gy2 - gy1
    wx, wy, ww, wh = WEIGHTS
    return [wx * ((gx1 + 0.5 * gw) - (px1 + 0.5 * pw)) / pw,
            wy * ((gy1 + 0.5 * gh) - (py1 + 0.5 * ph)) / ph,
            ww * np.log(gw / pw), wh * np.log(gh / ph)]


def test_swap_delta_order_is_its_own_inverse():
    deltas = tf.constant([[1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_array_equal(swap_delta_order(deltas).numpy(), [[2, 1, 4, 3]])
    np.testing.assert_array_equal(swap_delta_order(swap_delta_order(deltas)).numpy(),
                                  deltas.numpy())


def test_add_gt_proposals_puts_instances_first_and_blanks_crowds():
    proposals = tf.constant([[[1.0, 1.0, 5.0, 5.0]]])
    boxes = tf.constant([[[10.0, 10.0, 20.0, 20.0], [0.0, 0.0, 9.0, 9.0], [3.0, 3.0, 4.0, 4.0]]])
    out = add_gt_proposals(proposals, tf.constant([[2, -1, 0]]), boxes).numpy()
    np.testing.assert_array_equal(out[0], [[10, 10, 20, 20], [0, 0, 0, 0], [0, 0, 0, 0],
                                           [1, 1, 5, 5]])


def _targets(proposals, class_ids, boxes, masks, hw=(100, 100), rois=8, ratio=0.25):
    return [t.numpy()[0] for t in roi_targets_torchvision(
        tf.constant([proposals], tf.float32), tf.constant([class_ids], tf.int32),
        tf.constant([boxes], tf.float32), tf.constant([masks], tf.uint8), tf.constant(hw),
        rois_per_image=rois, positive_ratio=ratio, bbox_std_dev=STD, mask_shape=(4, 4),
        mini_mask=False)]


def _assert_same_rows(got, expected):
    order = lambda rows: np.asarray(sorted(np.round(np.asarray(rows), 3).tolist()))
    np.testing.assert_allclose(order(got), order(expected), atol=1e-3)


def test_torchvision_targets_pixels_weighted_deltas_and_negatives_filling_the_sample():
    gt = [20.0, 10.0, 60.0, 90.0]                 # (y1, x1, y2, x2) pixels
    near = [24.0, 14.0, 64.0, 86.0]               # IoU ~0.81 with gt: foreground
    far = [[70.0, 0.0, 99.0, 30.0], [0.0, 60.0, 15.0, 99.0], [80.0, 80.0, 99.0, 99.0]]
    masks = np.zeros([100, 100, 2], np.uint8)
    masks[20:60, 10:90, 0] = 1
    rois, class_ids, deltas, mask_targets = _targets(
        [near] + far + [[0, 0, 0, 0]] * 2, [3, 0], [gt, [0, 0, 0, 0]], masks, ratio=0.25)
    # 2 foreground (the gt box itself, the near proposal), capped at 8 * 0.25 = 2, then the 3
    # negatives; 8 - 5 = 3 padding rows (fill_negatives would take 6 negatives if it had them)
    _assert_same_rows(rois[:2], [gt, near])  # pixels again, after the op's scaling
    np.testing.assert_array_equal(class_ids, [3, 3, 0, 0, 0, 0, 0, 0])
    _assert_same_rows(rois[2:5], far)
    np.testing.assert_array_equal(rois[5:], 0)
    for row in range(2):
        np.testing.assert_allclose(deltas[row], _encode(rois[row], gt), atol=1e-4)
    np.testing.assert_array_equal(deltas[2:], 0)
    # the gt box's own target mask is the full 4x4 crop of its mask
    own = int(np.argmin(np.abs(rois[:2] - gt).sum(axis=1)))
    np.testing.assert_array_equal(mask_targets[own], np.ones([4, 4]))
    np.testing.assert_array_equal(mask_targets[2:], 0)


def test_fill_negatives_takes_negatives_up_to_the_sample_size():
    proposals = tf.constant([[0.0, 0.0, 0.1, 0.1]] + [[0.5, 0.5 + i / 100, 0.6, 0.6 + i / 100]
                                                      for i in range(6)])
    kwargs = dict(rois_per_image=6, positive_ratio=0.5, bbox_std_dev=STD, mask_shape=(2, 2),
                  mini_mask=False)
    gt = (tf.constant([1]), tf.constant([[0.0, 0.0, 0.1, 0.1]]), tf.ones([8, 8, 1], tf.uint8))
    matterport = detection_targets(proposals, *gt, **kwargs)[1].numpy()
    filled = detection_targets(proposals, *gt, fill_negatives=True, **kwargs)
    # matterport: 1 positive -> 1 negative (ratio 0.5); filled: 1 positive + 5 negatives
    assert (np.abs(detection_targets(proposals, *gt, **kwargs)[0].numpy()).sum(axis=1) > 0
            ).sum() == 2
    np.testing.assert_array_equal(matterport, [1, 0, 0, 0, 0, 0])
    assert (np.abs(filled[0].numpy()).sum(axis=1) > 0).sum() == 6
    np.testing.assert_array_equal(filled[1].numpy(), [1, 0, 0, 0, 0, 0])
