"""ops.anchors: count, order, corners, ratio convention, centres and the cache."""
from __future__ import annotations

import numpy as np
import pytest

from mrcnn_tf import Config
from mrcnn_tf.ops.anchors import (anchors_for_image_shape, backbone_shapes, level_anchors,
                                  pyramid_anchors)
from mrcnn_tf.ops.boxes import norm_boxes

STRIDES = [4, 8, 16, 32, 64]
SCALES = (32, 64, 128, 256, 512)
RATIOS = [0.5, 1, 2]


def _reference_anchors(image_hw, scales, ratios, strides):
    """Anchors by plain loops: level, row, column, ratio; pixels (y1, x1, y2, x2)."""
    out = []
    for scale, stride in zip(scales, strides):
        rows = -(-image_hw[0] // stride)
        cols = -(-image_hw[1] // stride)
        for r in range(rows):
            for c in range(cols):
                for ratio in ratios:
                    h = scale / np.sqrt(ratio)
                    w = scale * np.sqrt(ratio)
                    cy, cx = r * stride, c * stride
                    out.append([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2])
    return np.array(out)


@pytest.fixture(scope="module")
def config():
    return Config(NUM_CLASSES=2, IMAGE_MIN_DIM=64, IMAGE_MAX_DIM=64)


def test_backbone_shapes_64():
    np.testing.assert_array_equal(backbone_shapes((64, 64), STRIDES),
                                  [[16, 16], [8, 8], [4, 4], [2, 2], [1, 1]])
    np.testing.assert_array_equal(backbone_shapes((100, 65), [4, 64]), [[25, 17], [2, 2]])


def test_count_and_corners_64x64(config):
    pixels = pyramid_anchors(SCALES, RATIOS, backbone_shapes((64, 64), STRIDES), STRIDES)
    assert pixels.shape == ((16 * 16 + 8 * 8 + 4 * 4 + 2 * 2 + 1) * 3, 4) == (1023, 4)
    reference = _reference_anchors((64, 64), SCALES, RATIOS, STRIDES)
    np.testing.assert_allclose(pixels, reference, atol=1e-9)
    # first anchor: level P2, cell (0, 0), ratio 0.5 -> tall box, 32*sqrt(2) x 32/sqrt(2)
    s = np.sqrt(2.0)
    np.testing.assert_allclose(pixels[0], [-16 * s, -16 / s, 16 * s, 16 / s])
    # last anchor: P6, the only cell (0, 0), ratio 2 -> wide box of scale 512
    np.testing.assert_allclose(pixels[-1], [-256 / s, -256 * s, 256 / s, 256 * s])

    normalized = anchors_for_image_shape((64, 64, 3), config)
    assert normalized.shape == (1023, 4) and normalized.dtype == np.float32
    expected = (reference - [0, 0, 1, 1]) / 63.0   # matterport's norm_boxes
    np.testing.assert_allclose(normalized, expected, rtol=1e-5, atol=1e-5)


def test_ratio_is_width_over_height():
    boxes = level_anchors(64, [2.0, 0.25], (1, 1), 16)
    heights = boxes[:, 2] - boxes[:, 0]
    widths = boxes[:, 3] - boxes[:, 1]
    np.testing.assert_allclose(widths / heights, [2.0, 0.25])
    np.testing.assert_allclose(widths * heights, [64 * 64] * 2)   # area kept at scale^2
    assert widths[0] > heights[0] and widths[1] < heights[1]


def test_centres_at_index_times_stride():
    boxes = level_anchors(8, [1], (3, 2), 16)
    centres = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], 1)
    # row-major: (0,0), (0,16), (16,0), (16,16), (32,0), (32,16) -- no half-cell offset
    np.testing.assert_allclose(centres, [[0, 0], [0, 16], [16, 0], [16, 16], [32, 0], [32, 16]])


def test_anchor_stride_skips_cells():
    boxes = level_anchors(8, [1], (4, 4), 4, anchor_stride=2)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    np.testing.assert_allclose(centres, [[0, 0], [0, 8], [8, 0], [8, 8]])


def test_cache_returns_same_read_only_array(config):
    a = anchors_for_image_shape((64, 64, 3), config)
    b = anchors_for_image_shape((64, 64), config)
    assert a is b
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a[0, 0] = 1.0
    other = anchors_for_image_shape((128, 64), config)
    assert other is not a and other.shape == ((32 * 16 + 16 * 8 + 8 * 4 + 4 * 2 + 2) * 3, 4)


def test_pixel_anchors_are_the_normalized_anchors_in_pixels():
    config = Config(NAME="t", NUM_CLASSES=2, IMAGE_MIN_DIM=64, IMAGE_MAX_DIM=64)
    pixels = anchors_for_image_shape((64, 128), config, normalized=False)
    assert pixels.dtype == np.float32 and not pixels.flags.writeable
    np.testing.assert_allclose(norm_boxes(pixels, (64, 128)),
                               anchors_for_image_shape((64, 128), config), atol=1e-6)
