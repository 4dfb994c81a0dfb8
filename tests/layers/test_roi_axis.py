"""The spare row of layers.roi_axis, on any CPU: with a validity mask, MergeRoiAxis folds the K
valid ROIs plus one spare row (ROI 0 of image 0), so a head never sees an empty batch even when
K = 0, and SplitRoiAxis drops that row again (zeros where not valid).

tests/inference/test_zero_detections.py shows the failure the spare row prevents, but only where
oneDNN runs; these tests check the contract itself, eagerly and in a traced graph."""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from mrcnn_tf.layers import MergeRoiAxis, SplitRoiAxis

SPARE = -7.0  # ROI 0 of image 0 holds this value, so the spare row is recognisable


def _rois(batch=2, count=3, rest=(4, 4, 2)):
    """[B, N, *rest] where ROI (b, n) is filled with 10 * b + n + 1; ROI (0, 0) with SPARE."""
    x = np.zeros((batch, count, *rest), np.float32)
    for b in range(batch):
        for n in range(count):
            x[b, n] = 10 * b + n + 1
    x[0, 0] = SPARE
    return x


def _merge(x, valid):
    return keras.ops.convert_to_numpy(MergeRoiAxis()([x, valid]))


def _split(y, reference, valid):
    return keras.ops.convert_to_numpy(SplitRoiAxis()([y, reference, valid]))


def test_no_valid_roi_folds_to_the_spare_row_alone():
    x = _rois()
    merged = _merge(x, np.zeros(x.shape[:2], bool))
    assert merged.shape == (1,) + x.shape[2:]
    np.testing.assert_array_equal(merged[0], x[0, 0])


def test_the_spare_row_follows_the_valid_rows_in_order():
    x = _rois()
    valid = np.array([[False, True, False], [True, False, True]])
    merged = _merge(x, valid)
    assert merged.shape == (4,) + x.shape[2:]
    np.testing.assert_array_equal(merged[:3], x[valid])  # row-major order of the valid ROIs
    np.testing.assert_array_equal(merged[3], x[0, 0])


def test_split_drops_the_spare_row_of_an_empty_fold():
    x = _rois()
    valid = np.zeros(x.shape[:2], bool)
    split = _split(_merge(x, valid), x, valid)
    assert split.shape == x.shape
    assert not split.any(), "nothing valid: every row is zero, the spare row is not scattered"


def test_split_puts_each_valid_row_back_and_zeros_the_others():
    x = _rois()
    valid = np.array([[False, True, False], [True, False, True]])
    split = _split(_merge(x, valid), x, valid)
    np.testing.assert_array_equal(split[valid], x[valid])
    assert not split[~valid].any()
    assert not (split == SPARE).any(), "the spare row (ROI 0 of image 0, not valid) came back"


def test_a_head_between_them_never_sees_an_empty_batch_in_a_graph():
    """Traced once for unknown sizes, run with no valid ROI: the head's batch is 1 (the spare
    row) and the output is all zeros of the reference's [B, N] shape."""
    seen = []
    conv = keras.layers.Conv2D(3, 1, kernel_initializer="ones", bias_initializer="ones")

    @tf.function(input_signature=[tf.TensorSpec([None, None, 4, 4, 2], tf.float32),
                                  tf.TensorSpec([None, None], tf.bool)])
    def head(x, valid):
        folded = MergeRoiAxis()([x, valid])
        seen.append(folded.shape)  # the traced shape: unknown rows
        out = conv(folded)
        return SplitRoiAxis()([out, x, valid]), tf.shape(folded)[0]

    x = _rois()
    out, rows = head(tf.constant(x), tf.zeros(x.shape[:2], tf.bool))
    assert seen and seen[0][0] is None
    assert int(rows) == 1
    assert tuple(out.shape) == x.shape[:2] + (4, 4, 3)
    assert not keras.ops.convert_to_numpy(out).any()


@pytest.mark.parametrize("valid_count", [0, 2])
def test_merge_and_split_round_trip_through_a_keras_model(valid_count):
    """As the heads use them: a functional model with a validity input, any number valid."""
    x_in = keras.Input((None, 4, 4, 2))
    valid_in = keras.Input((None,), dtype="bool")
    folded = MergeRoiAxis()([x_in, valid_in])
    model = keras.Model([x_in, valid_in], SplitRoiAxis()([folded, x_in, valid_in]))
    x = _rois()
    valid = np.zeros(x.shape[:2], bool)
    valid.flat[[1, 5][:valid_count]] = True
    out = keras.ops.convert_to_numpy(model([x, valid]))
    assert out.shape == x.shape
    np.testing.assert_array_equal(out, np.where(valid[..., None, None, None], x, 0))
