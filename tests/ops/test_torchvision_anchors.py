"""ops.torchvision_anchors: AnchorGenerator's rounded cell anchors and grid strides."""
import numpy as np

from mrcnn_tf.ops.torchvision_anchors import (anchors_for_padded_shape, cell_anchors,
                                              grid_anchors, pyramid_shapes)


def test_cell_anchors_worked_example():
    # size 32, torchvision's aspect_ratios (h/w) 0.5, 1, 2 = ratios (w/h) 2, 1, 0.5: widths
    # 45.25, 32, 22.63 and heights 22.63, 32, 45.25, halves rounded: torchvision's
    # [[-23, -11, 23, 11], [-16, -16, 16, 16], [-11, -23, 11, 23]] (x1, y1, x2, y2), here as
    # (y1, x1, y2, x2)
    expected = [[-11, -23, 11, 23], [-16, -16, 16, 16], [-23, -11, 23, 11]]
    np.testing.assert_array_equal(cell_anchors(32, (2.0, 1.0, 0.5)), expected)


def test_cell_anchors_ratio_is_width_over_height():
    (y1, x1, y2, x2), = cell_anchors(128, (4.0,))
    assert (x2 - x1) == 4 * (y2 - y1)  # 256 wide, 64 tall, as matterport's ratio 4


def test_cell_anchors_round_half_to_even():
    # size 181 ratio 1: halves 90.5 -> 90 (even), as torch.round
    np.testing.assert_array_equal(cell_anchors(181, (1.0,)), [[-90, -90, 90, 90]])


def test_pool_level_stride_is_integer_division():
    shapes = pyramid_shapes((800, 1216))
    assert shapes == [(200, 304), (100, 152), (50, 76), (25, 38), (13, 19)]
    anchors = grid_anchors((800, 1216), shapes, (32, 64, 128, 256, 512), (1.0,))
    pool = anchors[-13 * 19:]
    # 800 // 13 = 61 and 1216 // 19 = 64: centres step 61 down, 64 across
    np.testing.assert_array_equal(pool[1] - pool[0], [0, 64, 0, 64])
    np.testing.assert_array_equal(pool[19] - pool[0], [61, 0, 61, 0])


def test_anchor_order_is_cell_then_ratio():
    anchors = anchors_for_padded_shape(64, 96, (32,), (2.0, 1.0, 0.5))
    assert anchors.shape == (16 * 24 * 3, 4)
    np.testing.assert_array_equal(anchors[:3], cell_anchors(32, (2.0, 1.0, 0.5)))
    np.testing.assert_array_equal(anchors[3:6] - anchors[:3], np.tile([0, 4, 0, 4], (3, 1)))
