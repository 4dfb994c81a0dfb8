"""draw_instances: draws exactly on the masks, boxes and labels, and nowhere else."""
from __future__ import annotations

import colorsys

import numpy as np
import pytest

from mrcnn_tf.class_names import COCO_CLASS_NAMES
from mrcnn_tf.visualize import (draw_instances, instance_colors, label_rect, label_rects,
                                style_for)
from mrcnn_tf.visualize.draw import caption
from tests.visualize.conftest import box_bands


def changed(a, b):
    return np.any(a != b, axis=2)


def test_output_is_a_new_rgb_image_of_the_input_size(photo, result):
    before = photo.copy()
    out = draw_instances(photo, result, COCO_CLASS_NAMES)
    assert out.shape == photo.shape and out.dtype == np.uint8
    assert out is not photo and not np.shares_memory(out, photo)
    np.testing.assert_array_equal(photo, before)


def test_masks_and_boxes_change_exactly_their_pixels(photo, result):
    out = draw_instances(photo, result, COCO_CLASS_NAMES, show_labels=False, line_width=2)
    region = result["masks"].any(axis=2) | box_bands(result["rois"], photo.shape, 2)
    diff = changed(out, photo)
    assert not (diff & ~region).any(), "pixels changed outside masks and boxes"
    # Blending at alpha 0.5 leaves a pixel as it was only when its colour is within 1 of the
    # instance colour: practically never on a photo.
    assert (region & ~diff).sum() <= 0.001 * region.sum()


def test_masks_only(photo, result):
    out = draw_instances(photo, result, COCO_CLASS_NAMES, show_boxes=False, show_labels=False)
    diff = changed(out, photo)
    masks = result["masks"].any(axis=2)
    assert not (diff & ~masks).any()
    assert (masks & ~diff).sum() <= 0.001 * masks.sum()


def test_boxes_only_are_bands_of_the_line_width(photo, result):
    out = draw_instances(photo, result, COCO_CLASS_NAMES, show_masks=False, show_labels=False,
                         line_width=3, colors=[(255, 0, 255)] * 3)
    bands = box_bands(result["rois"], photo.shape, 3)
    np.testing.assert_array_equal(changed(out, photo) | bands, bands)
    assert (out[bands] == (255, 0, 255)).all()


def test_a_result_without_masks_gets_boxes_and_labels(photo, result):
    boxes_only = {k: result[k] for k in ("rois", "class_ids", "scores")}
    out = draw_instances(photo, boxes_only, COCO_CLASS_NAMES, line_width=2)
    np.testing.assert_array_equal(out, draw_instances(photo, result, COCO_CLASS_NAMES,
                                                      show_masks=False, line_width=2))
    bands = box_bands(result["rois"], photo.shape, 2)
    assert changed(out, photo)[bands].mean() > 0.99


def test_opaque_masks_take_the_given_colours(photo, result):
    colors = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]  # matplotlib-style floats
    out = draw_instances(photo, result, COCO_CLASS_NAMES, alpha=1.0, show_boxes=False,
                         show_labels=False, colors=colors)
    for i, rgb in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        only_i = result["masks"][:, :, i] & ~np.delete(result["masks"], i, axis=2).any(axis=2)
        assert (out[only_i] == rgb).all()


def test_labels_lie_inside_the_image_and_add_only_label_pixels(photo, result):
    out = draw_instances(photo, result, COCO_CLASS_NAMES)
    style = style_for(photo.shape)
    region = result["masks"].any(axis=2) | box_bands(result["rois"], photo.shape,
                                                     style.line_width)
    labels = np.zeros(photo.shape[:2], bool)
    for x, y, w, h in label_rects(result, COCO_CLASS_NAMES, photo.shape, style).values():
        assert 0 <= x and 0 <= y and x + w <= photo.shape[1] and y + h <= photo.shape[0]
        labels[y:y + h, x:x + w] = True
    diff = changed(out, photo)
    assert not (diff & ~(region | labels)).any()
    assert (diff & labels & ~region).any(), "no label was drawn"


def test_label_of_a_box_at_the_top_edge_goes_inside_it(photo, result):
    style = style_for(photo.shape)
    box = result["rois"][1]  # the rectangle starts at row 0
    x, y, w, h = label_rect("person 0.81", box, photo.shape, style)
    assert (y, x) == (box[0], box[1])
    x, y, w, h = label_rect("cat 0.97", result["rois"][0], photo.shape, style)
    assert y + h == result["rois"][0][0], "a label with room above its box sits on top of it"


def test_label_near_the_right_edge_is_moved_into_the_image(photo):
    style = style_for(photo.shape)
    width = photo.shape[1]
    x, y, w, h = label_rect("a long caption 0.99", (50, width - 5, 90, width), photo.shape, style)
    assert x + w == width and w > 5


def test_labels_of_30_boxes_sharing_the_top_edge_do_not_cover_each_other(photo):
    """Boxes from row 0 (a crowd cut by the frame): first choices would all sit at row 0."""
    count, (height, width) = 30, photo.shape[:2]
    rng = np.random.default_rng(0)
    x1 = np.linspace(0, width - 60, count).astype(int)
    rois = np.stack([np.zeros(count, int), x1, rng.integers(150, height, count),
                     np.minimum(x1 + 60, width)], axis=1).astype(np.int32)
    masks = np.zeros((height, width, count), bool)
    for i, (y1, a, y2, b) in enumerate(rois):
        masks[y1:y2, a:b, i] = True
    result = {"rois": rois, "class_ids": np.full(count, 42, np.int32),  # "skateboard"
              "scores": rng.uniform(0.5, 1.0, count).astype(np.float32), "masks": masks}
    style = style_for(photo.shape)
    rects = label_rects(result, COCO_CLASS_NAMES, photo.shape, style)
    assert sorted(rects) == list(range(count))
    for i, (x, y, w, h) in rects.items():
        assert 0 <= x and 0 <= y and x + w <= width and y + h <= height
        assert rois[i][1] <= x + w and x <= rois[i][3], "a label stays over its own box"
        for j, (x2, y2, w2, h2) in rects.items():
            if i < j:
                assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, (i, j)
    # the most confident keeps its first choice, inside the top of its box
    best = int(np.argmax(result["scores"]))
    assert rects[best] == label_rect(caption(result, best, COCO_CLASS_NAMES), rois[best],
                                     photo.shape, style)
    # every label is drawn whole: its text pixels are all there in the picture
    out = draw_instances(photo, result, COCO_CLASS_NAMES, show_masks=False, show_boxes=False)
    for x, y, w, h in rects.values():
        assert changed(out, photo)[y:y + h, x:x + w].mean() > 0.5


def test_same_class_same_colour_family_and_distinct_instances():
    colors = instance_colors([1, 16, 1, 1])
    hues = [colorsys.rgb_to_hsv(*(c / 255 for c in rgb))[0] for rgb in colors]
    assert len({colors[0], colors[2], colors[3]}) == 3
    assert hues[0] == pytest.approx(hues[2], abs=0.02) == pytest.approx(hues[3], abs=0.02)
    assert abs(hues[0] - hues[1]) > 0.05
    assert instance_colors([16]) == [colors[1]], "a class keeps its colour across images"


def test_grayscale_uint16_and_float_inputs(photo, result):
    gray = photo.mean(axis=2).astype(np.uint8)
    out = draw_instances(gray, result, COCO_CLASS_NAMES, show_labels=False)
    assert out.shape == photo.shape and out.dtype == np.uint8
    outside = ~result["masks"].any(axis=2) & ~box_bands(result["rois"], photo.shape, 1)
    assert (out[outside] == gray[outside][:, None]).all()
    wide = draw_instances(photo.astype(np.uint16) * 257, result, COCO_CLASS_NAMES)
    np.testing.assert_array_equal(wide, draw_instances(photo, result, COCO_CLASS_NAMES))
    unit = draw_instances(photo / 255.0, result, COCO_CLASS_NAMES)
    np.testing.assert_array_equal(unit, draw_instances(photo, result, COCO_CLASS_NAMES))


def test_no_detections_returns_a_copy(photo):
    empty = {"rois": np.zeros((0, 4)), "class_ids": np.zeros(0), "scores": np.zeros(0),
             "masks": np.zeros(photo.shape[:2] + (0,), bool)}
    np.testing.assert_array_equal(draw_instances(photo, empty, COCO_CLASS_NAMES), photo)


def test_masks_of_another_size_are_refused(photo, result):
    with pytest.raises(ValueError, match="masks are 300x451 but the image is 200x451"):
        draw_instances(photo[:200], result, COCO_CLASS_NAMES)


def test_class_id_beyond_the_names_is_refused(photo, result):
    with pytest.raises(ValueError, match="class id 16 is out of range"):
        draw_instances(photo, result, ["BG", "person"])
