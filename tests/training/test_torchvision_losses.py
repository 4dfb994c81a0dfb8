"""training.torchvision_losses against small numpy worked examples."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from mrcnn_tf.training import torchvision_losses as TL


def _sl1(d, beta=1 / 9):
    d = np.abs(d)
    return np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta)


def test_smooth_l1_beta_matches_torch_formula():
    pred = np.array([0.0, 0.05, 0.5, -2.0], np.float32)
    out = TL.smooth_l1_beta(tf.zeros(4), tf.constant(pred)).numpy()
    np.testing.assert_allclose(out, _sl1(pred), rtol=1e-6)


def test_rpn_losses_count_sampled_anchors_and_swap_the_target_order():
    match = tf.constant([[1, -1, 0, 1]], tf.int32)
    logits = tf.constant([[2.0, -1.0, 5.0, 0.0]])
    # BCE of logits 2 (label 1), -1 (label 0), 0 (label 1); anchor 2 not sampled
    bce = [np.log1p(np.exp(-2.0)), np.log1p(np.exp(-1.0)), np.log(2.0)]
    np.testing.assert_allclose(TL.rpn_objectness_loss(match, logits).numpy(), np.mean(bce),
                               rtol=1e-6)
    # targets (dy, dx, dh, dw) of the two positives in anchor order; predictions (dx, dy, dw, dh)
    targets = tf.constant([[[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]])
    targets = tf.tensor_scatter_nd_update(targets, [[0, 1]], [[0.0, 0.0, 0.5, 0.0]])
    predicted = tf.constant([[[2.0, 1.0, 0.0, 0.0], [9.0, 9.0, 9.0, 9.0], [9.0, 9.0, 9.0, 9.0],
                              [0.0, 0.0, 0.0, 0.0]]])
    # anchor 0 predicts its target exactly; anchor 3 misses dh = 0.5 (its dw slot, index 2)
    expected = _sl1(np.float32(0.5)) / 3  # summed over positives / 3 sampled anchors
    np.testing.assert_allclose(TL.rpn_box_loss(targets, match, predicted).numpy(), expected,
                               rtol=1e-6)


def test_box_losses_use_sampled_rois_and_the_gt_class_deltas():
    rois = tf.constant([[[0.0, 0.0, 5.0, 5.0], [1.0, 1.0, 4.0, 4.0], [0.0, 0.0, 0.0, 0.0]]])
    class_ids = tf.constant([[2, 0, 0]])
    logits = tf.constant([[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [5.0, 5.0, 5.0]]])
    ce = [-np.log(np.exp(1) / (2 + np.exp(1))), -np.log(np.exp(1) / (2 + np.exp(1)))]
    np.testing.assert_allclose(TL.box_class_loss(rois, class_ids, logits).numpy(), np.mean(ce),
                               rtol=1e-6)
    target = tf.constant([[[1.0, 0.0, 0.0, 0.0], [0.0] * 4, [0.0] * 4]])
    pred = np.zeros([1, 3, 3, 4], np.float32)
    pred[0, 0, 1] = 7.0  # another class's deltas: ignored
    pred[0, 0, 2, 0] = 0.5
    loss = TL.box_regression_loss(rois, target, class_ids, tf.constant(pred)).numpy()
    np.testing.assert_allclose(loss, _sl1(np.float32(0.5)) / 2, rtol=1e-6)  # / 2 sampled ROIs


def test_losses_are_zero_without_samples():
    rois = tf.zeros([1, 2, 4])
    assert TL.box_class_loss(rois, tf.zeros([1, 2], tf.int32), tf.zeros([1, 2, 3])).numpy() == 0
    assert TL.rpn_objectness_loss(tf.zeros([1, 3], tf.int32), tf.zeros([1, 3])).numpy() == 0
