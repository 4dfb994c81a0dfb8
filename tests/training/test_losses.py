"""training.losses against values computed by hand with numpy."""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from mrcnn_tf.training import losses as L


def _ce(logits, label):
    logits = np.asarray(logits, np.float64)
    return np.log(np.exp(logits).sum()) - logits[label]


def _smooth_l1(d):
    d = np.abs(np.asarray(d, np.float64))
    return np.where(d < 1, 0.5 * d ** 2, d - 0.5)


def test_rpn_class_loss_ignores_neutral_anchors():
    match = tf.constant([[1, -1, 0]])
    logits = tf.constant([[[0.0, 2.0], [1.0, -1.0], [50.0, -50.0]]])
    expected = (_ce([0, 2], 1) + _ce([1, -1], 0)) / 2
    assert float(L.rpn_class_loss(match, logits)) == pytest.approx(expected, rel=1e-5)


def test_rpn_bbox_loss_pairs_each_image_positives_with_its_targets():
    # image 0 has positives at anchors 1 and 2, image 1 at anchor 0; targets are per image
    match = tf.constant([[0, 1, 1], [1, -1, 0]])
    targets = np.zeros([2, 3, 4], np.float32)
    targets[0, 0] = [1, 0, 0, 0]
    targets[0, 1] = [0, 2, 0, 0]
    targets[1, 0] = [0, 0, 3, 0]
    predicted = np.zeros([2, 3, 4], np.float32)
    predicted[0, 1] = [1, 0, 0, 0]
    predicted[0, 2] = [0, 2, 0, 0]
    predicted[1, 0] = [0, 0, 3, 0.5]  # off by 0.5 in one value
    loss = L.rpn_bbox_loss(tf.constant(targets), match, tf.constant(predicted))
    assert float(loss) == pytest.approx(_smooth_l1(0.5) / 12, rel=1e-5)


def test_mrcnn_class_loss_leaves_out_inactive_predictions():
    target = tf.constant([[1, 0]])
    logits = np.array([[[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]]], np.float32)  # predicts 1, then 2
    active = tf.constant([[1.0, 1.0, 0.0]])                            # class 2 not in dataset
    loss = L.mrcnn_class_loss(target, tf.constant(logits), active)
    assert float(loss) == pytest.approx(_ce(logits[0, 0], 1), rel=1e-5)


def test_mrcnn_bbox_and_mask_losses_use_the_true_class():
    target_ids = tf.constant([[2, 0]])
    target_bbox = np.zeros([1, 2, 4], np.float32)
    target_bbox[0, 0] = [0.5, 0, 0, 2]
    pred_bbox = np.zeros([1, 2, 3, 4], np.float32)
    pred_bbox[0, 0, 1] = [9, 9, 9, 9]       # wrong class: ignored
    pred_bbox[0, 1, 2] = [9, 9, 9, 9]       # negative ROI: ignored
    expected = (_smooth_l1(0.5) + _smooth_l1(2)) / 4
    assert float(L.mrcnn_bbox_loss(tf.constant(target_bbox), target_ids,
                                   tf.constant(pred_bbox))) == pytest.approx(expected, rel=1e-5)

    target_masks = np.zeros([1, 2, 2, 2], np.float32)
    target_masks[0, 0] = [[1, 0], [0, 1]]
    pred_masks = np.full([1, 2, 2, 2, 3], 0.5, np.float32)
    pred_masks[0, 0, :, :, 2] = [[0.9, 0.2], [0.3, 0.6]]
    p, t = pred_masks[0, 0, :, :, 2], target_masks[0, 0]
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean()
    assert float(L.mrcnn_mask_loss(tf.constant(target_masks), target_ids,
                                   tf.constant(pred_masks))) == pytest.approx(bce, rel=1e-5)


def test_losses_are_zero_without_positives():
    ids = tf.zeros([1, 2], tf.int32)
    assert float(L.rpn_bbox_loss(tf.zeros([1, 2, 4]), tf.constant([[-1, 0]]),
                                 tf.ones([1, 2, 4]))) == 0.0
    assert float(L.rpn_class_loss(tf.constant([[0, 0]]), tf.ones([1, 2, 2]))) == 0.0
    assert float(L.mrcnn_bbox_loss(tf.zeros([1, 2, 4]), ids, tf.ones([1, 2, 3, 4]))) == 0.0
    assert float(L.mrcnn_mask_loss(tf.zeros([1, 2, 2, 2]), ids,
                                   tf.ones([1, 2, 2, 2, 3]))) == 0.0


def test_weight_decay_skips_batchnorm_gamma_and_beta():
    inputs = keras.Input((3,))
    x = keras.layers.Dense(2, name="dense")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    model = keras.Model(inputs, x)
    for v in model.weights:
        v.assign(np.full(v.shape, 2.0, np.float32))
    # kernel 3x2 and bias 2 count (mean of squares 4 each); gamma, beta do not
    decay = L.weight_decay_loss(model.trainable_weights, 0.01)
    assert float(decay) == pytest.approx(0.01 * 4 + 0.01 * 4, rel=1e-6)
