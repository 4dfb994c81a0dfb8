"""ops.box_formats: worked examples for each format and round trips between every pair."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from mrcnn_tf.ops.box_formats import BOX_FORMATS, check_box_format, convert_boxes_array

IMAGE = (100, 200, 3)  # H x W: a wide image, so a mixed-up axis shows
# columns 20-59, rows 10-29 of the 200 x 100 image, and the whole image
WORKED = {
    "yxyx": [[10, 20, 30, 60], [0, 0, 100, 200]],
    "xyxy": [[20, 10, 60, 30], [0, 0, 200, 100]],
    "xywh": [[20, 10, 40, 20], [0, 0, 200, 100]],
    "cxcywh_normalized": [[0.2, 0.2, 0.2, 0.2], [0.5, 0.5, 1.0, 1.0]],
    "bxbybhbw": [[0.2, 0.2, 0.2, 0.2], [0.5, 0.5, 1.0, 1.0]],
}


@pytest.mark.parametrize("source,target", list(itertools.permutations(BOX_FORMATS, 2)))
def test_worked_example_in_every_direction(source, target):
    out = convert_boxes_array(np.array(WORKED[source]), source, target, IMAGE)
    np.testing.assert_allclose(out, WORKED[target], atol=1e-12)


def test_normalized_centre_and_size_by_hand():
    # a 30 x 16 (w x h) box with top-left corner (x, y) = (50, 40) in the 200 x 100 image:
    # centre (65, 48) -> (0.325, 0.48); size (30, 16) -> (0.15, 0.16)
    out = convert_boxes_array([40, 50, 56, 80], "yxyx", "cxcywh_normalized", IMAGE)
    np.testing.assert_allclose(out, [0.325, 0.48, 0.15, 0.16], atol=1e-12)


def test_the_founding_documents_order_puts_height_before_width():
    # the 30 x 16 (w x h) box of the test above: (bx, by, bh, bw) = (0.325, 0.48, 0.16, 0.15)
    out = convert_boxes_array([40, 50, 56, 80], "yxyx", "bxbybhbw", IMAGE)
    np.testing.assert_allclose(out, [0.325, 0.48, 0.16, 0.15], atol=1e-12)
    np.testing.assert_allclose(convert_boxes_array(out, "bxbybhbw", "yxyx", IMAGE),
                               [40, 50, 56, 80], atol=1e-9)


@pytest.mark.parametrize("source,target", list(itertools.permutations(BOX_FORMATS, 2)))
def test_round_trip_of_every_pair(source, target):
    rng = np.random.default_rng(0)
    y1, x1 = rng.integers(0, 90, 20), rng.integers(0, 190, 20)
    yxyx = np.stack([y1, x1, y1 + rng.integers(1, 10, 20), x1 + rng.integers(1, 10, 20)], -1)
    boxes = convert_boxes_array(yxyx, "yxyx", source, IMAGE)
    back = convert_boxes_array(convert_boxes_array(boxes, source, target, IMAGE), target,
                               source, IMAGE)
    np.testing.assert_allclose(back, boxes, atol=1e-9)
    assert back.shape == boxes.shape


def test_pixel_formats_keep_the_dtype_and_normalized_is_float64():
    rois = np.array([[10, 20, 30, 60]], np.int32)
    for target in ("yxyx", "xyxy", "xywh"):
        assert convert_boxes_array(rois, "yxyx", target).dtype == np.int32
    assert convert_boxes_array(rois, "yxyx", "cxcywh_normalized", IMAGE).dtype == np.float64


def test_any_leading_shape_and_the_input_is_not_modified():
    boxes = np.array(WORKED["yxyx"]).reshape(1, 2, 4)
    kept = boxes.copy()
    out = convert_boxes_array(boxes, "yxyx", "xywh")
    assert out.shape == (1, 2, 4)
    np.testing.assert_array_equal(out[0], WORKED["xywh"])
    np.testing.assert_array_equal(boxes, kept)
    assert convert_boxes_array(np.zeros((0, 4), np.int32), "yxyx", "xyxy").shape == (0, 4)
    np.testing.assert_array_equal(convert_boxes_array([10, 20, 30, 60], "yxyx", "xyxy"),
                                  [20, 10, 60, 30])


def test_errors_name_the_valid_formats_and_the_problem():
    with pytest.raises(ValueError, match="target='yolo'.*yxyx, xyxy, xywh, cxcywh_normalized, bxbybhbw"):
        convert_boxes_array([[0, 0, 1, 1]], "yxyx", "yolo")
    with pytest.raises(ValueError, match="image_shape"):
        convert_boxes_array([[0, 0, 1, 1]], "yxyx", "cxcywh_normalized")
    with pytest.raises(ValueError, match=r"\[\.\.\., 4\]"):
        convert_boxes_array([[0, 0, 1]], "yxyx", "xyxy")
    assert check_box_format(" XYWH ") == "xywh"
