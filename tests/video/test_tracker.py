"""Tracker on synthetic results: steady ids and colours, new ids for new objects."""
from __future__ import annotations

import numpy as np
import pytest

from mrcnn_tf.ops.boxes import iou as box_iou
from mrcnn_tf.video.tracker import Tracker, moved_mask_iou

H, W = 120, 200


def result(*objects) -> dict:
    """A detect()-style result from (class_id, y1, x1, y2, x2) boxes with box-shaped masks."""
    masks = np.zeros((H, W, len(objects)), bool)
    for i, (_, y1, x1, y2, x2) in enumerate(objects):
        masks[y1:y2, x1:x2, i] = True
    return {"rois": np.array([o[1:] for o in objects], np.int32).reshape(-1, 4),
            "class_ids": np.array([o[0] for o in objects], np.int32),
            "scores": np.full(len(objects), 0.9, np.float32), "masks": masks}


def test_box_iou():
    assert box_iou([0, 0, 10, 10], [0, 0, 10, 10]) == 1.0
    assert box_iou([0, 0, 10, 10], [0, 5, 10, 15]) == pytest.approx(50 / 150)
    assert box_iou([0, 0, 10, 10], [20, 20, 30, 30]) == 0.0


def test_moved_mask_iou_places_the_crop_where_it_moved():
    mask = np.zeros((H, W), bool)
    mask[20:30, 40:50] = True
    crop = np.ones((10, 10), bool)
    assert moved_mask_iou(crop, (20, 40), mask, (20, 40, 30, 50)) == 1.0
    assert moved_mask_iou(crop, (20, 45), mask, (20, 40, 30, 50)) == pytest.approx(50 / 150)
    assert moved_mask_iou(crop, (80, 100), mask, (20, 40, 30, 50)) == 0.0


def test_smoothly_moving_box_keeps_its_id_and_colour():
    tracker = Tracker()
    ids, colors = [], []
    for step in range(40):
        x = 5 + 4 * step  # 4 px per frame on a 20 px wide box
        track_ids = tracker.update(result((1, 30, x, 60, x + 20)))
        ids.append(int(track_ids[0]))
        colors.append(tracker.colors(track_ids)[0])
    assert set(ids) == {1}
    assert len(set(colors)) == 1
    assert tracker.created == 1


def test_fast_motion_is_followed_by_velocity():
    """A 20 px box speeding up to 12 px per update: consecutive boxes then overlap with IoU
    0.25, below the threshold, so only the position predicted from its motion keeps the id."""
    tracker = Tracker(iou_threshold=0.3)
    xs = [0, 6] + [6 + 12 * k for k in range(1, 14)]
    assert box_iou([30, 18, 60, 38], [30, 30, 60, 50]) < 0.3
    ids = [int(tracker.update(result((1, 30, x, 60, x + 20)))[0]) for x in xs]
    assert ids == [1] * len(xs)


def test_new_object_gets_a_new_id_and_others_keep_theirs():
    tracker = Tracker()
    first = tracker.update(result((1, 10, 10, 40, 40), (3, 60, 100, 90, 140)))
    assert sorted(first.tolist()) == [1, 2]
    second = tracker.update(result((3, 61, 102, 91, 142), (1, 11, 12, 41, 42),
                                   (17, 70, 10, 100, 40)))
    assert second.tolist() == [first[1], first[0], 3]  # order follows the detections


def test_same_place_other_class_is_another_object():
    tracker = Tracker()
    a = tracker.update(result((1, 10, 10, 50, 50)))
    b = tracker.update(result((3, 10, 10, 50, 50)))
    assert a[0] != b[0]


def test_lost_object_returns_with_its_id_within_max_misses_and_a_new_one_after():
    tracker = Tracker(max_misses=2)
    box = (1, 20, 20, 60, 60)
    assert tracker.update(result(box))[0] == 1
    tracker.update(result())
    tracker.update(result())
    assert tracker.update(result(box))[0] == 1  # two misses: still tracked
    for _ in range(3):
        tracker.update(result())
    assert tracker.update(result(box))[0] == 2  # three misses: track ended, id not reused


def test_two_objects_of_one_class_keep_ids_and_distinct_colours():
    tracker = Tracker()
    for step in range(20):
        ids = tracker.update(result((1, 10, 5 + 3 * step, 40, 25 + 3 * step),
                                    (1, 70, 150 - 3 * step, 100, 170 - 3 * step)))
        assert ids.tolist() == [1, 2]
        colors = tracker.colors(ids)
        assert colors[0] != colors[1]


def test_mask_iou_separates_objects_whose_boxes_overlap():
    """Two L-shaped objects of one class with nearly the same box: masks tell them apart."""
    tracker = Tracker()

    def two_ls(shift):
        masks = np.zeros((H, W, 2), bool)
        masks[20:80, 40 + shift:50 + shift, 0] = True  # vertical bar
        masks[70:80, 40 + shift:100 + shift, 0] = True
        masks[20:30, 40 + shift:100 + shift, 1] = True  # horizontal bar
        masks[20:80, 90 + shift:100 + shift, 1] = True
        rois = np.array([[20, 40 + shift, 80, 100 + shift]] * 2, np.int32)
        return {"rois": rois, "class_ids": np.array([1, 1], np.int32),
                "scores": np.array([0.9, 0.8], np.float32), "masks": masks}

    first = tracker.update(two_ls(0))
    swapped = two_ls(2)
    swapped = {k: (v[..., ::-1] if k == "masks" else v[::-1]) for k, v in swapped.items()}
    second = tracker.update(swapped)
    assert second.tolist() == first[::-1].tolist()


def test_results_without_masks_use_boxes():
    tracker = Tracker()
    r = result((1, 10, 10, 40, 40))
    del r["masks"]
    assert tracker.update(r)[0] == tracker.update(r)[0] == 1


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="iou_threshold"):
        Tracker(iou_threshold=0)
    with pytest.raises(ValueError, match="max_misses"):
        Tracker(max_misses=-1)
