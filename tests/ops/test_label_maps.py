"""ops.label_maps: painting instances into one label per pixel, worked by hand."""
from __future__ import annotations

import numpy as np
import pytest

from mrcnn_tf.ops.label_maps import box_masks, paint_label_map


def _masks(*rows):
    """bool [1, W, N] from N strings of '0'/'1' (one row image)."""
    return np.stack([np.array([c == "1" for c in r])[None] for r in rows], axis=-1)


def test_docstring_example_higher_score_wins():
    masks = _masks("1100", "0110")
    np.testing.assert_array_equal(paint_label_map(masks, [0.5, 0.9], [7, 3]), [[7, 3, 3, 0]])
    np.testing.assert_array_equal(paint_label_map(masks, [0.9, 0.5], [7, 3]), [[7, 7, 3, 0]])


def test_three_overlapping_instances_unsorted_scores():
    masks = _masks("111100", "011110", "001111")
    out = paint_label_map(masks, [0.2, 0.8, 0.5], [1, 2, 3])
    np.testing.assert_array_equal(out, [[1, 2, 2, 2, 2, 3]])
    assert out.dtype == np.int32


def test_equal_scores_the_earlier_instance_wins():
    masks = _masks("110", "011")
    np.testing.assert_array_equal(paint_label_map(masks, [0.5, 0.5], [4, 9]), [[4, 4, 9]])


def test_no_instances_is_all_zero():
    out = paint_label_map(np.zeros((3, 5, 0), bool), [], [])
    np.testing.assert_array_equal(out, np.zeros((3, 5), np.int32))


def test_mismatched_counts_are_an_error():
    with pytest.raises(ValueError, match="same number"):
        paint_label_map(_masks("10", "01"), [0.5], [1, 2])


def test_box_masks_fill_boxes_clipped_to_the_image():
    out = box_masks([[1, 0, 2, 2], [-1, 2, 5, 9]], (3, 3))
    np.testing.assert_array_equal(out[:, :, 0], [[0, 0, 0], [1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(out[:, :, 1], [[0, 0, 1], [0, 0, 1], [0, 0, 1]])
    assert box_masks(np.zeros((0, 4)), (2, 4)).shape == (2, 4, 0)
