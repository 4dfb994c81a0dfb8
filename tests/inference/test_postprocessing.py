"""inference.postprocessing.unmold_detections: model outputs back to original-image results."""
from __future__ import annotations

import numpy as np

from mrcnn_tf.inference.postprocessing import unmold_detections

ORIGINAL = (300, 451, 3)
MOLDED = (1024, 1024, 3)
WINDOW = (171, 0, 852, 1024)   # square mode, 800/1024, see test_preprocessing
C, D = 4, 6


def _to_molded_normalized(pixel_box):
    """Original pixel box (y2/x2 exclusive) -> box normalized to the molded image, by hand."""
    h, w = ORIGINAL[:2]
    y1, x1, y2, x2 = pixel_box
    u = np.array([y1 / (h - 1), x1 / (w - 1), (y2 - 1) / (h - 1), (x2 - 1) / (w - 1)])
    wy1, wx1 = WINDOW[0] / 1023, WINDOW[1] / 1023
    wy2, wx2 = (WINDOW[2] - 1) / 1023, (WINDOW[3] - 1) / 1023
    return np.array([wy1 + u[0] * (wy2 - wy1), wx1 + u[1] * (wx2 - wx1),
                     wy1 + u[2] * (wy2 - wy1), wx1 + u[3] * (wx2 - wx1)], np.float32)


def _outputs(rows):
    detections = np.zeros((D, 6), np.float32)
    for i, (box, class_id, score) in enumerate(rows):
        detections[i] = list(box) + [class_id, score]
    return detections, np.zeros((D, 28, 28, C), np.float32)


def test_window_box_maps_to_whole_image():
    window_norm = [171 / 1023, 0.0, 851 / 1023, 1.0]
    detections, masks = _outputs([(window_norm, 3, 0.9)])
    masks[0, :, :, 3] = 1.0
    result = unmold_detections(detections, masks, ORIGINAL, MOLDED, WINDOW)
    np.testing.assert_array_equal(result["rois"], [[0, 0, 300, 451]])
    assert result["masks"].shape == (300, 451, 1) and result["masks"].all()


def test_boxes_class_ids_scores_and_class_masks():
    boxes = [(30, 45, 150, 300), (0, 400, 299, 451), (120, 10, 121, 11)]
    rows = [(_to_molded_normalized(b), k, s) for b, k, s in zip(boxes, (1, 2, 3), (0.95, 0.9, 0.8))]
    detections, masks = _outputs(rows)
    masks[0, :, :, 1] = 1.0    # the mask of the detection's own class is used ...
    masks[0, :, :, 2] = 0.0    # ... not another channel
    masks[1, :, :, 1] = 1.0    # wrong channel for detection 1 (class 2): must not show
    masks[2, :, :, 3] = 1.0
    result = unmold_detections(detections, masks, ORIGINAL, MOLDED, WINDOW)
    assert result["rois"].dtype == np.int32 and result["class_ids"].dtype == np.int32
    assert result["scores"].dtype == np.float32 and result["masks"].dtype == bool
    np.testing.assert_array_equal(result["rois"], boxes)
    np.testing.assert_array_equal(result["class_ids"], [1, 2, 3])
    np.testing.assert_allclose(result["scores"], [0.95, 0.9, 0.8])
    assert result["masks"].shape == (300, 451, 3)
    expected = np.zeros((300, 451), bool)
    expected[30:150, 45:300] = True
    np.testing.assert_array_equal(result["masks"][..., 0], expected)
    assert not result["masks"][..., 1].any()
    assert result["masks"][..., 2].sum() == 1 and result["masks"][120, 10, 2]


def test_zero_area_boxes_are_dropped():
    # a box whose pixel height rounds to zero: (50, 60, 50, 100)
    rows = [(_to_molded_normalized((50, 60, 50, 100)), 1, 0.99),
            (_to_molded_normalized((10, 10, 20, 20)), 2, 0.9)]
    detections, masks = _outputs(rows)
    result = unmold_detections(detections, masks, ORIGINAL, MOLDED, WINDOW)
    np.testing.assert_array_equal(result["rois"], [[10, 10, 20, 20]])
    np.testing.assert_array_equal(result["class_ids"], [2])
    assert result["masks"].shape == (300, 451, 1)


def test_no_detections():
    detections, masks = _outputs([])
    result = unmold_detections(detections, masks, ORIGINAL, MOLDED, WINDOW)
    assert result["rois"].shape == (0, 4) and result["rois"].dtype == np.int32
    assert result["class_ids"].shape == (0,) and result["class_ids"].dtype == np.int32
    assert result["scores"].shape == (0,) and result["scores"].dtype == np.float32
    assert result["masks"].shape == (300, 451, 0) and result["masks"].dtype == bool
